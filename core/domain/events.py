"""Past-tense facts core records in the same transaction as the change (fan-out reads them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event; ``kind`` names it in the events table."""

    kind: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields (dates as ISO strings)."""
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(self).items()
        }


@dataclass(frozen=True, slots=True)
class MarkRecorded(Event):
    """A mark was recorded or corrected (``revision`` > 1 means a correction)."""

    kind: ClassVar[str] = "mark.recorded"
    mark_id: int
    pupil_id: int
    group_id: int
    assessment_id: int
    revision: int


@dataclass(frozen=True, slots=True)
class AbsenceRecorded(Event):
    """A pupil was marked absent or late in a lesson."""

    kind: ClassVar[str] = "attendance.recorded"
    attendance_id: int
    pupil_id: int
    lesson_id: int
    code: str
    on: date


@dataclass(frozen=True, slots=True)
class LessonRecorded(Event):
    """A lesson's topic or homework was set or changed."""

    kind: ClassVar[str] = "lesson.recorded"
    lesson_id: int
    group_id: int
    on: date
    homework_changed: bool


@dataclass(frozen=True, slots=True)
class PeopleImported(Event):
    """A people import was applied to a school."""

    kind: ClassVar[str] = "people.imported"
    created: int
    updated: int
