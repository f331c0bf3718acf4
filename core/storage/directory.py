"""SQL directory: schools, people and the facts the access policy needs. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.access import GroupFacts, PupilFacts, Role, Viewer
from core.domain.calendar import BellSchedule, SchoolCalendar
from core.domain.records import (
    GroupRecord,
    PersonRecord,
    PupilSummary,
    SchoolRecord,
    SchoolYearRecord,
    TermRecord,
)
from core.storage import tables as t


def school_record(row: t.School) -> SchoolRecord:
    """ORM row → record."""
    return SchoolRecord(row.id, row.code, row.name, row.time_zone, row.locale)


def person_record(row: t.Person) -> PersonRecord:
    """ORM row → record (the personal code stays behind)."""
    return PersonRecord(
        row.id, row.given_name, row.family_name, row.phone, row.email, row.is_active
    )


class SqlDirectory:
    """Implements core.ports.DirectoryRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def school(self, school_id: int) -> SchoolRecord | None:
        """A school by id."""
        row = await self._s.get(t.School, school_id)
        return school_record(row) if row else None

    async def school_by_code(self, code: str) -> SchoolRecord | None:
        """A school by its short code."""
        row = await self._s.scalar(select(t.School).where(t.School.code == code))
        return school_record(row) if row else None

    async def schools(self) -> Sequence[SchoolRecord]:
        """Every school, by code."""
        rows = await self._s.scalars(select(t.School).order_by(t.School.code))
        return [school_record(r) for r in rows]

    async def add_school(
        self, *, code: str, name: str, time_zone: str, locale: str, now: datetime
    ) -> SchoolRecord:
        """Create a school."""
        row = t.School(
            code=code, name=name, time_zone=time_zone, locale=locale, policy={}, created_at=now
        )
        self._s.add(row)
        await self._s.flush()
        return school_record(row)

    async def add_school_year(
        self, school_id: int, name: str, calendar: SchoolCalendar
    ) -> SchoolYearRecord:
        """Create a school year with its terms and days off."""
        year = t.SchoolYear(
            school_id=school_id,
            name=name,
            starts_on=calendar.starts_on,
            ends_on=calendar.ends_on,
            school_weekdays=",".join(str(d) for d in sorted(calendar.school_weekdays)),
            cycle_weeks=calendar.cycle_weeks,
            end_by_grade={str(g): d.isoformat() for g, d in calendar.end_by_grade},
        )
        self._s.add(year)
        await self._s.flush()
        self._s.add_all(
            t.Term(
                school_year_id=year.id,
                number=term.number,
                starts_on=term.starts_on,
                ends_on=term.ends_on,
            )
            for term in calendar.terms
        )
        self._s.add_all(
            t.DayOff(
                school_year_id=year.id,
                starts_on=off.starts_on,
                ends_on=off.ends_on,
                name=off.name,
                grades=",".join(str(g) for g in sorted(off.grades)) if off.grades else None,
            )
            for off in calendar.days_off
        )
        await self._s.flush()
        return SchoolYearRecord(year.id, school_id, name, year.starts_on, year.ends_on)

    async def add_bell_schedule(
        self, school_id: int, schedule: BellSchedule, *, is_default: bool
    ) -> None:
        """Store a named bell schedule."""
        row = t.BellSchedule(school_id=school_id, name=schedule.name, is_default=is_default)
        self._s.add(row)
        await self._s.flush()
        self._s.add_all(
            t.BellPeriod(
                bell_schedule_id=row.id, number=p.number, starts_at=p.starts_at, ends_at=p.ends_at
            )
            for p in schedule.periods
        )
        await self._s.flush()

    async def school_policy(self, school_id: int) -> Mapping[str, Any]:
        """The school's stored policy settings."""
        policy = await self._s.scalar(select(t.School.policy).where(t.School.id == school_id))
        return policy or {}

    async def set_school_policy(self, school_id: int, settings: Mapping[str, Any]) -> None:
        """Store a school's policy settings."""
        await self._s.execute(
            update(t.School).where(t.School.id == school_id).values(policy=dict(settings))
        )

    async def term_on(self, school_id: int, on: date) -> TermRecord | None:
        """The semester containing ``on``, else the latest one that started before it."""
        row = await self._s.scalar(
            select(t.Term)
            .join(t.SchoolYear, t.SchoolYear.id == t.Term.school_year_id)
            .where(t.SchoolYear.school_id == school_id, t.Term.starts_on <= on)
            .order_by(t.Term.starts_on.desc())
            .limit(1)
        )
        return TermRecord(row.number, row.starts_on, row.ends_on) if row else None

    async def pupil_summaries(self, pupil_ids: Collection[int]) -> Sequence[PupilSummary]:
        """Names and current (latest) classes of pupils."""
        if not pupil_ids:
            return []
        rows = await self._s.execute(
            select(
                t.Person.id,
                t.Person.given_name,
                t.Person.family_name,
                t.ClassGroup.name,
                t.ClassGroup.grade,
                t.Enrolment.school_id,
            )
            .join(t.Enrolment, t.Enrolment.pupil_id == t.Person.id)
            .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
            .where(t.Person.id.in_(sorted(pupil_ids)))
            .order_by(t.Person.id, t.Enrolment.starts_on)
        )
        latest: dict[int, PupilSummary] = {}
        for pid, given, family, class_name, grade, school_id in rows:
            latest[pid] = PupilSummary(pid, given, family, class_name, grade, school_id)
        return list(latest.values())

    async def school_year_on(self, school_id: int, on: date) -> SchoolYearRecord | None:
        """The school year containing ``on``, else the latest that started before it."""
        row = await self._s.scalar(
            select(t.SchoolYear)
            .where(t.SchoolYear.school_id == school_id, t.SchoolYear.starts_on <= on)
            .order_by(t.SchoolYear.starts_on.desc())
            .limit(1)
        )
        if row is None:
            return None
        return SchoolYearRecord(row.id, row.school_id, row.name, row.starts_on, row.ends_on)

    async def viewer(self, person_id: int) -> Viewer | None:
        """The roles and links of a person, in one statement (every bot update may need it)."""
        number, text = Integer(), String()

        def row(kind: str, a: Any, b: Any = None, c: Any = None) -> Any:
            return (
                literal(kind, text).label("kind"),
                cast(a, number).label("a"),
                cast(b if b is not None else null(), number).label("b"),
                cast(c if c is not None else null(), text).label("c"),
            )

        active_as_number = case((t.Person.is_active.is_(True), 1), else_=0)
        read_only_as_number = case((t.Guardianship.read_only.is_(True), 1), else_=0)
        rows = await self._s.execute(
            union_all(
                select(*row("p", t.Person.id, active_as_number)).where(t.Person.id == person_id),
                select(*row("s", t.StaffRole.school_id, None, t.StaffRole.role)).where(
                    t.StaffRole.person_id == person_id, t.StaffRole.is_active.is_(True)
                ),
                select(*row("g", t.Guardianship.pupil_id, read_only_as_number)).where(
                    t.Guardianship.guardian_id == person_id
                ),
                select(*row("c", t.ClassGroup.id, t.ClassGroup.school_id)).where(
                    t.ClassGroup.class_teacher_id == person_id
                ),
                select(*row("e", t.Enrolment.school_id)).where(t.Enrolment.pupil_id == person_id),
            )
        )
        active: bool | None = None
        staff_roles: set[tuple[int, Role]] = set()
        children: set[int] = set()
        read_only: set[int] = set()
        class_teacher_of: set[int] = set()
        pupil_schools: set[int] = set()
        for kind, a, b, c in rows:
            if kind == "p":
                active = bool(b)
            elif kind == "s":
                staff_roles.add((a, Role(c)))
            elif kind == "g":
                children.add(a)
                if b:
                    read_only.add(a)
            elif kind == "c":
                class_teacher_of.add(a)
                staff_roles.add((b, Role.CLASS_TEACHER))
            else:
                pupil_schools.add(a)
        if active is None:
            return None
        return Viewer(
            person_id=person_id,
            staff_roles=frozenset(staff_roles),
            children=frozenset(children),
            read_only_children=frozenset(read_only),
            class_teacher_of=frozenset(class_teacher_of),
            pupil_in_schools=frozenset(pupil_schools),
            active=active,
        )

    async def pupil_facts(self, pupil_id: int) -> PupilFacts | None:
        """Schools, classes and teachers of a pupil."""
        enrolments = (
            await self._s.execute(
                select(t.Enrolment.school_id, t.Enrolment.class_id).where(
                    t.Enrolment.pupil_id == pupil_id
                )
            )
        ).all()
        if not enrolments:
            return None
        teachers = await self._s.scalars(
            select(t.GroupTeacher.teacher_id)
            .join(t.GroupMember, t.GroupMember.group_id == t.GroupTeacher.group_id)
            .where(t.GroupMember.pupil_id == pupil_id)
            .distinct()
        )
        return PupilFacts(
            pupil_id=pupil_id,
            school_ids=frozenset(school for school, _ in enrolments),
            class_ids=frozenset(class_id for _, class_id in enrolments),
            teacher_ids=frozenset(teachers),
        )

    async def group_facts(self, group_id: int) -> GroupFacts | None:
        """School, teachers and classes of a teaching group."""
        school_id = await self._s.scalar(
            select(t.TeachingGroup.school_id).where(t.TeachingGroup.id == group_id)
        )
        if school_id is None:
            return None
        teachers = await self._s.scalars(
            select(t.GroupTeacher.teacher_id).where(t.GroupTeacher.group_id == group_id)
        )
        classes = await self._s.scalars(
            select(t.GroupClass.class_id).where(t.GroupClass.group_id == group_id)
        )
        return GroupFacts(group_id, school_id, frozenset(teachers), frozenset(classes))

    async def group(self, group_id: int) -> GroupRecord | None:
        """A teaching group."""
        row = (
            await self._s.execute(
                select(t.TeachingGroup, t.Subject.short_name)
                .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
                .where(t.TeachingGroup.id == group_id)
            )
        ).first()
        if row is None:
            return None
        g, short = row
        return GroupRecord(
            g.id,
            g.school_id,
            g.school_year_id,
            g.subject_id,
            short,
            g.name,
            g.kind,
            g.grade,
            g.scale,
        )

    async def person(self, person_id: int) -> PersonRecord | None:
        """A person."""
        row = await self._s.get(t.Person, person_id)
        return person_record(row) if row else None

    async def counts(self) -> Mapping[str, int]:
        """Entity counts for the whole deployment."""

        async def count(stmt: Any) -> int:
            return int(await self._s.scalar(stmt) or 0)

        guardians = select(func.count(func.distinct(t.Guardianship.guardian_id)))
        staff = select(func.count(func.distinct(t.StaffRole.person_id)))
        pupils = select(func.count(func.distinct(t.Enrolment.pupil_id)))
        return {
            "schools": await count(select(func.count()).select_from(t.School)),
            "school_years": await count(select(func.count()).select_from(t.SchoolYear)),
            "classes": await count(select(func.count()).select_from(t.ClassGroup)),
            "pupils": await count(pupils),
            "guardians": await count(guardians),
            "staff": await count(staff),
            "subjects": await count(select(func.count()).select_from(t.Subject)),
            "teaching_groups": await count(select(func.count()).select_from(t.TeachingGroup)),
            "timetable_slots": await count(select(func.count()).select_from(t.TimetableSlot)),
            "lessons": await count(select(func.count()).select_from(t.Lesson)),
            "assessments": await count(select(func.count()).select_from(t.Assessment)),
            "marks": await count(select(func.count()).select_from(t.Mark)),
            "attendance_records": await count(select(func.count()).select_from(t.Attendance)),
            "absence_notes": await count(select(func.count()).select_from(t.AbsenceNote)),
            "accounts": await count(
                select(func.count())
                .select_from(t.Account)
                .where(or_(t.Account.status == "active", t.Account.status == "unreachable"))
            ),
        }

    async def sample_people(self, school_id: int) -> Mapping[str, int]:
        """One person per demo role in a school (lowest ids first, so it is deterministic)."""
        found: dict[str, int] = {}
        two = await self._s.scalar(
            select(t.Guardianship.guardian_id)
            .join(t.Enrolment, t.Enrolment.pupil_id == t.Guardianship.pupil_id)
            .where(t.Enrolment.school_id == school_id)
            .group_by(t.Guardianship.guardian_id)
            .having(func.count(func.distinct(t.Guardianship.pupil_id)) >= 2)
            .order_by(t.Guardianship.guardian_id)
            .limit(1)
        )
        if two is not None:
            found["parent_of_two"] = two
        pupil = await self._s.scalar(
            select(t.Enrolment.pupil_id)
            .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
            .where(t.Enrolment.school_id == school_id, t.ClassGroup.grade >= 4)
            .order_by(t.ClassGroup.grade.desc(), t.Enrolment.pupil_id)
            .limit(1)
        )
        if pupil is not None:
            found["pupil"] = pupil
        class_teachers = select(t.ClassGroup.class_teacher_id).where(
            t.ClassGroup.school_id == school_id, t.ClassGroup.class_teacher_id.is_not(None)
        )
        managers = select(t.StaffRole.person_id).where(
            t.StaffRole.school_id == school_id,
            t.StaffRole.role.in_(("deputy_director", "director")),
        )
        teacher = await self._s.scalar(
            select(t.StaffRole.person_id)
            .where(
                t.StaffRole.school_id == school_id,
                t.StaffRole.role == "teacher",
                t.StaffRole.person_id.not_in(class_teachers),
                t.StaffRole.person_id.not_in(managers),
            )
            .order_by(t.StaffRole.person_id)
            .limit(1)
        )
        if teacher is not None:
            found["subject_teacher"] = teacher
        class_teacher = await self._s.scalar(
            class_teachers.where(t.ClassGroup.class_teacher_id.not_in(managers))
            .order_by(t.ClassGroup.grade, t.ClassGroup.name)
            .limit(1)
        )
        if class_teacher is not None:
            found["class_teacher"] = class_teacher
        for role, key in (("deputy_director", "superuser"), ("director", "director")):
            person = await self._s.scalar(
                select(t.StaffRole.person_id)
                .where(t.StaffRole.school_id == school_id, t.StaffRole.role == role)
                .order_by(t.StaffRole.person_id)
                .limit(1)
            )
            if person is not None:
                found[key] = person
        return found
