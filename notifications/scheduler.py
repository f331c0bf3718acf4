"""Owns when jobs run: APScheduler 3.11, in-memory store, cron in the school's zone, catch-up.

Schedules are code with times from ``[notifications]``; only the leader runs it; jobs never send.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from core.clock import Clock
from notifications.jobs import DeadlineJob, DeadlinePlan, enqueue_run, local_at, plan_deadline
from notifications.outbox import Outbox
from notifications.rate_limit import Limits
from notifications.settings import NotificationsSettings, outside_dst_window

log = logging.getLogger("ejournal.notifications.scheduler")

# How long Telegram takes to answer a send, for planning deadlines (measured: 50-100 ms).
PLANNED_ANSWER_S = 0.1


@dataclass(frozen=True, slots=True)
class DailyJob:
    """A job that runs once a day at ``at`` (local time) for that day.

    ``until`` is the latest local time a missed run is still worth catching up on start.
    """

    name: str
    at: time
    until: time
    run: Callable[[date], Awaitable[object]]

    def __post_init__(self) -> None:
        outside_dst_window(self.at)


def daily_trigger(at: time, zone: ZoneInfo) -> Any:
    """A cron trigger firing every day at ``at`` in ``zone``."""
    outside_dst_window(at)
    return CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=zone)


def fire_times(trigger: Any, start: datetime, end: datetime) -> list[datetime]:
    """Every time ``trigger`` fires from ``start`` up to ``end`` (for tests and ``--dry-run``)."""
    fired: list[datetime] = []
    previous: datetime | None = None
    now = start.astimezone(UTC)
    while True:
        nxt: datetime | None = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt > end:
            return fired
        if nxt.astimezone(UTC) < now:  # never loop on a time that does not move forward
            now += timedelta(seconds=1)
            continue
        fired.append(nxt)
        previous = nxt
        # In UTC: wall-clock arithmetic on a folded local time would step back an hour.
        now = nxt.astimezone(UTC) + timedelta(microseconds=1)


class JobScheduler:
    """Runs the daily jobs and deadline jobs while this process leads.

    Args:
        outbox: For run bookkeeping (has a job already run for a period?).
        jobs: Daily jobs (the digest).
        deadline_jobs: Jobs with a delivery deadline.
        settings: ``[notifications]`` (coalesce, misfire grace, instances, rate, margins).
        zone: The school's time zone.
        clock: The time (catch-up decisions).
        periodic: Coroutines run every minute (finishing job runs).
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        jobs: Sequence[DailyJob],
        deadline_jobs: Sequence[DeadlineJob] = (),
        settings: NotificationsSettings,
        zone: ZoneInfo,
        clock: Clock,
        periodic: Sequence[Callable[[], Awaitable[object]]] = (),
    ) -> None:
        self.outbox = outbox
        self.jobs = tuple(jobs)
        self.deadline_jobs = tuple(deadline_jobs)
        self.settings = settings
        self.zone = zone
        self.clock = clock
        self.periodic = tuple(periodic)
        self.plans: dict[str, DeadlinePlan] = {}
        self.rate = Limits(
            global_per_second=settings.global_per_second,
            global_burst=settings.global_burst,
            guard=settings.pacing_guard_s,
        ).sustained_per_second(PLANNED_ANSWER_S)
        self._scheduler: Any = None

    def _policy(self) -> dict[str, Any]:
        return {
            "coalesce": self.settings.coalesce,
            "misfire_grace_time": self.settings.misfire_grace_s,
            "max_instances": self.settings.max_instances,
        }

    def build(self) -> Any:
        """The APScheduler instance with every job registered (not started)."""
        policy = self._policy()
        scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()}, job_defaults=policy, timezone=self.zone
        )
        for job in self.jobs:
            scheduler.add_job(
                self._daily,
                daily_trigger(job.at, self.zone),
                args=[job.name],
                id=job.name,
                name=job.name,
                **policy,
            )
        for deadline in self.deadline_jobs:
            scheduler.add_job(
                self._plan,
                daily_trigger(deadline.ready_at, self.zone),
                args=[deadline.name],
                id=f"plan:{deadline.name}",
                name=f"plan:{deadline.name}",
                **policy,
            )
        for index, task in enumerate(self.periodic):
            scheduler.add_job(
                task,
                IntervalTrigger(minutes=1, timezone=self.zone),
                id=f"periodic:{index}",
                **policy,
            )
        return scheduler

    async def start(self) -> None:
        """Catch up on missed runs, then start the scheduler."""
        self._scheduler = self.build()
        self._scheduler.start()
        await self.catch_up()

    def shutdown(self) -> None:
        """Stop firing (running jobs finish on their own)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    @property
    def running(self) -> bool:
        """Whether the scheduler is started."""
        return self._scheduler is not None

    def today(self) -> date:
        """The school's date now."""
        return self.clock.now().astimezone(self.zone).date()

    async def catch_up(self) -> list[str]:
        """Run today's jobs that were missed (before now, and still before their limit)."""
        now = self.clock.now()
        day = self.today()
        caught: list[str] = []
        for job in self.jobs:
            due, limit = local_at(day, job.at, self.zone), local_at(day, job.until, self.zone)
            if due <= now < limit and await self.outbox.job_run(job.name, day.isoformat()) is None:
                log.info("catching up %s for %s", job.name, day)
                await job.run(day)
                caught.append(job.name)
        for deadline in self.deadline_jobs:
            ready = local_at(day, deadline.ready_at, self.zone)
            by = local_at(day, deadline.deliver_by, self.zone)
            if ready <= now < by and (deadline.runs_on is None or deadline.runs_on(day)):
                await self._plan(deadline.name, day)
                caught.append(deadline.name)
        return caught

    async def _daily(self, name: str) -> None:
        job = next(job for job in self.jobs if job.name == name)
        try:
            await job.run(self.today())
        except Exception:
            log.exception("job %s failed; it is retried at its next run or on start", name)

    async def plan(self, name: str, day: date) -> DeadlinePlan:
        """When a deadline job's run for ``day`` must start (from its recipients and the rate)."""
        deadline = next(job for job in self.deadline_jobs if job.name == name)
        period = day.isoformat()
        plan = plan_deadline(
            recipients=await deadline.count(period),
            rate=self.rate,
            deliver_by=local_at(day, deadline.deliver_by, self.zone),
            ready_at=max(local_at(day, deadline.ready_at, self.zone), self.clock.now()),
            margin_fraction=self.settings.deadline_margin,
            min_margin_s=self.settings.deadline_min_margin_s,
            eager=deadline.eager,
        )
        self.plans[f"{name}:{period}"] = plan
        return plan

    async def _plan(self, name: str, day: date | None = None) -> DeadlinePlan | None:
        """Plan a deadline job's run for the day and schedule it (or run it now)."""
        day = day or self.today()
        period = day.isoformat()
        deadline = next(job for job in self.deadline_jobs if job.name == name)
        if deadline.runs_on is not None and not deadline.runs_on(day):
            return None  # not one of its days (the monthly extract runs on one day a month)
        if await self.outbox.job_run(name, period) is not None:
            return None
        plan = await self.plan(name, day)
        if not plan.feasible:
            log.warning("job %s for %s cannot meet its deadline; starting now", name, period)
        if plan.start_at <= self.clock.now() or self._scheduler is None:
            await self._run_deadline(name, period)
        else:
            self._scheduler.add_job(
                self._run_deadline,
                DateTrigger(run_date=plan.start_at, timezone=self.zone),
                args=[name, period],
                id=f"run:{name}:{period}",
                replace_existing=True,
                **self._policy(),
            )
        return plan

    async def _run_deadline(self, name: str, period: str) -> None:
        deadline = next(job for job in self.deadline_jobs if job.name == name)
        try:
            await enqueue_run(
                self.outbox,
                name=name,
                period=period,
                batches=deadline.batches(period),
                clock=self.clock,
            )
        except Exception:
            log.exception("job %s for %s failed; a rerun continues where it stopped", name, period)
