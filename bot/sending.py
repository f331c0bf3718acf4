"""Owns polite sending of interactive replies: on a 429 wait ``retry_after`` and try again.

A request middleware on the bot's session; bulk messages never come here (they use the outbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger("ejournal.bot")


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Retry a request refused with 429 after ``retry_after``, at most ``retries`` times.

    A wait longer than ``max_wait`` is not worth it for a reply someone is waiting for: the error
    propagates instead. ``getUpdates`` is left to the poller's own back-off.
    """

    def __init__(
        self,
        *,
        retries: int = 2,
        max_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """Send, waiting out flood control when Telegram asks for it."""
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                attempt += 1
                too_long = exc.retry_after > self.max_wait
                if attempt > self.retries or too_long or isinstance(method, GetUpdates):
                    raise
                log.warning(
                    "flood control on %s: retrying in %s s (attempt %d)",
                    method.__api_method__,
                    exc.retry_after,
                    attempt,
                )
                await self.sleep(exc.retry_after)
