"""SQL roster: class lists, guardians, staff, who is connected, activation. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Subquery, delete, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.records import ClassRecord, EnrolledPupil, GuardianLink, PersonRecord
from core.storage import tables as t
from core.storage.directory import person_record
from core.storage.people import class_record

CONNECTED_STATUSES = ("active", "unreachable")  # "unlinked" accounts no longer count


class SqlRoster:
    """Implements core.ports.RosterRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def class_record(self, class_id: int) -> ClassRecord | None:
        """A class by id."""
        row = await self._s.get(t.ClassGroup, class_id)
        return class_record(row) if row else None

    async def enrolled(
        self, class_ids: Collection[int], on: date, *, active_only: bool = True
    ) -> Sequence[EnrolledPupil]:
        """Pupils enrolled in these classes whose enrolment has not ended by ``on``."""
        if not class_ids:
            return []
        active = (t.Person.is_active.is_(True),) if active_only else ()
        rows = await self._s.execute(
            select(
                t.Person,
                t.ClassGroup.id,
                t.ClassGroup.name,
                t.ClassGroup.grade,
                t.Enrolment.starts_on,
            )
            .join(t.Enrolment, t.Enrolment.pupil_id == t.Person.id)
            .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
            .where(
                t.Enrolment.class_id.in_(sorted(class_ids)),
                or_(t.Enrolment.ends_on.is_(None), t.Enrolment.ends_on >= on),
                *active,
            )
            .order_by(t.Person.id)
        )
        return [
            EnrolledPupil(person_record(person), class_id, name, grade, starts_on)
            for person, class_id, name, grade, starts_on in rows
        ]

    async def guardians_of(self, pupil_ids: Collection[int]) -> Sequence[GuardianLink]:
        """Active guardians (read-only carers included) of these pupils."""
        if not pupil_ids:
            return []
        rows = await self._s.execute(
            select(
                t.Person,
                t.Guardianship.pupil_id,
                t.Guardianship.relation,
                t.Guardianship.read_only,
                t.Guardianship.granted_by,
            )
            .join(t.Guardianship, t.Guardianship.guardian_id == t.Person.id)
            .where(t.Guardianship.pupil_id.in_(sorted(pupil_ids)), t.Person.is_active.is_(True))
            .order_by(t.Person.id, t.Guardianship.pupil_id)
        )
        return [
            GuardianLink(person_record(person), pupil_id, relation, read_only, granted_by)
            for person, pupil_id, relation, read_only, granted_by in rows
        ]

    async def staff(self, school_id: int) -> Sequence[PersonRecord]:
        """Active people holding an active staff role in a school."""
        ids = (
            select(t.StaffRole.person_id)
            .where(t.StaffRole.school_id == school_id, t.StaffRole.is_active.is_(True))
            .distinct()
        )
        rows = await self._s.scalars(
            select(t.Person)
            .where(t.Person.id.in_(ids), t.Person.is_active.is_(True))
            .order_by(t.Person.id)
        )
        return [person_record(r) for r in rows]

    def _ties(self, school_ids: Collection[int]) -> Subquery:
        """A query of (person_id, school_id) for every tie a person has to these schools."""
        schools = sorted(school_ids)
        child_schools = (
            select(t.Guardianship.guardian_id.label("person_id"), t.Enrolment.school_id)
            .join(t.Enrolment, t.Enrolment.pupil_id == t.Guardianship.pupil_id)
            .where(t.Enrolment.school_id.in_(schools))
        )
        return union(
            select(t.PersonKey.person_id, t.PersonKey.school_id).where(
                t.PersonKey.school_id.in_(schools)
            ),
            select(t.StaffRole.person_id, t.StaffRole.school_id).where(
                t.StaffRole.school_id.in_(schools)
            ),
            select(t.Enrolment.pupil_id.label("person_id"), t.Enrolment.school_id).where(
                t.Enrolment.school_id.in_(schools)
            ),
            child_schools,
        ).subquery()

    async def school_people(self, school_ids: Collection[int]) -> Sequence[PersonRecord]:
        """Everyone tied to these schools (active or not)."""
        if not school_ids:
            return []
        ties = self._ties(school_ids)
        rows = await self._s.scalars(
            select(t.Person).where(t.Person.id.in_(select(ties.c.person_id))).order_by(t.Person.id)
        )
        return [person_record(r) for r in rows]

    async def person_schools(self, person_id: int) -> frozenset[int]:
        """Schools a person is tied to."""
        keys = select(t.PersonKey.school_id).where(t.PersonKey.person_id == person_id)
        roles = select(t.StaffRole.school_id).where(t.StaffRole.person_id == person_id)
        enrolled = select(t.Enrolment.school_id).where(t.Enrolment.pupil_id == person_id)
        children = (
            select(t.Enrolment.school_id)
            .join(t.Guardianship, t.Guardianship.pupil_id == t.Enrolment.pupil_id)
            .where(t.Guardianship.guardian_id == person_id)
        )
        rows = await self._s.scalars(union(keys, roles, enrolled, children))
        return frozenset(rows)

    async def person_by_key(self, school_id: int, key: str) -> int | None:
        """The person with this records-office key in a school."""
        return await self._s.scalar(
            select(t.PersonKey.person_id).where(
                t.PersonKey.school_id == school_id, t.PersonKey.external_key == key
            )
        )

    async def connected(self, person_ids: Collection[int]) -> frozenset[int]:
        """Those of these people who have a linked Telegram account."""
        if not person_ids:
            return frozenset()
        rows = await self._s.scalars(
            select(t.Account.person_id)
            .where(
                t.Account.person_id.in_(sorted(person_ids)),
                t.Account.status.in_(CONNECTED_STATUSES),
            )
            .distinct()
        )
        return frozenset(rows)

    async def by_phone(self, phone: str) -> Sequence[int]:
        """Active people whose recorded phone is exactly ``phone``."""
        rows = await self._s.scalars(
            select(t.Person.id)
            .where(t.Person.phone == phone, t.Person.is_active.is_(True))
            .order_by(t.Person.id)
        )
        return list(rows)

    async def set_active(self, person_id: int, active: bool, now: datetime) -> None:
        """Activate or deactivate a person."""
        await self._s.execute(
            update(t.Person)
            .where(t.Person.id == person_id)
            .values(is_active=active, updated_at=now)
        )

    async def add_guardianship(
        self, *, guardian_id: int, pupil_id: int, relation: str, read_only: bool, granted_by: int
    ) -> None:
        """Link a guardian or carer to a pupil."""
        self._s.add(
            t.Guardianship(
                guardian_id=guardian_id,
                pupil_id=pupil_id,
                relation=relation,
                read_only=read_only,
                granted_by=granted_by,
            )
        )
        await self._s.flush()

    async def remove_guardianship(self, guardian_id: int, pupil_id: int) -> None:
        """Remove a guardian's or carer's link to a pupil."""
        await self._s.execute(
            delete(t.Guardianship).where(
                t.Guardianship.guardian_id == guardian_id, t.Guardianship.pupil_id == pupil_id
            )
        )
