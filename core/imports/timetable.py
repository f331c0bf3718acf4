"""Owns the parsed semester timetable that every timetable file format is read into.

Plain frozen data with no file-local ids: an aSc export's ``*17`` ids are resolved to names while
the file is read, so nothing downstream can key on them (domain.md §8.1). Subjects, teachers,
classes and rooms are ``Named`` (short name and full name, as the file spells them); the service
matches them against the school's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from fractions import Fraction


@dataclass(frozen=True, slots=True, order=True)
class Named:
    """A subject, teacher, class or room as a file names it."""

    short: str
    name: str

    @property
    def label(self) -> str:
        """The way to show it: the short name, else the name."""
        return self.short or self.name


@dataclass(frozen=True, slots=True, order=True)
class Part:
    """The pupils of one class a lesson teaches: the whole class or a group of a division."""

    klass: Named
    name: str
    whole: bool
    division: int


@dataclass(frozen=True, slots=True)
class Period:
    """A bell period: its number (from 0), free labels and times (absent in CSV files)."""

    number: int
    label: str
    starts_at: time | None
    ends_at: time | None


@dataclass(frozen=True, slots=True)
class Lesson:
    """What is taught: a subject to some parts of classes by some teachers, N periods a week."""

    subject: Named
    parts: tuple[Part, ...]
    teachers: tuple[Named, ...]
    rooms: tuple[Named, ...]
    per_week: Fraction
    per_card: int


@dataclass(frozen=True, slots=True)
class Card:
    """One placed period of a lesson (``lesson`` is an index into ``ParsedTimetable.lessons``).

    ``week``: None = every week, 0 = week A, 1 = week B. ``terms``: None = every term, else the
    term numbers (1-based) the card is in.
    """

    lesson: int
    weekday: int
    period: int
    week: int | None
    rooms: tuple[Named, ...]
    terms: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class ParsedTimetable:
    """A semester timetable read from a file; lessons without cards are unplaced requirements."""

    source: str  # "asc" | "table"
    periods: tuple[Period, ...]
    lessons: tuple[Lesson, ...]
    cards: tuple[Card, ...]
    school_days: int
    cycle_weeks: int

    @property
    def unplaced(self) -> tuple[Lesson, ...]:
        """Lessons with no card: requirements only, never slots."""
        placed = {card.lesson for card in self.cards}
        return tuple(lesson for i, lesson in enumerate(self.lessons) if i not in placed)

    @property
    def subjects(self) -> tuple[Named, ...]:
        """Subjects taught by the lessons, sorted."""
        return tuple(sorted({lesson.subject for lesson in self.lessons}))

    @property
    def teachers(self) -> tuple[Named, ...]:
        """Teachers of the lessons, sorted."""
        return tuple(sorted({t for lesson in self.lessons for t in lesson.teachers}))

    @property
    def classes(self) -> tuple[Named, ...]:
        """Classes of the lessons, sorted."""
        return tuple(sorted({p.klass for lesson in self.lessons for p in lesson.parts}))
