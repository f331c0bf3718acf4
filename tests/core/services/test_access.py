"""The policy refusing, through the real services and storage (rule: nobody crosses lines)."""

from __future__ import annotations

from datetime import date

import pytest

from core.bootstrap import Core
from core.errors import NotAllowed, NotFound
from core.services import attendance, lessons, marks
from tests.builders import build_world, viewer

AUTUMN = (date(2026, 9, 1), date(2026, 12, 31))


async def test_parent_reads_own_child_but_not_another_pupil(core: Core) -> None:
    world = await build_world(core)
    parent = await viewer(core, world.a.parent_5a)
    own = await marks.pupil_marks(
        core.uow(), parent, pupil_id=world.a.pupil_5a, start=AUTUMN[0], end=AUTUMN[1]
    )
    assert own.pupil_id == world.a.pupil_5a
    with pytest.raises(NotFound):
        await marks.pupil_marks(
            core.uow(), parent, pupil_id=world.a.pupil_5a_second, start=AUTUMN[0], end=AUTUMN[1]
        )
    with pytest.raises(NotFound):
        await attendance.pupil_attendance(
            core.uow(), parent, pupil_id=world.a.pupil_5a_second, start=AUTUMN[0], end=AUTUMN[1]
        )


async def test_pupil_reads_only_themselves(core: Core) -> None:
    world = await build_world(core)
    pupil = await viewer(core, world.a.pupil_5a)
    await marks.pupil_marks(
        core.uow(), pupil, pupil_id=world.a.pupil_5a, start=AUTUMN[0], end=AUTUMN[1]
    )
    with pytest.raises(NotFound):
        await marks.pupil_marks(
            core.uow(), pupil, pupil_id=world.a.pupil_5a_second, start=AUTUMN[0], end=AUTUMN[1]
        )


async def test_teacher_cannot_write_to_a_group_they_do_not_teach(core: Core) -> None:
    world = await build_world(core)
    other = await viewer(core, world.a.other_teacher)
    with pytest.raises(NotFound):
        await marks.create_assessment(
            core.uow(), other, group_id=world.a.math_group, on=date(2026, 11, 26), title="Tests"
        )
    with pytest.raises(NotFound):
        await lessons.record_lesson(
            core.uow(),
            other,
            group_id=world.a.math_group,
            on=date(2026, 11, 26),
            period=2,
            topic="x",
        )
    with pytest.raises(NotFound):
        await attendance.record_attendance(
            core.uow(), other, lesson_id=world.a.lesson_math, absent={world.a.pupil_5a: "n"}
        )


async def test_class_teacher_of_another_class_may_read_group_but_not_write(core: Core) -> None:
    world = await build_world(core)
    # The Latvian teacher is class teacher of 2.a; the superuser manages the school.
    superuser = await viewer(core, world.a.superuser)
    with pytest.raises(NotAllowed):
        await marks.create_assessment(
            core.uow(), superuser, group_id=world.a.math_group, on=date(2026, 11, 26), title="T"
        )


async def test_nobody_reads_another_schools_data(core: Core) -> None:
    world = await build_world(core)
    for person in (world.a.superuser, world.a.director, world.a.math_teacher, world.a.parent_5a):
        someone = await viewer(core, person)
        with pytest.raises(NotFound):
            await marks.pupil_marks(
                core.uow(), someone, pupil_id=world.b.pupil_5a, start=AUTUMN[0], end=AUTUMN[1]
            )
    teacher = await viewer(core, world.a.math_teacher)
    with pytest.raises(NotFound):
        await marks.create_assessment(
            core.uow(), teacher, group_id=world.b.math_group, on=date(2026, 11, 26), title="T"
        )


async def test_managers_and_class_teacher_read_their_school(core: Core) -> None:
    world = await build_world(core)
    for person in (world.a.superuser, world.a.director, world.a.math_teacher):
        someone = await viewer(core, person)
        result = await marks.pupil_marks(
            core.uow(), someone, pupil_id=world.a.pupil_5a, start=AUTUMN[0], end=AUTUMN[1]
        )
        assert result.pupil_id == world.a.pupil_5a
    # The 2.a class teacher teaches nothing to 5.a: no access to a 5.a pupil.
    stranger = await viewer(core, world.a.latvian_teacher)
    with pytest.raises(NotFound):
        await marks.pupil_marks(
            core.uow(), stranger, pupil_id=world.a.pupil_5a, start=AUTUMN[0], end=AUTUMN[1]
        )


async def test_deactivated_person_sees_nothing(core: Core) -> None:
    from sqlalchemy import update

    from core.storage import tables as t
    from core.storage.database import create_session_factory

    world = await build_world(core)
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Person).where(t.Person.id == world.a.parent_5a).values(is_active=False)
        )
    parent = await viewer(core, world.a.parent_5a)
    with pytest.raises(NotFound):
        await marks.pupil_marks(
            core.uow(), parent, pupil_id=world.a.pupil_5a, start=AUTUMN[0], end=AUTUMN[1]
        )
