"""Owns the bot's state that several processes share: Redis when ``[redis] url`` is set.

One bot process (the default) keeps everything in memory: aiogram's ``MemoryStorage`` for the
dialogs, ``SimpleEventIsolation`` so that one chat's updates are handled one after another, and
``TokenBuckets`` for flood control. With a Redis URL, several webhook workers behave as one bot:

- dialogs (aiogram's FSM, plus the records routers keep under their own destiny: the /changes
  editor's screens, previewed files) live in Redis under ``<key_prefix>:fsm:…``, kept 2 days;
- a chat's updates are still handled one at a time, now across processes (a Redis lock per chat,
  renewed while the update is handled, so a long one keeps it and a dead process frees it soon);
- ``update_id`` de-duplication of webhook deliveries (``RedisSeenUpdates``);
- per-user flood control (``RedisTokenBuckets``: one atomic script, on Redis' clock).

Nothing here runs at import time; ``connect`` makes the one client of a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from bot.middlewares import FloodBuckets, TokenBuckets
from bot.settings import AppSettings

log = logging.getLogger("ejournal.bot")

DIALOG_TTL = timedelta(days=2)  # a dialog (and a router's record) untouched this long is gone
DAY = 24 * 3600.0  # Telegram keeps undelivered updates at most 24 hours
SharedClaim = Literal["new", "busy", "done"]


def connect(url: str) -> Redis:
    """The process's Redis client (nothing is sent until first use)."""
    return Redis.from_url(
        url,
        socket_connect_timeout=5,
        socket_timeout=10,  # an outage fails the update instead of hanging it
        health_check_interval=30,
    )


@dataclass(frozen=True, slots=True)
class SharedState:
    """What a Dispatcher keeps between updates: dialogs, chat ordering, flood counters."""

    storage: BaseStorage
    isolation: BaseEventIsolation
    buckets: FloodBuckets


def in_process(settings: AppSettings) -> SharedState:
    """Everything in this process's memory (one bot process)."""
    return SharedState(
        storage=ExpiringMemoryStorage(),
        isolation=SimpleEventIsolation(),
        buckets=TokenBuckets(settings.bot.flood_rate, settings.bot.flood_burst),
    )


def in_redis(settings: AppSettings, redis: Redis) -> SharedState:
    """Everything in the shared Redis, under ``[redis] key_prefix``."""
    prefix = settings.redis.key_prefix
    keys = DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_destiny=True, with_bot_id=True)
    ttl = int(DIALOG_TTL.total_seconds())
    return SharedState(
        storage=RedisStorage(redis, key_builder=keys, state_ttl=ttl, data_ttl=ttl),
        isolation=ChatLocks(redis, keys),
        buckets=RedisTokenBuckets(
            redis, prefix, rate=settings.bot.flood_rate, burst=settings.bot.flood_burst
        ),
    )


class ExpiringMemoryStorage(MemoryStorage):
    """aiogram's ``MemoryStorage`` that forgets like Redis: records unused for ``ttl`` seconds.

    aiogram's storage keeps a record for every chat it was ever asked about; this one drops
    empty records and those not written for ``ttl`` (a forgotten 5 MB file, a dialog left
    open), looking at most every ``sweep_every`` seconds.
    """

    def __init__(
        self,
        *,
        ttl: float = DIALOG_TTL.total_seconds(),
        sweep_every: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.ttl = ttl
        self.sweep_every = sweep_every
        self.clock = clock
        self._written: dict[StorageKey, float] = {}
        self._next_sweep = clock() + sweep_every

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        """Set the state and note the write."""
        await super().set_state(key, state)
        self._wrote(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        """Set the data and note the write."""
        await super().set_data(key, data)
        self._wrote(key)

    def _wrote(self, key: StorageKey) -> None:
        now = self.clock()
        self._written[key] = now
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_every
        for stale, record in list(self.storage.items()):
            written = self._written.get(stale)
            if (
                (record.state is None and not record.data)
                or written is None
                or now - written > self.ttl
            ):
                del self.storage[stale]
                self._written.pop(stale, None)


class ChatLocks(BaseEventIsolation):
    """One chat's updates one after another across processes: a Redis lock per chat.

    The lock lives ``hold_seconds`` and is renewed while the update is handled, so a long
    update (a report) keeps it and the lock of a process that died frees itself soon. A lock
    not obtained within ``wait_seconds`` fails the update (a webhook delivery comes again).
    Releasing is best effort: the update is handled by then.
    """

    def __init__(
        self,
        redis: Redis,
        key_builder: KeyBuilder,
        *,
        hold_seconds: float = 30.0,
        wait_seconds: float = 120.0,
        poll_seconds: float = 0.02,
    ) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self.hold_seconds = hold_seconds
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        """Hold the chat's lock while the update is handled."""
        lock = self.redis.lock(
            self.key_builder.build(key, "lock"),
            timeout=self.hold_seconds,
            sleep=self.poll_seconds,
            blocking_timeout=self.wait_seconds,
        )
        if not await lock.acquire():
            raise LockError("the chat stayed busy")  # type: ignore[no-untyped-call]
        renewing = asyncio.create_task(self._renew(lock), name="ejournal-chat-lock")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            try:
                await lock.release()
            except (LockError, RedisError) as exc:  # it expires by itself
                log.warning("releasing a chat lock failed: %s", type(exc).__name__)

    async def _renew(self, lock: object) -> None:
        reacquire = lock.reacquire  # type: ignore[attr-defined]
        while True:
            await asyncio.sleep(self.hold_seconds / 3)
            try:
                await reacquire()
            except (LockError, RedisError) as exc:
                log.warning("renewing a chat lock failed: %s", type(exc).__name__)
                return

    async def close(self) -> None:
        """Nothing to close: the client belongs to the process."""


# KEYS[1]: the update's key; ARGV: milliseconds a claim lasts. "new" when claimed now, else
# what is there ("busy" or "done").
_CLAIM = """
if redis.call('SET', KEYS[1], 'busy', 'NX', 'PX', ARGV[1]) then return 'new' end
return redis.call('GET', KEYS[1]) or 'busy'
"""


class RedisSeenUpdates:
    """``bot.runtime.SeenUpdates`` shared by every webhook worker of one bot.

    A claim ("busy") lasts ``busy_seconds``: should its worker die, a redelivery after that is
    handled again. A handled update stays "done" for 24 hours (as long as Telegram retries).
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        bot_id: int,
        busy_seconds: float = 300.0,
        keep_seconds: float = DAY,
    ) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:update:{bot_id}"
        self.busy_ms = int(busy_seconds * 1000)
        self.keep_ms = int(keep_seconds * 1000)
        self._claim = redis.register_script(_CLAIM)

    def _key(self, update_id: int) -> str:
        return f"{self.prefix}:{update_id}"

    async def begin(self, update_id: int) -> SharedClaim:
        """Claim an update: "new" (handle it), "busy" (another worker is on it) or "done"."""
        found = await self._claim(keys=[self._key(update_id)], args=[self.busy_ms])
        text = found.decode() if isinstance(found, bytes) else str(found)
        if text == "new":
            return "new"
        return "done" if text == "done" else "busy"

    async def finish(self, update_id: int) -> None:
        """The update was handled."""
        await self.redis.set(self._key(update_id), "done", px=self.keep_ms)

    async def abandon(self, update_id: int) -> None:
        """Handling failed: the redelivery is handled by whichever worker gets it."""
        await self.redis.delete(self._key(update_id))


# KEYS[1]: the user's bucket; ARGV: rate (tokens/s), burst, key lifetime (ms). Redis' clock, so
# every process counts on the same time. Answers like TokenBuckets.take.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'warned')
local tokens = tonumber(bucket[1])
local warned = bucket[3] == '1'
if tokens == nil then
  tokens = burst
else
  local updated = tonumber(bucket[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
end
local verdict
if tokens >= 1 then
  tokens = tokens - 1
  warned = false
  verdict = 'pass'
elseif warned then
  verdict = 'drop'
else
  warned = true
  verdict = 'warn'
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', string.format('%.6f', now),
  'warned', warned and '1' or '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return verdict
"""


class RedisTokenBuckets:
    """``TokenBuckets`` shared by every process: the same user is limited once, not per worker.

    A bucket is refilled after ``burst / rate`` seconds; its key lives a little longer.
    """

    def __init__(self, redis: Redis, prefix: str, *, rate: float, burst: int) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:flood"
        self.rate = rate
        self.burst = burst
        self.keep_ms = math.ceil(burst / rate * 1000) + 1000
        self._take = redis.register_script(_TAKE)

    async def take(self, user_id: int) -> str:
        """Spend one token for ``user_id``: "pass", "warn" or "drop"."""
        verdict = await self._take(
            keys=[f"{self.prefix}:{user_id}"], args=[repr(self.rate), self.burst, self.keep_ms]
        )
        return verdict.decode() if isinstance(verdict, bytes) else str(verdict)


# ---------------------------------------------------------------- a router's own records


def record_key(state: FSMContext, destiny: str) -> StorageKey:
    """The key of a router's record for the chat of ``state``, beside its dialog.

    A record under its own destiny survives ``state.clear()`` (a command closing a dialog) and
    lives where the dialogs live: memory, or Redis shared by every process.
    """
    return replace(state.key, destiny=destiny)


async def read_record(state: FSMContext, destiny: str) -> dict[str, Any]:
    """The router's record for this chat ({} when there is none)."""
    return await state.storage.get_data(record_key(state, destiny))


async def write_record(state: FSMContext, destiny: str, record: dict[str, Any]) -> None:
    """Replace the router's record ({} removes it); JSON values only."""
    await state.storage.set_data(record_key(state, destiny), record)
