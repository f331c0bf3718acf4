"""Owns a teacher's semester and year marks: the periods, the proposals, confirming them.

Reached from a group's screen in /grades ("Semester/year marks"). The sheet lists each pupil
with the rules' proposal, what it rests on and the confirmed mark. "Confirm all" confirms every
open proposal; a message of ``1 8`` / ``Bērziņš 7`` lines (as for a test's marks) confirms or
corrects single pupils while the sheet is open (FSM state ``PeriodMarkStates.entry``, closed
after ``ENTRY_IDLE`` without use). Core checks the teacher on every call; nothing in a button
grants anything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import PeriodMarksCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.routers.grades import show
from bot.views import period_marks as views
from bot.views.grades import lines_refused
from core.services.accounts import Identity
from core.services.marks import MarkLinesInvalid
from core.services.period_marks import (
    PeriodMarkSheet,
    confirm_period_mark_lines,
    confirm_proposals,
    period_choices,
    propose_period_marks,
)

ENTRY_IDLE = timedelta(hours=1)


class PeriodMarkStates(StatesGroup):
    """``entry``: texts are period marks of the open sheet (group and term in the data)."""

    entry = State()


async def pressed(
    query: CallbackQuery,
    *,
    callback_data: PeriodMarksCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The periods, a period's sheet (texts become its marks), or "confirm all"."""
    group_id = callback_data.group_id
    term = callback_data.term or None
    if callback_data.action == "pick":
        await _leave(state)
        choices = await period_choices(core.uow(), identity.viewer, group_id=group_id)
        if len(choices.periods) == 1:
            only = choices.periods[0]
            sheet = await propose_period_marks(
                core.uow(), identity.viewer, group_id=group_id, term=only.term
            )
            await _enter(state, sheet, core)
            await reply(query, views.sheet_screen(sheet, t))
            return
        await reply(query, views.periods_screen(choices, t))
        return
    if callback_data.action == "all":
        saved = await confirm_proposals(core.uow(), identity.viewer, group_id=group_id, term=term)
        await _enter(state, saved.sheet, core)
        screen = views.sheet_screen(
            saved.sheet, t, changed=saved.changed, corrected=saved.corrected
        )
        await show(query, screen)
        return
    sheet = await propose_period_marks(core.uow(), identity.viewer, group_id=group_id, term=term)
    await _enter(state, sheet, core)
    await reply(query, views.sheet_screen(sheet, t))


async def marks_text(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """Period marks in one message: all saved and the sheet, or nothing and every bad line."""
    data = await state.get_data()
    group_id, term = _int(data, "group_id"), _int(data, "term")
    if group_id is None or term is None or _idle(data, core):
        await state.clear()
        await reply(message, views.entry_closed(t))
        return
    await state.update_data(touched=_now(core))
    try:
        saved = await confirm_period_mark_lines(
            core.uow(),
            identity.viewer,
            group_id=group_id,
            term=term or None,
            text=message.text or "",
        )
    except MarkLinesInvalid as refused:
        await reply(message, lines_refused(refused, t))
        return
    screen = views.sheet_screen(saved.sheet, t, changed=saved.changed, corrected=saved.corrected)
    await reply(message, screen)


async def _enter(state: FSMContext, sheet: PeriodMarkSheet, core: JournalCore) -> None:
    await state.set_state(PeriodMarkStates.entry)
    await state.set_data(
        {"group_id": sheet.group.id, "term": sheet.period.term or 0, "touched": _now(core)}
    )


async def _leave(state: FSMContext) -> None:
    if await state.get_state() == PeriodMarkStates.entry.state:
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


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.callback_query.register(pressed, PeriodMarksCb.filter(), IsLinked())
    router.message.register(
        marks_text, PeriodMarkStates.entry, F.text, ~F.text.startswith("/"), IsLinked()
    )
    return router
