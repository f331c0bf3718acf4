"""Recording a lesson's attendance and reading a pupil's absences, on a real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.errors import InvalidInput
from core.services import attendance, lessons
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_world, viewer

SEMESTER = (date(2026, 9, 1), date(2026, 12, 18))


async def rows(core: Core, model: type[t.Base]) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_teacher_marks_absences_and_parent_sees_them(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    saved = await attendance.record_attendance(
        core.uow(),
        teacher,
        lesson_id=world.a.lesson_math,
        absent={world.a.pupil_5a: "n", world.a.pupil_5a_second: "k"},
    )
    assert saved.changed == 2
    seen = await attendance.pupil_attendance(
        core.uow(),
        await viewer(core, world.a.parent_5a),
        pupil_id=world.a.pupil_5a,
        start=SEMESTER[0],
        end=SEMESTER[1],
    )
    assert [(r.code, r.subject_name, r.period) for r in seen.rows] == [("n", "Matemātika", 2)]
    assert seen.summary.absent_lessons == 1
    assert seen.summary.pending == 1

    # Correcting: the pupil was there after all; the late one stays late.
    again = await attendance.record_attendance(
        core.uow(), teacher, lesson_id=world.a.lesson_math, absent={world.a.pupil_5a_second: "k"}
    )
    assert again.changed == 1
    assert await rows(core, t.Attendance) == 1
    assert await rows(core, t.DomainEvent) == 2  # two absences recorded, none for the removal


async def test_unknown_code_saves_nothing(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    with pytest.raises(InvalidInput) as caught:
        await attendance.record_attendance(
            core.uow(),
            teacher,
            lesson_id=world.a.lesson_math,
            absent={world.a.pupil_5a: "n", world.a.pupil_5a_second: "nv"},
        )
    assert caught.value.key == "attendance.unknown_code"
    assert await rows(core, t.Attendance) == 0


async def test_teacher_records_topic_and_homework(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    lesson = await lessons.record_lesson(
        core.uow(),
        teacher,
        group_id=world.a.math_group,
        on=date(2026, 11, 27),
        period=3,
        topic="Decimāldaļas",
        homework="42. lpp. 1.–3. uzd.",
        homework_due_on=date(2026, 11, 30),
    )
    assert (lesson.topic, lesson.homework, lesson.homework_due_on) == (
        "Decimāldaļas",
        "42. lpp. 1.–3. uzd.",
        date(2026, 11, 30),
    )
    edited = await lessons.record_lesson(
        core.uow(),
        teacher,
        group_id=world.a.math_group,
        on=date(2026, 11, 27),
        period=3,
        topic="Decimāldaļu saskaitīšana",
    )
    assert edited.id == lesson.id
    assert edited.homework is None
    with pytest.raises(InvalidInput):
        await lessons.record_lesson(
            core.uow(),
            teacher,
            group_id=world.a.math_group,
            on=date(2026, 11, 27),
            period=3,
            topic="x",
            homework="y",
            homework_due_on=date(2026, 11, 1),
        )
