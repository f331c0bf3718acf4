"""Owns the school calendar (terms, holidays, school days, A/B weeks) and bell schedules.

Includes the default Latvian calendar; pure date arithmetic, no clock reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

from core.errors import InvalidInput

_ONE_DAY = timedelta(days=1)
_MONDAY, _FRIDAY, _SATURDAY = 0, 4, 5
_GRADES = range(1, 13)


@dataclass(frozen=True, slots=True)
class Term:
    """A semester (semestris); both dates inclusive."""

    number: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class DayOff:
    """Days without lessons (holidays, public holidays); both dates inclusive.

    ``grades`` None means every grade; otherwise only those grades are off (e.g. grade 1's extra
    week in February).
    """

    starts_on: date
    ends_on: date
    name: str
    grades: frozenset[int] | None = None

    def covers(self, day: date, grade: int | None = None) -> bool:
        """Whether ``day`` is off for ``grade`` (None: for the whole school, i.e. every grade)."""
        if not self.starts_on <= day <= self.ends_on:
            return False
        return self.grades is None or (grade is not None and grade in self.grades)


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """One school year of one school.

    ``school_weekdays`` holds ``date.weekday()`` numbers (add 5 for a six-day week);
    ``cycle_weeks`` is 2 for an A/B timetable. ``end_by_grade`` is a tuple of
    ``(grade, last school day)`` pairs (a tuple keeps the calendar hashable); grades not listed
    end on ``ends_on``, which should be the latest of them.
    """

    starts_on: date
    ends_on: date
    terms: tuple[Term, ...]
    days_off: tuple[DayOff, ...]
    school_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    cycle_weeks: int = 1
    end_by_grade: tuple[tuple[int, date], ...] = ()

    def last_day(self, grade: int | None = None) -> date:
        """The last school day of ``grade`` (None: of the school, ``ends_on``)."""
        if grade is not None:
            for listed, last in self.end_by_grade:
                if listed == grade:
                    return last
        return self.ends_on

    def term_for(self, d: date) -> Term | None:
        """The term containing ``d``, if any."""
        for term in self.terms:
            if term.starts_on <= d <= term.ends_on:
                return term
        return None

    def day_off_for(self, d: date, grade: int | None = None) -> DayOff | None:
        """The first listed day off that covers ``d`` for ``grade``, if any."""
        for day_off in self.days_off:
            if day_off.covers(d, grade):
                return day_off
        return None

    def is_school_day(self, d: date, grade: int | None = None) -> bool:
        """Whether ``grade`` has lessons on ``d``.

        With ``grade`` None the question is asked for the school as a whole: the year runs to
        ``ends_on`` and only days off for everyone count (a grade-1-only week is a school day).
        When terms are given, a day outside every term is not a school day.
        """
        if not self.starts_on <= d <= self.last_day(grade):
            return False
        if d.weekday() not in self.school_weekdays:
            return False
        if self.terms and self.term_for(d) is None:
            return False
        return self.day_off_for(d, grade) is None

    def week_in_cycle(self, d: date) -> int:
        """0 for week A, 1 for week B (…): Monday-based weeks counted from ``starts_on``'s week."""
        if self.cycle_weeks <= 1:
            return 0
        weeks = (_monday_of(d) - _monday_of(self.starts_on)).days // 7
        return weeks % self.cycle_weeks

    def school_days(self, start: date, end: date, grade: int | None = None) -> Iterator[date]:
        """The school days from ``start`` to ``end``, both inclusive, in order."""
        d = max(start, self.starts_on)
        last = min(end, self.last_day(grade))
        while d <= last:
            if self.is_school_day(d, grade):
                yield d
            d += _ONE_DAY

    def next_school_day(self, after: date, grade: int | None = None) -> date | None:
        """The first school day strictly after ``after``; None when the year is over."""
        return next(self.school_days(after + _ONE_DAY, self.last_day(grade), grade), None)

    def previous_school_day(self, before: date, grade: int | None = None) -> date | None:
        """The last school day strictly before ``before``; None before the year starts."""
        d = min(before - _ONE_DAY, self.last_day(grade))
        while d >= self.starts_on:
            if self.is_school_day(d, grade):
                return d
            d -= _ONE_DAY
        return None


def validate_calendar(calendar: SchoolCalendar) -> None:
    """Check a configured calendar's shape.

    Raises:
        InvalidInput: ``calendar.range_reversed`` (``starts_on``, ``ends_on``),
            ``calendar.term_outside_year`` / ``calendar.terms_overlap`` (``number``),
            ``calendar.weekdays_invalid``, ``calendar.cycle_invalid`` (``weeks``),
            ``calendar.grade_invalid`` (``grade``) or ``calendar.grade_end_invalid`` (``grade``).
    """
    ranges = [(calendar.starts_on, calendar.ends_on)]
    ranges += [(t.starts_on, t.ends_on) for t in calendar.terms]
    ranges += [(o.starts_on, o.ends_on) for o in calendar.days_off]
    for starts_on, ends_on in ranges:
        if ends_on < starts_on:
            raise InvalidInput("calendar.range_reversed", starts_on=starts_on, ends_on=ends_on)
    _validate_terms(calendar)
    if not calendar.school_weekdays or not calendar.school_weekdays <= frozenset(range(7)):
        raise InvalidInput("calendar.weekdays_invalid")
    if calendar.cycle_weeks < 1:
        raise InvalidInput("calendar.cycle_invalid", weeks=calendar.cycle_weeks)
    _validate_grades(calendar)


def _validate_terms(calendar: SchoolCalendar) -> None:
    previous_end: date | None = None
    for term in sorted(calendar.terms, key=lambda t: t.number):
        if term.starts_on < calendar.starts_on or term.ends_on > calendar.ends_on:
            raise InvalidInput("calendar.term_outside_year", number=term.number)
        if previous_end is not None and term.starts_on <= previous_end:
            raise InvalidInput("calendar.terms_overlap", number=term.number)
        previous_end = term.ends_on


def _validate_grades(calendar: SchoolCalendar) -> None:
    day_off_grades = {g for day_off in calendar.days_off for g in day_off.grades or ()}
    for grade in sorted(day_off_grades | {g for g, _ in calendar.end_by_grade}):
        if grade not in _GRADES:
            raise InvalidInput("calendar.grade_invalid", grade=grade)
    for grade, last in calendar.end_by_grade:
        if not calendar.starts_on <= last <= calendar.ends_on:
            raise InvalidInput("calendar.grade_end_invalid", grade=grade)


# ------------------------------------------------------------------ the Latvian default


def _monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def _on_or_before(d: date, weekday: int) -> date:
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def _weekend_to_monday(d: date) -> date:
    return _on_or_after(d, _MONDAY) if d.weekday() >= _SATURDAY else d


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday, by the anonymous Gregorian algorithm."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's published letter
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def latvian_public_holidays(start_year: int) -> tuple[DayOff, ...]:
    """Public holidays of the school year that fall on Monday to Friday (11 November is not one).

    18 November and 4 May move to the next Monday when they fall on a weekend; Good Friday and
    Easter Monday follow Western Easter; 1 May stays put. Holidays inside school holidays and
    one-off Cabinet transfers of working days are not special-cased.
    """
    spring = start_year + 1
    easter = easter_sunday(spring)
    holidays = (
        (_weekend_to_monday(date(start_year, 11, 18)), "Latvijas Republikas proklamēšanas diena"),
        (easter - timedelta(days=2), "Lielā piektdiena"),
        (easter + _ONE_DAY, "Otrās Lieldienas"),
        (date(spring, 5, 1), "Darba svētki, Satversmes sapulces sasaukšanas diena"),
        (_weekend_to_monday(date(spring, 5, 4)), "Neatkarības atjaunošanas diena"),
    )
    return tuple(DayOff(d, d, name) for d, name in holidays if d.weekday() < _SATURDAY)


def latvian_calendar(start_year: int) -> SchoolCalendar:
    """The default basic-school calendar of the year ``start_year``/``start_year + 1``.

    The Cabinet publishes each year's dates; this rule reproduces the published 2023/24,
    2024/25 and 2025/26 years (domain.md §9, tested) and extrapolates every other year:

    - starts 1 September, or the following Monday when that is a weekend;
    - autumn holidays: the Monday on or after 19 October to that Friday;
    - semester 1 ends on the last Friday on or before 22 December; winter holidays run from the
      Monday after to the first Friday on or after 1 January; semester 2 starts the Monday after;
    - spring holidays: the Monday on or after 9 March to that Friday;
    - the year ends on the last Friday of May for grades 1–8 and 10–11, 14 days later for
      grade 9 and 21 days later for grade 12 (semester 2 runs to the latest end);
    - public holidays on school days (``latvian_public_holidays``) are days off.

    Holidays are stored from a Monday to a Friday; the published ones sometimes add the
    adjoining weekend (e.g. 21–27.10.2024), which changes no school day. Grade 1's optional
    extra February week is the school's choice: add a ``DayOff`` with ``grades=frozenset({1})``.
    """
    spring = start_year + 1
    starts_on = _weekend_to_monday(date(start_year, 9, 1))
    autumn = _on_or_after(date(start_year, 10, 19), _MONDAY)
    semester_one_end = _on_or_before(date(start_year, 12, 22), _FRIDAY)
    winter_end = _on_or_after(date(spring, 1, 1), _FRIDAY)
    semester_two_start = winter_end + timedelta(days=3)
    spring_break = _on_or_after(date(spring, 3, 9), _MONDAY)
    main_end = _on_or_before(date(spring, 5, 31), _FRIDAY)
    grade_9_end = main_end + timedelta(days=14)
    grade_12_end = main_end + timedelta(days=21)
    holidays = (
        DayOff(autumn, autumn + timedelta(days=4), "Rudens brīvdienas"),
        DayOff(_on_or_after(semester_one_end, _MONDAY), winter_end, "Ziemas brīvdienas"),
        DayOff(spring_break, spring_break + timedelta(days=4), "Pavasara brīvdienas"),
    )
    ends = dict.fromkeys(_GRADES, main_end) | {9: grade_9_end, 12: grade_12_end}
    return SchoolCalendar(
        starts_on=starts_on,
        ends_on=grade_12_end,
        terms=(
            Term(1, starts_on, semester_one_end),
            Term(2, semester_two_start, grade_12_end),
        ),
        days_off=holidays + latvian_public_holidays(start_year),
        end_by_grade=tuple(sorted(ends.items())),
    )


# ------------------------------------------------------------------ bell schedules


@dataclass(frozen=True, slots=True)
class BellPeriod:
    """One numbered lesson slot (numbers start at 0) and its times in the school's zone."""

    number: int
    starts_at: time
    ends_at: time

    @property
    def minutes(self) -> int:
        """The slot's length in minutes."""
        return (self.ends_at.hour * 60 + self.ends_at.minute) - (
            self.starts_at.hour * 60 + self.starts_at.minute
        )


@dataclass(frozen=True, slots=True)
class BellSchedule:
    """A named bell schedule (zvanu saraksts); periods may overlap in merged schedules."""

    name: str
    periods: tuple[BellPeriod, ...]

    def period(self, number: int) -> BellPeriod | None:
        """The slot with this number, if the schedule has it."""
        for period in self.periods:
            if period.number == number:
                return period
        return None

    def periods_at(self, moment: time) -> tuple[BellPeriod, ...]:
        """The slots running at ``moment`` (start inclusive, end exclusive)."""
        return tuple(p for p in self.periods if p.starts_at <= moment < p.ends_at)


def validate_bell_schedule(schedule: BellSchedule) -> None:
    """Check that every period has a unique number from 0 and starts before it ends.

    Overlapping periods are allowed (merged schedules in timetable exports do that).

    Raises:
        InvalidInput: ``bells.invalid`` (params ``name``, ``number``).
    """
    seen: set[int] = set()
    for period in schedule.periods:
        if period.number < 0 or period.number in seen or period.starts_at >= period.ends_at:
            raise InvalidInput("bells.invalid", name=schedule.name, number=period.number)
        seen.add(period.number)


def _schedule(name: str, rows: Iterable[tuple[int, str, str]]) -> BellSchedule:
    def at(text: str) -> time:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))

    return BellSchedule(name, tuple(BellPeriod(n, at(s), at(e)) for n, s, e in rows))


def standard_bells() -> BellSchedule:
    """40-minute lessons from 8:30 (nine periods)."""
    return _schedule(
        "standard",
        (
            (1, "8:30", "9:10"),
            (2, "9:20", "10:00"),
            (3, "10:10", "10:50"),
            (4, "11:10", "11:50"),
            (5, "12:10", "12:50"),
            (6, "13:00", "13:40"),
            (7, "13:50", "14:30"),
            (8, "14:40", "15:20"),
            (9, "15:30", "16:10"),
        ),
    )


def shortened_bells() -> BellSchedule:
    """30-minute lessons (saīsinātās stundas) from 8:30 with the standard breaks.

    An example, not a published schedule: schools set their own times.
    """
    return _schedule(
        "shortened",
        (
            (1, "8:30", "9:00"),
            (2, "9:10", "9:40"),
            (3, "9:50", "10:20"),
            (4, "10:40", "11:10"),
            (5, "11:30", "12:00"),
            (6, "12:10", "12:40"),
            (7, "12:50", "13:20"),
            (8, "13:30", "14:00"),
            (9, "14:10", "14:40"),
        ),
    )


def bells_with_lesson_zero() -> BellSchedule:
    """40-minute lessons with a lesson 0 at 8:10.

    Periods 0–2 are published by one school (domain.md §9); the later ones are an assumed
    continuation with 10- and 20-minute breaks.
    """
    return _schedule(
        "lesson_zero",
        (
            (0, "8:10", "8:50"),
            (1, "9:00", "9:40"),
            (2, "9:45", "10:25"),
            (3, "10:35", "11:15"),
            (4, "11:35", "12:15"),
            (5, "12:35", "13:15"),
            (6, "13:25", "14:05"),
            (7, "14:15", "14:55"),
            (8, "15:05", "15:45"),
        ),
    )
