"""Acceptance (issue 6): a substitution for tomorrow's 3rd lesson of 5.a, published by the
superuser in the bot's /changes editor, shows in the pupil's and the substitute's timetables,
and at the push time the pupil, the linked parent and both teachers each get exactly one message
with it — nobody else does."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.__main__ import ProductSettings, notifications_beside
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services import timetable_changes as changes
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.settings import NotificationsSettings
from sandbox.server import RunningSandbox
from tests.builders import World, viewer
from tests.e2e.conftest import PARENT, TEACHER
from tests.e2e.running import RunningBot, bot_settings, exchange, link_user, press, until

pytestmark = pytest.mark.e2e

RIGA = ZoneInfo("Europe/Riga")
THURSDAY, FRIDAY = date(2026, 11, 26), date(2026, 11, 27)
PUPIL, SUBSTITUTE, SUPERUSER = 8003, 8004, 8005
WEEK = (
    "weekday;period;class;group;subject;teacher_key;room;week\n"
    "P;1;5.a;;MAT;Māra Alfa-Matemātiķe;101;\n"
    "Pk;3;5.a;;MAT;Māra Alfa-Matemātiķe;101;\n"
    "Pk;4;2.a;;LV;Ilze Alfa-Valodniece;12;\n"
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIGA)


def product_settings(sandbox: RunningSandbox) -> ProductSettings:
    # The superuser taps faster than a person: the anti-flood limit would rightly slow it down.
    bot = bot_settings(sandbox, "polling", flood_rate=100.0, flood_burst=100)
    engine = NotificationsSettings(fanout_interval_s=0.05, idle_poll_s=0.05)
    return ProductSettings(bot=bot.bot, notifications=engine)


async def flowing(clock: FakeClock) -> None:
    """Let the frozen test clock run at real speed (the engine paces itself by it)."""
    while True:
        await asyncio.sleep(0.02)
        clock.advance(timedelta(seconds=0.02))


def friday(week: str) -> str:
    """The Friday block of a week screen."""
    start = week.index("27.11.")
    end = week.find("\n\n", start)
    return week[start : end if end != -1 else len(week)]


async def sent_to(core: Core) -> dict[int, str]:
    async with create_session_factory(core.engine)() as session:
        rows = (
            await session.execute(
                select(t.Delivery.recipient_id, t.Delivery.status).where(
                    t.Delivery.kind == "timetable"
                )
            )
        ).all()
    return {int(person): status for person, status in rows}


async def test_a_published_substitution_reaches_each_affected_person_once_at_the_push_time(
    core: Core, clock: FakeClock, sandbox: RunningSandbox, world: World
) -> None:
    a = world.a
    clock.set(at(THURSDAY, 10))
    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=a.school_id,
        data=WEEK.encode(),
        filename="week.csv",
        apply=True,
    )
    for person, user_id, name in (
        (a.pupil_5a, PUPIL, "Jānis"),
        (a.other_teacher, SUBSTITUTE, "Pēteris"),
        (a.superuser, SUPERUSER, "Inese"),
    ):
        await link_user(core, sandbox.client, person, user_id, name)

    settings = product_settings(sandbox)
    running = await RunningBot(core, settings, "polling", None).started()
    time_flows: asyncio.Task[None] | None = None
    try:
        # In the bot, the superuser substitutes tomorrow's 3rd lesson of 5.a and publishes it.
        [day] = await exchange(sandbox.client, SUPERUSER, "/changes")
        assert day.startswith("📝 Stundu izmaiņas: Piektdiena, 27.11.2026")
        await press(sandbox.client, SUPERUSER, "👤 Skolotāja prombūtne")
        await press(sandbox.client, SUPERUSER, "Māra Alfa-Matemātiķe")
        await press(sandbox.client, SUPERUSER, "3. Matemātika")
        [offer] = await press(sandbox.client, SUPERUSER, "🔁 Aizvietot")
        offered = [b["text"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
        assert "Māra Alfa-Matemātiķe" not in offered  # her own lesson
        assert "Ilze Alfa-Valodniece" in offered  # she teaches in period 4, not 3
        await press(sandbox.client, SUPERUSER, "Pēteris Alfa-Sportists")
        await press(sandbox.client, SUPERUSER, "⬅️ Uz dienas izmaiņām")
        await press(sandbox.client, SUPERUSER, "📣 Publicēt (1)")
        [done] = await press(sandbox.client, SUPERUSER, "📣 Publicēt")
        assert done["text"].startswith("✅ Publicēts: Piektdiena, 27.11.2026. Izmaiņas: 1")
        boss = await viewer(core, a.superuser)
        [published] = await changes.published_changes(
            core.uow(), boss, school_id=a.school_id, on=FRIDAY
        )
        assert (published.kind, published.period, published.teacher_ids) == (
            "substitution",
            3,
            (a.other_teacher,),
        )

        [pupil_week] = await exchange(sandbox.client, PUPIL, "/timetable")
        assert "Pēteris Alfa-Sportists" in friday(pupil_week)
        assert "Matemātika" in friday(pupil_week)
        [substitute_week] = await exchange(sandbox.client, SUBSTITUTE, "/timetable")
        assert "5.a Matemātika" in friday(substitute_week)
        await exchange(sandbox.client, PARENT, "/start")
        await exchange(sandbox.client, TEACHER, "/start")
        people = {
            PUPIL: a.pupil_5a,
            PARENT: a.parent_5a,
            TEACHER: a.math_teacher,
            SUBSTITUTE: a.other_teacher,
        }
        before = {user: len(await sandbox.client.bot_messages(user)) for user in people}
        sends_before = len(await sandbox.client.calls("sendMessage"))

        clock.set(at(THURSDAY, 11))  # the push time: the engine starts and runs the push
        time_flows = asyncio.create_task(flowing(clock))
        async with notifications_beside(core, settings)(settings):
            for user, count in before.items():
                await sandbox.client.wait_for_bot_messages(user, count + 1, timeout=15)
            await until(lambda: _all_final(core), seconds=15)
            await asyncio.sleep(0.3)  # anything more would have gone by now

        for user, count in before.items():
            messages = await sandbox.client.bot_messages(user)
            assert len(messages) == count + 1, user
            text = messages[-1]["text"]
            assert "Matemātika" in text, user
            assert "Pēteris Alfa-Sportists" in text, user
            assert "27.11.2026" in text
        parent_text = (await sandbox.client.bot_messages(PARENT))[-1]["text"]
        assert parent_text.startswith("Jānis: stundu saraksta izmaiņas piektdien, 27.11.2026:")
        teacher_text = (await sandbox.client.bot_messages(TEACHER))[-1]["text"]
        assert teacher_text.startswith("Timetable changes for Friday 27.11.2026:")
        # Nobody else: the other pupil and parent of 5.a have no account (recorded only).
        assert len(await sandbox.client.calls("sendMessage")) - sends_before == len(people)
        assert await sent_to(core) == {
            **dict.fromkeys(people.values(), "sent"),
            a.pupil_5a_second: "not_connected",
            a.parent_5a_second: "not_connected",
        }
    finally:
        await running.stop()
        if time_flows is not None:
            time_flows.cancel()


async def _all_final(core: Core) -> bool:
    statuses = set((await sent_to(core)).values())
    return bool(statuses) and statuses <= {"sent", "not_connected"}
