"""Owns /connections: who is not connected yet (rule 2.2), for a class teacher or a manager."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import ConnectionsCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import connections as views
from core.services.accounts import Identity
from core.services.connections import connection_report, connection_reports


async def overview(
    event: Message | CallbackQuery, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """Each school the person manages (or each class they teach)."""
    reports = await connection_reports(core.uow(), identity.viewer)
    for screen in views.report_screens(reports, t):
        await reply(event, screen)


async def pressed(
    query: CallbackQuery,
    callback_data: ConnectionsCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """The menu button (class 0: the overview) or one class of the overview."""
    if callback_data.class_id == 0:
        await overview(query, identity, core, t)
        return
    report = await connection_report(core.uow(), identity.viewer, class_id=callback_data.class_id)
    await reply(query, views.class_screen(report, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(overview, Command("connections"), IsLinked())
    router.callback_query.register(pressed, ConnectionsCb.filter(), IsLinked())
    return router
