"""Shared facts for the period-mark, report-card and teacher-report tests: a filled journal.

``fill_journal`` gives school a's 5.a mathematics and 2.a Latvian a few assessments, lessons
with topics and homework, and absences, through the services where they exist (marks) and as
rows where the test only needs the fact (lessons, absences). Every value is returned, so a test
compares documents with what was written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.marks import MarkKind
from core.services import marks, schools
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, insert, viewer
from tests.slipcheck import all_text


@dataclass(frozen=True)
class Journal:
    """What ``fill_journal`` wrote, for the assertions."""

    math_tests: tuple[int, ...]  # assessment ids, oldest first
    math_marks: dict[tuple[int, int], str]  # (pupil, assessment) → the value as typed
    latvian_test: int
    lessons: tuple[int, ...]  # the math group's lessons written here, oldest first
    topics: dict[int, str]
    homework: dict[int, str]


MATH_DAYS = (date(2026, 10, 2), date(2026, 10, 23), date(2026, 11, 20))
LESSON_DAYS = (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 9), date(2026, 11, 10))


async def fill_journal(core: Core, world: World) -> Journal:
    """Marks, lessons and absences in school a's 5.a mathematics and 2.a Latvian."""
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    values = (
        {a.pupil_5a: "8", a.pupil_5a_second: "6"},
        {a.pupil_5a: "9", a.pupil_5a_second: "nv"},
        {a.pupil_5a: "7", a.pupil_5a_second: "5"},
    )
    tests = []
    written: dict[tuple[int, int], str] = {}
    for number, (on, entries) in enumerate(zip(MATH_DAYS, values, strict=True), start=1):
        test = await marks.create_assessment(
            core.uow(), teacher, group_id=a.math_group, on=on, title=f"Kontroldarbs Nr. {number}"
        )
        await marks.record_marks(core.uow(), teacher, assessment_id=test.id, entries=entries)
        tests.append(test.id)
        written.update({(pupil, test.id): value for pupil, value in entries.items()})
    quiz = await marks.create_assessment(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=date(2026, 11, 13),
        title="Ātrā pārbaude",
        kind=MarkKind.FORMATIVE,
    )
    await marks.record_marks(core.uow(), teacher, assessment_id=quiz.id, entries={a.pupil_5a: "2"})
    written[(a.pupil_5a, quiz.id)] = "2"
    tests.append(quiz.id)

    latvian = await viewer(core, a.latvian_teacher)
    dictation = await marks.create_assessment(
        core.uow(), latvian, group_id=a.latvian_group, on=date(2026, 11, 12), title="Diktāts"
    )
    await marks.record_marks(
        core.uow(), latvian, assessment_id=dictation.id, entries={a.pupil_2a: "A"}
    )

    now = core.clock.now()
    topics, homework, lessons = {}, {}, []
    for number, on in enumerate(LESSON_DAYS, start=1):
        [lesson] = await insert(
            core,
            t.Lesson(
                school_id=a.school_id,
                group_id=a.math_group,
                on_date=on,
                period=1,
                teacher_id=a.math_teacher,
                is_substitution=False,
                topic=f"Daļskaitļu saskaitīšana, {number}. daļa",
                homework=f"Uzdevumi {number}–{number + 4}. lpp." if number % 2 else None,
                homework_due_on=on if number % 2 else None,
                created_at=now,
                updated_at=now,
            ),
        )
        lessons.append(lesson)
        topics[lesson] = f"Daļskaitļu saskaitīšana, {number}. daļa"
        if number % 2:
            homework[lesson] = f"Uzdevumi {number}–{number + 4}. lpp."
    # Jānis: absent in two lessons (one justified, one not), late once; Anna: absent once.
    for lesson, pupil, code, justification in (
        (lessons[0], a.pupil_5a, "n", "justified"),
        (lessons[1], a.pupil_5a, "n", "unjustified"),
        (lessons[2], a.pupil_5a, "k", "pending"),
        (lessons[3], a.pupil_5a_second, "ns", "justified"),
    ):
        on = LESSON_DAYS[lessons.index(lesson)]
        await insert(
            core,
            t.Attendance(
                school_id=a.school_id,
                lesson_id=lesson,
                pupil_id=pupil,
                on_date=on,
                code=code,
                justification=justification,
                recorded_by=a.math_teacher,
                recorded_at=now,
                updated_at=now,
            ),
        )
    return Journal(tuple(tests), written, dictation.id, tuple(lessons), topics, homework)


async def use_semester_marks(core: Core, school_id: int, grades: list[int]) -> None:
    """The school gives semester marks in these grades."""
    await schools.set_school_policy(
        core.uow(),
        Viewer.console(),
        school_id=school_id,
        settings={"semester_marks_grades": grades},
    )


async def rows(core: Core, model: type[t.Base], **where: Any) -> list[Any]:
    """Rows of a table, optionally filtered by column values, by id."""
    async with create_session_factory(core.engine)() as session:
        query = select(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return list((await session.scalars(query.order_by(model.id))).all())  # type: ignore[attr-defined]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pypdf extracts it."""
    assert pdf.startswith(b"%PDF-")
    return all_text(pdf)


def flat(text: str) -> str:
    """Text with every run of whitespace one space (paragraphs wrap where the page ends)."""
    return " ".join(text.split())


def workbook(data: bytes) -> Any:
    """An XLSX read back with openpyxl (values, not formulas)."""
    return load_workbook(io.BytesIO(data), data_only=True)
