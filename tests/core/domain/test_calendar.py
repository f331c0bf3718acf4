"""School calendars: published Latvian years, public holidays, A/B weeks, grades, bells."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time, timedelta

import pytest

from core.domain.calendar import (
    BellPeriod,
    BellSchedule,
    DayOff,
    SchoolCalendar,
    Term,
    bells_with_lesson_zero,
    easter_sunday,
    latvian_calendar,
    latvian_public_holidays,
    shortened_bells,
    standard_bells,
    validate_bell_schedule,
    validate_calendar,
)
from core.errors import InvalidInput

# ------------------------------------------------------------------ published years (domain.md §9)


@dataclass(frozen=True)
class Published:
    """One school year as the Cabinet published it; holidays as printed (some include weekends)."""

    year: int
    first: date
    sem1_end: date
    sem2_start: date
    autumn: tuple[date, date]
    winter: tuple[date, date]
    spring: tuple[date, date]
    ends: tuple[date, date, date]  # grades 1-8 and 10-11 / grade 9 / grade 12


PUBLISHED = [
    Published(
        2023,
        first=date(2023, 9, 1),
        sem1_end=date(2023, 12, 22),
        sem2_start=date(2024, 1, 8),
        autumn=(date(2023, 10, 23), date(2023, 10, 27)),
        winter=(date(2023, 12, 25), date(2024, 1, 5)),
        spring=(date(2024, 3, 11), date(2024, 3, 15)),
        ends=(date(2024, 5, 31), date(2024, 6, 14), date(2024, 6, 21)),
    ),
    Published(
        2024,
        first=date(2024, 9, 2),  # 1 September 2024 is a Sunday
        sem1_end=date(2024, 12, 20),
        sem2_start=date(2025, 1, 6),
        autumn=(date(2024, 10, 21), date(2024, 10, 27)),
        winter=(date(2024, 12, 23), date(2025, 1, 5)),
        spring=(date(2025, 3, 10), date(2025, 3, 16)),
        ends=(date(2025, 5, 30), date(2025, 6, 13), date(2025, 6, 20)),
    ),
    Published(
        2025,
        first=date(2025, 9, 1),
        sem1_end=date(2025, 12, 19),
        sem2_start=date(2026, 1, 5),
        autumn=(date(2025, 10, 20), date(2025, 10, 24)),
        winter=(date(2025, 12, 22), date(2026, 1, 2)),
        spring=(date(2026, 3, 9), date(2026, 3, 13)),
        ends=(date(2026, 5, 29), date(2026, 6, 12), date(2026, 6, 19)),
    ),
]


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.mark.parametrize("published", PUBLISHED, ids=lambda p: f"{p.year}/{p.year + 1}")
def test_published_years(published: Published) -> None:
    year, first, sem1_end, sem2_start = (
        published.year,
        published.first,
        published.sem1_end,
        published.sem2_start,
    )
    autumn, winter, spring, ends = (
        published.autumn,
        published.winter,
        published.spring,
        published.ends,
    )
    calendar = latvian_calendar(year)
    validate_calendar(calendar)
    assert calendar.starts_on == first
    assert calendar.terms == (Term(1, first, sem1_end), Term(2, sem2_start, ends[2]))
    assert calendar.ends_on == ends[2]
    main_end, grade_9_end, grade_12_end = ends
    for grade in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11):
        assert calendar.last_day(grade) == main_end
    assert calendar.last_day(9) == grade_9_end
    assert calendar.last_day(12) == grade_12_end

    assert calendar.is_school_day(first)
    assert not calendar.is_school_day(first - timedelta(days=1))
    assert calendar.previous_school_day(first) is None
    assert calendar.term_for(sem1_end) == calendar.terms[0]
    assert calendar.term_for(sem2_start) == calendar.terms[1]
    assert calendar.term_for(sem1_end + timedelta(days=1)) is None
    assert calendar.is_school_day(sem1_end)
    assert calendar.is_school_day(sem2_start)

    for start, end in (autumn, winter, spring):
        assert start.weekday() == 0
        for d in days(start, end):
            assert not any(calendar.is_school_day(d, grade) for grade in (1, 9, 12)), d
        # the holidays sit between a full school Friday and a school Monday
        assert calendar.previous_school_day(start) == start - timedelta(days=3)
        assert calendar.next_school_day(end) == end + timedelta(days=7 - end.weekday())
    assert calendar.next_school_day(winter[1]) == sem2_start
    assert calendar.previous_school_day(winter[0]) == sem1_end

    grade_ends = ((1, main_end), (7, main_end), (11, main_end), (9, grade_9_end))
    for grade, last in (*grade_ends, (12, grade_12_end)):
        assert calendar.is_school_day(last, grade)
        assert not calendar.is_school_day(last + timedelta(days=3), grade)
        assert calendar.next_school_day(last, grade) is None
    assert calendar.is_school_day(grade_12_end)  # the school as a whole is open to the end


def test_the_weeks_around_published_holidays_are_school_weeks() -> None:
    calendar = latvian_calendar(2024)
    assert calendar.is_school_day(date(2024, 10, 18))
    assert calendar.is_school_day(date(2024, 10, 28))
    assert calendar.is_school_day(date(2025, 3, 7))
    assert calendar.is_school_day(date(2025, 3, 17))
    assert calendar.is_school_day(date(2024, 12, 20))
    assert not calendar.is_school_day(date(2024, 12, 23))
    assert not calendar.is_school_day(date(2025, 1, 3))
    assert calendar.is_school_day(date(2025, 1, 6))


def test_school_day_count_of_a_published_year() -> None:
    calendar = latvian_calendar(2024)
    first = list(calendar.school_days(calendar.starts_on, calendar.terms[0].ends_on))
    # 16 weeks minus autumn week; 18 November 2024 is a Monday off
    assert len(first) == 16 * 5 - 5 - 1
    assert first[0] == date(2024, 9, 2)
    assert first[-1] == date(2024, 12, 20)
    assert date(2024, 11, 18) not in first


# ------------------------------------------------------------------ public holidays


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
        (1818, date(1818, 3, 22)),
    ],
)
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter
    assert easter_sunday(year).weekday() == 6


def test_public_holidays_2023_24_move_off_weekends() -> None:
    off = {d.starts_on for d in latvian_public_holidays(2023)}
    # 18.11.2023 is a Saturday -> Monday 20.11; 4.05.2024 a Saturday -> Monday 6.05
    assert off == {
        date(2023, 11, 20),
        date(2024, 3, 29),
        date(2024, 4, 1),
        date(2024, 5, 1),
        date(2024, 5, 6),
    }


def test_public_holidays_2025_26() -> None:
    calendar = latvian_calendar(2025)
    for holiday in (date(2025, 11, 18), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1)):
        assert not calendar.is_school_day(holiday)
    assert not calendar.is_school_day(date(2026, 5, 4))
    assert calendar.is_school_day(date(2025, 11, 11))  # Lāčplēša diena is a school day
    assert calendar.is_school_day(date(2025, 11, 17))
    assert calendar.is_school_day(date(2026, 4, 7))


def test_public_holidays_on_a_saturday_are_not_listed_unless_moved() -> None:
    # 1 May 2027 is a Saturday and does not move; 4 May 2025 is a Sunday and does
    assert date(2027, 5, 1) not in {d.starts_on for d in latvian_public_holidays(2026)}
    assert date(2025, 5, 5) in {d.starts_on for d in latvian_public_holidays(2024)}


def test_extrapolated_year() -> None:
    calendar = latvian_calendar(2026)
    validate_calendar(calendar)
    assert calendar.starts_on == date(2026, 9, 1)
    assert calendar.terms[0].ends_on == date(2026, 12, 18)
    assert calendar.terms[1].starts_on == date(2027, 1, 4)
    assert not calendar.is_school_day(date(2026, 10, 19))
    assert not calendar.is_school_day(date(2027, 3, 15))
    assert calendar.last_day(5) == date(2027, 5, 28)
    assert calendar.last_day(12) == date(2027, 6, 18)


def test_a_saturday_first_of_september() -> None:
    assert latvian_calendar(2029).starts_on == date(2029, 9, 3)


# ------------------------------------------------------------------ custom calendars


def simple_calendar(**changes: object) -> SchoolCalendar:
    calendar = SchoolCalendar(
        starts_on=date(2024, 9, 2),
        ends_on=date(2024, 12, 20),
        terms=(Term(1, date(2024, 9, 2), date(2024, 12, 20)),),
        days_off=(),
    )
    return replace(calendar, **changes)  # type: ignore[arg-type]


def test_six_day_week() -> None:
    saturday = date(2024, 9, 7)
    assert not simple_calendar().is_school_day(saturday)
    six = simple_calendar(school_weekdays=frozenset(range(6)))
    assert six.is_school_day(saturday)
    assert not six.is_school_day(date(2024, 9, 8))
    assert six.next_school_day(date(2024, 9, 6)) == saturday
    assert len(list(six.school_days(date(2024, 9, 2), date(2024, 9, 15)))) == 12


def test_a_b_weeks() -> None:
    calendar = simple_calendar(cycle_weeks=2, starts_on=date(2024, 9, 4))
    assert calendar.week_in_cycle(date(2024, 9, 2)) == 0  # Monday of the first week
    assert calendar.week_in_cycle(date(2024, 9, 4)) == 0
    assert calendar.week_in_cycle(date(2024, 9, 8)) == 0  # Sunday still in week A
    assert calendar.week_in_cycle(date(2024, 9, 9)) == 1
    assert calendar.week_in_cycle(date(2024, 9, 16)) == 0
    assert calendar.week_in_cycle(date(2024, 12, 20)) == 1  # 15 weeks later
    assert calendar.week_in_cycle(date(2024, 8, 30)) == 1  # the week before counts back
    assert simple_calendar().week_in_cycle(date(2024, 9, 9)) == 0


def test_grade_specific_days_off() -> None:
    grade_one_week = DayOff(
        date(2024, 10, 7), date(2024, 10, 11), "1. klašu brīvdienas", frozenset({1})
    )
    calendar = simple_calendar(days_off=(grade_one_week,))
    monday = date(2024, 10, 7)
    assert not calendar.is_school_day(monday, 1)
    assert calendar.is_school_day(monday, 2)
    assert calendar.is_school_day(monday)  # the school is open
    assert calendar.next_school_day(date(2024, 10, 4), 1) == date(2024, 10, 14)
    assert calendar.next_school_day(date(2024, 10, 4), 2) == monday
    assert calendar.previous_school_day(date(2024, 10, 14), 1) == date(2024, 10, 4)
    assert calendar.day_off_for(monday, 1) == grade_one_week
    assert calendar.day_off_for(monday, 2) is None
    assert grade_one_week.covers(monday, 1)
    assert not grade_one_week.covers(monday)


def test_days_outside_terms_are_not_school_days() -> None:
    calendar = simple_calendar(
        terms=(
            Term(1, date(2024, 9, 2), date(2024, 10, 25)),
            Term(2, date(2024, 11, 4), date(2024, 12, 20)),
        )
    )
    assert not calendar.is_school_day(date(2024, 10, 28))
    assert calendar.term_for(date(2024, 10, 28)) is None
    assert calendar.next_school_day(date(2024, 10, 25)) == date(2024, 11, 4)


def test_school_days_are_clipped_to_the_year() -> None:
    calendar = simple_calendar()
    found = list(calendar.school_days(date(2024, 8, 1), date(2025, 1, 31)))
    assert found[0] == date(2024, 9, 2)
    assert found[-1] == date(2024, 12, 20)
    assert calendar.next_school_day(date(2024, 12, 20)) is None
    assert calendar.previous_school_day(date(2025, 3, 1)) == date(2024, 12, 20)


def test_calendars_are_frozen_and_hashable() -> None:
    calendar = latvian_calendar(2024)
    assert hash(calendar) == hash(latvian_calendar(2024))
    with pytest.raises(AttributeError):
        calendar.cycle_weeks = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"ends_on": date(2024, 9, 1)}, "calendar.range_reversed"),
        (
            {"days_off": (DayOff(date(2024, 10, 2), date(2024, 10, 1), "x"),)},
            "calendar.range_reversed",
        ),
        (
            {"terms": (Term(1, date(2024, 9, 1), date(2024, 12, 20)),)},
            "calendar.term_outside_year",
        ),
        (
            {
                "terms": (
                    Term(1, date(2024, 9, 2), date(2024, 10, 25)),
                    Term(2, date(2024, 10, 25), date(2024, 12, 20)),
                )
            },
            "calendar.terms_overlap",
        ),
        ({"school_weekdays": frozenset()}, "calendar.weekdays_invalid"),
        ({"school_weekdays": frozenset({7})}, "calendar.weekdays_invalid"),
        ({"cycle_weeks": 0}, "calendar.cycle_invalid"),
        ({"end_by_grade": ((13, date(2024, 12, 20)),)}, "calendar.grade_invalid"),
        (
            {"days_off": (DayOff(date(2024, 10, 1), date(2024, 10, 1), "x", frozenset({0})),)},
            "calendar.grade_invalid",
        ),
        ({"end_by_grade": ((9, date(2024, 12, 27)),)}, "calendar.grade_end_invalid"),
    ],
)
def test_invalid_calendars(changes: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_calendar(simple_calendar(**changes))
    assert caught.value.key == key


# ------------------------------------------------------------------ bells


def test_standard_bells() -> None:
    bells = standard_bells()
    validate_bell_schedule(bells)
    assert [p.number for p in bells.periods] == list(range(1, 10))
    assert all(p.minutes == 40 for p in bells.periods)
    assert bells.period(1) == BellPeriod(1, time(8, 30), time(9, 10))
    assert bells.period(4) == BellPeriod(4, time(11, 10), time(11, 50))
    assert bells.period(9) == BellPeriod(9, time(15, 30), time(16, 10))
    assert bells.period(0) is None
    assert bells.periods_at(time(9, 10)) == ()
    assert bells.periods_at(time(9, 20)) == (bells.period(2),)


def test_shortened_bells_are_thirty_minutes() -> None:
    bells = shortened_bells()
    validate_bell_schedule(bells)
    assert all(p.minutes == 30 for p in bells.periods)
    assert bells.period(1) == BellPeriod(1, time(8, 30), time(9, 0))


def test_bells_with_lesson_zero() -> None:
    bells = bells_with_lesson_zero()
    validate_bell_schedule(bells)
    assert bells.period(0) == BellPeriod(0, time(8, 10), time(8, 50))
    assert bells.period(1) == BellPeriod(1, time(9, 0), time(9, 40))
    assert bells.period(2) == BellPeriod(2, time(9, 45), time(10, 25))
    assert all(p.minutes == 40 for p in bells.periods)


def test_overlapping_periods_are_allowed() -> None:
    merged = BellSchedule(
        "merged",
        (
            BellPeriod(1, time(8, 30), time(9, 10)),
            BellPeriod(2, time(9, 0), time(9, 40)),
        ),
    )
    validate_bell_schedule(merged)
    assert len(merged.periods_at(time(9, 5))) == 2


@pytest.mark.parametrize(
    "periods",
    [
        (BellPeriod(1, time(9, 0), time(9, 0)),),
        (BellPeriod(1, time(9, 40), time(9, 0)),),
        (BellPeriod(1, time(8, 0), time(8, 40)), BellPeriod(1, time(9, 0), time(9, 40))),
        (BellPeriod(-1, time(8, 0), time(8, 40)),),
    ],
)
def test_invalid_bell_schedules(periods: tuple[BellPeriod, ...]) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_bell_schedule(BellSchedule("bad", periods))
    assert caught.value.key == "bells.invalid"
    assert caught.value.params["name"] == "bad"
