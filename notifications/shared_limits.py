"""Owns the pacing port the delivery worker calls: in this process, or shared through Redis.

``Pacer`` is the worker's only view of pacing. ``LocalPacer`` wraps the pure ``RateLimiter``
(one process: ``[redis] url`` empty); ``RedisPacer`` keeps the same limits in Redis so that
several delivery workers (``ejournal run --workers N``, or a bot and a separate
``python -m notifications worker``) spend **one** budget for the bot token between them:

- **Global rate**: a token bucket (``global_per_second``, ``global_burst``) in one hash.
- **Window cap**, kept from ``rate_limit.WindowCap``: a send counts from its grant until one
  window (``floor(rate)/rate + guard`` seconds) after its answer, and at most ``floor(rate)``
  may count at once (a sorted set: member = one grant, score = when it stops counting). The
  bucket alone bounds grants, not what Telegram sees: requests granted 40 ms apart can arrive
  bunched after a slow network moment, and with several processes the grants of one second are
  spread over several connections. The cap bounds every one-second window on *any* clock,
  Telegram's included, because each request reaches Telegram between its grant and its answer.
  It costs one sorted set of at most ``floor(rate)`` + sends-in-flight members.
- **429 pause**: one key holding the end of the pause. A worker that sees ``retry_after``
  extends it (never shortens it) and empties the bucket, which refills only from the pause's end,
  so every worker stops and none bursts after it.
- **Per chat**: a hash per chat with its next send slot and the grant in flight (``owner``).
  A grant marks the chat busy (one send at a time per chat across every worker); the answer sets
  the next slot to answer + interval (``private_per_second`` / ``group_per_minute`` + guard); a
  definite refusal (429, 5xx with an answer) gives the turn back. A busy marker of a process that
  died expires after ``in_flight_s`` (the delivery lease), so a chat is never blocked for longer.

Each decision is one Lua script reading the time from Redis (``TIME``), so the clocks of the
worker processes never matter; what the scripts return are durations. A send costs two scripts
(``acquire``, ``finish``); the dispatcher's per-chat look-ahead uses what this process learnt
and costs none. Keys live under ``<key_prefix>:limits:`` and every key expires once it no
longer affects a decision. One Redis server (or a primary with replicas), not a cluster: a
script's keys would have to share one hash slot.

Redis unreachable: a decision cannot be taken, so the worker waits ``retry_s`` and asks again
(it never sends unpaced); a 429 seen meanwhile still pauses this process. Errors are logged by
kind only (no chat ids, no URL), at most every ``_LOG_EVERY_S`` seconds.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from notifications.rate_limit import Limits, RateLimiter

if TYPE_CHECKING:
    from core.config import RedisSettings

log = logging.getLogger("ejournal.notifications.limits")

_LOG_EVERY_S = 30.0


class Turn(NamedTuple):
    """The answer to "may this chat's send go now?".

    ``wait`` 0.0: granted (the tokens are taken; call ``Pacer.finish`` after the send).
    Otherwise seconds to wait; ``chat`` says the wait is the chat's own (another send to it is
    in flight or was just answered), so the caller should not hold up other chats for it.
    """

    wait: float
    chat: bool = False


class Pacer(Protocol):
    """What the delivery worker asks before and tells after each send (durations in seconds)."""

    def chat_interval(self, chat_id: int) -> float:
        """The shortest time between two sends to one chat."""
        ...

    async def chat_wait(self, chat_id: int) -> float:
        """Seconds until the chat's own limit allows a send, as far as this process knows.

        Takes nothing and may be optimistic (another process's sends); ``acquire`` decides.
        """
        ...

    async def acquire(self, chat_id: int) -> Turn:
        """Take the overall and the chat's turn for one send, or say how long to wait."""
        ...

    async def finish(self, chat_id: int, *, arrived: bool) -> None:
        """The granted send was answered (``arrived``: the chat may have received it)."""
        ...

    async def pause(self, seconds: float) -> float:
        """Stop every send for ``seconds`` (a 429); returns how much longer the pause became."""
        ...

    async def paused_for(self) -> float:
        """Seconds left of the current pause (0.0 when there is none)."""
        ...

    def forget_idle(self) -> None:
        """Drop state nobody needs any more (called now and then)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class LocalPacer:
    """The pure ``RateLimiter`` of one process, on a monotonic clock."""

    def __init__(self, limits: Limits, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self.limiter = RateLimiter(limits, monotonic())

    def chat_interval(self, chat_id: int) -> float:
        """The limiter's interval."""
        return self.limiter.chat_interval(chat_id)

    async def chat_wait(self, chat_id: int) -> float:
        """The chat bucket's wait."""
        return self.limiter.chat_wait(chat_id, self._monotonic())

    async def acquire(self, chat_id: int) -> Turn:
        """``RateLimiter.acquire`` now."""
        now = self._monotonic()
        wait = self.limiter.acquire(chat_id, now)
        return Turn(wait, chat=wait > 0 and self.limiter.chat_wait(chat_id, now) >= wait)

    async def finish(self, chat_id: int, *, arrived: bool) -> None:
        """``RateLimiter.finish`` now."""
        self.limiter.finish(chat_id, self._monotonic(), arrived=arrived)

    async def pause(self, seconds: float) -> float:
        """``RateLimiter.pause`` until ``seconds`` from now."""
        now = self._monotonic()
        until = now + seconds
        added = max(0.0, until - max(self.limiter.paused_until(), now))
        self.limiter.pause(until)
        return added

    async def paused_for(self) -> float:
        """Until the limiter's pause ends."""
        return max(0.0, self.limiter.paused_until() - self._monotonic())

    def forget_idle(self) -> None:
        """Drop the buckets of idle chats."""
        self.limiter.forget_idle(self._monotonic())

    async def close(self) -> None:
        """Nothing to release."""


# Times are seconds from Redis TIME, written with microseconds ('%.6f': a Lua number turned
# into a string keeps only 14 digits). Scripts return strings: Redis would truncate numbers.
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function fmt(x) return string.format('%.6f', x) end
local function ms(x) return math.ceil(x * 1000) + 1000 end
local function chat_wait(key, member, interval)
  local chat = redis.call('HMGET', key, 'next', 'owner')
  local owner = chat[2]
  if owner and owner ~= '' and owner ~= member then return interval end
  local nxt = tonumber(chat[1])
  if nxt and nxt > now and owner ~= member then return nxt - now end
  return 0
end
"""

# KEYS: bucket, window, pause, chat. ARGV: rate, burst, cap, window s, in-flight s, member,
# chat interval. Returns {wait, '1' if the wait is the chat's}.
_ACQUIRE = (
    _PRELUDE
    + """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local cap, window = tonumber(ARGV[3]), tonumber(ARGV[4])
local flight, member = tonumber(ARGV[5]), ARGV[6]
if redis.call('HGET', KEYS[4], 'owner') == member then
  return {'0', '0'}  -- granted already: only the answer to that grant was lost
end
local cw = chat_wait(KEYS[4], member, tonumber(ARGV[7]))
if cw > 0 then return {fmt(cw), '1'} end
local wait = 0
local pause = tonumber(redis.call('GET', KEYS[3]))
if pause and pause > now then wait = pause - now end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(b[1]) or burst, tonumber(b[2]) or now
if now > stamp then
  tokens = math.min(burst, tokens + (now - stamp) * rate)
  stamp = now
end
if tokens < 1 - 1e-9 then wait = math.max(wait, (1 - tokens) / rate, 1e-6) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
if redis.call('ZCARD', KEYS[2]) >= cap then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local left = tonumber(first[2]) - now
  if left > window then left = window / cap end  -- all in flight: a guess, as WindowCap does
  wait = math.max(wait, left, 1e-6)
end
if wait > 0 then return {fmt(wait), '0'} end
redis.call('HSET', KEYS[1], 'tokens', fmt(tokens - 1), 'stamp', fmt(stamp))
redis.call('PEXPIRE', KEYS[1], ms(math.max(stamp - now, 0) + burst / rate))
redis.call('ZADD', KEYS[2], fmt(now + flight), member)
redis.call('PEXPIRE', KEYS[2], ms(flight + window))
redis.call('HSET', KEYS[4], 'next', fmt(now + flight), 'owner', member)
redis.call('PEXPIRE', KEYS[4], ms(flight))
return {'0', '0'}
"""
)

# KEYS: window, chat. ARGV: member, window s, in-flight s, chat interval, arrived ('1'/'0').
_FINISH = (
    _PRELUDE
    + """
local member, window, flight = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], fmt(now + window), member)
redis.call('PEXPIRE', KEYS[1], ms(flight + window))
local owner = redis.call('HGET', KEYS[2], 'owner')
if ARGV[5] == '1' then
  local nxt = now + tonumber(ARGV[4])
  if owner and owner ~= '' and owner ~= member then
    -- this grant's marker ran out and another send holds the chat: only push its slot later
    local cur = tonumber(redis.call('HGET', KEYS[2], 'next')) or 0
    if nxt > cur then redis.call('HSET', KEYS[2], 'next', fmt(nxt)) end
  else
    redis.call('HSET', KEYS[2], 'next', fmt(nxt), 'owner', '')
    redis.call('PEXPIRE', KEYS[2], ms(nxt - now))
  end
elseif owner == member then
  redis.call('DEL', KEYS[2])  -- refused: the chat gets its turn back
end
return 'ok'
"""
)

# KEYS: pause, bucket. ARGV: seconds, burst / rate. Returns how much longer the pause became.
_PAUSE = (
    _PRELUDE
    + """
local seconds = tonumber(ARGV[1])
local want = now + seconds
local cur = tonumber(redis.call('GET', KEYS[1])) or 0
if want <= cur then return '0' end
redis.call('SET', KEYS[1], fmt(want), 'PX', ms(seconds))
redis.call('HSET', KEYS[2], 'tokens', '0', 'stamp', fmt(want))
redis.call('PEXPIRE', KEYS[2], ms(seconds + tonumber(ARGV[2])))
return fmt(want - math.max(cur, now))
"""
)

# KEYS: pause. Returns the seconds left of it.
_PAUSED = (
    _PRELUDE
    + """
local pause = tonumber(redis.call('GET', KEYS[1])) or 0
return fmt(math.max(pause - now, 0))
"""
)


class RedisPacer:
    """The limits of every delivery worker of one bot token, kept in Redis (see the module).

    Args:
        client: The Redis client (closed by ``close``).
        key_prefix: ``[redis] key_prefix``; keys are ``<key_prefix>:limits:...``.
        limits: The pacing settings; the same in every process.
        in_flight_s: How long a grant may stay unanswered before a dead process's marks expire
            (the delivery lease: after it another worker may take the row anyway).
        retry_s: How long to wait before asking again while Redis cannot be reached.
        monotonic: This process's clock, only for the local pause fallback.
    """

    def __init__(
        self,
        client: Redis,
        key_prefix: str,
        limits: Limits,
        *,
        in_flight_s: float = 60.0,
        retry_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._client = client
        self._cap, self._window = limits.window_cap()
        # Marks of grants in flight must outlive one window (WindowCap tells them apart so).
        self._in_flight_s = max(in_flight_s, 2 * self._window + 1.0)
        self._retry_s = retry_s
        self._monotonic = monotonic
        base = f"{key_prefix}:limits"
        self._bucket, self._window_key, self._pause_key = (
            f"{base}:bucket",
            f"{base}:window",
            f"{base}:pause",
        )
        self._chat_base = f"{base}:chat:"
        self._process = uuid.uuid4().hex[:12]
        self._seq = 0
        self._pending: dict[int, str] = {}  # chat -> the member of the grant being asked for
        self._granted: dict[int, str] = {}  # chat -> the member of the grant in flight
        self._hints: dict[int, float] = {}  # chat -> not free before (this process's clock)
        self._local_pause_until = monotonic()
        self._pause_unshared = False
        self._failing_since: float | None = None
        self._last_log = -math.inf
        self._acquire = client.register_script(_ACQUIRE)
        self._finish = client.register_script(_FINISH)
        self._pause = client.register_script(_PAUSE)
        self._paused = client.register_script(_PAUSED)

    @classmethod
    def connect(
        cls,
        settings: RedisSettings,
        limits: Limits,
        *,
        in_flight_s: float = 60.0,
        retry_s: float = 1.0,
        timeout_s: float = 2.0,
    ) -> RedisPacer:
        """A pacer on its own client for ``[redis]`` (connects on first use, not here)."""
        client = Redis.from_url(
            settings.url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),  # one quick retry (a pooled connection gone stale)
        )
        return cls(client, settings.key_prefix, limits, in_flight_s=in_flight_s, retry_s=retry_s)

    def _chat_key(self, chat_id: int) -> str:
        return f"{self._chat_base}{chat_id}"

    def _local_pause(self) -> float:
        return max(0.0, self._local_pause_until - self._monotonic())

    def _failed(self, error: Exception) -> None:
        now = self._monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._last_log >= _LOG_EVERY_S:
            self._last_log = now
            log.warning(
                "the shared rate limit is unavailable (%s); sends wait, retrying every %.1f s",
                type(error).__name__,
                self._retry_s,
            )

    def _succeeded(self) -> None:
        if self._failing_since is not None:
            log.info(
                "the shared rate limit is available again after %.1f s",
                self._monotonic() - self._failing_since,
            )
            self._failing_since = None
            self._last_log = -math.inf

    def chat_interval(self, chat_id: int) -> float:
        """The limits' interval."""
        return self.limits.chat_interval(chat_id)

    async def chat_wait(self, chat_id: int) -> float:
        """What this process learnt of the chat's slot (its own answers, ``acquire``'s waits).

        No round trip: the dispatcher asks for every claimed delivery, and ``acquire`` checks
        the chat's slot in Redis anyway.
        """
        return max(0.0, self._hints.get(chat_id, 0.0) - self._monotonic())

    async def acquire(self, chat_id: int) -> Turn:
        """One script: the chat's slot, the pause, the bucket and the window cap."""
        if self._pause_unshared:  # a 429 seen while Redis did not answer: share it first
            left = self._local_pause()
            if left > 0:
                await self.pause(left)
            self._pause_unshared = self._pause_unshared and left > 0
        member = self._pending.get(chat_id)
        if member is None:
            self._seq += 1
            member = self._pending[chat_id] = f"{self._process}:{self._seq}"
        try:
            wait, chat = await self._acquire(
                keys=[self._bucket, self._window_key, self._pause_key, self._chat_key(chat_id)],
                args=[
                    self.limits.global_per_second,
                    self.limits.global_burst,
                    self._cap,
                    self._window,
                    self._in_flight_s,
                    member,
                    self.chat_interval(chat_id),
                ],
            )
        except (RedisError, OSError) as error:  # the member is kept: a retry is idempotent
            self._failed(error)
            return Turn(self._retry_s)
        self._succeeded()
        seconds = float(wait)
        if seconds > 0:
            busy = chat in (b"1", "1")
            if busy:
                self._hints[chat_id] = self._monotonic() + seconds
            return Turn(seconds, chat=busy)
        self._hints.pop(chat_id, None)
        self._granted[chat_id] = self._pending.pop(chat_id)
        return Turn(0.0)

    async def finish(self, chat_id: int, *, arrived: bool) -> None:
        """Count the send until a window after now; set or give back the chat's next slot."""
        member = self._granted.pop(chat_id, None)
        if member is None:
            return
        if arrived:
            self._hints[chat_id] = self._monotonic() + self.chat_interval(chat_id)
        try:
            await self._finish(
                keys=[self._window_key, self._chat_key(chat_id)],
                args=[
                    member,
                    self._window,
                    self._in_flight_s,
                    self.chat_interval(chat_id),
                    "1" if arrived else "0",
                ],
            )
        except (RedisError, OSError) as error:
            # The grant's marks stay until ``in_flight_s``: the chat and one cap place wait.
            self._failed(error)
        else:
            self._succeeded()

    async def pause(self, seconds: float) -> float:
        """Pause every worker for ``seconds``.

        Without an answer from Redis the pause holds in this process (``paused_for``) and is
        shared by the next ``acquire`` that reaches Redis.
        """
        now = self._monotonic()
        added_here = max(0.0, now + seconds - max(self._local_pause_until, now))
        self._local_pause_until = max(self._local_pause_until, now + seconds)
        try:
            added = await self._pause(
                keys=[self._pause_key, self._bucket],
                args=[seconds, self.limits.global_burst / self.limits.global_per_second],
            )
        except (RedisError, OSError) as error:
            self._failed(error)
            self._pause_unshared = True
            return added_here
        self._succeeded()
        self._pause_unshared = False
        return float(added)

    async def paused_for(self) -> float:
        """The longer of the shared pause and this process's own."""
        try:
            shared = await self._paused(keys=[self._pause_key])
        except (RedisError, OSError) as error:
            self._failed(error)
            return self._local_pause()
        self._succeeded()
        return max(float(shared), self._local_pause())

    def forget_idle(self) -> None:
        """Drop the hints of chats whose slot has passed (the keys in Redis expire)."""
        now = self._monotonic()
        for chat in [chat for chat, until in self._hints.items() if until <= now]:
            del self._hints[chat]

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()


def shared_pacer(
    settings: RedisSettings, limits: Limits, *, in_flight_s: float
) -> RedisPacer | None:
    """A ``RedisPacer`` when ``[redis] url`` is set, else None (the worker paces alone)."""
    if not settings.enabled:
        return None
    return RedisPacer.connect(settings, limits, in_flight_s=in_flight_s)
