"""Owns "👁 Who viewed the data" (from /history) and /disclosures for the school's managers.

One core call per screen; the pupil id on a button is untrusted and core decides who may see
the access history. The disclosures register lists the schools the person manages.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import AccessHistoryCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import audit as views
from core.domain.access import MANAGER_ROLES
from core.errors import NotFound
from core.services.accounts import Identity
from core.services.audit import access_history
from core.services.disclosure import list_disclosures


async def access_button(
    query: CallbackQuery,
    callback_data: AccessHistoryCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """Who read the pupil's data (core refuses anyone but the pupil and full-rights parents)."""
    result = await access_history(core.uow(), identity.viewer, pupil_id=callback_data.pupil_id)
    await reply(query, views.access_screen(result, t))


async def disclosures_command(
    message: Message, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """The register of lawful disclosures of every school the person manages."""
    viewer = identity.viewer
    schools = sorted({school for school, role in viewer.staff_roles if role in MANAGER_ROLES})
    if not schools or not viewer.active:
        raise NotFound("school.not_found")
    rows = [
        row
        for school in schools
        for row in await list_disclosures(core.uow(), viewer, school_id=school)
    ]
    rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    await reply(message, views.disclosures_screen(rows, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.callback_query.register(access_button, AccessHistoryCb.filter(), IsLinked())
    router.message.register(disclosures_command, Command("disclosures"), IsLinked())
    return router
