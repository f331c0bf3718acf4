"""Owns the delivery worker: claims under a lease, pacing, sending, outcomes written back.

The only code that sends unprompted messages; no SQL (the outbox), no Telegram library (sender).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from core.clock import Clock
from notifications.messages import DocumentSource, OutboundMessage
from notifications.outbox import Outbox
from notifications.rate_limit import Limits
from notifications.records import Completion, MailCarried, Status, StoredDelivery
from notifications.sender import (
    Button,
    ChatMigrated,
    Delivered,
    DocumentPart,
    Failed,
    Outcome,
    Part,
    RecipientGone,
    RetryAfter,
    Sender,
    TextPart,
    may_have_arrived,
)
from notifications.settings import NotificationsSettings
from notifications.shared_limits import LocalPacer, Pacer
from notifications.splitting import split_caption, split_text

log = logging.getLogger("ejournal.notifications.delivery")


class Ticker(Protocol):
    """Monotonic time and waiting, for pacing (tests pass a fake that never really sleeps)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...

    async def wait(self, event: asyncio.Event, seconds: float) -> None:
        """Wait until ``event`` is set or ``seconds`` passed."""
        ...


class SystemTicker:
    """The real monotonic clock."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(max(0.0, seconds))

    async def wait(self, event: asyncio.Event, seconds: float) -> None:
        """Wait for the event, at most ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, seconds))


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with equal jitter: half the delay fixed, half drawn from ``rng``."""

    base: float
    cap: float

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts failures so far)."""
        full = min(self.cap, self.base * float(2 ** max(0, attempt - 1)))
        return full / 2 + rng.uniform(0, full / 2)


@dataclass
class WorkerStats:
    """What the worker did since it started (for logs, the bench and tests)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    paused_s: float = 0.0
    released: int = 0
    sends: int = 0


class CompletionWriter:
    """Writes outcomes back in group commits: what arrives while one commit runs joins the next.

    A sender's slot is freed only once its outcome is durable, so at most ``max_in_flight``
    sends can ever be unrecorded (the duplicates a crash can cause).
    """

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._pending: list[tuple[Completion, asyncio.Future[None]]] = []
        self._ready = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writing task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-writer")

    async def write(self, completion: Completion) -> None:
        """Queue one outcome and wait until it is committed."""
        if self._task is None:
            raise RuntimeError("the completion writer is not started")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((completion, future))
        self._ready.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            batch, self._pending = self._pending, []
            if not batch:
                if self._closing:
                    return
                continue
            try:
                await self._outbox.record([completion for completion, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._closing = True
        self._ready.set()
        if self._task is not None:
            await self._task
            self._task = None


@dataclass(order=True)
class _Queued:
    ready_at: float
    seq: int
    delivery: StoredDelivery = field(compare=False)
    claimed_at: float = field(compare=False, default=0.0)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Tuning of one worker (from ``[notifications]``)."""

    limits: Limits = field(default_factory=Limits)
    max_in_flight: int = 32
    claim_batch: int = 100
    lease_s: float = 60.0
    idle_poll_s: float = 0.5
    max_attempts: int = 6
    backoff: Backoff = field(default_factory=lambda: Backoff(2.0, 600.0))

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> WorkerConfig:
        """The worker's share of the settings."""
        return cls(
            limits=Limits(
                global_per_second=settings.global_per_second,
                global_burst=settings.global_burst,
                private_per_second=settings.private_per_second,
                group_per_minute=settings.group_per_minute,
                guard=settings.pacing_guard_s,
            ),
            max_in_flight=settings.max_in_flight,
            claim_batch=settings.claim_batch,
            lease_s=settings.lease_s,
            idle_poll_s=settings.idle_poll_s,
            max_attempts=settings.max_attempts,
            backoff=Backoff(settings.backoff_base_s, settings.backoff_max_s),
        )


class DeliveryWorker:
    """Sends what the outbox holds, politely; ``start()``, then ``stop()`` drains.

    Args:
        outbox: Where deliveries are claimed and outcomes written.
        sender: How one part reaches one chat.
        config: Pacing, leases and retries.
        clock: Wall time for the outbox (``not_before``, leases, ``sent_at``).
        ticker: Monotonic time for pacing.
        rng: Randomness for backoff jitter (seeded in tests).
        documents: Renders the documents messages refer to (``OutboundMessage.document``) at
            send time; without it such messages fail as having nothing to send.
        pacer: Pacing shared with other workers (``shared_limits.RedisPacer``); by default
            this worker paces alone (``LocalPacer`` with ``config.limits``). Closed by ``stop``.
    """

    def __init__(
        self,
        outbox: Outbox,
        sender: Sender,
        config: WorkerConfig,
        *,
        clock: Clock,
        ticker: Ticker | None = None,
        rng: random.Random | None = None,
        documents: DocumentSource | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.documents = documents
        self.config = config
        self.clock = clock
        self.ticker: Ticker = ticker or SystemTicker()
        self.rng = rng or random.Random()
        self.pacer: Pacer = pacer or LocalPacer(config.limits, self.ticker.monotonic)
        self.stats = WorkerStats()
        self._heap: list[_Queued] = []
        self._seq = itertools.count()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._sends: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._more = asyncio.Event()
        self._stopping = False
        self._writer = CompletionWriter(outbox)
        self._tasks: list[asyncio.Task[None]] = []
        self._last_sweep = 0.0
        self._last_forget = 0.0
        self._gone: dict[int, float] = {}  # chat -> when a 403 said so (monotonic)
        self._moved: dict[int, int] = {}  # group chat -> its supergroup (400 migrate)
        self._busy: set[int] = set()  # chats with a send in progress
        self._gate = asyncio.Lock()  # the queue for the overall bucket

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start claiming and sending in the running loop."""
        if self._tasks:
            return
        self._stopping = False
        self._writer.start()
        self._tasks = [
            asyncio.create_task(self._prefetch(), name="outbox-claims"),
            asyncio.create_task(self._dispatch(), name="outbox-dispatch"),
        ]

    def wake(self) -> None:
        """New deliveries may be due: look now instead of at the next poll."""
        self._more.set()

    @property
    def in_flight(self) -> int:
        """Sends started whose outcome is not written yet."""
        return len(self._sends)

    @property
    def buffered(self) -> int:
        """Claimed deliveries waiting for their turn."""
        return len(self._heap)

    async def stop(self, drain_s: float = 10.0) -> None:
        """Stop claiming, let sends in flight finish (at most ``drain_s``), hand back the rest."""
        self._stopping = True
        self._wake.set()
        self._more.set()
        if not self._tasks:
            await self.pacer.close()
            return
        claims, dispatch = self._tasks
        dispatch.cancel()  # safe: a delivery it holds goes back to the heap
        # A claim in progress finishes (its rows join the heap and are handed back below).
        _done, late = await asyncio.wait({claims}, timeout=max(drain_s, 1.0))
        for task in late:
            task.cancel()
        for task in (claims, dispatch):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._sends:
            _done, pending = await asyncio.wait(set(self._sends), timeout=drain_s)
            for task in pending:  # their rows keep the lease and are retried after it
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        waiting = [item.delivery.id for item in self._heap]
        self._heap.clear()
        try:
            if waiting:
                now = self.clock.now()
                self.stats.released += await self.outbox.release(waiting, not_before=now)
        except Exception:  # their leases run out and another worker takes them
            log.exception("could not hand back %d claimed deliveries", len(waiting))
        await self._writer.close()
        await self.pacer.close()

    # ------------------------------------------------------------------ claiming

    async def _prefetch(self) -> None:
        low_water = max(1, self.config.claim_batch // 2)
        while not self._stopping:
            self._sweep_leases_due()
            if len(self._heap) >= low_water:
                self._more.clear()
                await self.ticker.wait(self._more, self.config.idle_poll_s)
                continue
            now = self.clock.now()
            try:
                claimed = await self.outbox.claim(
                    now=now,
                    limit=self.config.claim_batch - len(self._heap),
                    lease_until=now + timedelta(seconds=self.config.lease_s),
                )
            except Exception:
                log.exception("claiming deliveries failed; retrying")
                claimed = []
                await self.ticker.sleep(self.config.idle_poll_s)
            tick = self.ticker.monotonic()
            for delivery in claimed:
                heapq.heappush(self._heap, _Queued(tick, next(self._seq), delivery, tick))
            self.stats.claimed += len(claimed)
            if claimed:
                self._wake.set()
            else:
                self._more.clear()
                await self.ticker.wait(self._more, self.config.idle_poll_s)

    def _sweep_leases_due(self) -> None:
        """Hand back claims that waited half their lease (a long per-chat wait or a pause)."""
        now = self.ticker.monotonic()
        if now - self._last_forget >= 60.0:
            self._last_forget = now
            self.pacer.forget_idle()
        if now - self._last_sweep < 1.0 or not self._heap:
            return
        self._last_sweep = now
        limit = self.config.lease_s / 2
        stale = [item for item in self._heap if now - item.claimed_at > limit]
        if not stale:
            return
        ids = {item.delivery.id for item in stale}
        self._heap = [item for item in self._heap if item.delivery.id not in ids]
        heapq.heapify(self._heap)
        self._spawn(self._release(sorted(ids)))

    async def _release(self, ids: list[int]) -> None:
        """Hand ``ids`` back, due when the current pause ends."""
        paused = await self.pacer.paused_for()
        later = self.clock.now() + timedelta(seconds=paused)
        self.stats.released += await self.outbox.release(ids, not_before=later)

    # ------------------------------------------------------------------ dispatching

    async def _dispatch(self) -> None:
        while not self._stopping:
            if not self._heap:
                self._more.set()
                self._wake.clear()
                await self.ticker.wait(self._wake, self.config.idle_poll_s)
                continue
            head = self._heap[0]
            now = self.ticker.monotonic()
            if head.ready_at > now:
                self._wake.clear()
                await self.ticker.wait(self._wake, head.ready_at - now)
                continue
            heapq.heappop(self._heap)
            if len(self._heap) < self.config.claim_batch // 2:
                self._more.set()
            chat_id = head.delivery.chat_id
            if chat_id is not None and self._is_gone(chat_id, now):
                self._spawn(self._skip_gone(head.delivery))
                continue
            if chat_id is not None:
                # One send at a time per chat keeps its order; its bucket says when the next goes.
                if chat_id in self._busy:
                    wait = self.pacer.chat_interval(chat_id)  # never less than its bucket's wait
                else:
                    try:
                        wait = await self.pacer.chat_wait(chat_id)
                    except asyncio.CancelledError:
                        heapq.heappush(self._heap, head)
                        raise
                if wait > 0:
                    heapq.heappush(
                        self._heap, replace(head, ready_at=self.ticker.monotonic() + wait)
                    )
                    continue
                self._busy.add(chat_id)
            try:
                await self._slots.acquire()
            except asyncio.CancelledError:
                self._busy.discard(chat_id or 0)
                heapq.heappush(self._heap, head)
                raise
            self._spawn(self._deliver(head.delivery))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def _is_gone(self, chat_id: int, now: float) -> bool:
        since = self._gone.get(chat_id)
        if since is None:
            return False
        if now - since > self.config.lease_s:
            del self._gone[chat_id]
            return False
        return True

    async def _skip_gone(self, delivery: StoredDelivery) -> None:
        """A 403 already stopped this chat: the claimed row becomes unreachable unsent."""
        await self._slots.acquire()
        try:
            self.stats.unreachable += 1
            await self._writer.write(
                Completion(
                    delivery.id,
                    Status.UNREACHABLE,
                    self.clock.now(),
                    last_error="recipient unreachable",
                    chat_id=delivery.chat_id,
                )
            )
        except Exception:
            log.exception("delivery %s: the outcome could not be recorded", delivery.id)
        finally:
            self._slots.release()

    async def _pace(self, chat_id: int) -> None:
        """Wait for the chat's turn, then (in line, first come first served) the overall one.

        The caller sends right after this returns, so the time between taking the tokens and
        the request leaving stays as short as possible.
        """
        while (wait := await self.pacer.chat_wait(chat_id)) > 0:
            await self.ticker.sleep(wait)
        while True:
            async with self._gate:
                while (turn := await self.pacer.acquire(chat_id)).wait > 0 and not turn.chat:
                    await self.ticker.sleep(turn.wait)
                if turn.wait == 0:
                    return
            await self.ticker.sleep(turn.wait)  # the chat's own wait (another worker's send)

    # ------------------------------------------------------------------ sending one delivery

    async def _deliver(self, delivery: StoredDelivery) -> None:
        try:
            completion = await self._send(delivery)
            await self._writer.write(completion)
        except asyncio.CancelledError:
            raise
        except Exception:  # the row keeps its lease and is retried after it
            log.exception("delivery %s: the outcome could not be recorded", delivery.id)
        finally:
            if delivery.chat_id is not None:
                self._busy.discard(delivery.chat_id)
            self._slots.release()

    async def _send(self, delivery: StoredDelivery) -> Completion:
        try:
            message = OutboundMessage.model_validate(delivery.payload)
        except ValidationError:
            return self._failed(delivery, "invalid payload", permanent=True)
        chat = delivery.chat_id
        if chat is None:
            return self._failed(delivery, "no chat", permanent=True)
        if chat in self._moved:  # claimed before another row learnt the new id
            chat = self._moved[chat]
            delivery = replace(delivery, chat_id=chat)
        parts = await self._parts(message)
        if not parts:
            return self._failed(delivery, "nothing to send", permanent=True)
        progress = message.parts_sent
        outcome: Outcome = Delivered()
        sent_ids: list[int] = []  # Telegram ids of the parts sent now (mail replies map back)
        for index in range(message.parts_sent, len(parts)):
            await self._pace(chat)
            self.stats.sends += 1
            outcome = Failed("interrupted", ambiguous=True)
            try:
                outcome = await self.sender.send(chat, parts[index])
                if isinstance(outcome, RetryAfter) and outcome.seconds > 0:
                    # First of all: every send stops (in every worker sharing the limits).
                    self.stats.paused_s += await self.pacer.pause(outcome.seconds)
            finally:
                await self.pacer.finish(chat, arrived=may_have_arrived(outcome))
            if not isinstance(outcome, Delivered):
                break
            if outcome.message_id is not None:
                sent_ids.append(outcome.message_id)
            progress = index + 1
            if progress < len(parts):
                update = self._progress(delivery, message, progress)
                await self._writer.write(
                    replace(update, mail=_carried(delivery, message, sent_ids))
                )
        completion = self._complete(delivery, message, outcome, progress)
        return replace(completion, mail=_carried(delivery, message, sent_ids))

    async def _parts(self, message: OutboundMessage) -> list[Part]:
        markup = message.parse_mode == "HTML"
        parts: list[Part] = []
        if message.file_id is not None or message.document is not None:
            if message.document is not None:  # rendered now: the outbox holds no bytes
                stored = await self.documents(message.document) if self.documents else None
            else:
                stored = await self.outbox.file(message.file_id or 0)
            if stored is None:
                return []
            name, content = stored
            caption, rest = split_caption(message.caption or "", markup=markup)
            parts.append(DocumentPart(content, name, caption or None, message.parse_mode))
            parts.extend(TextPart(text, message.parse_mode) for text in rest)
        if message.text:
            parts.extend(
                TextPart(text, message.parse_mode)
                for text in split_text(message.text, markup=markup)
            )
        if parts and message.keyboard:  # the buttons go under the last part
            keyboard = tuple(
                tuple(Button(b.text, b.callback_data) for b in row) for row in message.keyboard
            )
            parts[-1] = replace(parts[-1], keyboard=keyboard)
        return parts

    def _progress(
        self, delivery: StoredDelivery, message: OutboundMessage, parts_sent: int
    ) -> Completion:
        now = self.clock.now()
        return Completion(
            delivery.id,
            Status.SENDING,
            now,
            not_before=now + timedelta(seconds=self.config.lease_s),
            payload=message.model_copy(update={"parts_sent": parts_sent}).model_dump(
                exclude_defaults=True
            ),
        )

    def _failed(self, delivery: StoredDelivery, error: str, *, permanent: bool) -> Completion:
        attempts = delivery.attempts + 1
        now = self.clock.now()
        if permanent or attempts >= self.config.max_attempts:
            self.stats.failed += 1
            log.warning("delivery %s failed after %d tries: %s", delivery.id, attempts, error)
            return Completion(delivery.id, Status.FAILED, now, attempts=attempts, last_error=error)
        self.stats.retried += 1
        delay = self.config.backoff.delay(attempts, self.rng)
        return Completion(
            delivery.id,
            Status.QUEUED,
            now,
            not_before=now + timedelta(seconds=delay),
            attempts=attempts,
            last_error=error,
        )

    def _complete(
        self,
        delivery: StoredDelivery,
        message: OutboundMessage,
        outcome: Outcome,
        progress: int,
    ) -> Completion:
        now = self.clock.now()
        payload = (
            message.model_copy(update={"parts_sent": progress}).model_dump(exclude_defaults=True)
            if progress != message.parts_sent
            else None
        )
        if isinstance(outcome, Delivered):
            self.stats.sent += 1
            return Completion(delivery.id, Status.SENT, now)
        if isinstance(outcome, RetryAfter):
            self.stats.retried += 1  # the pause was taken when the answer came (``_send``)
            self._wake.set()
            return Completion(
                delivery.id,
                Status.QUEUED,
                now,
                not_before=now + timedelta(seconds=outcome.seconds),
                last_error=f"429: retry after {outcome.seconds:g}",
                payload=payload,
            )
        if isinstance(outcome, RecipientGone):
            self.stats.unreachable += 1
            if delivery.chat_id is not None:
                self._gone[delivery.chat_id] = self.ticker.monotonic()
            return Completion(
                delivery.id,
                Status.UNREACHABLE,
                now,
                last_error=outcome.reason,
                chat_id=delivery.chat_id,
            )
        if isinstance(outcome, ChatMigrated):
            if delivery.chat_id is not None:
                self._moved[delivery.chat_id] = outcome.new_chat_id
            if message.migrated:
                return self._failed(delivery, "chat migrated twice", permanent=True)
            migrated = message.model_copy(update={"migrated": True, "parts_sent": progress})
            return Completion(
                delivery.id,
                Status.QUEUED,
                now,
                not_before=now,
                chat_id=delivery.chat_id,
                new_chat_id=outcome.new_chat_id,
                payload=migrated.model_dump(exclude_defaults=True),
            )
        failed = self._failed(delivery, outcome.error, permanent=not outcome.transient)
        return failed if payload is None else replace(failed, payload=payload)


def _carried(
    delivery: StoredDelivery, message: OutboundMessage, sent_ids: list[int]
) -> MailCarried | None:
    """The Telegram messages a journal mail message went out as (None for anything else)."""
    if (
        message.mail_message_id is None
        or delivery.recipient_id is None
        or delivery.chat_id is None
        or not sent_ids
    ):
        return None
    return MailCarried(
        message.mail_message_id, delivery.recipient_id, delivery.chat_id, tuple(sent_ids)
    )
