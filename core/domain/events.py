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


@dataclass(frozen=True, slots=True)
class NewsPublished(Event):
    """A School news post was published; ``notify`` asks to tell everyone of the school.

    The payload names the post's kind ("news" or "timetable") ``kind``, as agreed with the
    fan-out; the field is ``post_kind`` because ``kind`` names the event itself.
    """

    kind: ClassVar[str] = "news.published"
    school_id: int
    news_post_id: int
    post_kind: str
    notify: bool

    def payload(self) -> dict[str, Any]:
        """``school_id``, ``news_post_id``, ``kind`` (of the post) and ``notify``."""
        return {
            "school_id": self.school_id,
            "news_post_id": self.news_post_id,
            "kind": self.post_kind,
            "notify": self.notify,
        }


@dataclass(frozen=True, slots=True)
class TimetablePublished(Event):
    """A school's timetable changes of a date were published (and posted to School news)."""

    kind: ClassVar[str] = "timetable.published"
    school_id: int
    on: date
    change_ids: tuple[int, ...]
    news_post_id: int

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields; ``change_ids`` as a list."""
        return {**Event.payload(self), "change_ids": list(self.change_ids)}


@dataclass(frozen=True, slots=True)
class GroupListSubmitted(Event):
    """A teacher submitted a group's pupil list for the superuser's approval (rule 3.4)."""

    kind: ClassVar[str] = "group_list.submitted"
    submission_id: int
    group_id: int
    pupils: int
    superseded: int  # earlier pending lists of the group it replaced


@dataclass(frozen=True, slots=True)
class GroupListDecided(Event):
    """A manager approved (the group's pupils changed) or rejected a submitted list."""

    kind: ClassVar[str] = "group_list.decided"
    submission_id: int
    group_id: int
    approved: bool
    added: int
    removed: int


@dataclass(frozen=True, slots=True)
class AbsenceNoteSubmitted(Event):
    """A parent (or, where the school allows, a pupil) submitted an absence note (rule 3.6).

    ``class_id`` is the pupil's class, whose class teacher decides; ``linked`` counts the
    absences already marked in the note's days that now wait for the decision.
    """

    kind: ClassVar[str] = "absence_note.submitted"
    note_id: int
    pupil_id: int
    class_id: int | None
    starts_on: date
    ends_on: date
    reason: str
    linked: int


@dataclass(frozen=True, slots=True)
class AbsenceNoteDecided(Event):
    """The class teacher (or a manager) accepted or rejected an absence note.

    ``status`` is "accepted" or "rejected"; ``submitted_by`` is who should learn the decision
    (the pupil's other guardians follow the pupil); ``absences`` counts the lessons it settled.
    """

    kind: ClassVar[str] = "absence_note.decided"
    note_id: int
    pupil_id: int
    submitted_by: int | None
    status: str
    starts_on: date
    ends_on: date
    absences: int
