"""The injectable clock: the only place core reads the time. Tests pass a FakeClock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Tells the current instant (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta

    def set(self, instant: datetime) -> None:
        """Jump to an instant."""
        self._now = instant.astimezone(UTC)


def local_today(clock: Clock, zone: ZoneInfo) -> date:
    """Today's date in the school's time zone."""
    return clock.now().astimezone(zone).date()
