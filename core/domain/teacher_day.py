"""Owns which lessons a date really has: the timetable's slots with the published changes applied.

Pure rules over frozen records that storage returns; the teacher's day, the lesson card's access
check and the homework due date all ask ``lessons_on``. Drafts never reach here: storage hands
over published changes only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from core.domain.records import LessonRecord

ChangeKind = Literal["substitution", "cancel", "room", "move", "extra"]
Marker = Literal["substitution", "room", "moved_here", "extra"]


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    """A timetable slot of one date: a group's lesson in a period, its teachers and room."""

    group_id: int
    period: int
    teacher_ids: tuple[int, ...]
    room: str | None


@dataclass(frozen=True, slots=True)
class DayChange:
    """A published change touching a date (its own date, or the target date of a move).

    ``base_teacher_ids`` and ``base_room`` are the timetable's for the changed lesson (for an
    extra lesson: the group's teachers and no room). ``teacher_id`` is who teaches after the
    change when the change names someone (a substitute, an extra lesson's teacher).
    """

    id: int
    kind: ChangeKind
    on: date
    group_id: int
    period: int
    teacher_id: int | None
    room: str | None
    new_date: date | None
    new_period: int | None
    base_teacher_ids: tuple[int, ...]
    base_room: str | None


@dataclass(frozen=True, slots=True)
class HeldLesson:
    """A lesson a date has after the changes: who teaches it, where, and what changed."""

    group_id: int
    period: int
    teacher_ids: tuple[int, ...]
    room: str | None
    marker: Marker | None = None
    change_id: int | None = None
    original_teacher_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """A teaching group as the teacher's day names it."""

    id: int
    school_id: int
    name: str
    subject_name: str | None
    class_names: tuple[str, ...]
    grade: int
    teacher_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class RecordedLesson:
    """A lesson row with what its state needs: attendance codes recorded and files attached."""

    lesson: LessonRecord
    codes: tuple[str, ...]
    files: int


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A file attached to a lesson; ``data`` only when the reader asked for the content."""

    id: int
    filename: str
    mime_type: str
    size: int
    data: bytes | None = None


def lessons_on(
    day: date, slots: Iterable[PlannedSlot], changes: Iterable[DayChange]
) -> tuple[HeldLesson, ...]:
    """The lessons of ``day``: ``slots`` (the timetable of that date) with ``changes`` applied.

    A substitution hands the lesson to the substitute; a cancellation and a move away take it
    out; a room change moves it; a move into the date (or to another period of it) and an extra
    lesson add one. When two published changes name the same lesson, the later one (higher id)
    wins. Ordered by period, then group.
    """
    held: dict[tuple[int, int], HeldLesson] = {
        (slot.group_id, slot.period): HeldLesson(
            slot.group_id, slot.period, slot.teacher_ids, slot.room
        )
        for slot in slots
    }
    latest: dict[tuple[date, int, int, bool], DayChange] = {}
    for change in sorted(changes, key=lambda c: c.id):
        latest[(change.on, change.group_id, change.period, change.kind == "extra")] = change
    for change in sorted(latest.values(), key=lambda c: c.id):
        if change.on == day:
            _apply_here(day, held, change)
        elif change.kind == "move" and change.new_date == day:
            _add_moved(held, change)
    return tuple(sorted(held.values(), key=lambda lesson: (lesson.period, lesson.group_id)))


def _apply_here(day: date, held: dict[tuple[int, int], HeldLesson], change: DayChange) -> None:
    key = (change.group_id, change.period)
    if change.kind == "extra":
        teachers = (
            (change.teacher_id,) if change.teacher_id is not None else change.base_teacher_ids
        )
        held[key] = HeldLesson(
            change.group_id, change.period, teachers, change.room, "extra", change.id
        )
        return
    lesson = held.get(key)
    if lesson is None:  # the timetable no longer has that lesson: nothing to change
        return
    if change.kind == "cancel":
        del held[key]
    elif change.kind == "substitution" and change.teacher_id is not None:
        held[key] = HeldLesson(
            lesson.group_id,
            lesson.period,
            (change.teacher_id,),
            change.room or lesson.room,
            "substitution",
            change.id,
            lesson.teacher_ids,
        )
    elif change.kind == "room" and change.room:
        held[key] = HeldLesson(
            lesson.group_id, lesson.period, lesson.teacher_ids, change.room, "room", change.id
        )
    elif change.kind == "move":
        del held[key]
        if change.new_date in (None, day):
            _add_moved(held, change)


def _add_moved(held: dict[tuple[int, int], HeldLesson], change: DayChange) -> None:
    period = change.new_period if change.new_period is not None else change.period
    teachers = (change.teacher_id,) if change.teacher_id is not None else change.base_teacher_ids
    held[(change.group_id, period)] = HeldLesson(
        change.group_id,
        period,
        teachers,
        change.room or change.base_room,
        "moved_here",
        change.id,
        change.base_teacher_ids if change.teacher_id is not None else (),
    )
