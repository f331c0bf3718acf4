"""People import (rule 3.1) applied to a school: all or nothing, idempotent, never erasing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import ImportRejected, NotFound
from core.services.people import ImportReport, import_people
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, viewer

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
COUNTED = (t.Person, t.PersonKey, t.StaffRole, t.ClassGroup, t.Enrolment, t.Guardianship)


async def snapshot(core: Core) -> dict[str, int]:
    async with create_session_factory(core.engine)() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in COUNTED
        }


async def run_import(
    core: Core, world: World, name: str, *, dry_run: bool = False, who: Viewer | None = None
) -> ImportReport:
    return await import_people(
        core.uow(),
        who or Viewer.console(),
        school_id=world.a.school_id,
        data=(SAMPLES / name).read_bytes(),
        filename=name,
        dry_run=dry_run,
    )


async def test_good_file_imports_everything_and_again_changes_nothing(core: Core) -> None:
    world = await build_world(core)
    before = await snapshot(core)
    report = await run_import(core, world, "people.csv")
    assert (
        report.classes.created,
        report.staff.created,
        report.pupils.created,
        report.guardians.created,
    ) == (2, 5, 6, 5)
    after = await snapshot(core)
    assert after["persons"] - before["persons"] == 16
    assert after["classes"] - before["classes"] == 2
    assert after["enrolments"] - before["enrolments"] == 6
    assert after["guardianships"] - before["guardianships"] == 6  # G-01 has two children

    again = await run_import(core, world, "people.csv")
    assert again.changes == 0
    assert again.pupils.unchanged == 6
    assert await snapshot(core) == after

    xlsx = await run_import(core, world, "people.xlsx")
    assert xlsx.changes == 0


async def test_a_file_with_one_bad_row_imports_nothing_and_names_it(core: Core) -> None:
    world = await build_world(core)
    before = await snapshot(core)
    with pytest.raises(ImportRejected) as caught:
        await run_import(core, world, "people-bad.csv")
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.key) == (17, "phone", "import.row.phone_invalid")
    assert await snapshot(core) == before


async def test_dry_run_reports_and_writes_nothing(core: Core) -> None:
    world = await build_world(core)
    before = await snapshot(core)
    report = await run_import(core, world, "people.csv", dry_run=True)
    assert report.dry_run
    assert report.pupils.created == 6
    assert await snapshot(core) == before


async def test_changed_row_updates_and_empty_cell_keeps_stored_value(core: Core) -> None:
    world = await build_world(core)
    await run_import(core, world, "people.csv")
    text = (SAMPLES / "people.csv").read_text(encoding="utf-8")
    changed = text.replace(
        "guardian;G-02;Andris;Kalniņš;;;;;P-1001;father;;0037120000202;;",
        "guardian;G-02;Andris;Kalniņš-Liepa;;;;;P-1001;father;;;;",
    )
    changed = changed.replace("pupil;P-1003;Anna;Ozola;;1.a;", "pupil;P-1003;Anna;Ozola;;7.b;")
    report = await import_people(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=changed.encode(),
        filename="p.csv",
    )
    assert (report.guardians.updated, report.pupils.updated) == (1, 1)
    async with create_session_factory(core.engine)() as session:
        person = await session.scalar(
            select(t.Person).where(t.Person.family_name == "Kalniņš-Liepa")
        )
        assert person is not None
        assert person.phone == "+37120000202"  # the empty cell did not erase it
        klass = await session.scalar(
            select(t.ClassGroup.name)
            .join(t.Enrolment, t.Enrolment.class_id == t.ClassGroup.id)
            .join(t.Person, t.Person.id == t.Enrolment.pupil_id)
            .where(t.Person.given_name == "Anna", t.Person.family_name == "Ozola")
        )
        assert klass == "7.b"


async def test_parent_known_in_another_school_is_matched_by_personal_code(core: Core) -> None:
    world = await build_world(core)
    await run_import(core, world, "people.csv")
    other = (
        "type;key;given_name;family_name;personal_code;class;grade;children\n"
        "class;;;;;3.c;3;\n"
        "pupil;B-1;Mārtiņš;Jurēvičs;;3.c;;\n"
        "guardian;B-G1;Zane;Jurēviča;010180-00004;;;B-1\n"
    )
    before = await snapshot(core)
    await import_people(
        core.uow(),
        Viewer.console(),
        school_id=world.b.school_id,
        data=other.encode(),
        filename="b.csv",
    )
    after = await snapshot(core)
    assert after["persons"] - before["persons"] == 1  # the pupil only: Zane is the same person
    async with create_session_factory(core.engine)() as session:
        zane = await session.scalar(
            select(t.Person.id).where(t.Person.personal_code == "010180-00004")
        )
        children = await session.scalar(
            select(func.count())
            .select_from(t.Guardianship)
            .where(t.Guardianship.guardian_id == zane)
        )
    assert children == 2


async def test_only_the_schools_managers_may_import(core: Core) -> None:
    world = await build_world(core)
    for person in (world.a.math_teacher, world.a.parent_5a, world.b.superuser):
        with pytest.raises(NotFound):
            await run_import(core, world, "people.csv", who=await viewer(core, person))
    report = await run_import(core, world, "people.csv", who=await viewer(core, world.a.superuser))
    assert report.pupils.created == 6


async def test_reference_to_a_database_pupil_of_another_school_is_refused(core: Core) -> None:
    world = await build_world(core)
    await run_import(core, world, "people.csv")
    foreign = "type;key;given_name;family_name;children\nguardian;X-1;Ieva;Liepa;P-1001\n"
    with pytest.raises(ImportRejected) as caught:
        await import_people(
            core.uow(),
            Viewer.console(),
            school_id=world.b.school_id,
            data=foreign.encode(),
            filename="x.csv",
        )
    assert [p.key for p in caught.value.problems] == ["import.row.unknown_child"]
