"""Owns /help: what this person can do in the bot now."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.i18n import Translator
from bot.replies import reply
from bot.views.help import help_screen
from core.services.accounts import Identity


async def show_help(message: Message, identity: Identity | None, t: Translator) -> None:
    """Help by role (or for a visitor who is not connected)."""
    await reply(message, help_screen(identity, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(show_help, Command("help"))
    return router
