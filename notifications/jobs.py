"""Owns the scheduled jobs: what each enqueues, its keys, deadlines and run bookkeeping.

Jobs are thin and idempotent (keys ``(job, recipient, period)``); they never send or schedule.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.i18n import Catalogs
from notifications.messages import OutboundMessage, digest_text
from notifications.outbox import Outbox
from notifications.records import NewDelivery, StoredDelivery

log = logging.getLogger("ejournal.notifications.jobs")

DIGEST = "digest"


def job_label(name: str, period: str) -> str:
    """The ``job`` column of a run's deliveries (reports group by it): ``digest:2026-11-27``."""
    return f"{name}:{period}"


def job_key(name: str, recipient: int | str, period: str) -> str:
    """The idempotency key of one recipient's delivery in one run."""
    return f"{name}:{recipient}:{period}"


def local_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone``, as an aware datetime (never between 03:00 and 04:00)."""
    return datetime.combine(day, at, tzinfo=zone)


# ----------------------------------------------------------------------------- deadlines


@dataclass(frozen=True, slots=True)
class DeadlinePlan:
    """When a job with a deadline starts, and why.

    ``duration_s`` is how long the sends take at ``rate``; ``margin_s`` leaves room for retries,
    429 pauses and other traffic. ``start_at`` is the latest safe start, but never before the
    job's data is ready (``ready_at``); ``feasible`` is False when even that is too late.
    """

    recipients: int
    rate: float
    duration_s: float
    margin_s: float
    deliver_by: datetime
    latest_start: datetime
    start_at: datetime
    feasible: bool

    @property
    def expected_finish(self) -> datetime:
        """When the last send should go out if the job starts at ``start_at``."""
        return self.start_at + timedelta(seconds=self.duration_s)


def plan_deadline(
    *,
    recipients: int,
    rate: float,
    deliver_by: datetime,
    ready_at: datetime,
    margin_fraction: float = 0.2,
    min_margin_s: float = 300.0,
    eager: bool = False,
) -> DeadlinePlan:
    """The latest start that still delivers ``recipients`` messages by ``deliver_by``.

    Pure arithmetic: ``recipients / rate`` seconds of sending plus a margin of
    ``max(min_margin_s, margin_fraction × duration)``. An ``eager`` job starts as soon as its
    data is ready (``ready_at``) instead; the plan still tells whether it can finish in time.
    """
    duration = math.ceil(recipients / rate) if recipients else 0.0
    margin = max(min_margin_s, duration * margin_fraction) if recipients else 0.0
    latest = deliver_by - timedelta(seconds=duration + margin)
    start = ready_at if eager else max(latest, ready_at)
    return DeadlinePlan(
        recipients=recipients,
        rate=rate,
        duration_s=float(duration),
        margin_s=float(margin),
        deliver_by=deliver_by,
        latest_start=latest,
        start_at=start,
        feasible=start + timedelta(seconds=duration) <= deliver_by,
    )


Batches = Callable[[str], AsyncIterator[Sequence[NewDelivery]]]


@dataclass(frozen=True, slots=True)
class DeadlineJob:
    """A daily job that must be delivered by a time (the 12:00 timetable push, extracts).

    At ``ready_at`` (local time) the scheduler asks ``count`` how many recipients there are,
    plans the start with :func:`plan_deadline`, and runs ``batches`` at that start. Each batch
    is enqueued in its own transaction; the keys make a rerun after a crash harmless.
    ``eager`` jobs start at ``ready_at`` (their content is fixed then: waiting gains nothing).
    """

    name: str
    ready_at: time
    deliver_by: time
    count: Callable[[str], Awaitable[int]]
    batches: Batches
    eager: bool = False


async def enqueue_run(
    outbox: Outbox,
    *,
    name: str,
    period: str,
    batches: AsyncIterator[Sequence[NewDelivery]],
    clock: Clock,
) -> int:
    """Enqueue one run of a job, batch by batch, then note the run.

    A run already noted enqueues nothing; a run interrupted half-way (a restart) starts again
    and the idempotency keys skip what the first attempt wrote.

    Returns:
        How many deliveries were new.
    """
    async with outbox.transaction() as tx:
        if await tx.job_run(name, period) is not None:
            return 0
    label = job_label(name, period)
    written = 0
    total = 0
    async for batch in batches:
        rows = [
            NewDelivery(
                key=d.key,
                kind=d.kind,
                payload=d.payload,
                not_before=d.not_before,
                status=d.status,
                recipient_id=d.recipient_id,
                chat_id=d.chat_id,
                event_id=d.event_id,
                job=label,
            )
            for d in batch
        ]
        total += len(rows)
        written += await outbox.enqueue(rows, clock.now())
    async with outbox.transaction() as tx:
        await tx.record_job_run(name, period, total, clock.now())
    log.info("job %s for %s: %d deliveries (%d new)", name, period, total, written)
    return written


# ----------------------------------------------------------------------------- digest


class DigestJob:
    """The daily digest: everything held for a person's digest becomes one message.

    The whole run is one transaction (items folded, digests written, run noted), so running it
    twice for the same day writes nothing new; items arriving later wait for the next digest.
    """

    name = DIGEST

    def __init__(self, outbox: Outbox, catalogs: Catalogs, clock: Clock) -> None:
        self.outbox = outbox
        self.catalogs = catalogs
        self.clock = clock

    async def run(self, day: date) -> int:
        """Write the digests of ``day``; returns how many were written."""
        period = day.isoformat()
        now = self.clock.now()
        async with self.outbox.transaction() as tx:
            if await tx.job_run(self.name, period) is not None:
                return 0
            items = await tx.digest_items(now)
            groups: dict[tuple[int | None, int | None], list[StoredDelivery]] = {}
            for item in items:
                groups.setdefault((item.recipient_id, item.chat_id), []).append(item)
            digests = [
                self._digest(person, chat, members, day, now)
                for (person, chat), members in groups.items()
            ]
            written = await tx.enqueue(digests, now)
            await tx.merge([item.id for item in items])
            await tx.record_job_run(self.name, period, len(digests), now)
        log.info("digest for %s: %d messages from %d items", period, written, len(items))
        return written

    def _digest(
        self,
        person: int | None,
        chat: int | None,
        items: list[StoredDelivery],
        day: date,
        now: datetime,
    ) -> NewDelivery:
        messages = [OutboundMessage.model_validate(item.payload) for item in items]
        language = next((m.language for m in messages if m.language), "lv")
        text = digest_text(self.catalogs, language, day, [m.text for m in messages])
        recipient = person if person is not None else f"c{chat}"
        return NewDelivery(
            key=job_key(self.name, recipient, day.isoformat()),
            kind=DIGEST,
            payload=OutboundMessage(text=text, language=language).model_dump(
                exclude_defaults=True
            ),
            not_before=now,
            recipient_id=person,
            chat_id=chat,
            job=job_label(self.name, day.isoformat()),
        )


async def finish_runs(outbox: Outbox) -> int:
    """Note when each finished run's last delivery went out; returns how many runs finished."""
    finished = 0
    for name, period in await outbox.open_job_runs():
        progress = await outbox.job_progress(job_label(name, period))
        if progress.pending:
            continue
        run = await outbox.job_run(name, period)
        if run is None:
            continue
        await outbox.record_job_done(
            name, period, sent=progress.sent, last_sent_at=progress.last_sent_at or run.finished_at
        )
        finished += 1
    return finished
