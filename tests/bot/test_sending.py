"""Interactive replies wait out flood control (429) a bounded number of times."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates, Response, SendMessage, TelegramMethod

from bot.sending import RetryAfterMiddleware

BOT = Bot("1:TEST")


class Telegram:
    """Refuses the first ``floods`` requests with 429 retry_after."""

    def __init__(self, floods: int, retry_after: int = 1) -> None:
        self.floods = floods
        self.retry_after = retry_after
        self.calls = 0

    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        self.calls += 1
        if self.calls <= self.floods:
            raise TelegramRetryAfter(method, "Too Many Requests", self.retry_after)
        return Response[Any](ok=True, result=True)


async def test_waits_retry_after_then_sends() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    telegram = Telegram(floods=2, retry_after=3)
    middleware = RetryAfterMiddleware(retries=2, sleep=sleep)
    response = await middleware(telegram, BOT, SendMessage(chat_id=1, text="x"))
    assert response.ok
    assert slept == [3, 3]
    assert telegram.calls == 3


async def test_gives_up_after_its_retries() -> None:
    async def sleep(_: float) -> None:
        return None

    middleware = RetryAfterMiddleware(retries=1, sleep=sleep)
    with pytest.raises(TelegramRetryAfter):
        await middleware(Telegram(floods=5), BOT, SendMessage(chat_id=1, text="x"))


async def test_long_waits_and_polling_are_not_retried_here() -> None:
    async def sleep(_: float) -> None:
        raise AssertionError("must not wait")

    middleware = RetryAfterMiddleware(max_wait=10, sleep=sleep)
    with pytest.raises(TelegramRetryAfter):
        await middleware(Telegram(1, retry_after=60), BOT, SendMessage(chat_id=1, text="x"))
    with pytest.raises(TelegramRetryAfter):
        await middleware(Telegram(1), BOT, GetUpdates())
