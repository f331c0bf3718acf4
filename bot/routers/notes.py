"""Owns absence notes in chat: /absent and a parent's notes; /notes for the class teacher.

A parent reports: child (if several) → days (today, tomorrow, both, or picked) → reason →
a few words for "other" → optionally a photo or PDF of a doctor's note ("Skip") → summary →
Submit. The draft waits in the FSM data (ids, dates and a Telegram file id, never bytes); the
file is downloaded only at Submit. "My notes" lists statuses; a waiting note can be withdrawn.

The class teacher (and managers): /notes → the class (if several) → the queue, oldest first →
a note (Approve / Reject, the reason asked as text) or a pupil's day without a note (Justify,
the reason asked as text / Keep unjustified); Summary: week, month or semester per pupil with
⚠️ over the school's threshold. Every button is untrusted: core authorizes each call.

The FSM-state file handler must run before the timetable router's document upload: this
router stands before it in ``bot/routers/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import AbsenceDayCb, NoteCb, NoteFormCb, NotesQueueCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply, send_document
from bot.views import notes as views
from bot.views.common import Screen
from bot.views.people import manages
from core.domain.attendance import NoteReason
from core.errors import InvalidInput
from core.services.absence_notes import (
    MAX_ATTACHMENT_BYTES,
    MAX_TEXT,
    NoteAttachment,
    NoteForm,
    absence_day,
    absence_note,
    check_note_dates,
    class_attendance_summary,
    class_queue,
    decide_note,
    justify_day,
    note_attachment,
    note_form,
    pupil_notes,
    queue_overview,
    submit_note,
    withdraw_note,
)
from core.services.accounts import Identity

DRAFT = "note_draft"  # FSM data: the parent's report in progress
DECIDING = "note_deciding"  # FSM data: what the class teacher's reason text is for
FILE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
FILE_REFUSALS = frozenset({"note.attachment_type", "note.attachment_too_big"})


class NoteStates(StatesGroup):
    """The questions answered by sending something rather than pressing a button."""

    reason_text = State()  # the words for the reason "other"
    attachment = State()  # a photo or PDF, or "Skip"
    confirm = State()  # the summary is shown
    reject_reason = State()  # why the class teacher rejects a note
    justify_reason = State()  # why the class teacher justifies a day's absences


# ---------------------------------------------------------------- the parent's report


async def absent_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """Whose absence: the only child, a picker, or (where the school allows) the pupil."""
    viewer = identity.viewer
    children = [c for c in family if c.pupil_id not in viewer.read_only_children]
    if len(children) > 1:
        await reply(message, views.pick_child(children, t))
    elif children:
        await _start(message, children[0].pupil_id, identity, core, t=t, state=state)
    elif viewer.is_pupil:  # core answers whether this school lets pupils report
        await _start(message, identity.person.id, identity, core, t=t, state=state)
    else:
        await reply(message, views.no_children(t))


@dataclass(frozen=True, slots=True)
class _Chat:
    """What a step of the report works with."""

    identity: Identity
    core: JournalCore
    t: Translator
    state: FSMContext
    bot: Bot

    async def form(self, draft: dict[str, Any]) -> NoteForm:
        """The pupil's form again (core re-checks that the person may report for them)."""
        return await note_form(self.core.uow(), self.identity.viewer, pupil_id=_pupil(draft))


async def form_pressed(
    query: CallbackQuery,
    *,
    callback_data: NoteFormCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """One step of the report; a step without its draft (restarted bot, old button) expired."""
    step, value = callback_data.step, callback_data.value
    if step == "child":
        await _start(query, value, identity, core, t=t, state=state)
        return
    if step == "list":
        result = await pupil_notes(core.uow(), identity.viewer, value)
        await reply(query, views.pupil_notes_screen(result, t))
        return
    draft: dict[str, Any] | None = (await state.get_data()).get(DRAFT)
    needs = _NEEDS.get(step, ())
    if not draft or any(key not in draft for key in needs):
        await reply(query, views.form_expired(t))
        return
    chat = _Chat(identity, core, t, state, bot)
    screen = await _STEPS[step](chat, draft, value)
    await reply(query, screen or views.form_expired(t))


async def _pick(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    """The first day's buttons."""
    return views.start_picker(await chat.form(draft), chat.t)


async def _first_day(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    """The first day is chosen: the last day's buttons."""
    starts_on = _day(value)
    if starts_on is None:
        return None
    await _save(chat.state, draft, start=starts_on.toordinal())
    return views.end_picker(await chat.form(draft), starts_on, chat.t)


async def _days(chat: _Chat, draft: dict[str, Any], value: int, *, last: bool) -> Screen | None:
    """The days are chosen (today / tomorrow / both, or the picked last day): check, ask why."""
    if last:
        starts_on, ends_on = _day(int(draft.get("start", 0))), _day(value)
    elif value in {views.TODAY, views.TOMORROW, views.BOTH}:
        today = (await chat.form(draft)).today
        tomorrow = today + timedelta(days=1)
        starts_on = tomorrow if value == views.TOMORROW else today
        ends_on = today if value == views.TODAY else tomorrow
    else:
        return None
    if starts_on is None or ends_on is None:
        return None
    await check_note_dates(
        chat.core.uow(),
        chat.identity.viewer,
        pupil_id=_pupil(draft),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    await _save(chat.state, draft, start=starts_on.toordinal(), end=ends_on.toordinal())
    return views.reason_screen(str(draft["name"]), starts_on, ends_on, chat.t)


async def _when(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    return await _days(chat, draft, value, last=False)


async def _last_day(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    return await _days(chat, draft, value, last=True)


async def _reason(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    """The reason is chosen: words for "other", else the optional attachment."""
    if not 0 <= value < len(views.REASONS):
        return None
    reason = views.REASONS[value]
    await _save(chat.state, draft, reason=reason.value, text=None, file=None)
    if reason is NoteReason.OTHER:
        await chat.state.set_state(NoteStates.reason_text)
        return views.ask_reason_text(chat.t)
    await chat.state.set_state(NoteStates.attachment)
    return views.ask_attachment(chat.t)


async def _skip(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    """No attachment: the summary."""
    await _save(chat.state, draft, file=None)
    await chat.state.set_state(NoteStates.confirm)
    return views.summary_screen(_draft(draft), chat.t)


async def _submit(chat: _Chat, draft: dict[str, Any], value: int) -> Screen | None:
    """Forget the draft (a second tap finds none), download the attachment, submit."""
    state, t = chat.state, chat.t
    await state.set_state(None)
    await state.update_data({DRAFT: None})
    chosen = _draft(draft)
    try:
        attachment = None
        file = draft.get("file")
        if file:
            downloaded = await chat.bot.download(str(file["id"]))
            content = downloaded.read() if downloaded is not None else b""
            attachment = NoteAttachment(str(file["name"]), content)
        result = await submit_note(
            chat.core.uow(),
            chat.identity.viewer,
            pupil_id=chosen.pupil_id,
            starts_on=chosen.starts_on,
            ends_on=chosen.ends_on,
            reason=chosen.reason,
            reason_text=chosen.reason_text,
            attachment=attachment,
        )
    except InvalidInput as error:
        if error.key not in FILE_REFUSALS:
            await _restore(state, draft)
            raise
        await _restore(state, {**draft, "file": None}, NoteStates.attachment)
        return views.ask_attachment(t, refusal=t(error.key, **error.params))
    except Exception:
        await _restore(state, draft)
        raise
    await state.clear()
    return views.submitted_screen(result, t)


_Step = Callable[[_Chat, dict[str, Any], int], Awaitable[Screen | None]]
_STEPS: dict[str, _Step] = {
    "pick": _pick,
    "from": _first_day,
    "when": _when,
    "to": _last_day,
    "reason": _reason,
    "skip": _skip,
    "submit": _submit,
}
# What the draft must hold before a step (an older button of the same dialog otherwise).
_NEEDS: dict[str, tuple[str, ...]] = {
    "reason": ("end",),
    "skip": ("end", "reason"),
    "submit": ("end", "reason"),
}


async def reason_written(message: Message, *, t: Translator, state: FSMContext) -> None:
    """The words for "other"; then the optional attachment."""
    text = " ".join((message.text or "").split())
    draft = (await state.get_data()).get(DRAFT)
    if not draft:
        await state.clear()
        await reply(message, views.form_expired(t))
        return
    if not text:
        await reply(message, views.ask_reason_text(t))
        return
    if len(text) > MAX_TEXT:
        await reply(message, Screen(t("note.text_too_long", max=MAX_TEXT)))
        return
    await _save(state, draft, text=text)
    await state.set_state(NoteStates.attachment)
    await reply(message, views.ask_attachment(t))


async def attachment_sent(message: Message, *, t: Translator, state: FSMContext) -> None:
    """A photo, or a document that is a photo or a PDF; then the summary."""
    draft = (await state.get_data()).get(DRAFT)
    if not draft:
        await state.clear()
        await reply(message, views.form_expired(t))
        return
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram keeps
        file = {"id": photo.file_id, "name": "photo.jpg", "kind": "photo"}
        size = photo.file_size or 0
    elif message.document is not None:
        document = message.document
        mime_type = (document.mime_type or "").lower()
        if mime_type not in FILE_TYPES:
            await reply(message, Screen(t("note.attachment_type")))
            return
        name = document.file_name or f"attachment.{FILE_TYPES[mime_type]}"
        file = {"id": document.file_id, "name": name, "kind": "document"}
        size = document.file_size or 0
    else:  # pragma: no cover - the filter lets photos and documents only
        return
    if size > MAX_ATTACHMENT_BYTES:
        await reply(message, Screen(t("note.attachment_too_big", max=_megabytes())))
        return
    await _save(state, draft, file=file)
    await state.set_state(NoteStates.confirm)
    await reply(message, views.summary_screen(_draft(draft), t))


async def attachment_expected(message: Message, *, t: Translator) -> None:
    """Text while a photo was asked for: ask again (Skip is a button)."""
    await reply(message, views.ask_attachment(t))


async def _start(
    event: Message | CallbackQuery,
    pupil_id: int,
    identity: Identity,
    core: JournalCore,
    *,
    t: Translator,
    state: FSMContext,
) -> None:
    """A fresh draft for the pupil (core refuses pupils the person may not report for)."""
    form = await note_form(core.uow(), identity.viewer, pupil_id=pupil_id)
    pupil = form.pupil
    name = f"{pupil.full_name} ({pupil.class_name})" if pupil.class_name else pupil.full_name
    await state.set_state(None)
    await state.update_data({DRAFT: {"pupil": pupil.pupil_id, "name": name}})
    await reply(event, views.dates_screen(form, t))


# ---------------------------------------------------------------- notes of one pupil


async def note_pressed(
    query: CallbackQuery,
    *,
    callback_data: NoteCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """Open, decide, show the attachment of, or withdraw a note (core decides who may)."""
    viewer, note_id = identity.viewer, callback_data.note_id
    action = callback_data.action
    if action == "open":
        detail = await absence_note(core.uow(), viewer, note_id=note_id)
        await reply(query, views.note_screen(detail, t))
    elif action == "approve":
        decided = await decide_note(core.uow(), viewer, note_id=note_id, approve=True)
        await reply(query, views.decided_screen(decided, t))
    elif action == "reject":
        detail = await absence_note(core.uow(), viewer, note_id=note_id)
        if not detail.may_decide:
            await reply(query, Screen(t("note.already_decided")))
            return
        await state.set_state(NoteStates.reject_reason)
        await state.update_data({DECIDING: {"note": note_id}})
        await reply(query, views.ask_rejection_reason(t))
    elif action == "file":
        stored = await note_attachment(core.uow(), viewer, note_id=note_id)
        await send_document(query, stored.content, stored.filename, t("notes.file_caption"))
    elif action == "ask_withdraw":
        await reply(query, views.confirm_withdraw(note_id, t))
    else:
        note = await withdraw_note(core.uow(), viewer, note_id=note_id)
        await reply(query, views.withdrawn(note, t))


# ---------------------------------------------------------------- the class teacher


async def notes_command(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """The queue of the viewer's one class, or their classes with counts."""
    await _overview(message, identity, core, t)


async def queue_pressed(
    query: CallbackQuery,
    *,
    callback_data: NotesQueueCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """The classes (class 0), a class's queue, or its summary from a day (0: the semester)."""
    class_id = callback_data.class_id
    if callback_data.view == "queue" and class_id == 0:
        await _overview(query, identity, core, t)
    elif callback_data.view == "queue":
        queue = await class_queue(core.uow(), identity.viewer, class_id=class_id)
        await reply(query, views.queue_screen(queue, t, several=_several(identity)))
    else:
        start = _day(callback_data.day) if callback_data.day else None
        summary = await class_attendance_summary(
            core.uow(), identity.viewer, class_id=class_id, start=start
        )
        await reply(query, views.class_summary_screen(summary, t))


async def day_pressed(
    query: CallbackQuery,
    *,
    callback_data: AbsenceDayCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A pupil's day without a note: open it, ask why to justify it, or keep it unjustified."""
    on = _day(callback_data.day)
    if on is None:
        await reply(query, Screen(t("fallback.stale_button")))
        return
    viewer, pupil_id = identity.viewer, callback_data.pupil_id
    if callback_data.action == "keep":
        done = await justify_day(core.uow(), viewer, pupil_id=pupil_id, on=on, justified=False)
        await reply(query, views.justified_screen(done, t))
        return
    day = await absence_day(core.uow(), viewer, pupil_id=pupil_id, on=on)
    if callback_data.action == "open" or not day.absences:
        await reply(query, views.day_screen(day, t))
        return
    await state.set_state(NoteStates.justify_reason)
    await state.update_data({DECIDING: {"pupil": pupil_id, "day": on.toordinal()}})
    await reply(query, views.ask_justify_reason(t))


async def decision_reason_written(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The reason for a rejection or a justification arrived: decide."""
    text = " ".join((message.text or "").split())
    current = await state.get_state()
    rejecting = current == NoteStates.reject_reason.state
    if not text:
        ask = views.ask_rejection_reason(t) if rejecting else views.ask_justify_reason(t)
        await reply(message, ask)
        return
    if len(text) > MAX_TEXT:
        await reply(message, Screen(t("note.text_too_long", max=MAX_TEXT)))
        return
    deciding = (await state.get_data()).get(DECIDING) or {}
    await state.set_state(None)
    await state.update_data({DECIDING: None})
    viewer = identity.viewer
    if rejecting and "note" in deciding:
        decided = await decide_note(
            core.uow(), viewer, note_id=int(deciding["note"]), approve=False, reason=text
        )
        await reply(message, views.decided_screen(decided, t))
        return
    on = _day(int(deciding.get("day", 0)))
    if on is None or "pupil" not in deciding:
        await reply(message, views.form_expired(t))
        return
    done = await justify_day(
        core.uow(), viewer, pupil_id=int(deciding["pupil"]), on=on, justified=True, reason=text
    )
    await reply(message, views.justified_screen(done, t))


async def _overview(
    event: Message | CallbackQuery, identity: Identity, core: JournalCore, t: Translator
) -> None:
    counts = await queue_overview(core.uow(), identity.viewer)
    if len(counts) == 1:
        queue = await class_queue(core.uow(), identity.viewer, class_id=counts[0].class_id)
        await reply(event, views.queue_screen(queue, t, several=False))
        return
    await reply(event, views.overview_screen(counts, t))


# ---------------------------------------------------------------- helpers


def _several(identity: Identity) -> bool:
    """Whether the viewer answers for more than one class (UX only: the "classes" button)."""
    viewer = identity.viewer
    return manages(viewer) or len(viewer.class_teacher_of) > 1


def _day(ordinal: int) -> date | None:
    """The date of an ordinal from a button, or None when it is no date."""
    try:
        return date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        return None


def _pupil(draft: dict[str, Any]) -> int:
    return int(draft["pupil"])


def _draft(draft: dict[str, Any]) -> views.NoteDraft:
    file = draft.get("file")
    return views.NoteDraft(
        pupil_id=int(draft["pupil"]),
        name=str(draft["name"]),
        starts_on=date.fromordinal(int(draft["start"])),
        ends_on=date.fromordinal(int(draft["end"])),
        reason=str(draft["reason"]),
        reason_text=draft.get("text"),
        attachment=str(file["kind"]) if file else None,
    )


async def _save(state: FSMContext, draft: dict[str, Any], **changes: Any) -> None:
    draft.update(changes)
    await state.update_data({DRAFT: draft})


async def _restore(
    state: FSMContext, draft: dict[str, Any], step: State = NoteStates.confirm
) -> None:
    await state.update_data({DRAFT: draft})
    await state.set_state(step)


def _megabytes() -> int:
    return MAX_ATTACHMENT_BYTES // (1024 * 1024)


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    linked = IsLinked()
    router.message.register(absent_command, Command("absent"), linked)
    router.message.register(notes_command, Command("notes"), linked)
    router.callback_query.register(form_pressed, NoteFormCb.filter(), linked)
    router.callback_query.register(note_pressed, NoteCb.filter(), linked)
    router.callback_query.register(queue_pressed, NotesQueueCb.filter(), linked)
    router.callback_query.register(day_pressed, AbsenceDayCb.filter(), linked)
    text = (F.text, ~F.text.startswith("/"), linked)
    router.message.register(reason_written, NoteStates.reason_text, *text)
    router.message.register(attachment_sent, NoteStates.attachment, F.photo | F.document, linked)
    router.message.register(attachment_expected, NoteStates.attachment, *text)
    router.message.register(decision_reason_written, NoteStates.reject_reason, *text)
    router.message.register(decision_reason_written, NoteStates.justify_reason, *text)
    return router
