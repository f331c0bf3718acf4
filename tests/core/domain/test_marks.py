"""Mark scales: parsing, labels, averages, period-mark proposals and "nv" bookkeeping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.domain.marks import (
    LearningLevel,
    MarkFact,
    MarkKind,
    MarkScale,
    MarkStatus,
    MarkValue,
    average,
    mark_label,
    nv_deadline,
    outstanding_nv,
    overdue_nv,
    parse_mark,
    propose_period_mark,
    ten_point_name,
    valid_options,
)
from core.errors import InvalidInput, InvalidMark

D = date(2024, 10, 1)


def fact(
    value: str | None,
    *,
    scale: MarkScale = MarkScale.TEN_POINT,
    kind: MarkKind = MarkKind.SUMMATIVE,
    on: date = D,
) -> MarkFact:
    mark = MarkValue.nv() if value is None else MarkValue.mark(value)
    return MarkFact(kind=kind, scale=scale, value=mark, on=on)


# ------------------------------------------------------------------ values


def test_mark_value_nv_and_consistency() -> None:
    assert MarkValue.nv() == MarkValue(MarkStatus.NV, None)
    assert MarkValue.nv().is_nv
    assert not MarkValue.mark("7").is_nv
    with pytest.raises(ValueError, match="inconsistent"):
        MarkValue(MarkStatus.NV, "7")
    with pytest.raises(ValueError, match="inconsistent"):
        MarkValue(MarkStatus.MARK, None)
    with pytest.raises(ValueError, match="inconsistent"):
        MarkValue(MarkStatus.MARK, "")


def test_mark_value_is_frozen_and_hashable() -> None:
    value = MarkValue.mark("7")
    with pytest.raises(AttributeError):
        value.value = "8"  # type: ignore[misc]
    assert len({MarkValue.mark("7"), MarkValue.mark("7"), MarkValue.nv()}) == 2


def test_learning_levels_are_ordered_by_learning_not_alphabet() -> None:
    assert LearningLevel.S < LearningLevel.T < LearningLevel.A < LearningLevel.P
    assert LearningLevel.P > LearningLevel.S
    assert LearningLevel.A >= LearningLevel.A
    assert LearningLevel.T <= LearningLevel.A
    shuffled = [LearningLevel.P, LearningLevel.S, LearningLevel.A, LearningLevel.T]
    assert sorted(shuffled) == list(LearningLevel)
    assert [level.rank for level in LearningLevel] == [0, 1, 2, 3]
    assert LearningLevel.A == "A"


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize("scale", list(MarkScale))
@pytest.mark.parametrize("text", ["nv", "NV", " Nv ", "nV"])
def test_nv_parses_on_every_scale(scale: MarkScale, text: str) -> None:
    assert parse_mark(scale, text) == MarkValue.nv()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", "1"), ("10", "10"), (" 7 ", "7"), ("07", "7"), ("5\n", "5")],
)
def test_ten_point_accepts_integers_one_to_ten(text: str, expected: str) -> None:
    assert parse_mark(MarkScale.TEN_POINT, text) == MarkValue.mark(expected)


@pytest.mark.parametrize(
    "text", ["11", "0", "7.5", "7,5", "abc", "", "  ", "-3", "+7", "١", "10%", "1 0", "n"]
)
def test_ten_point_rejects_everything_else(text: str) -> None:
    with pytest.raises(InvalidMark) as caught:
        parse_mark(MarkScale.TEN_POINT, text)
    error = caught.value
    assert error.key == "mark.invalid_value"
    assert error.params == {
        "value": text,
        "scale": "ten_point",
        "valid": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nv",
    }


def test_invalid_mark_is_an_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        parse_mark(MarkScale.LEVELS, "X")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S", "S"),
        ("t", "T"),
        (" a ", "A"),
        ("p", "P"),
        ("sācis apgūt", "S"),
        ("SACIS APGUT", "S"),
        ("turpina apgūt", "T"),
        ("turpina  apgut", "T"),
        ("apguvis", "A"),
        ("apguvusi", "A"),
        ("apguvis padziļināti", "P"),
        ("apguvis padzilinati", "P"),
        ("started to learn", "S"),
        ("Continues to learn", "T"),
        ("has learned", "A"),
        ("has learned in depth", "P"),
        ("начал осваивать", "S"),
        ("продолжает осваивать", "T"),
        ("освоил", "A"),
        ("освоил углублённо", "P"),
        ("освоил углубленно", "P"),
    ],
)
def test_levels_accept_codes_and_words_in_three_languages(text: str, expected: str) -> None:
    assert parse_mark(MarkScale.LEVELS, text) == MarkValue.mark(expected)


@pytest.mark.parametrize("text", ["X", "7", "apgūt", "SS", "", "pass"])
def test_levels_reject_unknown_words(text: str) -> None:
    with pytest.raises(InvalidMark) as caught:
        parse_mark(MarkScale.LEVELS, text)
    assert caught.value.params["valid"] == "S, T, A, P, nv"
    assert caught.value.params["scale"] == "levels"


@pytest.mark.parametrize(
    "text", ["i", "I", "ieskaitīts", "ieskaitits", "Ieskaitīts", "pass", "PASS", "+", "зачтено"]
)
def test_pass_words(text: str) -> None:
    assert parse_mark(MarkScale.PASS_FAIL, text) == MarkValue.mark("pass")


@pytest.mark.parametrize(
    "text", ["ni", "NI", "neieskaitīts", "neieskaitits", "fail", "-", "−", "не зачтено"]
)
def test_fail_words(text: str) -> None:
    assert parse_mark(MarkScale.PASS_FAIL, text) == MarkValue.mark("fail")


@pytest.mark.parametrize("text", ["yes", "10", "ieskaite", "++", ""])
def test_pass_fail_rejects_other_words(text: str) -> None:
    with pytest.raises(InvalidMark) as caught:
        parse_mark(MarkScale.PASS_FAIL, text)
    assert caught.value.params["valid"] == "i, ni, nv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", "0"), ("100", "100"), ("85%", "85"), (" 85 % ", "85"), ("007", "7"), ("50", "50")],
)
def test_percent_accepts_zero_to_hundred(text: str, expected: str) -> None:
    assert parse_mark(MarkScale.PERCENT, text) == MarkValue.mark(expected)


@pytest.mark.parametrize("text", ["101", "-1", "85.5", "%", "85%%", "abc", "1000"])
def test_percent_rejects_others_and_summarises_the_range(text: str) -> None:
    with pytest.raises(InvalidMark) as caught:
        parse_mark(MarkScale.PERCENT, text)
    assert caught.value.params["valid"] == "0–100%, nv"


@pytest.mark.parametrize("scale", list(MarkScale))
def test_every_valid_option_parses_and_nv_is_last(scale: MarkScale) -> None:
    options = valid_options(scale)
    assert options[-1] == "nv"
    parsed = [parse_mark(scale, option) for option in options]
    assert parsed[-1] == MarkValue.nv()
    assert len(set(parsed)) == len(options)


def test_valid_options_per_scale() -> None:
    assert valid_options(MarkScale.TEN_POINT) == (
        *("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"),
        "nv",
    )
    assert valid_options(MarkScale.LEVELS) == ("S", "T", "A", "P", "nv")
    assert valid_options(MarkScale.PASS_FAIL) == ("i", "ni", "nv")
    assert len(valid_options(MarkScale.PERCENT)) == 102


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("lv", ["sācis apgūt", "turpina apgūt", "apguvis", "apguvis padziļināti"]),
        ("en", ["started to learn", "continues to learn", "has learned", "has learned in depth"]),
        ("ru", ["начал осваивать", "продолжает осваивать", "освоил", "освоил углублённо"]),
    ],
)
def test_learning_level_labels(lang: str, words: list[str]) -> None:
    labels = [mark_label(MarkScale.LEVELS, MarkValue.mark(c), lang) for c in "STAP"]
    assert labels == words


def test_labels_of_other_scales() -> None:
    assert mark_label(MarkScale.TEN_POINT, MarkValue.mark("8"), "lv") == "8"
    assert mark_label(MarkScale.PERCENT, MarkValue.mark("85"), "en") == "85%"
    assert mark_label(MarkScale.PASS_FAIL, MarkValue.mark("pass"), "lv") == "ieskaitīts"
    assert mark_label(MarkScale.PASS_FAIL, MarkValue.mark("fail"), "lv") == "neieskaitīts"
    assert mark_label(MarkScale.PASS_FAIL, MarkValue.mark("fail"), "ru") == "не зачтено"
    assert mark_label(MarkScale.PASS_FAIL, MarkValue.mark("pass"), "en") == "pass"
    for scale in MarkScale:
        assert mark_label(scale, MarkValue.nv(), "ru") == "nv"


def test_labels_fall_back_to_latvian() -> None:
    assert mark_label(MarkScale.LEVELS, MarkValue.mark("A"), "de") == "apguvis"
    assert ten_point_name(10, "de") == "izcili"


def test_label_of_a_value_off_the_scale_is_an_error() -> None:
    with pytest.raises(InvalidMark):
        mark_label(MarkScale.LEVELS, MarkValue.mark("8"), "lv")
    with pytest.raises(InvalidMark):
        mark_label(MarkScale.TEN_POINT, MarkValue.mark("11"), "lv")
    with pytest.raises(InvalidMark):
        mark_label(MarkScale.PERCENT, MarkValue.mark("pass"), "lv")


def test_ten_point_names() -> None:
    assert [ten_point_name(n, "lv") for n in range(10, 0, -1)] == [
        "izcili",
        "teicami",
        "ļoti labi",
        "labi",
        "gandrīz labi",
        "viduvēji",
        "gandrīz viduvēji",
        "vāji",
        "ļoti vāji",
        "ļoti, ļoti vāji",
    ]
    assert ten_point_name(10, "en") == "with distinction"
    assert ten_point_name(1, "en") == "very, very weak"
    assert ten_point_name(7, "ru") == "хорошо"
    for bad in (0, 11):
        with pytest.raises(InvalidMark):
            ten_point_name(bad, "lv")


# ------------------------------------------------------------------ averages


def test_average_of_summative_ten_point_marks() -> None:
    assert average([fact("7"), fact("8"), fact("8")]) == Decimal("7.67")
    assert average([fact("10")]) == Decimal("10.00")


def test_average_rounds_half_up() -> None:
    # 7.125 with banker's rounding would be 7.12
    marks = [fact(v) for v in ("7", "7", "7", "7", "7", "7", "8", "7")]
    assert average(marks) == Decimal("7.13")


def test_average_excludes_formative_nv_and_non_numeric_scales() -> None:
    marks = [
        fact("6"),
        fact("9"),
        fact("1", kind=MarkKind.FORMATIVE),
        fact("2", kind=MarkKind.DIAGNOSTIC),
        fact(None),
        fact("P", scale=MarkScale.LEVELS),
        fact("pass", scale=MarkScale.PASS_FAIL),
        fact("40", scale=MarkScale.PERCENT),
    ]
    assert average(marks) == Decimal("7.50")


def test_average_counts_configured_kinds() -> None:
    marks = [fact("6"), fact("10", kind=MarkKind.FORMATIVE)]
    both = frozenset({MarkKind.SUMMATIVE, MarkKind.FORMATIVE})
    assert average(marks, counted_kinds=both) == Decimal("8.00")


def test_average_converts_percent_only_when_asked() -> None:
    marks = [fact("8"), fact("85", scale=MarkScale.PERCENT)]
    assert average(marks) == Decimal("8.00")
    assert average(marks, percent_as_ten_point=True) == Decimal("8.25")


def test_average_of_nothing_is_none() -> None:
    assert average([]) is None
    assert average([fact(None), fact("7", kind=MarkKind.FORMATIVE)]) is None
    assert average([fact("A", scale=MarkScale.LEVELS)]) is None


def test_average_accepts_a_generator() -> None:
    assert average(fact(v) for v in ("4", "5")) == Decimal("4.50")


# ------------------------------------------------------------------ proposals


def test_ten_point_proposal_rounds_the_average_half_up() -> None:
    propose = propose_period_mark
    assert propose([fact("7"), fact("8")], scale=MarkScale.TEN_POINT) == MarkValue.mark("8")
    assert propose([fact("7"), fact("7"), fact("8")], scale=MarkScale.TEN_POINT) == (
        MarkValue.mark("7")
    )
    marks = [fact("9"), fact("1", kind=MarkKind.FORMATIVE), fact(None)]
    assert propose(marks, scale=MarkScale.TEN_POINT) == MarkValue.mark("9")


def test_ten_point_proposal_stays_on_the_scale_with_percent() -> None:
    marks = [fact("3", scale=MarkScale.PERCENT)]
    proposal = propose_period_mark(marks, scale=MarkScale.TEN_POINT, percent_as_ten_point=True)
    assert proposal == MarkValue.mark("1")
    assert propose_period_mark(marks, scale=MarkScale.TEN_POINT) is None


def test_levels_proposal_takes_the_most_frequent_level() -> None:
    marks = [
        fact("T", scale=MarkScale.LEVELS, on=date(2024, 9, 10)),
        fact("A", scale=MarkScale.LEVELS, on=date(2024, 9, 20)),
        fact("T", scale=MarkScale.LEVELS, on=date(2024, 10, 1)),
        fact("P", scale=MarkScale.LEVELS, on=date(2024, 12, 1)),
    ]
    assert propose_period_mark(marks, scale=MarkScale.LEVELS) == MarkValue.mark("T")


def test_levels_proposal_breaks_ties_by_the_most_recent() -> None:
    marks = [
        fact("A", scale=MarkScale.LEVELS, on=date(2024, 11, 1)),
        fact("T", scale=MarkScale.LEVELS, on=date(2024, 9, 1)),
        fact("T", scale=MarkScale.LEVELS, on=date(2024, 9, 2)),
        fact("A", scale=MarkScale.LEVELS, on=date(2024, 10, 1)),
        fact("P", scale=MarkScale.LEVELS, on=date(2024, 12, 1), kind=MarkKind.FORMATIVE),
        fact(None, scale=MarkScale.LEVELS, on=date(2024, 12, 2)),
    ]
    assert propose_period_mark(marks, scale=MarkScale.LEVELS) == MarkValue.mark("A")
    # same date: the later one in input order wins
    same_day = [fact("S", scale=MarkScale.LEVELS), fact("P", scale=MarkScale.LEVELS)]
    assert propose_period_mark(same_day, scale=MarkScale.LEVELS) == MarkValue.mark("P")


def test_pass_fail_proposal_takes_the_most_recent() -> None:
    marks = [
        fact("fail", scale=MarkScale.PASS_FAIL, on=date(2024, 12, 1)),
        fact("pass", scale=MarkScale.PASS_FAIL, on=date(2024, 9, 1)),
        fact("pass", scale=MarkScale.PASS_FAIL, on=date(2024, 12, 5), kind=MarkKind.FORMATIVE),
    ]
    assert propose_period_mark(marks, scale=MarkScale.PASS_FAIL) == MarkValue.mark("fail")


def test_percent_proposal_rounds_the_mean() -> None:
    marks = [fact("84", scale=MarkScale.PERCENT), fact("85", scale=MarkScale.PERCENT)]
    assert propose_period_mark(marks, scale=MarkScale.PERCENT) == MarkValue.mark("85")
    marks.append(fact("7"))  # a ten-point mark is no percent
    assert propose_period_mark(marks, scale=MarkScale.PERCENT) == MarkValue.mark("85")


@pytest.mark.parametrize("scale", list(MarkScale))
def test_no_proposal_without_counted_marks(scale: MarkScale) -> None:
    marks = [fact(None, scale=scale), fact("7", kind=MarkKind.FORMATIVE)]
    assert propose_period_mark(marks, scale=scale) is None


# ------------------------------------------------------------------ "nv"


def test_outstanding_and_overdue_nv() -> None:
    early = fact(None, on=date(2024, 9, 10))
    late = fact(None, on=date(2024, 10, 1))
    marks = [late, fact("7"), early]
    assert outstanding_nv(marks) == (early, late)
    assert nv_deadline(date(2024, 9, 10), 14) == date(2024, 9, 24)
    assert overdue_nv(marks, today=date(2024, 9, 24), replace_days=14) == ()
    assert overdue_nv(marks, today=date(2024, 9, 25), replace_days=14) == (early,)
