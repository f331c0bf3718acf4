"""Owns the demo timetable solver: weekly lessons into (weekday, period) cells without clashes.

Pure and deterministic for a given ``random.Random``: no class or teacher is in two places at once.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Cell = tuple[int, int]  # (weekday 0-4, period from 1)

_RECENT = 12  # steps during which a just-moved unit is expensive to evict again
_MAX_STEPS_PER_UNIT = 200
_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Unit:
    """One weekly lesson to place.

    ``classes`` all sit in the same cell (a cross-class language lesson has two); ``teachers``
    teach in it at once (two for split lessons); ``subject`` spreads a class's lessons of one
    subject over the week; ``placements`` are ``(group_id, teacher_id, room)`` rows to write.
    """

    classes: tuple[int, ...]
    teachers: tuple[int, ...]
    subject: str
    placements: tuple[tuple[int, int, str], ...]


class TimetableError(RuntimeError):
    """The solver found no clash-free timetable (the demo curriculum is too tight)."""


def daily_counts(weekly: int, low: int, high: int, extra_days: Sequence[int]) -> list[int]:
    """Lessons per weekday for ``weekly`` lessons, between ``low`` and ``high`` a day.

    The days listed first in ``extra_days`` get the extra lessons.

    Raises:
        TimetableError: the lessons do not fit the day limits.
    """
    base, extra = divmod(weekly, 5)
    counts = [base] * 5
    for day in extra_days[:extra]:
        counts[day] += 1
    if min(counts) < low or max(counts) > high:
        raise TimetableError(f"{weekly} lessons do not fit {low}-{high} a day")
    return counts


def solve(
    units: Sequence[Unit], cells: Mapping[int, Sequence[Cell]], rng: random.Random
) -> list[Cell]:
    """A cell for every unit (same order as ``units``).

    Each class's cells must be filled exactly once (so ``cells`` of a class must number its
    units); a teacher is in at most one cell at a time; a class gets a subject at most
    ``ceil(n / 5)`` times a day. Greedy placement with conflict eviction, restarted a few times.

    Raises:
        TimetableError: no solution was found.
    """
    for _ in range(_ATTEMPTS):
        result = _attempt(units, cells, rng)
        if result is not None:
            return result
    raise TimetableError("no clash-free timetable found")


def _attempt(
    units: Sequence[Unit], cells: Mapping[int, Sequence[Cell]], rng: random.Random
) -> list[Cell] | None:
    solver = _Solver(units, cells, rng)
    return solver.run()


class _Solver:
    """One greedy run: place units hardest first; a stuck unit evicts the cheapest conflicts."""

    def __init__(
        self, units: Sequence[Unit], cells: Mapping[int, Sequence[Cell]], rng: random.Random
    ) -> None:
        self.units = units
        self.rng = rng
        per_class_subject: dict[tuple[int, str], int] = {}
        teacher_load: dict[int, int] = {}
        for unit in units:
            for cls in unit.classes:
                key = (cls, unit.subject)
                per_class_subject[key] = per_class_subject.get(key, 0) + 1
            for teacher in unit.teachers:
                teacher_load[teacher] = teacher_load.get(teacher, 0) + 1
        self.caps = {key: -(-n // 5) for key, n in per_class_subject.items()}
        self.domains: list[list[Cell]] = []
        for unit in units:
            common = set(cells[unit.classes[0]])
            for cls in unit.classes[1:]:
                common &= set(cells[cls])
            self.domains.append(sorted(common))
        keys = {
            i: (
                -len(unit.classes) - len(unit.teachers),
                -max(teacher_load[t] for t in unit.teachers),
                len(self.domains[i]),
                rng.random(),
            )
            for i, unit in enumerate(units)
        }
        self.queue = deque(sorted(range(len(units)), key=keys.__getitem__))
        self.placed: list[Cell | None] = [None] * len(units)
        self.by_class: dict[tuple[int, Cell], int] = {}
        self.by_teacher: dict[tuple[int, Cell], int] = {}
        self.by_day: dict[tuple[int, str, int], list[int]] = {}
        self.moved_at: dict[int, int] = {}
        self.step = 0

    def run(self) -> list[Cell] | None:
        limit = _MAX_STEPS_PER_UNIT * max(1, len(self.units))
        while self.queue:
            self.step += 1
            if self.step > limit:
                return None
            i = self.queue.popleft()
            choice = self.choose(i)
            if choice is None:
                return None
            cell, evicted = choice
            for other in evicted:
                self.remove(other)
                self.queue.appendleft(other)
            self.place(i, cell)
        return [cell for cell in self.placed if cell is not None]

    def conflicts(self, i: int, cell: Cell) -> list[int]:
        """The placed units that stand in the way of unit ``i`` in ``cell``."""
        unit = self.units[i]
        found: set[int] = set()
        for cls in unit.classes:
            other = self.by_class.get((cls, cell))
            if other is not None:
                found.add(other)
            same_day = self.by_day.get((cls, unit.subject, cell[0]), [])
            if len(same_day) >= self.caps[(cls, unit.subject)]:
                found.update(same_day)
        for teacher in unit.teachers:
            other = self.by_teacher.get((teacher, cell))
            if other is not None:
                found.add(other)
        return sorted(found)

    def choose(self, i: int) -> tuple[Cell, list[int]] | None:
        """A cheapest cell for unit ``i`` (random among equals) and whom it evicts."""
        best: list[tuple[Cell, list[int]]] = []
        best_cost = -1
        for cell in self.domains[i]:
            found = self.conflicts(i, cell)
            cost = sum(
                1 + (_RECENT if self.step - self.moved_at.get(o, -_RECENT) < _RECENT else 0)
                for o in found
            )
            if best_cost < 0 or cost < best_cost:
                best, best_cost = [(cell, found)], cost
            elif cost == best_cost:
                best.append((cell, found))
        return best[self.rng.randrange(len(best))] if best else None

    def place(self, i: int, cell: Cell) -> None:
        unit = self.units[i]
        self.placed[i] = cell
        self.moved_at[i] = self.step
        for cls in unit.classes:
            self.by_class[(cls, cell)] = i
            self.by_day.setdefault((cls, unit.subject, cell[0]), []).append(i)
        for teacher in unit.teachers:
            self.by_teacher[(teacher, cell)] = i

    def remove(self, i: int) -> None:
        cell = self.placed[i]
        if cell is None:
            return
        unit = self.units[i]
        for cls in unit.classes:
            del self.by_class[(cls, cell)]
            self.by_day[(cls, unit.subject, cell[0])].remove(i)
        for teacher in unit.teachers:
            del self.by_teacher[(teacher, cell)]
        self.placed[i] = None
