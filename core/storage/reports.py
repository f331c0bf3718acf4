"""SQL for period marks, report cards and teacher reports: reads of a group, a class, a year.

Implements ``core.ports.ReportsRepository``. Never commits; the unit of work does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.domain.records import (
    AssessmentRecord,
    ClassRecord,
    GroupRecord,
    PersonRecord,
    SchoolYearRecord,
)
from core.ports import (
    AbsenceMarkRow,
    ClassMarkCount,
    GroupLessonRow,
    GroupMarkRow,
    PeriodMarkRecord,
    PupilGroupRow,
)
from core.storage import tables as t
from core.storage.directory import person_record
from core.storage.journal import assessment_record, lesson_record


def period_mark_record(row: t.PeriodMark) -> PeriodMarkRecord:
    """ORM row → record."""
    return PeriodMarkRecord(
        id=row.id,
        school_id=row.school_id,
        group_id=row.group_id,
        pupil_id=row.pupil_id,
        kind=row.kind,
        term_id=row.term_id,
        scale=row.scale,
        proposed_value=row.proposed_value,
        value=row.value,
        status=row.status,
        confirmed_by=row.confirmed_by,
        confirmed_at=row.confirmed_at,
    )


def _class_record(row: t.ClassGroup) -> ClassRecord:
    return ClassRecord(
        row.id, row.school_id, row.school_year_id, row.name, row.grade, row.class_teacher_id
    )


def _overlaps(
    starts_on: InstrumentedAttribute[date],
    ends_on: InstrumentedAttribute[date | None],
    start: date,
    end: date,
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Conditions: a membership or enrolment from ``starts_on`` to ``ends_on`` meets the range."""
    return starts_on <= end, or_(ends_on.is_(None), ends_on >= start)


class SqlReports:
    """Implements core.ports.ReportsRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def school_year(self, school_year_id: int) -> SchoolYearRecord | None:
        """A school year by id."""
        row = await self._s.get(t.SchoolYear, school_year_id)
        if row is None:
            return None
        return SchoolYearRecord(row.id, row.school_id, row.name, row.starts_on, row.ends_on)

    # ------------------------------------------------------------------ period marks

    @staticmethod
    def _period_query(group_id: int, kind: str, term_id: int | None) -> Select[t.PeriodMark]:
        pm = t.PeriodMark
        query = select(pm).where(pm.group_id == group_id, pm.kind == kind)
        # NULL never equals NULL in SQL (nor in the unique constraint): a year mark is looked
        # up with IS NULL, and the service keeps it one per pupil.
        if term_id is None:
            return query.where(pm.term_id.is_(None))
        return query.where(pm.term_id == term_id)

    async def period_marks(
        self, group_id: int, kind: str, term_id: int | None
    ) -> Sequence[PeriodMarkRecord]:
        """A group's period marks of one kind (and semester), one per pupil."""
        rows = await self._s.scalars(
            self._period_query(group_id, kind, term_id).order_by(t.PeriodMark.id)
        )
        return [period_mark_record(row) for row in rows]

    async def save_period_mark(
        self,
        *,
        school_id: int,
        group_id: int,
        pupil_id: int,
        kind: str,
        term_id: int | None,
        scale: str,
        proposed_value: str | None,
        value: str,
        actor_id: int | None,
        now: datetime,
    ) -> PeriodMarkRecord:
        """Confirm a pupil's period mark (created, or the stored one overwritten)."""
        row = await self._s.scalar(
            self._period_query(group_id, kind, term_id).where(t.PeriodMark.pupil_id == pupil_id)
        )
        if row is None:
            row = t.PeriodMark(
                school_id=school_id,
                group_id=group_id,
                pupil_id=pupil_id,
                kind=kind,
                term_id=term_id,
            )
            self._s.add(row)
        row.scale = scale
        row.proposed_value = proposed_value
        row.value = value
        row.status = "confirmed"
        row.confirmed_by = actor_id
        row.confirmed_at = now
        await self._s.flush()
        return period_mark_record(row)

    async def pupil_period_marks(
        self, pupil_id: int, school_year_id: int
    ) -> Sequence[PeriodMarkRecord]:
        """A pupil's period marks in the groups of a school year (any status)."""
        pm, g = t.PeriodMark, t.TeachingGroup
        rows = await self._s.scalars(
            select(pm)
            .join(g, g.id == pm.group_id)
            .where(pm.pupil_id == pupil_id, g.school_year_id == school_year_id)
            .order_by(pm.id)
        )
        return [period_mark_record(row) for row in rows]

    # ------------------------------------------------------------------ a group's journal

    async def group_marks(self, group_id: int, start: date, end: date) -> Sequence[GroupMarkRow]:
        """The current marks of a group's assessments dated between two days, oldest first."""
        a, m = t.Assessment, t.Mark
        rows = await self._s.execute(
            select(a.id, m.pupil_id, a.kind, a.scale, a.on_date, m.status, m.value)
            .join(m, m.assessment_id == a.id)
            .where(a.group_id == group_id, a.on_date >= start, a.on_date <= end)
            .order_by(a.on_date, a.id, m.pupil_id)
        )
        return [
            GroupMarkRow(
                assessment_id=int(row.id),
                pupil_id=int(row.pupil_id),
                kind=row.kind,
                scale=row.scale,
                on_date=row.on_date,
                status=row.status,
                value=row.value,
            )
            for row in rows
        ]

    async def group_assessments_between(
        self, group_id: int, start: date, end: date
    ) -> Sequence[AssessmentRecord]:
        """A group's assessments dated between two days, oldest first."""
        a = t.Assessment
        rows = await self._s.scalars(
            select(a)
            .where(a.group_id == group_id, a.on_date >= start, a.on_date <= end)
            .order_by(a.on_date, a.id)
        )
        return [assessment_record(row) for row in rows]

    async def group_lessons(
        self, group_id: int, start: date, end: date
    ) -> Sequence[GroupLessonRow]:
        """A group's lessons held between two days, by date and period."""
        lesson, p = t.Lesson, t.Person
        rows = await self._s.execute(
            select(lesson, p.given_name, p.family_name)
            .outerjoin(p, p.id == lesson.teacher_id)
            .where(lesson.group_id == group_id, lesson.on_date >= start, lesson.on_date <= end)
            .order_by(lesson.on_date, lesson.period)
        )
        return [
            GroupLessonRow(lesson_record(row), f"{given} {family}" if given is not None else None)
            for row, given, family in rows
        ]

    async def members_between(self, group_id: int, start: date, end: date) -> frozenset[int]:
        """Pupils who were in a group at some time between two days."""
        gm = t.GroupMember
        rows = await self._s.scalars(
            select(gm.pupil_id).where(
                gm.group_id == group_id, *_overlaps(gm.starts_on, gm.ends_on, start, end)
            )
        )
        return frozenset(rows)

    async def group_absences(
        self, group_id: int, start: date, end: date
    ) -> Sequence[AbsenceMarkRow]:
        """The non-present marks in a group's lessons between two days."""
        return await self._absences([t.Lesson.group_id == group_id], start=start, end=end)

    async def pupils_absences(
        self, pupil_ids: Collection[int], start: date, end: date
    ) -> Sequence[AbsenceMarkRow]:
        """The non-present marks of these pupils in any lesson between two days."""
        if not pupil_ids:
            return []
        return await self._absences(
            [t.Attendance.pupil_id.in_(sorted(set(pupil_ids)))], start=start, end=end
        )

    async def _absences(
        self, where: Sequence[ColumnElement[bool]], *, start: date, end: date
    ) -> Sequence[AbsenceMarkRow]:
        att, lesson = t.Attendance, t.Lesson
        rows = await self._s.execute(
            select(
                att.lesson_id,
                lesson.group_id,
                att.pupil_id,
                att.on_date,
                lesson.period,
                att.code,
                att.justification,
            )
            .join(lesson, lesson.id == att.lesson_id)
            .where(att.on_date >= start, att.on_date <= end, *where)
            .order_by(att.on_date, lesson.period, att.pupil_id)
        )
        return [
            AbsenceMarkRow(
                lesson_id=int(row.lesson_id),
                group_id=int(row.group_id),
                pupil_id=int(row.pupil_id),
                on_date=row.on_date,
                period=int(row.period),
                code=row.code,
                justification=row.justification,
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ report cards

    async def pupil_groups(
        self, pupil_id: int, school_year_id: int, start: date, end: date
    ) -> Sequence[PupilGroupRow]:
        """The year's groups the pupil was a member of at some time between two days."""
        g, gm, s = t.TeachingGroup, t.GroupMember, t.Subject
        rows = await self._s.execute(
            select(g.id, g.name, g.kind, g.grade, g.scale, s.name, s.short_name)
            .join(gm, gm.group_id == g.id)
            .outerjoin(s, s.id == g.subject_id)
            .where(
                gm.pupil_id == pupil_id,
                g.school_year_id == school_year_id,
                *_overlaps(gm.starts_on, gm.ends_on, start, end),
            )
            .distinct()
            .order_by(g.id)
        )
        return [
            PupilGroupRow(
                group_id=int(group_id),
                name=name,
                kind=kind,
                grade=int(grade),
                scale=scale,
                subject_name=subject,
                subject_short=short,
            )
            for group_id, name, kind, grade, scale, subject, short in rows
        ]

    async def lesson_counts(
        self, group_ids: Collection[int], start: date, end: date
    ) -> Mapping[int, int]:
        """Group id → lessons held between two days (absent when none)."""
        if not group_ids:
            return {}
        lesson = t.Lesson
        rows = await self._s.execute(
            select(lesson.group_id, func.count())
            .where(
                lesson.group_id.in_(sorted(set(group_ids))),
                lesson.on_date >= start,
                lesson.on_date <= end,
            )
            .group_by(lesson.group_id)
        )
        return {int(group_id): int(count) for group_id, count in rows}

    async def class_pupils(self, class_id: int, start: date, end: date) -> Sequence[PersonRecord]:
        """Pupils enrolled in a class at some time between two days."""
        e, p = t.Enrolment, t.Person
        rows = await self._s.scalars(
            select(p)
            .join(e, e.pupil_id == p.id)
            .where(e.class_id == class_id, *_overlaps(e.starts_on, e.ends_on, start, end))
            .distinct()
            .order_by(p.id)
        )
        return [person_record(row) for row in rows]

    async def pupil_class(self, pupil_id: int, school_year_id: int) -> ClassRecord | None:
        """The pupil's class in a school year (the latest enrolment)."""
        c, e = t.ClassGroup, t.Enrolment
        row = await self._s.scalar(
            select(c)
            .join(e, e.class_id == c.id)
            .where(e.pupil_id == pupil_id, c.school_year_id == school_year_id)
            .order_by(e.starts_on.desc(), e.id.desc())
            .limit(1)
        )
        return _class_record(row) if row is not None else None

    async def class_groups(self, class_id: int) -> Sequence[GroupRecord]:
        """The teaching groups that draw pupils from a class."""
        g, gc, s = t.TeachingGroup, t.GroupClass, t.Subject
        rows = await self._s.execute(
            select(g, s.short_name)
            .join(gc, gc.group_id == g.id)
            .outerjoin(s, s.id == g.subject_id)
            .where(gc.class_id == class_id)
            .order_by(g.name, g.id)
        )
        return [
            GroupRecord(
                row.id,
                row.school_id,
                row.school_year_id,
                row.subject_id,
                short,
                row.name,
                row.kind,
                row.grade,
                row.scale,
            )
            for row, short in rows
        ]

    # ------------------------------------------------------------------ statistics

    async def mark_counts(
        self, school_year_id: int, start: date, end: date, class_id: int | None
    ) -> Sequence[ClassMarkCount]:
        """Marks dated between two days counted per pupil's class, subject, scale, kind, value.

        A mark belongs to the class the pupil was enrolled in on the mark's date.
        """
        m, a, g, s, e, c = (
            t.Mark,
            t.Assessment,
            t.TeachingGroup,
            t.Subject,
            t.Enrolment,
            t.ClassGroup,
        )
        subject = func.coalesce(s.name, g.name)
        query = (
            select(
                c.id,
                c.name,
                c.grade,
                subject,
                a.scale,
                a.kind,
                m.status,
                m.value,
                func.count(),
            )
            .join(a, a.id == m.assessment_id)
            .join(g, g.id == a.group_id)
            .outerjoin(s, s.id == g.subject_id)
            .join(e, e.pupil_id == m.pupil_id)
            .join(c, c.id == e.class_id)
            .where(
                g.school_year_id == school_year_id,
                c.school_year_id == school_year_id,
                g.kind != "interest",
                m.on_date >= start,
                m.on_date <= end,
                e.starts_on <= m.on_date,
                or_(e.ends_on.is_(None), e.ends_on >= m.on_date),
            )
            .group_by(c.id, c.name, c.grade, subject, a.scale, a.kind, m.status, m.value)
        )
        if class_id is not None:
            query = query.where(c.id == class_id)
        rows = await self._s.execute(query)
        return [
            ClassMarkCount(
                class_id=int(cid),
                class_name=cname,
                grade=int(grade),
                subject=subj,
                scale=scale,
                kind=kind,
                status=status,
                value=value,
                count=int(count),
            )
            for cid, cname, grade, subj, scale, kind, status, value, count in rows
        ]

    # ------------------------------------------------------------------ people and files

    async def staff_with_role(self, school_id: int, role: str) -> Sequence[PersonRecord]:
        """Active people holding an active staff role in a school, by family name."""
        r, p = t.StaffRole, t.Person
        rows = await self._s.scalars(
            select(p)
            .join(r, r.person_id == p.id)
            .where(
                r.school_id == school_id,
                r.role == role,
                r.is_active.is_(True),
                p.is_active.is_(True),
            )
            .order_by(p.family_name, p.given_name, p.id)
        )
        return [person_record(row) for row in rows]
