"""Owns the demo generator's shared state: id allocation, the in-memory school and time helpers.

Package-internal: ``school`` fills the model, ``journal`` reads it; rows are plain dicts.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.calendar import DayOff, SchoolCalendar, latvian_calendar

Row = dict[str, Any]
Tables = dict[str, list[Row]]

ZONE = "Europe/Riga"
LAST_GRADE = 9
_RIGA = ZoneInfo(ZONE)


class Ids:
    """Hands out explicit primary keys table by table, starting after the stored maximum."""

    def __init__(self, first: Mapping[str, int]) -> None:
        self._next = dict(first)

    def take(self, table: str) -> int:
        """The next free id of ``table``."""
        value = self._next[table]
        self._next[table] = value + 1
        return value


def school_year_start(today: date) -> int:
    """The calendar year in which the school year containing ``today`` began (1 September)."""
    return today.year if today.month >= 9 else today.year - 1


def basic_school_calendar(start_year: int) -> SchoolCalendar:
    """The Latvian calendar cut to grades 1-9, plus grade 1's extra week off in February."""
    calendar = latvian_calendar(start_year)
    ends = tuple((g, d) for g, d in calendar.end_by_grade if g <= LAST_GRADE)
    last = max(d for _, d in ends)
    terms = tuple(replace(t, ends_on=min(t.ends_on, last)) for t in calendar.terms)
    february = date(start_year + 1, 2, 15)
    monday = february + timedelta(days=(-february.weekday()) % 7)  # the third Monday
    grade_one = DayOff(
        monday, monday + timedelta(days=4), "1. klašu papildu brīvdienas", frozenset({1})
    )
    return replace(
        calendar,
        ends_on=last,
        terms=terms,
        end_by_grade=ends,
        days_off=(*calendar.days_off, grade_one),
    )


@dataclass(slots=True)
class Pupil:
    """A pupil as the generator knows them (gender, ability and health drive the journal)."""

    person_id: int
    class_id: int
    grade: int
    male: bool
    ability: float
    sickliness: float
    language: str


@dataclass(slots=True)
class SchoolClass:
    """A class with its pupils and the index of its class teacher."""

    class_id: int
    grade: int
    name: str
    pupils: list[Pupil] = field(default_factory=list)
    teacher: int | None = None


@dataclass(slots=True)
class Teacher:
    """A teacher being planned: specialisation, room and weekly load before the person exists."""

    index: int
    bundle: tuple[str, ...]
    male: bool
    primary: bool = False  # a grades 1-3 class teacher who teaches most of their class's lessons
    room: str = ""
    load: int = 0
    person_id: int = 0


@dataclass(slots=True)
class Group:
    """A teaching group (journal) with its members and weekly hours.

    ``split`` is ``"boys"``/``"girls"`` for split sports, ``"2L"`` for second-language groups.
    """

    group_id: int
    name: str
    kind: str
    grade: int
    subject: str | None
    class_ids: tuple[int, ...]
    pupils: list[int]
    hours: int
    split: str = ""
    teacher: int = -1  # index into the planned teachers until persons exist
    teacher_id: int = 0
    room: str = ""


# (term number, weekday) -> [(period, group, teacher person id)], in period order
Slots = dict[tuple[int, int], list[tuple[int, Group, int]]]


@dataclass(slots=True)
class Roster:
    """What the journal needs from the school part: people, groups and the timetable."""

    pupils: dict[int, Pupil]
    groups: list[Group]
    slots: Slots
    director: int
    deputy: int


class Context:
    """One school's generation state: RNG, ids, rows, calendar, clock and small helpers."""

    def __init__(
        self,
        *,
        rng: random.Random,
        ids: Ids,
        code: str,
        today: date,
        now: datetime,
        used_phones: set[str],
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.code = code
        self.today = today
        self.now = now.astimezone(UTC)
        self.used_phones = used_phones
        self.tables: Tables = {}
        self.start_year = school_year_start(today)
        self.calendar = basic_school_calendar(self.start_year)
        self.school_id = 0
        self.year_id = 0
        self.term_ids: dict[int, int] = {}
        self._instants: dict[tuple[date, time], datetime] = {}
        self._school_days: dict[tuple[date, int], bool] = {}

    def rows(self, table: str) -> list[Row]:
        """The row list of ``table``."""
        return self.tables.setdefault(table, [])

    def at(self, day: date, clock: time) -> datetime:
        """A wall-clock time in Riga as a UTC instant."""
        key = (day, clock)
        instant = self._instants.get(key)
        if instant is None:
            instant = datetime.combine(day, clock, tzinfo=_RIGA).astimezone(UTC)
            self._instants[key] = instant
        return instant

    def clip(self, instant: datetime) -> datetime:
        """``instant``, but never later than now."""
        return min(instant, self.now)

    def is_school_day(self, day: date, grade: int) -> bool:
        """The calendar's answer, cached (it is asked for every slot of every day)."""
        key = (day, grade)
        known = self._school_days.get(key)
        if known is None:
            known = self.calendar.is_school_day(day, grade)
            self._school_days[key] = known
        return known
