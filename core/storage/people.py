"""SQL writes and look-ups behind the people import. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.records import ClassRecord
from core.ports import PersonData
from core.storage import tables as t


def class_record(row: t.ClassGroup) -> ClassRecord:
    """ORM row → record."""
    return ClassRecord(
        row.id, row.school_id, row.school_year_id, row.name, row.grade, row.class_teacher_id
    )


class SqlPeople:
    """Implements core.ports.PeopleRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def keys(self, school_id: int) -> Mapping[str, int]:
        """External key → person id for one school."""
        rows = await self._s.execute(
            select(t.PersonKey.external_key, t.PersonKey.person_id).where(
                t.PersonKey.school_id == school_id
            )
        )
        return dict(rows.all())

    async def person_data(self, person_id: int) -> PersonData:
        """Every stored field of a person."""
        row = await self._s.get_one(t.Person, person_id)
        return PersonData(
            given_name=row.given_name,
            family_name=row.family_name,
            personal_code=row.personal_code,
            birth_date=row.birth_date,
            phone=row.phone,
            email=row.email,
        )

    async def find_by_personal_code(self, personal_code: str) -> int | None:
        """A person with this personal code, in any school."""
        return await self._s.scalar(
            select(t.Person.id).where(t.Person.personal_code == personal_code)
        )

    async def add_person(self, data: PersonData, *, now: datetime) -> int:
        """Create a person."""
        row = t.Person(
            given_name=data.given_name,
            family_name=data.family_name,
            personal_code=data.personal_code,
            birth_date=data.birth_date,
            phone=data.phone,
            email=data.email,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def update_person(self, person_id: int, data: PersonData, *, now: datetime) -> None:
        """Overwrite a person's fields."""
        await self._s.execute(
            update(t.Person)
            .where(t.Person.id == person_id)
            .values(
                given_name=data.given_name,
                family_name=data.family_name,
                personal_code=data.personal_code,
                birth_date=data.birth_date,
                phone=data.phone,
                email=data.email,
                updated_at=now,
            )
        )

    async def add_key(self, school_id: int, key: str, person_id: int) -> None:
        """Remember a records-office key for a person in a school."""
        self._s.add(t.PersonKey(school_id=school_id, external_key=key, person_id=person_id))
        await self._s.flush()

    async def classes(self, school_year_id: int) -> Mapping[str, ClassRecord]:
        """Classes of a school year by name."""
        rows = await self._s.scalars(
            select(t.ClassGroup).where(t.ClassGroup.school_year_id == school_year_id)
        )
        return {r.name: class_record(r) for r in rows}

    async def add_class(
        self, *, school_id: int, school_year_id: int, name: str, grade: int, teacher_id: int | None
    ) -> ClassRecord:
        """Create a class."""
        row = t.ClassGroup(
            school_id=school_id,
            school_year_id=school_year_id,
            name=name,
            grade=grade,
            class_teacher_id=teacher_id,
        )
        self._s.add(row)
        await self._s.flush()
        return class_record(row)

    async def update_class(self, class_id: int, *, grade: int, teacher_id: int | None) -> None:
        """Change a class's grade or class teacher."""
        await self._s.execute(
            update(t.ClassGroup)
            .where(t.ClassGroup.id == class_id)
            .values(grade=grade, class_teacher_id=teacher_id)
        )

    async def enrolment(self, pupil_id: int, school_year_id: int) -> tuple[int, int] | None:
        """(enrolment id, class id) of a pupil in a school year."""
        row = (
            await self._s.execute(
                select(t.Enrolment.id, t.Enrolment.class_id)
                .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
                .where(
                    t.Enrolment.pupil_id == pupil_id,
                    t.ClassGroup.school_year_id == school_year_id,
                )
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def enrol(
        self, *, school_id: int, class_id: int, pupil_id: int, starts_on: date
    ) -> None:
        """Enrol a pupil in a class."""
        self._s.add(
            t.Enrolment(
                school_id=school_id,
                class_id=class_id,
                pupil_id=pupil_id,
                starts_on=starts_on,
                ends_on=None,
            )
        )
        await self._s.flush()

    async def move_enrolment(self, enrolment_id: int, class_id: int) -> None:
        """Move a pupil's enrolment to another class of the same year."""
        await self._s.execute(
            update(t.Enrolment).where(t.Enrolment.id == enrolment_id).values(class_id=class_id)
        )

    async def staff_roles(self, school_id: int, person_id: int) -> frozenset[str]:
        """Staff roles of a person in a school."""
        rows = await self._s.scalars(
            select(t.StaffRole.role).where(
                t.StaffRole.school_id == school_id, t.StaffRole.person_id == person_id
            )
        )
        return frozenset(rows)

    async def add_staff_role(self, school_id: int, person_id: int, role: str) -> None:
        """Give a person a staff role in a school."""
        self._s.add(t.StaffRole(school_id=school_id, person_id=person_id, role=role))
        await self._s.flush()

    async def guardianship(self, guardian_id: int, pupil_id: int) -> str | None:
        """The relation of a guardian to a pupil, or None if not linked."""
        return await self._s.scalar(
            select(t.Guardianship.relation).where(
                t.Guardianship.guardian_id == guardian_id, t.Guardianship.pupil_id == pupil_id
            )
        )

    async def link_guardian(self, guardian_id: int, pupil_id: int, relation: str) -> None:
        """Link a guardian to a pupil."""
        self._s.add(
            t.Guardianship(
                guardian_id=guardian_id, pupil_id=pupil_id, relation=relation, read_only=False
            )
        )
        await self._s.flush()

    async def set_relation(self, guardian_id: int, pupil_id: int, relation: str) -> None:
        """Change the recorded relation of a guardian to a pupil."""
        await self._s.execute(
            update(t.Guardianship)
            .where(t.Guardianship.guardian_id == guardian_id, t.Guardianship.pupil_id == pupil_id)
            .values(relation=relation)
        )
