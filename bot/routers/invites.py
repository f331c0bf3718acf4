"""Owns /invites: class teachers and managers print invitation slips (a PDF) from the bot.

The choice lists what core says the person may issue; a pressed class (or school) goes back to
core, which checks it again: callback data is never trusted.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import InvitesCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply, send_document
from bot.views import invites as views
from core.services.accounts import Identity
from core.services.invites import Audience, invite_targets, issue_invites


async def choose(
    event: Message | CallbackQuery, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """What slips the person may print: a button per class and audience."""
    targets = await invite_targets(core.uow(), identity.viewer)
    await reply(event, views.targets_screen(targets, t))


async def choose_button(
    query: CallbackQuery, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """The "Invitations" button of the main menu."""
    await choose(query, identity, core, t)


async def slips(
    query: CallbackQuery,
    *,
    callback_data: InvitesCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    bot: Bot,
) -> None:
    """Issue the batch and send it as a PDF of cut-out slips."""
    audience = Audience(callback_data.audience)
    staff = audience is Audience.STAFF
    batch = await issue_invites(
        core.uow(),
        identity.viewer,
        audience=audience,
        school_id=callback_data.target if staff else None,
        class_id=None if staff else callback_data.target,
    )
    if not batch.invites:
        await reply(query, views.nobody_to_invite(batch, t))
        return
    username = (await bot.me()).username or ""
    pdf, filename = await asyncio.to_thread(views.slips_pdf, batch, username, t)
    await send_document(query, pdf, filename, views.caption(batch, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(choose, Command("invites"), IsLinked())
    router.callback_query.register(
        choose_button, InvitesCb.filter(F.audience == "menu"), IsLinked()
    )
    router.callback_query.register(slips, InvitesCb.filter(F.audience != "menu"), IsLinked())
    return router
