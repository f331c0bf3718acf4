"""Owns the command menus registered with Telegram (setMyCommands).

Default lists per language at start-up; a linked person's list per role and language per chat.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import Translator
from bot.views.commands import commands_for, default_commands
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogs
from core.services.accounts import Identity


async def set_default_commands(bot: Bot, catalogs: Catalogs) -> None:
    """The unlinked menu in every language (and Latvian for other app languages)."""
    scope = BotCommandScopeDefault()
    await bot.set_my_commands(
        default_commands(Translator(catalogs, DEFAULT_LANGUAGE)), scope=scope
    )
    for lang in LANGUAGES:
        commands = default_commands(Translator(catalogs, lang))
        await bot.set_my_commands(commands, scope=scope, language_code=lang)


async def set_unlinked_commands(bot: Bot, chat_id: int, t: Translator) -> None:
    """After /logout: the chat's list is the unlinked one again."""
    await bot.set_my_commands(default_commands(t), scope=BotCommandScopeChat(chat_id=chat_id))


async def set_chat_commands(bot: Bot, chat_id: int, identity: Identity, t: Translator) -> None:
    """A linked person's menu in their chat, in their language."""
    await bot.set_my_commands(
        commands_for(identity, t), scope=BotCommandScopeChat(chat_id=chat_id)
    )
