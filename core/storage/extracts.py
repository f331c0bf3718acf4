"""SQL reads behind progress extracts: a school's pupils, groups, marks and absences in bulk.

Each method is one query for any number of pupils (the whole school when ``pupil_ids`` is None),
so the monthly push and the benchmark read a school in a handful of statements. Never commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.domain.records import AttendanceRow, MarkRow
from core.ports import ExtractGroup, ExtractPupil
from core.storage import tables as t


def _ids(ids: Collection[int] | None) -> list[int] | None:
    return None if ids is None else sorted(set(ids))


class SqlExtracts:
    """Implements core.ports.ExtractsRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def pupils(
        self,
        school_id: int,
        start: date,
        end: date,
        *,
        pupil_ids: Collection[int] | None = None,
        class_ids: Collection[int] | None = None,
        active_only: bool = True,
    ) -> Sequence[ExtractPupil]:
        """Pupils enrolled some time in the range, with their latest such enrolment's class."""
        e, c, p = t.Enrolment, t.ClassGroup, t.Person
        teacher = aliased(t.Person)
        stmt = (
            select(
                p.id,
                p.given_name,
                p.family_name,
                c.id.label("class_id"),
                c.name,
                c.grade,
                teacher.given_name.label("teacher_given"),
                teacher.family_name.label("teacher_family"),
            )
            .join(e, e.pupil_id == p.id)
            .join(c, c.id == e.class_id)
            .outerjoin(teacher, teacher.id == c.class_teacher_id)
            .where(e.school_id == school_id, e.starts_on <= end)
            .where(or_(e.ends_on.is_(None), e.ends_on >= start))
            .order_by(p.id, e.starts_on, e.id)
        )
        if (ids := _ids(pupil_ids)) is not None:
            stmt = stmt.where(p.id.in_(ids))
        if active_only:
            stmt = stmt.where(p.is_active.is_(True))
        latest: dict[int, Any] = {}
        for row in await self._s.execute(stmt):
            latest[int(row.id)] = row  # ordered by start: the last one wins
        found = [
            ExtractPupil(
                pupil_id=pupil_id,
                given_name=row.given_name,
                family_name=row.family_name,
                class_id=int(row.class_id),
                class_name=row.name,
                grade=int(row.grade),
                class_teacher=(
                    f"{row.teacher_given} {row.teacher_family}"
                    if row.teacher_given is not None
                    else None
                ),
            )
            for pupil_id, row in latest.items()
        ]
        if class_ids is not None:
            wanted = set(class_ids)
            found = [pupil for pupil in found if pupil.class_id in wanted]
        return found

    async def groups(
        self, school_id: int, start: date, end: date, pupil_ids: Collection[int] | None
    ) -> Sequence[ExtractGroup]:
        """Memberships overlapping the range, with the subject's name (else the group's)."""
        gm, g, s = t.GroupMember, t.TeachingGroup, t.Subject
        stmt = (
            select(gm.pupil_id, g.id, func.coalesce(s.name, g.name).label("subject"), g.kind)
            .join(g, g.id == gm.group_id)
            .outerjoin(s, s.id == g.subject_id)
            .where(g.school_id == school_id, gm.starts_on <= end)
            .where(or_(gm.ends_on.is_(None), gm.ends_on >= start))
            .order_by(gm.pupil_id, g.id)
        )
        if (ids := _ids(pupil_ids)) is not None:
            stmt = stmt.where(gm.pupil_id.in_(ids))
        rows = await self._s.execute(stmt)
        return [
            ExtractGroup(int(row.pupil_id), int(row.id), row.subject, row.kind) for row in rows
        ]

    async def marks(
        self, school_id: int, start: date, end: date, pupil_ids: Collection[int] | None
    ) -> Sequence[MarkRow]:
        """Current marks dated in the range, with their assessment, group and subject."""
        m, a, g, s = t.Mark, t.Assessment, t.TeachingGroup, t.Subject
        stmt = (
            select(
                m.id,
                m.pupil_id,
                a.group_id,
                func.coalesce(s.name, g.name).label("subject"),
                a.title,
                a.kind,
                a.scale,
                m.on_date,
                m.status,
                m.value,
                m.comment,
                m.revision,
            )
            .join(a, a.id == m.assessment_id)
            .join(g, g.id == a.group_id)
            .outerjoin(s, s.id == g.subject_id)
            .where(and_(m.school_id == school_id, m.on_date >= start, m.on_date <= end))
            .order_by(m.pupil_id, m.on_date, m.id)
        )
        if (ids := _ids(pupil_ids)) is not None:
            stmt = stmt.where(m.pupil_id.in_(ids))
        rows = await self._s.execute(stmt)
        return [
            MarkRow(
                mark_id=int(row.id),
                pupil_id=int(row.pupil_id),
                group_id=int(row.group_id),
                subject_name=row.subject,
                assessment_title=row.title,
                kind=row.kind,
                scale=row.scale,
                on_date=row.on_date,
                status=row.status,
                value=row.value,
                comment=row.comment,
                revision=int(row.revision),
            )
            for row in rows
        ]

    async def absences(
        self, school_id: int, start: date, end: date, pupil_ids: Collection[int] | None
    ) -> Sequence[AttendanceRow]:
        """Non-present marks in the range with their lesson's group and subject."""
        at, les, g, s = t.Attendance, t.Lesson, t.TeachingGroup, t.Subject
        stmt = (
            select(
                at.id,
                at.lesson_id,
                at.pupil_id,
                les.group_id,
                func.coalesce(s.name, g.name).label("subject"),
                at.on_date,
                les.period,
                at.code,
                at.justification,
            )
            .join(les, les.id == at.lesson_id)
            .join(g, g.id == les.group_id)
            .outerjoin(s, s.id == g.subject_id)
            .where(and_(at.school_id == school_id, at.on_date >= start, at.on_date <= end))
            .order_by(at.pupil_id, at.on_date, les.period, at.id)
        )
        if (ids := _ids(pupil_ids)) is not None:
            stmt = stmt.where(at.pupil_id.in_(ids))
        rows = await self._s.execute(stmt)
        return [
            AttendanceRow(
                attendance_id=int(row.id),
                lesson_id=int(row.lesson_id),
                pupil_id=int(row.pupil_id),
                group_id=int(row.group_id),
                subject_name=row.subject,
                on_date=row.on_date,
                period=int(row.period),
                code=row.code,
                justification=row.justification,
            )
            for row in rows
        ]

    async def reachable(self, person_ids: Collection[int]) -> frozenset[int]:
        """People with an active account (not unreachable, not unlinked)."""
        if not person_ids:
            return frozenset()
        rows = await self._s.scalars(
            select(t.Account.person_id)
            .where(t.Account.person_id.in_(sorted(set(person_ids))), t.Account.status == "active")
            .distinct()
        )
        return frozenset(int(person) for person in rows)
