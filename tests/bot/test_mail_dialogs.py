"""/mail through the real Dispatcher: writing, Telegram replies, buttons, forged callbacks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiogram.methods import SendMessage
from aiogram.types import Message, Update, User
from sqlalchemy import func, select

from bot.callbacks import MailCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.services import mail
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.mail import mail_callback
from tests.bot.harness import SENT_AT, Chats, TelegramUser, buttons, open_chats
from tests.builders import build_world, insert, viewer

PARENT, TEACHER, SUPERUSER, PUPIL, OTHER = 9701, 9702, 9703, 9704, 9705
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_ids = itertools.count(70_000)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    a = world.a
    return await open_chats(
        core,
        world,
        [
            (a.parent_5a, PARENT, "lv"),
            (a.math_teacher, TEACHER, "lv"),
            (a.superuser, SUPERUSER, "lv"),
            (a.pupil_5a, PUPIL, "lv"),
            (a.parent_5a_second, OTHER, "en"),
        ],
        buckets=TokenBuckets(100, 100),
    )


async def count(core: Core, table: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def bodies(core: Core) -> list[str]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(select(t.MailMessage.body).order_by(t.MailMessage.id))
        return list(rows)


async def replying(user: TelegramUser, to_message_id: int, text: str) -> list[SendMessage]:
    """The user answers a bot message with Telegram's reply."""
    bot_message = Message(
        message_id=to_message_id,
        date=SENT_AT,
        chat=user.chat,
        from_user=User(id=user.bot.id, is_bot=True, first_name="eJournal"),
        text="✉️ …",
    )
    message = Message(
        message_id=next(_ids),
        date=SENT_AT,
        chat=user.chat,
        from_user=user.user,
        text=text,
        reply_to_message=bot_message,
    )
    return await user._feed(Update(update_id=next(_ids), message=message))


async def carried(
    core: Core, message_id: int, person_id: int, chat_id: int, telegram: int
) -> None:
    """What the notifications engine stores once the delivery went out."""
    await insert(
        core,
        t.MailChatMessage(
            message_id=message_id,
            person_id=person_id,
            chat_id=chat_id,
            telegram_message_id=telegram,
            created_at=core.clock.now(),
        ),
    )


async def test_a_parent_writes_to_the_class_teacher_with_a_file(core: Core, chats: Chats) -> None:
    parent = chats.user(PARENT)
    [box] = await parent.send("/mail")
    assert box.text.startswith("📬 <b>Pasts</b> · neizlasītas: 0")
    [children] = await parent.press(buttons(box)["✍️ Jauna ziņa"])
    assert children.text == "Par kuru bērnu ir ziņa?"
    assert "Nav par bērnu" not in buttons(children)  # a parent only: always about a child
    [groups] = await parent.press(buttons(children)["Jānis Alfa-Bērziņš (5.a)"])
    assert groups.text == "Kam rakstīt? Ziņa par: Jānis Alfa-Bērziņš"
    assert list(buttons(groups))[:2] == ["👩‍🏫 Klases audzinātājs", "🏫 Skolas vadība"]
    [people] = await parent.press(buttons(groups)["👩‍🏫 Klases audzinātājs"])
    [ask] = await parent.press(buttons(people)["Māra Alfa-Matemātiķe — klases audzinātājs, 5.a"])
    assert ask.text.startswith("Kam: <b>Māra Alfa-Matemātiķe</b> (klases audzinātājs, 5.a)")
    [preview] = await parent.send("Ekskursija\nVai Jānis drīkst rīt ierasties vēlāk?")
    assert "<b>Ekskursija</b>\nVai Jānis drīkst rīt ierasties vēlāk?" in preview.text
    assert "Par: Jānis Alfa-Bērziņš" in preview.text
    [with_file] = await parent.send_document("zīme.pdf", PDF)
    assert "📎 zīme.pdf" in with_file.text
    [done] = await parent.press(buttons(with_file)["📤 Sūtīt"])
    assert done.text.startswith("✅ Nosūtīts: Māra Alfa-Matemātiķe — „Ekskursija”.")
    assert await bodies(core) == ["Vai Jānis drīkst rīt ierasties vēlāk?"]
    assert await count(core, t.StoredFile) == 1
    # A second press finds nothing to send.
    [again] = await parent.press(buttons(with_file)["📤 Sūtīt"])
    assert again.text.startswith("Nav ko sūtīt")
    assert await count(core, t.MailMessage) == 1
    # The teacher's inbox and thread (opening it marks it read).
    teacher = chats.user(TEACHER)
    [inbox] = await teacher.send("/mail")
    assert "🔵 <b>Ekskursija</b> · jaunas: 1" in inbox.text
    [opened] = await teacher.press(buttons(inbox)["🔵 Ekskursija"])
    assert "Vai Jānis drīkst rīt ierasties vēlāk?" in opened.text
    assert "📎 zīme.pdf" in buttons(opened)
    [parent_view] = await parent.press(MailCb(action="thread", ref=1).pack())
    assert "✓✓ Māra Alfa-Matemātiķe izlasīja" in parent_view.text


async def test_crafted_callbacks_to_people_outside_the_matrix_are_refused(
    core: Core, chats: Chats
) -> None:
    a, b = chats.world.a, chats.world.b
    parent = chats.user(PARENT)
    await parent.press(MailCb(action="new").pack())
    await parent.press(MailCb(action="child", ref=a.pupil_5a).pack())
    # Ilze leads 2.a, not Jānis's class; a parent of another child; the other school.
    for person in (a.latvian_teacher, a.parent_5a_second, b.superuser, 2**40):
        [refused] = await parent.press(MailCb(action="to", ref=person).pack())
        assert refused.text == "Šim cilvēkam jūs žurnāla pastā rakstīt nevarat."
    # Someone else's child.
    [refused] = await parent.press(MailCb(action="child", ref=a.pupil_5a_second).pack())
    assert refused.text == "Skolēns nav atrasts, vai par viņu šim adresātam rakstīt nevar."
    # A person the parent may write to, but about a child that is not theirs (arg).
    await parent.press(MailCb(action="new").pack())
    [refused] = await parent.press(
        MailCb(action="to", ref=a.math_teacher, arg=a.pupil_5a_second).pack()
    )
    assert refused.text == "Šim cilvēkam jūs žurnāla pastā rakstīt nevarat."
    # Nothing can be sent: no recipient was ever accepted.
    [nothing] = await parent.press(MailCb(action="send").pack())
    assert nothing.text.startswith("Nav ko sūtīt")
    # A pupil's crafted button to a parent.
    [refused] = await chats.user(PUPIL).press(MailCb(action="to", ref=a.parent_5a).pack())
    assert refused.text == "Šim cilvēkam jūs žurnāla pastā rakstīt nevarat."
    assert await count(core, t.MailMessage) == 0
    assert await count(core, t.MailThread) == 0


async def test_the_teacher_answers_with_a_telegram_reply_and_it_threads_back(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Ekskursija",
        body="Vai drīkst?",
        about_pupil_id=a.pupil_5a,
    )
    await carried(core, sent.message_id, a.math_teacher, TEACHER, 555)
    teacher = chats.user(TEACHER)
    [done] = await replying(teacher, 555, "Jā, protams.")
    assert done.text.startswith("✅ Nosūtīts: Līga Alfa-Bērziņa — „Ekskursija”.")
    assert await bodies(core) == ["Vai drīkst?", "Jā, protams."]
    box = await mail.inbox(core.uow(), await viewer(core, a.parent_5a))
    assert (box.threads[0].thread_id, box.threads[0].unread) == (sent.thread_id, 1)
    # A reply to any other bot message is not mail: the bot's usual hint answers it.
    [hint] = await replying(teacher, 556, "Sveiki")
    assert "/help" in hint.text
    # Nor may somebody else answer through the teacher's message.
    [other] = await replying(chats.user(OTHER), 555, "Es")
    assert "/help" in other.text
    assert len(await bodies(core)) == 2


async def test_the_delivered_buttons_read_reply_and_report(core: Core, chats: Chats) -> None:
    a = chats.world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.math_teacher),
        to_person_id=a.parent_5a,
        subject="Sapulce",
        body="Sapulce rīt plkst. 18:00.",
        about_pupil_id=a.pupil_5a,
    )
    parent = chats.user(PARENT)
    # The notifications engine writes these buttons as strings: they are the bot's buttons.
    assert (
        mail_callback("read", sent.message_id) == MailCb(action="read", ref=sent.message_id).pack()
    )
    [read] = await parent.press(mail_callback("read", sent.message_id))
    assert read.text == "✓ Atzīmēts kā izlasīts. Sūtītājs saņems paziņojumu."
    [again] = await parent.press(mail_callback("read", sent.message_id))
    assert again.text == "✓ Šī ziņa jau ir atzīmēta kā izlasīta."
    [ask] = await parent.press(mail_callback("reply", sent.message_id))
    assert ask.text.startswith("↩️ Atbilde: Māra Alfa-Matemātiķe — „Sapulce”")
    [done] = await parent.send("Būšu.")
    assert done.text.startswith("✅ Nosūtīts: Māra Alfa-Matemātiķe")
    [why] = await parent.press(mail_callback("report", sent.message_id))
    assert why.text.startswith("🚩 Ziņot skolas vadībai par ziņu: Māra Alfa-Matemātiķe")
    [thanks] = await parent.send("Nepieklājīgs tonis")
    assert thanks.text == "✅ Paldies. Ziņojums nosūtīts skolas vadībai."
    assert await count(core, t.MailReport) == 1
    # Another parent's forged buttons on the same message.
    other = chats.user(OTHER, "en")
    for action in ("reply", "report", "read"):
        [refused] = await other.press(mail_callback(action, sent.message_id))
        assert refused.text == "Message not found."
    assert await count(core, t.MailReport) == 1


async def test_the_superuser_suspends_a_reported_sender_and_lifts_it(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Dusmīga vēstule",
        body="…",
        about_pupil_id=a.pupil_5a,
    )
    report = await mail.report_message(
        core.uow(), await viewer(core, a.math_teacher), message_id=sent.message_id, reason="Rupji"
    )
    # The teacher may not use the report's button.
    [refused] = await chats.user(TEACHER).press(mail_callback("susp", report, 7))
    assert refused.text == "Ziņojums nav atrasts."
    boss = chats.user(SUPERUSER)
    [done] = await boss.press(mail_callback("susp", report, 7))
    assert done.text.startswith("⛔ Ziņu sūtīšana apturēta: Līga Alfa-Bērziņa (līdz 04.12.2026")
    parent = chats.user(PARENT)
    await parent.press(MailCb(action="new").pack())
    await parent.press(MailCb(action="child", ref=a.pupil_5a).pack())
    await parent.press(MailCb(action="to", ref=a.math_teacher).pack())
    await parent.send("Vēlreiz\nTeksts")
    [blocked] = await parent.press(MailCb(action="send").pack())
    assert blocked.text.startswith("Jūsu ziņu sūtīšana žurnāla pastā ir apturēta līdz 04.12.2026")
    assert await count(core, t.MailMessage) == 1
    [listed] = await boss.press(MailCb(action="suspended").pack())
    assert "Līga Alfa-Bērziņa" in listed.text
    [lifted] = await boss.press(buttons(listed)["✅ Atjaunot: Līga Alfa-Bērziņa"])
    assert lifted.text == "✅ Ziņu sūtīšana atjaunota: Līga Alfa-Bērziņa."
    [sent_now] = await parent.press(MailCb(action="send").pack())  # the draft was kept
    assert sent_now.text.startswith("✅ Nosūtīts: Māra Alfa-Matemātiķe — „Vēlreiz”.")
