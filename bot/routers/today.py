"""Owns /today: a teacher's day, the lesson card, topic, homework, attendance, who taught it.

Every step names its lesson by (group, date, period) in the button, or keeps it in the chat's
FSM data behind a short token; core checks on every call that the person may write that
lesson (the group's teacher, or the substitute of that very lesson). The unsaved roster lives in
the FSM data: a tap changes only the data and the keyboard, "Save" writes the whole roster in
one transaction, so quick taps cannot lose each other: the dispatcher handles one chat's updates
one after another (its event isolation, across processes too when they share Redis).

The photo and document handlers answer only in the homework state: this router comes before
the timetable upload, which takes every other document.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import HomeworkCb, LessonCb, RosterCb, SubstituteCb, TodayCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.routers.grades import start_grades
from bot.views import today as views
from bot.views.common import Screen, esc
from core.domain.attendance import next_attendance_code
from core.errors import NotFound
from core.services.accounts import Identity
from core.services.teacher_day import (
    MAX_FILE_BYTES,
    LessonCard,
    attach_homework_file,
    image_type,
    lesson_card,
    record_substitute,
    save_attendance,
    set_homework,
    set_homework_due,
    set_topic,
    substitute_options,
    teacher_day,
)


class TodayStates(StatesGroup):
    """Waiting for a lesson's topic, or for its homework (text, photos, documents)."""

    topic = State()
    homework = State()


# ---------------------------------------------------------------- the day


async def today_command(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """Today's lessons (a half-finished topic or homework question is dropped)."""
    await _leave_question(state)
    day = await teacher_day(core.uow(), identity.viewer)
    await reply(message, views.day_screen(day, t))


async def day_button(
    query: CallbackQuery,
    *,
    callback_data: TodayCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """Another day of the week (0: today)."""
    await _leave_question(state)
    on = _day(callback_data.day)
    day = await teacher_day(core.uow(), identity.viewer, on=on)
    await reply(query, views.day_screen(day, t))


def _day(ordinal: int) -> date | None:
    return date.fromordinal(ordinal) if 1 <= ordinal <= date.max.toordinal() else None


async def _leave_question(state: FSMContext) -> None:
    """Forget a pending topic or homework question (the roster stays until saved or replaced)."""
    if await state.get_state() in (TodayStates.topic.state, TodayStates.homework.state):
        await state.set_state(None)


# ---------------------------------------------------------------- the lesson card


def _lesson(group_id: int, slot: int) -> tuple[int, date, int]:
    unpacked = views.unpack_slot(slot)
    if unpacked is None:
        raise NotFound("lesson.not_found")
    return group_id, unpacked[0], unpacked[1]


async def lesson_button(
    query: CallbackQuery,
    *,
    callback_data: LessonCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The card, or one of its steps: every step reads the card (core checks access) first."""
    group_id, on, period = _lesson(callback_data.group_id, callback_data.slot)
    action = callback_data.action
    await _leave_question(state)
    if action == "grades":  # the grades dialog (core checks that the person teaches the group)
        await start_grades(
            query,
            group_id=group_id,
            on=on,
            period=period,
            identity=identity,
            core=core,
            t=t,
            state=state,
        )
        return
    card = await lesson_card(core.uow(), identity.viewer, group_id=group_id, on=on, period=period)
    if action == "topic":
        await state.set_state(TodayStates.topic)
        await state.update_data(today_topic=[group_id, callback_data.slot])
        await reply(query, views.ask_topic(card, t))
    elif action == "homework":
        token = _token()
        await state.set_state(TodayStates.homework)
        await state.update_data(
            today_homework={"group": group_id, "slot": callback_data.slot, "token": token}
        )
        await reply(query, views.ask_homework(card, token, t))
    elif action == "attendance":
        roster = _new_roster(card, callback_data.slot, t)
        await state.update_data(today_roster=_roster_data(roster))
        await reply(query, views.roster_screen(roster, t))
    elif action == "subst":
        colleagues = await substitute_options(
            core.uow(), identity.viewer, group_id=group_id, on=on, period=period
        )
        token = _token()
        await state.update_data(
            today_subst={"group": group_id, "slot": callback_data.slot, "token": token}
        )
        await reply(query, views.substitute_picker(card, colleagues, token, t))
    else:
        await reply(query, _card(card, t))


def _card(card: LessonCard, t: Translator, note: str | None = None) -> Screen:
    return views.card_screen(card, t, note=note)


def _token() -> int:
    return secrets.randbelow(2**31 - 1) + 1


# ---------------------------------------------------------------- topic


async def topic_text(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """The topic arrived: save it and show the card."""
    lesson = (await state.get_data()).get("today_topic")
    await state.set_state(None)
    if not lesson:
        await reply(message, views.simple("today.expired", t))
        return
    group_id, on, period = _lesson(*lesson)
    card = await set_topic(
        core.uow(),
        identity.viewer,
        group_id=group_id,
        on=on,
        period=period,
        topic=message.text or "",
    )
    await reply(message, _card(card, t, note=t("today.topic.saved")))


# ---------------------------------------------------------------- homework


async def homework_text(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """The homework text, saved at once (due at the next lesson unless chosen); files follow."""
    homework = await _homework_context(state)
    if homework is None:
        await reply(message, views.simple("today.expired", t))
        return
    group_id, on, period = _lesson(homework["group"], homework["slot"])
    card = await set_homework(
        core.uow(),
        identity.viewer,
        group_id=group_id,
        on=on,
        period=period,
        homework=message.text or "",
    )
    note = t("today.homework.saved")
    await reply(message, views.homework_saved(card, homework["token"], t, note=note))


async def homework_file(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A photo or document of the homework: attached; its caption becomes the homework text."""
    homework = await _homework_context(state)
    if homework is None:
        await reply(message, views.simple("today.expired", t))
        return
    group_id, on, period = _lesson(homework["group"], homework["slot"])
    upload = _upload(message)
    if upload is None:  # pragma: no cover - the filter lets photos and documents only
        return
    file_id, filename, mime, size = upload
    if size > MAX_FILE_BYTES:
        await reply(
            message,
            views.simple("teacher_day.file_too_big", t, max_mb=MAX_FILE_BYTES // (1024 * 1024)),
        )
        return
    downloaded = await bot.download(file_id)
    data = downloaded.read() if downloaded is not None else b""
    if message.photo:  # Telegram sends photos as JPEG; a local Bot API may keep the original
        mime = image_type(data) or mime
    stored = await attach_homework_file(
        core.uow(),
        identity.viewer,
        group_id=group_id,
        on=on,
        period=period,
        filename=filename,
        mime=mime,
        data=data,
    )
    caption = (message.caption or "").strip()
    if caption:
        card = await set_homework(
            core.uow(), identity.viewer, group_id=group_id, on=on, period=period, homework=caption
        )
    else:
        card = await lesson_card(
            core.uow(), identity.viewer, group_id=group_id, on=on, period=period
        )
    note = t("today.homework.attached", name=esc(stored.filename), count=len(card.files))
    if caption:
        note = t("today.homework.saved") + "\n" + note
    await reply(message, views.homework_saved(card, homework["token"], t, note=note))


async def _homework_context(state: FSMContext) -> dict[str, int] | None:
    """The homework dialog's lesson and token; None (and the question closed) when it is gone."""
    homework = (await state.get_data()).get("today_homework")
    if not homework:
        await state.set_state(None)
        return None
    return {key: int(value) for key, value in homework.items()}


def _upload(message: Message) -> tuple[str, str, str, int] | None:
    """(file id, file name, type, size) of the photo (its largest size) or the document."""
    if message.photo:
        photo = message.photo[-1]
        name = f"foto-{message.message_id}.jpg"
        return photo.file_id, name, "image/jpeg", photo.file_size or 0
    document = message.document
    if document is None:
        return None
    name = document.file_name or "fails"
    mime = document.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return document.file_id, name, mime, document.file_size or 0


async def homework_other(message: Message, *, t: Translator) -> None:
    """Something else in the homework dialog (a sticker, a voice message)."""
    await reply(message, views.simple("today.homework.unsupported", t))


async def homework_button(
    query: CallbackQuery,
    *,
    callback_data: HomeworkCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A due date, or Done (back to the card)."""
    homework = (await state.get_data()).get("today_homework") or {}
    if homework.get("token") != callback_data.token:
        await reply(query, views.simple("today.expired", t))
        return
    group_id, on, period = _lesson(homework["group"], homework["slot"])
    if callback_data.action == "done":
        await state.set_state(None)
        await state.update_data(today_homework=None)
        card = await lesson_card(
            core.uow(), identity.viewer, group_id=group_id, on=on, period=period
        )
        await reply(query, _card(card, t))
        return
    due = _day(callback_data.day)
    if due is None:
        raise NotFound("lesson.not_found")
    card = await set_homework_due(
        core.uow(), identity.viewer, group_id=group_id, on=on, period=period, due_on=due
    )
    note = t("today.homework.due_saved")
    await reply(query, views.homework_saved(card, homework["token"], t, note=note))


# ---------------------------------------------------------------- the roster


def _new_roster(card: LessonCard, slot: int, t: Translator) -> views.RosterView:
    return views.RosterView(
        token=_token(),
        group_id=card.lesson.group_id,
        slot=slot,
        title=views.lesson_heading(card.lesson, t),
        pupils=tuple((e.pupil_id, f"{e.number}. {e.short_name}") for e in card.roster),
        codes=card.absent,
        cycle=card.cycle,
        icons=views.roster_icons(card.codes, card.cycle),
    )


def _roster_data(roster: views.RosterView) -> dict[str, Any]:
    """The roster as JSON-ready FSM data (string keys, lists)."""
    return {
        "token": roster.token,
        "group": roster.group_id,
        "slot": roster.slot,
        "title": roster.title,
        "pupils": [[pupil_id, label] for pupil_id, label in roster.pupils],
        "codes": {str(pupil_id): code for pupil_id, code in roster.codes.items()},
        "cycle": list(roster.cycle),
        "icons": dict(roster.icons),
    }


def _roster_view(data: Mapping[str, Any]) -> views.RosterView:
    return views.RosterView(
        token=int(data["token"]),
        group_id=int(data["group"]),
        slot=int(data["slot"]),
        title=str(data["title"]),
        pupils=tuple((int(p), str(label)) for p, label in data["pupils"]),
        codes={int(p): str(code) for p, code in data["codes"].items()},
        cycle=tuple(str(code) for code in data["cycle"]),
        icons={str(code): str(icon) for code, icon in data["icons"].items()},
    )


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)

    async def roster_button(
        query: CallbackQuery,
        *,
        callback_data: RosterCb,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
        bot: Bot,
    ) -> None:
        """A tap cycles a pupil's code (FSM data and keyboard only); Save or All present write."""
        data = (await state.get_data()).get("today_roster")
        if not data or data.get("token") != callback_data.token:
            await reply(query, views.simple("today.roster.expired", t))
            return
        roster = _roster_view(data)
        if callback_data.action == "tap":
            await _tap(
                query,
                bot=bot,
                state=state,
                roster=roster,
                pupil_id=callback_data.pupil_id,
                t=t,
            )
            return
        absent = {} if callback_data.action == "all" else dict(roster.codes)
        group_id, on, period = _lesson(roster.group_id, roster.slot)
        card = await save_attendance(
            core.uow(),
            identity.viewer,
            group_id=group_id,
            on=on,
            period=period,
            absent=absent,
        )
        await state.update_data(today_roster=None)
        note = t(
            "today.roster.saved",
            summary=views.attendance_summary(card.absent, card.codes, t),
        )
        await reply(query, _card(card, t, note=note))

    router.message.register(today_command, Command("today"), IsLinked())
    router.callback_query.register(day_button, TodayCb.filter(), IsLinked())
    router.callback_query.register(lesson_button, LessonCb.filter(), IsLinked())
    router.callback_query.register(roster_button, RosterCb.filter(), IsLinked())
    router.callback_query.register(homework_button, HomeworkCb.filter(), IsLinked())
    router.callback_query.register(substitute_button, SubstituteCb.filter(), IsLinked())
    router.message.register(
        topic_text, TodayStates.topic, F.text, ~F.text.startswith("/"), IsLinked()
    )
    router.message.register(
        homework_text, TodayStates.homework, F.text, ~F.text.startswith("/"), IsLinked()
    )
    router.message.register(homework_file, TodayStates.homework, F.photo | F.document, IsLinked())
    router.message.register(homework_other, TodayStates.homework, ~F.text, IsLinked())
    return router


async def _tap(
    query: CallbackQuery,
    *,
    bot: Bot,
    state: FSMContext,
    roster: views.RosterView,
    pupil_id: int,
    t: Translator,
) -> None:
    """One pupil's next code, in the FSM data and on the keyboard; nothing is written yet."""
    if pupil_id not in {pupil for pupil, _ in roster.pupils}:
        await reply(query, views.simple("today.roster.expired", t))
        return
    codes = dict(roster.codes)
    code = next_attendance_code(codes.get(pupil_id), roster.cycle)
    if code is None:
        codes.pop(pupil_id, None)
    else:
        codes[pupil_id] = code
    roster = replace(roster, codes=codes)
    await state.update_data(today_roster=_roster_data(roster))
    await _edit_keyboard(query, bot, views.roster_keyboard(roster, t))


# ---------------------------------------------------------------- who taught it


async def substitute_button(
    query: CallbackQuery,
    *,
    callback_data: SubstituteCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The colleague who taught the lesson (0: the teacher taught it after all)."""
    subst = (await state.get_data()).get("today_subst") or {}
    if subst.get("token") != callback_data.token:
        await reply(query, views.simple("today.expired", t))
        return
    group_id, on, period = _lesson(subst["group"], subst["slot"])
    teacher_id = callback_data.teacher_id or None
    card = await record_substitute(
        core.uow(), identity.viewer, group_id=group_id, on=on, period=period, teacher_id=teacher_id
    )
    await state.update_data(today_subst=None)
    note = (
        t("today.subst.saved", name=esc(card.taught_by))
        if card.taught_by
        else t("today.subst.cleared")
    )
    await reply(query, _card(card, t, note=note))


async def _edit_keyboard(query: CallbackQuery, bot: Bot, markup: InlineKeyboardMarkup) -> None:
    """Show the roster's new state in place (a vanished or unchanged message is no problem)."""
    message = query.message
    if message is None:
        return
    try:
        await bot.edit_message_reply_markup(
            chat_id=message.chat.id, message_id=message.message_id, reply_markup=markup
        )
    except TelegramBadRequest:
        return
