"""ORM tables of the journal (SQLAlchemy 2, ``Mapped`` style). Nothing here leaves core.storage.

Every school-scoped row carries ``school_id``. People are global (a parent may have children in two
schools); what a person is in a school comes from enrolments, staff roles and guardianships.
Instants are stored in UTC (``DateTime(timezone=True)``); lesson dates are plain dates in the
school's zone. Relationships are not declared: queries join explicitly (no lazy loads to forget).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Row ids of the high-volume tables outgrow 32 bits in a national deployment; SQLite's rowid
# alias only works for INTEGER PRIMARY KEY, hence the variant.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base with one constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads it as a class attribute)
        datetime: DateTime(timezone=True),
        date: Date(),
        time: Time(),
        dict[str, Any]: JSON(),
    }


def _fk(target: str, *, nullable: bool = False, ondelete: str | None = None) -> Any:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable)


# ------------------------------------------------------------------------------------ schools


class School(Base):
    """A school; one deployment may hold several (a municipality)."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Riga")
    locale: Mapped[str] = mapped_column(String(8), default="lv")
    policy: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime]


class SchoolYear(Base):
    """A school year ("2026/2027") with its calendar frame."""

    __tablename__ = "school_years"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    school_weekdays: Mapped[str] = mapped_column(String(16), default="0,1,2,3,4")
    cycle_weeks: Mapped[int] = mapped_column(SmallInteger, default=1)
    end_by_grade: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Term(Base):
    """A semester of a school year."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("school_year_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = _fk("school_years.id", ondelete="CASCADE")
    number: Mapped[int] = mapped_column(SmallInteger)
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class DayOff(Base):
    """Holidays and other non-school days; optionally only for some grades."""

    __tablename__ = "days_off"
    __table_args__ = (Index("ix_days_off_year", "school_year_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = _fk("school_years.id", ondelete="CASCADE")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    name: Mapped[str] = mapped_column(String(120))
    grades: Mapped[str | None] = mapped_column(String(64))  # "1" or "1,2"; NULL = everyone


class BellSchedule(Base):
    """A named bell schedule (normal, shortened, with lesson 0)."""

    __tablename__ = "bell_schedules"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(80))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class BellPeriod(Base):
    """One period of a bell schedule; numbered from 0; periods may overlap."""

    __tablename__ = "bell_periods"
    __table_args__ = (UniqueConstraint("bell_schedule_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bell_schedule_id: Mapped[int] = _fk("bell_schedules.id", ondelete="CASCADE")
    number: Mapped[int] = mapped_column(SmallInteger)
    starts_at: Mapped[time]
    ends_at: Mapped[time]


class BellDay(Base):
    """Which bell schedule a date uses when it is not the default one."""

    __tablename__ = "bell_days"
    __table_args__ = (UniqueConstraint("school_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    on_date: Mapped[date]
    bell_schedule_id: Mapped[int] = _fk("bell_schedules.id", ondelete="CASCADE")


# ------------------------------------------------------------------------------------- people


class Person(Base):
    """A human known to one or more schools. The personal code is stored, never shown in chat."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    personal_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    birth_date: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PersonKey(Base):
    """The records office's stable id of a person in one school: what re-imports match on."""

    __tablename__ = "person_keys"
    __table_args__ = (UniqueConstraint("school_id", "external_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    external_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")


class StaffRole(Base):
    """A role a person holds in a school: teacher, interest_teacher, deputy_director, director."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("school_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    role: Mapped[str] = mapped_column(String(24))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ClassGroup(Base):
    """A class ("5.a") in one school year: grade level, display name, class teacher."""

    __tablename__ = "classes"
    __table_args__ = (
        UniqueConstraint("school_year_id", "name"),
        CheckConstraint("grade BETWEEN 1 AND 12", name="grade_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    school_year_id: Mapped[int] = _fk("school_years.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(16))
    grade: Mapped[int] = mapped_column(SmallInteger)
    class_teacher_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")


class Enrolment(Base):
    """A pupil in a class for (part of) a school year."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("class_id", "pupil_id"),
        Index("ix_enrolments_pupil", "pupil_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    class_id: Mapped[int] = _fk("classes.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]


class Guardianship(Base):
    """A parent or legal representative of a pupil (global: children may be in two schools)."""

    __tablename__ = "guardianships"
    __table_args__ = (UniqueConstraint("guardian_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(16), default="guardian")
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")


# ------------------------------------------------------------------------- subjects and groups


class Subject(Base):
    """A subject taught in a school."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "short_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(32))


class TeachingGroup(Base):
    """A journal: subject, teachers and pupils; a whole class, a part, a combined or club group."""

    __tablename__ = "teaching_groups"
    __table_args__ = (Index("ix_teaching_groups_year", "school_year_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    school_year_id: Mapped[int] = _fk("school_years.id", ondelete="CASCADE")
    subject_id: Mapped[int | None] = _fk("subjects.id", nullable=True, ondelete="RESTRICT")
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # class | part | combined | interest
    grade: Mapped[int] = mapped_column(SmallInteger)
    scale: Mapped[str | None] = mapped_column(String(16))  # NULL = the school's rule


class GroupTeacher(Base):
    """A teacher of a teaching group."""

    __tablename__ = "group_teachers"
    __table_args__ = (UniqueConstraint("group_id", "teacher_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )


class GroupClass(Base):
    """A class a teaching group draws pupils from (several for a combined group)."""

    __tablename__ = "group_classes"
    __table_args__ = (UniqueConstraint("group_id", "class_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)


class GroupMember(Base):
    """A pupil in a teaching group for a date range."""

    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "pupil_id"),
        Index("ix_group_members_pupil", "pupil_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]


class GroupListSubmission(Base):
    """A teacher's pupil list for a part, combined or club group (rule 3.4) and its decision."""

    __tablename__ = "group_list_submissions"
    __table_args__ = (
        Index("ix_group_list_submissions_school_status", "school_id", "status"),
        Index("ix_group_list_submissions_group", "group_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    submitted_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    pupil_ids: Mapped[list[int]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # domain.group_lists
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    decided_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------------------------- timetable


class TimetableSlot(Base):
    """A weekly slot of a semester's timetable (A/B week cycles via ``week``)."""

    __tablename__ = "timetable_slots"
    __table_args__ = (
        Index("ix_timetable_slots_group", "group_id", "weekday"),
        Index("ix_timetable_slots_term", "term_id", "weekday", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    term_id: Mapped[int] = _fk("terms.id", ondelete="CASCADE")
    weekday: Mapped[int] = mapped_column(SmallInteger)  # date.weekday(): 0 = Monday
    period: Mapped[int] = mapped_column(SmallInteger)
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    teacher_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    room: Mapped[str | None] = mapped_column(String(32))
    week: Mapped[int | None] = mapped_column(SmallInteger)  # NULL every week; 0 = A; 1 = B


class TimetableChange(Base):
    """A change for one date: substitution, cancellation, room change, moved or extra lesson."""

    __tablename__ = "timetable_changes"
    __table_args__ = (Index("ix_timetable_changes_day", "school_id", "on_date", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    on_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    slot_id: Mapped[int | None] = _fk("timetable_slots.id", nullable=True, ondelete="CASCADE")
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    period: Mapped[int] = mapped_column(SmallInteger)
    new_date: Mapped[date | None]
    new_period: Mapped[int | None] = mapped_column(SmallInteger)
    teacher_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    room: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


# ------------------------------------------------------------------------------------ lessons


class Lesson(Base):
    """A lesson held: date, period, group, the teacher who actually taught, topic, homework."""

    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("group_id", "on_date", "period"),
        Index("ix_lessons_school_day", "school_id", "on_date"),
        Index("ix_lessons_teacher_day", "teacher_id", "on_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    on_date: Mapped[date]
    period: Mapped[int] = mapped_column(SmallInteger)
    teacher_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    is_substitution: Mapped[bool] = mapped_column(Boolean, default=False)
    topic: Mapped[str | None] = mapped_column(Text)
    homework: Mapped[str | None] = mapped_column(Text)
    homework_due_on: Mapped[date | None]
    attendance_taken_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StoredFile(Base):
    """A file kept by the journal (homework attachment, note photo). Bytes live in the row."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int | None] = _fk("schools.id", nullable=True, ondelete="CASCADE")
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]


class LessonFile(Base):
    """A file attached to a lesson's homework or topic."""

    __tablename__ = "lesson_files"
    __table_args__ = (UniqueConstraint("lesson_id", "file_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lesson_id: Mapped[int] = _fk("lessons.id", ondelete="CASCADE")
    file_id: Mapped[int] = _fk("files.id", ondelete="CASCADE")
    purpose: Mapped[str] = mapped_column(String(16), default="homework")


class Attendance(Base):
    """A pupil's attendance mark in a lesson; only non-present marks are stored."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("lesson_id", "pupil_id"),
        Index("ix_attendance_pupil_day", "pupil_id", "on_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    lesson_id: Mapped[int] = _fk("lessons.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    on_date: Mapped[date]  # denormalised from the lesson for the pupil's date-range reads
    code: Mapped[str] = mapped_column(String(8))
    justification: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    absence_note_id: Mapped[int | None] = _fk(
        "absence_notes.id", nullable=True, ondelete="SET NULL"
    )
    recorded_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    recorded_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AbsenceNote(Base):
    """An absence note (kavējuma zīme): who, which days, why, and the class teacher's decision."""

    __tablename__ = "absence_notes"
    __table_args__ = (Index("ix_absence_notes_pupil", "pupil_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(16))
    reason_text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[int | None] = _fk("files.id", nullable=True, ondelete="SET NULL")
    channel: Mapped[str] = mapped_column(String(16), default="bot")
    submitted_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    submitted_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    decided_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


# -------------------------------------------------------------------------------------- marks


class Assessment(Base):
    """Something assessed in a group: a test, a project; its kind and scale."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_group_day", "group_id", "on_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    lesson_id: Mapped[int | None] = _fk("lessons.id", nullable=True, ondelete="SET NULL")
    on_date: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    scale: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]


class Mark(Base):
    """A pupil's current result in an assessment (``nv`` is a status); history in revisions."""

    __tablename__ = "marks"
    __table_args__ = (
        UniqueConstraint("assessment_id", "pupil_id"),
        Index("ix_marks_pupil_day", "pupil_id", "on_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    assessment_id: Mapped[int] = _fk("assessments.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    on_date: Mapped[date]  # denormalised from the assessment for the pupil's date-range reads
    status: Mapped[str] = mapped_column(String(8))
    value: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    recorded_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, default=1)


class MarkRevision(Base):
    """One version of a mark: the full correction history, append-only."""

    __tablename__ = "mark_revisions"
    __table_args__ = (UniqueConstraint("mark_id", "revision"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mark_id: Mapped[int] = _fk("marks.id", ondelete="CASCADE")
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))
    value: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    changed_at: Mapped[datetime]


class PeriodMark(Base):
    """A semester, year or final mark: proposed by the system, confirmed by the teacher."""

    __tablename__ = "period_marks"
    __table_args__ = (UniqueConstraint("group_id", "pupil_id", "kind", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    group_id: Mapped[int] = _fk("teaching_groups.id", ondelete="CASCADE")
    pupil_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # semester | year | final
    term_id: Mapped[int | None] = _fk("terms.id", nullable=True, ondelete="CASCADE")
    scale: Mapped[str] = mapped_column(String(16))
    proposed_value: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    confirmed_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    confirmed_at: Mapped[datetime | None]


# ---------------------------------------------------------------------------- mail and news


class MailThread(Base):
    """A conversation in journal mail, optionally about a pupil (hidden from that pupil)."""

    __tablename__ = "mail_threads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    subject: Mapped[str] = mapped_column(String(200))
    about_pupil_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]


class MailMessage(Base):
    """One message in a thread; stored and attributable (rule 4.2)."""

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_thread", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thread_id: Mapped[int] = _fk("mail_threads.id", ondelete="CASCADE")
    sender_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    reply_to_id: Mapped[int | None] = _fk("mail_messages.id", nullable=True, ondelete="SET NULL")
    body: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = _fk("files.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]


class MailRecipient(Base):
    """A recipient of a message with their read state."""

    __tablename__ = "mail_recipients"
    __table_args__ = (
        UniqueConstraint("message_id", "person_id"),
        Index("ix_mail_recipients_person", "person_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = _fk("mail_messages.id", ondelete="CASCADE")
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    read_at: Mapped[datetime | None]


class MailReport(Base):
    """A recipient's report of a message to the school's administration (rule 4.2)."""

    __tablename__ = "mail_reports"
    __table_args__ = (
        UniqueConstraint("message_id", "reporter_id"),
        Index("ix_mail_reports_school", "school_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    message_id: Mapped[int] = _fk("mail_messages.id", ondelete="CASCADE")
    reporter_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class MailSuspension(Base):
    """The superuser stopped a person sending journal mail in a school (until: None = lifted)."""

    __tablename__ = "mail_suspensions"
    __table_args__ = (Index("ix_mail_suspensions_person", "person_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    until: Mapped[datetime | None]
    suspended_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")


class MailChatMessage(Base):
    """A Telegram message that carried a mail message to a recipient's chat (replies thread back).

    Written by the notifications engine when the delivery is sent; the bot looks a reply's
    ``(chat_id, telegram_message_id)`` up here. Telegram ids are never shown to anyone.
    """

    __tablename__ = "mail_chat_messages"
    __table_args__ = (UniqueConstraint("chat_id", "telegram_message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = _fk("mail_messages.id", ondelete="CASCADE")
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    chat_id: Mapped[int] = mapped_column(BigInteger)
    telegram_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class NewsPost(Base):
    """A School news post (rule 1.4); timetable-change bulletins are news posts too."""

    __tablename__ = "news_posts"
    __table_args__ = (Index("ix_news_posts_school", "school_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    kind: Mapped[str] = mapped_column(String(24), default="news")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = _fk("files.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class Broadcast(Base):
    """A staff broadcast (rules 1.4, 4.1): audience, text, file, author; recipients resolved once.

    ``recipient_ids`` are the people the audience named when it was sent (the fan-out writes
    one delivery per id); ``connected`` of them had a linked account then.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_school_time", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    audience: Mapped[dict[str, Any]] = mapped_column(Json)  # core.domain.broadcasts.Audience
    text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = _fk("files.id", nullable=True, ondelete="SET NULL")
    ask_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(Integer)
    recipient_ids: Mapped[list[int]] = mapped_column(Json)
    created_at: Mapped[datetime]


class BroadcastAck(Base):
    """A recipient pressed "I have read this" under a broadcast (once)."""

    __tablename__ = "broadcast_acks"
    __table_args__ = (UniqueConstraint("broadcast_id", "person_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    broadcast_id: Mapped[int] = _fk("broadcasts.id", ondelete="CASCADE")
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    at: Mapped[datetime]


# ------------------------------------------------------------------------ accounts and invites


class Account(Base):
    """A Telegram user linked to a person: language, notification preferences, status."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), default="lv")
    status: Mapped[str] = mapped_column(
        String(16), default="active"
    )  # active|unreachable|unlinked
    preferences: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    quiet_from: Mapped[time | None]
    quiet_to: Mapped[time | None]
    linked_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]


class Invite(Base):
    """A single-use, expiring invite; only a hash of the code is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))  # pupil | guardian | staff | caregiver
    pupil_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="CASCADE")
    issued_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_account_id: Mapped[int | None] = _fk("accounts.id", nullable=True, ondelete="SET NULL")
    revoked_at: Mapped[datetime | None]


class LinkAttempt(Base):
    """One try to connect a Telegram account (a code or a shared phone): the brute-force ledger.

    Kept apart from the audit log so that the per-user count is one indexed range read; rows
    older than a day are pruned (the audit log keeps the permanent record).
    """

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_user_time", "telegram_user_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(8))  # code | phone
    outcome: Mapped[str] = mapped_column(String(16))  # core.domain.invites.LinkOutcome


class CalendarFeed(Base):
    """A personal iCalendar feed of one pupil for one person; only the token's hash is stored."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (Index("ix_calendar_feeds_owner", "person_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")  # the account owner
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


# ------------------------------------------------------------------ privacy: archives, requests


class YearArchive(Base):
    """A year-end archive written (``archive create``) and, later, checked (``archive verify``).

    Retention refuses to delete a school year's data until a verified archive of it exists.
    """

    __tablename__ = "archives"
    __table_args__ = (UniqueConstraint("school_id", "school_year_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    school_year_id: Mapped[int] = _fk("school_years.id", ondelete="CASCADE")
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]


class AccessRequest(Base):
    """A person's request for the data held about them or their child (GDPR art. 15)."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_school_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = _fk("schools.id", ondelete="CASCADE")
    person_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")  # who asks
    pupil_id: Mapped[int] = _fk("persons.id", ondelete="CASCADE")  # whose data (may be the same)
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # pending|approved|rejected|delivered
    decided_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


# ------------------------------------------------------------------- audit, events and outbox


class AuditEntry(Base):
    """Append-only audit log: who (and in which role) did or read what, when, old and new."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_school_time", "school_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    actor_role: Mapped[str] = mapped_column(String(24))
    school_id: Mapped[int | None] = _fk("schools.id", nullable=True, ondelete="SET NULL")
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    subject_person_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)


class Disclosure(Base):
    """A lawful disclosure of a person's data (rule 6.4): to whom, on what legal basis, what."""

    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_school_time", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime]
    school_id: Mapped[int | None] = _fk("schools.id", nullable=True, ondelete="SET NULL")
    person_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    disclosed_by: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")
    actor_role: Mapped[str] = mapped_column(String(24))
    basis: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)


class DomainEvent(Base):
    """A past-tense fact recorded in the same transaction as the change that caused it."""

    __tablename__ = "domain_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime]
    school_id: Mapped[int | None] = _fk("schools.id", nullable=True, ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(48))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)


class Delivery(Base):
    """The outbox: one message to one recipient, keyed for idempotency, claimed with a lease."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_id: Mapped[int | None] = _fk("domain_events.id", nullable=True, ondelete="SET NULL")
    job: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    recipient_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="CASCADE")
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Cursor(Base):
    """A named position in a stream (the fan-out's last processed event id)."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
