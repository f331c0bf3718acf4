"""Owns /people for managers: find a person by name, deactivate (or reactivate), invite one.

Deactivating is confirmed with a second button; core checks the manager's school every time.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.callbacks import PersonCb, PersonInviteCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import invites as invite_views
from bot.views import people_search as views
from core.domain.invites import Purpose
from core.services.accounts import Identity
from core.services.deactivation import (
    activate_person,
    deactivate_person,
    find_people,
    person_card,
)
from core.services.invites import issue_invite


async def search(
    message: Message,
    command: CommandObject,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """``/people <part of a name>``."""
    if not command.args:
        await reply(message, views.usage(t))
        return
    cards = await find_people(core.uow(), identity.viewer, query=command.args)
    await reply(message, views.results(cards, t))


async def act(
    query: CallbackQuery,
    callback_data: PersonCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """Ask first (``ask_*``), then switch the person's access off or on."""
    person_id = callback_data.person_id
    if callback_data.action in ("ask_off", "ask_on"):
        card = await person_card(core.uow(), identity.viewer, person_id=person_id)
        await reply(query, views.confirm(card, callback_data.action == "ask_off", t))
        return
    switch = deactivate_person if callback_data.action == "off" else activate_person
    card = await switch(core.uow(), identity.viewer, person_id=person_id)
    await reply(query, views.switched(card, t))


async def invite(
    query: CallbackQuery,
    *,
    callback_data: PersonInviteCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    bot: Bot,
) -> None:
    """One person's invitation link."""
    issued = await issue_invite(
        core.uow(),
        identity.viewer,
        purpose=Purpose(callback_data.purpose),
        person_id=callback_data.person_id,
    )
    username = (await bot.me()).username or ""
    await reply(query, invite_views.person_invited(issued, username, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(search, Command("people"), IsLinked())
    router.callback_query.register(act, PersonCb.filter(), IsLinked())
    router.callback_query.register(invite, PersonInviteCb.filter(), IsLinked())
    return router
