"""Fuzzed files through the import services: a refusal is one of our messages and writes nothing.

Every example runs on the same database; the row count of every table is compared before and
after each refused import (a refusal must leave no partial write behind).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import DomainError
from core.services.changes_import import import_changes
from core.services.people import import_people
from core.services.timetable_import import import_timetable
from core.storage.database import create_session_factory
from core.storage.tables import Base
from tests.builders import World, build_world, viewer
from tests.fuzz.mutations import (
    FIXTURES,
    FUZZ_DB,
    SAMPLES,
    assert_clear_refusal,
    csv_rows,
    mutated_bytes,
    mutated_text,
    workbook,
)

PEOPLE = (SAMPLES / "people.csv").read_text("utf-8-sig")
TIMETABLE = (SAMPLES / "timetable.csv").read_text("utf-8-sig")
CHANGES = (SAMPLES / "changes.csv").read_text("utf-8-sig")
ASC_XML = (FIXTURES / "asc_edge_cases.xml").read_bytes()


async def counts(core: Core) -> dict[str, int]:
    async with create_session_factory(core.engine)() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def refused_or_done(core: Core, call: Any) -> bool:
    """Run one import; on a refusal check its message and that no row changed."""
    before = await counts(core)
    try:
        await call
    except DomainError as error:
        assert_clear_refusal(error)
        assert await counts(core) == before, "a refused import wrote rows"
        return False
    return True


@pytest.fixture
async def school(core: Core) -> tuple[World, Viewer]:
    world = await build_world(core)
    return world, await viewer(core, world.a.superuser)


@pytest.fixture
async def school_with_people(core: Core, school: tuple[World, Viewer]) -> tuple[World, Viewer]:
    world, manager = school
    await import_people(
        core.uow(),
        manager,
        school_id=world.a.school_id,
        data=PEOPLE.encode(),
        filename="people.csv",
    )
    return school


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@FUZZ_DB
@given(
    st.one_of(
        mutated_text(PEOPLE).map(lambda t: (_bytes(t), "people.csv")),
        mutated_bytes(PEOPLE.encode()).map(lambda b: (b, "people.csv")),
        mutated_text(PEOPLE).map(lambda t: (workbook(csv_rows(t)), "people.xlsx")),
    )
)
async def test_people_import_refuses_cleanly_and_writes_nothing(
    core: Core, school: tuple[World, Viewer], file: tuple[bytes, str]
) -> None:
    world, manager = school
    data, filename = file
    await refused_or_done(
        core,
        import_people(
            core.uow(), manager, school_id=world.a.school_id, data=data, filename=filename
        ),
    )


@FUZZ_DB
@given(
    st.one_of(
        mutated_text(TIMETABLE).map(lambda t: (_bytes(t), "timetable.csv")),
        mutated_text(TIMETABLE).map(lambda t: (workbook(csv_rows(t)), "timetable.xlsx")),
        mutated_bytes(ASC_XML).map(lambda b: (b, "timetable.xml")),
    )
)
async def test_timetable_import_refuses_cleanly_and_writes_nothing(
    core: Core, school_with_people: tuple[World, Viewer], file: tuple[bytes, str]
) -> None:
    world, manager = school_with_people
    data, filename = file
    await refused_or_done(
        core,
        import_timetable(
            core.uow(),
            manager,
            school_id=world.a.school_id,
            data=data,
            filename=filename,
            create_subjects=True,
            apply=True,
        ),
    )


@pytest.fixture
async def school_with_timetable(
    core: Core, school_with_people: tuple[World, Viewer]
) -> tuple[World, Viewer]:
    world, manager = school_with_people
    await import_timetable(
        core.uow(),
        manager,
        school_id=world.a.school_id,
        data=TIMETABLE.encode(),
        filename="timetable.csv",
        create_subjects=True,
        apply=True,
    )
    return school_with_people


@FUZZ_DB
@given(mutated_text(CHANGES).map(_bytes) | mutated_bytes(CHANGES.encode()))
async def test_changes_import_refuses_cleanly_and_writes_nothing(
    core: Core, school_with_timetable: tuple[World, Viewer], data: bytes
) -> None:
    world, manager = school_with_timetable
    await refused_or_done(
        core,
        import_changes(
            core.uow(),
            manager,
            school_id=world.a.school_id,
            data=data,
            filename="changes.csv",
            apply=True,
        ),
    )
