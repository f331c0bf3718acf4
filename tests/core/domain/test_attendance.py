"""Absence codes, summaries, the unexcused threshold, the roster tap cycle and note ranges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.domain.attendance import (
    DEFAULT_ABSENCE_CODES,
    AbsenceCode,
    AttendanceFact,
    AttendanceSummary,
    Justification,
    NoteReason,
    NoteStatus,
    find_absence_code,
    initial_justification,
    next_attendance_code,
    note_covers,
    note_days,
    over_threshold,
    summarize,
    validate_absence_codes,
    validate_note_range,
)
from core.domain.calendar import latvian_calendar
from core.errors import InvalidInput

D = date(2024, 10, 1)
J = Justification


def code(name: str, **flags: bool) -> AbsenceCode:
    return AbsenceCode.of(name, {"lv": name}, counts_as_absence=flags.pop("counts", True), **flags)


# ------------------------------------------------------------------ codes


def test_default_codes() -> None:
    codes = {c.code: c for c in DEFAULT_ABSENCE_CODES}
    assert set(codes) == {"n", "k", "ns"}
    assert codes["n"].counts_as_absence
    assert not codes["n"].is_late
    assert not codes["n"].justified_by_default
    assert codes["k"].is_late
    assert not codes["k"].counts_as_absence
    assert codes["ns"].counts_as_absence
    assert codes["ns"].justified_by_default
    assert codes["n"].label("lv") == "nav ieradies"
    assert codes["k"].label("lv") == "kavējis"
    assert codes["ns"].label("lv") == "slimības dēļ"
    assert codes["ns"].label("en") == "ill"
    assert codes["ns"].label("ru") == "по болезни"
    validate_absence_codes(DEFAULT_ABSENCE_CODES)


def test_codes_are_hashable_and_labels_fall_back() -> None:
    only_lv = AbsenceCode.of("x", {"lv": "cits"}, counts_as_absence=True)
    assert only_lv.label("ru") == "cits"
    assert AbsenceCode.of("y", {}, counts_as_absence=True).label("en") == "y"
    assert len(set(DEFAULT_ABSENCE_CODES)) == 3
    assert AbsenceCode.of("n", {"en": "a", "lv": "b"}, counts_as_absence=True) == AbsenceCode.of(
        "n", {"lv": "b", "en": "a"}, counts_as_absence=True
    )


@pytest.mark.parametrize(
    ("codes", "culprit"),
    [
        ((), ""),
        ((code("n"), code("n")), "n"),
        ((code("n"), code("N")), "N"),
        ((code("nv"),), "nv"),
        ((code("NV"),), "NV"),
        ((code("abcd"),), "abcd"),
        ((code(""),), ""),
        ((code("a b"),), "a b"),
    ],
)
def test_invalid_code_lists_are_refused(codes: tuple[AbsenceCode, ...], culprit: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_absence_codes(codes)
    assert caught.value.key == "attendance.codes_invalid"
    assert caught.value.params == {"code": culprit}


def test_three_character_codes_are_fine() -> None:
    validate_absence_codes([code("nc"), code("abc")])


def test_find_absence_code() -> None:
    assert find_absence_code(DEFAULT_ABSENCE_CODES, "k").is_late
    with pytest.raises(InvalidInput) as caught:
        find_absence_code(DEFAULT_ABSENCE_CODES, "nv")
    assert caught.value.key == "attendance.unknown_code"
    assert caught.value.params == {"code": "nv"}


def test_initial_justification() -> None:
    codes = {c.code: c for c in DEFAULT_ABSENCE_CODES}
    assert initial_justification(codes["ns"]) is J.JUSTIFIED
    assert initial_justification(codes["n"]) is J.PENDING


# ------------------------------------------------------------------ summaries


def test_summary_counts_by_justification_and_late_apart() -> None:
    facts = [
        AttendanceFact(D, "n", J.PENDING),
        AttendanceFact(D, "n", J.UNJUSTIFIED),
        AttendanceFact(D, "n", J.UNJUSTIFIED),
        AttendanceFact(D, "n", J.JUSTIFIED),
        AttendanceFact(D, "ns", J.JUSTIFIED),
        AttendanceFact(D, "k", J.PENDING),
        AttendanceFact(D, "k", J.UNJUSTIFIED),
    ]
    summary = summarize(facts, DEFAULT_ABSENCE_CODES)
    assert summary == AttendanceSummary(
        absent_lessons=5, justified=2, unjustified=2, pending=1, late=2
    )
    assert summary.unexcused == 3


def test_a_late_code_that_counts_as_absence_counts_twice_over() -> None:
    codes = [code("n"), code("kn", counts=True, is_late=True)]
    summary = summarize([AttendanceFact(D, "kn", J.PENDING)], codes)
    assert (summary.absent_lessons, summary.pending, summary.late) == (1, 1, 1)


def test_summary_of_nothing() -> None:
    assert summarize([], DEFAULT_ABSENCE_CODES) == AttendanceSummary(0, 0, 0, 0, 0)


def test_summary_refuses_unknown_codes() -> None:
    with pytest.raises(InvalidInput) as caught:
        summarize([AttendanceFact(D, "x", J.PENDING)], DEFAULT_ABSENCE_CODES)
    assert caught.value.key == "attendance.unknown_code"


def test_threshold_is_strictly_more_than() -> None:
    at_limit = AttendanceSummary(absent_lessons=25, justified=5, unjustified=15, pending=5, late=9)
    assert not over_threshold(at_limit, 20)
    over = AttendanceSummary(absent_lessons=26, justified=5, unjustified=15, pending=6, late=0)
    assert over_threshold(over, 20)
    assert not over_threshold(AttendanceSummary(0, 0, 0, 0, 0), 0)
    assert over_threshold(AttendanceSummary(1, 0, 0, 1, 0), 0)


def test_threshold_from_facts() -> None:
    facts = [AttendanceFact(D + timedelta(days=i), "n", J.UNJUSTIFIED) for i in range(21)]
    facts += [AttendanceFact(D, "ns", J.JUSTIFIED)] * 10
    summary = summarize(facts, DEFAULT_ABSENCE_CODES)
    assert over_threshold(summary, 20)
    assert not over_threshold(summarize(facts[1:], DEFAULT_ABSENCE_CODES), 20)


# ------------------------------------------------------------------ roster taps


def test_tap_cycle() -> None:
    cycle = ("n", "k")
    assert next_attendance_code(None, cycle) == "n"
    assert next_attendance_code("n", cycle) == "k"
    assert next_attendance_code("k", cycle) is None
    assert next_attendance_code("ns", cycle) is None
    assert next_attendance_code(None, ()) is None
    assert next_attendance_code("n", ["n"]) is None


# ------------------------------------------------------------------ notes


def test_note_enums() -> None:
    assert [s.value for s in NoteStatus] == ["submitted", "accepted", "rejected"]
    assert [r.value for r in NoteReason] == ["illness", "family", "other"]
    assert [j.value for j in Justification] == ["pending", "justified", "unjustified"]


def test_note_range_within_limits() -> None:
    today = date(2024, 10, 7)
    validate_note_range(today, today, today=today, max_days=5)
    validate_note_range(date(2024, 10, 1), date(2024, 10, 5), today=today, max_days=5)
    validate_note_range(date(2024, 11, 6), date(2024, 11, 6), today=today, max_days=5)


def test_note_range_reversed() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_note_range(date(2024, 10, 5), date(2024, 10, 4), today=D, max_days=5)
    assert caught.value.key == "note.range_reversed"
    assert caught.value.params == {"starts_on": date(2024, 10, 5), "ends_on": date(2024, 10, 4)}


def test_note_too_long_in_calendar_days() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_note_range(date(2024, 10, 1), date(2024, 10, 6), today=D, max_days=5)
    assert caught.value.key == "note.too_long"
    assert caught.value.params == {"days": 6, "max_days": 5}


def test_note_length_in_school_days_with_a_calendar() -> None:
    calendar = latvian_calendar(2024)
    wednesday, next_tuesday = date(2024, 10, 2), date(2024, 10, 8)
    assert note_days(wednesday, next_tuesday) == 7
    assert note_days(wednesday, next_tuesday, calendar=calendar) == 5
    validate_note_range(wednesday, next_tuesday, today=D, max_days=5, calendar=calendar)
    with pytest.raises(InvalidInput) as caught:
        validate_note_range(
            wednesday, next_tuesday + timedelta(days=1), today=D, max_days=5, calendar=calendar
        )
    assert caught.value.params == {"days": 6, "max_days": 5}
    # the autumn holidays (21-25.10.2024) are not school days
    assert note_days(date(2024, 10, 18), date(2024, 10, 28), calendar=calendar) == 2


def test_note_too_far_ahead() -> None:
    today = date(2024, 10, 1)
    validate_note_range(date(2024, 10, 31), date(2024, 10, 31), today=today, max_days=5)
    with pytest.raises(InvalidInput) as caught:
        validate_note_range(date(2024, 11, 1), date(2024, 11, 1), today=today, max_days=5)
    assert caught.value.key == "note.too_far_ahead"
    assert caught.value.params == {"latest": date(2024, 10, 31)}
    # the start decides: a note may run on past the window
    validate_note_range(date(2024, 10, 31), date(2024, 11, 3), today=today, max_days=5)
    validate_note_range(
        date(2024, 10, 3), date(2024, 10, 3), today=today, max_days=5, max_days_ahead=2
    )
    with pytest.raises(InvalidInput):
        validate_note_range(
            date(2024, 10, 4), date(2024, 10, 4), today=today, max_days=5, max_days_ahead=2
        )


def test_note_covers_both_ends() -> None:
    start, end = date(2024, 10, 1), date(2024, 10, 3)
    assert note_covers(start, end, start)
    assert note_covers(start, end, date(2024, 10, 2))
    assert note_covers(start, end, end)
    assert not note_covers(start, end, date(2024, 9, 30))
    assert not note_covers(start, end, date(2024, 10, 4))
