"""The timetable push (rule 3.3): who gets which changes, when, exactly once; the reminder."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services import timetable_changes as changes
from core.services.schools import seed_demo
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.fanout import FanOut
from notifications.jobs import enqueue_run, finish_runs
from notifications.messages import load_catalogs
from notifications.outbox import Outbox
from notifications.policy import Rules
from notifications.reports import delivery_report, report_lines
from notifications.runtime import build_notifications_runtime
from notifications.scheduler import JobScheduler
from notifications.sender import RecordingSender
from notifications.settings import NotificationsSettings
from notifications.timetable import PUBLISHED, REMINDER, TIMETABLE, TimetablePush, changes_from
from tests.builders import World, build_world, insert, viewer

from .conftest import deliveries, link

RIGA = ZoneInfo("Europe/Riga")
THU, FRI, SAT, MON = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)

# School a's week: 5.a mathematics and 2.a Latvian on Monday and Friday.
WEEK = (
    "weekday;period;class;group;subject;teacher_key;room;week\n"
    "P;1;5.a;;MAT;Māra Alfa-Matemātiķe;101;\n"
    "P;2;2.a;;LV;Ilze Alfa-Valodniece;12;\n"
    "Pk;3;5.a;;MAT;Māra Alfa-Matemātiķe;101;\n"
    "Pk;4;2.a;;LV;Ilze Alfa-Valodniece;12;\n"
)
DAY = timedelta(days=1)
PUPIL, PARENT, MATH, SUBSTITUTE, LATVIAN = 7001, 7002, 7003, 7004, 7005


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIGA)


def push(core: Core, **settings: Any) -> TimetablePush:
    config = NotificationsSettings(**settings)
    return TimetablePush(
        Outbox(core.engine),
        load_catalogs(),
        changes_from(core.uow),
        Rules.from_settings(config),
        core.clock,
        zone=RIGA,
        push_time=config.timetable_push_time,
        deadline=config.timetable_deadline,
    )


def fanout(core: Core, timetable: TimetablePush) -> FanOut:
    return FanOut(
        Outbox(core.engine),
        load_catalogs(),
        timetable.rules,
        core.clock,
        handlers={PUBLISHED: timetable.on_published},
    )


async def run(core: Core, timetable: TimetablePush, day: date) -> int:
    return await enqueue_run(
        Outbox(core.engine),
        name=TIMETABLE,
        period=day.isoformat(),
        batches=timetable.batches(day.isoformat()),
        clock=core.clock,
    )


async def school_week(core: Core, clock: FakeClock) -> World:
    """Thursday 26.11, 10:00 in Riga: the world, school a's week, some linked accounts."""
    clock.set(at(THU, 10))
    world = await build_world(core)
    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=WEEK.encode(),
        filename="week.csv",
        apply=True,
    )
    await link(core, world.a.pupil_5a, PUPIL)
    await link(core, world.a.parent_5a, PARENT, language="en")
    await link(core, world.a.math_teacher, MATH)
    await link(core, world.a.other_teacher, SUBSTITUTE, language="ru")
    await link(core, world.a.latvian_teacher, LATVIAN, status="unreachable")
    return world


async def lesson(core: Core, world: World, on: date, period: int) -> int:
    boss = await viewer(core, world.a.superuser)
    plan = await changes.day_plan(core.uow(), boss, school_id=world.a.school_id, on=on)
    [slot] = [entry.slot_id for entry in plan.lessons if entry.period == period]
    assert slot is not None
    return slot


async def substitute(core: Core, world: World, on: date, period: int) -> None:
    """The superuser gives the lesson to the otherwise free teacher (a draft)."""
    boss = await viewer(core, world.a.superuser)
    await changes.add_change(
        core.uow(),
        boss,
        school_id=world.a.school_id,
        on=on,
        kind="substitution",
        slot_id=await lesson(core, world, on, period),
        teacher_id=world.a.other_teacher,
    )


async def cancel(core: Core, world: World, on: date, period: int) -> None:
    boss = await viewer(core, world.a.superuser)
    await changes.add_change(
        core.uow(),
        boss,
        school_id=world.a.school_id,
        on=on,
        kind="cancel",
        slot_id=await lesson(core, world, on, period),
    )


async def publish(core: Core, world: World, on: date) -> None:
    boss = await viewer(core, world.a.superuser)
    await changes.publish_changes(core.uow(), boss, school_id=world.a.school_id, on=on)


def by_key(rows: list[t.Delivery]) -> dict[str, t.Delivery]:
    found = {row.idempotency_key: row for row in rows}
    assert len(found) == len(rows)
    return found


def key(person: int, pupil: int | None, on: date, event: str = "") -> str:
    return f"timetable:{person}:{pupil or 0}:{on.isoformat()}{event}"


# ----------------------------------------------------------------------------- which day


async def test_thursday_covers_friday_friday_covers_monday_and_a_holiday_is_skipped(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)
    await cancel(core, world, MON, 2)
    await publish(core, world, MON)
    timetable = push(core)

    clock.set(at(THU, 11))
    await run(core, timetable, THU)
    a = world.a
    assert set(by_key(await deliveries(core))) == {
        key(a.pupil_5a, a.pupil_5a, FRI),
        key(a.pupil_5a_second, a.pupil_5a_second, FRI),
        key(a.parent_5a, a.pupil_5a, FRI),
        key(a.parent_5a_second, a.pupil_5a_second, FRI),
        key(a.math_teacher, None, FRI),
        key(a.other_teacher, None, FRI),
    }

    clock.set(at(FRI, 11))
    await run(core, timetable, FRI)
    monday = {k for k in by_key(await deliveries(core)) if k.endswith(MON.isoformat())}
    assert monday == {
        key(a.pupil_2a, a.pupil_2a, MON),
        key(a.parent_5a, a.pupil_2a, MON),
        key(a.latvian_teacher, None, MON),
    }

    covered = {c.school.school_id: c.target for c in await timetable.coverage(THU)}
    assert covered == {a.school_id: FRI, world.b.school_id: FRI}
    assert {c.target for c in await timetable.coverage(FRI)} == {MON}
    assert await timetable.coverage(SAT) == []  # no push on a day without lessons
    # A day off on Wednesday 18.11 in school a only: its Tuesday push covers Thursday.
    holiday = date(2026, 11, 18)
    await insert(
        core, t.DayOff(school_year_id=a.year_id, starts_on=holiday, ends_on=holiday, name="Svētki")
    )
    covered = {c.school.school_id: c.target for c in await timetable.coverage(holiday - DAY)}
    assert covered == {a.school_id: holiday + DAY, world.b.school_id: holiday}
    assert {c.school.school_id for c in await timetable.coverage(holiday)} == {world.b.school_id}


# ----------------------------------------------------------------------------- the messages


async def test_each_person_gets_one_message_with_only_their_own_changes(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    a = world.a
    await substitute(core, world, FRI, 3)  # 5.a mathematics: the other teacher instead
    await cancel(core, world, FRI, 4)  # 2.a Latvian: cancelled
    await publish(core, world, FRI)
    clock.set(at(THU, 11, 4))
    assert await run(core, push(core), THU) == 9

    rows = await deliveries(core)
    per_person = Counter(row.recipient_id for row in rows)
    assert per_person == {
        a.pupil_5a: 1,
        a.pupil_5a_second: 1,
        a.pupil_2a: 1,
        a.parent_5a: 2,  # one per affected child
        a.parent_5a_second: 1,
        a.math_teacher: 1,
        a.latvian_teacher: 1,
        a.other_teacher: 1,
    }
    found = by_key(rows)
    parent_jan = found[key(a.parent_5a, a.pupil_5a, FRI)].payload["text"]
    parent_erika = found[key(a.parent_5a, a.pupil_2a, FRI)].payload["text"]
    assert parent_jan.startswith("<b>Jānis</b>: timetable changes for Friday 27.11.2026:")
    assert "Matemātika" in parent_jan
    assert "Latviešu" not in parent_jan
    assert parent_erika.startswith("<b>Ērika</b>: timetable changes for Friday 27.11.2026:")
    assert "Latviešu valoda" in parent_erika
    assert "Matemātika" not in parent_erika
    assert "Bērziņ" not in parent_jan + parent_erika  # children by their first names only

    pupil = found[key(a.pupil_5a, a.pupil_5a, FRI)].payload["text"]
    assert pupil.startswith("Stundu saraksta izmaiņas piektdien, 27.11.2026:\n• ")
    assert "Matemātika" in pupil
    assert "Latviešu" not in pupil
    assert pupil.endswith("\n\nVisa nedēļa: /timetable")
    substitute_text = found[key(a.other_teacher, None, FRI)].payload["text"]
    assert substitute_text.startswith("Изменения в расписании на пятницу, 27.11.2026:")
    assert "Latviešu" not in substitute_text
    assert "Latviešu valoda" in found[key(a.latvian_teacher, None, FRI)].payload["text"]

    statuses = {row.recipient_id: (row.status, row.chat_id) for row in rows}
    assert statuses[a.pupil_5a] == ("queued", PUPIL)
    assert statuses[a.other_teacher] == ("queued", SUBSTITUTE)
    assert statuses[a.latvian_teacher] == ("unreachable", LATVIAN)  # recorded, never sent
    assert statuses[a.pupil_5a_second] == ("not_connected", None)
    assert {row.job for row in rows} == {f"timetable:{THU.isoformat()}"}
    assert {row.kind for row in rows} == {TIMETABLE}


async def test_quiet_hours_hold_the_push_but_a_digest_preference_does_not(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Account)
            .where(t.Account.chat_id == MATH)
            .values(quiet_from=time(10, 30), quiet_to=time(13, 0))
        )
        await session.execute(
            update(t.Account)
            .where(t.Account.chat_id == PUPIL)
            .values(preferences={"notify": {"mark": "digest", "absence": "digest"}})
        )
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)
    clock.set(at(THU, 11))
    await run(core, push(core), THU)
    found = by_key(await deliveries(core))
    teacher = found[key(world.a.math_teacher, None, FRI)]
    assert (teacher.status, teacher.not_before.astimezone(RIGA)) == ("queued", at(THU, 13))
    pupil = found[key(world.a.pupil_5a, world.a.pupil_5a, FRI)]
    assert (pupil.status, pupil.not_before.astimezone(RIGA)) == ("queued", at(THU, 11))


async def test_a_second_run_for_the_same_day_writes_nothing(core: Core, clock: FakeClock) -> None:
    world = await school_week(core, clock)
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)
    timetable = push(core)
    clock.set(at(THU, 11))
    assert await run(core, timetable, THU) == 6
    clock.set(at(THU, 11, 30))
    assert await run(core, timetable, THU) == 0
    assert len(await deliveries(core)) == 6
    # Even a run whose bookkeeping was lost skips every message already written (the keys).
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(t.Cursor.__table__.delete().where(t.Cursor.name.like("job:%")))
    assert await run(core, timetable, THU) == 0
    assert len(await deliveries(core)) == 6


# ----------------------------------------------------------------------------- after the push


async def test_nothing_goes_early_and_changes_published_after_the_push_go_at_once(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    a = world.a
    timetable = push(core)
    events = fanout(core, timetable)

    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)  # 10:00: before the push
    assert await events.run_once() == 1
    assert await deliveries(core) == []  # the push will take it

    clock.set(at(THU, 11, 4))
    assert await run(core, timetable, THU) == 6

    clock.set(at(THU, 11, 20))
    await cancel(core, world, FRI, 4)
    await publish(core, world, FRI)
    assert await events.run_once() == 1
    late = [row for row in await deliveries(core) if row.kind == PUBLISHED]
    [event_id] = {row.event_id for row in late}
    assert set(by_key(late)) == {
        key(a.pupil_2a, a.pupil_2a, FRI, f":e{event_id}"),
        key(a.parent_5a, a.pupil_2a, FRI, f":e{event_id}"),
        key(a.latvian_teacher, None, FRI, f":e{event_id}"),
    }
    parent = next(row for row in late if row.recipient_id == a.parent_5a).payload["text"]
    assert parent.startswith("<b>Ērika</b>: new timetable changes for Friday 27.11.2026:")
    assert "Latviešu valoda" in parent
    assert "Matemātika" not in parent
    assert {row.status for row in late if row.recipient_id == a.parent_5a} == {"queued"}
    assert all(row.job is None for row in late)

    # Replaying the events (a restart before the cursor moved) writes nothing new.
    before = len(await deliveries(core))
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(update(t.Cursor).where(t.Cursor.name == "fanout").values(position=0))
    await fanout(core, timetable).run_once()
    assert len(await deliveries(core)) == before


async def test_a_change_published_after_the_push_time_but_before_the_run_is_sent_once(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    a = world.a
    timetable = push(core)
    events = fanout(core, timetable)
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)
    await events.run_once()

    clock.set(at(THU, 11, 2))  # past 11:00; the run is planned for later
    await cancel(core, world, FRI, 4)
    await publish(core, world, FRI)
    await events.run_once()
    clock.set(at(THU, 11, 4))
    await run(core, timetable, THU)

    rows = await deliveries(core)
    erika = [row for row in rows if row.recipient_id == a.pupil_2a]
    assert len(erika) == 1  # at once, and not again in the push
    assert erika[0].kind == PUBLISHED
    jan = [row for row in rows if row.recipient_id == a.pupil_5a]
    assert [row.kind for row in jan] == [TIMETABLE]
    assert "Latviešu" not in jan[0].payload["text"]
    teacher = [row.payload["text"] for row in rows if row.recipient_id == a.latvian_teacher]
    assert len(teacher) == 1


async def test_a_fan_out_that_lags_behind_the_push_repeats_nothing(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    timetable = push(core)
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)  # 10:00, but the fan-out sees it only after the run
    clock.set(at(THU, 11, 4))
    assert await run(core, timetable, THU) == 6
    assert await fanout(core, timetable).run_once() == 1
    assert {row.kind for row in await deliveries(core)} == {TIMETABLE}
    assert len(await deliveries(core)) == 6


async def test_changes_for_today_go_at_once(core: Core, clock: FakeClock) -> None:
    world = await school_week(core, clock)
    timetable = push(core)
    clock.set(at(FRI, 8))  # before Friday's push time, but Thursday's push has passed
    await cancel(core, world, FRI, 4)
    await publish(core, world, FRI)
    await fanout(core, timetable).run_once()
    rows = await deliveries(core)
    assert {row.recipient_id for row in rows} == {
        world.a.pupil_2a,
        world.a.parent_5a,
        world.a.latvian_teacher,
    }
    assert {row.kind for row in rows} == {PUBLISHED}


# ----------------------------------------------------------------------------- the reminder


async def test_the_superuser_is_reminded_only_when_nothing_is_published(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    await link(core, world.a.superuser, 7100)
    await link(core, world.b.superuser, 7101, language="en")
    await link(core, world.a.director, 7102)
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)  # school a has published; school b has not
    timetable = push(core)

    clock.set(at(THU, 11, 30))
    assert await timetable.remind(THU) == 1
    [row] = await deliveries(core)
    assert row.idempotency_key == f"{REMINDER}:{world.b.superuser}:{FRI.isoformat()}"
    assert (row.recipient_id, row.chat_id, row.status) == (world.b.superuser, 7101, "queued")
    assert row.payload["text"] == (
        "<b>Beta pamatskola</b>: no timetable changes have been published for Friday "
        "27.11.2026 yet. If there are changes, publish them before 12:00: /changes"
    )
    assert row.job == f"{REMINDER}:{THU.isoformat()}"
    assert await timetable.remind(THU) == 0  # once a day

    await cancel(core, world, MON, 2)  # a draft is not a publication
    clock.set(at(FRI, 11, 30))
    assert await timetable.remind(FRI) == 2
    monday = [r for r in await deliveries(core) if r.idempotency_key.endswith(MON.isoformat())]
    assert {r.recipient_id for r in monday} == {world.a.superuser, world.b.superuser}
    lv = next(r for r in monday if r.recipient_id == world.a.superuser).payload["text"]
    assert lv == (
        "<b>Alfa pamatskola</b>: stundu saraksta izmaiņas pirmdien, 30.11.2026 vēl nav "
        "publicētas. Ja izmaiņas ir, publicējiet tās līdz 12:00: /changes"
    )
    assert await timetable.remind(SAT) == 0  # no lessons, no reminder


# ----------------------------------------------------------------------------- scheduling


async def test_the_runtime_runs_the_push_at_its_time_and_the_report_shows_when_it_finished(
    core: Core, clock: FakeClock
) -> None:
    world = await school_week(core, clock)
    await substitute(core, world, FRI, 3)
    await publish(core, world, FRI)
    runtime = build_notifications_runtime(core, NotificationsSettings(), RecordingSender())
    assert [job.name for job in runtime.scheduler.deadline_jobs] == [TIMETABLE, "extract"]
    assert REMINDER in [job.name for job in runtime.scheduler.jobs]
    assert await runtime.scheduler.catch_up() == []  # 10:00: not yet

    clock.set(at(THU, 11, 10))  # a restart after the push time: caught up at once
    assert await runtime.scheduler.catch_up() == [TIMETABLE]
    rows = await deliveries(core)
    assert len(rows) == 6
    outbox = runtime.outbox
    assert await finish_runs(outbox) == 0  # messages still queued

    sent_at = at(THU, 11, 12)
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Delivery)
            .where(t.Delivery.status == "queued")
            .values(status="sent", sent_at=sent_at.astimezone(UTC))
        )
    assert await finish_runs(outbox) == 1
    [row] = await delivery_report(core, job=TIMETABLE)
    assert row.name == f"timetable:{THU.isoformat()}"
    assert row.finished_at == sent_at
    lines = report_lines([row], load_catalogs(), "en", core)
    assert lines[0].split("\t")[-1] == "finished"
    assert lines[1].split("\t")[-1] == "2026-11-26 11:12:00"


async def test_a_demo_sized_school_is_planned_to_be_told_before_noon(
    core: Core, clock: FakeClock
) -> None:
    clock.set(at(THU, 9))
    await seed_demo(core.uow(), Viewer.console(), zone=RIGA, today=THU)
    async with create_session_factory(core.engine)() as session:
        school_id = await session.scalar(select(t.School.id))
        boss_id = await session.scalar(
            select(t.StaffRole.person_id).where(t.StaffRole.role == "deputy_director")
        )
    assert school_id is not None
    assert boss_id is not None
    boss = await viewer(core, boss_id)
    plan = await changes.day_plan(core.uow(), boss, school_id=school_id, on=FRI)
    first: dict[tuple[str, ...], int] = {}
    for entry in plan.lessons:  # every class's first lesson on Friday is cancelled
        if entry.slot_id is not None and entry.class_names not in first:
            first[entry.class_names] = entry.slot_id
    assert len(first) >= 18
    for slot in first.values():
        await changes.add_change(
            core.uow(), boss, school_id=school_id, on=FRI, kind="cancel", slot_id=slot
        )
    await changes.publish_changes(core.uow(), boss, school_id=school_id, on=FRI)

    settings = NotificationsSettings()
    timetable = push(core)
    clock.set(at(THU, 11))
    scheduler = JobScheduler(
        Outbox(core.engine),
        jobs=[],
        deadline_jobs=[timetable.deadline_job()],
        settings=settings,
        zone=RIGA,
        clock=clock,
    )
    plan_ = await scheduler.plan(TIMETABLE, THU)
    assert plan_.recipients > 1000  # every pupil, each parent per child, the teachers
    assert plan_.feasible
    assert plan_.start_at == at(THU, 11)  # at the push time: nothing is gained by waiting
    assert plan_.expected_finish + timedelta(seconds=plan_.margin_s) <= at(THU, 12)
    assert await run(core, timetable, THU) == plan_.recipients
    rows = await deliveries(core)
    assert len({(r.recipient_id, r.idempotency_key) for r in rows}) == len(rows)


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "settings",
    [
        {"timetable_push_time": "12:00"},
        {"timetable_watch_time": "12:30"},
        {"timetable_deadline": "10:00"},
        {"timetable_push_time": "03:30"},
    ],
)
def test_timetable_times_are_validated(settings: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        NotificationsSettings.model_validate(settings)


def test_timetable_times_default_to_the_rule() -> None:
    settings = NotificationsSettings()
    assert (
        settings.timetable_push_time,
        settings.timetable_watch_time,
        settings.timetable_deadline,
    ) == (time(11, 0), time(11, 30), time(12, 0))
