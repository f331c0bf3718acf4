"""Owns the one error handler: domain errors become localized replies, anything else an apology.

Logs carry the update id, exception type and code locations only, never texts or names.
"""

from __future__ import annotations

import html
import logging
import traceback

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError as RedisLockError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.i18n import Translator, reply_language
from core.errors import DomainError
from core.i18n import Catalogs

log = logging.getLogger("ejournal.bot")

# Failures of Telegram itself, and of the shared Redis (several processes), are not answered:
# they propagate, so that a webhook request fails (and Telegram redelivers the update) and the
# runtime logs them.
TRANSIENT = (
    TelegramNetworkError,
    TelegramServerError,
    TelegramRetryAfter,
    RedisConnectionError,
    RedisTimeoutError,
    RedisLockError,
)


def register_error_handler(dp: Dispatcher, catalogs: Catalogs) -> None:
    """Register the single error handler of the bot."""

    async def on_error(event: ErrorEvent, bot: Bot, t: Translator | None = None) -> None:
        update = event.update
        if t is None:  # the failure came before the locale middleware
            t = Translator(catalogs, reply_language(None, _language_code(update)))
        error = event.exception
        if isinstance(error, DomainError):
            params = {key: html.escape(str(value)) for key, value in error.params.items()}
            text = t(error.key, **params)
        else:
            log.error(
                "update %s failed: %s at %s",
                update.update_id,
                type(error).__name__,
                describe_traceback(error),
            )
            text = t("error.unexpected")
        await _reply(bot, update, text)

    dp.errors.register(on_error, ~ExceptionTypeFilter(*TRANSIENT))


def describe_traceback(error: BaseException) -> str:
    """Where it happened: ``file:line in function`` frames, without any message text."""
    frames = traceback.extract_tb(error.__traceback__)[-6:]
    return " < ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames)
    )


def _language_code(update: Update) -> str | None:
    if update.message is not None and update.message.from_user is not None:
        return update.message.from_user.language_code
    if update.callback_query is not None:
        return update.callback_query.from_user.language_code
    return None


def _chat_id(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        query = update.callback_query
        return query.message.chat.id if query.message is not None else query.from_user.id
    return None


async def _reply(bot: Bot, update: Update, text: str) -> None:
    chat_id = _chat_id(update)
    if chat_id is None:
        return
    try:
        await bot.send_message(chat_id, text)
    except TRANSIENT:
        raise  # Telegram is struggling: let a webhook delivery fail so that it comes again
    except TelegramAPIError as exc:  # e.g. the user blocked the bot: nobody to tell
        log.warning("error reply for update %s failed: %s", update.update_id, type(exc).__name__)
