"""Owns /history: what changed in a child's (or the pupil's own) journal since a day.

One core call per screen; the pupil id on a button is untrusted and core decides who may read.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import HistoryCb, HistorySince
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply
from bot.routers.marks import only_pupil
from bot.views import audit as audit_views
from bot.views import history as views
from core.services.accounts import Identity
from core.services.history import PAGE, pupil_changes

DEFAULT_SINCE: HistorySince = "week"


async def history_command(
    message: Message,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """The pupil's own changes, a single child's, or "whose?" for several."""
    pupil_id = only_pupil(identity, family)
    if pupil_id is not None:
        await show(message, pupil_id, DEFAULT_SINCE, 0, identity=identity, core=core, t=t)
        return
    await reply(message, views.child_picker(family, t) if family else views.nothing_to_show(t))


async def history_button(
    query: CallbackQuery,
    callback_data: HistoryCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A child, a "since" preset or a page (core refuses pupils the person may not read)."""
    await show(
        query,
        callback_data.pupil_id,
        callback_data.since,
        callback_data.offset,
        identity=identity,
        core=core,
        t=t,
    )


async def show(
    event: Message | CallbackQuery,
    pupil_id: int,
    since: HistorySince,
    offset: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """One page of the pupil's changes since the preset's day."""
    result = await pupil_changes(
        core.uow(), identity.viewer, pupil_id=pupil_id, preset=since, offset=offset, limit=PAGE
    )
    screen = views.history_screen(result, since, t)
    if audit_views.may_see_access(identity.viewer, pupil_id):
        screen = audit_views.with_access_button(screen, pupil_id, t)
    await reply(event, screen)


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(history_command, Command("history"), IsLinked())
    router.callback_query.register(history_button, HistoryCb.filter(), IsLinked())
    return router
