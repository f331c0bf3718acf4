"""Personal timetables: who may see whose week, A/B weeks, bells, days off."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select, update

from core.bootstrap import Core
from core.errors import InvalidInput, NotFound
from core.services.timetable import week_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_timetable, build_world, insert, viewer

FRIDAY = date(2026, 11, 27)


async def test_a_pupil_sees_their_week_with_bell_times(core: Core) -> None:
    world = await build_world(core)
    await build_timetable(core, world)
    pupil = await viewer(core, world.a.pupil_5a)
    week = await week_timetable(core.uow(), pupil, pupil_id=world.a.pupil_5a, week_of=FRIDAY)
    assert week.monday == date(2026, 11, 23)
    assert week.person_name == "Jānis Alfa-Bērziņš"
    assert [d.on.weekday() for d in week.days] == [0, 1, 2, 3, 4]
    monday, tuesday = week.days[0].entries, week.days[1].entries
    assert [(e.period, e.subject, e.teachers, e.room) for e in monday] == [
        (1, "Matemātika", ("Māra Alfa-Matemātiķe",), "101")
    ]
    assert monday[0].starts_at is not None
    assert monday[0].starts_at < time(10)
    assert [e.period for e in tuesday] == [2]
    assert week.cycle_week is None
    assert week.previous_monday == date(2026, 11, 16)


async def test_a_parent_sees_each_child_and_nobody_else(core: Core) -> None:
    world = await build_world(core)
    await build_timetable(core, world)
    parent = await viewer(core, world.a.parent_5a)
    first = await week_timetable(core.uow(), parent, pupil_id=world.a.pupil_5a, week_of=FRIDAY)
    second = await week_timetable(core.uow(), parent, pupil_id=world.a.pupil_2a, week_of=FRIDAY)
    assert [e.subject for d in first.days for e in d.entries] == ["Matemātika"] * 2
    assert [e.subject for d in second.days for e in d.entries] == ["Latviešu valoda"] * 2
    other = await viewer(core, world.a.parent_5a_second)
    with pytest.raises(NotFound):
        await week_timetable(core.uow(), other, pupil_id=world.a.pupil_5a, week_of=FRIDAY)
    with pytest.raises(InvalidInput):
        await week_timetable(core.uow(), parent, week_of=FRIDAY)


async def test_a_teacher_sees_their_own_week_and_managers_see_any(core: Core) -> None:
    world = await build_world(core)
    await build_timetable(core, world)
    teacher = await viewer(core, world.a.latvian_teacher)
    own = await week_timetable(
        core.uow(), teacher, teacher_id=world.a.latvian_teacher, week_of=FRIDAY
    )
    assert own.is_teacher
    assert [(d.on.weekday(), e.period, e.group_name) for d in own.days for e in d.entries] == [
        (0, 2, "2.a Latviešu valoda"),
        (3, 3, "2.a Latviešu valoda"),
    ]
    with pytest.raises(NotFound):
        await week_timetable(core.uow(), teacher, teacher_id=world.a.math_teacher, week_of=FRIDAY)
    superuser = await viewer(core, world.a.superuser)
    theirs = await week_timetable(
        core.uow(), superuser, teacher_id=world.a.math_teacher, week_of=FRIDAY
    )
    assert sum(len(d.entries) for d in theirs.days) == 2
    foreign = await viewer(core, world.b.superuser)
    with pytest.raises(NotFound):
        await week_timetable(core.uow(), foreign, teacher_id=world.a.math_teacher, week_of=FRIDAY)


async def test_ab_weeks_six_days_and_days_off(core: Core) -> None:
    world = await build_world(core)
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.SchoolYear)
            .where(t.SchoolYear.id == world.a.year_id)
            .values(cycle_weeks=2, school_weekdays="0,1,2,3,4,5")
        )
    await insert(
        core,
        t.TimetableSlot(
            school_id=world.a.school_id,
            term_id=await _term_id(core, world.a.year_id),
            weekday=5,
            period=1,
            group_id=world.a.math_group,
            teacher_id=world.a.math_teacher,
            room=None,
            week=0,
        ),
        t.DayOff(
            school_year_id=world.a.year_id,
            starts_on=date(2026, 11, 24),
            ends_on=date(2026, 11, 24),
            name="Skolas svētki",
        ),
    )
    pupil = await viewer(core, world.a.pupil_5a)
    weeks = [
        await week_timetable(core.uow(), pupil, pupil_id=world.a.pupil_5a, week_of=day)
        for day in (date(2026, 11, 23), date(2026, 11, 30))
    ]
    assert {w.cycle_week for w in weeks} == {0, 1}
    assert all(len(w.days) == 6 for w in weeks)
    saturdays = {w.cycle_week: len(w.days[5].entries) for w in weeks}
    assert saturdays == {0: 1, 1: 0}
    assert weeks[0].days[1].day_off == "Skolas svētki"


async def _term_id(core: Core, year_id: int) -> int:
    async with create_session_factory(core.engine)() as session:
        term_id = await session.scalar(
            select(t.Term.id).where(t.Term.school_year_id == year_id).order_by(t.Term.number)
        )
        return int(term_id or 0)
