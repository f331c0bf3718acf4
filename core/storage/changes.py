"""SQL behind the daily timetable changes. Never commits.

Change rows, and the timetable rows, groups, people and group pupils the changes name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.domain.access import TEACHING_ROLES
from core.domain.records import PersonRecord
from core.ports import ChangeRecord, GroupDetails, SlotRow
from core.storage import tables as t
from core.storage.directory import person_record
from core.storage.invites import utc


def change_record(row: t.TimetableChange) -> ChangeRecord:
    """ORM row → record."""
    return ChangeRecord(
        id=row.id,
        school_id=row.school_id,
        on=row.on_date,
        kind=row.kind,
        status=row.status,
        slot_id=row.slot_id,
        group_id=row.group_id,
        period=row.period,
        teacher_id=row.teacher_id,
        room=row.room,
        new_date=row.new_date,
        new_period=row.new_period,
        note=row.note,
        created_by=row.created_by,
        published_at=utc(row.published_at) if row.published_at else None,
    )


class SqlChanges:
    """Implements core.ports.ChangesRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def slot_rows(
        self,
        *,
        term_id: int | None = None,
        weekdays: Collection[int] | None = None,
        group_ids: Collection[int] | None = None,
        teacher_id: int | None = None,
        lessons_of: Collection[int] | None = None,
    ) -> Sequence[SlotRow]:
        """Timetable rows matching every filter given, by id."""
        slot = t.TimetableSlot
        query = (
            select(slot, t.Person.given_name, t.Person.family_name)
            .outerjoin(t.Person, t.Person.id == slot.teacher_id)
            .order_by(slot.id)
        )
        if term_id is not None:
            query = query.where(slot.term_id == term_id)
        if weekdays is not None:
            query = query.where(slot.weekday.in_(sorted(weekdays)))
        if group_ids is not None:
            query = query.where(slot.group_id.in_(sorted(group_ids)))
        if teacher_id is not None:
            own = aliased(t.TimetableSlot)
            query = query.where(
                slot.group_id.in_(
                    select(own.group_id).where(
                        own.teacher_id == teacher_id,
                        own.term_id == slot.term_id,
                    )
                )
            )
        if lessons_of is not None:
            named = aliased(t.TimetableSlot)
            query = query.where(
                exists().where(
                    named.id.in_(sorted(lessons_of)),
                    named.term_id == slot.term_id,
                    named.weekday == slot.weekday,
                    named.period == slot.period,
                    named.group_id == slot.group_id,
                    or_(
                        and_(named.week.is_(None), slot.week.is_(None)),
                        named.week == slot.week,
                    ),
                )
            )
        return [
            SlotRow(
                id=row.id,
                term_id=row.term_id,
                weekday=row.weekday,
                period=row.period,
                week=row.week,
                group_id=row.group_id,
                teacher_id=row.teacher_id,
                teacher_name=f"{given} {family}" if row.teacher_id is not None else None,
                room=row.room,
            )
            for row, given, family in await self._s.execute(query)
        ]

    async def group_details(
        self, *, group_ids: Collection[int] | None = None, school_year_id: int | None = None
    ) -> Sequence[GroupDetails]:
        """Teaching groups by id or of a school year, with subject, classes and teachers."""
        query = (
            select(t.TeachingGroup, t.Subject.name)
            .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
            .order_by(t.TeachingGroup.id)
        )
        if group_ids is not None:
            if not group_ids:
                return []
            query = query.where(t.TeachingGroup.id.in_(sorted(group_ids)))
        if school_year_id is not None:
            query = query.where(t.TeachingGroup.school_year_id == school_year_id)
        groups = list(await self._s.execute(query))
        ids = [group.id for group, _ in groups]
        classes: dict[int, list[tuple[str, int]]] = defaultdict(list)
        teachers: dict[int, list[int]] = defaultdict(list)
        if ids:
            for group_id, class_id, name in await self._s.execute(
                select(t.GroupClass.group_id, t.ClassGroup.id, t.ClassGroup.name)
                .join(t.ClassGroup, t.ClassGroup.id == t.GroupClass.class_id)
                .where(t.GroupClass.group_id.in_(ids))
            ):
                classes[group_id].append((name, class_id))
            for group_id, teacher_id in await self._s.execute(
                select(t.GroupTeacher.group_id, t.GroupTeacher.teacher_id)
                .where(t.GroupTeacher.group_id.in_(ids))
                .order_by(t.GroupTeacher.id)
            ):
                teachers[group_id].append(teacher_id)
        details = []
        for group, subject_name in groups:
            named = sorted(classes.get(group.id, ()))
            details.append(
                GroupDetails(
                    id=group.id,
                    school_id=group.school_id,
                    school_year_id=group.school_year_id,
                    name=group.name,
                    kind=group.kind,
                    grade=group.grade,
                    subject_id=group.subject_id,
                    subject_name=subject_name,
                    class_ids=tuple(class_id for _, class_id in named),
                    class_names=tuple(name for name, _ in named),
                    teacher_ids=tuple(teachers.get(group.id, ())),
                )
            )
        return details

    async def teaching_staff(self, school_id: int, school_year_id: int) -> Sequence[PersonRecord]:
        """Active staff who teach: a teaching role, or a group of the year and any staff role."""
        active_role = and_(t.StaffRole.school_id == school_id, t.StaffRole.is_active.is_(True))
        teaching = select(t.StaffRole.person_id).where(
            active_role, t.StaffRole.role.in_(sorted(TEACHING_ROLES))
        )
        teaches_group = (
            select(t.GroupTeacher.teacher_id)
            .join(t.TeachingGroup, t.TeachingGroup.id == t.GroupTeacher.group_id)
            .join(
                t.StaffRole,
                and_(t.StaffRole.person_id == t.GroupTeacher.teacher_id, active_role),
            )
            .where(t.TeachingGroup.school_year_id == school_year_id)
        )
        rows = await self._s.scalars(
            select(t.Person)
            .where(
                or_(t.Person.id.in_(teaching), t.Person.id.in_(teaches_group)),
                t.Person.is_active.is_(True),
            )
            .order_by(t.Person.id)
        )
        return [person_record(row) for row in rows]

    async def people(self, person_ids: Collection[int]) -> Sequence[PersonRecord]:
        """These people (active or not), by id."""
        if not person_ids:
            return []
        rows = await self._s.scalars(
            select(t.Person).where(t.Person.id.in_(sorted(person_ids))).order_by(t.Person.id)
        )
        return [person_record(row) for row in rows]

    async def members(self, group_ids: Collection[int], on: date) -> Mapping[int, frozenset[int]]:
        """Active pupils listed in each group on a date (groups without a list are left out)."""
        if not group_ids:
            return {}
        rows = await self._s.execute(
            select(t.GroupMember.group_id, t.GroupMember.pupil_id)
            .join(t.Person, t.Person.id == t.GroupMember.pupil_id)
            .where(
                t.GroupMember.group_id.in_(sorted(group_ids)),
                t.GroupMember.starts_on <= on,
                or_(t.GroupMember.ends_on.is_(None), t.GroupMember.ends_on >= on),
                t.Person.is_active.is_(True),
            )
        )
        found: dict[int, set[int]] = defaultdict(set)
        for group_id, pupil_id in rows:
            found[group_id].add(pupil_id)
        return {group_id: frozenset(pupils) for group_id, pupils in found.items()}

    async def changes(
        self,
        school_id: int,
        start: date,
        end: date,
        *,
        moved_in: bool = True,
        published_only: bool = False,
    ) -> Sequence[ChangeRecord]:
        """Changes dated between two dates (and, with ``moved_in``, moves into them), by id."""
        change = t.TimetableChange
        dated = and_(change.on_date >= start, change.on_date <= end)
        if moved_in:
            dated = or_(dated, and_(change.new_date >= start, change.new_date <= end))
        query = select(change).where(change.school_id == school_id, dated).order_by(change.id)
        if published_only:
            query = query.where(change.status == "published")
        return [change_record(row) for row in await self._s.scalars(query)]

    async def change(self, change_id: int) -> ChangeRecord | None:
        """A change by id."""
        row = await self._s.get(t.TimetableChange, change_id)
        return change_record(row) if row else None

    async def add_change(
        self,
        *,
        school_id: int,
        on: date,
        kind: str,
        slot_id: int | None,
        group_id: int,
        period: int,
        teacher_id: int | None,
        room: str | None,
        new_date: date | None,
        new_period: int | None,
        note: str | None,
        created_by: int | None,
        now: datetime,
    ) -> int:
        """Store a draft change; its id."""
        row = t.TimetableChange(
            school_id=school_id,
            on_date=on,
            kind=kind,
            slot_id=slot_id,
            group_id=group_id,
            period=period,
            teacher_id=teacher_id,
            room=room,
            new_date=new_date,
            new_period=new_period,
            note=note,
            status="draft",
            created_by=created_by,
            created_at=now,
            published_at=None,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def delete_changes(self, change_ids: Collection[int]) -> None:
        """Delete changes."""
        if change_ids:
            await self._s.execute(
                delete(t.TimetableChange).where(t.TimetableChange.id.in_(sorted(change_ids)))
            )

    async def publish(self, change_ids: Collection[int], now: datetime) -> None:
        """Mark changes published at ``now``."""
        if change_ids:
            await self._s.execute(
                update(t.TimetableChange)
                .where(t.TimetableChange.id.in_(sorted(change_ids)))
                .values(status="published", published_at=now)
            )
