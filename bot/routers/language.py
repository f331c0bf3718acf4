"""Owns /language: a linked person picks lv, en or ru; unlinked users follow their app."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import LanguageCb
from bot.commands import set_chat_commands
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import language as views
from core.services.accounts import Identity, choose_language


async def pick(message: Message, t: Translator) -> None:
    """Offer the three languages."""
    await reply(message, views.picker(t))


async def chosen(
    query: CallbackQuery,
    callback_data: LanguageCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """Remember the language, then answer (and relist the commands) in it."""
    await choose_language(
        core.uow(), telegram_user_id=query.from_user.id, language=callback_data.language
    )
    new = Translator(t.catalogs, callback_data.language)
    await reply(query, views.changed(new))
    if query.bot is not None and query.message is not None:
        await set_chat_commands(query.bot, query.message.chat.id, identity, new)


async def not_connected(event: Message | CallbackQuery, t: Translator) -> None:
    """Before connecting, the bot speaks the language of the Telegram app."""
    await reply(event, views.unlinked(t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(pick, Command("language"), IsLinked())
    router.callback_query.register(chosen, LanguageCb.filter(), IsLinked())
    router.message.register(not_connected, Command("language"))
    router.callback_query.register(not_connected, LanguageCb.filter())
    return router
