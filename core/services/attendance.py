"""Attendance: a teacher records a lesson's roster; readers see absences with a summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.domain.access import Viewer
from core.domain.attendance import (
    AbsenceCode,
    AttendanceFact,
    AttendanceSummary,
    Justification,
)
from core.domain.events import AbsenceRecorded
from core.domain.records import AttendanceRow, AuditRecord, LessonRecord, PupilSummary
from core.errors import InvalidInput, NotFound
from core.ports import UnitOfWork
from core.services.absence_notes import settle_recorded_absence
from core.services.guards import (
    LessonAccess,
    audit_staff_read,
    own_groups_filter,
    pupil_scope,
    school_policy,
    writable_lesson,
)
from core.services.lessons import note_substitute
from core.services.periods import resolve_period


@dataclass(frozen=True, slots=True)
class LessonAttendance:
    """A lesson's roster after saving: pupil id → code for everyone not present."""

    lesson_id: int
    absent: Mapping[int, str]
    changed: int


@dataclass(frozen=True, slots=True)
class PupilAttendance:
    """A pupil's absences and lateness for a period, with the summary by school rules.

    ``codes`` are the school's attendance codes (with their labels) for rendering the rows;
    ``term`` is the semester number when the period is "this semester".
    """

    pupil: PupilSummary
    start: date
    end: date
    term: int | None
    rows: tuple[AttendanceRow, ...]
    summary: AttendanceSummary
    codes: tuple[AbsenceCode, ...]

    @property
    def pupil_id(self) -> int:
        """The pupil's person id."""
        return self.pupil.pupil_id


async def record_attendance(
    uow: UnitOfWork, viewer: Viewer, *, lesson_id: int, absent: Mapping[int, str]
) -> LessonAttendance:
    """Save a lesson's attendance: ``absent`` maps pupil id → code; everyone else is present.

    The group's teachers may, and a teacher substituting in that very lesson.
    """
    async with uow:
        lesson = await uow.journal.lesson(lesson_id)
        if lesson is None:
            raise NotFound("lesson.not_found")
        access = await writable_lesson(uow, viewer, lesson.group_id, lesson.on_date, lesson.period)
        saved = await write_attendance(uow, viewer, access, lesson, absent)
        await uow.commit()
        return saved


async def write_attendance(
    uow: UnitOfWork,
    viewer: Viewer,
    access: LessonAccess,
    lesson: LessonRecord,
    absent: Mapping[int, str],
) -> LessonAttendance:
    """Save a lesson's attendance inside an open unit of work: one audit entry per change."""
    group = access.group
    policy = await school_policy(uow, group.school_id)
    for code in set(absent.values()):
        policy.absence_code(code)
    members = await uow.journal.group_members(group.id, lesson.on_date)
    if set(absent) - members:
        raise InvalidInput("attendance.pupil_not_in_group")
    lesson = await note_substitute(uow, viewer, access, lesson)
    current = await uow.journal.lesson_attendance(lesson.id)
    now = uow.clock.now()
    changed = 0
    for pupil_id in sorted(set(current) | set(absent)):
        old, new = current.get(pupil_id), absent.get(pupil_id)
        if old == new:
            continue
        changed += 1
        attendance_id = await uow.journal.set_attendance(
            lesson=lesson, pupil_id=pupil_id, code=new, actor_id=viewer.person_id, now=now
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="attendance.set",
                entity="lesson",
                entity_id=lesson.id,
                school_id=group.school_id,
                subject_person_id=pupil_id,
                before={"code": old},
                after={"code": new},
            ),
        )
        if new is not None and attendance_id is not None:
            await settle_recorded_absence(
                uow,
                policy,
                attendance_id=attendance_id,
                pupil_id=pupil_id,
                on=lesson.on_date,
                code=new,
                new=old is None,
            )
            uow.record(
                AbsenceRecorded(attendance_id, pupil_id, lesson.id, new, lesson.on_date),
                school_id=group.school_id,
                actor_id=viewer.person_id,
            )
    await uow.journal.mark_attendance_taken(lesson.id, now)
    return LessonAttendance(lesson.id, dict(absent), changed)


async def pupil_attendance(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    pupil_id: int,
    start: date | None = None,
    end: date | None = None,
) -> PupilAttendance:
    """A pupil's absences (default: this semester up to today); teachers see their lessons."""
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        school_id = min(facts.school_ids)
        period = await resolve_period(uow, school_id, start, end)
        only = (
            frozenset(await uow.journal.teacher_groups_of_pupil(pupil_id, viewer.person_id or 0))
            if own_groups_filter(viewer, facts)
            else None
        )
        rows = tuple(await uow.journal.pupil_attendance(pupil_id, period.start, period.end, only))
        policy = await school_policy(uow, school_id)
        (pupil,) = await uow.directory.pupil_summaries([pupil_id])
        audit_staff_read(uow, viewer, facts, "attendance")
        await uow.commit()
    summary = policy.summarize(
        AttendanceFact(row.on_date, row.code, Justification(row.justification)) for row in rows
    )
    return PupilAttendance(
        pupil, period.start, period.end, period.term, rows, summary, policy.absence_codes
    )
