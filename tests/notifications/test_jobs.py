"""Jobs: idempotent runs, resuming after a restart, deadlines, run bookkeeping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.bootstrap import Core
from core.clock import FakeClock
from notifications.jobs import DeadlineJob, enqueue_run, finish_runs, job_key, plan_deadline
from notifications.outbox import Outbox
from notifications.rate_limit import Limits, RateLimiter
from notifications.records import Completion, NewDelivery, Status
from notifications.scheduler import JobScheduler
from notifications.settings import NotificationsSettings

from .conftest import deliveries

RIGA = ZoneInfo("Europe/Riga")
DAY = date(2026, 11, 27)


def batches_of(
    name: str, recipients: int, period: str, now: datetime, *, crash_after: int | None = None
) -> AsyncIterator[Sequence[NewDelivery]]:
    async def gen() -> AsyncIterator[Sequence[NewDelivery]]:
        for number, start in enumerate(range(0, recipients, 100)):
            if crash_after is not None and number == crash_after:
                raise RuntimeError("the process died")
            yield [
                NewDelivery(
                    key=job_key(name, person, period),
                    kind=name,
                    payload={"text": f"{name} {period}"},
                    not_before=now,
                    chat_id=10_000 + person,
                    recipient_id=None,
                )
                for person in range(start, min(start + 100, recipients))
            ]

    return gen()


async def test_a_job_run_twice_for_a_period_enqueues_nothing_new(core: Core) -> None:
    outbox = Outbox(core.engine)
    now = core.clock.now()
    period = DAY.isoformat()
    first = await enqueue_run(
        outbox,
        name="push",
        period=period,
        batches=batches_of("push", 250, period, now),
        clock=core.clock,
    )
    again = await enqueue_run(
        outbox,
        name="push",
        period=period,
        batches=batches_of("push", 250, period, now),
        clock=core.clock,
    )
    assert (first, again) == (250, 0)
    rows = await deliveries(core)
    assert len(rows) == 250
    assert {row.job for row in rows} == {"push:2026-11-27"}
    run = await outbox.job_run("push", period)
    assert run is not None
    assert run.enqueued == 250


async def test_a_job_interrupted_by_a_restart_resumes_without_duplicates(
    core: Core, clock: FakeClock
) -> None:
    outbox = Outbox(core.engine)
    period = DAY.isoformat()
    now = clock.now()
    with pytest.raises(RuntimeError, match="died"):
        await enqueue_run(
            outbox,
            name="extract",
            period=period,
            batches=batches_of("extract", 1000, period, now, crash_after=3),
            clock=clock,
        )
    assert len(await deliveries(core)) == 300
    assert await outbox.job_run("extract", period) is None  # not finished: it runs again
    # Meanwhile the worker sent some of the first 300.
    claimed = await outbox.claim(now=now, limit=120, lease_until=now + timedelta(seconds=30))
    await outbox.record([Completion(d.id, Status.SENT, now) for d in claimed])

    clock.advance(timedelta(minutes=5))  # the restarted process catches up
    written = await enqueue_run(
        outbox,
        name="extract",
        period=period,
        batches=batches_of("extract", 1000, period, now),
        clock=clock,
    )
    assert written == 700
    rows = await deliveries(core)
    assert len(rows) == 1000
    assert len({row.idempotency_key for row in rows}) == 1000
    assert sum(1 for row in rows if row.status == "sent") == 120


def test_deadline_arithmetic() -> None:
    by = datetime.combine(DAY, time(12), tzinfo=RIGA)
    ready = datetime.combine(DAY, time(7), tzinfo=RIGA)
    plan = plan_deadline(
        recipients=60_000,
        rate=25,
        deliver_by=by,
        ready_at=ready,
        margin_fraction=0.2,
        min_margin_s=300,
    )
    assert plan.duration_s == 2400  # 40 minutes of sending
    assert plan.margin_s == 480
    assert plan.start_at == datetime.combine(DAY, time(11, 12), tzinfo=RIGA)
    assert plan.feasible
    too_many = plan_deadline(recipients=600_000, rate=25, deliver_by=by, ready_at=ready)
    assert too_many.start_at == ready
    assert not too_many.feasible
    assert plan_deadline(recipients=0, rate=25, deliver_by=by, ready_at=ready).start_at == by


async def test_60000_recipients_at_25_per_second_start_early_enough(core: Core) -> None:
    """Frozen clock: plan at 07:00, then pace every send through the real limiter."""
    clock = FakeClock(datetime.combine(DAY, time(7), tzinfo=RIGA))

    async def count(_period: str) -> int:
        return 60_000

    async def none(_period: str) -> AsyncIterator[Sequence[NewDelivery]]:
        return
        yield

    settings = NotificationsSettings()  # 25/s, a 0.05 s guard, margin 20% (at least 5 min)
    jobs = JobScheduler(
        Outbox(core.engine),
        jobs=[],
        deadline_jobs=[DeadlineJob("timetable", time(7), time(12), count, none)],
        settings=settings,
        zone=RIGA,
        clock=clock,
    )
    plan = await jobs.plan("timetable", DAY)
    deadline = datetime.combine(DAY, time(12), tzinfo=RIGA)
    # 60,000 at 25/s less the guard and 0.1 s answers (21.7/s) = 46 min, plus 20%: 11:04:47.
    assert plan.start_at == datetime.combine(DAY, time(11, 4, 46, 800_000), tzinfo=RIGA)
    assert plan.feasible

    # Every send through the limiter on a frozen clock, answers taking 80 ms.
    limits = Limits(global_per_second=settings.global_per_second, guard=settings.pacing_guard_s)
    limiter = RateLimiter(limits, now=0.0)
    now, sent = 0.0, 0
    while sent < 60_000:
        wait = limiter.acquire(1_000_000 + sent, now)
        if wait > 0:
            now += wait
            continue
        limiter.finish(1_000_000 + sent, now + 0.08)
        sent += 1
    last = plan.start_at + timedelta(seconds=now)
    assert last <= plan.expected_finish <= deadline
    assert last > deadline - timedelta(minutes=15)  # and not absurdly early either


async def test_a_finished_run_records_when_its_last_delivery_went_out(
    core: Core, clock: FakeClock
) -> None:
    outbox = Outbox(core.engine)
    period = DAY.isoformat()
    now = clock.now()
    await enqueue_run(
        outbox,
        name="push",
        period=period,
        batches=batches_of("push", 3, period, now),
        clock=clock,
    )
    assert await finish_runs(outbox) == 0  # still queued
    claimed = await outbox.claim(now=now, limit=10, lease_until=now + timedelta(seconds=30))
    await outbox.record(
        [Completion(d.id, Status.SENT, now + timedelta(seconds=i)) for i, d in enumerate(claimed)]
    )
    assert await finish_runs(outbox) == 1
    assert await finish_runs(outbox) == 0
    run = await outbox.job_run("push", period)
    assert run is not None
    assert run.sent == 3
    assert run.last_sent_at == now + timedelta(seconds=2)
    assert now.tzinfo is UTC
