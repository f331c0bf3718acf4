"""Acceptance (issue 10, broadcasts): on the demo school, the deputy director sends a broadcast to
all parents in the bot; through the sandbox each linked parent gets it exactly once (a parent of
two children once), nobody else does, and the report the bot shows — edited in place as delivery
progresses — counts exactly what the sandbox's transcripts hold. A parent's "I have read this"
reaches the report."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, or_, select

from bot.__main__ import ProductSettings, notifications_beside
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services.schools import seed_demo
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.settings import NotificationsSettings
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox
from tests.e2e.running import RunningBot, bot_settings, exchange, link_user, press, until

pytestmark = pytest.mark.e2e

RIGA = ZoneInfo("Europe/Riga")
TODAY = date(2026, 11, 27)
SUPERUSER, TEACHER, PUPIL = 8301, 8302, 8303
PARENTS = (8311, 8312, 8313, 8314, 8315)  # two parents of two children, three of one
BLOCKED = PARENTS[-1]  # blocked the bot before the broadcast
TEXT = "Otrdien 18:00 vecāku sapulce aktu zālē."


async def flowing(clock: FakeClock) -> None:
    """Let the frozen test clock run at real speed (the engine paces itself by it)."""
    while True:
        await asyncio.sleep(0.02)
        clock.advance(timedelta(seconds=0.02))


async def demo_people(core: Core) -> dict[str, Any]:
    """The demo school's superuser, a teacher and a pupil who are no parents, five parents
    (two with two children), and every guardian of an enrolled pupil (the expected audience)."""
    await seed_demo(
        core.uow(), Viewer.console(), classes_per_grade=1, pupils_per_class=6, zone=RIGA
    )
    g, e, r = t.Guardianship, t.Enrolment, t.StaffRole
    async with create_session_factory(core.engine)() as session:
        enrolled = select(e.pupil_id).where(
            e.starts_on <= TODAY, or_(e.ends_on.is_(None), e.ends_on >= TODAY)
        )
        children = (
            await session.execute(
                select(g.guardian_id, func.count(func.distinct(g.pupil_id)))
                .where(g.pupil_id.in_(enrolled))
                .group_by(g.guardian_id)
                .order_by(g.guardian_id)
            )
        ).all()
        superuser = await session.scalar(
            select(r.person_id).where(r.role == "deputy_director").order_by(r.person_id)
        )
        guardians = {int(person) for person, _ in children}
        teacher = await session.scalar(
            select(r.person_id)
            .where(r.role == "teacher", r.person_id.not_in(guardians))
            .order_by(r.person_id)
        )
        pupil = await session.scalar(select(e.pupil_id).order_by(e.pupil_id))
    two = [int(person) for person, n in children if n >= 2][:2]
    one = [int(person) for person, n in children if n == 1][:3]
    assert len(two) == 2
    assert len(one) == 3
    assert superuser is not None
    assert teacher is not None
    assert pupil is not None
    return {
        "superuser": int(superuser),
        "teacher": int(teacher),
        "pupil": int(pupil),
        "parents": dict(zip(PARENTS, two + one, strict=True)),
        "audience": guardians - {int(superuser)},
    }


async def broadcast_rows(core: Core) -> dict[int, str]:
    async with create_session_factory(core.engine)() as session:
        rows = (
            await session.execute(
                select(t.Delivery.recipient_id, t.Delivery.status).where(
                    t.Delivery.kind == "broadcast.sent"
                )
            )
        ).all()
    return {int(person): status for person, status in rows}


async def received(client: SandboxClient, user_id: int) -> list[dict[str, Any]]:
    """The broadcast as recipients get it (not the sender's own preview)."""
    return [
        m
        for m in await client.bot_messages(user_id)
        if (m["text"] or "").startswith("📣 Apkārtraksts · ") and TEXT in m["text"]
    ]


async def status_text(client: SandboxClient, message_id: int) -> str:
    for message in await client.bot_messages(SUPERUSER):
        if message["message_id"] == message_id:
            return str(message["text"])
    raise AssertionError("the status message is gone")


async def test_a_broadcast_to_all_parents_reaches_each_linked_parent_once_and_is_reported(
    core: Core, clock: FakeClock, sandbox: RunningSandbox
) -> None:
    people = await demo_people(core)
    client = sandbox.client
    accounts = {
        SUPERUSER: people["superuser"],
        TEACHER: people["teacher"],
        PUPIL: people["pupil"],
        **people["parents"],
    }
    for user_id, person in accounts.items():
        await link_user(core, client, person, user_id, f"Lietotājs {user_id}")
    bot = bot_settings(sandbox, "polling", flood_rate=100.0, flood_burst=100)
    engine = NotificationsSettings(run_scheduler=False, fanout_interval_s=0.05, idle_poll_s=0.05)
    settings = ProductSettings(bot=bot.bot, notifications=engine)
    time_flows = asyncio.create_task(flowing(clock))
    try:
        async with notifications_beside(core, settings)(settings):
            running = await RunningBot(core, settings, "polling", None).started()
            try:
                for user_id in accounts:
                    if user_id != BLOCKED:
                        await exchange(client, user_id, "/start")
                await client.block(BLOCKED)
                before = {user: len(await client.bot_messages(user)) for user in accounts}

                [kinds] = await exchange(client, SUPERUSER, "/broadcast")
                assert kinds.startswith("📣 Jauns apkārtraksts · ")
                await press(client, SUPERUSER, "👪 Visi vecāki")
                [preview] = await exchange(client, SUPERUSER, TEXT)
                expected = len(people["audience"])
                assert (
                    f"👥 Saņēmēju skaits: {expected} (katrs cilvēks vienu reizi), "
                    f"no tiem ar kontu: {len(PARENTS)}." in preview
                )
                await press(client, SUPERUSER, "☐ Lūgt apstiprināt izlasīšanu")
                [status] = await press(client, SUPERUSER, f"📣 Nosūtīt ({expected})")
                assert status["text"].startswith(
                    f"📣 Apkārtraksts nosūtīts. Saņēmēji: {expected}, "
                    f"no tiem ar kontu: {len(PARENTS)}."
                )

                # Every linked parent who can be reached gets it once; nobody else gets anything.
                for user_id in PARENTS:
                    if user_id != BLOCKED:
                        await client.wait_for_bot_messages(user_id, before[user_id] + 1, 15)
                await until(lambda: _all_final(core, expected), seconds=15)
                report = ""

                async def reported() -> bool:
                    nonlocal report
                    report = await status_text(client, status["message_id"])
                    return report.startswith("📊 Apkārtraksta pārskats")

                await until(reported, seconds=15)
                await asyncio.sleep(0.3)  # anything more would have gone by now
                got = {user: await received(client, user) for user in accounts}
                assert {user for user, messages in got.items() if messages} == set(PARENTS) - {
                    BLOCKED
                }
                assert all(len(messages) <= 1 for messages in got.values())
                for user in (TEACHER, PUPIL):  # not parents: nothing at all
                    assert len(await client.bot_messages(user)) == before[user]
                rows = await broadcast_rows(core)
                assert set(rows) == people["audience"]  # one delivery per parent, each once
                delivered = sum(1 for messages in got.values() if messages)
                sent_calls = [
                    c
                    for c in await client.calls("sendMessage")
                    if str(c["params"].get("text", "")).startswith("📣 <b>Apkārtraksts</b> · ")
                    and TEXT in str(c["params"]["text"])
                ]
                assert len(sent_calls) == delivered == len(PARENTS) - 1
                lines = report.splitlines()
                assert f"👥 Saņēmēji kopā: {expected}" in lines
                assert f"✅ Piegādāti: {delivered}" in lines
                assert f"🔌 Nav pievienojušies botam: {expected - len(PARENTS)}" in lines
                assert "🚫 Bloķējuši botu vai nesasniedzami: 1" in lines
                assert "⚠️ Neizdevās nosūtīt: 0" in lines
                assert f"👁 Apstiprinājuši izlasīšanu: 0 no {delivered}" in lines
                assert sorted(rows.values()).count("sent") == delivered

                # A parent of two children confirms reading; the sender refreshes the report.
                [thanks] = await press(client, PARENTS[0], "✅ Esmu izlasījis(-usi)")
                assert thanks["text"].startswith("✅ Paldies!")
                [message] = await received(client, PARENTS[0])
                assert not (message.get("reply_markup") or {}).get("inline_keyboard")
                final = (await client.bot_messages(SUPERUSER))[-1]
                assert final["message_id"] == status["message_id"]  # edited, not a new message
                [refresh] = [
                    button
                    for row in final["reply_markup"]["inline_keyboard"]
                    for button in row
                    if button["text"] == "🔄 Atjaunot"
                ]
                await client.press_button(
                    SUPERUSER, status["message_id"], refresh["callback_data"], strict=True
                )

                async def acknowledged() -> bool:
                    text = await status_text(client, status["message_id"])
                    return f"👁 Apstiprinājuši izlasīšanu: 1 no {delivered}" in text

                await until(acknowledged, seconds=10)
            finally:
                await running.stop()
    finally:
        time_flows.cancel()


async def _all_final(core: Core, expected: int) -> bool:
    rows = await broadcast_rows(core)
    return len(rows) == expected and set(rows.values()) <= {
        "sent",
        "not_connected",
        "unreachable",
    }
