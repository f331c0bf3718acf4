"""Owns absence codes, attendance summaries and thresholds, the roster tap cycle and note ranges.

Pure rules over frozen dataclasses: no I/O, no clock; "today" arrives as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Self

from core.domain.calendar import SchoolCalendar
from core.errors import InvalidInput

_FALLBACK_LANGUAGE = "lv"
_MAX_CODE_LENGTH = 3


@dataclass(frozen=True, slots=True)
class AbsenceCode:
    """One of a school's attendance codes (domain.md §4.1).

    ``labels`` is a tuple of ``(language, label)`` pairs rather than a dict so the code stays
    frozen and hashable; read it with ``label(lang)`` or build one from a mapping with ``of``.
    """

    code: str
    labels: tuple[tuple[str, str], ...]
    counts_as_absence: bool
    is_late: bool = False
    justified_by_default: bool = False

    @classmethod
    def of(
        cls,
        code: str,
        labels: Mapping[str, str],
        *,
        counts_as_absence: bool,
        is_late: bool = False,
        justified_by_default: bool = False,
    ) -> Self:
        """Build a code from a ``{language: label}`` mapping."""
        return cls(
            code=code,
            labels=tuple(sorted(labels.items())),
            counts_as_absence=counts_as_absence,
            is_late=is_late,
            justified_by_default=justified_by_default,
        )

    def label(self, lang: str) -> str:
        """The label in ``lang``, else Latvian, else the code itself."""
        by_lang = dict(self.labels)
        return by_lang.get(lang) or by_lang.get(_FALLBACK_LANGUAGE) or self.code


DEFAULT_ABSENCE_CODES: tuple[AbsenceCode, ...] = (
    AbsenceCode.of(
        "n",
        {"lv": "nav ieradies", "en": "absent", "ru": "отсутствует"},
        counts_as_absence=True,
    ),
    AbsenceCode.of(
        "k",
        {"lv": "kavējis", "en": "late", "ru": "опоздание"},
        counts_as_absence=False,
        is_late=True,
    ),
    AbsenceCode.of(
        "ns",
        {"lv": "slimības dēļ", "en": "ill", "ru": "по болезни"},
        counts_as_absence=True,
        justified_by_default=True,
    ),
)


def validate_absence_codes(codes: Iterable[AbsenceCode]) -> None:
    """Check a school's absence codes.

    Raises:
        InvalidInput: ``attendance.codes_invalid`` (param ``code``) when the list is empty, a code
            is empty, longer than 3 characters, contains spaces, repeats (case-insensitively)
            or is ``nv``, which is the no-mark status and never an absence code (domain.md §2.2).
    """
    seen: set[str] = set()
    for absence in codes:
        code = absence.code
        folded = code.casefold()
        if (
            not code
            or len(code) > _MAX_CODE_LENGTH
            or code != "".join(code.split())
            or folded == "nv"
            or folded in seen
        ):
            raise InvalidInput("attendance.codes_invalid", code=code)
        seen.add(folded)
    if not seen:
        raise InvalidInput("attendance.codes_invalid", code="")


def find_absence_code(codes: Iterable[AbsenceCode], code: str) -> AbsenceCode:
    """The code named ``code``.

    Raises:
        InvalidInput: ``attendance.unknown_code`` (param ``code``).
    """
    for absence in codes:
        if absence.code == code:
            return absence
    raise InvalidInput("attendance.unknown_code", code=code)


class Justification(StrEnum):
    """Whether an absence is excused; PENDING until a note or the form teacher decides."""

    PENDING = "pending"
    JUSTIFIED = "justified"
    UNJUSTIFIED = "unjustified"


def initial_justification(code: AbsenceCode) -> Justification:
    """How a freshly recorded absence starts: excused for codes like ``ns``, else pending."""
    return Justification.JUSTIFIED if code.justified_by_default else Justification.PENDING


@dataclass(frozen=True, slots=True)
class AttendanceFact:
    """One recorded lesson attendance entry (present pupils have no entry)."""

    on: date
    code: str
    justification: Justification


@dataclass(frozen=True, slots=True)
class AttendanceSummary:
    """Counts over a period, in lessons.

    ``absent_lessons`` = ``justified`` + ``unjustified`` + ``pending``; lateness is counted apart
    in ``late``. ``unexcused`` (unjustified + pending) is what thresholds look at.
    """

    absent_lessons: int
    justified: int
    unjustified: int
    pending: int
    late: int

    @property
    def unexcused(self) -> int:
        """Absences not (yet) excused: decided unjustified plus still pending."""
        return self.unjustified + self.pending


def summarize(facts: Iterable[AttendanceFact], codes: Iterable[AbsenceCode]) -> AttendanceSummary:
    """Count absences by justification and lateness; the caller picks the period's facts.

    Raises:
        InvalidInput: ``attendance.unknown_code`` for a fact whose code the school lacks.
    """
    by_code = {c.code: c for c in codes}
    counts = dict.fromkeys(Justification, 0)
    late = 0
    for fact in facts:
        absence = by_code.get(fact.code)
        if absence is None:
            raise InvalidInput("attendance.unknown_code", code=fact.code)
        if absence.counts_as_absence:
            counts[fact.justification] += 1
        if absence.is_late:
            late += 1
    return AttendanceSummary(
        absent_lessons=sum(counts.values()),
        justified=counts[Justification.JUSTIFIED],
        unjustified=counts[Justification.UNJUSTIFIED],
        pending=counts[Justification.PENDING],
        late=late,
    )


def over_threshold(summary: AttendanceSummary, threshold: int) -> bool:
    """Whether unexcused absences strictly exceed ``threshold`` (e.g. more than 20 a semester)."""
    return summary.unexcused > threshold


def next_attendance_code(current: str | None, cycle: Sequence[str]) -> str | None:
    """The code after one tap on a roster: present (None) → cycle[0] → ... → present.

    A code outside the cycle (``ns`` from a parent's report, say) goes back to present: the
    teacher tapping that pupil sees them in the room.
    """
    if not cycle:
        return None
    if current is None:
        return cycle[0]
    try:
        position = list(cycle).index(current)
    except ValueError:
        return None
    return cycle[position + 1] if position + 1 < len(cycle) else None


# ------------------------------------------------------------------ absence notes


class NoteStatus(StrEnum):
    """Where an absence note (kavējuma zīme) stands."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class NoteReason(StrEnum):
    """Why the pupil is or was away."""

    ILLNESS = "illness"
    FAMILY = "family"
    OTHER = "other"


def note_days(
    starts_on: date,
    ends_on: date,
    *,
    calendar: SchoolCalendar | None = None,
    grade: int | None = None,
) -> int:
    """How many days a note covers: school days if a calendar is given, else calendar days."""
    if ends_on < starts_on:
        return 0
    if calendar is None:
        return (ends_on - starts_on).days + 1
    return sum(1 for _ in calendar.school_days(starts_on, ends_on, grade))


def validate_note_range(
    starts_on: date,
    ends_on: date,
    *,
    today: date,
    max_days: int,
    max_days_ahead: int = 30,
    calendar: SchoolCalendar | None = None,
    grade: int | None = None,
) -> None:
    """Check the dates of an absence note against the school's limits.

    ``max_days`` counts calendar days (weekends and holidays included) unless a ``calendar`` is
    passed, in which case it counts the pupil's school days (so a Wednesday-to-Tuesday illness is
    5 days, not 7). A note may start at most ``max_days_ahead`` days after ``today``; notes for
    past days are always allowed here (the school's deadline for late notes is not modelled).

    Raises:
        InvalidInput: ``note.range_reversed`` (params ``starts_on``, ``ends_on``),
            ``note.too_long`` (``days``, ``max_days``) or ``note.too_far_ahead`` (``latest``).
    """
    if ends_on < starts_on:
        raise InvalidInput("note.range_reversed", starts_on=starts_on, ends_on=ends_on)
    days = note_days(starts_on, ends_on, calendar=calendar, grade=grade)
    if days > max_days:
        raise InvalidInput("note.too_long", days=days, max_days=max_days)
    latest = today + timedelta(days=max_days_ahead)
    if starts_on > latest:
        raise InvalidInput("note.too_far_ahead", latest=latest)


def note_covers(starts_on: date, ends_on: date, day: date) -> bool:
    """Whether a note from ``starts_on`` to ``ends_on`` (both inclusive) covers ``day``."""
    return starts_on <= day <= ends_on
