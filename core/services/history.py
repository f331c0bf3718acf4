"""A pupil's change history, read from the audit log: who changed what in the journal, and when.

Marks recorded or corrected (before → after), absences marked, changed, removed or justified,
homework set, changed or removed, absence notes decided. Only for people who may read the pupil
(``guards.pupil_scope``); a subject teacher sees only their own groups. Only the values the
journal shows are returned, never an entry's other stored fields.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.access import Role, Viewer
from core.domain.attendance import AbsenceCode
from core.domain.records import PupilSummary
from core.errors import InvalidInput
from core.ports import AuditChange, UnitOfWork
from core.services.guards import audit_staff_read, own_groups_filter, pupil_scope, school_policy

PAGE = 10
MAX_PAGE = 50
MAX_DAYS_BACK = 400  # a school year and a little: older changes are in the school's archive

_PUPIL_ACTIONS = (
    "mark.record",
    "mark.correct",
    "attendance.set",
    "attendance.justified",
    "absence_note.decided",
)
_LESSON_ACTION = "lesson.record"
_ROLES = frozenset(role.value for role in Role)


class ChangeKind(StrEnum):
    """What happened."""

    MARK_RECORDED = "mark_recorded"
    MARK_CORRECTED = "mark_corrected"
    ABSENCE_MARKED = "absence_marked"
    ABSENCE_CHANGED = "absence_changed"
    ABSENCE_REMOVED = "absence_removed"
    ABSENCE_JUSTIFIED = "absence_justified"
    HOMEWORK_SET = "homework_set"
    HOMEWORK_CHANGED = "homework_changed"
    HOMEWORK_REMOVED = "homework_removed"
    NOTE_DECIDED = "note_decided"


@dataclass(frozen=True, slots=True)
class Change:
    """One change, as the journal may show it.

    ``at`` is local to the school. ``actor`` is the person's name (None: the school's office at
    the console), ``actor_role`` their role then (``Role`` value) if known. ``on_date``/``period``
    name the lesson or assessment day (a note: its first day, ``until`` its last); ``title`` and
    ``scale`` the assessment. ``before``/``after`` are a mark ("8", "nv"), an attendance code, a
    justification ("justified", "unjustified", "pending"), a homework text or a note's decision
    ("accepted", "rejected").
    """

    at: datetime
    kind: ChangeKind
    actor: str | None
    actor_role: str | None
    subject: str | None
    on_date: date | None
    period: int | None
    title: str | None
    scale: str | None
    before: str | None
    after: str | None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class ChangeHistory:
    """One page of a pupil's changes since a day, newest first."""

    pupil: PupilSummary
    since: date
    changes: tuple[Change, ...]
    offset: int
    total: int
    codes: tuple[AbsenceCode, ...]

    @property
    def more(self) -> bool:
        """Whether older changes follow this page."""
        return self.offset + len(self.changes) < self.total


async def pupil_changes(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    pupil_id: int,
    since: date | None = None,
    preset: str | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> ChangeHistory:
    """What changed in a pupil's journal since a day (that day included), newest first, paged.

    Give ``since``, or a ``preset`` counted back from today in the school's zone (see
    :func:`since_day`).

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not read the pupil.
        InvalidInput: a day in the future or too far back, an unknown preset, a bad page.
    """
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("history.page_invalid")
    if (since is None) == (preset is None):
        raise InvalidInput("history.since_invalid")
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        school_id = min(facts.school_ids)
        school = await uow.directory.school(school_id)
        zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
        today = uow.clock.now().astimezone(zone).date()
        if since is None:
            since = since_day(today, preset or "")
        if since > today:
            raise InvalidInput("history.since_future")
        if (today - since).days > MAX_DAYS_BACK:
            raise InvalidInput("history.since_too_early", days=MAX_DAYS_BACK)
        start = datetime.combine(since, time(0), tzinfo=zone)
        only: frozenset[int] | None = None
        if own_groups_filter(viewer, facts):
            only = frozenset(
                await uow.journal.teacher_groups_of_pupil(pupil_id, viewer.person_id or 0)
            )
        entries = [
            *await uow.history.pupil_entries(pupil_id, _PUPIL_ACTIONS, start),
            *await uow.history.group_lesson_entries(pupil_id, _LESSON_ACTION, start),
        ]
        policy = await school_policy(uow, school_id)
        (pupil,) = await uow.directory.pupil_summaries([pupil_id])
        audit_staff_read(uow, viewer, facts, "history")
        await uow.commit()
    changes = _changes(entries, only, zone)
    return ChangeHistory(
        pupil=pupil,
        since=since,
        changes=tuple(changes[offset : offset + limit]),
        offset=offset,
        total=len(changes),
        codes=policy.absence_codes,
    )


def since_day(today: date, preset: str) -> date:
    """The first day of a "since" preset: ``yesterday``, ``week`` (7 days), ``month`` (30 days).

    Raises:
        InvalidInput: an unknown preset.
    """
    days = {"yesterday": 1, "week": 7, "month": 30}.get(preset)
    if days is None:
        raise InvalidInput("history.since_invalid")
    return today - timedelta(days=days)


def _changes(
    entries: Collection[AuditChange], only: frozenset[int] | None, zone: ZoneInfo
) -> list[Change]:
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.entry_id), reverse=True)
    seen: set[int] = set()
    changes: list[Change] = []
    for entry in ordered:
        if entry.entry_id in seen:
            continue
        seen.add(entry.entry_id)
        if only is not None and entry.group_id not in only:
            continue  # a subject teacher: their own groups only (notes belong to no group)
        change = _change(entry, zone)
        if change is not None:
            changes.append(change)
    return changes


def _change(entry: AuditChange, zone: ZoneInfo) -> Change | None:
    found = _what(entry)
    if found is None:
        return None
    kind, before, after = found
    actor = (
        f"{entry.actor_given_name} {entry.actor_family_name}"
        if entry.actor_given_name is not None and entry.actor_family_name is not None
        else None
    )
    note = kind is ChangeKind.NOTE_DECIDED
    return Change(
        at=entry.occurred_at.astimezone(zone),
        kind=kind,
        actor=actor,
        actor_role=entry.actor_role if entry.actor_role in _ROLES else None,
        subject=None if note else entry.subject,
        on_date=entry.starts_on if note else entry.on_date,
        period=None if note else entry.period,
        title=entry.title,
        scale=entry.scale,
        before=before,
        after=after,
        until=entry.ends_on if note else None,
    )


Shown = tuple[ChangeKind, str | None, str | None]


def _what(entry: AuditChange) -> Shown | None:
    """The kind and the shown values of an entry (None: nothing a family would see changed)."""
    before, after = entry.before or {}, entry.after or {}
    if entry.action in ("mark.record", "mark.correct"):
        corrected = entry.action == "mark.correct"
        kind = ChangeKind.MARK_CORRECTED if corrected else ChangeKind.MARK_RECORDED
        return kind, _mark(entry.before), _mark(entry.after)
    if entry.action == "attendance.set":
        return _transition(
            _text(before.get("code")),
            _text(after.get("code")),
            (ChangeKind.ABSENCE_MARKED, ChangeKind.ABSENCE_CHANGED, ChangeKind.ABSENCE_REMOVED),
        )
    if entry.action == "attendance.justified":
        old, new = _text(before.get("justification")), _text(after.get("justification"))
        return ChangeKind.ABSENCE_JUSTIFIED, old, new
    if entry.action == "absence_note.decided":
        return ChangeKind.NOTE_DECIDED, None, _text(after.get("status"))
    if entry.action == _LESSON_ACTION:  # only the homework: a topic change is not listed
        return _transition(
            _text(before.get("homework")),
            _text(after.get("homework")),
            (ChangeKind.HOMEWORK_SET, ChangeKind.HOMEWORK_CHANGED, ChangeKind.HOMEWORK_REMOVED),
        )
    return None


def _transition(
    old: str | None, new: str | None, kinds: tuple[ChangeKind, ChangeKind, ChangeKind]
) -> Shown | None:
    """Set (nothing before), changed, or removed (nothing after); None when nothing changed."""
    if old == new:
        return None
    added, changed, removed = kinds
    if old is None:
        return added, None, new
    return (removed, old, None) if new is None else (changed, old, new)


def _mark(values: Mapping[str, Any] | None) -> str | None:
    if not values:
        return None
    if values.get("status") == "nv":
        return "nv"
    return _text(values.get("value"))


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
