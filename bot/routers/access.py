"""Owns "no access": a deactivated person's every update gets one refusal and no data.

Included FIRST, so no other handler sees such an update. Only /logout passes (it only removes
access). Core refuses such a viewer anyway; this router makes the bot say so clearly.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import LogoutCb
from bot.filters import IsDeactivated
from bot.i18n import Translator
from bot.replies import reply
from bot.views.onboarding import no_access


async def refuse(event: Message | CallbackQuery, t: Translator) -> None:
    """No menus, no names, no data: only that access has ended."""
    await reply(event, no_access(t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(refuse, IsDeactivated(), ~Command("logout"))
    router.callback_query.register(refuse, IsDeactivated(), ~LogoutCb.filter())
    return router
