"""SQL reads of the audit log for a pupil's change history. Never writes, never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.ports import AuditChange
from core.storage import tables as t


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqlHistory:
    """Implements core.ports.HistoryRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def pupil_entries(
        self, pupil_id: int, actions: Collection[str], since: datetime
    ) -> Sequence[AuditChange]:
        """Entries about the pupil with these actions since an instant, newest first."""
        if not actions:
            return []
        au = t.AuditEntry
        query = _joined().where(
            au.subject_person_id == pupil_id,
            au.action.in_(sorted(actions)),
            au.occurred_at >= _utc(since),
        )
        rows = await self._s.execute(query.order_by(au.occurred_at.desc(), au.id.desc()))
        return [_change(row) for row in rows]

    async def group_lesson_entries(
        self, pupil_id: int, action: str, since: datetime
    ) -> Sequence[AuditChange]:
        """Entries of an action on lessons of groups the pupil was in on the lesson's day."""
        au, gm = t.AuditEntry, t.GroupMember
        lesson = aliased(t.Lesson, name="direct_lesson")
        member = exists().where(
            gm.group_id == lesson.group_id,
            gm.pupil_id == pupil_id,
            gm.starts_on <= lesson.on_date,
            or_(gm.ends_on.is_(None), gm.ends_on >= lesson.on_date),
        )
        query = _joined(lesson).where(
            au.entity == "lesson",
            au.action == action,
            au.occurred_at >= _utc(since),
            member,
        )
        rows = await self._s.execute(query.order_by(au.occurred_at.desc(), au.id.desc()))
        return [_change(row) for row in rows]


def _joined(lesson: Any = None) -> Select[Any]:
    """Audit entries with their actor and what they were about (a mark, lesson, absence, note)."""
    au = t.AuditEntry
    actor = aliased(t.Person, name="actor")
    mark, test = t.Mark, t.Assessment
    lesson = lesson if lesson is not None else aliased(t.Lesson, name="direct_lesson")
    attendance = t.Attendance
    absence_lesson = aliased(t.Lesson, name="absence_lesson")
    note = t.AbsenceNote
    group, subject = t.TeachingGroup, t.Subject
    group_id = func.coalesce(test.group_id, lesson.group_id, absence_lesson.group_id)
    return (
        select(
            au.id,
            au.occurred_at,
            au.action,
            au.actor_id,
            au.actor_role,
            au.before,
            au.after,
            actor.given_name.label("actor_given"),
            actor.family_name.label("actor_family"),
            group_id.label("group_id"),
            func.coalesce(subject.name, group.name).label("subject"),
            func.coalesce(test.on_date, lesson.on_date, absence_lesson.on_date).label("on_date"),
            func.coalesce(lesson.period, absence_lesson.period).label("period"),
            test.title,
            test.scale,
            note.starts_on,
            note.ends_on,
        )
        .outerjoin(actor, actor.id == au.actor_id)
        .outerjoin(mark, and_(au.entity == "mark", mark.id == au.entity_id))
        .outerjoin(test, test.id == mark.assessment_id)
        .outerjoin(lesson, and_(au.entity == "lesson", lesson.id == au.entity_id))
        .outerjoin(attendance, and_(au.entity == "attendance", attendance.id == au.entity_id))
        .outerjoin(absence_lesson, absence_lesson.id == attendance.lesson_id)
        .outerjoin(note, and_(au.entity == "absence_note", note.id == au.entity_id))
        .outerjoin(group, group.id == group_id)
        .outerjoin(subject, subject.id == group.subject_id)
    )


def _change(row: Row[Any]) -> AuditChange:
    return AuditChange(
        entry_id=int(row.id),
        occurred_at=_utc(row.occurred_at),
        action=row.action,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        actor_given_name=row.actor_given,
        actor_family_name=row.actor_family,
        group_id=None if row.group_id is None else int(row.group_id),
        subject=row.subject,
        on_date=row.on_date,
        period=None if row.period is None else int(row.period),
        title=row.title,
        scale=row.scale,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        before=dict(row.before) if row.before is not None else None,
        after=dict(row.after) if row.after is not None else None,
    )
