"""Owns the marks screens: /marks (pick a child if several) and the marks of one pupil."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MarksCb, MarksSubjectCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply
from bot.views import marks as views
from core.services.accounts import Identity
from core.services.marks import pupil_marks


async def marks_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """A pupil's own marks, a single child's marks, or "which child?" for several."""
    pupil_id = await pupil_or_picker(message, identity, family, t, absences=False)
    if pupil_id is not None:
        await show(message, pupil_id, identity=identity, core=core, t=t)


async def marks_button(
    query: CallbackQuery,
    *,
    callback_data: MarksCb,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """The marks of the pupil on the button (core refuses pupils the person may not see)."""
    await show(query, callback_data.pupil_id, identity=identity, core=core, t=t)


async def subject_button(
    query: CallbackQuery,
    *,
    callback_data: MarksSubjectCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """Every mark of one subject (core refuses pupils the person may not see)."""
    result = await pupil_marks(core.uow(), identity.viewer, pupil_id=callback_data.pupil_id)
    await reply(query, views.subject_screen(result, callback_data.group_id, t))


async def show(
    event: Message | CallbackQuery,
    pupil_id: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """One service call (this semester by default), then the screen naming the pupil."""
    result = await pupil_marks(core.uow(), identity.viewer, pupil_id=pupil_id)
    await reply(event, views.marks_screen(result, t))


async def pupil_or_picker(
    message: Message, identity: Identity, family: Sequence[Child], t: Translator, *, absences: bool
) -> int | None:
    """The one pupil this person follows; with several (or none), reply with a picker instead."""
    pupil_id = only_pupil(identity, family)
    if pupil_id is None:
        screen = (
            views.child_picker(family, t, absences=absences)
            if family
            else views.nothing_to_show(t)
        )
        await reply(message, screen)
    return pupil_id


def only_pupil(identity: Identity, family: Sequence[Child]) -> int | None:
    """The one pupil this person follows (themselves or their only child), else None."""
    candidates = [child.pupil_id for child in family]
    if identity.viewer.is_pupil:
        candidates.append(identity.person.id)
    return candidates[0] if len(candidates) == 1 else None


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(marks_command, Command("marks"), IsLinked())
    router.callback_query.register(marks_button, MarksCb.filter(), IsLinked())
    router.callback_query.register(subject_button, MarksSubjectCb.filter(), IsLinked())
    return router
