"""Owns a teacher's grades: /grades, a group's assessments, a new assessment, entering marks.

A new assessment asks for its title (FSM state ``GradeStates.title``: the group and the day
wait in the state data), then its kind (buttons); the scale follows the school's rules and is
only shown. Marks go in one message (``1 8``, ``Bērziņš 7``; ``core.domain.mark_entry``) while
the assessment is open (``GradeStates.entry``: every plain text is its marks, a correction is
the same line again), or pupil by pupil on a value keyboard that edits its own message and moves
on by itself. After saving, the teacher sees a summary and when parents will hear of it (the
notifications engine waits ``[notifications] mark_grace_minutes``, composed into the dispatcher
as ``mark_grace_minutes``). An open entry closes after ``ENTRY_IDLE`` without use, so that a
stray message days later is not taken for marks.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import AssessmentCb, GradeKindCb, GradesCb, MarkKeyCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import grades as views
from bot.views.common import Screen
from core.domain.marks import MarkKind
from core.services.accounts import Identity
from core.services.marks import (
    MAX_TITLE,
    AssessmentSheet,
    MarkLinesInvalid,
    assessment_sheet,
    create_assessment,
    group_assessments,
    record_mark_lines,
    record_pupil_mark,
    taught_groups,
)

ENTRY_IDLE = timedelta(hours=1)
MOVES = frozenset({"skip", "back", "done"})


class GradeStates(StatesGroup):
    """``title``: a new assessment's title is awaited; ``entry``: texts are marks."""

    title = State()
    entry = State()


# ---------------------------------------------------------------- entry points


async def grades_command(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """The teacher's groups; with only one, its recent assessments straight away."""
    await _leave(state)
    groups = await taught_groups(core.uow(), identity.viewer)
    if not groups:
        await reply(message, views.no_groups(t))
    elif len(groups) == 1:
        listing = await group_assessments(core.uow(), identity.viewer, group_id=groups[0].group_id)
        await reply(message, views.group_screen(listing, t))
    else:
        await reply(message, views.groups_screen(groups, t))


async def start_grades(
    event: CallbackQuery,
    *,
    group_id: int,
    on: date,
    period: int,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A lesson's "Grades": the group's assessments of that day and "New assessment" (dated so).

    ``period`` is the lesson's period, named in the heading. Core checks that the person
    pressing teaches the group.
    """
    await _leave(state)
    listing = await group_assessments(core.uow(), identity.viewer, group_id=group_id, on=on)
    await reply(event, views.group_screen(listing, t, period=period))


async def grades_button(
    query: CallbackQuery,
    *,
    callback_data: GradesCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A group's assessments (of a day, or recent), or "New assessment": ask for its title."""
    on = _day(callback_data.day)
    if callback_data.action == "group":
        await _leave(state)
        listing = await group_assessments(
            core.uow(), identity.viewer, group_id=callback_data.group_id, on=on
        )
        await reply(query, views.group_screen(listing, t))
        return
    listing = await group_assessments(
        core.uow(), identity.viewer, group_id=callback_data.group_id, on=on, limit=1
    )
    when = on or listing.today
    await state.set_state(GradeStates.title)
    await state.set_data({"group_id": listing.group.id, "day": when.toordinal()})
    await reply(query, views.ask_title(listing, when, t))


async def titled(message: Message, *, t: Translator, state: FSMContext) -> None:
    """The new assessment's title arrived: ask for its kind (nothing is written yet)."""
    data = await state.get_data()
    group_id, ordinal = _int(data, "group_id"), _int(data, "day")
    title = " ".join((message.text or "").split())
    if group_id is None or ordinal is None:
        await state.clear()
        await reply(message, views.step_expired(t))
        return
    if not title or len(title) > MAX_TITLE:
        await reply(message, Screen(t("assessment.title_invalid", max=MAX_TITLE)))
        return
    await state.update_data(title=title)
    await reply(message, views.ask_kind(title, group_id, date.fromordinal(ordinal), t))


async def kind_button(
    query: CallbackQuery,
    *,
    callback_data: GradeKindCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The kind completes the new assessment: create it and open its entry."""
    data = await state.get_data()
    group_id, ordinal = _int(data, "group_id"), _int(data, "day")
    title = data.get("title")
    if (
        await state.get_state() != GradeStates.title.state
        or group_id is None
        or ordinal is None
        or not isinstance(title, str)
    ):
        await reply(query, views.step_expired(t))
        return
    created = await create_assessment(
        core.uow(),
        identity.viewer,
        group_id=group_id,
        on=date.fromordinal(ordinal),
        title=title,
        kind=MarkKind(callback_data.kind),
    )
    sheet = await assessment_sheet(core.uow(), identity.viewer, assessment_id=created.id)
    await _enter(state, sheet, core)
    await reply(query, views.entry_screen(sheet, t))


async def assessment_button(
    query: CallbackQuery,
    *,
    callback_data: AssessmentCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """An assessment's entry screen, value keyboard or summary; texts become its marks.

    The keyboard starts at the first pupil without a mark.
    """
    sheet = await assessment_sheet(
        core.uow(), identity.viewer, assessment_id=callback_data.assessment_id
    )
    await _enter(state, sheet, core)
    if callback_data.view == "keys" and sheet.rows:
        missing = {pupil.pupil_id for pupil in sheet.missing}
        first = next((i for i, r in enumerate(sheet.rows) if r.pupil.pupil_id in missing), 0)
        await reply(query, views.key_screen(sheet, first, t))
    elif callback_data.view == "summary":
        await reply(query, views.summary_screen(sheet, t))
    else:
        await reply(query, views.entry_screen(sheet, t))


# ---------------------------------------------------------------- entering marks


async def marks_text(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    mark_grace_minutes: float | None = None,
) -> None:
    """Marks in one message: all saved and the summary, or nothing saved and every bad line."""
    data = await state.get_data()
    assessment_id = _int(data, "assessment_id")
    if assessment_id is None or _idle(data, core):
        await state.clear()
        await reply(message, views.entry_closed(str(data.get("title", "")), t))
        return
    await state.update_data(touched=_now(core))
    try:
        result = await record_mark_lines(
            core.uow(), identity.viewer, assessment_id=assessment_id, text=message.text or ""
        )
    except MarkLinesInvalid as refused:
        await reply(message, views.lines_refused(refused, t))
        return
    screen = views.summary_screen(
        result.sheet, t, changed=result.changed, grace_minutes=mark_grace_minutes
    )
    await reply(message, screen)


async def key_pressed(
    query: CallbackQuery,
    *,
    callback_data: MarkKeyCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    mark_grace_minutes: float | None = None,
) -> None:
    """A value for the pupil the keyboard showed (then the next pupil), or skip, back, done.

    The keyboard's message is edited in place; after the last pupil, or on "done", it becomes
    the summary.
    """
    key, pupil_id = callback_data.key, callback_data.pupil_id
    if key in MOVES:
        sheet = await assessment_sheet(
            core.uow(), identity.viewer, assessment_id=callback_data.assessment_id
        )
        changed = False
    else:
        saved = await record_pupil_mark(
            core.uow(),
            identity.viewer,
            assessment_id=callback_data.assessment_id,
            pupil_id=pupil_id,
            value=key,
        )
        sheet, changed = saved.sheet, saved.changed
    data = await state.get_data()
    before = _int(data, "keyed") if _int(data, "assessment_id") == sheet.assessment.id else None
    keyed = (before or 0) + (1 if changed else 0)
    await _enter(state, sheet, core, keyed=keyed)
    position = sheet.position(pupil_id)
    if key == "done" or not sheet.rows:
        target = None
    elif position is None:
        target = 0
    elif key == "back":
        target = max(position - 1, 0)
    else:
        target = position + 1 if position + 1 < len(sheet.rows) else None
    if target is None:
        screen = views.summary_screen(
            sheet, t, changed=keyed or None, grace_minutes=mark_grace_minutes
        )
    else:
        screen = views.key_screen(sheet, target, t)
    await show(query, screen)


async def show(query: CallbackQuery, screen: Screen) -> None:
    """Replace the pressed button's message with the screen (a new message if it cannot be)."""
    message = query.message
    markup = screen.keyboard
    if isinstance(message, Message) and (
        markup is None or isinstance(markup, InlineKeyboardMarkup)
    ):
        try:
            await message.edit_text(screen.text, reply_markup=markup)
        except TelegramBadRequest as exc:  # too old to edit or deleted: send it instead
            if "not modified" in exc.message:
                return
        else:
            return
    await reply(query, screen)


# ---------------------------------------------------------------- the FSM state


async def _enter(
    state: FSMContext, sheet: AssessmentSheet, core: JournalCore, keyed: int = 0
) -> None:
    """Texts are now marks of this assessment (the title names it if the entry closes)."""
    await state.set_state(GradeStates.entry)
    await state.set_data(
        {
            "assessment_id": sheet.assessment.id,
            "title": sheet.assessment.title,
            "touched": _now(core),
            "keyed": keyed,
        }
    )


async def _leave(state: FSMContext) -> None:
    """Close a grades question or entry (other features' questions are left alone)."""
    if await state.get_state() in (GradeStates.title.state, GradeStates.entry.state):
        await state.clear()


def _now(core: JournalCore) -> float:
    return core.clock.now().timestamp()


def _idle(data: dict[str, Any], core: JournalCore) -> bool:
    touched = data.get("touched")
    if not isinstance(touched, int | float):
        return True
    return _now(core) - touched > ENTRY_IDLE.total_seconds()


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _day(ordinal: int) -> date | None:
    return date.fromordinal(ordinal) if 1 <= ordinal <= date.max.toordinal() else None


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(grades_command, Command("grades"), IsLinked())
    router.callback_query.register(grades_button, GradesCb.filter(), IsLinked())
    router.callback_query.register(kind_button, GradeKindCb.filter(), IsLinked())
    router.callback_query.register(assessment_button, AssessmentCb.filter(), IsLinked())
    router.callback_query.register(key_pressed, MarkKeyCb.filter(), IsLinked())
    plain = (F.text, ~F.text.startswith("/"), IsLinked())
    router.message.register(titled, GradeStates.title, *plain)
    router.message.register(marks_text, GradeStates.entry, *plain)
    return router
