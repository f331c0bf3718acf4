"""The anti-flood token buckets (the middlewares themselves are exercised in test_dialogs)."""

from __future__ import annotations

from bot.middlewares import TokenBuckets


def test_burst_then_one_warning_then_drops_until_refilled() -> None:
    now = [0.0]
    buckets = TokenBuckets(2.0, 3, clock=lambda: now[0])
    assert [buckets.take(1) for _ in range(5)] == ["pass", "pass", "pass", "warn", "drop"]
    assert buckets.take(2) == "pass"  # per user
    now[0] += 0.5  # one token back at 2/s
    assert buckets.take(1) == "pass"
    assert buckets.take(1) == "warn"  # a new episode warns again


def test_memory_is_bounded() -> None:
    buckets = TokenBuckets(1.0, 1, clock=lambda: 0.0, max_users=2)
    for user in (1, 2, 3):
        buckets.take(user)
    assert buckets.take(1) == "pass"  # forgotten, so a fresh bucket
