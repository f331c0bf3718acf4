"""Progress extracts (sekmju izraksts): the PDF against the database, access, the class reads.

The acceptance test reads the text of generated extracts back with pypdf and checks, for a
sample of the demo school's pupils in grade 2 (learning levels) and grade 7 (ten-point), the
names with their Latvian letters, every mark with its date and assessment, the averages by
the school's rules and the absence totals against what the database holds.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import event, func, select

from core.bootstrap import Core
from core.documents.extracts import (
    DocumentTexts,
    extract_filename,
    period_label,
    render_extract,
    render_extracts,
)
from core.domain.access import Viewer
from core.domain.marks import MarkScale, MarkValue, mark_label
from core.errors import InvalidInput, NotAllowed, NotFound
from core.i18n import Catalogs
from core.services.extracts import (
    Month,
    class_extract_menu,
    class_extracts,
    extract_menu,
    extract_reach,
    missing_extracts,
    progress_extract,
    year_months,
)
from core.services.marks import create_assessment, record_marks
from core.services.schools import seed_demo
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_world, insert, viewer

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
RIGA = ZoneInfo("Europe/Riga")


def pdf_text(pdf: bytes) -> str:
    """The document's text as pypdf extracts it, with runs of spaces folded."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(re.sub(r"[ \t]+", " ", page.extract_text()) for page in pages)


def lv() -> DocumentTexts:
    return DocumentTexts(Catalogs.load(), "lv")


def two(value: Decimal) -> str:
    """Two decimals with a comma, as the Latvian extract writes averages."""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)).replace(".", ",")


# ------------------------------------------------------------------------------ acceptance


async def _database_rows(core: Core, pupil_id: int, month: Month) -> dict[str, Any]:
    """What the database holds for a pupil's month, read without the extract's code."""
    m, a, g, s = t.Mark, t.Assessment, t.TeachingGroup, t.Subject
    async with create_session_factory(core.engine)() as session:
        person = await session.get(t.Person, pupil_id)
        assert person is not None
        marks = (
            await session.execute(
                select(m.on_date, m.status, m.value, a.title, a.kind, a.scale, s.name)
                .join(a, a.id == m.assessment_id)
                .join(g, g.id == a.group_id)
                .join(s, s.id == g.subject_id)
                .where(m.pupil_id == pupil_id)
                .where(m.on_date >= month.start, m.on_date <= month.end)
            )
        ).all()
        absences = (
            await session.execute(
                select(t.Attendance.code, t.Attendance.justification).where(
                    t.Attendance.pupil_id == pupil_id,
                    t.Attendance.on_date >= month.start,
                    t.Attendance.on_date <= month.end,
                )
            )
        ).all()
        guardian = await session.scalar(
            select(t.Guardianship.guardian_id).where(
                t.Guardianship.pupil_id == pupil_id, t.Guardianship.read_only.is_(False)
            )
        )
    return {"person": person, "marks": marks, "absences": absences, "guardian": guardian}


async def _sample(core: Core, grade: int, count: int) -> list[int]:
    """Pupils of a grade with marks in October, those with Latvian letters in their names first."""
    async with create_session_factory(core.engine)() as session:
        rows = (
            await session.execute(
                select(t.Person.id, t.Person.given_name, t.Person.family_name)
                .join(t.Enrolment, t.Enrolment.pupil_id == t.Person.id)
                .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
                .join(t.Mark, t.Mark.pupil_id == t.Person.id)
                .where(t.ClassGroup.grade == grade, t.Mark.on_date >= OCTOBER.start)
                .where(t.Mark.on_date <= OCTOBER.end)
                .group_by(t.Person.id, t.Person.given_name, t.Person.family_name)
                .having(func.count(t.Mark.id) > 0)
                .order_by(t.Person.id)
            )
        ).all()
    latvian = [r.id for r in rows if not (r.given_name + r.family_name).isascii()]
    others = [r.id for r in rows if (r.given_name + r.family_name).isascii()]
    return (latvian + others)[:count]


def _segments(text: str, subjects: list[str]) -> dict[str, str]:
    """Each subject's part of the table text: from its name to the next subject's name."""
    found: dict[str, str] = {}
    position = 0
    for index, name in enumerate(subjects):
        start = text.index(name, position)
        following = subjects[index + 1] if index + 1 < len(subjects) else None
        end = text.index(following, start + len(name)) if following else text.index("Kopā")
        found[name] = text[start:end]
        position = end
    return found


@pytest.mark.parametrize("grade", [2, 7])
async def test_extracts_of_the_demo_school_match_the_database(core: Core, grade: int) -> None:
    await seed_demo(
        core.uow(),
        Viewer.console(),
        zone=RIGA,
        classes_per_grade=1,
        pupils_per_class=4,
        today=date(2026, 11, 27),
    )
    sample = await _sample(core, grade, 2)
    assert len(sample) == 2
    names: list[str] = []
    for pupil_id in sample:
        rows = await _database_rows(core, pupil_id, OCTOBER)
        parent = await viewer(core, rows["guardian"])
        data = await progress_extract(
            core.uow(), parent, pupil_id=pupil_id, start=OCTOBER.start, end=OCTOBER.end
        )
        text = pdf_text(render_extract(data, lv()))
        person = rows["person"]
        names.append(f"{person.given_name} {person.family_name}")
        assert names[-1] in text
        assert "Sekmju izraksts" in text
        assert f"{grade}." in text  # the class, e.g. 7.a
        assert "2026. gada oktobris (01.10.2026–31.10.2026)" in text

        by_subject: dict[str, list[Any]] = defaultdict(list)
        for row in rows["marks"]:
            by_subject[row.name].append(row)
        assert by_subject, "the sample pupil has marks in October"
        # A long subject name wraps: on one line the table reads as the PDF shows it.
        segments = _segments(" ".join(text.split()), [s.name for s in data.subjects])
        every_counted: list[Decimal] = []
        for subject, marks in by_subject.items():
            segment = segments[subject]
            counted = []
            for row in marks:
                value = MarkValue.nv() if row.status == "nv" else MarkValue.mark(row.value)
                label = mark_label(MarkScale(row.scale), value, "lv")
                assert f"{row.on_date:%d.%m.} {row.title}: {label}" in segment, (subject, row)
                if grade == 2:
                    assert label in {"sācis apgūt", "turpina apgūt", "apguvis", "nv"} | {
                        "apguvis padziļināti"
                    }
                if row.status == "mark" and row.kind == "summative" and row.scale == "ten_point":
                    counted.append(Decimal(row.value))
            if counted:
                assert two(sum(counted, Decimal(0)) / len(counted)) in segment
            else:
                assert "—" in segment  # levels are never averaged
            every_counted += counted
        total = text[text.index("Kopā") :]
        if every_counted:
            assert two(sum(every_counted, Decimal(0)) / len(every_counted)) in total
        absent = [r for r in rows["absences"] if r.code in {"n", "ns"}]
        justified = sum(1 for r in absent if r.justification == "justified")
        assert (
            f"Kavētās stundas: {len(absent)}, no tām attaisnotas: {justified}, "
            f"neattaisnotas: {len(absent) - justified}." in " ".join(total.split())
        )
    assert any(not name.isascii() for name in names)  # Latvian letters came through


# ------------------------------------------------------------------------------ access


async def _one_mark(core: Core, world: Any, on: date = date(2026, 11, 26)) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=on, title="Daļskaitļi"
    )
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "8"})


async def test_who_may_have_a_pupils_extract(core: Core) -> None:
    world = await build_world(core)
    a, b = world.a, world.b
    await _one_mark(core, world)

    async def extract(person: int, pupil: int) -> Any:
        return await progress_extract(
            core.uow(),
            await viewer(core, person),
            pupil_id=pupil,
            start=NOVEMBER.start,
            end=NOVEMBER.end,
        )

    mine = await extract(a.parent_5a, a.pupil_5a)
    assert (mine.full_name, mine.class_name, mine.class_teacher) == (
        "Jānis Alfa-Bērziņš",
        "5.a",
        "Māra Alfa-Matemātiķe",
    )
    [math] = [s for s in mine.subjects if s.marks]
    assert (math.name, [m.label("lv") for m in math.marks], math.average) == (
        "Matemātika",
        ["8"],
        Decimal("8.00"),
    )
    assert (await extract(a.pupil_5a, a.pupil_5a)).pupil_id == a.pupil_5a  # the pupil
    assert (await extract(a.math_teacher, a.pupil_5a)).pupil_id == a.pupil_5a  # class teacher
    assert (await extract(a.superuser, a.pupil_5a)).pupil_id == a.pupil_5a  # a manager
    with pytest.raises(NotFound):
        await extract(a.parent_5a_second, a.pupil_5a)  # another child's parent
    with pytest.raises(NotFound):
        await extract(b.superuser, a.pupil_5a)  # another school
    with pytest.raises(NotFound):
        await extract(a.other_teacher, a.pupil_5a)  # teaches nothing of the pupil
    with pytest.raises(NotAllowed):  # a subject teacher sees only their subject, not the whole
        await _subject_teacher_extract(core, world)
    parent = await viewer(core, a.parent_5a)
    with pytest.raises(InvalidInput):  # a month that has not begun
        await progress_extract(
            core.uow(),
            parent,
            pupil_id=a.pupil_5a,
            start=date(2026, 12, 1),
            end=date(2026, 12, 31),
        )
    with pytest.raises(InvalidInput):  # longer than a year
        await progress_extract(
            core.uow(),
            await viewer(core, a.parent_5a),
            pupil_id=a.pupil_5a,
            start=date(2025, 1, 1),
            end=date(2026, 11, 1),
        )
    async with create_session_factory(core.engine)() as session:
        audited = (
            await session.execute(
                select(t.AuditEntry.actor_id, t.AuditEntry.actor_role).where(
                    t.AuditEntry.action == "read.extract"
                )
            )
        ).all()
    # Staff reads leave a trace (the class teacher, the manager); the family's do not.
    assert sorted(audited) == sorted(
        [(a.math_teacher, "class_teacher"), (a.superuser, "deputy_director")]
    )


async def _subject_teacher_extract(core: Core, world: Any) -> None:
    a = world.a
    [group] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            subject_id=None,
            name="5.a Mūzika",
            kind="class",
            grade=5,
        ),
    )
    await insert(
        core,
        t.GroupTeacher(group_id=group, teacher_id=a.other_teacher),
        t.GroupMember(group_id=group, pupil_id=a.pupil_5a, starts_on=date(2026, 9, 1)),
    )
    await progress_extract(
        core.uow(),
        await viewer(core, a.other_teacher),
        pupil_id=a.pupil_5a,
        start=NOVEMBER.start,
        end=NOVEMBER.end,
    )


async def test_the_menu_offers_the_months_of_the_school_year(core: Core) -> None:
    world = await build_world(core)
    menu = await extract_menu(
        core.uow(), await viewer(core, world.a.parent_5a), pupil_id=world.a.pupil_2a
    )
    assert menu.pupil.full_name == "Ērika Alfa-Bērziņa"
    assert menu.months == (Month(2026, 11), Month(2026, 10), Month(2026, 9))
    with pytest.raises(NotFound):
        await extract_menu(
            core.uow(), await viewer(core, world.a.parent_5a_second), pupil_id=world.a.pupil_2a
        )
    klass = await class_extract_menu(
        core.uow(), await viewer(core, world.a.math_teacher), class_id=world.a.class_5a
    )
    assert [p.full_name for p in klass.pupils] == ["Jānis Alfa-Bērziņš", "Anna Alfa-Kalniņa"]
    with pytest.raises(NotFound):  # not her class
        await class_extract_menu(
            core.uow(), await viewer(core, world.a.math_teacher), class_id=world.a.class_2a
        )


def test_months() -> None:
    assert Month.from_ordinal(Month(2026, 11).ordinal) == Month(2026, 11)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert (Month(2026, 2).start, Month(2026, 2).end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert Month.parse("2026-11") == Month(2026, 11)
    for bad in ("2026", "x-1", "2026-13", "1999-05"):
        with pytest.raises(InvalidInput):
            Month.parse(bad)
    with pytest.raises(InvalidInput):
        Month.from_ordinal(-1)
    assert year_months(date(2026, 9, 1), date(2027, 6, 19), date(2026, 11, 27)) == (
        Month(2026, 11),
        Month(2026, 10),
        Month(2026, 9),
    )
    # After the year: its months up to its end.
    assert year_months(date(2026, 9, 1), date(2026, 10, 20), date(2026, 12, 5)) == (
        Month(2026, 10),
        Month(2026, 9),
    )


# ------------------------------------------------------------------------------ whole classes


async def test_missing_extracts_are_those_no_one_in_the_family_can_receive(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=date(2026, 11, 20), title="Tests"
    )
    await record_marks(
        core.uow(),
        teacher,
        assessment_id=test.id,
        entries={a.pupil_5a: "7", a.pupil_5a_second: "9"},
    )
    now = core.clock.now()
    # Jānis's mother is connected; Anna's father blocked the bot; Anna herself has no account.
    await insert(
        core,
        t.Account(
            person_id=a.parent_5a, telegram_user_id=1, chat_id=1, language="lv", linked_at=now
        ),
        t.Account(
            person_id=a.parent_5a_second,
            telegram_user_id=2,
            chat_id=2,
            language="lv",
            status="unreachable",
            linked_at=now,
        ),
    )
    result = await missing_extracts(core.uow(), teacher, class_id=a.class_5a, month=NOVEMBER)
    # Both pupils have marks; only Anna's family cannot be reached.
    assert (result.pupils, [e.full_name for e in result.extracts]) == (2, ["Anna Alfa-Kalniņa"])
    reach = await extract_reach(
        core.uow(), school_id=a.school_id, start=NOVEMBER.start, end=NOVEMBER.end
    )
    [five] = [r for r in reach if r.class_id == a.class_5a]
    assert (five.class_teacher_id, five.unreached) == (a.math_teacher, (a.pupil_5a_second,))
    with pytest.raises(NotFound):  # someone else's class
        await missing_extracts(
            core.uow(), await viewer(core, a.latvian_teacher), class_id=a.class_5a, month=NOVEMBER
        )
    with pytest.raises(InvalidInput):  # a month that has not come
        await missing_extracts(core.uow(), teacher, class_id=a.class_5a, month=Month(2027, 1))
    pdf = render_extracts(result.extracts * 2, lv(), title="5.a")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # each pupil from a new page
    assert all("Anna Alfa-Kalniņa" in page.extract_text() for page in reader.pages)


async def test_a_school_is_read_in_a_handful_of_queries(core: Core) -> None:
    await seed_demo(
        core.uow(),
        Viewer.console(),
        zone=RIGA,
        classes_per_grade=1,
        pupils_per_class=3,
        today=date(2026, 11, 27),
    )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(core.engine.sync_engine, "before_cursor_execute", count)
    found = await class_extracts(core.uow(), school_id=1, start=OCTOBER.start, end=OCTOBER.end)
    event.remove(core.engine.sync_engine, "before_cursor_execute", count)
    assert len(found) == 27  # 9 grades x 3 pupils
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 8
    data = found[0]
    assert extract_filename(data, lv()).startswith("sekmju-izraksts-2026-10-")
    assert extract_filename(data, lv()).isascii()
    assert period_label(OCTOBER.start, OCTOBER.end, lv()) == "2026. gada oktobris"
