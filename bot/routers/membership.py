"""Owns what happens when a user blocks or unblocks the bot: deliveries stop or resume.

Telegram tells a bot through ``my_chat_member`` updates in the private chat; nothing is sent back
(a blocked bot cannot write, and an unblock is followed by the user's own message).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import ChatMemberUpdated

from bot.journal import JournalCore
from core.services.accounts import record_reachability

BLOCKED = "kicked"


async def membership_changed(event: ChatMemberUpdated, *, core: JournalCore) -> None:
    """Record whether the user can receive messages from the bot."""
    await record_reachability(
        core.uow(),
        telegram_user_id=event.from_user.id,
        reachable=event.new_chat_member.status != BLOCKED,
    )


def build_router() -> Router:
    """A fresh router with this feature's handler (one per dispatcher)."""
    router = Router(name=__name__)
    router.my_chat_member.register(membership_changed)
    return router
