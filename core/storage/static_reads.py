"""A per-engine cache of the school year's static data: calendars, semesters, default bells.

These rows are written when a school or a school year is set up (and deleted by the privacy
purge); every hot read of the bot needs them, and reading them costs several statements per
request. The cache belongs to one engine (one database), so tests that make a database each
never share entries.

Invalidation (``core.storage.database.watch_writes`` with ``end_of_transaction``): every
statement this engine sends that writes to one of the watched tables moves the cache's version,
and so does the end (commit or rollback) of a transaction that wrote one of them, so nothing
read inside that transaction (perhaps its own uncommitted rows) outlives it.
Writes by other processes are not seen; entries also expire after ``TTL_S`` seconds.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.database import TableWrites, watch_writes

TTL_S = 300.0
_MAX_ENTRIES = 20_000
WATCHED = frozenset({"school_years", "terms", "days_off", "bell_schedules", "bell_periods"})

_T = TypeVar("_T")


class StaticReads:
    """Cached values by key, each valid while the version it was read at is current."""

    def __init__(self, writes: TableWrites, clock: Callable[[], float] = time.monotonic) -> None:
        self._writes = writes
        self._clock = clock
        self._items: dict[tuple[Any, ...], tuple[int, float, Any]] = {}

    @property
    def version(self) -> int:
        """Moves with every write to the watched tables (read it before the query)."""
        return self._writes.version

    def get(self, key: tuple[Any, ...]) -> Any | None:
        """The cached value, or None when absent, stale or expired."""
        found = self._items.get(key)
        if found is None:
            return None
        version, stored_at, value = found
        if version != self.version or self._clock() - stored_at > TTL_S:
            del self._items[key]
            return None
        return value

    def put(self, key: tuple[Any, ...], value: _T, version: int) -> _T:
        """Keep ``value`` if nothing was written since ``version`` (read before the query)."""
        if version == self.version:
            if len(self._items) >= _MAX_ENTRIES:
                self._items.clear()
            self._items[key] = (version, self._clock(), value)
        return value


_CACHES: weakref.WeakKeyDictionary[Engine, StaticReads] = weakref.WeakKeyDictionary()


def static_reads(session: AsyncSession) -> StaticReads | None:
    """The cache of the session's engine (None for a session bound to no engine)."""
    bind = session.bind
    engine = getattr(bind, "sync_engine", None)
    if not isinstance(engine, Engine):
        return None
    cache = _CACHES.get(engine)
    if cache is None:
        cache = StaticReads(watch_writes(engine, WATCHED, end_of_transaction=True))
        _CACHES[engine] = cache
    return cache
