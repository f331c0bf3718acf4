"""Marks typed in one message: numbers, names without diacritics, and every refusal per line."""

from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path

import pytest

import core.domain.mark_entry
from core.domain.mark_entry import (
    LineError,
    number_roster,
    parse_mark_lines,
    tally,
)
from core.domain.marks import MarkScale, MarkValue
from core.i18n import LANGUAGES, Catalogs

ROSTER = number_roster(
    [
        (11, "Ozols", "Pēteris"),
        (12, "Bērziņš", "Jānis"),
        (13, "Bērziņa", "Ērika"),
        (14, "Kalniņa", "Anna Marija"),
        (15, "Āboliņš", "Kārlis"),
        (16, "Bērziņš", "Pēteris"),
        (17, "Ozola-Liepa", "Ilze"),
        (18, "Zariņš", "Jānis"),
        (19, "Zariņš", "Jēkabs"),
    ]
)
BY_NAME = {p.label: p for p in ROSTER}


def pupil(label: str) -> int:
    return BY_NAME[label].pupil_id


def saved(text: str, scale: MarkScale = MarkScale.TEN_POINT) -> dict[int, MarkValue]:
    lines = parse_mark_lines(text, ROSTER, scale=scale)
    assert lines.errors == ()
    return {entry.pupil_id: entry.value for entry in lines.entries}


def refused(text: str, scale: MarkScale = MarkScale.TEN_POINT) -> list[LineError]:
    lines = parse_mark_lines(text, ROSTER, scale=scale)
    assert not lines.ok
    return list(lines.errors)


def test_the_roster_is_numbered_in_latvian_order() -> None:
    assert [(p.number, p.label) for p in ROSTER] == [
        (1, "Āboliņš Kārlis"),  # Ā right after A, not after Z
        (2, "Bērziņa Ērika"),
        (3, "Bērziņš Jānis"),
        (4, "Bērziņš Pēteris"),
        (5, "Kalniņa Anna Marija"),
        (6, "Ozola-Liepa Ilze"),
        (7, "Ozols Pēteris"),
        (8, "Zariņš Jānis"),
        (9, "Zariņš Jēkabs"),
    ]


def test_numbers_values_and_nv_one_per_line_or_separated() -> None:
    marks = saved("1 8\n2 9\n\n7 nv\n  5   10  \n6 NV; 8 1, 9 4,")
    assert marks == {
        pupil("Āboliņš Kārlis"): MarkValue.mark("8"),
        pupil("Bērziņa Ērika"): MarkValue.mark("9"),
        pupil("Ozols Pēteris"): MarkValue.nv(),
        pupil("Kalniņa Anna Marija"): MarkValue.mark("10"),
        pupil("Ozola-Liepa Ilze"): MarkValue.nv(),
        pupil("Zariņš Jānis"): MarkValue.mark("1"),
        pupil("Zariņš Jēkabs"): MarkValue.mark("4"),
    }
    lines = parse_mark_lines("1 8\n\n3. 7", ROSTER, scale=MarkScale.TEN_POINT)
    assert [(e.line, e.entry) for e in lines.entries] == [(1, "1 8"), (3, "3. 7")]


def test_family_names_match_without_case_or_diacritics() -> None:
    marks = saved("aboliņs 7\nBERZINA 6\nkalnina 8\nozols 5")
    assert marks == {
        pupil("Āboliņš Kārlis"): MarkValue.mark("7"),
        pupil("Bērziņa Ērika"): MarkValue.mark("6"),
        pupil("Kalniņa Anna Marija"): MarkValue.mark("8"),
        pupil("Ozols Pēteris"): MarkValue.mark("5"),
    }


def test_a_shared_family_name_needs_the_given_name_or_the_initial() -> None:
    [error] = refused("Bērziņš 7")
    assert (error.line, error.key) == (1, "mark_entry.ambiguous_name")
    assert error.params == {
        "name": "Bērziņš",
        "candidates": "3. Bērziņš Jānis, 4. Bērziņš Pēteris",
    }
    marks = saved("berzins j 7\nBērziņš P. 6\nzarins jekabs 9\nZariņš Jānis 8")
    assert marks == {
        pupil("Bērziņš Jānis"): MarkValue.mark("7"),
        pupil("Bērziņš Pēteris"): MarkValue.mark("6"),
        pupil("Zariņš Jēkabs"): MarkValue.mark("9"),
        pupil("Zariņš Jānis"): MarkValue.mark("8"),
    }
    [error] = refused("Zariņš J 5")  # both Zariņš are J.
    assert error.key == "mark_entry.ambiguous_name"
    assert error.params["candidates"] == "8. Zariņš Jānis, 9. Zariņš Jēkabs"


def test_a_part_of_a_double_family_name_and_a_first_given_name_match() -> None:
    assert saved("liepa 9\nKalniņa Anna 8") == {
        pupil("Ozola-Liepa Ilze"): MarkValue.mark("9"),
        pupil("Kalniņa Anna Marija"): MarkValue.mark("8"),
    }


def test_words_of_a_value_are_not_taken_for_a_name() -> None:
    marks = saved("Bērziņa apguvis padziļināti\n3 sācis apgūt\n1 A", MarkScale.LEVELS)
    assert marks == {
        pupil("Bērziņa Ērika"): MarkValue.mark("P"),
        pupil("Bērziņš Jānis"): MarkValue.mark("S"),
        pupil("Āboliņš Kārlis"): MarkValue.mark("A"),
    }


def test_every_bad_line_is_named_and_no_entry_passes_with_it() -> None:
    lines = parse_mark_lines(
        "1 8\n2 11\n3 abc\n10 7\nPriede 6\n1 9\n4\n0 5",
        ROSTER,
        scale=MarkScale.TEN_POINT,
    )
    assert [(e.line, e.entry, e.key) for e in lines.errors] == [
        (2, "2 11", "mark_entry.invalid_value"),
        (3, "3 abc", "mark_entry.invalid_value"),
        (4, "10 7", "mark_entry.unknown_number"),
        (5, "Priede 6", "mark_entry.unknown_name"),
        (6, "1 9", "mark_entry.duplicate"),
        (7, "4", "mark_entry.no_value"),
        (8, "0 5", "mark_entry.unknown_number"),
    ]
    errors = {e.line: e.params for e in lines.errors}
    assert errors[2] == {
        "value": "11",
        "pupil": "Bērziņa Ērika",
        "valid": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nv",
    }
    assert errors[3]["value"] == "abc"
    assert errors[4] == {"number": "10", "size": 9}
    assert errors[5] == {"name": "Priede"}
    assert errors[6] == {"pupil": "Āboliņš Kārlis", "first": 1}


def test_a_ten_point_value_in_a_learning_levels_group_is_refused_with_the_options() -> None:
    [error] = refused("1 A\n2 8", MarkScale.LEVELS)
    assert (error.line, error.key) == (2, "mark_entry.invalid_value")
    assert error.params == {"value": "8", "pupil": "Bērziņa Ērika", "valid": "S, T, A, P, nv"}


def test_pass_fail_and_percent_values() -> None:
    assert saved("1 i\n2 ni\n3 nv", MarkScale.PASS_FAIL) == {
        pupil("Āboliņš Kārlis"): MarkValue.mark("pass"),
        pupil("Bērziņa Ērika"): MarkValue.mark("fail"),
        pupil("Bērziņš Jānis"): MarkValue.nv(),
    }
    assert saved("1 85%\n2 100 %", MarkScale.PERCENT) == {
        pupil("Āboliņš Kārlis"): MarkValue.mark("85"),
        pupil("Bērziņa Ērika"): MarkValue.mark("100"),
    }
    [error] = refused("1 101", MarkScale.PERCENT)
    assert error.params["valid"] == "0–100%, nv"


def test_a_huge_number_is_an_unknown_number() -> None:
    [error] = refused("99999999999999999999999 8")
    assert error.key == "mark_entry.unknown_number"


def test_an_empty_message_has_no_entries_and_no_errors() -> None:
    lines = parse_mark_lines("\n  \n , ;", ROSTER, scale=MarkScale.TEN_POINT)
    assert (lines.entries, lines.errors) == ((), ())


def test_the_tally_counts_distributes_and_averages() -> None:
    values = [MarkValue.mark(v) for v in ("8", "10", "8", "5")] + [MarkValue.nv()]
    result = tally(MarkScale.TEN_POINT, values)
    assert result.entered == 5
    assert result.nv == 1
    assert result.distribution == (("5", 1), ("8", 2), ("10", 1))
    assert result.average == Decimal("7.75")
    levels = tally(MarkScale.LEVELS, [MarkValue.mark(v) for v in ("P", "S", "A", "S")])
    assert levels.distribution == (("S", 2), ("A", 1), ("P", 1))
    assert levels.average is None
    assert tally(MarkScale.TEN_POINT, [MarkValue.nv()]).average is None


# ------------------------------------------------------------------ texts of every key

KEYS = re.compile(r'"(mark_entry\.[a-z_]+)"')
SOURCES = (
    Path(core.domain.mark_entry.__file__),
    Path(core.domain.mark_entry.__file__).parents[1] / "services" / "marks.py",
)


def used_keys() -> set[str]:
    return {key for path in SOURCES for key in KEYS.findall(path.read_text(encoding="utf-8"))}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_the_key_scan_finds_the_keys() -> None:
    assert {"mark_entry.ambiguous_name", "mark_entry.lines_invalid"} <= used_keys()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_has_text_with_the_same_placeholders(lang: str) -> None:
    catalogs = Catalogs.load()
    for key in used_keys():
        assert catalogs.has(key, lang), (key, lang)
        assert placeholders(catalogs.text(key, lang)) == placeholders(catalogs.text(key, "lv"))


def test_an_error_renders_in_every_language() -> None:
    catalogs = Catalogs.load()
    [error] = refused("3 11")
    texts = {lang: catalogs.text(error.key, lang, **error.params) for lang in LANGUAGES}
    assert texts == {
        "lv": "„11” nav derīgs vērtējums (Bērziņš Jānis). "
        "Derīgās vērtības: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nv.",
        "en": "“11” is not a valid mark (Bērziņš Jānis). "
        "Valid values: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nv.",
        "ru": "«11» — недопустимая оценка (Bērziņš Jānis). "
        "Допустимые значения: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nv.",
    }
