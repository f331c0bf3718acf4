"""Journal mail through the outbox: the message in the recipient's chat, its Telegram ids kept
for replies, the sender's read receipt, reports to the deputy directors, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from core.bootstrap import Core
from core.clock import FakeClock
from core.services import mail
from core.services.mail import MailAttachment
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.fanout import FanOut
from notifications.mail import READ as MAIL_READ
from notifications.mail import REPORTED as MAIL_REPORTED
from notifications.mail import SENT as MAIL_SENT
from notifications.mail import MailNotices, mail_reads
from notifications.messages import load_catalogs
from notifications.outbox import Outbox
from notifications.policy import Rules
from notifications.sender import DocumentPart, RecordingSender, TextPart
from notifications.settings import NotificationsSettings
from tests.builders import World, build_world, viewer

from .conftest import deliveries, link, make_worker, settle

PARENT_CHAT, TEACHER_CHAT, SUPERUSER_CHAT, DIRECTOR_CHAT = 7101, 7102, 7103, 7104
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fanout(core: Core) -> FanOut:
    catalogs = load_catalogs()
    rules = Rules.from_settings(NotificationsSettings())
    notices = MailNotices(catalogs, rules, mail_reads(core.uow))
    return FanOut(
        Outbox(core.engine),
        catalogs,
        rules,
        core.clock,
        handlers={
            MAIL_SENT: notices.on_sent,
            MAIL_READ: notices.on_read,
            MAIL_REPORTED: notices.on_reported,
        },
    )


async def linked_world(core: Core, **quiet: tuple[time, time]) -> World:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT_CHAT, language="lv")
    await link(core, a.math_teacher, TEACHER_CHAT, language="en", quiet=quiet.get("teacher"))
    await link(core, a.superuser, SUPERUSER_CHAT, language="lv")
    await link(core, a.director, DIRECTOR_CHAT, language="lv")
    return world


async def write(core: Core, world: World, **extra: object) -> mail.SentMail:
    a = world.a
    return await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Ekskursija",
        body="Vai Jānis drīkst <rīt> ierasties vēlāk?",
        about_pupil_id=a.pupil_5a,
        **extra,  # type: ignore[arg-type]
    )


async def chat_messages(core: Core) -> list[tuple[int, int, int, int]]:
    async with create_session_factory(core.engine)() as session:
        m = t.MailChatMessage
        rows = await session.execute(
            select(m.message_id, m.person_id, m.chat_id, m.telegram_message_id).order_by(m.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_message_reaches_the_recipients_chat_and_its_telegram_id_threads_back(
    core: Core,
) -> None:
    world = await linked_world(core)
    a = world.a
    sent = await write(core, world)
    await fanout(core).run_once()
    [row] = await deliveries(core)
    assert (row.idempotency_key, row.kind, row.chat_id, row.status) == (
        f"mail:{sent.message_id}:p{a.math_teacher}",
        "mail.sent",
        TEACHER_CHAT,
        "queued",
    )
    sender = RecordingSender()
    worker = make_worker(core, sender)
    worker.start()
    try:
        await settle(Outbox(core.engine))
    finally:
        await worker.stop()
    [call] = sender.delivered(TEACHER_CHAT)
    part = call.part
    assert isinstance(part, TextPart)
    assert part.text.startswith(
        "✉️ <b>Līga Alfa-Bērziņa</b> (mother — Jānis Alfa-Bērziņš, 5.a): <b>Ekskursija</b>\n\n"
        "Vai Jānis drīkst &lt;rīt&gt; ierasties vēlāk?"
    )
    assert "reply to this message in Telegram" in part.text
    assert [[b.callback_data for b in row] for row in part.keyboard] == [
        [f"ml:reply:{sent.message_id}:0", f"ml:read:{sent.message_id}:0"],
        [f"ml:report:{sent.message_id}:0"],
    ]
    assert [b.text for row in part.keyboard for b in row] == ["↩️ Reply", "✓ Read", "🚩 Report"]
    telegram_id = call.outcome.message_id  # type: ignore[union-attr]
    assert await chat_messages(core) == [
        (sent.message_id, a.math_teacher, TEACHER_CHAT, telegram_id)
    ]
    teacher = await viewer(core, a.math_teacher)
    found = await mail.reply_target(
        core.uow(), teacher, chat_id=TEACHER_CHAT, telegram_message_id=telegram_id
    )
    assert found == sent.message_id


async def test_an_attachment_goes_as_the_document_with_the_message_and_buttons(
    core: Core,
) -> None:
    world = await linked_world(core)
    sent = await write(core, world, attachment=MailAttachment("zīme.pdf", "application/pdf", PDF))
    await fanout(core).run_once()
    sender = RecordingSender()
    worker = make_worker(core, sender)
    worker.start()
    try:
        await settle(Outbox(core.engine))
    finally:
        await worker.stop()
    [call] = sender.delivered(TEACHER_CHAT)
    part = call.part
    assert isinstance(part, DocumentPart)
    assert (part.file_name, part.content) == ("zīme.pdf", PDF)
    assert part.caption is not None
    assert "<b>Ekskursija</b>" in part.caption
    assert part.keyboard
    assert [row[0] for row in await chat_messages(core)] == [sent.message_id]


async def test_the_sender_gets_a_read_receipt_once(core: Core, clock: FakeClock) -> None:
    world = await linked_world(core)
    a = world.a
    sent = await write(core, world)
    engine = fanout(core)
    await engine.run_once()
    clock.advance(timedelta(minutes=32))
    teacher = await viewer(core, a.math_teacher)
    await mail.thread(core.uow(), teacher, thread_id=sent.thread_id)  # she opens it
    await mail.mark_read(core.uow(), teacher, message_id=sent.message_id)  # nothing new
    await engine.run_once()
    receipts = [d for d in await deliveries(core) if d.kind == "mail.read"]
    [receipt] = receipts
    assert (receipt.recipient_id, receipt.chat_id, receipt.idempotency_key) == (
        a.parent_5a,
        PARENT_CHAT,
        f"mail-read:{sent.message_id}:p{a.parent_5a}",
    )
    assert receipt.payload["text"] == (
        "✓✓ <b>Māra Alfa-Matemātiķe</b> izlasīja jūsu ziņu „Ekskursija” 10:32"
    )


async def test_a_report_reaches_the_deputy_directors_with_suspend_buttons(core: Core) -> None:
    world = await linked_world(core)
    a = world.a
    sent = await write(core, world)
    report = await mail.report_message(
        core.uow(),
        await viewer(core, a.math_teacher),
        message_id=sent.message_id,
        reason="Nepieklājīgi",
    )
    await fanout(core).run_once()
    [notice] = [d for d in await deliveries(core) if d.kind == "mail.reported"]
    assert (notice.recipient_id, notice.chat_id) == (
        a.superuser,
        SUPERUSER_CHAT,
    )  # not the director
    text = notice.payload["text"]
    assert text.startswith("🚩 <b>Ziņojums par ziņu žurnāla pastā</b>\nZiņoja: Māra")
    assert "Sūtītājs: Līga Alfa-Bērziņa" in text
    assert "Iemesls: Nepieklājīgi" in text
    assert [row[0]["callback_data"] for row in notice.payload["keyboard"]] == [
        f"ml:susp:{report}:7",
        f"ml:susp:{report}:0",
    ]


async def test_quiet_hours_hold_a_message_and_a_recipient_without_an_account_is_recorded(
    core: Core,
) -> None:
    # 10:00 in Riga: the teacher chose quiet hours 09:00–12:00.
    world = await linked_world(core, teacher=(time(9), time(12)))
    a = world.a
    await write(core, world)
    await mail.send_mail(
        core.uow(),
        await viewer(core, a.math_teacher),
        to_person_id=a.parent_5a_second,  # no account
        subject="Sapulce",
        body="",
    )
    await fanout(core).run_once()
    rows = {d.recipient_id: d for d in await deliveries(core)}
    held = rows[a.math_teacher]
    assert held.status == "queued"
    assert held.not_before.replace(tzinfo=UTC) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert rows[a.parent_5a_second].status == "not_connected"
