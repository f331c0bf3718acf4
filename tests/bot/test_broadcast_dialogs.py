"""/broadcast through the real Dispatcher: audience → text → preview → send → live status → report,
the recipient's "I have read this", and refusals of forged buttons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram.methods import EditMessageReplyMarkup, EditMessageText
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import func, select

from bot.callbacks import BroadcastAckCb, BroadcastCb
from bot.middlewares import TokenBuckets
from bot.routers.broadcasts import BroadcastWatch
from core.bootstrap import Core
from core.domain.broadcasts import Audience
from core.services.broadcasts import send_broadcast
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.broadcasts import SENT, BroadcastNotices
from notifications.delivery import DeliveryWorker
from notifications.fanout import FanOut
from notifications.messages import load_catalogs
from notifications.outbox import Outbox
from notifications.policy import Rules
from notifications.sender import RecordingSender
from notifications.settings import NotificationsSettings
from tests.bot.harness import Chats, RecordingSession, buttons, open_chats
from tests.builders import build_world, insert, new_person, viewer
from tests.notifications.conftest import fast_config, settle

SUPERUSER, TEACHER, PARENT, PUPIL, DIRECTOR = 9601, 9602, 9603, 9604, 9605
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
async def chats(core: Core) -> AsyncIterator[Chats]:
    world = await build_world(core)
    links = [
        (world.a.superuser, SUPERUSER, "lv"),
        (world.a.math_teacher, TEACHER, "lv"),
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "lv"),
        (world.a.director, DIRECTOR, "en"),
    ]
    chats = await open_chats(core, world, links, buckets=TokenBuckets(100, 100))
    chats.dp["broadcast_watch"] = BroadcastWatch(interval_s=0.02, limit_s=10)
    yield chats
    await chats.dp.emit_shutdown()  # status messages still followed stop with the bot


async def stored(core: Core) -> list[t.Broadcast]:
    async with create_session_factory(core.engine)() as session:
        return list(await session.scalars(select(t.Broadcast).order_by(t.Broadcast.id)))


async def acks(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.BroadcastAck)) or 0)


async def deliver(core: Core) -> RecordingSender:
    """The engine's part: fan-out of the broadcast, then the worker sends everything due."""
    catalogs = load_catalogs()
    rules = Rules.from_settings(NotificationsSettings())
    outbox = Outbox(core.engine)
    await FanOut(
        outbox,
        catalogs,
        rules,
        core.clock,
        handlers={SENT: BroadcastNotices(catalogs, rules).on_sent},
    ).run_once()
    sender = RecordingSender()
    worker = DeliveryWorker(outbox, sender, fast_config(), clock=core.clock)
    worker.start()
    await settle(outbox)
    await worker.stop()
    return sender


async def edited_to(session: RecordingSession, needle: str) -> EditMessageText:
    """Wait for the status message to be edited to a text containing ``needle``."""
    async with asyncio.timeout(10):
        while True:
            for edit in reversed(session.edits()):
                if needle in edit.text:
                    return edit
            await asyncio.sleep(0.02)


def markup(edit: EditMessageText) -> dict[str, str]:
    keyboard = edit.reply_markup
    assert isinstance(keyboard, InlineKeyboardMarkup)
    return {b.text: b.callback_data or "" for row in keyboard.inline_keyboard for b in row}


async def test_a_class_teacher_writes_to_her_class_parents_and_watches_the_delivery(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    [kinds] = await teacher.send("/broadcast")
    assert kinds.text == "📣 <b>Jauns apkārtraksts</b> · Alfa pamatskola\nKam rakstīsiet?"
    assert list(buttons(kinds)) == [
        "👥 Klase",
        "📚 Mācību grupa",
        "🤒 Šodien kavējušo skolēnu vecāki",
        "⚠️ Vecāki: neattaisnoti kavējumi šonedēļ",
        "✖ Atcelt",
    ]
    [classes] = await teacher.press(buttons(kinds)["👥 Klase"])
    assert "Kurai klasei?" in classes.text
    assert list(buttons(classes)) == ["5.a", "⬅️ Atpakaļ", "✖ Atcelt"]
    [members] = await teacher.press(buttons(classes)["5.a"])
    assert members.text == "Saņēmēji: klase 5.a. Kam tieši rakstīsiet?"
    [ask] = await teacher.press(buttons(members)["👨‍👩‍👧 Tikai vecākiem"])
    assert ask.text.startswith("✍ Saņēmēji: klase 5.a · vecāki.")
    [preview] = await teacher.send("Piektdien <klases> vakars & pīrāgi")
    assert preview.text.splitlines() == [
        "👀 <b>Apkārtraksta priekšskatījums</b> · Alfa pamatskola",
        "Saņēmēji: klase 5.a · vecāki",
        "",
        "Piektdien &lt;klases&gt; vakars &amp; pīrāgi",
        "",
        "👥 Saņēmēju skaits: 2 (katrs cilvēks vienu reizi), no tiem ar kontu: 1.",
        "Jauns teksts vai fails aizstās pašreizējo.",
    ]
    assert list(buttons(preview)) == [  # no "urgent" for a teacher
        "☐ Lūgt apstiprināt izlasīšanu",
        "📣 Nosūtīt (2)",
        "✖ Atcelt",
    ]
    [with_ack] = await teacher.press(buttons(preview)["☐ Lūgt apstiprināt izlasīšanu"])
    assert "✅ Saņēmējiem lūgs apstiprināt, ka izlasījuši." in with_ack.text
    assert await stored(core) == []

    [status] = await teacher.press(buttons(with_ack)["📣 Nosūtīt (2)"])
    assert status.text == (
        "📣 Apkārtraksts nosūtīts. Saņēmēji: 2, no tiem ar kontu: 1.\n⏳ Nosūtīti: 0/1…"
    )
    [row] = await stored(core)
    assert (row.recipients, row.connected, row.ask_ack, row.author_id) == (
        2,
        1,
        True,
        a.math_teacher,
    )
    assert sorted(row.recipient_ids) == sorted([a.parent_5a, a.parent_5a_second])

    sender = await deliver(core)
    assert [call.chat_id for call in sender.delivered()] == [PARENT]
    report = await edited_to(chats.session, "Piegādāti")
    assert report.text.splitlines()[1:] == [
        "Saņēmēji: klase 5.a · vecāki",
        "👥 Saņēmēji kopā: 2",
        "✅ Piegādāti: 1",
        "🔌 Nav pievienojušies botam: 1",
        "🚫 Bloķējuši botu vai nesasniedzami: 0",
        "⚠️ Neizdevās nosūtīt: 0",
        "👁 Apstiprinājuši izlasīšanu: 0 no 1",
    ]
    assert report.text.startswith("📊 <b>Apkārtraksta pārskats</b> · 27.11.2026 10:00")
    following = chats.session.edits()
    assert {(e.chat_id, e.message_id) for e in following} == {(TEACHER, report.message_id)}
    refresh = markup(report)["🔄 Atjaunot"]
    assert refresh == BroadcastCb(action="report", ref=row.id).pack()

    # The parent confirms reading with the button the notifications engine put there.
    parent = chats.user(PARENT)
    [thanks] = await parent.press(BroadcastAckCb(broadcast_id=row.id).pack())
    assert thanks.text == "✅ Paldies! Atzīmēts, ka apkārtrakstu esat izlasījis(-usi)."
    assert any(isinstance(c, EditMessageReplyMarkup) for c in chats.session.calls)
    [again] = await parent.press(BroadcastAckCb(broadcast_id=row.id).pack())
    assert again.text.startswith("Jau atzīmēts")
    assert await acks(core) == 1

    edits = len(chats.session.edits())
    await teacher.press(refresh)
    [fresh] = chats.session.edits()[edits:]
    assert "👁 Apstiprinājuši izlasīšanu: 1 no 1" in fresh.text


async def test_a_manager_sends_a_document_to_all_parents_each_once(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    boss = chats.user(SUPERUSER)
    [kinds] = await boss.send("/broadcast")
    assert list(buttons(kinds))[:6] == [
        "🏫 Visa skola",
        "🎓 Klašu grupa",
        "👥 Klase",
        "📚 Mācību grupa",
        "👪 Visi vecāki",
        "🧑‍🏫 Visi skolotāji",
    ]
    [ask] = await boss.press(buttons(kinds)["👪 Visi vecāki"])
    assert ask.text.startswith("✍ Saņēmēji: visa skola · vecāki.")
    [preview] = await boss.send_document("plāns.pdf", PDF, caption="Vecāku sapulce otrdien")
    assert "📎 plāns.pdf" in preview.text
    assert "👥 Saņēmēju skaits: 2 (katrs cilvēks vienu reizi), no tiem ar kontu: 1." in (
        preview.text
    )
    [urgent] = await boss.press(buttons(preview)["☐ Steidzams (arī klusuma stundās)"])
    assert "⚡ Steidzams: pienāks arī klusuma stundās." in urgent.text
    await boss.press(buttons(urgent)["📣 Nosūtīt (2)"])
    [row] = await stored(core)
    assert (row.recipients, row.urgent, row.file_id is not None) == (2, True, True)
    assert sorted(row.recipient_ids) == sorted([a.parent_5a, a.parent_5a_second])
    async with create_session_factory(core.engine)() as session:
        file = await session.get(t.StoredFile, row.file_id)
    assert file is not None
    assert (file.filename, bytes(file.content)) == ("plāns.pdf", PDF)
    [again] = await boss.press(buttons(urgent)["📣 Nosūtīt (2)"])  # a second press
    assert again.text.startswith("Nav apkārtraksta, ko sūtīt.")
    assert len(await stored(core)) == 1
    # Nothing is delivered here, so its status message is still followed — until the bot stops.
    name = f"ejournal-broadcast-{row.id}"
    following = [task for task in asyncio.all_tasks() if task.get_name() == name]
    assert [task.done() for task in following] == [False]
    await chats.dp.emit_shutdown()
    assert following[0].done()


async def test_a_changed_audience_is_shown_again_before_anything_is_sent(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    boss = chats.user(SUPERUSER)
    [kinds] = await boss.send("/broadcast")
    await boss.press(buttons(kinds)["👪 Visi vecāki"])
    [preview] = await boss.send("Sapulce")
    grandma = await new_person(core, "Austra", "Vecmāmiņa")
    await insert(core, t.Guardianship(guardian_id=grandma, pupil_id=a.pupil_2a, relation="other"))
    changed, again = await boss.press(buttons(preview)["📣 Nosūtīt (2)"])
    assert changed.text.startswith("Kopš priekšskatījuma saņēmēju skaits ir mainījies — tagad 3.")
    assert "📣 Nosūtīt (3)" in buttons(again)
    assert await stored(core) == []
    await boss.press(buttons(again)["📣 Nosūtīt (3)"])
    [row] = await stored(core)
    assert row.recipients == 3


async def test_parents_and_pupils_cannot_broadcast_even_with_forged_buttons(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    for user_id in (PARENT, PUPIL):
        user = chats.user(user_id)
        [nothing] = await user.send("/broadcast")
        assert nothing.text.startswith("📣 Apkārtrakstus sūta skolas darbinieki")
        [forged] = await user.press(BroadcastCb(action="school", ref=a.school_id).pack())
        assert forged.text.startswith("Šiem saņēmējiem jūs apkārtrakstu sūtīt nevarat.")
        for data in ("bc:kind:0", "bc:target:0", "bc:members:1", "bc:page:1", "bc:ack:0"):
            [outdated] = await user.press(data)
            assert outdated.text.startswith("Šī poga vairs nav aktuāla.")
        [nothing_to_send] = await user.press("bc:send:0")
        assert nothing_to_send.text.startswith("Nav apkārtraksta, ko sūtīt.")
    boss = await viewer(core, a.superuser)
    sent = await send_broadcast(
        core.uow(), boss, school_id=a.school_id, audience=Audience.all_staff(), text="Sēde"
    )
    [hidden] = await chats.user(PARENT).press(BroadcastCb(action="report", ref=sent.id).pack())
    assert hidden.text == "Apkārtraksts nav atrasts."
    [not_asked] = await chats.user(TEACHER).press(BroadcastAckCb(broadcast_id=sent.id).pack())
    assert not_asked.text == "Apkārtraksts nav atrasts."  # no acknowledgement was asked for
    assert len(await stored(core)) == 1
    assert await acks(core) == 0


async def test_a_teacher_cannot_pick_what_only_managers_may(core: Core, chats: Chats) -> None:
    teacher = chats.user(TEACHER)
    await teacher.send("/broadcast")
    for kind in (0, 1, 4, 5):  # the school, a grade, all parents, all teachers
        [refused] = await teacher.press(BroadcastCb(action="kind", ref=kind).pack())
        assert refused.text.startswith("Šiem saņēmējiem jūs apkārtrakstu sūtīt nevarat.")
    [out_of_range] = await teacher.press(BroadcastCb(action="target", ref=99).pack())
    assert out_of_range.text.startswith("Šī poga vairs nav aktuāla.")
    [ask] = await teacher.press(BroadcastCb(action="kind", ref=6).pack())  # absent today
    assert list(buttons(ask)) == ["5.a", "5.a Matemātika", "⬅️ Atpakaļ", "✖ Atcelt"]
    [text] = await teacher.press(buttons(ask)["5.a Matemātika"])
    assert text.text.startswith(
        "✍ Saņēmēji: mācību grupa 5.a Matemātika · šodien kavējušo skolēnu vecāki."
    )
    [preview] = await teacher.send("Kā jūtas bērns?")
    assert "👥 Šiem saņēmējiem šobrīd neatbilst neviens — nav kam sūtīt." in preview.text
    assert "📣 Nosūtīt" not in " ".join(buttons(preview))
    [cancelled] = await teacher.press(buttons(preview)["✖ Atcelt"])
    assert cancelled.text == "Apkārtraksts atcelts."
    assert await stored(core) == []


async def test_the_help_and_menus_name_broadcast_for_staff_only(chats: Chats) -> None:
    [teacher_help] = await chats.user(TEACHER).send("/help")
    assert "📣 /broadcast — apkārtraksts" in teacher_help.text
    [parent_help] = await chats.user(PARENT).send("/help")
    assert "/broadcast" not in parent_help.text
    [director_help] = await chats.user(DIRECTOR).send("/help")
    assert "📣 /broadcast — a broadcast" in director_help.text
    await chats.user(PARENT).send("/start")
    assert "broadcast" not in chats.chat_commands(PARENT)
    await chats.user(DIRECTOR).send("/start")
    assert "broadcast" in chats.chat_commands(DIRECTOR)


def test_the_watch_defaults_poll_every_two_seconds_for_ten_minutes() -> None:
    watch = BroadcastWatch()
    assert (watch.interval_s, watch.limit_s) == (2.0, 600.0)
