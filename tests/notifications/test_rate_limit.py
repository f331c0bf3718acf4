"""The pure limiter on a frozen clock: overall rate and window cap, per chat, per group, pause."""

from __future__ import annotations

import bisect
import itertools

import pytest

from notifications.rate_limit import Limits, RateLimiter, TokenBucket, WindowCap


def grants(limiter: RateLimiter, chats: list[int], seconds: float, step: float = 0.001) -> list:
    """Offer a send for each chat in turn every ``step`` seconds; returns (time, chat) granted."""
    out = []
    now = 0.0
    i = 0
    while now < seconds:
        chat = chats[i % len(chats)]
        if limiter.acquire(chat, now) == 0:
            limiter.finish(chat, now)  # answered at once
            out.append((now, chat))
            i += 1
        now = round(now + step, 6)
    return out


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most grants in any half-open window [t, t + window)."""
    return max(bisect.bisect_left(times, t + window - 1e-9) - i for i, t in enumerate(times))


def test_bucket_refills_at_its_rate_and_never_beyond_its_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    for _ in range(3):
        assert bucket.wait(0.0) == 0
        bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(0.5)
    assert bucket.wait(100.0) == 0
    assert bucket.tokens == 3


def test_window_cap_counts_sends_until_a_window_after_their_answer() -> None:
    cap = WindowCap(limit=2, window=1.0)
    cap.take()
    cap.take()
    assert cap.wait(0.1) == pytest.approx(0.5)  # both in flight: a guess
    cap.done(0.3)  # a slow answer: it counts until 1.3
    assert cap.wait(0.5) == pytest.approx(0.8)
    cap.done(0.4)
    assert cap.wait(1.3) == 0


def test_a_slow_request_cannot_bunch_up_with_the_next_ones_on_telegrams_side() -> None:
    limiter = RateLimiter(Limits(global_per_second=2, global_burst=2, guard=0.0), now=0.0)
    assert limiter.acquire(1, 0.0) == 0  # travels for 0.9 s
    assert limiter.acquire(2, 0.0) == 0
    limiter.finish(2, 0.0)
    limiter.finish(1, 0.9)
    # Telegram may have seen request 1 at 0.9: a third may not arrive before 1.0 ...
    assert limiter.acquire(3, 0.95) > 0
    # ... and until 1.9 only one of the two slots is free again.
    assert limiter.acquire(3, 1.0) == 0
    limiter.finish(3, 1.0)
    assert limiter.acquire(4, 1.5) > 0
    assert limiter.acquire(4, 1.91) == 0


def test_a_chats_next_turn_counts_from_the_answer() -> None:
    limiter = RateLimiter(Limits(global_per_second=100, guard=0.0), now=0.0)
    assert limiter.acquire(7, 0.0) == 0
    limiter.finish(7, 0.3)  # the answer took 0.3 s
    assert limiter.chat_wait(7, 1.0) == pytest.approx(0.3)
    assert limiter.acquire(7, 1.3) == 0


def test_global_rate_never_passes_25_in_any_second() -> None:
    limiter = RateLimiter(Limits(global_per_second=25, guard=0.0), now=0.0)
    out = grants(limiter, list(range(1, 1001)), seconds=20)
    times = [t for t, _ in out]
    assert max_in_window(times) <= 25
    assert len(out) == pytest.approx(25 * 20, rel=0.02)


def test_a_burst_setting_cannot_lift_the_per_second_cap() -> None:
    limiter = RateLimiter(Limits(global_per_second=25, global_burst=25, guard=0.0), now=0.0)
    out = grants(limiter, list(range(1, 1001)), seconds=10)
    assert max_in_window([t for t, _ in out]) <= 25


def test_one_message_per_second_per_private_chat_with_the_guard() -> None:
    limiter = RateLimiter(Limits(global_per_second=100, guard=0.05), now=0.0)
    out = grants(limiter, [7], seconds=10)
    times = [t for t, _ in out]
    assert all(b - a >= 1.05 - 1e-9 for a, b in itertools.pairwise(times))
    assert len(times) == 10  # 0, 1.05, 2.10, ... 9.45


def test_twenty_per_minute_per_group() -> None:
    limiter = RateLimiter(Limits(global_per_second=100, guard=0.0), now=0.0)
    out = grants(limiter, [-1001], seconds=120, step=0.01)
    times = [t for t, _ in out]
    assert max_in_window(times, 60.0) <= 20
    assert len(times) == 40


def test_a_pause_stops_every_chat_until_it_ends() -> None:
    limiter = RateLimiter(Limits(global_per_second=100, guard=0.0), now=0.0)
    assert limiter.acquire(1, 0.0) == 0
    limiter.pause(5.0)
    limiter.pause(3.0)  # a shorter pause never shortens the current one
    assert limiter.acquire(2, 1.0) == pytest.approx(4.0)
    assert limiter.acquire(3, 5.0) > 0  # the bucket refills from the end of the pause
    assert limiter.acquire(3, 5.01) == 0


def test_a_refused_send_takes_no_tokens() -> None:
    limiter = RateLimiter(Limits(global_per_second=1, guard=0.0), now=0.0)
    assert limiter.acquire(1, 0.0) == 0
    limiter.finish(1, 0.0)
    assert limiter.acquire(2, 0.5) == pytest.approx(0.5)
    assert limiter.acquire(2, 1.0) == 0


def test_idle_chats_are_forgotten() -> None:
    limiter = RateLimiter(Limits(global_per_second=100, guard=0.0), now=0.0)
    for chat in range(1, 51):
        limiter.acquire(chat, 0.0)
    limiter.forget_idle(0.5)
    assert limiter.chat_wait(1, 0.5) > 0
    limiter.forget_idle(2.0)
    assert limiter.chat_wait(1, 2.0) == 0
    assert limiter._chats == {}


def test_a_refused_send_gives_the_chat_its_turn_back() -> None:
    limiter = RateLimiter(Limits(global_per_second=100, guard=0.0), now=0.0)
    assert limiter.acquire(7, 0.0) == 0
    limiter.finish(7, 0.1, arrived=False)  # 5xx or 429: nothing reached the chat
    assert limiter.acquire(7, 0.1) == 0
    limiter.finish(7, 0.2)
    assert limiter.acquire(7, 0.3) > 0


def test_no_burst_follows_a_pause() -> None:
    limiter = RateLimiter(Limits(global_per_second=10, global_burst=5, guard=0.0), now=0.0)
    limiter.pause(10.0)
    granted = []
    now = 0.0
    while len(granted) < 3:
        if limiter.acquire(len(granted) + 1, now) == 0:
            limiter.finish(len(granted) + 1, now)
            granted.append(now)
        now = round(now + 0.01, 6)
    assert granted == [pytest.approx(10.1), pytest.approx(10.2), pytest.approx(10.3)]
