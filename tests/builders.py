"""Test builders: a small, valid world of two schools; tests override only what they are about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.calendar import latvian_calendar, standard_bells
from core.services.directory import resolve_viewer
from core.storage import tables as t
from core.storage.database import create_session_factory

YEAR_START = 2026


@dataclass(frozen=True)
class SchoolWorld:
    """Ids of one school's people and groups."""

    school_id: int
    year_id: int
    class_5a: int
    class_2a: int
    superuser: int
    director: int
    math_teacher: int  # teaches 5.a mathematics, class teacher of 5.a
    latvian_teacher: int  # teaches 2.a Latvian, class teacher of 2.a
    other_teacher: int  # teaches nothing in these classes
    pupil_5a: int
    pupil_5a_second: int
    pupil_2a: int
    parent_5a: int  # guardian of pupil_5a and pupil_2a (two children)
    parent_5a_second: int  # guardian of pupil_5a_second only
    math_group: int
    latvian_group: int
    lesson_math: int  # a lesson of the math group on 2026-11-26, period 2


@dataclass(frozen=True)
class World:
    """Two schools: the one most tests use and a foreign one."""

    a: SchoolWorld
    b: SchoolWorld


class _Builder:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.s = session
        self.now = now

    async def add(self, row: Any) -> int:
        self.s.add(row)
        await self.s.flush()
        return int(row.id)

    async def person(self, given: str, family: str, phone: str | None = None) -> int:
        return await self.add(
            t.Person(
                given_name=given,
                family_name=family,
                phone=phone,
                is_active=True,
                created_at=self.now,
                updated_at=self.now,
            )
        )

    async def school(self, code: str, prefix: str, phones: str) -> SchoolWorld:
        school = await self.add(
            t.School(
                code=code,
                name=f"{prefix} pamatskola",
                time_zone="Europe/Riga",
                locale="lv",
                policy={},
                created_at=self.now,
            )
        )
        cal = latvian_calendar(YEAR_START)
        year = await self.add(
            t.SchoolYear(
                school_id=school,
                name="2026/2027",
                starts_on=cal.starts_on,
                ends_on=cal.ends_on,
                school_weekdays="0,1,2,3,4",
                cycle_weeks=1,
                end_by_grade={},
            )
        )
        for term in cal.terms:
            await self.add(
                t.Term(
                    school_year_id=year,
                    number=term.number,
                    starts_on=term.starts_on,
                    ends_on=term.ends_on,
                )
            )
        bells = await self.add(t.BellSchedule(school_id=school, name="Parastais", is_default=True))
        for p in standard_bells().periods:
            await self.add(
                t.BellPeriod(
                    bell_schedule_id=bells,
                    number=p.number,
                    starts_at=p.starts_at,
                    ends_at=p.ends_at,
                )
            )
        superuser = await self.person("Inese", f"{prefix}-Vietniece")
        director = await self.person("Andris", f"{prefix}-Direktors")
        math_teacher = await self.person("Māra", f"{prefix}-Matemātiķe")
        latvian_teacher = await self.person("Ilze", f"{prefix}-Valodniece")
        other_teacher = await self.person("Pēteris", f"{prefix}-Sportists")
        for person, role in (
            (superuser, "deputy_director"),
            (superuser, "teacher"),
            (director, "director"),
            (math_teacher, "teacher"),
            (latvian_teacher, "teacher"),
            (other_teacher, "teacher"),
        ):
            await self.add(t.StaffRole(school_id=school, person_id=person, role=role))
        class_5a = await self.add(
            t.ClassGroup(
                school_id=school,
                school_year_id=year,
                name="5.a",
                grade=5,
                class_teacher_id=math_teacher,
            )
        )
        class_2a = await self.add(
            t.ClassGroup(
                school_id=school,
                school_year_id=year,
                name="2.a",
                grade=2,
                class_teacher_id=latvian_teacher,
            )
        )
        pupil_5a = await self.person("Jānis", f"{prefix}-Bērziņš")
        pupil_5a_second = await self.person("Anna", f"{prefix}-Kalniņa")
        pupil_2a = await self.person("Ērika", f"{prefix}-Bērziņa")
        start = cal.starts_on
        for pupil, klass in (
            (pupil_5a, class_5a),
            (pupil_5a_second, class_5a),
            (pupil_2a, class_2a),
        ):
            await self.add(
                t.Enrolment(
                    school_id=school, class_id=klass, pupil_id=pupil, starts_on=start, ends_on=None
                )
            )
        parent = await self.person("Līga", f"{prefix}-Bērziņa", phone=f"{phones}1")
        parent_second = await self.person("Kārlis", f"{prefix}-Kalniņš", phone=f"{phones}2")
        for guardian, pupil, relation in (
            (parent, pupil_5a, "mother"),
            (parent, pupil_2a, "mother"),
            (parent_second, pupil_5a_second, "father"),
        ):
            await self.add(t.Guardianship(guardian_id=guardian, pupil_id=pupil, relation=relation))
        math = await self.add(t.Subject(school_id=school, name="Matemātika", short_name="MAT"))
        latvian = await self.add(
            t.Subject(school_id=school, name="Latviešu valoda", short_name="LV")
        )
        math_group = await self.group(
            school=school,
            year=year,
            subject=math,
            name="5.a Matemātika",
            grade=5,
            teacher=math_teacher,
            klass=class_5a,
            pupils=[pupil_5a, pupil_5a_second],
            start=start,
        )
        latvian_group = await self.group(
            school=school,
            year=year,
            subject=latvian,
            name="2.a Latviešu valoda",
            grade=2,
            teacher=latvian_teacher,
            klass=class_2a,
            pupils=[pupil_2a],
            start=start,
        )
        lesson = await self.add(
            t.Lesson(
                school_id=school,
                group_id=math_group,
                on_date=date(2026, 11, 26),
                period=2,
                teacher_id=math_teacher,
                is_substitution=False,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        return SchoolWorld(
            school_id=school,
            year_id=year,
            class_5a=class_5a,
            class_2a=class_2a,
            superuser=superuser,
            director=director,
            math_teacher=math_teacher,
            latvian_teacher=latvian_teacher,
            other_teacher=other_teacher,
            pupil_5a=pupil_5a,
            pupil_5a_second=pupil_5a_second,
            pupil_2a=pupil_2a,
            parent_5a=parent,
            parent_5a_second=parent_second,
            math_group=math_group,
            latvian_group=latvian_group,
            lesson_math=lesson,
        )

    async def group(
        self,
        *,
        school: int,
        year: int,
        subject: int,
        name: str,
        grade: int,
        teacher: int,
        klass: int,
        pupils: list[int],
        start: date,
    ) -> int:
        group = await self.add(
            t.TeachingGroup(
                school_id=school,
                school_year_id=year,
                subject_id=subject,
                name=name,
                kind="class",
                grade=grade,
            )
        )
        await self.add(t.GroupTeacher(group_id=group, teacher_id=teacher))
        await self.add(t.GroupClass(group_id=group, class_id=klass))
        for pupil in pupils:
            await self.add(
                t.GroupMember(group_id=group, pupil_id=pupil, starts_on=start, ends_on=None)
            )
        return group


async def build_world(core: Core) -> World:
    """Two schools, each with a superuser, teachers, two classes, pupils and parents."""
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        builder = _Builder(session, core.clock.now())
        a = await builder.school("alfa", "Alfa", "+3712900000")  # +37129000001, …0002
        b = await builder.school("beta", "Beta", "+3712900001")  # +37129000011, …0012
    return World(a, b)


async def viewer(core: Core, person_id: int) -> Viewer:
    """The viewer of a person, as the bot would resolve it."""
    return await resolve_viewer(core.uow(), person_id)


async def insert(core: Core, *rows: Any) -> list[int]:
    """Write ORM rows as they are (for facts no service creates yet); returns their ids."""
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        ids = []
        for row in rows:
            session.add(row)
            await session.flush()
            ids.append(int(row.id))
    return ids


async def new_person(
    core: Core, given: str, family: str, *, phone: str | None = None, active: bool = True
) -> int:
    """A person with nothing else: add enrolments, guardianships or roles with ``insert``."""
    now = core.clock.now()
    [person_id] = await insert(
        core,
        t.Person(
            given_name=given,
            family_name=family,
            phone=phone,
            is_active=active,
            created_at=now,
            updated_at=now,
        ),
    )
    return person_id


WEEK_TIMETABLE_CSV = (
    "weekday;period;class;group;subject;teacher_key;room;week\n"
    "P;1;5.a;;MAT;{a}-Matemātiķe Māra;101;\n"
    "P;2;2.a;;LV;Ilze {a}-Valodniece;12;\n"
    "O;2;5.a;;MAT;Māra {a}-Matemātiķe;101;\n"
    "C;3;2.a;;LV;Ilze {a}-Valodniece;;\n"
)
"""School a's regular week: 5.a mathematics Mon 1 and Tue 2, 2.a Latvian Mon 2 and Thu 3."""


async def build_timetable(core: Core, world: World) -> None:
    """Import ``WEEK_TIMETABLE_CSV`` into school a's current semester (teachers by name)."""
    from core.services.timetable_import import import_timetable

    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=WEEK_TIMETABLE_CSV.format(a="Alfa").encode(),
        filename="week.csv",
        apply=True,
    )


# ---------------------------------------------------------------- more roles (additive helpers)


async def add_caregiver(
    core: Core, *, guardian_id: int, pupil_id: int, given: str = "Vera", family: str = "Aprūpe"
) -> int:
    """A read-only carer of one child, granted by a guardian (as a redeemed invitation leaves)."""
    carer = await new_person(core, given, family)
    await insert(
        core,
        t.Guardianship(
            guardian_id=carer,
            pupil_id=pupil_id,
            relation="other",
            read_only=True,
            granted_by=guardian_id,
        ),
    )
    return carer


@dataclass(frozen=True)
class SubjectTeacher:
    """A subject teacher who is nobody's class teacher, with a part group and one lesson."""

    teacher: int
    group: int
    lesson: int  # recorded on ``LESSON_DAY``, period ``LESSON_PERIOD``


async def add_subject_teacher(
    core: Core,
    school: SchoolWorld,
    *,
    pupils: list[int],
    given: str = "Olga",
    family: str = "Angliste",
) -> SubjectTeacher:
    """A teacher of an English part group of 5.a with ``pupils`` and a lesson on 2026-11-26."""
    now = core.clock.now()
    teacher = await new_person(core, given, family)
    [_, subject] = await insert(
        core,
        t.StaffRole(school_id=school.school_id, person_id=teacher, role="teacher"),
        t.Subject(school_id=school.school_id, name="Angļu valoda", short_name="ANG"),
    )
    [group] = await insert(
        core,
        t.TeachingGroup(
            school_id=school.school_id,
            school_year_id=school.year_id,
            subject_id=subject,
            name="5.a Angļu valoda",
            kind="part",
            grade=5,
        ),
    )
    start = latvian_calendar(YEAR_START).starts_on
    await insert(
        core,
        t.GroupTeacher(group_id=group, teacher_id=teacher),
        t.GroupClass(group_id=group, class_id=school.class_5a),
        *(
            t.GroupMember(group_id=group, pupil_id=p, starts_on=start, ends_on=None)
            for p in pupils
        ),
    )
    [lesson] = await insert(
        core,
        t.Lesson(
            school_id=school.school_id,
            group_id=group,
            on_date=date(2026, 11, 26),
            period=3,
            teacher_id=teacher,
            is_substitution=False,
            created_at=now,
            updated_at=now,
        ),
    )
    return SubjectTeacher(teacher, group, lesson)


async def add_substitution(
    core: Core, school: SchoolWorld, *, on: date, group_id: int, period: int, teacher_id: int
) -> None:
    """The superuser publishes a substitution of one timetable lesson (needs a timetable)."""
    from core.services.timetable_changes import add_change, day_plan, publish_changes

    boss = await viewer(core, school.superuser)
    plan = await day_plan(core.uow(), boss, school_id=school.school_id, on=on)
    [lesson] = [x for x in plan.lessons if (x.group_id, x.period) == (group_id, period)]
    await add_change(
        core.uow(),
        boss,
        school_id=school.school_id,
        on=on,
        kind="substitution",
        slot_id=lesson.slot_id,
        teacher_id=teacher_id,
    )
    await publish_changes(core.uow(), boss, school_id=school.school_id, on=on)


async def add_deactivated(core: Core, school: SchoolWorld) -> int:
    """A leaver who was a teacher of 5.a mathematics and a parent of a 5.a pupil, deactivated.

    Every grant is still in the database; only ``persons.is_active`` ends the access, as
    ``ejournal people deactivate`` does.
    """
    from core.services.deactivation import deactivate_person

    person = await new_person(core, "Dace", f"{school.school_id}-Aizgājusi")
    await insert(
        core,
        t.StaffRole(school_id=school.school_id, person_id=person, role="teacher"),
        t.GroupTeacher(group_id=school.math_group, teacher_id=person),
        t.Guardianship(guardian_id=person, pupil_id=school.pupil_5a_second, relation="mother"),
    )
    await deactivate_person(
        core.uow(), Viewer.console(), person_id=person, school_id=school.school_id
    )
    return person
