"""Owns the absences screens: /absences (pick a child if several) and one pupil's summary."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import AbsencesCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply
from bot.routers.marks import pupil_or_picker
from bot.views.attendance import absences_screen
from core.services.accounts import Identity
from core.services.attendance import pupil_attendance


async def absences_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """A pupil's own absences, a single child's, or "which child?" for several."""
    pupil_id = await pupil_or_picker(message, identity, family, t, absences=True)
    if pupil_id is not None:
        await show(message, pupil_id, identity=identity, core=core, t=t)


async def absences_button(
    query: CallbackQuery,
    *,
    callback_data: AbsencesCb,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """The absences of the pupil on the button (core refuses pupils the person may not see)."""
    await show(query, callback_data.pupil_id, identity=identity, core=core, t=t)


async def show(
    event: Message | CallbackQuery,
    pupil_id: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """One service call (this semester by default), then the screen naming the pupil."""
    viewer = identity.viewer
    result = await pupil_attendance(core.uow(), viewer, pupil_id=pupil_id)
    report = pupil_id in viewer.children - viewer.read_only_children  # UX only: core decides
    await reply(event, absences_screen(result, t, report=report))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(absences_command, Command("absences"), IsLinked())
    router.callback_query.register(absences_button, AbsencesCb.filter(), IsLinked())
    return router
