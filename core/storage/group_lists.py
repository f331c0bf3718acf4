"""SQL behind the teachers' group lists (rule 3.4) and group memberships. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.collation import latvian_key
from core.domain.group_lists import (
    LIST_KINDS,
    ClassRef,
    GroupListRecord,
    ListGroupInfo,
    Membership,
    MembershipPlan,
    SubmissionStatus,
)
from core.storage import tables as t


def submission_record(row: t.GroupListSubmission) -> GroupListRecord:
    """ORM row → record."""
    return GroupListRecord(
        id=row.id,
        school_id=row.school_id,
        group_id=row.group_id,
        submitted_by=row.submitted_by,
        pupil_ids=tuple(int(pupil_id) for pupil_id in row.pupil_ids),
        status=SubmissionStatus(row.status),
        note=row.note,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
    )


class SqlGroupLists:
    """Implements core.ports.GroupListsRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def list_group(self, group_id: int) -> ListGroupInfo | None:
        """A teaching group with its subject and the classes it draws from (by class name)."""
        infos = await self._infos([group_id])
        return infos[0] if infos else None

    async def teacher_list_groups(
        self, teacher_id: int, school_year_ids: Collection[int]
    ) -> Sequence[ListGroupInfo]:
        """Part, combined and club groups of these school years that the person teaches."""
        if not school_year_ids:
            return []
        ids = await self._s.scalars(
            select(t.TeachingGroup.id)
            .join(t.GroupTeacher, t.GroupTeacher.group_id == t.TeachingGroup.id)
            .where(
                t.GroupTeacher.teacher_id == teacher_id,
                t.TeachingGroup.school_year_id.in_(sorted(school_year_ids)),
                t.TeachingGroup.kind.in_(sorted(LIST_KINDS)),
            )
            .order_by(t.TeachingGroup.id)
        )
        return await self._infos(list(ids))

    async def _infos(self, group_ids: list[int]) -> list[ListGroupInfo]:
        if not group_ids:
            return []
        rows = await self._s.execute(
            select(t.TeachingGroup, t.Subject.name)
            .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
            .where(t.TeachingGroup.id.in_(group_ids))
            .order_by(t.TeachingGroup.id)
        )
        classes: dict[int, list[ClassRef]] = defaultdict(list)
        for group_id, class_id, name in await self._s.execute(
            select(t.GroupClass.group_id, t.ClassGroup.id, t.ClassGroup.name)
            .join(t.ClassGroup, t.ClassGroup.id == t.GroupClass.class_id)
            .where(t.GroupClass.group_id.in_(group_ids))
        ):
            classes[group_id].append(ClassRef(class_id, name))
        return [
            ListGroupInfo(
                id=group.id,
                school_id=group.school_id,
                school_year_id=group.school_year_id,
                name=group.name,
                kind=group.kind,
                subject_name=subject,
                classes=tuple(
                    sorted(classes.get(group.id, ()), key=lambda c: (latvian_key(c.name), c.id))
                ),
            )
            for group, subject in rows
        ]

    async def memberships(self, group_id: int) -> Sequence[Membership]:
        """Every stored membership row of a group (ended ones too)."""
        rows = await self._s.scalars(
            select(t.GroupMember)
            .where(t.GroupMember.group_id == group_id)
            .order_by(t.GroupMember.pupil_id)
        )
        return [Membership(r.pupil_id, r.starts_on, r.ends_on) for r in rows]

    async def apply_plan(self, group_id: int, plan: MembershipPlan) -> None:
        """Change a group's membership rows as the plan says."""
        member = t.GroupMember
        of_group = member.group_id == group_id
        if plan.drop:
            await self._s.execute(
                delete(member).where(of_group, member.pupil_id.in_(sorted(plan.drop)))
            )
        if plan.end:
            await self._s.execute(
                update(member)
                .where(of_group, member.pupil_id.in_(sorted(plan.end)))
                .values(ends_on=plan.yesterday)
            )
        if plan.reopen:
            await self._s.execute(
                update(member)
                .where(of_group, member.pupil_id.in_(sorted(plan.reopen)))
                .values(ends_on=None)
            )
        if plan.restart:
            await self._s.execute(
                update(member)
                .where(of_group, member.pupil_id.in_(sorted(plan.restart)))
                .values(starts_on=plan.today, ends_on=None)
            )
        for pupil_id in sorted(plan.add):
            self._s.add(member(group_id=group_id, pupil_id=pupil_id, starts_on=plan.today))
        await self._s.flush()

    async def add(
        self,
        *,
        school_id: int,
        group_id: int,
        submitted_by: int | None,
        pupil_ids: Sequence[int],
        note: str | None,
        now: datetime,
    ) -> GroupListRecord:
        """Store a new pending submission."""
        row = t.GroupListSubmission(
            school_id=school_id,
            group_id=group_id,
            submitted_by=submitted_by,
            pupil_ids=list(pupil_ids),
            status=SubmissionStatus.PENDING.value,
            note=note,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return submission_record(row)

    async def submission(self, submission_id: int) -> GroupListRecord | None:
        """A submission by id."""
        row = await self._s.get(t.GroupListSubmission, submission_id)
        return submission_record(row) if row else None

    async def pending(
        self, *, school_id: int | None = None, group_id: int | None = None
    ) -> Sequence[GroupListRecord]:
        """Pending submissions of a school or of a group, oldest first."""
        query = select(t.GroupListSubmission).where(
            t.GroupListSubmission.status == SubmissionStatus.PENDING.value
        )
        if school_id is not None:
            query = query.where(t.GroupListSubmission.school_id == school_id)
        if group_id is not None:
            query = query.where(t.GroupListSubmission.group_id == group_id)
        rows = await self._s.scalars(
            query.order_by(t.GroupListSubmission.created_at, t.GroupListSubmission.id)
        )
        return [submission_record(r) for r in rows]

    async def latest(self, group_ids: Collection[int]) -> Mapping[int, GroupListRecord]:
        """The newest submission of each of these groups that has one."""
        if not group_ids:
            return {}
        rows = await self._s.scalars(
            select(t.GroupListSubmission)
            .where(t.GroupListSubmission.group_id.in_(sorted(group_ids)))
            .order_by(t.GroupListSubmission.created_at, t.GroupListSubmission.id)
        )
        return {row.group_id: submission_record(row) for row in rows}

    async def set_status(
        self,
        submission_ids: Collection[int],
        status: SubmissionStatus,
        *,
        decided_by: int | None = None,
        decided_at: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        """Record a decision (or that newer lists superseded these)."""
        if not submission_ids:
            return
        await self._s.execute(
            update(t.GroupListSubmission)
            .where(t.GroupListSubmission.id.in_(sorted(submission_ids)))
            .values(
                status=status.value, decided_by=decided_by, decided_at=decided_at, reason=reason
            )
        )
