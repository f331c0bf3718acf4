"""Several delivery workers, as in several processes, sharing one set of limits in Redis.

Each worker has its own ``RedisPacer`` (its own client) and its own sender, as separate processes
would; the senders stamp every call on one monotonic clock. Real time, short runs: rates are
asserted as strict upper bounds (the limits' guarantees), throughput only loosely.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import random
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from core.bootstrap import Core
from core.clock import Clock, SystemClock
from core.config import RedisSettings
from notifications.delivery import DeliveryWorker
from notifications.outbox import Outbox
from notifications.rate_limit import Limits
from notifications.records import NewDelivery, Status
from notifications.runtime import build_notifications_runtime
from notifications.sender import Outcome, Part, RecordingSender, RetryAfter, TextPart
from notifications.settings import NotificationsSettings
from notifications.shared_limits import LocalPacer, RedisPacer

from .conftest import fast_config, settle

DUE = datetime(2026, 11, 27, 8, tzinfo=UTC)  # the frozen clock's now: due at once


@dataclass
class Stamps:
    """Every call of every worker's sender: (monotonic time, worker, chat, text)."""

    calls: list[tuple[float, int, int, str]] = field(default_factory=list)
    refuse: dict[int, float] = field(default_factory=dict)  # chat -> retry_after, once
    refused: list[str] = field(default_factory=list)

    def sender(self, worker: int) -> RecordingSender:
        def script(chat: int, part: Part, _n: int) -> Outcome | None:
            assert isinstance(part, TextPart)
            self.calls.append((time.monotonic(), worker, chat, part.text))
            if chat in self.refuse:
                self.refused.append(part.text)
                return RetryAfter(self.refuse.pop(chat))
            return None

        return RecordingSender(script=script)

    def times(self) -> list[float]:
        return sorted(at for at, *_ in self.calls)


def busiest(times: list[float], span: float = 1.0) -> int:
    """The most calls in any half-open window of ``span`` seconds."""
    return max((bisect.bisect_left(times, t + span) - i for i, t in enumerate(times)), default=0)


async def enqueue(core: Core, chats: int, per_chat: int) -> tuple[Outbox, list[str]]:
    outbox = Outbox(core.engine)
    texts = [f"c{c}m{m}" for m in range(per_chat) for c in range(chats)]
    rows = [
        NewDelivery(
            key=text,
            kind="test",
            payload={"text": text},
            not_before=DUE,
            chat_id=1000 + int(text[1 : text.index("m")]),
        )
        for text in texts
    ]
    await outbox.enqueue(rows, core.clock.now())
    return outbox, texts


def pacer(redis_url: str, prefix: str, limits: Limits, **changes: float) -> RedisPacer:
    return RedisPacer.connect(
        RedisSettings(url=redis_url, key_prefix=prefix), limits, in_flight_s=30.0, **changes
    )


@contextlib.asynccontextmanager
async def workers(
    core: Core,
    stamps: Stamps,
    pacers: list[RedisPacer | None],
    limits: Limits,
    clock: Clock | None = None,
) -> AsyncIterator[list[DeliveryWorker]]:
    """One worker per pacer (None: it paces alone), started; stopped (and closed) after."""
    running = [
        DeliveryWorker(
            Outbox(core.engine),
            stamps.sender(i),
            fast_config(limits=limits, claim_batch=5, max_in_flight=4),
            clock=clock or core.clock,
            rng=random.Random(i),
            pacer=shared,
        )
        for i, shared in enumerate(pacers)
    ]
    for worker in running:
        worker.start()
    try:
        yield running
    finally:
        for worker in running:
            await worker.stop()


def assert_each_once(stamps: Stamps, texts: list[str]) -> None:
    delivered = Counter(text for *_, text in stamps.calls)
    delivered.subtract(stamps.refused)
    assert set(delivered) == set(texts)  # nothing lost
    assert [text for text, n in delivered.items() if n > 1] == []  # nothing twice


async def test_three_workers_share_the_global_rate_and_each_chats_interval(
    core: Core, redis_url: str, redis_prefix: str
) -> None:
    limits = Limits(global_per_second=20, global_burst=1, private_per_second=4, guard=0.02)
    outbox, texts = await enqueue(core, chats=15, per_chat=3)
    stamps = Stamps()
    pacers = [pacer(redis_url, redis_prefix, limits) for _ in range(3)]
    async with workers(core, stamps, list(pacers), limits) as running:
        counts = await settle(outbox, within=30)
    assert counts == {Status.SENT: 45}
    assert_each_once(stamps, texts)
    times = stamps.times()
    # The one budget: no second holds more than the limit, whichever worker sent.
    assert busiest(times) <= 20
    # Each chat: never two messages closer than 1/private_per_second (0.25 s), across workers.
    per_chat: dict[int, list[float]] = {}
    for at, _worker, chat, _text in stamps.calls:
        per_chat.setdefault(chat, []).append(at)
    gaps = [b - a for ats in per_chat.values() for a, b in itertools.pairwise(ats)]
    assert min(gaps) >= 0.25
    # Every worker took part, and the budget was used (loosely: at least 40% of it).
    assert all(worker.stats.sends > 0 for worker in running)
    assert 45 / (times[-1] - times[0]) >= 8


async def test_several_workers_on_one_outbox_never_send_a_delivery_twice(core: Core) -> None:
    """Claims (PostgreSQL: FOR UPDATE SKIP LOCKED) split the outbox between workers."""
    limits = Limits(global_per_second=1000, global_burst=50, private_per_second=50, guard=0.0)
    outbox, texts = await enqueue(core, chats=100, per_chat=3)
    stamps = Stamps()
    async with workers(core, stamps, [None, None, None], limits) as running:
        counts = await settle(outbox, within=30)
    assert counts == {Status.SENT: 300}
    assert_each_once(stamps, texts)
    assert len(stamps.calls) == 300
    assert all(worker.stats.claimed > 0 for worker in running)
    assert sum(worker.stats.claimed for worker in running) == 300


async def test_workers_pacing_alone_would_overrun_the_limit(core: Core) -> None:
    """The control for the test above: three in-process limiters spend three budgets."""
    limits = Limits(global_per_second=20, global_burst=1, private_per_second=50, guard=0.0)
    outbox, texts = await enqueue(core, chats=90, per_chat=1)
    stamps = Stamps()
    async with workers(core, stamps, [None, None, None], limits):
        await settle(outbox, within=30)
    assert_each_once(stamps, texts)
    assert busiest(stamps.times()) > 30


async def test_a_retry_after_seen_by_one_worker_pauses_every_worker(
    core: Core, redis_url: str, redis_prefix: str
) -> None:
    limits = Limits(global_per_second=20, global_burst=1, private_per_second=50, guard=0.0)
    outbox, texts = await enqueue(core, chats=30, per_chat=1)
    stamps = Stamps(refuse={1005: 1.0})
    pacers = [pacer(redis_url, redis_prefix, limits) for _ in range(3)]
    async with workers(core, stamps, list(pacers), limits, clock=SystemClock()) as running:
        counts = await settle(outbox, within=30)
    assert counts == {Status.SENT: 30}
    assert_each_once(stamps, texts)
    [(refused_at, refused_by)] = [
        (at, worker) for at, worker, chat, _ in stamps.calls if chat == 1005
    ][:1]
    during = [
        (at - refused_at, worker)
        for at, worker, _chat, _text in stamps.calls
        if refused_at < at < refused_at + 0.98
    ]
    # Only a send granted in the moment before the pause was written may slip through; with
    # pacers of their own the other two workers would send ~35 messages in that second.
    assert len(during) <= 1, during
    assert all(offset < 0.1 for offset, _ in during), during
    assert sum(worker.stats.paused_s for worker in running) == pytest.approx(1.0, abs=0.1)
    assert running[refused_by].stats.retried == 1
    # The refused message came back after its retry_after.
    [again] = [at for at, _w, chat, _ in stamps.calls if chat == 1005][1:]
    assert again - refused_at >= 1.0


async def test_pacers_share_pause_bucket_and_chat_slots(redis_url: str, redis_prefix: str) -> None:
    limits = Limits(global_per_second=10, global_burst=1, private_per_second=2, guard=0.0)
    first, second = (pacer(redis_url, redis_prefix, limits) for _ in range(2))
    try:
        # One send to chat 7 in flight at the first worker: the second must not send to it.
        assert await first.acquire(7) == (0.0, False)
        busy = await second.acquire(7)
        assert busy.chat
        assert busy.wait == pytest.approx(0.5)
        assert 0.45 < await second.chat_wait(7) <= 0.5  # it remembers, and waits out of line
        await first.finish(7, arrived=True)  # the chat's next turn: half a second after this
        later = await second.acquire(7)
        assert later.chat
        assert 0.45 < later.wait <= 0.5
        # The overall bucket is shared: 10/s means the next grant anywhere waits ~0.1 s.
        wait = await second.acquire(8)
        assert not wait.chat
        assert 0.05 < wait.wait <= 0.1
        await asyncio.sleep(wait.wait)
        assert await second.acquire(8) == (0.0, False)
        await second.finish(8, arrived=False)  # refused: chat 8 gets its turn back
        back = await first.acquire(8)
        assert not back.chat  # only the overall bucket makes it wait
        assert 0.05 < back.wait <= 0.1
        # A pause by one is a pause for all; a shorter one never shortens it.
        assert await first.pause(0.3) == pytest.approx(0.3, abs=0.02)
        assert await second.pause(0.1) == 0.0
        assert 0.25 < await second.paused_for() <= 0.3
        assert 0.25 < (await second.acquire(9)).wait <= 0.3
        await asyncio.sleep(await second.paused_for())
        # After the pause the bucket starts empty: one grant per 0.1 s, no burst.
        for _ in range(3):
            if (turn := await second.acquire(9)).wait == 0:
                break
            await asyncio.sleep(turn.wait)
        assert turn.wait == 0
        assert 0.05 < (await first.acquire(10)).wait <= 0.1
        await second.finish(9, arrived=True)
    finally:
        await first.close()
        await second.close()
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}:limits:*")]
        assert f"{redis_prefix}:limits:chat:7".encode() in keys
        for key in keys:  # nothing stays for ever
            assert 0 < await client.pttl(key) <= 32_000
    finally:
        await client.aclose()


class Proxy:
    """Forwards 127.0.0.1:``port`` to the Redis at ``target_url`` once started."""

    def __init__(self, target_url: str, port: int) -> None:
        self.target = Redis.from_url(target_url).connection_pool.connection_kwargs
        self.port = port
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.pipes: set[asyncio.Task[None]] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(
            self.target["host"], self.target["port"]
        )
        self.writers += [writer, up_writer]
        for pipe in (self._pipe(reader, up_writer), self._pipe(up_reader, writer)):
            self.pipes.add(asyncio.create_task(pipe))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in self.writers:
            writer.close()
        for task in self.pipes:
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)
        for writer in self.writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        if self.server is not None:
            await self.server.wait_closed()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_without_redis_sends_wait_and_resume_when_it_answers(
    core: Core, redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    limits = Limits(global_per_second=50, global_burst=1, private_per_second=50, guard=0.0)
    outbox, texts = await enqueue(core, chats=10, per_chat=1)
    port = free_port()
    db = Redis.from_url(redis_url).connection_pool.connection_kwargs.get("db", 0)
    unreachable = pacer(f"redis://127.0.0.1:{port}/{db}", redis_prefix, limits, retry_s=0.1)
    stamps = Stamps()
    caplog.set_level(logging.INFO, logger="ejournal.notifications.limits")
    forward = Proxy(redis_url, port)
    try:
        async with workers(core, stamps, [unreachable], limits) as [worker]:
            await asyncio.sleep(0.6)
            assert stamps.calls == []  # nothing unpaced
            assert worker.buffered + worker.in_flight > 0  # waiting, not crashed or given up
            await forward.start()  # Redis answers again
            counts = await settle(outbox, within=15)
    finally:
        await forward.close()
    assert counts == {Status.SENT: 10}
    assert_each_once(stamps, texts)
    messages = [record.getMessage() for record in caplog.records]
    assert any("shared rate limit is unavailable" in text for text in messages)
    assert any("available again" in text for text in messages)
    assert not any(str(1000 + chat) in text for text in messages for chat in range(10))


async def test_the_runtime_paces_through_redis_when_it_is_configured(
    core: Core, redis_url: str, redis_prefix: str
) -> None:
    settings = NotificationsSettings(idle_poll_s=0.02, global_per_second=100)
    alone = build_notifications_runtime(core, settings, RecordingSender())
    assert isinstance(alone.worker.pacer, LocalPacer)  # [redis] url empty: one process
    core.settings = core.settings.model_copy(
        update={"redis": RedisSettings(url=redis_url, key_prefix=redis_prefix)}
    )
    sender = RecordingSender()
    runtime = build_notifications_runtime(core, settings, sender)
    assert isinstance(runtime.worker.pacer, RedisPacer)
    outbox, texts = await enqueue(core, chats=3, per_chat=1)
    runtime.worker.start()
    try:
        await settle(outbox, within=15)
    finally:
        await runtime.worker.stop()
    assert sorted(sender.texts()) == sorted(texts)
    client = Redis.from_url(redis_url)
    try:
        assert await client.exists(f"{redis_prefix}:limits:window") == 1
    finally:
        await client.aclose()
