"""SQL journal: lessons, attendance, assessments, marks and their history. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.marks import MarkValue
from core.domain.records import (
    AssessmentRecord,
    AttendanceRow,
    LessonRecord,
    MarkRecord,
    MarkRow,
)
from core.storage import tables as t


def lesson_record(row: t.Lesson) -> LessonRecord:
    """ORM row → record."""
    return LessonRecord(
        row.id,
        row.school_id,
        row.group_id,
        row.on_date,
        row.period,
        row.teacher_id,
        row.is_substitution,
        row.topic,
        row.homework,
        row.homework_due_on,
        row.attendance_taken_at,
    )


def assessment_record(row: t.Assessment) -> AssessmentRecord:
    """ORM row → record."""
    return AssessmentRecord(
        row.id, row.school_id, row.group_id, row.on_date, row.title, row.kind, row.scale
    )


def mark_record(row: t.Mark) -> MarkRecord:
    """ORM row → record."""
    return MarkRecord(
        row.id,
        row.assessment_id,
        row.pupil_id,
        row.on_date,
        row.status,
        row.value,
        row.comment,
        row.revision,
    )


class SqlJournal:
    """Implements core.ports.JournalRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def lesson(self, lesson_id: int) -> LessonRecord | None:
        """A lesson by id."""
        row = await self._s.get(t.Lesson, lesson_id)
        return lesson_record(row) if row else None

    async def _lesson_row(self, group_id: int, on: date, period: int) -> t.Lesson | None:
        return await self._s.scalar(
            select(t.Lesson).where(
                t.Lesson.group_id == group_id, t.Lesson.on_date == on, t.Lesson.period == period
            )
        )

    async def _mark_row(self, assessment_id: int, pupil_id: int) -> t.Mark | None:
        return await self._s.scalar(
            select(t.Mark).where(
                t.Mark.assessment_id == assessment_id, t.Mark.pupil_id == pupil_id
            )
        )

    async def _attendance_row(self, lesson_id: int, pupil_id: int) -> t.Attendance | None:
        return await self._s.scalar(
            select(t.Attendance).where(
                t.Attendance.lesson_id == lesson_id, t.Attendance.pupil_id == pupil_id
            )
        )

    async def lesson_at(self, group_id: int, on: date, period: int) -> LessonRecord | None:
        """The lesson of a group in a period of a day."""
        row = await self._lesson_row(group_id, on, period)
        return lesson_record(row) if row else None

    async def save_lesson(
        self,
        *,
        school_id: int,
        group_id: int,
        on: date,
        period: int,
        teacher_id: int | None,
        topic: str | None,
        homework: str | None,
        homework_due_on: date | None,
        now: datetime,
    ) -> LessonRecord:
        """Create or update the lesson of (group, day, period)."""
        row = await self._lesson_row(group_id, on, period)
        if row is None:
            row = t.Lesson(
                school_id=school_id,
                group_id=group_id,
                on_date=on,
                period=period,
                teacher_id=teacher_id,
                is_substitution=False,
                created_at=now,
            )
            self._s.add(row)
        row.topic = topic
        row.homework = homework
        row.homework_due_on = homework_due_on
        row.updated_at = now
        await self._s.flush()
        return lesson_record(row)

    async def group_members(self, group_id: int, on: date) -> frozenset[int]:
        """Pupils in a group on a day."""
        rows = await self._s.scalars(
            select(t.GroupMember.pupil_id).where(
                t.GroupMember.group_id == group_id,
                t.GroupMember.starts_on <= on,
                or_(t.GroupMember.ends_on.is_(None), t.GroupMember.ends_on >= on),
            )
        )
        return frozenset(rows)

    async def lesson_attendance(self, lesson_id: int) -> Mapping[int, str]:
        """Pupil id → code for the lesson's non-present marks."""
        rows = await self._s.execute(
            select(t.Attendance.pupil_id, t.Attendance.code).where(
                t.Attendance.lesson_id == lesson_id
            )
        )
        return dict(rows.all())

    async def set_attendance(
        self,
        *,
        lesson: LessonRecord,
        pupil_id: int,
        code: str | None,
        actor_id: int | None,
        now: datetime,
    ) -> int | None:
        """Store or clear a pupil's mark in a lesson."""
        if code is None:
            await self._s.execute(
                delete(t.Attendance).where(
                    t.Attendance.lesson_id == lesson.id, t.Attendance.pupil_id == pupil_id
                )
            )
            return None
        row = await self._attendance_row(lesson.id, pupil_id)
        if row is None:
            row = t.Attendance(
                school_id=lesson.school_id,
                lesson_id=lesson.id,
                pupil_id=pupil_id,
                on_date=lesson.on_date,
                justification="pending",
                recorded_at=now,
            )
            self._s.add(row)
        row.code = code
        row.recorded_by = actor_id
        row.updated_at = now
        await self._s.flush()
        return row.id

    async def mark_attendance_taken(self, lesson_id: int, now: datetime) -> None:
        """Record that the lesson's attendance was taken."""
        await self._s.execute(
            update(t.Lesson).where(t.Lesson.id == lesson_id).values(attendance_taken_at=now)
        )

    async def pupil_attendance(
        self, pupil_id: int, start: date, end: date, group_ids: frozenset[int] | None
    ) -> Sequence[AttendanceRow]:
        """A pupil's non-present marks in a date range."""
        stmt = (
            select(
                t.Attendance.id,
                t.Attendance.lesson_id,
                t.Lesson.group_id,
                t.TeachingGroup.name,
                t.Subject.name,
                t.Attendance.on_date,
                t.Lesson.period,
                t.Attendance.code,
                t.Attendance.justification,
            )
            .join(t.Lesson, t.Lesson.id == t.Attendance.lesson_id)
            .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
            .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
            .where(
                t.Attendance.pupil_id == pupil_id,
                t.Attendance.on_date >= start,
                t.Attendance.on_date <= end,
            )
            .order_by(t.Attendance.on_date, t.Lesson.period)
        )
        if group_ids is not None:
            stmt = stmt.where(t.Lesson.group_id.in_(group_ids))
        rows = await self._s.execute(stmt)
        return [
            AttendanceRow(
                attendance_id=aid,
                lesson_id=lesson_id,
                pupil_id=pupil_id,
                group_id=group_id,
                subject_name=subject or group_name,
                on_date=on,
                period=period,
                code=code,
                justification=justification,
            )
            for (
                aid,
                lesson_id,
                group_id,
                group_name,
                subject,
                on,
                period,
                code,
                justification,
            ) in rows
        ]

    async def assessment(self, assessment_id: int) -> AssessmentRecord | None:
        """An assessment by id."""
        row = await self._s.get(t.Assessment, assessment_id)
        return assessment_record(row) if row else None

    async def add_assessment(
        self,
        *,
        school_id: int,
        group_id: int,
        on: date,
        title: str,
        kind: str,
        scale: str,
        actor_id: int | None,
        now: datetime,
    ) -> AssessmentRecord:
        """Create an assessment."""
        row = t.Assessment(
            school_id=school_id,
            group_id=group_id,
            on_date=on,
            title=title,
            kind=kind,
            scale=scale,
            created_by=actor_id,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return assessment_record(row)

    async def mark(self, assessment_id: int, pupil_id: int) -> MarkRecord | None:
        """A pupil's current mark in an assessment."""
        row = await self._mark_row(assessment_id, pupil_id)
        return mark_record(row) if row else None

    async def save_mark(
        self,
        *,
        assessment: AssessmentRecord,
        pupil_id: int,
        value: MarkValue,
        comment: str | None,
        actor_id: int | None,
        now: datetime,
    ) -> MarkRecord:
        """Record or correct a mark, appending a revision."""
        row = await self._mark_row(assessment.id, pupil_id)
        if row is None:
            row = t.Mark(
                school_id=assessment.school_id,
                assessment_id=assessment.id,
                pupil_id=pupil_id,
                on_date=assessment.on_date,
                revision=1,
            )
            self._s.add(row)
        else:
            row.revision += 1
        row.status = value.status.value
        row.value = value.value
        row.comment = comment
        row.recorded_by = actor_id
        row.recorded_at = now
        await self._s.flush()
        self._s.add(
            t.MarkRevision(
                mark_id=row.id,
                revision=row.revision,
                status=row.status,
                value=row.value,
                comment=comment,
                changed_by=actor_id,
                changed_at=now,
            )
        )
        await self._s.flush()
        return mark_record(row)

    async def pupil_marks(
        self, pupil_id: int, start: date, end: date, group_ids: frozenset[int] | None
    ) -> Sequence[MarkRow]:
        """A pupil's marks in a date range, oldest first.

        Columns, not ORM rows: a pupil's semester is a few hundred marks, read on every view.
        """
        stmt = (
            select(
                t.Mark.id,
                t.Mark.on_date,
                t.Mark.status,
                t.Mark.value,
                t.Mark.comment,
                t.Mark.revision,
                t.Assessment.group_id,
                t.Assessment.title,
                t.Assessment.kind,
                t.Assessment.scale,
                t.TeachingGroup.name,
                t.Subject.name,
            )
            .join(t.Assessment, t.Assessment.id == t.Mark.assessment_id)
            .join(t.TeachingGroup, t.TeachingGroup.id == t.Assessment.group_id)
            .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
            .where(t.Mark.pupil_id == pupil_id, t.Mark.on_date >= start, t.Mark.on_date <= end)
            .order_by(t.Mark.on_date, t.Mark.id)
        )
        if group_ids is not None:
            stmt = stmt.where(t.Assessment.group_id.in_(group_ids))
        rows = await self._s.execute(stmt)
        return [
            MarkRow(
                mark_id,
                pupil_id,
                group_id,
                subject or group_name,
                title,
                kind,
                scale,
                on_date,
                status,
                value,
                comment,
                revision,
            )
            for (
                mark_id,
                on_date,
                status,
                value,
                comment,
                revision,
                group_id,
                title,
                kind,
                scale,
                group_name,
                subject,
            ) in rows
        ]

    async def mark_history(self, mark_id: int) -> Sequence[MarkRecord]:
        """Every revision of a mark, oldest first."""
        mark = await self._s.get(t.Mark, mark_id)
        if mark is None:
            return []
        rows = await self._s.scalars(
            select(t.MarkRevision)
            .where(t.MarkRevision.mark_id == mark_id)
            .order_by(t.MarkRevision.revision)
        )
        return [
            MarkRecord(
                mark.id,
                mark.assessment_id,
                mark.pupil_id,
                mark.on_date,
                r.status,
                r.value,
                r.comment,
                r.revision,
            )
            for r in rows
        ]

    async def teacher_groups_of_pupil(self, pupil_id: int, teacher_id: int) -> Sequence[int]:
        """Groups the pupil belongs to that the teacher teaches."""
        rows = await self._s.scalars(
            select(t.GroupMember.group_id)
            .join(t.GroupTeacher, t.GroupTeacher.group_id == t.GroupMember.group_id)
            .where(t.GroupMember.pupil_id == pupil_id, t.GroupTeacher.teacher_id == teacher_id)
            .distinct()
        )
        return list(rows)

    async def group_assessments(
        self, group_id: int, *, on: date | None, limit: int
    ) -> Sequence[AssessmentRecord]:
        """A group's assessments (of one day, or any), newest first."""
        stmt = select(t.Assessment).where(t.Assessment.group_id == group_id)
        if on is not None:
            stmt = stmt.where(t.Assessment.on_date == on)
        rows = await self._s.scalars(
            stmt.order_by(t.Assessment.on_date.desc(), t.Assessment.id.desc()).limit(limit)
        )
        return [assessment_record(row) for row in rows]

    async def assessment_marks(self, assessment_id: int) -> Sequence[MarkRecord]:
        """The current marks of an assessment."""
        rows = await self._s.scalars(
            select(t.Mark).where(t.Mark.assessment_id == assessment_id).order_by(t.Mark.id)
        )
        return [mark_record(row) for row in rows]

    async def marked_counts(self, assessment_ids: Collection[int]) -> Mapping[int, int]:
        """Assessment id → pupils with a mark or "nv" in it."""
        if not assessment_ids:
            return {}
        rows = await self._s.execute(
            select(t.Mark.assessment_id, func.count())
            .where(t.Mark.assessment_id.in_(assessment_ids))
            .group_by(t.Mark.assessment_id)
        )
        return {assessment_id: int(count) for assessment_id, count in rows.all()}
