"""Owns UX filters: they shape which handler answers, never what someone may see (core decides)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.services.accounts import Identity


class IsLinked(Filter):
    """The Telegram user is connected to a person in the journal."""

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        """True when the identity middleware found a linked person."""
        return identity is not None


class IsDeactivated(Filter):
    """The Telegram user is linked to a person whose access has ended."""

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        """True when the identity is linked but inactive."""
        return identity is not None and not identity.active
