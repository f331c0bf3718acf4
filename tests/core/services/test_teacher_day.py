"""A teacher's day: lessons with published changes applied, the lesson card, substitutes, files."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import InvalidInput, NotAllowed, NotFound
from core.services.attendance import record_attendance
from core.services.lessons import record_lesson
from core.services.teacher_day import (
    MAX_FILE_BYTES,
    attach_homework_file,
    homework_files,
    lesson_card,
    record_substitute,
    save_attendance,
    set_homework,
    set_homework_due,
    set_topic,
    substitute_options,
    teacher_day,
)
from core.services.timetable_changes import add_change, day_plan, publish_changes
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_timetable, build_world, viewer

FRIDAY = date(2026, 11, 27)  # the clock's today
MONDAY = date(2026, 11, 30)  # 5.a mathematics period 1 (room 101), 2.a Latvian period 2
TUESDAY = date(2026, 12, 1)  # 5.a mathematics period 2
WEDNESDAY = date(2026, 12, 2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


@pytest.fixture
async def world(core: Core) -> World:
    world = await build_world(core)
    await build_timetable(core, world)
    return world


async def publish(
    core: Core, world: World, on: date, group_id: int, period: int, **kw: Any
) -> None:
    """The superuser enters one change of a timetable lesson (or an extra one) and publishes."""
    boss = await viewer(core, world.a.superuser)
    if kw.get("kind") != "extra":
        plan = await day_plan(core.uow(), boss, school_id=world.a.school_id, on=on)
        [lesson] = [x for x in plan.lessons if (x.group_id, x.period) == (group_id, period)]
        kw["slot_id"] = lesson.slot_id
    else:
        kw.update(group_id=group_id, period=period)
    await add_change(core.uow(), boss, school_id=world.a.school_id, on=on, **kw)
    await publish_changes(core.uow(), boss, school_id=world.a.school_id, on=on)


async def count(core: Core, model: Any, *where: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(await session.scalar(query) or 0)


async def lesson_row(core: Core, group_id: int, on: date, period: int) -> t.Lesson | None:
    async with create_session_factory(core.engine)() as session:
        return await session.scalar(
            select(t.Lesson).where(
                t.Lesson.group_id == group_id, t.Lesson.on_date == on, t.Lesson.period == period
            )
        )


# ---------------------------------------------------------------- the day


async def test_the_day_lists_the_teachers_lessons_with_bells_room_and_state(
    core: Core, world: World
) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    day = await teacher_day(core.uow(), math, on=MONDAY)
    [lesson] = day.lessons
    assert (lesson.group_id, lesson.period, lesson.room) == (a.math_group, 1, "101")
    assert (lesson.subject, lesson.class_names) == ("Matemātika", ("5.a",))
    assert (lesson.starts_at, lesson.ends_at) == (time(8, 30), time(9, 10))
    assert (lesson.topic_set, lesson.homework_set, lesson.attendance_taken) == (
        False,
        False,
        False,
    )
    assert (lesson.change, lesson.substitute, lesson.done) == (None, False, False)
    assert (day.previous, day.next) == (None, TUESDAY)  # Monday: nothing before in this week

    await set_topic(core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, topic="Daļas")
    await save_attendance(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, absent={a.pupil_5a: "n"}
    )
    [lesson] = (await teacher_day(core.uow(), math, on=MONDAY)).lessons
    assert (lesson.topic_set, lesson.attendance_taken, lesson.absences, lesson.done) == (
        True,
        True,
        1,
        True,
    )

    today = await teacher_day(core.uow(), math)  # the clock's Friday: no lessons
    assert (today.on, today.lessons, today.is_school_day) == (FRIDAY, (), True)
    assert (today.previous, today.next) == (date(2026, 11, 26), None)


async def test_a_pupil_or_parent_has_no_teachers_day(core: Core, world: World) -> None:
    for person in (world.a.pupil_5a, world.a.parent_5a):
        with pytest.raises(NotAllowed) as refused:
            await teacher_day(core.uow(), await viewer(core, person), on=MONDAY)
        assert refused.value.key == "teacher_day.teachers_only"


async def test_a_substitute_sees_and_fills_in_the_lesson_the_absent_teacher_loses_it(
    core: Core, world: World
) -> None:
    a = world.a
    await publish(
        core, world, MONDAY, a.math_group, 1, kind="substitution", teacher_id=a.other_teacher
    )
    math = await viewer(core, a.math_teacher)
    other = await viewer(core, a.other_teacher)
    assert (await teacher_day(core.uow(), math, on=MONDAY)).lessons == ()
    [lesson] = (await teacher_day(core.uow(), other, on=MONDAY)).lessons
    assert (lesson.group_id, lesson.period, lesson.room) == (a.math_group, 1, "101")
    assert (lesson.change, lesson.substitute) == ("substitution", True)

    card = await set_topic(
        core.uow(), other, group_id=a.math_group, on=MONDAY, period=1, topic="Atkārtošana"
    )
    assert card.may_reassign is False
    await save_attendance(
        core.uow(), other, group_id=a.math_group, on=MONDAY, period=1, absent={a.pupil_5a: "k"}
    )
    row = await lesson_row(core, a.math_group, MONDAY, 1)
    assert row is not None
    assert (row.teacher_id, row.is_substitution, row.topic) == (
        a.other_teacher,
        True,
        "Atkārtošana",
    )
    assert await count(core, t.Attendance, t.Attendance.lesson_id == row.id) == 1

    # ... and nothing else of that group: not Tuesday's lesson, not the old journal.
    with pytest.raises(NotFound):
        await lesson_card(core.uow(), other, group_id=a.math_group, on=TUESDAY, period=2)
    with pytest.raises(NotFound):
        await record_lesson(
            core.uow(), other, group_id=a.math_group, on=TUESDAY, period=2, topic="x"
        )
    with pytest.raises(NotFound):
        await record_attendance(
            core.uow(), other, lesson_id=a.lesson_math, absent={a.pupil_5a: "n"}
        )
    with pytest.raises(NotAllowed) as refused:
        await record_substitute(
            core.uow(), other, group_id=a.math_group, on=MONDAY, period=1, teacher_id=None
        )
    assert refused.value.key == "teacher_day.not_for_substitutes"


async def test_cancelled_moved_and_extra_lessons(core: Core, world: World) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    latvian = await viewer(core, a.latvian_teacher)
    await publish(core, world, MONDAY, a.latvian_group, 2, kind="cancel")
    assert (await teacher_day(core.uow(), latvian, on=MONDAY)).lessons == ()
    with pytest.raises(NotFound) as missing:
        await lesson_card(core.uow(), latvian, group_id=a.latvian_group, on=MONDAY, period=2)
    assert missing.value.key == "lesson.not_found"

    await publish(
        core, world, TUESDAY, a.math_group, 2, kind="move", new_date=WEDNESDAY, new_period=4
    )
    assert (await teacher_day(core.uow(), math, on=TUESDAY)).lessons == ()
    [moved] = (await teacher_day(core.uow(), math, on=WEDNESDAY)).lessons
    assert (moved.group_id, moved.period, moved.change, moved.room) == (
        a.math_group,
        4,
        "moved_here",
        "101",
    )

    await publish(
        core, world, MONDAY, a.math_group, 5, kind="extra", teacher_id=a.other_teacher, room="7"
    )
    other = await viewer(core, a.other_teacher)
    [extra] = (await teacher_day(core.uow(), other, on=MONDAY)).lessons
    assert (extra.period, extra.change, extra.substitute, extra.room) == (5, "extra", True, "7")
    card = await lesson_card(core.uow(), other, group_id=a.math_group, on=MONDAY, period=5)
    assert [entry.short_name for entry in card.roster] == ["Alfa-Bērziņš J.", "Alfa-Kalniņa A."]


async def test_a_room_change_shows_the_new_room(core: Core, world: World) -> None:
    a = world.a
    await publish(core, world, MONDAY, a.math_group, 1, kind="room", room="204")
    [lesson] = (
        await teacher_day(core.uow(), await viewer(core, a.math_teacher), on=MONDAY)
    ).lessons
    assert (lesson.room, lesson.change) == ("204", "room")


# ---------------------------------------------------------------- card, homework, due date


async def test_homework_is_due_at_the_groups_next_lesson_by_default(
    core: Core, world: World
) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    card = await lesson_card(core.uow(), math, group_id=a.math_group, on=MONDAY, period=1)
    assert card.due_options == (TUESDAY, date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 14))
    card = await set_homework(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, homework="Uzd. 5"
    )
    assert (card.homework, card.homework_due_on) == ("Uzd. 5", TUESDAY)

    card = await set_homework_due(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, due_on=date(2026, 12, 7)
    )
    assert card.homework_due_on == date(2026, 12, 7)
    card = await set_topic(core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, topic="T")
    assert (card.topic, card.homework, card.homework_due_on) == ("T", "Uzd. 5", date(2026, 12, 7))


async def test_the_due_date_follows_published_changes(core: Core, world: World) -> None:
    a = world.a
    await publish(core, world, TUESDAY, a.math_group, 2, kind="cancel")
    math = await viewer(core, a.math_teacher)
    card = await set_homework(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, homework="Uzd. 6"
    )
    assert card.homework_due_on == date(2026, 12, 7)


async def test_without_a_timetable_homework_is_due_the_next_school_day(core: Core) -> None:
    world = await build_world(core)  # no timetable: only the recorded lesson of Thursday
    a = world.a
    math = await viewer(core, a.math_teacher)
    card = await set_homework(
        core.uow(), math, group_id=a.math_group, on=date(2026, 11, 26), period=2, homework="Lasīt"
    )
    assert (card.due_options, card.homework_due_on) == ((), FRIDAY)
    with pytest.raises(InvalidInput) as bad:
        await set_homework_due(
            core.uow(),
            math,
            group_id=a.math_group,
            on=date(2026, 11, 26),
            period=2,
            due_on=date(2026, 11, 25),
        )
    assert bad.value.key == "lesson.due_before_lesson"


async def test_files_are_attached_and_read_back_by_the_group_and_its_families(
    core: Core, world: World
) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    stored = await attach_homework_file(
        core.uow(),
        math,
        group_id=a.math_group,
        on=MONDAY,
        period=1,
        filename="C:\\Users\\m\\lapa.png",
        mime="image/png",
        data=PNG,
    )
    assert (stored.filename, stored.mime_type, stored.size) == ("lapa.png", "image/png", len(PNG))
    card = await lesson_card(core.uow(), math, group_id=a.math_group, on=MONDAY, period=1)
    assert [f.filename for f in card.files] == ["lapa.png"]
    assert card.lesson.homework_set
    assert card.lesson.lesson_id is not None

    for reader in (a.pupil_5a, a.parent_5a, a.math_teacher, a.superuser):
        [file] = await homework_files(
            core.uow(), await viewer(core, reader), card.lesson.lesson_id
        )
        assert file.data == PNG
    for stranger in (a.pupil_2a, a.other_teacher, world.b.parent_5a):
        with pytest.raises(NotFound):
            await homework_files(core.uow(), await viewer(core, stranger), card.lesson.lesson_id)


@pytest.mark.parametrize(
    ("mime", "data", "key"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_FILE_BYTES, "teacher_day.file_too_big"),
        ("text/html", b"<html></html>", "teacher_day.file_type"),
        ("application/x-msdownload", b"MZ\x90\x00", "teacher_day.file_type"),
        ("application/pdf", PNG, "teacher_day.file_content"),
        ("image/png", b"", "teacher_day.file_empty"),
    ],
)
async def test_files_too_big_or_of_the_wrong_type_are_refused_and_nothing_is_saved(
    core: Core, world: World, mime: str, data: bytes, key: str
) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    with pytest.raises(InvalidInput) as refused:
        await attach_homework_file(
            core.uow(),
            math,
            group_id=a.math_group,
            on=MONDAY,
            period=1,
            filename="x",
            mime=mime,
            data=data,
        )
    assert refused.value.key == key
    assert await count(core, t.StoredFile) == 0
    assert await lesson_row(core, a.math_group, MONDAY, 1) is None


async def test_a_pdf_and_office_documents_are_accepted(core: Core, world: World) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    for name, mime, data in (("a.pdf", "application/pdf", PDF), ("b.docx", docx, b"PK\x03\x04x")):
        await attach_homework_file(
            core.uow(),
            math,
            group_id=a.math_group,
            on=MONDAY,
            period=1,
            filename=name,
            mime=mime,
            data=data,
        )
    assert await count(core, t.LessonFile) == 2


# ---------------------------------------------------------------- who may


async def test_another_teachers_group_is_refused_and_nothing_changes(
    core: Core, world: World
) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    calls = [
        lesson_card(core.uow(), math, group_id=a.latvian_group, on=MONDAY, period=2),
        set_topic(core.uow(), math, group_id=a.latvian_group, on=MONDAY, period=2, topic="x"),
        save_attendance(
            core.uow(),
            math,
            group_id=a.latvian_group,
            on=MONDAY,
            period=2,
            absent={a.pupil_2a: "n"},
        ),
        attach_homework_file(
            core.uow(),
            math,
            group_id=a.latvian_group,
            on=MONDAY,
            period=2,
            filename="a.png",
            mime="image/png",
            data=PNG,
        ),
        lesson_card(core.uow(), math, group_id=world.b.math_group, on=MONDAY, period=1),
    ]
    for call in calls:
        with pytest.raises(NotFound) as refused:
            await call
        assert refused.value.key == "group.not_found"
    assert await lesson_row(core, a.latvian_group, MONDAY, 2) is None
    assert await count(core, t.StoredFile) == 0

    # A class teacher reads the journal of a group of their class but does not write to it.
    boss = Viewer(
        person_id=a.latvian_teacher,
        staff_roles=frozenset({(a.school_id, "teacher")}),  # type: ignore[arg-type]
        class_teacher_of=frozenset({a.class_5a}),
    )
    with pytest.raises(NotAllowed):
        await lesson_card(core.uow(), boss, group_id=a.math_group, on=MONDAY, period=1)


async def test_a_period_the_group_has_no_lesson_in_is_not_found(core: Core, world: World) -> None:
    math = await viewer(core, world.a.math_teacher)
    for period in (3, 15):
        with pytest.raises(NotFound):
            await lesson_card(
                core.uow(), math, group_id=world.a.math_group, on=MONDAY, period=period
            )
    with pytest.raises(InvalidInput):
        await lesson_card(core.uow(), math, group_id=world.a.math_group, on=MONDAY, period=99)


async def test_attendance_saves_once_and_later_edits_are_audited(core: Core, world: World) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    card = await save_attendance(
        core.uow(),
        math,
        group_id=a.math_group,
        on=MONDAY,
        period=1,
        absent={a.pupil_5a: "n", a.pupil_5a_second: "k"},
    )
    assert [(e.number, e.family_name, e.code) for e in card.roster] == [
        (1, "Alfa-Bērziņš", "n"),
        (2, "Alfa-Kalniņa", "k"),
    ]
    assert card.cycle == ("n", "k")
    card = await save_attendance(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, absent={a.pupil_5a: "n"}
    )
    assert card.absent == {a.pupil_5a: "n"}
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "attendance.set") == 3
    with pytest.raises(InvalidInput):
        await save_attendance(
            core.uow(),
            math,
            group_id=a.math_group,
            on=MONDAY,
            period=1,
            absent={a.pupil_2a: "n"},
        )
    with pytest.raises(InvalidInput):
        await save_attendance(
            core.uow(),
            math,
            group_id=a.math_group,
            on=MONDAY,
            period=1,
            absent={a.pupil_5a: "zz"},
        )
    assert (
        await lesson_card(core.uow(), math, group_id=a.math_group, on=MONDAY, period=1)
    ).absent == {a.pupil_5a: "n"}


async def test_the_groups_teacher_records_who_substituted(core: Core, world: World) -> None:
    a = world.a
    math = await viewer(core, a.math_teacher)
    options = await substitute_options(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1
    )
    assert [c.short_name for c in options] == [
        "Alfa-Sportists P.",
        "Alfa-Valodniece I.",
        "Alfa-Vietniece I.",
    ]
    card = await record_substitute(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, teacher_id=a.other_teacher
    )
    assert card.taught_by == "Pēteris Alfa-Sportists"
    row = await lesson_row(core, a.math_group, MONDAY, 1)
    assert row is not None
    assert (row.teacher_id, row.is_substitution) == (a.other_teacher, True)
    card = await record_substitute(
        core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, teacher_id=None
    )
    assert card.taught_by is None
    for nobody in (a.pupil_5a, a.director, world.b.math_teacher):
        with pytest.raises(InvalidInput) as bad:
            await record_substitute(
                core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, teacher_id=nobody
            )
        assert bad.value.key == "teacher_day.colleague_unknown"
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "lesson.substitute") == 2


async def test_a_published_substitution_cannot_be_overridden_from_the_card(
    core: Core, world: World
) -> None:
    a = world.a
    await publish(
        core, world, MONDAY, a.math_group, 1, kind="substitution", teacher_id=a.other_teacher
    )
    math = await viewer(core, a.math_teacher)
    card = await lesson_card(core.uow(), math, group_id=a.math_group, on=MONDAY, period=1)
    assert card.may_reassign is False
    with pytest.raises(InvalidInput) as refused:
        await record_substitute(
            core.uow(), math, group_id=a.math_group, on=MONDAY, period=1, teacher_id=a.superuser
        )
    assert refused.value.key == "teacher_day.substitution_published"
