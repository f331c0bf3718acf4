"""The cache of school-year calendars and bells: read once, and never stale after a write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import delete, event

from core.bootstrap import Core
from core.domain.calendar import SchoolCalendar
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_world, insert

pytestmark = pytest.mark.db

HOLIDAY = date(2026, 11, 25)  # a Wednesday of the first semester


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    """The SQL statements the core's engine sends inside the block."""
    sent: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(core.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(core.engine.sync_engine, "before_cursor_execute", seen)


async def calendar(core: Core, year_id: int) -> SchoolCalendar:
    async with core.uow() as uow:
        return await uow.timetable.calendar(year_id)


async def test_a_calendar_is_read_once_then_served_without_a_query(core: Core) -> None:
    world = await build_world(core)
    first = await calendar(core, world.a.year_id)
    async with core.uow() as uow:
        terms = await uow.timetable.terms(world.a.year_id)
        bells = await uow.timetable.default_bells(world.a.school_id)
    assert len(terms) == 2
    assert bells is not None
    with statements(core) as sent:
        again = await calendar(core, world.a.year_id)
        async with core.uow() as uow:
            assert await uow.timetable.terms(world.a.year_id) == terms
            assert await uow.timetable.default_bells(world.a.school_id) == bells
    assert again == first
    assert not [s for s in sent if "days_off" in s or "terms" in s or "bell_" in s]
    # The other school's year is its own entry.
    assert (await calendar(core, world.b.year_id)).starts_on == first.starts_on


async def test_a_day_off_written_through_the_engine_is_seen_at_once(core: Core) -> None:
    world = await build_world(core)
    assert (await calendar(core, world.a.year_id)).is_school_day(HOLIDAY)
    await insert(
        core,
        t.DayOff(school_year_id=world.a.year_id, starts_on=HOLIDAY, ends_on=HOLIDAY, name="X"),
    )
    assert not (await calendar(core, world.a.year_id)).is_school_day(HOLIDAY)
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        await session.execute(delete(t.DayOff).where(t.DayOff.name == "X"))
    assert (await calendar(core, world.a.year_id)).is_school_day(HOLIDAY)


async def test_what_a_rolled_back_transaction_read_is_not_kept(core: Core) -> None:
    world = await build_world(core)
    assert (await calendar(core, world.a.year_id)).is_school_day(HOLIDAY)
    async with core.uow() as uow:  # never committed
        session = uow.session  # type: ignore[attr-defined]
        session.add(
            t.DayOff(school_year_id=world.a.year_id, starts_on=HOLIDAY, ends_on=HOLIDAY, name="X")
        )
        await session.flush()
        # Inside the transaction its own day off shows...
        assert not (await uow.timetable.calendar(world.a.year_id)).is_school_day(HOLIDAY)
    # ...and after the rollback it is gone from the cache too.
    assert (await calendar(core, world.a.year_id)).is_school_day(HOLIDAY)
