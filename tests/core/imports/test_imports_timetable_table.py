"""The CSV/XLSX timetable layout (docs/import-timetable.md): rows, lessons, problems."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from core.errors import ImportRejected
from core.imports.timetable_table import parse_timetable_table

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
HEADER = "weekday;period;class;group;subject;teacher_key;room;week\n"


@pytest.mark.parametrize("name", ["timetable.csv", "timetable.xlsx"])
def test_the_samples_read_alike(name: str) -> None:
    parsed = parse_timetable_table((SAMPLES / name).read_bytes(), name)
    assert (len(parsed.lessons), len(parsed.cards), parsed.school_days) == (12, 17, 5)
    [combined] = [lesson for lesson in parsed.lessons if len(lesson.parts) > 1]
    assert [p.klass.short for p in combined.parts] == ["1.a", "7.b"]
    zero = [c for c in parsed.cards if c.period == 0]
    assert [(c.weekday, parsed.lessons[c.lesson].subject.name) for c in zero] == [(0, "Datorika")]


def test_weeks_lessons_and_aliases() -> None:
    data = (
        "Diena;Stunda;Klase;Grupa;Priekšmets;Skolotājs;Kabinets;Nedēļa\n"
        "Sestdiena;3.;5.a;;MAT;K1;101;A\n"
        "S;3;5.a;;FIZ;K2;101;B\n"
        "1;1;5.a;Zēni;Sports;K3;;\n"
    ).encode()
    parsed = parse_timetable_table(data, "t.csv")
    assert (parsed.school_days, parsed.cycle_weeks) == (6, 2)
    assert [(c.weekday, c.period, c.week) for c in parsed.cards] == [
        (5, 3, 0),
        (5, 3, 1),
        (0, 1, None),
    ]
    assert [lesson.per_week for lesson in parsed.lessons] == [
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(1),
    ]
    assert parsed.lessons[2].parts[0].name == "Zēni"
    assert not parsed.lessons[2].parts[0].whole
    assert parsed.cards[2].rooms == ()


def test_every_bad_cell_is_reported_with_its_row() -> None:
    data = (
        HEADER
        + "Svētdiena;1;5.a;;MAT;;;\n"
        + "P;x;5.a;;MAT;;;\n"
        + "P;1;;;MAT;;;\n"
        + "P;1;5.a;;MAT;;;C\n"
        + "P;1;5.a+5.b;1. grupa;MAT;;;\n"
    ).encode()
    with pytest.raises(ImportRejected) as caught:
        parse_timetable_table(data, "t.csv")
    assert [(p.row, p.column, p.key) for p in caught.value.problems] == [
        (2, "weekday", "import.timetable.weekday"),
        (3, "period", "import.timetable.period"),
        (4, "class", "import.timetable.required"),
        (5, "week", "import.timetable.week"),
        (6, "group", "import.timetable.group_combined"),
    ]


def test_a_missing_column_is_a_file_problem() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_timetable_table(b"weekday;period;class\nP;1;5.a\n", "t.csv")
    assert [(p.row, p.key, p.column) for p in caught.value.problems] == [
        (0, "import.column.missing", "subject")
    ]
