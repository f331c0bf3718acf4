"""Grades end to end on the demo school: the real bot and notifications engine, the sandbox, a
frozen clock. A teacher enters 25 marks in one message; the database holds exactly those; the
parent hears nothing before the grace period ends, and a correction inside it yields one
message with the corrected value."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.__main__ import ProductSettings, notifications_beside
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.domain.collation import search_key
from core.services import marks
from core.services.directory import resolve_viewer
from core.services.schools import seed_demo
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.settings import NotificationsSettings
from sandbox.server import RunningSandbox
from tests.e2e.running import RunningBot, bot_settings, exchange, link_user, press, until

pytestmark = pytest.mark.e2e

TEACHER, PARENT = 8201, 8202
GRACE = timedelta(minutes=10)


async def demo_school(core: Core) -> tuple[int, str, int, int, int]:
    """Seed the demo school; its 6th-grade mathematics group (25 pupils), the group's
    teacher, and a parent with exactly one child in the group, and that child."""
    await seed_demo(
        core.uow(),
        Viewer.console(),
        classes_per_grade=1,
        pupils_per_class=25,
        zone=ZoneInfo("Europe/Riga"),
    )
    g, m, gt, gs = t.TeachingGroup, t.GroupMember, t.GroupTeacher, t.Guardianship
    async with create_session_factory(core.engine)() as session:
        group_id, name = (
            await session.execute(
                select(g.id, g.name)
                .join(t.Subject, t.Subject.id == g.subject_id)
                .where(g.kind == "class", g.grade == 6, t.Subject.short_name == "MAT")
            )
        ).one()
        teacher = await session.scalar(
            select(gt.teacher_id).where(gt.group_id == group_id).order_by(gt.teacher_id)
        )
        parent = await session.scalar(
            select(gs.guardian_id)
            .join(m, m.pupil_id == gs.pupil_id)
            .where(m.group_id == group_id, gs.read_only.is_(False))
            .group_by(gs.guardian_id)
            .having(func.count() == 1)
            .order_by(gs.guardian_id)
            .limit(1)
        )
        child = await session.scalar(
            select(gs.pupil_id)
            .join(m, m.pupil_id == gs.pupil_id)
            .where(m.group_id == group_id, gs.guardian_id == parent)
        )
    assert teacher is not None
    assert parent is not None
    assert child is not None
    return int(group_id), str(name), int(teacher), int(parent), int(child)


async def assessment_marks(core: Core, assessment_id: int) -> dict[int, tuple[str, str | None]]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(select(t.Mark).where(t.Mark.assessment_id == assessment_id))
        return {m.pupil_id: (m.status, m.value) for m in found}


async def mark_count(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.Mark)) or 0)


async def parent_deliveries(core: Core, parent: int) -> list[t.Delivery]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(
            select(t.Delivery).where(
                t.Delivery.recipient_id == parent, t.Delivery.kind == "mark.recorded"
            )
        )
        return list(found)


async def test_25_marks_in_one_message_then_one_notification_after_the_grace_period(
    core: Core, clock: FakeClock, sandbox: RunningSandbox
) -> None:
    group_id, group_name, teacher_id, parent_id, child_id = await demo_school(core)
    client = sandbox.client
    for person, user_id, name in (
        (teacher_id, TEACHER, "Skolotāja"),
        (parent_id, PARENT, "Vecāks"),
    ):
        await link_user(core, client, person, user_id, name)
    bot = bot_settings(sandbox, "polling", flood_rate=100, flood_burst=100)
    engine = NotificationsSettings(
        mark_grace_minutes=GRACE.total_seconds() / 60,
        run_scheduler=False,
        fanout_interval_s=0.05,
        idle_poll_s=0.05,
    )
    settings = ProductSettings(bot=bot.bot, notifications=engine)
    async with notifications_beside(core, settings)(settings):
        running = await RunningBot(core, settings, "polling", None).started()
        try:
            await exchange(client, PARENT, "/start")
            parent_seen = len(await client.bot_messages(PARENT))

            # The teacher opens the group, creates a test and sends 25 marks at once.
            [shown] = await exchange(client, TEACHER, "/grades")
            if not shown.startswith(f"📝 {group_name}"):  # several groups: pick this one
                await press(client, TEACHER, group_name)
            [ask] = await press(client, TEACHER, "➕ Jauns pārbaudes darbs")
            assert ask["text"].startswith(f"➕ Jauns pārbaudes darbs: {group_name}, 27.11.2026")
            await exchange(client, TEACHER, "Daļskaitļu ieskaite")
            [entry] = await press(client, TEACHER, "Summatīvais")
            assert "25. " in entry["text"]

            teacher = await resolve_viewer(core.uow(), teacher_id)
            listing = await marks.group_assessments(core.uow(), teacher, group_id=group_id)
            test = listing.assessments[0].assessment
            assert test.title == "Daļskaitļu ieskaite"
            sheet = await marks.assessment_sheet(core.uow(), teacher, assessment_id=test.id)
            assert len(sheet.rows) == 25
            values = [str(4 + i % 7) for i in range(24)] + ["nv"]
            families = [row.pupil.family_name for row in sheet.rows]
            lines = []
            for row, value in zip(sheet.rows, values, strict=True):
                unique = families.count(row.pupil.family_name) == 1
                who = search_key(row.pupil.family_name) if unique else str(row.pupil.number)
                lines.append(f"{who} {value}")
            before = await mark_count(core)

            [summary] = await exchange(client, TEACHER, "\n".join(lines))

            assert "✅ Saglabāti vērtējumi: 25." in summary
            assert "Ievadīti: 25 no 25" in summary
            assert "ne agrāk kā pēc 10 min" in summary
            expected = {
                row.pupil.pupil_id: ("nv", None) if value == "nv" else ("mark", value)
                for row, value in zip(sheet.rows, values, strict=True)
            }
            assert await assessment_marks(core, test.id) == expected
            assert await mark_count(core) == before + 25

            # The parent's message waits out the grace period.
            await until(lambda: _queued(core, parent_id))
            await asyncio.sleep(0.5)
            assert len(await client.bot_messages(PARENT)) == parent_seen

            # A correction inside the grace period rewrites the waiting message.
            clock.advance(timedelta(minutes=5))
            number = next(r.pupil.number for r in sheet.rows if r.pupil.pupil_id == child_id)
            old = expected[child_id][1]
            new = "10" if old != "10" else "9"
            [fixed] = await exchange(client, TEACHER, f"{number} {new}")
            assert "✅ Saglabāti vērtējumi: 1." in fixed
            await until(lambda: _version(core, parent_id, 2))
            await asyncio.sleep(0.3)
            assert len(await client.bot_messages(PARENT)) == parent_seen

            # When the grace period ends, one message with the corrected value.
            clock.advance(GRACE - timedelta(minutes=5) + timedelta(seconds=1))
            arrived = await client.wait_for_bot_messages(PARENT, parent_seen + 1, timeout=15)
            await asyncio.sleep(0.5)
            arrived = await client.bot_messages(PARENT)
            assert len(arrived) == parent_seen + 1
            text = arrived[-1]["text"]
            assert "jauns vērtējums" in text
            assert "Matemātika" in text
            assert f": {new} (" in text
            [delivery] = await parent_deliveries(core, parent_id)
            assert delivery.status == "sent"
        finally:
            await running.stop()


async def _queued(core: Core, parent: int) -> bool:
    rows = await parent_deliveries(core, parent)
    return len(rows) == 1 and rows[0].status == "queued"


async def _version(core: Core, parent: int, version: int) -> bool:
    rows = await parent_deliveries(core, parent)
    return len(rows) == 1 and int(rows[0].payload.get("version") or 0) == version
