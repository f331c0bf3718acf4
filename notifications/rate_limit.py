"""Owns pacing maths: token buckets overall, per private chat and per group, the 429 pause.

Pure (monotonic time is passed in); nothing here sleeps or sends.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

_EPSILON = 1e-9
_MIN_WAIT = 1e-6  # a shorter wait would not move a monotonic clock of a long-running process


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst``; starts full."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            msg = "a bucket needs a positive rate and a burst of at least 1"
            raise ValueError(msg)
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0.0 when one is there now)."""
        self._refill(now)
        if self.tokens >= 1 - _EPSILON:  # rounding must not leave a token a hair short
            return 0.0
        return max((1 - self.tokens) / self.rate, _MIN_WAIT)

    def take(self, now: float) -> None:
        """Use one token; call only when ``wait`` returned 0."""
        self._refill(now)
        self.tokens -= 1

    def refund(self, now: float) -> None:
        """Give back a token that bought nothing."""
        self._refill(now)
        self.tokens = min(float(self.burst), self.tokens + 1)

    def full(self, now: float) -> bool:
        """Whether the bucket has refilled completely (it can be forgotten)."""
        self._refill(now)
        return self.tokens >= self.burst


class WindowCap:
    """At most ``limit`` sends touch any ``window`` seconds, counted from Telegram's side.

    A send is counted from the moment it is granted until ``window`` seconds after its answer
    came back. Telegram sees each request at some instant between those two, so however late a
    request travels, no window on Telegram's clock can hold more than ``limit`` of them.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.in_flight = 0
        self._ends: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until another send fits (a guess when every counted send is in flight)."""
        while self._ends and now - self._ends[0] >= self.window:
            self._ends.popleft()
        if self.in_flight + len(self._ends) < self.limit:
            return 0.0
        if self._ends:
            # Never 0 while the window is full (rounding must not let one more through).
            return max(self._ends[0] + self.window - now, _MIN_WAIT)
        return self.window / self.limit

    def take(self) -> None:
        """A send was granted (it is in flight until ``done``)."""
        self.in_flight += 1

    def done(self, now: float) -> None:
        """A granted send was answered (or given up) at ``now``."""
        self.in_flight = max(0, self.in_flight - 1)
        self._ends.append(now)


@dataclass(frozen=True, slots=True)
class Limits:
    """Pacing settings: overall per second (and burst), per private chat, per group.

    ``guard`` seconds are added to every interval and window as a safety margin.
    """

    global_per_second: float = 25.0
    global_burst: int = 1
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    guard: float = 0.05

    def chat_interval(self, chat_id: int) -> float:
        """The shortest time between two sends to one chat (groups have negative ids)."""
        if chat_id < 0:
            return 60.0 / self.group_per_minute + self.guard
        return 1.0 / self.private_per_second + self.guard

    def window_cap(self) -> tuple[int, float]:
        """The window cap: at most this many sends count within this many seconds."""
        per_window = max(1, math.floor(self.global_per_second))
        return per_window, per_window / self.global_per_second + self.guard

    def sustained_per_second(self, answer_s: float = 0.0) -> float:
        """The overall rate the limiter allows over time, when answers take ``answer_s``.

        A send counts against the one-second window until a second after its answer, so the
        guard and the answer time both come off the nominal rate.
        """
        per_window = max(1, math.floor(self.global_per_second))
        window = per_window / self.global_per_second + self.guard + answer_s
        return min(self.global_per_second, per_window / window)


class RateLimiter:
    """Decides whether one send to a chat may go now, or how long to wait.

    Private chats have positive ids, groups negative ones (as in the Bot API).
    """

    def __init__(self, limits: Limits, now: float) -> None:
        self.limits = limits
        self._global = TokenBucket(limits.global_per_second, limits.global_burst, now)
        self._cap = WindowCap(*limits.window_cap())
        self._chats: dict[int, TokenBucket] = {}
        self._paused_until = now

    def _interval(self, chat_id: int) -> float:
        return self.limits.chat_interval(chat_id)

    def chat_interval(self, chat_id: int) -> float:
        """The shortest time between two sends to one chat."""
        return self._interval(chat_id)

    def _chat(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(1.0 / self._interval(chat_id), 1, now)
        return bucket

    def pause(self, until: float) -> None:
        """Stop every send until ``until`` (Telegram's ``retry_after``); never shortens a pause.

        The overall bucket is emptied and refills only from the end of the pause, so no burst
        follows it.
        """
        if until <= self._paused_until:
            return
        self._paused_until = until
        self._global.tokens = 0.0
        self._global.stamp = until

    def paused_until(self) -> float:
        """The end of the current pause (in the past when there is none)."""
        return self._paused_until

    def global_wait(self, now: float) -> float:
        """Seconds until the overall limit allows one more send."""
        return max(self._paused_until - now, self._global.wait(now), self._cap.wait(now), 0.0)

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until the chat's own limit allows one more send."""
        bucket = self._chats.get(chat_id)
        return 0.0 if bucket is None else bucket.wait(now)

    def acquire(self, chat_id: int, now: float) -> float:
        """Take the tokens for one send and return 0.0, or return the seconds to wait."""
        wait = max(self.global_wait(now), self.chat_wait(chat_id, now))
        if wait > 0:
            return wait
        self._global.take(now)
        self._cap.take()
        self._chat(chat_id, now).take(now)
        return 0.0

    def finish(self, chat_id: int, now: float, *, arrived: bool = True) -> None:
        """The send granted for ``chat_id`` was answered at ``now``.

        It counts against the overall window either way (Telegram saw the request). If the chat
        may have received it, the chat's next turn counts from the answer, not from the grant,
        so a slow request can never arrive closer than the interval to the chat's next one; a
        refusal (429, 5xx with an answer) gives the chat its turn back.
        """
        self._cap.done(now)
        bucket = self._chat(chat_id, now)
        if arrived:
            bucket.tokens = min(bucket.tokens, 0.0)
            bucket.stamp = now
        else:
            bucket.refund(now)

    def forget_idle(self, now: float) -> None:
        """Drop the buckets of chats that have fully refilled (memory stays bounded)."""
        idle = [chat for chat, bucket in self._chats.items() if bucket.full(now)]
        for chat in idle:
            del self._chats[chat]
