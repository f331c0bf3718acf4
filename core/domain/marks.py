"""Owns mark scales, mark parsing and labels, the "nv" status, averages and period-mark proposals.

Pure rules over frozen dataclasses: no I/O, no clock; dates arrive as arguments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Self

from core.errors import InvalidMark

_FALLBACK_LANGUAGE = "lv"
_NV = "nv"
_PASS = "pass"
_FAIL = "fail"


class MarkScale(StrEnum):
    """How a subject's marks are expressed (domain.md §2.1)."""

    TEN_POINT = "ten_point"
    LEVELS = "levels"
    PASS_FAIL = "pass_fail"
    PERCENT = "percent"


class MarkKind(StrEnum):
    """What a mark is for: only the kinds a school counts enter averages (summative by default)."""

    SUMMATIVE = "summative"
    FORMATIVE = "formative"
    DIAGNOSTIC = "diagnostic"


class MarkStatus(StrEnum):
    """A real mark, or "nv" (nav vērtējuma): no mark *yet*; neither a mark nor an absence."""

    MARK = "mark"
    NV = "nv"


class LearningLevel(StrEnum):
    """The four learning levels of grades 1–3, ordered S < T < A < P; never averaged.

    Comparisons (``<``, ``>``, ...) between levels follow the learning order, not the alphabet.
    Comparing a level with a plain string falls back to string comparison: convert first.
    """

    S = "S"  # sācis apgūt
    T = "T"  # turpina apgūt
    A = "A"  # apguvis
    P = "P"  # apguvis padziļināti

    @property
    def rank(self) -> int:
        """0 for S up to 3 for P."""
        return _LEVEL_RANK[self]

    def __lt__(self, other: object) -> bool:
        if isinstance(other, LearningLevel):
            return self.rank < other.rank
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, LearningLevel):
            return self.rank <= other.rank
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, LearningLevel):
            return self.rank > other.rank
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, LearningLevel):
            return self.rank >= other.rank
        return NotImplemented


_LEVEL_RANK: Mapping[LearningLevel, int] = {level: i for i, level in enumerate(LearningLevel)}


@dataclass(frozen=True, slots=True)
class MarkValue:
    """A mark as stored: its status and canonical value.

    Canonical values: ten-point ``"1"``..``"10"``; levels ``"S"``/``"T"``/``"A"``/``"P"``;
    pass/fail ``"pass"``/``"fail"``; percent ``"0"``..``"100"``; ``None`` for "nv".
    """

    status: MarkStatus
    value: str | None

    def __post_init__(self) -> None:
        if (self.status is MarkStatus.NV) != (self.value is None) or self.value == "":
            raise ValueError(f"inconsistent mark value: {self.status}, {self.value!r}")

    @classmethod
    def nv(cls) -> Self:
        """The "nv" status (nav vērtējuma)."""
        return cls(MarkStatus.NV, None)

    @classmethod
    def mark(cls, value: str) -> Self:
        """A real mark with an already canonical value."""
        return cls(MarkStatus.MARK, value)

    @property
    def is_nv(self) -> bool:
        """Whether this is the "nv" status rather than a mark."""
        return self.status is MarkStatus.NV


@dataclass(frozen=True, slots=True)
class MarkFact:
    """The minimal view of a current (not superseded) mark that the rules below need."""

    kind: MarkKind
    scale: MarkScale
    value: MarkValue
    on: date


# ------------------------------------------------------------------ words and labels

_TEN_POINT_NAMES: Mapping[str, tuple[str, ...]] = {
    # index 0 is the name of 1 point, index 9 of 10 points (domain.md §2.1)
    "lv": (
        "ļoti, ļoti vāji",
        "ļoti vāji",
        "vāji",
        "gandrīz viduvēji",
        "viduvēji",
        "gandrīz labi",
        "labi",
        "ļoti labi",
        "teicami",
        "izcili",
    ),
    "en": (
        "very, very weak",
        "very weak",
        "weak",
        "almost satisfactory",
        "satisfactory",
        "almost good",
        "good",
        "very good",
        "excellent",
        "with distinction",
    ),
    "ru": (
        "очень, очень слабо",
        "очень слабо",
        "слабо",
        "почти посредственно",
        "посредственно",
        "почти хорошо",
        "хорошо",
        "очень хорошо",
        "отлично",
        "превосходно",
    ),
}

_LEVEL_WORDS: Mapping[str, Mapping[LearningLevel, str]] = {
    "lv": {
        LearningLevel.S: "sācis apgūt",
        LearningLevel.T: "turpina apgūt",
        LearningLevel.A: "apguvis",
        LearningLevel.P: "apguvis padziļināti",
    },
    "en": {
        LearningLevel.S: "started to learn",
        LearningLevel.T: "continues to learn",
        LearningLevel.A: "has learned",
        LearningLevel.P: "has learned in depth",
    },
    "ru": {
        LearningLevel.S: "начал осваивать",
        LearningLevel.T: "продолжает осваивать",
        LearningLevel.A: "освоил",
        LearningLevel.P: "освоил углублённо",
    },
}

_PASS_FAIL_WORDS: Mapping[str, Mapping[str, str]] = {
    "lv": {_PASS: "ieskaitīts", _FAIL: "neieskaitīts"},
    "en": {_PASS: "pass", _FAIL: "fail"},
    "ru": {_PASS: "зачтено", _FAIL: "не зачтено"},
}


def _fold(text: str) -> str:
    """Case-, diacritic- and spacing-insensitive form used to match typed words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


_LEVEL_INPUTS: Mapping[str, LearningLevel] = {
    **{_fold(level.value): level for level in LearningLevel},
    **{_fold(word): level for words in _LEVEL_WORDS.values() for level, word in words.items()},
    # common variants typed by teachers
    _fold("sākusi apgūt"): LearningLevel.S,
    _fold("apguvusi"): LearningLevel.A,
    _fold("apguvusi padziļināti"): LearningLevel.P,
    _fold("learned"): LearningLevel.A,
    _fold("learned in depth"): LearningLevel.P,
    _fold("начала осваивать"): LearningLevel.S,
    _fold("освоила"): LearningLevel.A,
    _fold("освоила углублённо"): LearningLevel.P,
}

_PASS_FAIL_INPUTS: Mapping[str, str] = {
    **{_fold(word): _PASS for word in ("i", "ieskaitīts", "ieskaitīta", "pass", "+", "зачтено")},
    **{
        _fold(word): _FAIL
        for word in (
            "ni",
            "neieskaitīts",
            "neieskaitīta",
            "fail",
            "-",
            "\u2212",  # minus sign
            "\u2013",  # en dash, which phone keyboards substitute for "-"
            "не зачтено",
            "незачтено",
        )
    },
}

_TEN_POINT_RE = re.compile(r"[0-9]{1,3}")
_PERCENT_RE = re.compile(r"([0-9]{1,3})\s*%?")

_VALID_OPTIONS: Mapping[MarkScale, tuple[str, ...]] = {
    MarkScale.TEN_POINT: (*(str(n) for n in range(1, 11)), _NV),
    MarkScale.LEVELS: (*(level.value for level in LearningLevel), _NV),
    MarkScale.PASS_FAIL: ("i", "ni", _NV),
    MarkScale.PERCENT: (*(str(n) for n in range(101)), _NV),
}


def valid_options(scale: MarkScale) -> tuple[str, ...]:
    """What a mark keyboard offers for the scale; each option parses with ``parse_mark``.

    Pass/fail offers the Latvian journal tokens ``i``/``ni`` (ieskaitīts / neieskaitīts);
    percent offers every integer 0..100. Every scale ends with ``"nv"``.
    """
    return _VALID_OPTIONS[scale]


def _valid_text(scale: MarkScale) -> str:
    """The ``valid`` parameter of ``InvalidMark``; percent is summarised as a range."""
    if scale is MarkScale.PERCENT:
        return f"0–100%, {_NV}"
    return ", ".join(valid_options(scale))


def _invalid(scale: MarkScale, text: str) -> InvalidMark:
    return InvalidMark(value=text, scale=scale.value, valid=_valid_text(scale))


def parse_mark(scale: MarkScale, text: str) -> MarkValue:
    """Read what a teacher typed or tapped as a mark on ``scale``.

    ``"nv"`` (any case) is the no-mark status on every scale. Ten-point accepts the integers
    1..10; levels accept S/T/A/P or the LV/EN/RU words (case and diacritics ignored); pass/fail
    accepts i/ni, ieskaitīts/neieskaitīts, pass/fail, +/- and зачтено/не зачтено; percent accepts
    the integers 0..100 with an optional ``%``.

    Raises:
        InvalidMark: the text is not a value of the scale (key ``mark.invalid_value``).
    """
    folded = _fold(text)
    if folded == _NV:
        return MarkValue.nv()
    if scale is MarkScale.TEN_POINT:
        if _TEN_POINT_RE.fullmatch(folded) and 1 <= int(folded) <= 10:
            return MarkValue.mark(str(int(folded)))
    elif scale is MarkScale.LEVELS:
        level = _LEVEL_INPUTS.get(folded)
        if level is not None:
            return MarkValue.mark(level.value)
    elif scale is MarkScale.PASS_FAIL:
        verdict = _PASS_FAIL_INPUTS.get(folded)
        if verdict is not None:
            return MarkValue.mark(verdict)
    elif scale is MarkScale.PERCENT:
        match = _PERCENT_RE.fullmatch(folded)
        if match and int(match.group(1)) <= 100:
            return MarkValue.mark(str(int(match.group(1))))
    raise _invalid(scale, text)


def _words(table: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    return table.get(lang, table[_FALLBACK_LANGUAGE])


def ten_point_name(n: int, lang: str) -> str:
    """The name of a ten-point mark ("izcili" for 10 ... "ļoti, ļoti vāji" for 1).

    Unknown languages fall back to Latvian.

    Raises:
        InvalidMark: ``n`` is not 1..10.
    """
    if not 1 <= n <= 10:
        raise _invalid(MarkScale.TEN_POINT, str(n))
    names = _TEN_POINT_NAMES.get(lang, _TEN_POINT_NAMES[_FALLBACK_LANGUAGE])
    return names[n - 1]


def mark_label(scale: MarkScale, value: MarkValue, lang: str) -> str:
    """Display text of a stored mark: ``8``, ``apguvis``, ``ieskaitīts``, ``85%`` or ``nv``.

    Unknown languages fall back to Latvian.

    Raises:
        InvalidMark: the stored value does not belong to the scale.
    """
    if value.value is None:
        return _NV
    raw = value.value
    if scale is MarkScale.TEN_POINT:
        if raw in _VALID_OPTIONS[scale][:-1]:
            return raw
    elif scale is MarkScale.LEVELS:
        if raw in _LEVEL_RANK:
            level_words = _LEVEL_WORDS.get(lang, _LEVEL_WORDS[_FALLBACK_LANGUAGE])
            return level_words[LearningLevel(raw)]
    elif scale is MarkScale.PASS_FAIL:
        if raw in (_PASS, _FAIL):
            return _words(_PASS_FAIL_WORDS, lang)[raw]
    elif scale is MarkScale.PERCENT and raw in _VALID_OPTIONS[scale][:-1]:
        return f"{raw}%"
    raise _invalid(scale, raw)


# ------------------------------------------------------------------ averages and proposals

_DEFAULT_COUNTED: frozenset[MarkKind] = frozenset({MarkKind.SUMMATIVE})
_HUNDREDTH = Decimal("0.01")
_ONE = Decimal(1)


def _counted(marks: Iterable[MarkFact], counted_kinds: frozenset[MarkKind]) -> list[MarkFact]:
    """Real marks of counted kinds, in input order; "nv" never counts."""
    return [m for m in marks if m.kind in counted_kinds and not m.value.is_nv]


def _points(fact: MarkFact, percent_as_ten_point: bool) -> Decimal | None:
    """The ten-point value of a mark, or None when it cannot be averaged."""
    if fact.value.value is None:
        return None
    if fact.scale is MarkScale.TEN_POINT:
        return Decimal(fact.value.value)
    if fact.scale is MarkScale.PERCENT and percent_as_ten_point:
        return Decimal(fact.value.value) / 10
    return None


def average(
    marks: Iterable[MarkFact],
    *,
    counted_kinds: frozenset[MarkKind] = _DEFAULT_COUNTED,
    percent_as_ten_point: bool = False,
) -> Decimal | None:
    """Mean of the counted ten-point marks, rounded half-up to 2 decimals; None if none count.

    "nv", kinds outside ``counted_kinds`` (formative by default), levels and pass/fail never
    count. Percent marks count as NN/10 points only when ``percent_as_ten_point``.
    """
    points = [
        p
        for fact in _counted(marks, counted_kinds)
        if (p := _points(fact, percent_as_ten_point)) is not None
    ]
    if not points:
        return None
    return (sum(points, Decimal(0)) / len(points)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def _latest(facts: list[MarkFact]) -> MarkFact:
    """The most recent fact; on the same date the later one in input order."""
    return max(reversed(facts), key=lambda f: f.on)


def propose_period_mark(
    marks: Iterable[MarkFact],
    *,
    scale: MarkScale,
    counted_kinds: frozenset[MarkKind] = _DEFAULT_COUNTED,
    percent_as_ten_point: bool = False,
) -> MarkValue | None:
    """Propose a semester or year mark on ``scale``; advisory only, a teacher confirms it.

    Only counted kinds and real marks take part ("nv" never does). The rule per scale:

    - ten-point: the ``average`` rounded half-up to an integer and kept within 1..10 (percent
      marks count as NN/10 when ``percent_as_ten_point``);
    - levels: the most frequent level; a tie goes to the tied level given most recently;
    - pass/fail: the most recent pass/fail mark;
    - percent: the mean of the percent marks rounded half-up to an integer.

    "Most recent" means the latest date; on one date, the later mark in input order.
    Returns None when no mark counts.
    """
    counted = _counted(marks, counted_kinds)
    if scale is MarkScale.TEN_POINT:
        mean = average(
            counted, counted_kinds=counted_kinds, percent_as_ten_point=percent_as_ten_point
        )
        if mean is None:
            return None
        rounded = int(mean.quantize(_ONE, rounding=ROUND_HALF_UP))
        return MarkValue.mark(str(min(10, max(1, rounded))))
    same_scale = [m for m in counted if m.scale is scale]
    if not same_scale:
        return None
    if scale is MarkScale.LEVELS:
        counts: dict[str, int] = {}
        for fact in same_scale:
            key = str(fact.value.value)
            counts[key] = counts.get(key, 0) + 1
        top = max(counts.values())
        return _latest([m for m in same_scale if counts[str(m.value.value)] == top]).value
    if scale is MarkScale.PASS_FAIL:
        return _latest(same_scale).value
    mean_percent = sum((Decimal(str(m.value.value)) for m in same_scale), Decimal(0)) / len(
        same_scale
    )
    return MarkValue.mark(str(int(mean_percent.quantize(_ONE, rounding=ROUND_HALF_UP))))


# ------------------------------------------------------------------ "nv" bookkeeping


def outstanding_nv(marks: Iterable[MarkFact]) -> tuple[MarkFact, ...]:
    """The "nv" entries still waiting for a real mark, oldest first.

    Pass current marks only: a replaced "nv" is superseded by its mark and so is not current.
    """
    return tuple(sorted((m for m in marks if m.value.is_nv), key=lambda m: m.on))


def nv_deadline(recorded_on: date, replace_days: int) -> date:
    """The last day to replace an "nv" given on ``recorded_on``, in calendar days."""
    return recorded_on + timedelta(days=replace_days)


def overdue_nv(
    marks: Iterable[MarkFact], *, today: date, replace_days: int
) -> tuple[MarkFact, ...]:
    """The outstanding "nv" entries whose replacement deadline has passed by ``today``."""
    return tuple(m for m in outstanding_nv(marks) if nv_deadline(m.on, replace_days) < today)
