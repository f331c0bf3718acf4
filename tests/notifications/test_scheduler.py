"""Schedules on a frozen clock: DST days, config validation, catch-up, leadership."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import create_async_engine

from core.bootstrap import Core
from core.clock import FakeClock
from notifications.jobs import DeadlineJob
from notifications.outbox import Outbox
from notifications.scheduler import DailyJob, JobScheduler, daily_trigger, fire_times
from notifications.settings import NotificationsSettings

RIGA = ZoneInfo("Europe/Riga")
SPRING = date(2026, 3, 29)  # clocks 03:00 -> 04:00
AUTUMN = date(2026, 10, 25)  # clocks 04:00 -> 03:00


async def nothing(_day: date) -> None:
    return None


async def no_recipients(_period: str) -> int:
    return 0


async def no_batches(_period: str):  # type: ignore[no-untyped-def]
    return
    yield


def scheduler(outbox: Outbox, clock: FakeClock, **settings: object) -> JobScheduler:
    config = NotificationsSettings(**settings)  # type: ignore[arg-type]
    return JobScheduler(
        outbox,
        jobs=[DailyJob("digest", config.digest_time, config.digest_deadline, nothing)],
        deadline_jobs=[
            DeadlineJob("timetable", time(7, 0), time(12, 0), no_recipients, no_batches)
        ],
        settings=config,
        zone=RIGA,
        clock=clock,
    )


def fires_per_day(trigger: object, around: date) -> Counter[date]:
    start = datetime.combine(around.replace(day=around.day - 2), time(0), tzinfo=RIGA)
    end = datetime.combine(around.replace(day=around.day + 2), time(23, 59), tzinfo=RIGA)
    return Counter(fire.astimezone(RIGA).date() for fire in fire_times(trigger, start, end))


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_every_daily_job_runs_exactly_once_on_dst_days(day: date) -> None:
    built = scheduler(
        Outbox(create_async_engine("sqlite+aiosqlite://")),
        FakeClock(datetime(2026, 3, 1, tzinfo=UTC)),
    ).build()
    jobs = [job for job in built.get_jobs() if not job.id.startswith("periodic")]
    assert {job.id for job in jobs} == {"digest", "plan:timetable"}
    for job in jobs:
        per_day = fires_per_day(job.trigger, day)
        assert set(per_day.values()) == {1}, (job.id, per_day)
        assert len(per_day) == 5  # two days before, the change day, two days after
        fires = fire_times(
            job.trigger,
            datetime.combine(day, time(0), tzinfo=RIGA),
            datetime.combine(day, time(23, 59), tzinfo=RIGA),
        )
        expected = time(18, 0) if job.id == "digest" else time(7, 0)
        assert [f.astimezone(RIGA).time() for f in fires] == [expected]


def test_why_the_0300_window_is_forbidden() -> None:
    """APScheduler's own behaviour: a 03:30 job runs an hour late in spring, twice in autumn."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger(hour=3, minute=30, timezone=RIGA)
    assert fires_per_day(trigger, AUTUMN)[AUTUMN] == 2
    [spring] = fire_times(
        trigger,
        datetime.combine(SPRING, time(0), tzinfo=RIGA),
        datetime.combine(SPRING, time(23), tzinfo=RIGA),
    )
    assert spring.astimezone(UTC).astimezone(RIGA).time() == time(4, 30)  # an hour late


def test_schedule_times_inside_the_dst_window_are_refused() -> None:
    with pytest.raises(ValidationError, match="03:00 and 04:00"):
        NotificationsSettings(digest_time=time(3, 30))
    with pytest.raises(ValidationError, match="later than digest_time"):
        NotificationsSettings(digest_time=time(18), digest_deadline=time(17))
    with pytest.raises(ValueError, match="03:00 and 04:00"):
        daily_trigger(time(3, 0), RIGA)
    with pytest.raises(ValueError, match="03:00 and 04:00"):
        DailyJob("x", time(3, 59), time(5), nothing)
    assert NotificationsSettings(digest_time=time(4, 0)).digest_time == time(4, 0)
    assert NotificationsSettings.model_validate({"digest_time": "19:30"}).digest_time == time(
        19, 30
    )


def test_scheduler_settings_are_explicit() -> None:
    built = scheduler(
        Outbox(create_async_engine("sqlite+aiosqlite://")),
        FakeClock(datetime(2026, 11, 27, tzinfo=UTC)),
        coalesce=False,
        misfire_grace_s=120,
        max_instances=2,
    ).build()
    assert built.timezone == RIGA
    for job in built.get_jobs():
        assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (False, 120, 2)
    assert type(built._jobstores["default"]).__name__ == "MemoryJobStore"


async def test_a_missed_daily_run_is_caught_up_while_it_still_makes_sense(
    core: Core, clock: FakeClock
) -> None:
    outbox = Outbox(core.engine)
    ran: list[date] = []

    async def digest(day: date) -> None:
        ran.append(day)
        async with outbox.transaction() as tx:
            await tx.record_job_run("digest", day.isoformat(), 0, clock.now())

    jobs = JobScheduler(
        outbox,
        jobs=[DailyJob("digest", time(18), time(20), digest)],
        settings=NotificationsSettings(),
        zone=RIGA,
        clock=clock,
    )
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # 17:00 Riga: not due yet
    assert await jobs.catch_up() == []
    clock.set(datetime(2026, 11, 27, 17, 30, tzinfo=UTC))  # 19:30: missed, still worth it
    assert await jobs.catch_up() == ["digest"]
    assert await jobs.catch_up() == []  # it ran: a second start does nothing
    clock.set(datetime(2026, 11, 28, 18, 30, tzinfo=UTC))  # 20:30 next day: too late now
    assert await jobs.catch_up() == []
    assert ran == [date(2026, 11, 27)]


async def test_one_leader_among_processes(core: Core, backend: str) -> None:
    url = core.settings.database.url
    first_engine, second_engine = create_async_engine(url), create_async_engine(url)
    first = Outbox(first_engine).leader_lock()
    second = Outbox(second_engine).leader_lock()
    try:
        assert await first.acquire()
        if backend == "postgresql":
            assert not await second.acquire()  # pg_try_advisory_lock is taken
            assert await first.alive()
            await first.release()
            assert await second.acquire()
            assert not await first.acquire()
        else:
            assert await second.acquire()  # SQLite: one process by design, no lock
    finally:
        await first.release()
        await second.release()
        await first_engine.dispose()
        await second_engine.dispose()


async def test_the_scheduler_starts_and_stops_in_a_running_loop(
    core: Core, clock: FakeClock
) -> None:
    jobs = scheduler(Outbox(core.engine), clock)
    await jobs.start()
    try:
        assert jobs.running
    finally:
        jobs.shutdown()
    assert not jobs.running
