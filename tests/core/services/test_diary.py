"""A pupil's diary and homework: the journal laid over the changed timetable, and access."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import event, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import NotFound
from core.services.diary import (
    DiaryAttendance,
    DiaryLesson,
    DiaryWeek,
    homework_file,
    pupil_diary,
    pupil_homework,
)
from core.services.marks import create_assessment, record_marks
from core.services.teacher_day import (
    attach_homework_file,
    save_attendance,
    set_homework,
    set_topic,
)
from core.services.timetable_changes import add_change, day_plan, publish_changes
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import WEEK_TIMETABLE_CSV, World, build_world, insert, viewer

THURSDAY = date(2026, 11, 26)  # the builders' lesson_math: a lesson outside the timetable
FRIDAY = date(2026, 11, 27)  # the clock's today
MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
# The builders' week and a third 5.a mathematics lesson on Wednesday, period 3.
DIARY_CSV = WEEK_TIMETABLE_CSV + "T;3;5.a;;MAT;Māra {a}-Matemātiķe;101;\n"
MATH_TEACHER = "Māra Alfa-Matemātiķe"


@pytest.fixture
async def world(core: Core) -> World:
    world = await build_world(core)
    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=DIARY_CSV.format(a="Alfa").encode(),
        filename="week.csv",
        apply=True,
    )
    return world


async def publish(core: Core, world: World, on: date, period: int, **kw: Any) -> None:
    """The superuser changes 5.a mathematics of a date and period, and publishes."""
    boss = await viewer(core, world.a.superuser)
    plan = await day_plan(core.uow(), boss, school_id=world.a.school_id, on=on)
    [lesson] = [x for x in plan.lessons if (x.group_id, x.period) == (world.a.math_group, period)]
    await add_change(
        core.uow(), boss, school_id=world.a.school_id, on=on, slot_id=lesson.slot_id, **kw
    )
    await publish_changes(core.uow(), boss, school_id=world.a.school_id, on=on)


async def fill_next_week(core: Core, world: World) -> dict[str, int]:
    """Monday's mathematics filled in, Tuesday's substituted, Wednesday's cancelled; 2.a marked."""
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    lesson: dict[str, Any] = {"group_id": a.math_group, "on": MONDAY, "period": 1}
    await set_topic(core.uow(), teacher, **lesson, topic="Daļskaitļi")
    await set_homework(core.uow(), teacher, **lesson, homework="Uzd. 12", due_on=TUESDAY)
    png = await attach_homework_file(
        core.uow(), teacher, **lesson, filename="uzd.png", mime="image/png", data=PNG
    )
    pdf = await attach_homework_file(
        core.uow(), teacher, **lesson, filename="lapa.pdf", mime="application/pdf", data=PDF
    )
    await save_attendance(core.uow(), teacher, **lesson, absent={a.pupil_5a: "n"})
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=MONDAY, title="Kontroldarbs"
    )
    await record_marks(
        core.uow(),
        teacher,
        assessment_id=test.id,
        entries={a.pupil_5a: "8", a.pupil_5a_second: "nv"},
    )
    await publish(core, world, TUESDAY, 2, kind="substitution", teacher_id=a.other_teacher)
    await publish(core, world, WEDNESDAY, 3, kind="cancel", note="Ekskursija")
    latvian = await viewer(core, a.latvian_teacher)
    levels = await create_assessment(
        core.uow(), latvian, group_id=a.latvian_group, on=MONDAY, title="Lasīšana"
    )
    await record_marks(core.uow(), latvian, assessment_id=levels.id, entries={a.pupil_2a: "A"})
    return {"png": png.id, "pdf": pdf.id}


def by_period(week: DiaryWeek, on: date) -> dict[int, DiaryLesson]:
    day = week.day(on)
    assert day is not None
    return {lesson.period: lesson for lesson in day.lessons}


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(core.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(core.engine.sync_engine, "before_cursor_execute", record)


async def audit_actions(core: Core) -> list[str]:
    async with create_session_factory(core.engine)() as session:
        return list(await session.scalars(select(t.AuditEntry.action).order_by(t.AuditEntry.id)))


# ---------------------------------------------------------------- the week


async def test_a_week_with_topic_homework_files_marks_absence_and_changes(
    core: Core, world: World
) -> None:
    a = world.a
    files = await fill_next_week(core, world)
    parent = await viewer(core, a.parent_5a)
    week = await pupil_diary(core.uow(), parent, pupil_id=a.pupil_5a, week_of=WEDNESDAY)

    assert (week.pupil.full_name, week.pupil.class_name) == ("Jānis Alfa-Bērziņš", "5.a")
    assert (week.monday, week.today, week.next_school_day) == (MONDAY, FRIDAY, MONDAY)
    assert [day.on.day for day in week.days] == [30, 1, 2, 3, 4]  # Mon–Fri
    assert {c.code for c in week.codes} >= {"n", "k"}

    monday = by_period(week, MONDAY)
    assert list(monday) == [1]  # 2.a Latvian is Ērika's, not Jānis's
    math = monday[1]
    assert (math.starts_at, math.ends_at) == (time(8, 30), time(9, 10))
    assert (math.subject, math.room, math.teachers, math.change) == (
        "Matemātika",
        "101",
        (MATH_TEACHER,),
        None,
    )
    assert (math.topic, math.homework, math.homework_due_on) == ("Daļskaitļi", "Uzd. 12", TUESDAY)
    assert [(f.id, f.name, f.kind) for f in math.files] == [
        (files["png"], "uzd.png", "image"),
        (files["pdf"], "lapa.pdf", "document"),
    ]
    assert [(m.title, m.label("lv")) for m in math.marks] == [("Kontroldarbs", "8")]
    assert math.attendance == DiaryAttendance("n", "pending")

    tuesday = by_period(week, TUESDAY)[2]
    assert tuesday.change == "substituted"
    assert tuesday.teachers == ("Pēteris Alfa-Sportists",)
    assert tuesday.original_teachers == (MATH_TEACHER,)
    assert (tuesday.lesson_id, tuesday.topic, tuesday.marks) == (None, None, ())

    wednesday = by_period(week, WEDNESDAY)[3]
    assert (wednesday.change, wednesday.held, wednesday.note) == ("cancelled", False, "Ekskursija")
    assert by_period(week, date(2026, 12, 3)) == {}


async def test_the_other_pupils_of_the_group_see_their_own_marks_and_absences(
    core: Core, world: World
) -> None:
    a = world.a
    await fill_next_week(core, world)
    parent = await viewer(core, a.parent_5a_second)
    week = await pupil_diary(core.uow(), parent, pupil_id=a.pupil_5a_second, week_of=MONDAY)
    math = by_period(week, MONDAY)[1]
    assert math.topic == "Daļskaitļi"  # the lesson is the same
    assert [m.label("lv") for m in math.marks] == ["nv"]
    assert math.attendance is None  # present


async def test_learning_levels_show_as_words_in_the_readers_language(
    core: Core, world: World
) -> None:
    a = world.a
    await fill_next_week(core, world)
    week = await pupil_diary(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_2a, week_of=MONDAY
    )
    latvian = by_period(week, MONDAY)[2]
    assert latvian.subject == "Latviešu valoda"
    [mark] = latvian.marks
    assert (mark.label("lv"), mark.label("en")) == ("apguvis", "has learned")


async def test_a_lesson_held_outside_the_timetable_is_listed_as_extra(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    await set_topic(
        core.uow(), teacher, group_id=a.math_group, on=THURSDAY, period=2, topic="Atkārtojums"
    )
    week = await pupil_diary(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    assert week.monday == date(2026, 11, 23)  # this week by default
    extra = by_period(week, THURSDAY)[2]
    assert (extra.change, extra.topic, extra.teachers, extra.room) == (
        "extra",
        "Atkārtojums",
        (MATH_TEACHER,),
        None,
    )
    assert extra.lesson_id == a.lesson_math


async def test_marks_of_a_day_without_a_lesson_of_the_group_are_kept(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=date(2026, 12, 4), title="Ieskaite"
    )
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "9"})
    week = await pupil_diary(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a, week_of=MONDAY
    )
    friday = week.day(date(2026, 12, 4))
    assert friday is not None
    assert friday.lessons == ()
    assert [(m.subject, m.title, m.label("lv")) for m in friday.other_marks] == [
        ("Matemātika", "Ieskaite", "9")
    ]


async def test_a_day_off_and_days_outside_the_semester(core: Core, world: World) -> None:
    a = world.a
    await insert(
        core,
        t.DayOff(
            school_year_id=a.year_id,
            starts_on=date(2026, 11, 18),
            ends_on=date(2026, 11, 18),
            name="Latvijas Republikas proklamēšanas diena",
        ),
        t.DayOff(
            school_year_id=a.year_id,
            starts_on=date(2026, 11, 16),
            ends_on=date(2026, 11, 16),
            name="Brīvdiena 1.–3. klasēm",
            grades="1,2,3",
        ),
    )
    parent = await viewer(core, a.parent_5a)
    holiday = await pupil_diary(
        core.uow(), parent, pupil_id=a.pupil_5a, week_of=date(2026, 11, 18)
    )
    wednesday = holiday.day(date(2026, 11, 18))
    assert wednesday is not None
    assert (wednesday.day_off, wednesday.lessons) == (
        "Latvijas Republikas proklamēšanas diena",
        (),
    )
    assert list(by_period(holiday, date(2026, 11, 16))) == [1]  # Monday as usual for 5.a
    younger = await pupil_diary(
        core.uow(), parent, pupil_id=a.pupil_2a, week_of=date(2026, 11, 16)
    )
    assert (younger.days[0].day_off, younger.days[0].lessons) == ("Brīvdiena 1.–3. klasēm", ())

    first = await pupil_diary(core.uow(), parent, pupil_id=a.pupil_5a, week_of=date(2026, 9, 1))
    monday, tuesday = first.days[0], first.days[1]
    assert (monday.on, monday.in_term, monday.lessons) == (date(2026, 8, 31), False, ())
    assert tuesday.in_term
    assert [x.period for x in tuesday.lessons] == [2]

    before = await pupil_diary(core.uow(), parent, pupil_id=a.pupil_5a, week_of=date(2020, 1, 1))
    assert before.days == ()


async def test_a_week_costs_a_handful_of_queries_however_full_it_is(
    core: Core, world: World
) -> None:
    a = world.a
    parent = await viewer(core, a.parent_5a)
    await fill_next_week(core, world)
    with statements(core) as few:
        await pupil_diary(core.uow(), parent, pupil_id=a.pupil_5a, week_of=MONDAY)
    now = core.clock.now()
    for day, period in ((TUESDAY, 4), (date(2026, 12, 3), 4), (date(2026, 12, 4), 5)):
        [lesson, stored] = await insert(
            core,
            t.Lesson(
                school_id=a.school_id,
                group_id=a.math_group,
                on_date=day,
                period=period,
                homework="Lasīt",
                homework_due_on=day,
                created_at=now,
                updated_at=now,
            ),
            t.StoredFile(
                filename="a.pdf",
                mime_type="application/pdf",
                size=1,
                sha256="0",
                content=PDF,
                created_at=now,
            ),
        )
        await insert(
            core,
            t.LessonFile(lesson_id=lesson, file_id=stored, purpose="homework"),
            t.Attendance(
                school_id=a.school_id,
                lesson_id=lesson,
                pupil_id=a.pupil_5a,
                on_date=day,
                code="k",
                recorded_at=now,
                updated_at=now,
            ),
        )
    with statements(core) as many:
        week = await pupil_diary(core.uow(), parent, pupil_id=a.pupil_5a, week_of=MONDAY)
    assert sum(len(d.lessons) for d in week.days) == 6  # three of them outside the timetable
    assert len(many) == len(few) <= 30


# ---------------------------------------------------------------- homework


async def test_homework_due_tomorrow_and_later_this_school_week(core: Core, world: World) -> None:
    a = world.a
    files = await fill_next_week(core, world)
    teacher = await viewer(core, a.math_teacher)
    await set_homework(  # set on Thursday, due on Monday
        core.uow(), teacher, group_id=a.math_group, on=THURSDAY, period=2, homework="Lasīt 5. lpp."
    )
    await set_homework(  # due on the cancelled Wednesday lesson: no period that day
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=TUESDAY,
        period=2,
        homework="Projekts",
        due_on=WEDNESDAY,
    )
    for day, period, text, due in (
        (date(2026, 11, 23), 1, "Vēlāk", date(2026, 12, 7)),  # due next week: not yet
        (date(2026, 11, 24), 2, "Šodienai", FRIDAY),  # due today: done already
    ):
        await set_homework(
            core.uow(),
            teacher,
            group_id=a.math_group,
            on=day,
            period=period,
            homework=text,
            due_on=due,
        )
    result = await pupil_homework(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    assert (result.today, result.tomorrow, result.until) == (FRIDAY, MONDAY, date(2026, 12, 6))
    assert [(i.due_on, i.period, i.subject, i.given_on, i.text) for i in result.items] == [
        (MONDAY, 1, "Matemātika", THURSDAY, "Lasīt 5. lpp."),
        (TUESDAY, 2, "Matemātika", MONDAY, "Uzd. 12"),
        (WEDNESDAY, None, "Matemātika", TUESDAY, "Projekts"),
    ]
    assert [f.id for f in result.items[1].files] == [files["png"], files["pdf"]]

    sister = await pupil_homework(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_2a, on=WEDNESDAY
    )
    assert (sister.tomorrow, sister.until, sister.items) == (
        date(2026, 12, 3),
        date(2026, 12, 6),
        (),
    )


async def test_homework_files_go_to_pupils_of_the_group_only(core: Core, world: World) -> None:
    a = world.a
    files = await fill_next_week(core, world)
    parent = await viewer(core, a.parent_5a)
    got = await homework_file(core.uow(), parent, pupil_id=a.pupil_5a, file_id=files["png"])
    assert (got.filename, got.mime_type, got.data) == ("uzd.png", "image/png", PNG)
    # The classmate's parent gets it too: the same group.
    second = await viewer(core, a.parent_5a_second)
    got = await homework_file(core.uow(), second, pupil_id=a.pupil_5a_second, file_id=files["pdf"])
    assert got.data == PDF
    # Not through a child outside the group, nor for another parent's child, nor a made-up id.
    for who, pupil, file_id, key in (
        (parent, a.pupil_2a, files["png"], "diary.file_not_found"),
        (second, a.pupil_5a, files["png"], "pupil.not_found"),
        (parent, a.pupil_5a, 10**12, "diary.file_not_found"),
        (parent, a.pupil_5a, -(2**63), "diary.file_not_found"),  # as a packed button can carry
        (parent, 2**63, files["png"], "pupil.not_found"),
        (await viewer(core, world.b.parent_5a), a.pupil_5a, files["png"], "pupil.not_found"),
    ):
        with pytest.raises(NotFound) as refused:
            await homework_file(core.uow(), who, pupil_id=pupil, file_id=file_id)
        assert refused.value.key == key


# ---------------------------------------------------------------- who may read


async def test_strangers_and_crafted_ids_get_not_found(core: Core, world: World) -> None:
    a = world.a
    await fill_next_week(core, world)
    other_parent = await viewer(core, a.parent_5a_second)
    pupil = await viewer(core, a.pupil_5a)
    foreign_teacher = await viewer(core, world.b.math_teacher)
    for who, pupil_id in (
        (other_parent, a.pupil_5a),  # the other parent's child
        (pupil, a.pupil_5a_second),  # a classmate
        (pupil, a.pupil_2a),  # a sibling
        (foreign_teacher, a.pupil_5a),  # staff of another school
        (await viewer(core, a.parent_5a), 10**12),  # an id that is nobody
        (await viewer(core, a.parent_5a), -(2**63)),  # the longest a button can carry
        (await viewer(core, a.parent_5a), a.math_teacher),  # a person who is no pupil
    ):
        for call in (pupil_diary, pupil_homework):
            with pytest.raises(NotFound) as refused:
                await call(core.uow(), who, pupil_id=pupil_id)
            assert refused.value.key == "pupil.not_found"
    inactive = Viewer(person_id=a.parent_5a, children=frozenset({a.pupil_5a}), active=False)
    with pytest.raises(NotFound):
        await pupil_diary(core.uow(), inactive, pupil_id=a.pupil_5a)


async def test_a_pupil_reads_their_own_diary(core: Core, world: World) -> None:
    a = world.a
    await fill_next_week(core, world)
    week = await pupil_diary(
        core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a, week_of=MONDAY
    )
    assert by_period(week, MONDAY)[1].topic == "Daļskaitļi"


async def test_staff_reads_are_audited_and_family_reads_are_not(core: Core, world: World) -> None:
    a = world.a
    await fill_next_week(core, world)
    before = await audit_actions(core)
    await pupil_diary(core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a)
    await pupil_homework(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    assert await audit_actions(core) == before
    class_teacher = await viewer(core, a.math_teacher)
    await pupil_diary(core.uow(), class_teacher, pupil_id=a.pupil_5a, week_of=MONDAY)
    await pupil_homework(core.uow(), await viewer(core, a.superuser), pupil_id=a.pupil_5a)
    assert (await audit_actions(core))[len(before) :] == ["read.diary", "read.homework"]
    async with create_session_factory(core.engine)() as session:
        entry = await session.scalar(
            select(t.AuditEntry).where(t.AuditEntry.action == "read.diary")
        )
        assert entry is not None
        assert (entry.actor_id, entry.subject_person_id) == (a.math_teacher, a.pupil_5a)


async def test_a_subject_teacher_sees_only_their_own_groups(core: Core, world: World) -> None:
    a = world.a
    await fill_next_week(core, world)
    now = core.clock.now()
    [history] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            name="5.a Vēsture",
            kind="class",
            grade=5,
        ),
    )
    await insert(
        core,
        t.GroupTeacher(group_id=history, teacher_id=a.latvian_teacher),
        t.GroupClass(group_id=history, class_id=a.class_5a),
        t.GroupMember(group_id=history, pupil_id=a.pupil_5a, starts_on=date(2026, 9, 1)),
        t.Lesson(
            school_id=a.school_id,
            group_id=history,
            on_date=MONDAY,
            period=3,
            teacher_id=a.latvian_teacher,
            topic="Senā Ēģipte",
            created_at=now,
            updated_at=now,
        ),
    )
    teacher = await pupil_diary(
        core.uow(), await viewer(core, a.latvian_teacher), pupil_id=a.pupil_5a, week_of=MONDAY
    )
    assert [(x.period, x.subject, x.topic) for x in teacher.days[0].lessons] == [
        (3, "5.a Vēsture", "Senā Ēģipte")
    ]
    assert all(not day.lessons for day in teacher.days[1:])  # no mathematics at all
    family = await pupil_diary(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a, week_of=MONDAY
    )
    assert [x.subject for x in family.days[0].lessons] == ["Matemātika", "5.a Vēsture"]
