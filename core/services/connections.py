"""The connection report (rule 2.2): who is not connected to the bot yet, and how urgent it is.

Computed from the roster and the accounts every time, never stored: a pupil enrolled today and
their parents appear on the superuser's list at once. Newly arrived pupils (enrolled after the
school year began) and their parents carry the one-week deadline; staff appear for managers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_school
from core.domain.collation import latvian_key
from core.domain.invites import connection_due, last_valid_day
from core.domain.records import ClassRecord, EnrolledPupil, PersonRecord, SchoolRecord
from core.errors import InvalidInput, NotAllowed
from core.ports import UnitOfWork
from core.services.guards import managed_school
from core.services.rosters import (
    class_members,
    current_classes,
    managed_class,
    managed_schools,
    school_today,
    viewer_classes,
)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many of a group are connected."""

    connected: int
    total: int

    @property
    def missing(self) -> int:
        """How many are not connected yet."""
        return self.total - self.connected


@dataclass(frozen=True, slots=True)
class Unconnected:
    """Somebody not connected yet.

    ``classes``: the pupil's class, or the classes of a parent's children in the report.
    ``children``: a parent's children in the report. ``due_on``/``days_left``: the one-week
    deadline of a newly arrived pupil (a parent takes their child's earliest one); negative
    days are overdue. ``invited_until``: the last day of an invitation still open.
    """

    person_id: int
    given_name: str
    family_name: str
    classes: tuple[str, ...]
    children: tuple[str, ...]
    due_on: date | None
    days_left: int | None
    invited_until: date | None

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"

    @property
    def overdue(self) -> bool:
        """Past the one-week deadline."""
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True, slots=True)
class ClassTally:
    """One class's pupils and parents, connected of all."""

    class_id: int
    class_name: str
    pupils: Tally
    parents: Tally


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """Who is (not) connected in a class, or in a whole school (then with staff and classes)."""

    school: SchoolRecord
    class_id: int | None
    class_name: str | None
    on: date
    pupils: Tally
    parents: Tally
    staff: Tally | None
    classes: tuple[ClassTally, ...]
    missing_pupils: tuple[Unconnected, ...]
    missing_parents: tuple[Unconnected, ...]
    missing_staff: tuple[Unconnected, ...]

    @property
    def newly_arrived(self) -> tuple[Unconnected, ...]:
        """Unconnected pupils and parents with the one-week deadline, most urgent first."""
        due = [u for u in (*self.missing_pupils, *self.missing_parents) if u.days_left is not None]
        return tuple(sorted(due, key=lambda u: (u.days_left, latvian_key(u.family_name))))


async def connection_report(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int | None = None,
    class_id: int | None = None,
    class_name: str | None = None,
) -> ConnectionReport:
    """One class (its class teacher or a manager), or a whole school with staff (managers)."""
    async with uow:
        if class_id is not None or class_name is not None:
            scope = await managed_class(
                uow, viewer, class_id=class_id, school_id=school_id, class_name=class_name
            )
            return await _report(uow, scope.school, scope.today, [scope.klass], whole=False)
        if school_id is None:
            raise InvalidInput("school.required")
        school = await managed_school(uow, viewer, school_id)
        today = school_today(uow, school)
        return await _report(uow, school, today, await current_classes(uow, school, today))


async def connection_reports(uow: UnitOfWork, viewer: Viewer) -> tuple[ConnectionReport, ...]:
    """What the viewer answers for: each school they manage, else each class they teach."""
    async with uow:
        reports = []
        managed = await managed_schools(uow, viewer) if not viewer.operator else ()
        for school in managed:
            today = school_today(uow, school)
            reports.append(
                await _report(uow, school, today, await current_classes(uow, school, today))
            )
        reports += [
            await _report(uow, scope.school, scope.today, [scope.klass], whole=False)
            for scope in await viewer_classes(uow, viewer)
            if not manages_school(viewer, scope.school.id)
        ]
    if not reports:
        raise NotAllowed("connections.not_allowed")
    return tuple(reports)


async def _report(
    uow: UnitOfWork,
    school: SchoolRecord,
    today: date,
    classes: Sequence[ClassRecord],
    *,
    whole: bool = True,
) -> ConnectionReport:
    year = await uow.directory.school_year_on(school.id, today)
    year_start = year.starts_on if year else today
    pupils, guardians = await class_members(uow, [c.id for c in classes], today)
    staff = await uow.roster.staff(school.id) if whole else []
    everyone = {p.person.id for p in pupils} | {g.guardian.id for g in guardians}
    everyone |= {s.id for s in staff}
    connected = await uow.roster.connected(everyone)
    invited = await _open_invitations(uow, everyone - connected, ZoneInfo(school.time_zone))
    due = {p.person.id: connection_due(p.enrolled_on, year_start) for p in pupils}
    by_pupil = {p.person.id: p for p in pupils}

    def row(person: PersonRecord, kids: Iterable[EnrolledPupil]) -> Unconnected:
        kids = list(kids)
        deadlines = [d for d in (due[k.person.id] for k in kids) if d is not None]
        deadline = min(deadlines) if deadlines else None
        return Unconnected(
            person.id,
            person.given_name,
            person.family_name,
            tuple(sorted({k.class_name for k in kids}, key=latvian_key)),
            tuple(k.person.full_name for k in kids if k.person.id != person.id),
            deadline,
            (deadline - today).days if deadline else None,
            invited.get(person.id),
        )

    parents: dict[int, tuple[PersonRecord, list[EnrolledPupil]]] = {}
    for link in guardians:
        parents.setdefault(link.guardian.id, (link.guardian, []))[1].append(
            by_pupil[link.pupil_id]
        )
    missing_pupils = [row(p.person, [p]) for p in pupils if p.person.id not in connected]
    missing_parents = [
        row(person, kids) for pid, (person, kids) in parents.items() if pid not in connected
    ]
    return ConnectionReport(
        school=school,
        class_id=classes[0].id if not whole and classes else None,
        class_name=classes[0].name if not whole and classes else None,
        on=today,
        pupils=_tally(by_pupil, connected),
        parents=_tally(parents, connected),
        staff=_tally({s.id for s in staff}, connected) if whole else None,
        classes=tuple(_class_tallies(classes, pupils, parents, connected)),
        missing_pupils=_ordered(missing_pupils),
        missing_parents=_ordered(missing_parents),
        missing_staff=_ordered(row(s, []) for s in staff if s.id not in connected),
    )


async def _open_invitations(
    uow: UnitOfWork, person_ids: set[int], zone: ZoneInfo
) -> dict[int, date]:
    """The last valid day of each person's latest open invitation."""
    until: dict[int, date] = {}
    for invite in await uow.invites.pending(now=uow.clock.now(), person_ids=person_ids):
        day = last_valid_day(invite.expires_at, zone)
        until[invite.person_id] = max(day, until.get(invite.person_id, day))
    return until


def _tally(people: Iterable[int], connected: frozenset[int]) -> Tally:
    ids = set(people)
    return Tally(len(ids & connected), len(ids))


def _class_tallies(
    classes: Sequence[ClassRecord],
    pupils: Sequence[EnrolledPupil],
    parents: dict[int, tuple[PersonRecord, list[EnrolledPupil]]],
    connected: frozenset[int],
) -> Iterable[ClassTally]:
    for klass in classes:
        in_class = {p.person.id for p in pupils if p.class_id == klass.id}
        its_parents = {
            pid for pid, (_, kids) in parents.items() if any(k.class_id == klass.id for k in kids)
        }
        yield ClassTally(
            klass.id, klass.name, _tally(in_class, connected), _tally(its_parents, connected)
        )


def _ordered(rows: Iterable[Unconnected]) -> tuple[Unconnected, ...]:
    """Deadlines first (most urgent first), then by class and name."""
    return tuple(
        sorted(
            rows,
            key=lambda u: (
                u.days_left is None,
                u.days_left or 0,
                [latvian_key(c) for c in u.classes],
                latvian_key(u.family_name),
                latvian_key(u.given_name),
                u.person_id,
            ),
        )
    )
