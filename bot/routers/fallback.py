"""Owns what nobody else handled. Included LAST: it matches every message and every button."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.replies import reply
from bot.views import fallback as views


async def anything_else(message: Message, t: Translator) -> None:
    """A short hint to use /help."""
    await reply(message, views.hint(t))


async def unknown_button(query: CallbackQuery, t: Translator) -> None:
    """An old or forged button: say so (it was already answered by the middleware)."""
    await reply(query, views.stale_button(t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(anything_else)
    router.callback_query.register(unknown_button)
    return router
