"""School policy: scale selection, absence-code lookup and validation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from core.domain.attendance import (
    DEFAULT_ABSENCE_CODES,
    AbsenceCode,
    AttendanceFact,
    Justification,
)
from core.domain.marks import MarkKind, MarkScale
from core.domain.policy import ScaleRule, SchoolPolicy, default_policy
from core.errors import InvalidInput


def test_default_policy_scales() -> None:
    policy = default_policy()
    policy.validate()
    assert policy.scale_for(1, None) is MarkScale.LEVELS
    assert policy.scale_for(2, "MAT") is MarkScale.LEVELS
    assert policy.scale_for(3, None) is MarkScale.LEVELS
    assert policy.scale_for(4, None) is MarkScale.TEN_POINT
    assert policy.scale_for(7, "LV") is MarkScale.TEN_POINT
    assert policy.scale_for(12, None) is MarkScale.TEN_POINT


def test_default_policy_settings() -> None:
    policy = default_policy()
    assert policy.counted_kinds == frozenset({MarkKind.SUMMATIVE})
    assert not policy.percent_as_ten_point
    assert policy.absence_codes == DEFAULT_ABSENCE_CODES
    assert policy.attendance_cycle == ("n", "k")
    assert policy.unjustified_threshold == 20
    assert policy.note_max_days == 5
    assert not policy.pupils_may_submit_notes
    assert not policy.has_semester_marks(7)
    assert policy.nv_replace_days == 14


def test_a_subject_rule_beats_a_grade_band_rule() -> None:
    policy = SchoolPolicy(
        scale_rules=(
            ScaleRule(MarkScale.PASS_FAIL, 7, 9, frozenset({"SP"})),
            ScaleRule(MarkScale.LEVELS, 1, 3),
            ScaleRule(MarkScale.TEN_POINT, 4, 12),  # later, but only a band rule
        )
    )
    policy.validate()
    assert policy.scale_for(7, "SP") is MarkScale.PASS_FAIL
    assert policy.scale_for(7, "sp") is MarkScale.PASS_FAIL
    assert policy.scale_for(7, "MAT") is MarkScale.TEN_POINT
    assert policy.scale_for(7, None) is MarkScale.TEN_POINT
    assert policy.scale_for(10, "SP") is MarkScale.TEN_POINT
    assert policy.scale_for(2, "SP") is MarkScale.LEVELS


def test_later_rules_win_at_equal_specificity() -> None:
    policy = SchoolPolicy(
        scale_rules=(
            ScaleRule(MarkScale.TEN_POINT, 1, 12),
            ScaleRule(MarkScale.PERCENT, 9, 9),
            ScaleRule(MarkScale.PASS_FAIL, 5, 9, frozenset({"SP"})),
            ScaleRule(MarkScale.LEVELS, 5, 6, frozenset({"SP"})),
        )
    )
    assert policy.scale_for(9, "MAT") is MarkScale.PERCENT
    assert policy.scale_for(8, "MAT") is MarkScale.TEN_POINT
    assert policy.scale_for(6, "SP") is MarkScale.LEVELS
    assert policy.scale_for(9, "SP") is MarkScale.PASS_FAIL


def test_fallback_is_ten_point() -> None:
    assert SchoolPolicy(scale_rules=()).scale_for(2, None) is MarkScale.TEN_POINT
    assert default_policy().scale_for(13, None) is MarkScale.TEN_POINT


def test_absence_code_lookup() -> None:
    policy = default_policy()
    assert policy.absence_code("ns").justified_by_default
    with pytest.raises(InvalidInput) as caught:
        policy.absence_code("nv")
    assert caught.value.key == "attendance.unknown_code"
    assert caught.value.params == {"code": "nv"}


def test_policy_summarize_uses_its_codes() -> None:
    policy = replace(
        default_policy(),
        absence_codes=(AbsenceCode.of("x", {"lv": "x"}, counts_as_absence=True),),
        attendance_cycle=("x",),
    )
    policy.validate()
    facts = [AttendanceFact(date(2024, 9, 2), "x", Justification.PENDING)]
    assert policy.summarize(facts).pending == 1
    with pytest.raises(InvalidInput):
        default_policy().summarize(facts)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"scale_rules": (ScaleRule(MarkScale.LEVELS, 0, 3),)}, "policy.grades_invalid"),
        ({"scale_rules": (ScaleRule(MarkScale.LEVELS, 4, 3),)}, "policy.grades_invalid"),
        ({"scale_rules": (ScaleRule(MarkScale.LEVELS, 10, 13),)}, "policy.grades_invalid"),
        (
            {"scale_rules": (ScaleRule(MarkScale.LEVELS, 1, 3, frozenset()),)},
            "policy.subjects_empty",
        ),
        ({"semester_marks_grades": frozenset({0})}, "policy.grades_invalid"),
        ({"counted_kinds": frozenset()}, "policy.counted_kinds_empty"),
        ({"unjustified_threshold": -1}, "policy.threshold_invalid"),
        ({"note_max_days": 0}, "policy.note_max_days_invalid"),
        ({"note_max_days_ahead": -1}, "policy.note_days_ahead_invalid"),
        ({"note_max_days_back": -1}, "policy.note_days_back_invalid"),
        ({"nv_replace_days": -1}, "policy.nv_replace_days_invalid"),
        ({"absence_codes": ()}, "attendance.codes_invalid"),
        (
            {
                "absence_codes": (
                    *DEFAULT_ABSENCE_CODES,
                    AbsenceCode.of("nv", {"lv": "nav vērtējuma"}, counts_as_absence=False),
                )
            },
            "attendance.codes_invalid",
        ),
        ({"attendance_cycle": ("n", "x")}, "attendance.cycle_invalid"),
        ({"attendance_cycle": ("n", "n")}, "attendance.cycle_invalid"),
    ],
)
def test_invalid_policies(changes: dict[str, object], key: str) -> None:
    policy = replace(default_policy(), **changes)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        policy.validate()
    assert caught.value.key == key


def test_boundaries_that_are_valid() -> None:
    replace(
        default_policy(),
        unjustified_threshold=0,
        nv_replace_days=0,
        note_max_days=1,
        note_max_days_ahead=0,
        attendance_cycle=(),
        semester_marks_grades=frozenset({1, 12}),
    ).validate()


def test_policy_is_frozen_and_hashable() -> None:
    policy = default_policy()
    assert hash(policy) == hash(default_policy())
    with pytest.raises(AttributeError):
        policy.note_max_days = 3  # type: ignore[misc]
