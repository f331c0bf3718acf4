"""Teacher reports (rule 5.4): the class journal, a class's month, mark statistics — the data,
the PDF and the XLSX read back, and who may print them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.bootstrap import Core
from core.documents import teacher_reports as docs
from core.domain.marks import MarkScale, MarkValue
from core.errors import InvalidInput, NotFound
from core.services import teacher_reports
from core.storage import tables as t
from tests.builders import World, build_world, insert, new_person, viewer
from tests.reportkit import LESSON_DAYS, fill_journal, flat, pdf_text, rows, workbook

START, END = date(2026, 9, 1), date(2026, 11, 27)


def token(mark: t.Mark) -> int | str:
    """A stored mark as the workbook writes it: ten-point as a number, "nv" as text."""
    return "nv" if mark.status == "nv" else int(mark.value or 0)


async def test_the_journal_grid_equals_the_database_in_pdf_and_xlsx(core: Core) -> None:
    world = await build_world(core)
    filled = await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.math_teacher)

    journal = await teacher_reports.group_journal(
        core.uow(), teacher, group_id=a.math_group, start=START, end=END
    )

    assert [p.label for p in journal.pupils] == ["Alfa-Bērziņš Jānis", "Alfa-Kalniņa Anna"]
    assert {x.id for x in journal.assessments} == set(filled.math_tests)
    assert [x.on_date for x in journal.assessments] == sorted(
        x.on_date for x in journal.assessments
    )
    stored = await rows(core, t.Mark)
    in_group = {m.assessment_id for m in stored} & set(filled.math_tests)
    assert journal.marks == {
        (m.pupil_id, m.assessment_id): MarkValue.nv()
        if m.status == "nv"
        else MarkValue.mark(m.value or "")
        for m in stored
        if m.assessment_id in in_group
    }
    assert journal.averages == {a.pupil_5a: Decimal("8.00"), a.pupil_5a_second: Decimal("5.50")}
    assert [lesson.on_date for lesson in journal.lessons] == [*LESSON_DAYS, date(2026, 11, 26)]
    assert {x.lesson_id: x.topic for x in journal.lessons if x.topic} == filled.topics
    assert journal.absences == {
        (a.pupil_5a, filled.lessons[0]): "n",
        (a.pupil_5a, filled.lessons[1]): "n",
        (a.pupil_5a, filled.lessons[2]): "k",
        (a.pupil_5a_second, filled.lessons[3]): "ns",
    }
    summary = journal.attendance[a.pupil_5a]
    assert (summary.absent_lessons, summary.justified, summary.unjustified, summary.late) == (
        2,
        1,
        1,
        1,
    )

    book = workbook(docs.journal_xlsx(journal, catalogs=core.catalogs, lang="lv"))
    assert book.sheetnames == ["Vērtējumi", "Stundas", "Apmeklējums"]
    sheet = book["Vērtējumi"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Nr.", "Skolēns"]
    assert header[-1] == "Vidējais"
    dates = [value.date() for value in header[2:-1] if isinstance(value, datetime)]
    assert dates == [x.on_date for x in journal.assessments]
    assert [c.value for c in sheet[2]][2:-1] == [x.title for x in journal.assessments]
    by_id = {(m.pupil_id, m.assessment_id): m for m in stored}
    for row in sheet.iter_rows(min_row=3, values_only=True):
        pupil = journal.pupils[int(row[0]) - 1]
        assert row[1] == pupil.label
        for column, assessment in enumerate(journal.assessments, start=2):
            mark = by_id.get((pupil.pupil_id, assessment.id))
            assert row[column] == (token(mark) if mark else None)
        assert row[-1] == float(journal.averages[pupil.pupil_id] or 0)
    lessons = list(book["Stundas"].iter_rows(min_row=2, values_only=True))
    assert [(r[0].date(), r[1], r[2], r[3]) for r in lessons] == [
        (x.on_date, x.period, x.topic, x.homework) for x in journal.lessons
    ]
    attendance = book["Apmeklējums"]
    cells = {
        (journal.pupils[int(row[0]) - 1].pupil_id, lesson.lesson_id): row[2 + index]
        for row in attendance.iter_rows(min_row=3, values_only=True)
        for index, lesson in enumerate(journal.lessons)
        if row[2 + index] is not None
    }
    assert cells == journal.absences

    text = flat(pdf_text(docs.journal_pdf(journal, catalogs=core.catalogs, lang="lv")))
    for expected in (
        "Klases žurnāls: 5.a Matemātika",
        "Skolotājs: Māra Alfa-Matemātiķe",
        "Periods: 01.09.2026–27.11.2026",
        "Alfa-Bērziņš Jānis",
        "Alfa-Kalniņa Anna",
        "(1) 02.10.2026 — Kontroldarbs Nr. 1 (summatīvais)",
        "Ātrā pārbaude (formatīvais)",
        "Daļskaitļu saskaitīšana, 3. daļa",
        "Uzdevumi 1–5. lpp. (līdz 02.11.2026)",
        "8,00",
        "5,50",
        "n — nav ieradies",
        "Kavējumi kopā",
    ):
        assert expected in text, expected


async def long_group(core: Core, world: World, pupils: int, tests: int) -> None:
    """The math group with many more pupils and a test a school day, all marked."""
    a = world.a
    now = core.clock.now()
    names = []
    for number in range(pupils):
        pupil = await new_person(core, "Pēteris", f"Ozoliņš-{number:02d}")
        await insert(
            core,
            t.GroupMember(group_id=a.math_group, pupil_id=pupil, starts_on=START, ends_on=None),
        )
        names.append(pupil)
    days = [date(2026, 9, 1 + n) for n in range(tests)]
    for number, on in enumerate(days):
        [test] = await insert(
            core,
            t.Assessment(
                school_id=a.school_id,
                group_id=a.math_group,
                on_date=on,
                title=f"Darbs {number}",
                kind="summative",
                scale="ten_point",
                created_at=now,
            ),
        )
        await insert(
            core,
            *(
                t.Mark(
                    school_id=a.school_id,
                    assessment_id=test,
                    pupil_id=pupil,
                    on_date=on,
                    status="mark",
                    value=str(1 + (index + number) % 10),
                    recorded_at=now,
                    revision=1,
                )
                for index, pupil in enumerate(names)
            ),
        )


async def test_a_long_group_breaks_across_pages_and_column_blocks(core: Core) -> None:
    world = await build_world(core)
    await long_group(core, world, pupils=40, tests=25)
    teacher = await viewer(core, world.a.math_teacher)
    journal = await teacher_reports.group_journal(
        core.uow(), teacher, group_id=world.a.math_group, start=START, end=END
    )
    seen: list[tuple[int, int]] = []

    pdf = docs.journal_pdf(
        journal, catalogs=core.catalogs, lang="lv", progress=lambda d, n: seen.append((d, n))
    )

    assert len(journal.pupils) == 42
    text = pdf_text(pdf)
    pages = text.count("Alfa pamatskola · Klases žurnāls: 5.a Matemātika")
    assert pages >= 5  # two blocks of marks over two pages each, lessons, attendance
    # 25 assessments do not fit on one landscape page: the names repeat in each column block
    assert text.count("Ozoliņš-39 Pēteris") >= 3
    assert "(25) 25.09.2026 — Darbs 24 (summatīvais)" in flat(text)
    assert seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


async def test_who_may_print_a_groups_journal(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    [sports] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            name="5.a Sports",
            kind="class",
            grade=5,
        ),
    )
    await insert(
        core,
        t.GroupTeacher(group_id=sports, teacher_id=a.other_teacher),
        t.GroupClass(group_id=sports, class_id=a.class_5a),
    )
    for person in (a.other_teacher, a.latvian_teacher, a.parent_5a, a.pupil_5a, world.b.director):
        somebody = await viewer(core, person)
        with pytest.raises(NotFound):
            await teacher_reports.group_journal(core.uow(), somebody, group_id=a.math_group)
    for person in (a.math_teacher, a.superuser, a.director):
        allowed = await viewer(core, person)
        journal = await teacher_reports.group_journal(core.uow(), allowed, group_id=a.math_group)
        assert journal.group.id == a.math_group
    class_teacher = await viewer(core, a.math_teacher)  # 5.a's class teacher reads 5.a's Sports
    journal = await teacher_reports.group_journal(core.uow(), class_teacher, group_id=sports)
    assert journal.subject == "5.a Sports"
    reads = [e.actor_id for e in await rows(core, t.AuditEntry, action="read.group_journal")]
    assert reads == [a.math_teacher, a.superuser, a.director, a.math_teacher]
    with pytest.raises(InvalidInput):
        await teacher_reports.group_journal(
            core.uow(), class_teacher, group_id=sports, start=END, end=START
        )


async def test_a_class_month_of_attendance(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    holiday = date(2026, 11, 18)
    await insert(
        core,
        t.DayOff(school_year_id=a.year_id, starts_on=holiday, ends_on=holiday, name="Svētki"),
    )
    teacher = await viewer(core, a.math_teacher)

    month = await teacher_reports.class_attendance(
        core.uow(), teacher, class_id=a.class_5a, year=2026, month=11
    )

    assert (month.start, month.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert holiday not in month.days  # a day off is no school day
    assert len(month.days) == 20
    janis, anna = month.rows
    assert janis.pupil.label == "Alfa-Bērziņš Jānis"
    assert {on: (d.absent, d.unexcused, d.late) for on, d in janis.days.items()} == {
        date(2026, 11, 2): (1, 0, 0),
        date(2026, 11, 3): (1, 1, 0),
        date(2026, 11, 9): (0, 0, 1),
    }
    assert {on: (d.absent, d.unexcused) for on, d in anna.days.items()} == {
        date(2026, 11, 10): (1, 0)
    }
    assert (month.total.absent_lessons, month.total.justified, month.total.late) == (3, 2, 1)

    book = workbook(docs.attendance_xlsx(month, catalogs=core.catalogs, lang="lv"))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    days = [value.date() for value in header if isinstance(value, datetime)]
    assert days == list(month.days)
    marks = {
        (row[1], days[i]): value
        for row in sheet.iter_rows(min_row=2, values_only=True)
        for i, value in enumerate(row[2 : 2 + len(days)])
        if value
    }
    assert marks == {
        ("Alfa-Bērziņš Jānis", date(2026, 11, 2)): "1",
        ("Alfa-Bērziņš Jānis", date(2026, 11, 3)): "1*",
        ("Alfa-Bērziņš Jānis", date(2026, 11, 9)): "k",
        ("Alfa-Kalniņa Anna", date(2026, 11, 10)): "1",
    }
    totals = {row[1]: row[-5:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert totals == {"Alfa-Bērziņš Jānis": (2, 1, 1, 0, 1), "Alfa-Kalniņa Anna": (1, 1, 0, 0, 0)}

    text = flat(pdf_text(docs.attendance_pdf(month, catalogs=core.catalogs, lang="lv")))
    assert "Kavējumu pārskats: 5.a, novembris 2026" in text
    assert "Alfa-Kalniņa Anna" in text
    assert "Klasē kopā kavētās stundas: 3 (attaisnotas: 2, neattaisnotas: 1" in text
    assert "ns — slimības dēļ" in text


async def test_a_month_outside_the_year_or_of_another_class_is_refused(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    for year, month in ((2026, 8), (2026, 13), (2027, 7)):
        with pytest.raises(InvalidInput) as refused:
            await teacher_reports.class_attendance(
                core.uow(), teacher, class_id=a.class_5a, year=year, month=month
            )
        assert refused.value.key == "reports.month_invalid"
    for person in (a.latvian_teacher, a.other_teacher, a.parent_5a):
        somebody = await viewer(core, person)
        with pytest.raises(NotFound):
            await teacher_reports.class_attendance(
                core.uow(), somebody, class_id=a.class_5a, year=2026, month=11
            )


async def test_mark_statistics_per_class_and_subject(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    director = await viewer(core, a.director)

    stats = await teacher_reports.mark_statistics(
        core.uow(), director, school_id=a.school_id, start=START, end=END
    )

    assert [(r.class_name, r.subject, r.scale) for r in stats.rows] == [
        ("2.a", "Latviešu valoda", MarkScale.LEVELS),
        ("5.a", "Matemātika", MarkScale.TEN_POINT),
    ]
    levels, ten = stats.rows
    assert (levels.counts, levels.nv, levels.average) == ((("A", 1),), 0, None)
    # summative 8, 9, 7, 6, 5 and one "nv"; the formative 2 is not counted
    assert ten.counts == (("5", 1), ("6", 1), ("7", 1), ("8", 1), ("9", 1))
    assert (ten.nv, ten.marks, ten.average) == (1, 5, Decimal("7.00"))

    book = workbook(docs.statistics_xlsx(stats, catalogs=core.catalogs, lang="lv"))
    assert book.sheetnames == ["10 ballu skala", "Apguves līmeņi"]
    sheet = book["10 ballu skala"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "Klase", "Mācību priekšmets", *[str(n) for n in range(1, 11)], "nv", "Skaits", "Vidējais",
    ]  # fmt: skip
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert row == ("5.a", "Matemātika", 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 5, 7.0)
    text = flat(pdf_text(docs.statistics_pdf(stats, catalogs=core.catalogs, lang="lv")))
    assert "Vērtējumu statistika: Alfa pamatskola" in text
    assert "Ņemti vērā vērtējumi: summatīvais" in text
    assert "7,00" in text

    class_teacher = await viewer(core, a.math_teacher)
    own = await teacher_reports.mark_statistics(
        core.uow(), class_teacher, school_id=a.school_id, class_id=a.class_5a, start=START, end=END
    )
    assert [r.class_name for r in own.rows] == ["5.a"]
    with pytest.raises(NotFound):
        await teacher_reports.mark_statistics(core.uow(), class_teacher, school_id=a.school_id)
    with pytest.raises(NotFound):
        await teacher_reports.mark_statistics(
            core.uow(), class_teacher, school_id=a.school_id, class_id=a.class_2a
        )
