"""The audit trail: the console's query of the log, and a family's history of access to a pupil.

The audit log is append-only: services add entries through ``UnitOfWork.audit`` in the
transaction of what they record, and nothing updates or deletes them (a test scans the code).
Staff reading a pupil's record leave ``read.<what>`` entries (``guards.audit_staff_read``);
lawful disclosures leave ``disclosure.create``. ``access_history`` shows a pupil and their
parents with full rights who read the pupil's data, and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_school
from core.domain.ids import possible_id
from core.domain.records import AuditRecord, PupilSummary
from core.errors import InvalidInput, NotFound
from core.ports import AuditRow, UnitOfWork

PAGE = 50
MAX_PAGE = 1000
MAX_PREFIX = 48
ACCESS_DAYS = 365  # the access history shows a year by default
MAX_DAYS_BACK = 400  # a school year and a little: older entries are in the school's archive
_ZONE = "Europe/Riga"


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of audit entries matching a query, newest first."""

    entries: tuple[AuditRow, ...]
    offset: int
    total: int

    @property
    def more(self) -> bool:
        """Whether older entries follow this page."""
        return self.offset + len(self.entries) < self.total


async def audit_log(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    person_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: date | None = None,
    school_id: int | None = None,
    limit: int = PAGE,
    offset: int = 0,
) -> AuditPage:
    """Audit entries matching every filter given, newest first, paged.

    Filters: about a person (``person_id``), by an actor, an action prefix, since a day (in the
    school's zone; Riga without a school), in a school.

    The console operator may query every school they manage; a school's superuser or director
    only their school (``school_id`` required). The query itself is audited (``audit.query``).

    Raises:
        NotFound: ``school.not_found`` when the viewer does not manage the school.
        InvalidInput: a bad page, a too long action prefix, a day in the future.
    """
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("audit.page_invalid", max=MAX_PAGE)
    if action is not None and len(action) > MAX_PREFIX:
        raise InvalidInput("audit.action_invalid")
    for some_id in (person_id, actor_id):
        if some_id is not None and not possible_id(some_id):
            return AuditPage((), offset, 0)
    async with uow:
        zone = ZoneInfo(_ZONE)
        if school_id is not None:
            school = await uow.directory.school(school_id)
            if school is None or not manages_school(viewer, school_id):
                raise NotFound("school.not_found")
            zone = ZoneInfo(school.time_zone)
        elif not (viewer.operator and viewer.active and not viewer.operator_schools):
            raise NotFound("school.not_found")
        start = None
        if since is not None:
            if since > uow.clock.now().astimezone(zone).date():
                raise InvalidInput("history.since_future")
            start = datetime.combine(since, time(0), tzinfo=zone)
        entries, total = await uow.audit_trail.entries(
            person_id=person_id,
            actor_id=actor_id,
            action_prefix=action or None,
            since=start,
            school_id=school_id,
            limit=limit,
            offset=offset,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="audit.query",
                entity="audit_log",
                entity_id=None,
                school_id=school_id,
                after={
                    "person": person_id,
                    "actor": actor_id,
                    "action": action,
                    "since": since.isoformat() if since else None,
                    "rows": len(entries),
                },
            ),
        )
        await uow.commit()
    return AuditPage(tuple(entries), offset, total)


class AccessKind(StrEnum):
    """What was read or disclosed."""

    MARKS = "marks"
    ATTENDANCE = "attendance"
    TIMETABLE = "timetable"
    DIARY = "diary"
    HOMEWORK = "homework"
    HISTORY = "history"
    ABSENCE_NOTES = "absence_notes"
    EXTRACT = "extract"
    REPORT_CARD = "report_card"
    DISCLOSURE = "disclosure"
    OTHER = "other"


_KINDS = {
    "read.marks": AccessKind.MARKS,
    "read.attendance": AccessKind.ATTENDANCE,
    "read.timetable": AccessKind.TIMETABLE,
    "read.diary": AccessKind.DIARY,
    "read.homework": AccessKind.HOMEWORK,
    "read.homework_file": AccessKind.HOMEWORK,
    "read.history": AccessKind.HISTORY,
    "read.absence_notes": AccessKind.ABSENCE_NOTES,
    "read.extract": AccessKind.EXTRACT,
    "read.report_card": AccessKind.REPORT_CARD,
    "disclosure.create": AccessKind.DISCLOSURE,
}


@dataclass(frozen=True, slots=True)
class Access:
    """One read of the pupil's data, or a disclosure.

    ``at`` is local to the school; ``actor`` the person's name (None: the school's office at
    the console); ``actor_role`` their role then (a ``Role`` value, or ``console``).
    """

    at: datetime
    kind: AccessKind
    actor: str | None
    actor_role: str


@dataclass(frozen=True, slots=True)
class AccessHistory:
    """Who read a pupil's data since a day, newest first."""

    pupil: PupilSummary
    since: date
    entries: tuple[Access, ...]


async def access_history(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, since: date | None = None
) -> AccessHistory:
    """Who (name and role) read the pupil's data, or disclosed it, when and what.

    Only the pupil themselves and their parents with full rights (not read-only carers, not
    staff) may see it. Default ``since``: a year back.

    Raises:
        NotFound: ``pupil.not_found`` for anyone else.
        InvalidInput: a day in the future or too far back.
    """
    if not possible_id(pupil_id) or not viewer.active:
        raise NotFound("pupil.not_found")
    own = viewer.person_id == pupil_id and viewer.is_pupil
    parent = pupil_id in viewer.children and pupil_id not in viewer.read_only_children
    if not (own or parent):
        raise NotFound("pupil.not_found")
    async with uow:
        summaries = await uow.directory.pupil_summaries([pupil_id])
        if not summaries:
            raise NotFound("pupil.not_found")
        pupil = summaries[0]
        school = await uow.directory.school(pupil.school_id)
        zone = ZoneInfo(school.time_zone if school else _ZONE)
        today = uow.clock.now().astimezone(zone).date()
        since = since if since is not None else today - timedelta(days=ACCESS_DAYS)
        if since > today:
            raise InvalidInput("history.since_future")
        if (today - since).days > MAX_DAYS_BACK:
            raise InvalidInput("history.since_too_early", days=MAX_DAYS_BACK)
        rows = await uow.audit_trail.access_entries(
            pupil_id, datetime.combine(since, time(0), tzinfo=zone)
        )
    entries = tuple(
        Access(
            at=row.occurred_at.astimezone(zone),
            kind=_KINDS.get(row.action, AccessKind.OTHER),
            actor=row.actor_name,
            actor_role=row.actor_role,
        )
        for row in rows
    )
    return AccessHistory(pupil=pupil, since=since, entries=entries)
