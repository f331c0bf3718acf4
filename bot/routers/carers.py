"""Owns /carers: a parent invites one read-only carer per child (e.g. a grandparent), or revokes.

Inviting asks for the carer's name (one question, kept in the FSM state) and answers with a
single-use link to forward. Core checks that the parent has full rights over that child.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import CarersCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import carers as views
from core.services.accounts import Identity
from core.services.caregivers import caregivers, invite_caregiver, revoke_caregiver


class CarerStates(StatesGroup):
    """Waiting for the carer's name after "Invite a carer"."""

    name = State()


async def overview(
    event: Message | CallbackQuery, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """The parent's children and their carers."""
    slots = await caregivers(core.uow(), identity.viewer)
    await reply(event, views.carers_screen(slots, t))


async def pressed(
    query: CallbackQuery,
    *,
    callback_data: CarersCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The list, "invite" (asks for the name), "revoke" (asked first, then done)."""
    action, pupil_id = callback_data.action, callback_data.pupil_id
    if action == "list":
        await overview(query, identity, core, t)
    elif action == "new":
        await state.set_state(CarerStates.name)
        await state.update_data(pupil_id=pupil_id)
        await reply(query, views.ask_name(t))
    elif action == "ask_revoke":
        await reply(query, views.confirm_revoke(pupil_id, t))
    else:
        carer = await revoke_caregiver(core.uow(), identity.viewer, pupil_id=pupil_id)
        await reply(query, views.revoked(carer, t))


async def named(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """The carer's name arrived: issue the invitation and show the link to forward."""
    data = await state.get_data()
    await state.clear()
    issued = await invite_caregiver(
        core.uow(), identity.viewer, pupil_id=int(data["pupil_id"]), name=message.text or ""
    )
    username = (await bot.me()).username or ""
    await reply(message, views.invited(issued, username, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(overview, Command("carers"), IsLinked())
    router.callback_query.register(pressed, CarersCb.filter(), IsLinked())
    router.message.register(named, CarerStates.name, F.text, ~F.text.startswith("/"), IsLinked())
    return router
