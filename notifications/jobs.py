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
from notifications.policy import Rules, digest_time, quiet_until, quiet_window
from notifications.records import Account, NewDelivery, StoredDelivery
from notifications.settings import NotificationsSettings

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
    ``runs_on`` limits the days it runs at all (the monthly extract: one day a month); on other
    days nothing is planned or noted.
    """

    name: str
    ready_at: time
    deliver_by: time
    count: Callable[[str], Awaitable[int]]
    batches: Batches
    eager: bool = False
    runs_on: Callable[[date], bool] | None = None


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
    """The daily digest: what is held for a person's digest becomes one message, at their time.

    ``run`` is called every minute (a periodic task of the scheduler). Each run folds the items
    of the people whose digest time has come today — their own (``preferences["digest_at"]``,
    set in /settings) or ``rules.digest_at`` (``[notifications] digest_time``) — and who have no
    digest for today yet: one digest per person and day (``digest:<person>:<date>``). Items of
    people whose time has not come wait; items arriving after a person's digest wait for the
    next day's; a digest missed by more than ``late`` (the engine was down) waits for the next
    day's too. A digest due inside the person's quiet hours waits until they end. Each run is one
    transaction (items folded, digests written, the day's run count updated), so running it
    twice writes nothing new.

    Args:
        outbox: The outbox.
        catalogs: Texts.
        clock: The time.
        rules: The default digest time and quiet hours.
        zone: The school's time zone (digest times are local).
        late: How long after a person's digest time it may still be written.
    """

    name = DIGEST

    def __init__(
        self,
        outbox: Outbox,
        catalogs: Catalogs,
        clock: Clock,
        *,
        rules: Rules | None = None,
        zone: ZoneInfo | None = None,
        late: timedelta = timedelta(hours=2),
    ) -> None:
        self.outbox = outbox
        self.catalogs = catalogs
        self.clock = clock
        self.rules = rules or Rules.from_settings(NotificationsSettings())
        self.zone = zone or ZoneInfo("Europe/Riga")
        self.late = late

    async def run(self, day: date | None = None) -> int:
        """Write the digests of ``day`` (default: today) that are due now; returns how many."""
        now = self.clock.now()
        day = day or now.astimezone(self.zone).date()
        period = day.isoformat()
        async with self.outbox.transaction() as tx:
            items = await tx.digest_items(now)
            groups: dict[int | str, list[StoredDelivery]] = {}
            for item in items:
                who = item.recipient_id if item.recipient_id is not None else f"c{item.chat_id}"
                groups.setdefault(who, []).append(item)
            accounts = await tx.accounts([who for who in groups if isinstance(who, int)])
            keys = {who: job_key(self.name, who, period) for who in groups}
            written_before = {row.key for row in await tx.by_keys(list(keys.values()))}
            digests: list[NewDelivery] = []
            folded: list[int] = []
            for who, members in groups.items():
                account = accounts.get(who) if isinstance(who, int) else None
                due = local_at(day, digest_time(account, self.rules), self.zone)
                if keys[who] in written_before or not due <= now < due + self.late:
                    continue  # not yet, already had today's, or missed: the next day's digest
                digests.append(self._digest(who, account, members, day, now))
                folded += [item.id for item in members]
            written = await tx.enqueue(digests, now)
            await tx.merge(folded)
            if digests:
                await tx.add_job_run(self.name, period, len(digests), now)
        if digests:
            log.info("digest for %s: %d messages from %d items", period, written, len(folded))
        return written

    def _digest(
        self,
        who: int | str,
        account: Account | None,
        items: list[StoredDelivery],
        day: date,
        now: datetime,
    ) -> NewDelivery:
        messages = [OutboundMessage.model_validate(item.payload) for item in items]
        language = next((m.language for m in messages if m.language), "lv")
        text = digest_text(self.catalogs, language, day, [m.text for m in messages])
        window = quiet_window(account, self.rules)
        return NewDelivery(
            key=job_key(self.name, who, day.isoformat()),
            kind=DIGEST,
            payload=OutboundMessage(text=text, language=language).model_dump(
                exclude_defaults=True
            ),
            not_before=quiet_until(now, self.zone, *window) or now,
            recipient_id=who if isinstance(who, int) else None,
            chat_id=account.chat_id if account is not None else items[-1].chat_id,
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
