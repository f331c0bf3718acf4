"""aSc Timetables 2012 XML: every edge case of domain.md §8.3 from the synthetic fixture."""

from __future__ import annotations

from datetime import time
from fractions import Fraction
from pathlib import Path

import pytest

from core.errors import ImportRejected
from core.imports.asc_xml import parse_asc_xml
from core.imports.timetable import Card, Lesson, Named, ParsedTimetable

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = (FIXTURES / "asc_edge_cases.xml").read_bytes()


def parse(name: str = "asc_edge_cases.xml") -> ParsedTimetable:
    return parse_asc_xml((FIXTURES / name).read_bytes())


def cards_of(parsed: ParsedTimetable, subject: str) -> list[tuple[Lesson, Card]]:
    return [
        (parsed.lessons[c.lesson], c)
        for c in parsed.cards
        if parsed.lessons[c.lesson].subject.short == subject
    ]


def shape(parsed: ParsedTimetable) -> list[tuple[object, ...]]:
    """The timetable without file order: what must not depend on aSc ids."""
    return sorted(
        (
            c.weekday,
            c.period,
            c.week,
            parsed.lessons[c.lesson].subject,
            parsed.lessons[c.lesson].parts,
            parsed.lessons[c.lesson].teachers,
            c.rooms,
        )
        for c in parsed.cards
    )


def test_the_fixture_reads_with_every_edge_case() -> None:
    parsed = parse()
    assert (len(parsed.lessons), len(parsed.cards), len(parsed.unplaced)) == (13, 14, 1)
    assert (parsed.school_days, parsed.cycle_weeks) == (6, 2)
    # lesson 0, free-text and overlapping periods
    periods = {p.number: p for p in parsed.periods}
    assert sorted(periods) == list(range(9))
    assert (periods[0].starts_at, periods[0].label) == (time(7, 50), "0.")
    assert periods[8].label == "garā"
    assert periods[8].starts_at is not None
    assert periods[7].ends_at is not None
    assert periods[8].starts_at < periods[7].ends_at
    [(_, zero)] = cards_of(parsed, "KLS")
    assert (zero.weekday, zero.period, zero.rooms) == (0, 0, ())
    # 6-day mask: Saturday; several teachers on one lesson
    [(latvian, saturday)] = cards_of(parsed, "LVA")
    assert (saturday.weekday, saturday.period) == (5, 2)
    assert [t.short for t in latvian.teachers] == ["AP", "JT"]
    # double lesson: two consecutive cards on one day
    double = cards_of(parsed, "FIZ")
    assert [(c.weekday, c.period) for _, c in double] == [(1, 3), (1, 4)]
    assert double[0][0].per_card == 2
    # A/B pair in one slot, each fortnightly
    [(chem, a_week)] = cards_of(parsed, "KIM")
    [(bio, b_week)] = cards_of(parsed, "BIO")
    assert (a_week.weekday, a_week.period, a_week.week) == (3, 5, 0)
    assert (b_week.weekday, b_week.period, b_week.week) == (3, 5, 1)
    assert chem.per_week == bio.per_week == Fraction(1, 2)
    # multi-class lesson with aligned group ids
    [(sport, _)] = cards_of(parsed, "SPO")
    assert [(p.klass.short, p.whole) for p in sport.parts] == [("7.a", True), ("7.b", True)]
    # two divisions in one class; empty teacher ids and empty card rooms
    english = cards_of(parsed, "ANG")
    assert sorted((p.name, p.division) for lesson, _ in english for p in lesson.parts) == [
        ("1. grupa", 1),
        ("2. grupa", 1),
    ]
    assert sorted(len(lesson.teachers) for lesson, _ in english) == [0, 1]
    assert sorted(len(card.rooms) for _, card in english) == [0, 1]
    languages = cards_of(parsed, "VAC") + cards_of(parsed, "KRV")
    assert {p.division for lesson, _ in languages for p in lesson.parts} == {2}
    # the unplaced lesson stays a requirement
    [unplaced] = parsed.unplaced
    assert (unplaced.subject.short, unplaced.per_week) == ("MAT", Fraction(3))
    assert Named("PF", "Pēteris Fiktīvais") in parsed.teachers


@pytest.mark.parametrize("name", ["asc_edge_cases_bom.xml", "asc_edge_cases_other_ids.xml"])
def test_a_bom_and_other_ids_read_as_the_same_timetable(name: str) -> None:
    assert shape(parse(name)) == shape(parse())


def test_declared_single_byte_encodings_are_honoured() -> None:
    cyrillic = parse("asc_edge_cases_cp1251.xml")
    western = parse("asc_edge_cases_cp1252.xml")
    assert "Русский язык" in {s.name for s in cyrillic.subjects}
    assert "Deutsch für Anfänger" in {s.name for s in western.subjects}
    assert len(cyrillic.cards) == len(western.cards) == 14


def test_a_five_day_file_without_daysdefs_and_breaks() -> None:
    data = (
        BASE.replace(b'days="100000"', b'days="10000"')
        .replace(b'days="010000"', b'days="01000"')
        .replace(b'days="001000"', b'days="00100"')
        .replace(b'days="000100"', b'days="00010"')
        .replace(b'days="000010"', b'days="00001"')
        .replace(b'days="000001"', b'days="00001"')
    )
    for table in (b"daysdefs", b"breaks"):  # optional tables may be absent
        start = data.index(b"<" + table)
        end = data.index(b"</" + table + b">") + len(table) + 3
        data = data[:start] + data[end:]
    parsed = parse_asc_xml(data)
    assert parsed.school_days == 5
    assert max(c.weekday for c in parsed.cards) == 4


def problem_key(data: bytes) -> str:
    with pytest.raises(ImportRejected) as caught:
        parse_asc_xml(data)
    [problem] = caught.value.problems
    assert problem.row == 0
    return problem.key


def test_bad_files_are_refused_with_a_clear_problem() -> None:
    assert problem_key(b"<timetable><periods") == "import.asc.not_xml"
    assert problem_key(b"") == "import.asc.not_xml"
    assert problem_key(b"<html><body/></html>") == "import.asc.not_asc"
    no_columns = BASE.replace(b' columns="lessonid,period,days,weeks,terms,classroomids"', b"", 1)
    assert problem_key(no_columns) == "import.asc.no_columns"
    no_cards = BASE.replace(b"<cards ", b"<cardz ").replace(b"</cards>", b"</cardz>")
    assert problem_key(no_cards) == "import.asc.table_missing"
    html = BASE.replace(
        b'columns="id,name,short,partner_id"', b'columns="id,name,short,htmlexportlink"'
    )
    assert problem_key(html) == "import.asc.html_flavour"
    dangling = BASE.replace(b'lessonid="*54" period="8"', b'lessonid="*77" period="8"')
    assert problem_key(dangling) == "import.asc.unknown_ref"
    two_days = BASE.replace(b'days="001000"', b'days="011000"')
    assert problem_key(two_days) == "import.asc.bad_days"
    three_weeks = BASE.replace(b'weeks="01" terms', b'weeks="001" terms')
    assert problem_key(three_weeks) == "import.asc.bad_weeks"
    bad_period = BASE.replace(b'period="8" name=', b'period="x" name=')
    assert problem_key(bad_period) == "import.asc.bad_row"


def test_entities_are_never_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE timetable [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
        b'<timetable><subjects columns="id,name,short"><subject id="1" name="&c;"/>'
        b"</subjects></timetable>"
    )
    assert problem_key(bomb) == "import.asc.doctype"
    external = b'<?xml version="1.0"?><!DOCTYPE timetable SYSTEM "file:///etc/passwd"><timetable/>'
    assert problem_key(external) == "import.asc.doctype"
