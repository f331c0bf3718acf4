"""Semester timetable import (rule 3.2): preview, all or nothing, idempotent, matched by name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import ImportRejected, InvalidInput, NotFound
from core.services.people import import_people
from core.services.timetable_import import TimetablePreview, import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import SchoolWorld, World, build_world, insert, new_person, viewer

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "core" / "imports" / "fixtures"
SAMPLES = ROOT / "docs" / "samples"
COUNTED = (
    t.Subject,
    t.TeachingGroup,
    t.GroupTeacher,
    t.GroupClass,
    t.GroupMember,
    t.TimetableSlot,
    t.AuditEntry,
)


async def snapshot(core: Core) -> dict[str, int]:
    async with create_session_factory(core.engine)() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in COUNTED
        }


async def prepare_asc_school(core: Core, school: SchoolWorld) -> dict[str, int]:
    """School a as the fixture expects: a 6-day A/B calendar, its classes and its teachers."""
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.SchoolYear)
            .where(t.SchoolYear.id == school.year_id)
            .values(cycle_weeks=2, school_weekdays="0,1,2,3,4,5")
        )
    classes = await insert(
        core,
        *(
            t.ClassGroup(
                school_id=school.school_id, school_year_id=school.year_id, name=name, grade=grade
            )
            for name, grade in (("7.a", 7), ("7.B", 7), ("10.a", 10))
        ),
    )
    testins = await new_person(core, "Jānis", "Testiņš")  # matched by name
    izdomata = await new_person(core, "Līga", "Izdomāta")  # matched by key "LI"
    fiktivais = await new_person(core, "Pēteris", "Fiktīvais")  # by name
    pupil_7a = await new_person(core, "Zane", "Septītā")
    pupil_7b = await new_person(core, "Roberts", "Septītais")
    start = await _year_start(core, school.year_id)
    await insert(
        core,
        *(
            t.StaffRole(school_id=school.school_id, person_id=person, role="teacher")
            for person in (testins, izdomata, fiktivais)
        ),
        t.PersonKey(school_id=school.school_id, person_id=school.math_teacher, external_key="AP"),
        t.PersonKey(school_id=school.school_id, person_id=izdomata, external_key="LI"),
        t.Enrolment(
            school_id=school.school_id, class_id=classes[0], pupil_id=pupil_7a, starts_on=start
        ),
        t.Enrolment(
            school_id=school.school_id, class_id=classes[1], pupil_id=pupil_7b, starts_on=start
        ),
    )
    return {
        "7.a": classes[0],
        "7.b": classes[1],
        "10.a": classes[2],
        "JT": testins,
        "LI": izdomata,
        "PF": fiktivais,
        "pupil_7a": pupil_7a,
        "pupil_7b": pupil_7b,
    }


async def _year_start(core: Core, year_id: int) -> date:
    async with create_session_factory(core.engine)() as session:
        return (await session.get_one(t.SchoolYear, year_id)).starts_on


async def run(
    core: Core,
    world: World,
    name: str,
    *,
    apply: bool = True,
    create_subjects: bool = True,
    who: Viewer | None = None,
    data: bytes | None = None,
) -> TimetablePreview:
    folder = SAMPLES if name.startswith("timetable.") else FIXTURES
    return await import_timetable(
        core.uow(),
        who or Viewer.console(),
        school_id=world.a.school_id,
        data=data if data is not None else (folder / name).read_bytes(),
        filename=name,
        create_subjects=create_subjects,
        apply=apply,
    )


async def slots(core: Core) -> list[tuple[object, ...]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(
            select(
                t.TimetableSlot.weekday,
                t.TimetableSlot.period,
                t.TimetableSlot.week,
                t.TeachingGroup.name,
                t.TimetableSlot.teacher_id,
                t.TimetableSlot.room,
            )
            .join(t.TeachingGroup, t.TeachingGroup.id == t.TimetableSlot.group_id)
            .order_by(t.TimetableSlot.weekday, t.TimetableSlot.period, t.TeachingGroup.name)
        )
        return [tuple(row) for row in rows]


async def test_the_asc_fixture_imports_and_again_changes_nothing(core: Core) -> None:
    world = await build_world(core)
    ids = await prepare_asc_school(core, world.a)
    before = await snapshot(core)

    preview = await run(core, world, "asc_edge_cases.xml", apply=False)
    assert not preview.applied
    assert not preview.blocked
    assert (preview.lessons, preview.unplaced, preview.slots) == (13, 1, 15)
    assert len(preview.subjects_created) == 9  # LVA matched "Latviešu valoda" by name
    assert len(preview.groups_created) == 11  # "5.a Matemātika" already exists
    assert await snapshot(core) == before  # a preview writes nothing

    applied = await run(core, world, "asc_edge_cases.xml")
    assert applied.applied
    assert (applied.slots, applied.slots_added, applied.slots_removed) == (15, 15, 0)
    assert applied.members_added == 6  # 5.a Latvian, 5.a class hour: 2 + 2; sports: 1 + 1
    after = await snapshot(core)
    assert after["timetable_slots"] == 15
    assert after["audit_log"] - before["audit_log"] == 1

    stored = await slots(core)
    a = world.a
    # lesson 0 on Monday, no room
    assert (0, 0, None, "5.a Klases stunda", a.math_teacher, None) in stored
    # the A/B pair in one slot
    assert (3, 5, 0, "10.a Ķīmija", ids["JT"], "204") in stored
    assert (3, 5, 1, "10.a Bioloģija", ids["LI"], "204") in stored
    # the double lesson
    assert [s for s in stored if s[3] == "10.a Fizika"] == [
        (1, 3, None, "10.a Fizika", ids["JT"], "204"),
        (1, 4, None, "10.a Fizika", ids["JT"], "204"),
    ]
    # the combined 7.a + 7.b group (class "7.B" matched case-insensitively)
    assert (4, 6, None, "7.a, 7.B Sports un veselība", ids["PF"], "SZ") in stored
    # the 6-day mask: Saturday, two teachers → two slots
    assert [s for s in stored if s[0] == 5] == [
        (5, 2, None, "5.a Latviešu valoda", a.math_teacher, "101"),
        (5, 2, None, "5.a Latviešu valoda", ids["JT"], "101"),
    ]
    # a division group without teacher and room; the overlapping free-text period 8
    assert (1, 2, None, "7.a Angļu valoda (2. grupa)", None, None) in stored
    assert (2, 8, None, "10.a Datorika", ids["LI"], "DK") in stored
    # the unplaced lesson (7.b mathematics) is no slot and no journal
    assert not [s for s in stored if s[3].startswith("7.B Matem")]

    for name in ("asc_edge_cases.xml", "asc_edge_cases_other_ids.xml", "asc_edge_cases_bom.xml"):
        again = await run(core, world, name)
        assert again.changes == 0, name
    assert await snapshot(core) == after
    assert await slots(core) == stored


async def test_unmatched_names_block_the_import(core: Core) -> None:
    world = await build_world(core)
    await prepare_asc_school(core, world.a)
    before = await snapshot(core)
    preview = await run(core, world, "asc_edge_cases.xml", apply=False, create_subjects=False)
    assert preview.blocked
    assert {(u.kind, u.label) for u in preview.unmatched} >= {("subject", "FIZ")}
    assert "subject" in {u.kind for u in preview.unmatched}
    with pytest.raises(ImportRejected) as caught:
        await run(core, world, "asc_edge_cases.xml", create_subjects=False)
    keys = {p.key for p in caught.value.problems}
    assert keys == {"import.timetable.unmatched_subject"}
    assert await snapshot(core) == before


async def test_unknown_teachers_and_classes_and_the_calendar_are_listed(core: Core) -> None:
    world = await build_world(core)  # no 7.a/7.b/10.a, no aSc teachers, 5-day one-week year
    preview = await run(core, world, "asc_edge_cases.xml", apply=False)
    assert preview.blocked
    labels = {(u.kind, u.label) for u in preview.unmatched}
    assert {("class", "7.a"), ("class", "10.a"), ("teacher", "JT"), ("teacher", "PF")} <= labels
    assert ("teacher", "AP") in labels  # no key, and "Anna Paraudziņa" is nobody here
    assert {p.key for p in preview.calendar_problems} == {
        "import.timetable.not_school_day",
        "import.timetable.cycle_mismatch",
    }


@pytest.mark.parametrize(
    "data",
    [
        b"<timetable><periods",
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><t>&b;</t>',
        (FIXTURES / "asc_edge_cases.xml")
        .read_bytes()
        .replace(b' columns="id,name,short,partner_id"', b""),
    ],
    ids=["bad-xml", "entity-bomb", "no-columns"],
)
async def test_a_malformed_file_changes_nothing(core: Core, data: bytes) -> None:
    world = await build_world(core)
    await prepare_asc_school(core, world.a)
    await run(core, world, "asc_edge_cases.xml")
    before = await snapshot(core)
    stored = await slots(core)
    with pytest.raises(ImportRejected) as caught:
        await run(core, world, "bad.xml", data=data)
    assert caught.value.problems[0].key.startswith("import.asc.")
    assert await snapshot(core) == before
    assert await slots(core) == stored


async def test_only_the_schools_managers_import(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    with pytest.raises(NotFound):
        await run(core, world, "timetable.csv", who=teacher, apply=False)
    superuser_of_b = await viewer(core, world.b.superuser)
    with pytest.raises(NotFound):
        await run(core, world, "timetable.csv", who=superuser_of_b, apply=False)
    superuser = await viewer(core, world.a.superuser)
    preview = await run(core, world, "timetable.csv", who=superuser, apply=False)
    assert preview.blocked  # 1.a and 7.b are not in the builder's school


async def test_the_csv_and_xlsx_samples_import(core: Core) -> None:
    world = await build_world(core)
    await import_people(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=(SAMPLES / "people.csv").read_bytes(),
        filename="people.csv",
    )
    preview = await run(core, world, "timetable.csv")
    assert preview.applied
    assert preview.slots == 18  # 17 rows, one with two teachers
    assert "1.a, 7.b Klases stunda" in preview.groups_created
    assert "7.b Angļu valoda (1. grupa)" in preview.groups_created
    assert preview.members_added > 0
    again = await run(core, world, "timetable.xlsx")
    assert again.changes == 0
    # a shorter timetable replaces the term's slots
    shorter = b"weekday;period;class;subject;teacher_key\nP;1;1.a;Matematika;S-003\n"
    replaced = await run(core, world, "short.csv", data=shorter)
    assert (replaced.slots, replaced.slots_added, replaced.slots_removed) == (1, 1, 18)  # no room
    assert len(await slots(core)) == 1


async def test_a_term_that_does_not_exist_is_refused(core: Core) -> None:
    world = await build_world(core)
    with pytest.raises(InvalidInput) as caught:
        await import_timetable(
            core.uow(),
            Viewer.console(),
            school_id=world.a.school_id,
            data=(SAMPLES / "timetable.csv").read_bytes(),
            filename="timetable.csv",
            term_number=3,
        )
    assert caught.value.key == "import.timetable.no_term"
