"""Owns a school's assessment and attendance policy: the value object built from its settings.

Pure: it answers questions (which scale, which code) and validates itself; it stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.domain.attendance import (
    DEFAULT_ABSENCE_CODES,
    AbsenceCode,
    AttendanceFact,
    AttendanceSummary,
    find_absence_code,
    summarize,
    validate_absence_codes,
)
from core.domain.invites import DEFAULT_INVITE_DAYS
from core.domain.mail import DEFAULT_MAIL_MATRIX, MailMatrix
from core.domain.marks import MarkKind, MarkScale
from core.errors import InvalidInput

_FIRST_GRADE, _LAST_GRADE = 1, 12
MAX_INVITE_DAYS = 90


@dataclass(frozen=True, slots=True)
class ScaleRule:
    """Marks of ``grade_from``..``grade_to`` (inclusive) use ``scale``.

    ``subjects`` holds subject short codes (matched case-insensitively); None means every subject.
    """

    scale: MarkScale
    grade_from: int
    grade_to: int
    subjects: frozenset[str] | None = None

    def matches(self, grade: int, subject: str | None) -> bool:
        """Whether the rule applies to this grade and subject."""
        if not self.grade_from <= grade <= self.grade_to:
            return False
        if self.subjects is None:
            return True
        return subject is not None and subject.casefold() in {s.casefold() for s in self.subjects}


@dataclass(frozen=True, slots=True)
class SchoolPolicy:
    """One school's rules (domain.md §2.4): scales, counted kinds, absence codes and limits.

    ``unjustified_threshold``: unexcused lessons per semester the school tolerates before it must
    tell the municipality (more than this many triggers). ``note_max_days`` and
    ``note_max_days_ahead`` limit absence notes (``validate_note_range``), and a note may start
    at most ``note_max_days_back`` days before today. ``nv_replace_days``
    is the calendar-day deadline for replacing an "nv". ``semester_marks_grades`` lists the
    grades that get semester marks (none by default: basic education only needs year marks).
    ``invite_days`` is how many days an invitation to connect to the bot stays valid.
    ``mail_contacts`` says whom each kind of person may write to in journal mail.
    ``access_requests_need_approval``: a family's request for its data waits for the
    superuser's approval (else it is delivered at once).
    """

    scale_rules: tuple[ScaleRule, ...]
    counted_kinds: frozenset[MarkKind] = frozenset({MarkKind.SUMMATIVE})
    percent_as_ten_point: bool = False
    absence_codes: tuple[AbsenceCode, ...] = DEFAULT_ABSENCE_CODES
    attendance_cycle: tuple[str, ...] = ("n", "k")
    unjustified_threshold: int = 20
    note_max_days: int = 5
    pupils_may_submit_notes: bool = False
    semester_marks_grades: frozenset[int] = frozenset()
    nv_replace_days: int = 14
    note_max_days_ahead: int = 30
    invite_days: int = DEFAULT_INVITE_DAYS
    note_max_days_back: int = 14
    mail_contacts: MailMatrix = DEFAULT_MAIL_MATRIX
    access_requests_need_approval: bool = True

    def scale_for(self, grade: int, subject: str | None) -> MarkScale:
        """The scale for a subject's marks in ``grade``.

        A rule naming the subject beats a grade-band rule; among equally specific rules the
        later one wins; with no matching rule the scale is ten-point.
        """
        best: ScaleRule | None = None
        for rule in self.scale_rules:
            if not rule.matches(grade, subject):
                continue
            if best is None or rule.subjects is not None or best.subjects is None:
                best = rule
        return best.scale if best is not None else MarkScale.TEN_POINT

    def absence_code(self, code: str) -> AbsenceCode:
        """The school's absence code named ``code``.

        Raises:
            InvalidInput: ``attendance.unknown_code`` (param ``code``).
        """
        return find_absence_code(self.absence_codes, code)

    def summarize(self, facts: Iterable[AttendanceFact]) -> AttendanceSummary:
        """``summarize`` with this school's codes."""
        return summarize(facts, self.absence_codes)

    def has_semester_marks(self, grade: int) -> bool:
        """Whether ``grade`` gets semester marks besides the year mark."""
        return grade in self.semester_marks_grades

    def validate(self) -> None:
        """Check the settings before a school may use them.

        Raises:
            InvalidInput: ``attendance.codes_invalid`` / ``attendance.cycle_invalid`` (``code``),
                ``policy.grades_invalid`` (``grade_from``, ``grade_to``),
                ``policy.subjects_empty``, ``policy.counted_kinds_empty`` or
                ``policy.threshold_invalid`` / ``policy.note_max_days_invalid`` /
                ``policy.note_days_ahead_invalid`` / ``policy.nv_replace_days_invalid`` /
                ``policy.invite_days_invalid`` / ``policy.note_days_back_invalid`` (``value``).
        """
        validate_absence_codes(self.absence_codes)
        known = {c.code for c in self.absence_codes}
        for position, code in enumerate(self.attendance_cycle):
            if code not in known or code in self.attendance_cycle[:position]:
                raise InvalidInput("attendance.cycle_invalid", code=code)
        for rule in self.scale_rules:
            if not _FIRST_GRADE <= rule.grade_from <= rule.grade_to <= _LAST_GRADE:
                raise InvalidInput(
                    "policy.grades_invalid", grade_from=rule.grade_from, grade_to=rule.grade_to
                )
            if rule.subjects is not None and not rule.subjects:
                raise InvalidInput("policy.subjects_empty")
        for grade in sorted(self.semester_marks_grades):
            if not _FIRST_GRADE <= grade <= _LAST_GRADE:
                raise InvalidInput("policy.grades_invalid", grade_from=grade, grade_to=grade)
        if not self.counted_kinds:
            raise InvalidInput("policy.counted_kinds_empty")
        self._validate_limits()

    def _validate_limits(self) -> None:
        """The numeric settings: thresholds, note limits and deadlines."""
        if self.unjustified_threshold < 0:
            raise InvalidInput("policy.threshold_invalid", value=self.unjustified_threshold)
        if self.note_max_days < 1:
            raise InvalidInput("policy.note_max_days_invalid", value=self.note_max_days)
        if self.note_max_days_ahead < 0:
            raise InvalidInput("policy.note_days_ahead_invalid", value=self.note_max_days_ahead)
        if self.note_max_days_back < 0:
            raise InvalidInput("policy.note_days_back_invalid", value=self.note_max_days_back)
        if self.nv_replace_days < 0:
            raise InvalidInput("policy.nv_replace_days_invalid", value=self.nv_replace_days)
        if not 1 <= self.invite_days <= MAX_INVITE_DAYS:
            raise InvalidInput("policy.invite_days_invalid", value=self.invite_days)


def default_policy() -> SchoolPolicy:
    """Learning levels in grades 1–3 and the ten-point scale in grades 4–12; defaults elsewhere."""
    return SchoolPolicy(
        scale_rules=(
            ScaleRule(MarkScale.LEVELS, 1, 3),
            ScaleRule(MarkScale.TEN_POINT, 4, 12),
        ),
    )
