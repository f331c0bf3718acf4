"""Plain records that storage returns and services pass on: never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class SchoolRecord:
    """A school."""

    id: int
    code: str
    name: str
    time_zone: str
    locale: str


@dataclass(frozen=True, slots=True)
class SchoolYearRecord:
    """A school year of a school."""

    id: int
    school_id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as the journal shows them (the personal code is deliberately absent)."""

    id: int
    given_name: str
    family_name: str
    phone: str | None
    email: str | None
    is_active: bool

    @property
    def full_name(self) -> str:
        """Given name then family name, as Latvian lists write it."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class ClassRecord:
    """A class ("5.a") in a school year."""

    id: int
    school_id: int
    school_year_id: int
    name: str
    grade: int
    class_teacher_id: int | None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A teaching group (a journal)."""

    id: int
    school_id: int
    school_year_id: int
    subject_id: int | None
    subject_short: str | None
    name: str
    kind: str
    grade: int
    scale: str | None


@dataclass(frozen=True, slots=True)
class LessonRecord:
    """A lesson held."""

    id: int
    school_id: int
    group_id: int
    on_date: date
    period: int
    teacher_id: int | None
    is_substitution: bool
    topic: str | None
    homework: str | None
    homework_due_on: date | None
    attendance_taken_at: datetime | None


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """Something assessed in a group."""

    id: int
    school_id: int
    group_id: int
    on_date: date
    title: str
    kind: str
    scale: str


@dataclass(frozen=True, slots=True)
class MarkRecord:
    """A pupil's current result in an assessment."""

    id: int
    assessment_id: int
    pupil_id: int
    on_date: date
    status: str
    value: str | None
    comment: str | None
    revision: int


@dataclass(frozen=True, slots=True)
class MarkRow:
    """A mark joined with what a reader needs: subject, assessment and group."""

    mark_id: int
    pupil_id: int
    group_id: int
    subject_name: str
    assessment_title: str
    kind: str
    scale: str
    on_date: date
    status: str
    value: str | None
    comment: str | None
    revision: int


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    """A non-present attendance mark joined with its lesson's subject."""

    attendance_id: int
    lesson_id: int
    pupil_id: int
    group_id: int
    subject_name: str
    on_date: date
    period: int
    code: str
    justification: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry to write: who, in which role, did what to which entity."""

    action: str
    entity: str
    entity_id: int | None
    school_id: int | None
    subject_person_id: int | None = None
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A Telegram account linked to a person."""

    id: int
    person_id: int
    telegram_user_id: int
    chat_id: int
    language: str
    status: str


@dataclass(frozen=True, slots=True)
class PupilSummary:
    """A pupil as menus and headings name them: name, class and school."""

    pupil_id: int
    given_name: str
    family_name: str
    class_name: str | None
    grade: int | None
    school_id: int

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class TermRecord:
    """A semester of a school's stored calendar."""

    number: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class InviteRecord:
    """An invitation as stored: never the code, only what it is for and where it stands."""

    id: int
    school_id: int
    person_id: int
    purpose: str
    pupil_id: int | None
    issued_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class EnrolledPupil:
    """A pupil enrolled in a class now, with the day the enrolment began."""

    person: PersonRecord
    class_id: int
    class_name: str
    grade: int
    enrolled_on: date


@dataclass(frozen=True, slots=True)
class GuardianLink:
    """A guardianship: who follows which pupil, read-only or not, and who granted it."""

    guardian: PersonRecord
    pupil_id: int
    relation: str
    read_only: bool
    granted_by: int | None
