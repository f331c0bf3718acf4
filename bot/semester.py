"""Owns which dates "this semester" means on the marks and absences screens.

Uses the national default calendar until core exposes a school's stored terms (docs/bot.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.domain.calendar import latvian_calendar
from core.services.schools import school_year_start


@dataclass(frozen=True, slots=True)
class Semester:
    """A semester's number and the dates shown (start to today, or to its end if it is over)."""

    number: int
    start: date
    end: date


def current_semester(now: datetime, zone: ZoneInfo) -> Semester:
    """The semester that contains today, or the last one that started before today."""
    today = now.astimezone(zone).date()
    calendar = latvian_calendar(school_year_start(today))
    started = [term for term in calendar.terms if term.starts_on <= today]
    if not started:  # 1 September fell on a weekend and today is before the first Monday
        return Semester(1, date(today.year, 9, 1), today)
    term = started[-1]
    return Semester(term.number, term.starts_on, min(today, term.ends_on))
