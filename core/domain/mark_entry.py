"""Owns reading a class test's marks typed in one message, and the tally a teacher sees after.

A message holds entries ``<number> <value>`` (the pupil's roster number) or ``<family name>
[given name or initial] <value>``, one per line or several on a line separated by commas or
semicolons; blank lines are ignored. Names match without case and diacritics ("berzins 7" is
Bērziņš). Every problem is reported per line with a stable key; the caller saves nothing unless
there are none. Pure rules: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.domain.collation import latvian_key, search_key
from core.domain.marks import MarkScale, MarkValue, parse_mark, valid_options
from core.errors import InvalidMark

_ENTRY_SEPARATORS = re.compile(r"[,;]")
_NUMBER = re.compile(r"([0-9]+)[.):]?")
_MAX_DIGITS = 6
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class RosterPupil:
    """A pupil of a group's roster: ``number`` is 1..n in Latvian alphabetical order."""

    number: int
    pupil_id: int
    family_name: str
    given_name: str

    @property
    def label(self) -> str:
        """The name as class lists write it: family name first ("Bērziņš Jānis")."""
        return f"{self.family_name} {self.given_name}"


@dataclass(frozen=True, slots=True)
class MarkLine:
    """One valid entry: which pupil gets which value, and where it was typed."""

    line: int
    entry: str
    pupil_id: int
    value: MarkValue


@dataclass(frozen=True, slots=True)
class LineError:
    """Why one entry was refused: ``key`` is a stable message key, ``params`` fill its text.

    ``line`` is the 1-based line of the message and ``entry`` the entry as typed.
    """

    line: int
    entry: str
    key: str
    params: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MarkLines:
    """What a message says: the valid entries and, per bad entry, what is wrong."""

    entries: tuple[MarkLine, ...]
    errors: tuple[LineError, ...]

    @property
    def ok(self) -> bool:
        """Whether every entry is valid (the message may still hold no entry at all)."""
        return not self.errors


def number_roster(pupils: Iterable[tuple[int, str, str]]) -> tuple[RosterPupil, ...]:
    """Number ``(pupil id, family name, given name)`` 1..n in Latvian alphabetical order."""
    ordered = sorted(pupils, key=lambda p: (latvian_key(p[1]), latvian_key(p[2]), p[0]))
    return tuple(
        RosterPupil(number, pupil_id, family, given)
        for number, (pupil_id, family, given) in enumerate(ordered, start=1)
    )


def parse_mark_lines(text: str, roster: Sequence[RosterPupil], *, scale: MarkScale) -> MarkLines:
    """Read every entry of a message against the roster and the assessment's scale.

    Errors (keys): ``mark_entry.no_value`` (a lone number or name), ``mark_entry.unknown_number``
    (``number``, ``size``), ``mark_entry.unknown_name`` (``name``), ``mark_entry.ambiguous_name``
    (``name``, ``candidates``: the matching pupils with their numbers), ``mark_entry.duplicate``
    (``pupil``, ``first``: the line that named the pupil first), ``mark_entry.invalid_value``
    (``value``, ``pupil``, ``valid``: the scale's valid options).
    """
    entries: list[MarkLine] = []
    errors: list[LineError] = []
    first_line: dict[int, int] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        for raw in _ENTRY_SEPARATORS.split(line):
            entry = " ".join(raw.split())
            if not entry:
                continue
            found = _read_entry(entry, roster)
            if isinstance(found, _Problem):
                errors.append(LineError(line_number, entry, found.key, found.params))
                continue
            pupil, value_text = found.pupil, found.value
            if pupil.pupil_id in first_line:
                errors.append(
                    LineError(
                        line_number,
                        entry,
                        "mark_entry.duplicate",
                        {"pupil": pupil.label, "first": first_line[pupil.pupil_id]},
                    )
                )
                continue
            first_line[pupil.pupil_id] = line_number
            try:
                value = parse_mark(scale, value_text)
            except InvalidMark as exc:
                errors.append(
                    LineError(
                        line_number,
                        entry,
                        "mark_entry.invalid_value",
                        {
                            "value": value_text,
                            "pupil": pupil.label,
                            "valid": str(exc.params.get("valid", "")),
                        },
                    )
                )
                continue
            entries.append(MarkLine(line_number, entry, pupil.pupil_id, value))
    return MarkLines(tuple(entries), tuple(errors))


@dataclass(frozen=True, slots=True)
class _Named:
    pupil: RosterPupil
    value: str


@dataclass(frozen=True, slots=True)
class _Problem:
    key: str
    params: Mapping[str, str | int] = field(default_factory=dict)


def _read_entry(entry: str, roster: Sequence[RosterPupil]) -> _Named | _Problem:
    """The pupil an entry names and the value text, or the problem with it."""
    tokens = entry.split(" ")
    if len(tokens) < 2:
        return _Problem("mark_entry.no_value")
    number = _NUMBER.fullmatch(tokens[0])
    if number is not None:
        digits = number.group(1)
        wanted = int(digits) if len(digits) <= _MAX_DIGITS else 0
        if not 1 <= wanted <= len(roster):
            return _Problem("mark_entry.unknown_number", {"number": digits, "size": len(roster)})
        return _Named(roster[wanted - 1], " ".join(tokens[1:]))
    return _by_name(tokens, roster)


def _by_name(tokens: Sequence[str], roster: Sequence[RosterPupil]) -> _Named | _Problem:
    """The longest leading run of words that names somebody is the name; the rest the value."""
    for split in range(len(tokens) - 1, 0, -1):
        name = " ".join(tokens[:split])
        matches = _matching(search_key(name), roster)
        if len(matches) > 1:
            candidates = ", ".join(f"{p.number}. {p.label}" for p in matches)
            return _Problem("mark_entry.ambiguous_name", {"name": name, "candidates": candidates})
        if matches:
            return _Named(matches[0], " ".join(tokens[split:]))
    return _Problem("mark_entry.unknown_name", {"name": " ".join(tokens[:-1])})


def _matching(name: str, roster: Sequence[RosterPupil]) -> list[RosterPupil]:
    """Pupils whose whole family name fits; failing that, one part of a double family name."""
    exact = [p for p in roster if _fits(name, search_key(p.family_name), p)]
    if exact:
        return exact
    return [
        p
        for p in roster
        if "-" in p.family_name
        and any(_fits(name, part, p) for part in search_key(p.family_name).split("-") if part)
    ]


def _fits(name: str, family: str, pupil: RosterPupil) -> bool:
    """``family`` alone, or followed by the given name, its first word or its initial."""
    if name == family:
        return True
    if not name.startswith(family + " "):
        return False
    given = name[len(family) + 1 :]
    full = search_key(pupil.given_name)
    if not full:
        return False
    initial = given.rstrip(".")
    return given in (full, full.split(" ")[0]) or (len(initial) == 1 and initial == full[0])


# ------------------------------------------------------------------ the tally after saving


@dataclass(frozen=True, slots=True)
class MarkTally:
    """An assessment's marks at a glance.

    ``entered`` counts pupils with a mark or "nv"; ``distribution`` pairs each value of the
    scale that occurs (in the scale's order) with its count; ``average`` is the mean of the real
    marks on ten-point and percent scales (None elsewhere or without marks); ``nv`` counts "nv".
    """

    entered: int
    distribution: tuple[tuple[str, int], ...]
    average: Decimal | None
    nv: int


def tally(scale: MarkScale, values: Iterable[MarkValue]) -> MarkTally:
    """Count, distribution, average and "nv" of an assessment's current marks."""
    counts: dict[str, int] = {}
    entered = nv = 0
    for value in values:
        entered += 1
        if value.value is None:
            nv += 1
            continue
        counts[value.value] = counts.get(value.value, 0) + 1
    order = {option: index for index, option in enumerate(_canonical_options(scale))}
    distribution = tuple(
        sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    )
    average = None
    if scale in (MarkScale.TEN_POINT, MarkScale.PERCENT) and counts:
        total = sum((Decimal(value) * n for value, n in counts.items()), Decimal(0))
        average = (total / sum(counts.values())).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return MarkTally(entered, distribution, average, nv)


def _canonical_options(scale: MarkScale) -> tuple[str, ...]:
    """The stored values of a scale in its natural order (the keyboard's, without "nv")."""
    stored = []
    for option in valid_options(scale):
        value = parse_mark(scale, option)
        if value.value is not None:
            stored.append(value.value)
    return tuple(stored)
