"""Owns the middlewares: core, anti-flood, identity and locale injection, callback answers.

Middlewares inject; they do not decide. The only write is the ``identify()`` "last seen" touch.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from aiogram.utils.callback_answer import CallbackAnswer, CallbackAnswerMiddleware

from bot.i18n import Translator, reply_language
from bot.identities import IdentityCache
from bot.journal import Child, ChildDirectory, JournalCore
from core.i18n import Catalogs
from core.services.accounts import Identity

log = logging.getLogger("ejournal.bot")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CoreMiddleware(BaseMiddleware):
    """Injects ``core`` (units of work, clock)."""

    def __init__(self, core: JournalCore) -> None:
        self.core = core

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """Add the core to the handler data."""
        data["core"] = self.core
        return await handler(event, data)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class TokenBuckets:
    """Per-user token buckets: ``rate`` updates per second on average, bursts up to ``burst``.

    ``take`` answers "pass", "warn" (the first update over the limit) or "drop" (the following
    ones, until the bucket refills). Memory is bounded: the least recently seen users are dropped.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 50_000,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.max_users = max_users
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def take(self, user_id: int) -> str:
        """Spend one token for ``user_id``."""
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(self.burst, now)
            if len(self._buckets) > self.max_users:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(user_id)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return "pass"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"


class FloodBuckets(Protocol):
    """Per-user flood control: ``TokenBuckets`` in one process, shared ones in Redis.

    ``take`` answers "pass", "warn" or "drop", directly or (a shared store) awaitable.
    """

    def take(self, user_id: int, /) -> str | Awaitable[str]:
        """Spend one token for ``user_id``."""
        ...


class AntiFloodMiddleware(BaseMiddleware):
    """Drops a user's updates beyond the allowed rate; the first one gets a "too fast" reply.

    Runs before identity so that a flood costs no database work; the reply therefore uses the
    language of the Telegram app.
    """

    def __init__(self, buckets: FloodBuckets, catalogs: Catalogs) -> None:
        self.buckets = buckets
        self.catalogs = catalogs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """Pass the update on, or drop it."""
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        verdict = self.buckets.take(user.id)
        if not isinstance(verdict, str):  # a shared store answers asynchronously
            verdict = await verdict
        if verdict == "pass":
            return await handler(event, data)
        text = self.catalogs.text("flood.too_fast", reply_language(None, user.language_code))
        if isinstance(event, Update):
            await _refuse(data["bot"], event, text if verdict == "warn" else None)
        return None


async def _refuse(bot: Bot, update: Update, text: str | None) -> None:
    try:
        if update.callback_query is not None:  # a pressed button must always be answered
            await bot.answer_callback_query(update.callback_query.id, text=text)
        elif text is not None and update.message is not None:
            await bot.send_message(update.message.chat.id, text)
    except TelegramAPIError as exc:
        log.warning(
            "anti-flood reply to update %s failed: %s", update.update_id, type(exc).__name__
        )


class IdentityMiddleware(BaseMiddleware):
    """Injects ``identity`` (linked person and roles, or None) and ``family`` (children)."""

    def __init__(self, core: JournalCore, children: ChildDirectory) -> None:
        self.identities = IdentityCache(core, children)  # a few seconds, see bot.identities

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """Look the Telegram user up in the journal."""
        user: User | None = data.get("event_from_user")
        identity: Identity | None = None
        family: tuple[Child, ...] = ()
        if user is not None and not user.is_bot:
            wrote = isinstance(event, Update) and (
                event.message is not None or event.callback_query is not None
            )
            identity, family = await self.identities.lookup(user.id, wrote=wrote)
        data["identity"] = identity
        data["family"] = family
        return await handler(event, data)


class LocaleMiddleware(BaseMiddleware):
    """Injects ``lang`` and ``t``: the account's language, else the app's if lv/en/ru, else lv."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """Pick the language of the replies."""
        identity: Identity | None = data.get("identity")
        user: User | None = data.get("event_from_user")
        lang = reply_language(
            identity.account.language if identity else None,
            user.language_code if user else None,
        )
        data["lang"] = lang
        data["t"] = Translator(self.catalogs, lang)
        return await handler(event, data)


class CommandClosesDialogMiddleware(BaseMiddleware):
    """A command closes any dialog waiting for text (a draft, a room, a reason).

    Without it a dialog left open would take the next plain message, long after the person
    moved on to another command. A Telegram reply is not a command, so mail answers still work.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """Clear the chat's dialog state when the message is a command, then go on."""
        state: FSMContext | None = data.get("state")
        if (
            isinstance(event, Message)
            and state is not None
            and (event.text or "").startswith("/")
            and await state.get_state() is not None
        ):
            await state.clear()
        return await handler(event, data)


def register_middlewares(
    dp: Dispatcher,
    *,
    core: JournalCore,
    catalogs: Catalogs,
    children: ChildDirectory,
    buckets: FloodBuckets,
) -> None:
    """Register every middleware, in order.

    The injecting ones are *outer* middlewares of the update: they run once per update, before
    routing, and what they inject is visible to the error handler (which needs ``t``). The
    callback answer is an *outer* middleware of callback queries, so every pressed button is
    answered at once, before filters, even when no handler matches or the handler fails.
    """
    dp.update.outer_middleware(CoreMiddleware(core))
    dp.update.outer_middleware(AntiFloodMiddleware(buckets, catalogs))
    dp.update.outer_middleware(IdentityMiddleware(core, children))
    dp.update.outer_middleware(LocaleMiddleware(catalogs))
    dp.callback_query.outer_middleware(PressAnswers(pre=True))
    dp.message.outer_middleware(CommandClosesDialogMiddleware())


# Telegram's answer to answerCallbackQuery once it stopped waiting for one (about 15 s after the
# press): what a busy morning, or the updates queued while the bot restarted, run into.
_TOO_LATE = ("query is too old", "query id is invalid")


class PressAnswers(CallbackAnswerMiddleware):
    """aiogram's callback answers, except that a press answered too late is still handled.

    Telegram refuses a callback answer that comes too late. aiogram's middleware would let that
    refusal fail the update before its handler runs, and the press would be lost: a teacher's
    "Save" of the attendance, a parent's next week. The button's spinner has long stopped on the
    user's side by then, so nothing is lost by not answering: the handler runs as usual.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """As ``CallbackAnswerMiddleware.__call__``, but answering through :meth:`_answer`."""
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answer = data["callback_answer"] = self.construct_callback_answer(
            properties=get_flag(data, "callback_answer")
        )
        if not answer.disabled and answer.answered:
            await self._answer(event, answer)
        try:
            return await handler(event, data)
        finally:
            if not answer.disabled and not answer.answered:
                await self._answer(event, answer)

    async def _answer(self, event: CallbackQuery, answer: CallbackAnswer) -> None:
        try:
            await self.answer(event, answer)
        except TelegramBadRequest as exc:
            if not any(reason in exc.message.lower() for reason in _TOO_LATE):
                raise
            log.info("a button press was answered too late; handling it anyway")
