"""Owns talking to the Bot API for the outbox: the one aiogram user inside ``notifications``.

Maps Telegram's answers to send outcomes; it never retries or waits (``delivery`` does).
"""

from __future__ import annotations

import asyncio
import re

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from notifications.sender import (
    ChatMigrated,
    Delivered,
    DocumentPart,
    Failed,
    Keyboard,
    Outcome,
    Part,
    RecipientGone,
    RetryAfter,
    TextPart,
)

_RETRY_AFTER = re.compile(r"retry after (\d+)", re.IGNORECASE)


def outcome_of(error: BaseException) -> Outcome:  # noqa: PLR0911 - one answer per error class
    """The outcome a Telegram error (or a network failure) stands for."""
    if isinstance(error, TelegramRetryAfter):
        return RetryAfter(float(error.retry_after))
    if isinstance(error, TelegramForbiddenError):
        return RecipientGone(error.message)
    if isinstance(error, TelegramMigrateToChat):
        return ChatMigrated(error.migrate_to_chat_id)
    if isinstance(error, TelegramEntityTooLarge | TelegramBadRequest | TelegramNotFound):
        return Failed(error.message, transient=False)
    if isinstance(error, TelegramNetworkError):  # no answer: it may have arrived
        return Failed(error.message, transient=True, ambiguous=True)
    if isinstance(error, TelegramServerError | TelegramUnauthorizedError):
        return Failed(error.message, transient=True)
    if isinstance(error, TelegramAPIError):
        # aiogram raises a bare TelegramAPIError for a 429 whose retry_after is 0 or missing.
        if "too many requests" in error.message.lower():
            found = _RETRY_AFTER.search(error.message)
            return RetryAfter(float(found.group(1)) if found else 1.0)
        return Failed(error.message, transient=True)
    if isinstance(error, TimeoutError | OSError):
        return Failed(type(error).__name__, transient=True, ambiguous=True)
    raise error


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """The Bot API's inline keyboard for a part's buttons (None: no keyboard)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.callback_data) for b in row]
            for row in keyboard
        ]
    )


class TelegramSender:
    """Implements :class:`notifications.sender.Sender` with an aiogram ``Bot``.

    Args:
        token: The bot token (never logged).
        api_base: Base URL of a local Bot API server (the sandbox); empty for api.telegram.org.
        timeout: Seconds one request may take before it counts as a transient failure.
        connections: HTTP connections kept to the Bot API.
    """

    def __init__(
        self, token: str, *, api_base: str = "", timeout: float = 15.0, connections: int = 100
    ) -> None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(api_base), limit=connections)
            if api_base
            else AiohttpSession(limit=connections)
        )
        self._timeout = timeout
        self.bot = Bot(
            token,
            session=session,
            default=DefaultBotProperties(link_preview_is_disabled=True),
        )

    async def send(self, chat_id: int, part: Part) -> Outcome:
        """Send one part; Telegram errors become outcomes."""
        try:
            if isinstance(part, TextPart):
                message = await self.bot.send_message(
                    chat_id,
                    part.text,
                    parse_mode=part.parse_mode,
                    reply_markup=markup(part.keyboard),
                    request_timeout=int(self._timeout),
                )
            else:
                message = await self._document(chat_id, part)
        except asyncio.CancelledError:
            raise
        except (TelegramAPIError, TimeoutError, OSError) as error:
            return outcome_of(error)
        return Delivered(message.message_id)

    async def _document(self, chat_id: int, part: DocumentPart) -> Message:
        return await self.bot.send_document(
            chat_id,
            BufferedInputFile(part.content, filename=part.file_name),
            caption=part.caption,
            parse_mode=part.parse_mode,
            reply_markup=markup(part.keyboard),
            request_timeout=int(self._timeout),
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.bot.session.close()
