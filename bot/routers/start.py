"""Owns /start: the main menu for a linked person, how to connect for everyone else."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
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
    message: Message, identity: Identity, family: Sequence[Child], t: Translator
) -> None:
    """Greeting by name with the role's menu; the chat's command list follows the role."""
    await reply(message, views.main_menu(identity, family, t))
    if message.bot is not None:
        await set_chat_commands(message.bot, message.chat.id, identity, t)


async def menu_again(
    query: CallbackQuery, identity: Identity, family: Sequence[Child], t: Translator
) -> None:
    """The "main menu" button."""
    await reply(query, views.main_menu(identity, family, t))


async def not_connected(message: Message, command: CommandObject, t: Translator) -> None:
    """Not linked yet: explain how to connect. An invite code is not accepted here (yet)."""
    await reply(message, views.not_connected(t, with_code=bool(command.args)))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(menu, CommandStart(), IsLinked())
    router.callback_query.register(menu_again, MenuCb.filter(), IsLinked())
    router.message.register(not_connected, CommandStart())
    return router
