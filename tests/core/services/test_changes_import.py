"""Timetable changes from a file: preview, all or nothing, rows checked by add_change itself.

School a gets the people and timetable samples (docs/samples): on Monday 30.11.2026 1.a has
mathematics (1) and Latvian (2) with Dace Kļaviņa (S-003), 7.b Latvian (1) and mathematics (2)
with Māris Liepiņš (S-002) and informatics (0) with Guntars Vītols (S-004); on Tuesday 7.b has
English in two groups in period 1. Today is Friday 27.11.2026.
"""

from __future__ import annotations

import io
import string
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import ImportProblem, ImportRejected, NotFound
from core.i18n import LANGUAGES, Catalogs
from core.imports.problems import format_problem
from core.services import changes_import
from core.services.changes_import import ChangesPreview, import_changes, parse_changes
from core.services.people import import_people
from core.services.timetable_changes import day_plan, editor_choices
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, viewer

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
HEADER = "date;class;period;kind;subject;teacher;room;new_date;new_period\n"
CATALOGS = Catalogs.load()


async def sample_school(core: Core) -> tuple[World, Viewer]:
    world = await build_world(core)
    for name, service in (("people.csv", import_people), ("timetable.csv", import_timetable)):
        kwargs = {"apply": True, "create_subjects": True} if service is import_timetable else {}
        await service(
            core.uow(),
            Viewer.console(),
            school_id=world.a.school_id,
            data=(SAMPLES / name).read_bytes(),
            filename=name,
            **kwargs,
        )
    return world, await viewer(core, world.a.superuser)


async def run(
    core: Core, world: World, who: Viewer, text: str, *, apply: bool = False
) -> ChangesPreview:
    return await import_changes(
        core.uow(),
        who,
        school_id=world.a.school_id,
        data=text.encode(),
        filename="changes.csv",
        apply=apply,
    )


async def stored(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.TimetableChange)) or 0)


def problems(caught: pytest.ExceptionInfo[ImportRejected]) -> list[tuple[int, str | None, str]]:
    return [(p.row, p.column, p.key) for p in caught.value.problems]


def lv(problem_list: Sequence[ImportProblem]) -> list[str]:
    return [format_problem(p, CATALOGS, "lv") for p in problem_list]


async def test_the_sample_previews_then_creates_its_drafts(core: Core) -> None:
    world, superuser = await sample_school(core)
    data = (SAMPLES / "changes.csv").read_text(encoding="utf-8")
    preview = await run(core, world, superuser, data)
    assert not preview.applied
    assert [(c.on, c.kind, c.class_names, c.period) for c in preview.changes] == [
        (MONDAY, "substitution", ("1.a",), 1),
        (MONDAY, "cancel", ("1.a",), 2),
        (MONDAY, "room", ("7.b",), 1),
        (MONDAY, "extra", ("7.b",), 4),
        (TUESDAY, "move", ("7.b",), 1),
    ]
    assert await stored(core) == 0

    created = await run(core, world, superuser, data, apply=True)
    assert created.applied
    assert await stored(core) == 5
    substitution, _, room, extra, move = created.changes
    assert substitution.teacher_names == ("Guntars Vītols",)
    assert substitution.original_teacher_names == ("Dace Kļaviņa",)
    assert (room.original_room, room.room) == ("204", "205")
    assert (extra.teacher_names, extra.room, extra.note) == (
        ("Māris Liepiņš",),
        "204",
        "Konsultācija pirms ieskaites",
    )
    assert move.group_name == "7.b Angļu valoda (1. grupa)"
    assert (move.new_date, move.new_period) == (TUESDAY, 4)
    plan = await day_plan(core.uow(), superuser, school_id=world.a.school_id, on=MONDAY)
    assert plan.drafts == 4
    assert plan.published == 0


async def test_one_bad_row_rejects_the_whole_file(core: Core) -> None:
    world, superuser = await sample_school(core)
    text = (
        HEADER
        + "30.11.2026;1.a;1;aizvietošana;;S-004;;;\n"
        + "31.11.2026;1.a;2;atcelta;;;;;\n"
        + "30.11.2026;1.a;x;atcelta;;;;;\n"
        + "30.11.2026;1.a;2;pusdienas;;;;;\n"
        + ";7.b;2;cancel;;;;;\n"
    )
    for apply in (False, True):
        with pytest.raises(ImportRejected) as caught:
            await run(core, world, superuser, text, apply=apply)
        assert problems(caught) == [
            (3, "date", "import.changes.date"),
            (4, "period", "import.changes.period"),
            (5, "kind", "import.changes.kind"),
            (6, "date", "import.changes.required"),
        ]
    assert lv(caught.value.problems)[:2] == [
        "3. rinda, kolonna „date”: “31.11.2026” nav datums: rakstiet 30.11.2026 vai 2026-11-30.",
        "4. rinda, kolonna „period”: “x” nav stundas numurs (0–15).",
    ]
    assert await stored(core) == 0


async def test_rows_that_cannot_be_matched_or_recorded_change_nothing(core: Core) -> None:
    world, superuser = await sample_school(core)
    text = (
        HEADER
        + "30.11.2026;1.a;1;substitution;;Guntars Vītols;;;\n"  # fine on its own
        + "30.11.2026;7.b;1;substitution;;S-004;;;\n"  # Guntars is already taken in period 1
        + "30.11.2026;1.a;1;cancel;;;;;\n"  # the same lesson as row 2
        + "30.11.2026;9.z;1;cancel;;;;;\n"
        + "30.11.2026;1.a;5;cancel;;;;;\n"
        + "01.12.2026;7.b;1;cancel;Angļu valoda;;;;\n"
        + "30.11.2026;7.b;3;extra;Ķīmija;;;;\n"
        + "30.11.2026;7.b;2;substitution;;Nezināms Skolotājs;;;\n"
        + "30.11.2026;1.a;2;room;;;;;\n"
        + "26.11.2026;1.a;1;cancel;;;;;\n"
    )
    with pytest.raises(ImportRejected) as caught:
        await run(core, world, superuser, text, apply=True)
    assert problems(caught) == [
        (3, None, "timetable.change.teacher_busy"),
        (4, None, "import.changes.duplicate"),
        (5, "class", "import.changes.class_unknown"),
        (6, "period", "import.changes.no_lesson"),
        (7, "subject", "import.changes.several_lessons"),
        (8, "subject", "import.changes.group_unknown"),
        (9, "teacher", "import.changes.teacher_unknown"),
        (10, None, "timetable.change.room_empty"),
        (11, None, "timetable.change.past"),
    ]
    assert lv(caught.value.problems)[:2] == [
        "3. rinda: Guntars Vītols 1. stundā jau vada citu stundu.",
        "4. rinda: Šī stunda jau ir 2. rindā.",
    ]
    assert await stored(core) == 0


async def test_a_split_group_is_named_by_its_part(core: Core) -> None:
    world, superuser = await sample_school(core)
    text = HEADER + "01.12.2026;7.b;1;room;2. grupa;;301;;\n"
    [change] = (await run(core, world, superuser, text, apply=True)).changes
    assert change.group_name == "7.b Angļu valoda (2. grupa)"
    assert (change.original_room, change.room) == ("206", "301")


async def test_latvian_headers_and_a_workbook_with_dates(core: Core) -> None:
    world, superuser = await sample_school(core)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Datums", "Klase", "Stunda", "Veids", "Skolotājs", "Jaunā stunda"])
    sheet.append([MONDAY, "1.A", 2, "Pārcelta", None, 4])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = await import_changes(
        core.uow(),
        superuser,
        school_id=world.a.school_id,
        data=buffer.getvalue(),
        filename="izmaiņas.xlsx",
        apply=False,
    )
    [move] = preview.changes
    assert (move.kind, move.period, move.new_period, move.class_names) == ("move", 2, 4, ("1.a",))
    assert await stored(core) == 0


async def test_the_file_needs_the_required_columns(core: Core) -> None:
    world, superuser = await sample_school(core)
    with pytest.raises(ImportRejected) as caught:
        await run(core, world, superuser, "date;class;kind\n30.11.2026;1.a;cancel\n")
    assert problems(caught) == [(0, "period", "import.column.missing")]


async def test_only_the_schools_managers_import(core: Core) -> None:
    world, _ = await sample_school(core)
    data = (SAMPLES / "changes.csv").read_text(encoding="utf-8")
    for person in (world.a.math_teacher, world.b.superuser):
        with pytest.raises(NotFound):
            await run(core, world, await viewer(core, person), data, apply=True)
    assert await stored(core) == 0


def test_the_sample_parses_and_dates_read_both_ways() -> None:
    rows = parse_changes((SAMPLES / "changes.csv").read_bytes(), "changes.csv")
    assert [(r.number, r.kind) for r in rows] == [
        (2, "substitution"),
        (3, "cancel"),
        (4, "room"),
        (5, "extra"),
        (6, "move"),
    ]
    assert changes_import.parse_date("2026-11-30") == MONDAY
    assert changes_import.parse_date("30.11.2026.") == MONDAY
    assert changes_import.parse_date("30.11.") is None
    assert changes_import.parse_date("30.13.2026") is None


@pytest.mark.parametrize("key", sorted(changes_import.PROBLEM_KEYS))
def test_every_problem_has_text_in_every_language(key: str) -> None:
    texts = {lang: CATALOGS.text(key, lang) for lang in LANGUAGES if CATALOGS.has(key, lang)}
    assert sorted(texts) == sorted(LANGUAGES)
    shapes = {
        frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)
        for text in texts.values()
    }
    assert len(shapes) == 1


async def test_the_editor_choices_of_a_date(core: Core) -> None:
    world, superuser = await sample_school(core)
    choices = await editor_choices(core.uow(), superuser, school_id=world.a.school_id)
    assert (choices.today, choices.on) == (date(2026, 11, 27), date(2026, 11, 27))
    assert choices.school_days == (
        MONDAY,
        TUESDAY,
        date(2026, 12, 2),
        date(2026, 12, 3),
        date(2026, 12, 4),
    )
    assert choices.periods == tuple(range(1, 10))
    by_name = {klass.name: klass for klass in choices.classes}
    assert list(by_name) == ["1.a", "2.a", "5.a", "7.b"]
    assert [g.name for g in by_name["7.b"].groups] == [
        "7.b Datorika",
        "7.b Latviešu valoda",
        "7.b Matemātika",
        "7.b Sports",
        "1.a, 7.b Klases stunda",
        "7.b Angļu valoda (1. grupa)",
        "7.b Angļu valoda (2. grupa)",
    ]
    before_the_holidays = await editor_choices(
        core.uow(), superuser, school_id=world.a.school_id, on=date(2026, 12, 18)
    )
    assert before_the_holidays.school_days[0] > date(2026, 12, 31)
    with pytest.raises(NotFound):
        await editor_choices(
            core.uow(), await viewer(core, world.a.math_teacher), school_id=world.a.school_id
        )
