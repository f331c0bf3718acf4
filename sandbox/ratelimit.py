"""Optional flood-control emulation: token buckets overall, per private chat and per group.

Owns the limiter maths only; the Bot API layer decides which calls are limited.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class RateLimitConfig:
    """Flood limits; off by default. Rates are tokens per second (groups: per minute)."""

    enabled: bool = False
    global_per_second: float = 30.0
    global_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 1
    group_per_minute: float = 20.0
    group_burst: int = 20
    methods: list[str] = field(
        default_factory=lambda: ["sendMessage", "sendDocument", "sendPhoto"]
    )

    def to_json(self) -> dict[str, Any]:
        """The config as a JSON-ready dict."""
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> RateLimitConfig:
        """A copy with ``changes`` applied.

        Raises:
            ValueError: On an unknown key or a value of the wrong type.
        """
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            msg = f"unknown rate-limit settings: {sorted(unknown)}"
            raise ValueError(msg)
        merged = self.to_json() | changes
        if not isinstance(merged["enabled"], bool) or not isinstance(merged["methods"], list):
            msg = "enabled must be a boolean and methods a list"
            raise ValueError(msg)
        config = RateLimitConfig(**merged)
        for name in ("global_per_second", "private_per_second", "group_per_minute"):
            value = getattr(config, name)
            if not isinstance(value, int | float) or value <= 0:
                msg = f"{name} must be a positive number"
                raise ValueError(msg)
        for name in ("global_burst", "private_burst", "group_burst"):
            value = getattr(config, name)
            if not isinstance(value, int) or value < 1:
                msg = f"{name} must be a positive integer"
                raise ValueError(msg)
        return config


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst``."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token; call only after ``wait_time`` returned 0."""
        self.tokens -= 1


class RateLimiter:
    """Decides whether a send to a chat passes, or how long the caller must wait."""

    def __init__(self, config: RateLimitConfig | None = None) -> None:
        self.config = config or RateLimitConfig()
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self.rejections = 0

    def configure(self, config: RateLimitConfig) -> None:
        """Replace the config and reset every bucket."""
        self.config = config
        self._global = None
        self._chats.clear()

    def applies_to(self, method: str) -> bool:
        """Whether calls of ``method`` are rate limited under the current config."""
        return self.config.enabled and method.lower() in {m.lower() for m in self.config.methods}

    def _chat_bucket(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                rate, burst = self.config.group_per_minute / 60, self.config.group_burst
            else:
                rate, burst = self.config.private_per_second, self.config.private_burst
            bucket = self._chats[chat_id] = TokenBucket(rate, burst, now)
        return bucket

    def check(self, chat_id: int | None, now: float | None = None) -> int | None:
        """Consume tokens for one send, or return ``retry_after`` seconds (≥ 1) on a refusal."""
        now = time.monotonic() if now is None else now
        if self._global is None:
            cfg = self.config
            self._global = TokenBucket(cfg.global_per_second, cfg.global_burst, now)
        buckets = [self._global]
        if chat_id is not None:
            buckets.append(self._chat_bucket(chat_id, now))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            self.rejections += 1
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None
