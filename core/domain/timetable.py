"""Owns the stored semester timetable's records: terms, subjects, teaching groups and weekly slots.

Plain frozen data that storage returns and the timetable services work on; no rules needing I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class TermRef:
    """A semester with its id and school year."""

    id: int
    school_year_id: int
    number: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """A subject of a school."""

    id: int
    short_name: str
    name: str


@dataclass(frozen=True, slots=True)
class StaffRef:
    """A staff member as an import may match them: names and records-office keys."""

    person_id: int
    given_name: str
    family_name: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupShape:
    """A teaching group with the classes it draws from and its teachers."""

    id: int
    subject_id: int | None
    name: str
    kind: str
    grade: int
    class_ids: frozenset[int]
    teacher_ids: frozenset[int]


@dataclass(frozen=True, slots=True, order=True)
class SlotData:
    """One weekly slot (weekday 0 = Monday; week None = every week, 0 = A, 1 = B)."""

    weekday: int
    period: int
    group_id: int
    teacher_id: int | None
    room: str | None
    week: int | None

    def sort_key(self) -> tuple[int, int, int, int, int, str]:
        """A total order for comparing slot sets (None sorts first)."""
        return (
            self.weekday,
            self.period,
            self.group_id,
            -1 if self.teacher_id is None else self.teacher_id,
            -1 if self.week is None else self.week,
            self.room or "",
        )
