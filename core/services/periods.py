"""Which dates a pupil's screens cover: an explicit range, or the current semester to today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from core.errors import InvalidInput
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Period:
    """A date range; ``term`` is the semester number when the range is "this semester"."""

    start: date
    end: date
    term: int | None


async def resolve_period(
    uow: UnitOfWork, school_id: int, start: date | None, end: date | None
) -> Period:
    """The range asked for, or the school's current semester from its start to today.

    During holidays "this semester" is the one that ended last, up to its last day; before the
    first semester starts it is just today.
    """
    if start is not None and end is not None:
        if end < start:
            raise InvalidInput("period.reversed")
        return Period(start, end, None)
    school = await uow.directory.school(school_id)
    zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
    today = uow.clock.now().astimezone(zone).date()
    term = await uow.directory.term_on(school_id, today)
    if term is None:
        return Period(start or today, end or today, None)
    return Period(start or term.starts_on, end or min(today, term.ends_on), term.number)
