"""Owns the bot processes' heartbeat: who is running, for ``ejournal status``.

With ``[redis] url`` set, every running bot process (polling or webhook, any worker) keeps one
record in Redis under ``<key_prefix>:processes:<host>:<pid>``: its pid, worker number, mode, host
and start time. The record lives ``TTL_S`` seconds and is renewed every ``BEAT_S``, so a process
that died disappears within half a minute; a clean stop deletes it at once. Without Redis nothing
is written (one process: ``/healthz`` answers for it). A heartbeat that fails is logged and tried
again at the next beat; it never stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("ejournal.bot")

TTL_S = 30
BEAT_S = 10.0


def processes_pattern(prefix: str) -> str:
    """The keys of every process record under ``prefix`` (a SCAN pattern)."""
    escaped = "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in prefix)
    return f"{escaped}:processes:*"


def process_key(prefix: str, host: str, pid: int) -> str:
    """The key of one process's record."""
    return f"{prefix}:processes:{host}:{pid}"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """One live bot process as its heartbeat describes it."""

    pid: int
    worker: int | None
    mode: str
    host: str
    started_at: datetime
    seen_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The record as stored (and as ``ejournal status --json`` shows it)."""
        return {
            "pid": self.pid,
            "worker": self.worker,
            "mode": self.mode,
            "host": self.host,
            "started_at": self.started_at.isoformat(),
            "seen_at": self.seen_at.isoformat(),
        }

    @classmethod
    def parse(cls, raw: bytes | str) -> ProcessRecord | None:
        """A stored record, or None when it is not one."""
        try:
            value = json.loads(raw)
            worker = value["worker"]
            return cls(
                pid=int(value["pid"]),
                worker=None if worker is None else int(worker),
                mode=str(value["mode"]),
                host=str(value["host"]),
                started_at=datetime.fromisoformat(value["started_at"]),
                seen_at=datetime.fromisoformat(value["seen_at"]),
            )
        except (ValueError, TypeError, KeyError):
            return None


class Heartbeat:
    """Keeps this process's record in Redis while it runs (``start``, then ``stop``)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        mode: str,
        worker: int | None,
        ttl_s: int = TTL_S,
        beat_s: float = BEAT_S,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self.beat_s = beat_s
        self.clock = clock
        host, pid = socket.gethostname(), os.getpid()
        self.key = process_key(prefix, host, pid)
        started = clock()
        self.record = ProcessRecord(pid, worker, mode, host, started, started)
        self._task: asyncio.Task[None] | None = None

    async def beat(self) -> bool:
        """Write the record once, renewing its lifetime; whether Redis took it."""
        record = ProcessRecord(
            self.record.pid,
            self.record.worker,
            self.record.mode,
            self.record.host,
            self.record.started_at,
            self.clock(),
        )
        try:
            await self.redis.set(self.key, json.dumps(record.as_json()), ex=self.ttl_s)
        except (RedisError, OSError) as exc:
            log.warning("heartbeat not written: %s", type(exc).__name__)
            return False
        return True

    async def start(self) -> None:
        """Announce the process now and keep renewing the record."""
        await self.beat()
        self._task = asyncio.create_task(self._keep(), name="ejournal-heartbeat")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.beat_s)
            await self.beat()

    async def stop(self) -> None:
        """Stop renewing and delete the record (best effort: it expires anyway)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.redis.delete(self.key)
        except (RedisError, OSError) as exc:
            log.warning("heartbeat not removed: %s", type(exc).__name__)


async def live_processes(redis: Redis, prefix: str) -> list[ProcessRecord]:
    """Every bot process whose heartbeat is current, by worker number, host and pid."""
    keys = [key async for key in redis.scan_iter(match=processes_pattern(prefix), count=200)]
    values = await redis.mget(keys) if keys else []
    records = [ProcessRecord.parse(value) for value in values if value is not None]
    found = [record for record in records if record is not None]
    return sorted(found, key=lambda r: (r.worker is None, r.worker or 0, r.host, r.pid))
