"""Owns /start: the main menu for a linked person, the ways to connect for everyone else.

``/start <code>`` (an invitation link) is handled by the onboarding router before this one.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MenuCb
from bot.commands import set_chat_commands
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child
from bot.replies import reply
from bot.views import start as views
from core.services.accounts import Identity


async def menu(
    message: Message,
    identity: Identity,
    family: Sequence[Child],
    t: Translator,
    state: FSMContext,
) -> None:
    """Greeting by name with the role's menu; the chat's command list follows the role."""
    await state.clear()  # /start also leaves a half-finished question (a carer's name)
    await reply(message, views.main_menu(identity, family, t))
    if message.bot is not None:
        await set_chat_commands(message.bot, message.chat.id, identity, t)


async def menu_again(
    query: CallbackQuery,
    identity: Identity,
    family: Sequence[Child],
    t: Translator,
    state: FSMContext,
) -> None:
    """The "main menu" button (also "cancel" on questions)."""
    await state.clear()
    await reply(query, views.main_menu(identity, family, t))


async def not_connected(message: Message, t: Translator) -> None:
    """Not linked yet: an invitation link, or (parents, staff) the shared phone number."""
    await reply(message, views.not_connected(t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(menu, CommandStart(), IsLinked())
    router.callback_query.register(menu_again, MenuCb.filter(), IsLinked())
    router.message.register(not_connected, CommandStart())
    return router
