"""Owns /mail: journal mail in chat — the inbox, threads, writing, answering, reporting.

- ``/mail`` (and the menu button): the inbox with unread counts; a thread opens with read marks
  (opening it marks it read: the senders get their receipt).
- **Writing**: "✍️ New message" → a parent picks the child it is about → a group (class
  teacher, subject teachers, administration, a class's pupils or parents, colleagues) → the
  person → the subject (first line) and text, optionally a photo or a file → preview → Send.
  The draft (recipient, text, the Telegram file id — never the bytes) lives in the FSM state
  until Send, which downloads the file and makes one ``send_mail`` call.
- **Answering**: Telegram's reply to a delivered mail message (the notifications engine stored
  which Telegram message carried which mail message), or the "↩️ Reply" button (the next text,
  photo or file is the answer). "✓ Read" marks it read; "🚩 Report" asks why and tells the
  administration.
- **The superuser**: a report's "⛔ Suspend" buttons, the list of suspended senders, lifting.

Core checks every step (the matrix, the thread's participants, the managed schools): a forged
button reaches a service that refuses. This router stands before the feature routers that
catch text in their own states and before the timetable upload: a Telegram reply to a mail
message is an answer whatever dialog is open, and a document sent while writing is the
message's attachment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MailCb
from bot.drafts import kept_file
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply, send_stored_file
from bot.views import mail as views
from bot.views.people import manages
from core.domain.mail import MAIL_FILE_TYPES, mail_draft, reply_body, report_reason
from core.domain.news import check_file
from core.errors import DomainError, InvalidInput, NotFound
from core.services.accounts import Identity
from core.services.mail import (
    MailAttachment,
    MailContacts,
    contacts,
    inbox,
    mail_attachment,
    mark_read,
    message_info,
    reply_mail,
    reply_target,
    report_message,
    report_view,
    resume_messaging,
    send_mail,
    suspend_messaging,
    suspensions,
    thread,
)

PHOTO_NAME = "photo.jpg"  # Telegram sends photos as JPEG without a name


class MailStates(StatesGroup):
    """Where a mail dialog stands (its data: the draft, or the message answered or reported)."""

    pick = State()  # choosing whom to write to
    compose = State()  # the recipient is chosen: waiting for the text (and a file)
    answer = State()  # "↩️ Reply" was pressed: the next message is the answer
    report = State()  # "🚩 Report" was pressed: the next text is the reason


MAIL_STATES = frozenset(
    s.state for s in (MailStates.pick, MailStates.compose, MailStates.answer, MailStates.report)
)


class RepliesToMail(Filter):
    """A Telegram reply to a bot message that carried a mail message to this person.

    Injects ``mail_message_id``; any other reply falls through to the other handlers.
    """

    async def __call__(
        self,
        message: Message,
        identity: Identity | None = None,
        core: JournalCore | None = None,
    ) -> bool | dict[str, Any]:
        """Look the replied-to message up in core."""
        replied = message.reply_to_message
        if identity is None or core is None or replied is None:
            return False
        if replied.from_user is None or not replied.from_user.is_bot:
            return False
        found = await reply_target(
            core.uow(),
            identity.viewer,
            chat_id=message.chat.id,
            telegram_message_id=replied.message_id,
        )
        return False if found is None else {"mail_message_id": found}


# ---------------------------------------------------------------- reading


async def mail_command(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """/mail: the inbox."""
    box = await inbox(core.uow(), identity.viewer)
    await reply(message, views.inbox_screen(box, t, manager=manages(identity.viewer)))


async def pressed(
    query: CallbackQuery,
    *,
    callback_data: MailCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
    family: tuple[Child, ...] = (),
) -> None:
    """Every mail button: one service call each (or a step of the draft), core decides."""
    action, ref, arg = callback_data.action, callback_data.ref, callback_data.arg
    viewer = identity.viewer
    if action == "inbox":
        box = await inbox(core.uow(), viewer, offset=ref)
        await reply(query, views.inbox_screen(box, t, manager=manages(viewer)))
    elif action == "thread":
        await reply(query, views.thread_screen(await thread(core.uow(), viewer, thread_id=ref), t))
    elif action == "file":
        await send_file(query, ref, identity=identity, core=core, bot=bot)
    elif action in ("new", "child", "groups", "group", "to"):
        await choose(
            query, callback_data, identity=identity, core=core, t=t, state=state, family=family
        )
    elif action == "send":
        await send(query, identity=identity, core=core, t=t, state=state, bot=bot)
    elif action == "cancel":
        if await state.get_state() in MAIL_STATES:  # never another dialog's state
            await state.clear()
        await reply(query, views.simple("mailbox.cancelled", t))
    elif action == "reply":
        info = await message_info(core.uow(), viewer, message_id=ref)  # refuses outsiders
        await state.set_state(MailStates.answer)
        await state.set_data({"message_id": info.message_id})
        await reply(query, views.ask_reply(info, t))
    elif action == "read":
        await reply(
            query, views.marked_read(await mark_read(core.uow(), viewer, message_id=ref), t)
        )
    elif action == "report":
        info = await message_info(core.uow(), viewer, message_id=ref)
        await state.set_state(MailStates.report)
        await state.set_data({"message_id": info.message_id})
        await reply(query, views.ask_reason(info, t))
    else:
        await superuser(query, action, ref, arg, identity=identity, core=core, t=t)


async def send_file(
    query: CallbackQuery, message_id: int, *, identity: Identity, core: JournalCore, bot: Bot
) -> None:
    """An attachment: an image as a photo (a document if Telegram refuses), else a file."""
    filename, mime, data = await mail_attachment(
        core.uow(), identity.viewer, message_id=message_id
    )
    await send_stored_file(query, bot, data, filename, mime)


# ---------------------------------------------------------------- writing


async def choose(
    query: CallbackQuery,
    callback_data: MailCb,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    family: tuple[Child, ...],
) -> None:
    """The steps before the text: the child (parents), the group, the person."""
    action, ref, arg = callback_data.action, callback_data.ref, callback_data.arg
    viewer = identity.viewer
    own = tuple(c for c in family if c.pupil_id not in viewer.read_only_children)
    if action == "new":
        await state.set_state(MailStates.pick)
        await state.set_data({"about": 0})
        if own:
            other = viewer.is_staff or viewer.is_pupil
            await reply(query, views.pick_child(own, t, other=other))
            return
        action, ref = "groups", 0
    data = await state.get_data() if await state.get_state() in MAIL_STATES else {}
    if action == "child":
        await state.set_state(MailStates.pick)
        await state.set_data({"about": ref})
        data = {"about": ref}
    about = int(data.get("about") or 0) or None
    found = await contacts(core.uow(), viewer, about_pupil_id=about)
    if action in ("child", "groups"):
        await reply(query, views.groups_screen(found, arg, t))
    elif action == "group":
        if not 0 <= ref < len(found.groups):
            raise NotFound("mail.recipient_not_found")  # an old screen: the groups changed
        await reply(query, views.people_screen(found.groups[ref], ref, arg, t))
    else:
        await pick_person(query, ref, arg, about, found=found, t=t, state=state)


async def pick_person(
    query: CallbackQuery,
    person_id: int,
    pupil_id: int,
    about: int | None,
    *,
    found: MailContacts,
    t: Translator,
    state: FSMContext,
) -> None:
    """The recipient, if the matrix lists them (a forged person is refused here and by core)."""
    wanted = about if about is not None else (pupil_id or None)
    contact = next(
        (
            c
            for g in found.groups
            for c in g.contacts
            if c.person_id == person_id and (about is not None or c.pupil_id == wanted)
        ),
        None,
    )
    if contact is None:
        raise NotFound("mail.recipient_not_found")
    role = views.role_text(contact.role, t)
    about_name = found.about.full_name if found.about is not None else None
    await state.set_state(MailStates.compose)
    await state.set_data(
        {
            "to": contact.person_id,
            "about": wanted or 0,
            "name": contact.name,
            "about_name": about_name or "",
        }
    )
    await reply(query, views.ask_text(contact.name, role, t))


async def draft_text(message: Message, *, t: Translator, state: FSMContext) -> None:
    """The subject (first line) and text; a new text replaces the draft's."""
    mail_draft(message.text or "")  # refuses an empty or too long text before keeping it
    await state.update_data(text=message.text or "")
    await show_draft(message, t=t, state=state)


async def draft_file(message: Message, *, t: Translator, state: FSMContext) -> None:
    """A photo or a document (its caption, if any, is the text)."""
    kept = await keep_file(message)
    if message.caption:
        mail_draft(message.caption)
        kept["text"] = message.caption
    await state.update_data(**kept)
    await show_draft(message, t=t, state=state)


async def keep_file(message: Message) -> dict[str, Any]:
    """The Telegram file of a photo or a document, checked by name, type and size."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        check = check_file(PHOTO_NAME, "image/jpeg", photo.file_size or 1)
        file_id, photo_sent = photo.file_id, True
    elif message.document is not None:
        document = message.document
        check = check_file(document.file_name, document.mime_type, document.file_size or 1)
        file_id, photo_sent = document.file_id, False
    else:  # pragma: no cover - the filters let photos and documents only
        return {}
    if check.mime_type not in MAIL_FILE_TYPES:
        raise InvalidInput("mail.file_type")
    return {
        "file_id": file_id,
        "filename": check.filename,
        "mime": check.mime_type,
        "photo": photo_sent,
    }


async def show_draft(message: Message, *, t: Translator, state: FSMContext) -> None:
    """The preview, or "now the text" when only a file is there."""
    data = await state.get_data()
    if not data.get("text"):
        await reply(message, views.need_text(str(data.get("filename", "")), t))
        return
    draft = mail_draft(str(data["text"]))
    filename = str(data["filename"]) if data.get("filename") else None
    about = str(data.get("about_name") or "") or None
    await reply(message, views.preview(draft, str(data["name"]), about, filename, t))


async def other_content(message: Message, *, t: Translator) -> None:
    """A sticker, voice or location while writing: say what is expected."""
    await reply(message, views.unsupported(t))


async def send(
    query: CallbackQuery,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """Send the draft (taken from the state first, so a second press finds nothing)."""
    data = await state.get_data() if await state.get_state() == MailStates.compose.state else {}
    if not data.get("text") or not data.get("to"):
        await reply(query, views.simple("mailbox.nothing", t))
        return
    await state.clear()
    try:
        draft = mail_draft(str(data["text"]))
        result = await send_mail(
            core.uow(),
            identity.viewer,
            to_person_id=int(data["to"]),
            subject=draft.subject,
            body=draft.body,
            about_pupil_id=int(data.get("about") or 0) or None,
            attachment=await download(bot, data),
        )
    except DomainError:
        await state.set_state(MailStates.compose)  # keep the draft: the person may fix it
        await state.set_data(data)
        raise
    await reply(query, views.sent(result, t))


async def download(bot: Bot, data: dict[str, Any]) -> MailAttachment | None:
    """The kept file's bytes (a photo gets its name from its bytes)."""
    kept = await kept_file(bot, data)
    return MailAttachment(*kept) if kept is not None else None


# ---------------------------------------------------------------- answering and reporting


async def telegram_reply(
    message: Message,
    *,
    mail_message_id: int,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A Telegram reply to a delivered mail message: the answer threads back."""
    if await state.get_state() in MAIL_STATES:
        await state.clear()  # the reply answers this message, whatever was open
    await answer(message, mail_message_id, identity=identity, core=core, t=t, bot=bot)


async def answer_message(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """After "↩️ Reply": this text, photo or file is the answer."""
    data = await state.get_data()
    await state.clear()
    try:
        await answer(message, int(data["message_id"]), identity=identity, core=core, t=t, bot=bot)
    except DomainError:
        await state.set_state(MailStates.answer)  # let the person try again
        await state.set_data(data)
        raise


async def answer(
    message: Message,
    message_id: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    bot: Bot,
) -> None:
    """One ``reply_mail`` call with the text (or caption) and the file, if any."""
    text = message.text if message.text is not None else message.caption
    has_file = bool(message.photo) or message.document is not None
    reply_body(text, has_file=has_file)  # refuse an empty or too long answer before downloading
    attachment = await download(bot, await keep_file(message)) if has_file else None
    result = await reply_mail(
        core.uow(), identity.viewer, message_id=message_id, body=text, attachment=attachment
    )
    await reply(message, views.sent(result, t))


async def report_reason_sent(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """After "🚩 Report": this text is the reason."""
    data = await state.get_data()
    report_reason(message.text or "")  # an empty reason keeps the dialog open
    await state.clear()
    await report_message(
        core.uow(), identity.viewer, message_id=int(data["message_id"]), reason=message.text or ""
    )
    await reply(message, views.reported(t))


# ---------------------------------------------------------------- the superuser


async def superuser(
    query: CallbackQuery,
    action: str,
    ref: int,
    arg: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A report's suspend buttons, the suspended senders, lifting a suspension."""
    viewer = identity.viewer
    if action == "susp":
        report = await report_view(core.uow(), viewer, report_id=ref)
        if report.sender_id is None:
            raise NotFound("mail.report_not_found")
        until = core.clock.now() + timedelta(days=arg) if arg > 0 else None
        done = await suspend_messaging(core.uow(), viewer, person_id=report.sender_id, until=until)
        await reply(query, views.suspended_done(done, t))
    elif action == "resume":
        person = await resume_messaging(core.uow(), viewer, person_id=ref)
        await reply(query, views.resumed(person.full_name, t))
    else:
        await reply(query, views.suspensions_screen(await suspensions(core.uow(), viewer), t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    linked = IsLinked()
    # First: a Telegram reply to a delivered mail message answers it, whatever dialog is open.
    router.message.register(telegram_reply, RepliesToMail(), linked)
    router.message.register(mail_command, Command("mail"), linked)
    router.callback_query.register(pressed, MailCb.filter(), linked)
    writing = (MailStates.compose, linked)
    router.message.register(draft_text, *writing, F.text, ~F.text.startswith("/"))
    router.message.register(draft_file, *writing, F.photo | F.document)
    router.message.register(other_content, *writing, ~F.text)
    answering = (MailStates.answer, linked)
    router.message.register(answer_message, *answering, F.text, ~F.text.startswith("/"))
    router.message.register(answer_message, *answering, F.photo | F.document)
    router.message.register(other_content, *answering, ~F.text)
    router.message.register(
        report_reason_sent, MailStates.report, linked, F.text, ~F.text.startswith("/")
    )
    return router
