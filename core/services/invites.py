"""Invitations to connect to the bot: issued per person by the school, single use, expiring.

The superuser (deputy director) or director issues them for anyone in their school, a class
teacher for their own class's pupils and parents; staff invitations only come from managers.
Only a SHA-256 hash of a code is stored: the plain code exists in the issuing response alone.
A new invitation for the same person and purpose revokes their older pending ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_class, manages_school
from core.domain.collation import latvian_key
from core.domain.invites import Purpose, code_hash, expiry, new_code
from core.domain.records import (
    AuditRecord,
    EnrolledPupil,
    PersonRecord,
    PupilSummary,
    SchoolRecord,
)
from core.errors import Conflict, InvalidInput, NotFound
from core.ports import UnitOfWork
from core.services.guards import managed_school, school_policy
from core.services.rosters import (
    ClassScope,
    class_members,
    current_classes,
    managed_class,
    managed_schools,
    school_today,
    viewer_classes,
)


class Audience(StrEnum):
    """Whom a batch of slips is for."""

    PARENTS = "parents"
    PUPILS = "pupils"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    """A fresh invitation with its plain code (shown once, never stored).

    ``pupils`` names whom it is about: the pupil themselves, a parent's children in the class
    (or school) it was issued for, or the child a carer will follow.
    """

    invite_id: int
    code: str
    purpose: Purpose
    person_id: int
    given_name: str
    family_name: str
    pupils: tuple[PupilSummary, ...]
    last_day: date

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True, slots=True)
class InviteBatch:
    """Invitations for a class's pupils or parents, or a school's staff (the slips' content)."""

    school: SchoolRecord
    audience: Audience
    class_name: str | None
    invites: tuple[IssuedInvite, ...]
    already_connected: int
    last_day: date


@dataclass(frozen=True, slots=True)
class InviteTargets:
    """What the viewer may print slips for: classes (pupils, parents) and schools (staff)."""

    classes: tuple[ClassScope, ...]
    staff_schools: tuple[SchoolRecord, ...]


async def invite_targets(uow: UnitOfWork, viewer: Viewer) -> InviteTargets:
    """The classes (and, for managers, the staff lists) the viewer may issue invitations for."""
    async with uow:
        classes = await viewer_classes(uow, viewer)
        schools = await managed_schools(uow, viewer) if not viewer.operator else ()
    if not classes and not schools:
        raise Conflict("invite.nothing_to_issue")
    return InviteTargets(classes, schools)


async def issue_invites(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    audience: Audience,
    class_id: int | None = None,
    school_id: int | None = None,
    class_name: str | None = None,
    everyone: bool = False,
) -> InviteBatch:
    """Invitations for a class's pupils or parents, or for a school's staff (managers only).

    People already connected are skipped unless ``everyone``; inactive people never get one.
    """
    async with uow:
        if audience is Audience.STAFF:
            if school_id is None:
                raise InvalidInput("school.required")
            school = await managed_school(uow, viewer, school_id)
            label = None
            people: list[tuple[PersonRecord, Purpose, tuple[PupilSummary, ...]]] = [
                (person, Purpose.STAFF, ()) for person in await uow.roster.staff(school.id)
            ]
        else:
            scope = await managed_class(
                uow, viewer, class_id=class_id, school_id=school_id, class_name=class_name
            )
            school, label = scope.school, scope.klass.name
            people = await _class_people(uow, scope, audience)
        connected = await uow.roster.connected({person.id for person, _, _ in people})
        wanted = [entry for entry in people if everyone or entry[0].id not in connected]
        days = (await school_policy(uow, school.id)).invite_days
        issued = [
            await store_invite(
                uow,
                viewer,
                school=school,
                person=person,
                purpose=purpose,
                pupils=pupils,
                days=days,
            )
            for person, purpose, pupils in wanted
        ]
        await uow.commit()
    return InviteBatch(
        school,
        audience,
        label,
        tuple(sorted(issued, key=_by_name)),
        len(people) - len(wanted),
        expiry(uow.clock.now(), ZoneInfo(school.time_zone), days)[1],
    )


async def issue_invite(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    purpose: Purpose,
    person_id: int | None = None,
    school_id: int | None = None,
    key: str | None = None,
) -> IssuedInvite:
    """One person's invitation (by id, or by records-office key within a school).

    Managers may invite anyone of their school (staff only by them); a class teacher a pupil
    of their class or a parent of such a pupil. Anyone else reads "person not found".
    """
    if purpose is Purpose.CAREGIVER:
        raise InvalidInput("invite.purpose_invalid")
    async with uow:
        if key is not None:
            if school_id is None:
                raise InvalidInput("school.required")
            person_id = await uow.roster.person_by_key(school_id, key.strip())
        person = await uow.directory.person(person_id) if person_id is not None else None
        if person is None:
            raise NotFound("person.not_found")
        school, pupils = await _single_scope(uow, viewer, person, purpose, school_id)
        if not person.is_active:
            raise Conflict("person.inactive")
        days = (await school_policy(uow, school.id)).invite_days
        issued = await store_invite(
            uow, viewer, school=school, person=person, purpose=purpose, pupils=pupils, days=days
        )
        await uow.commit()
        return issued


# ------------------------------------------------------------------------------------ helpers


async def store_invite(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school: SchoolRecord,
    person: PersonRecord,
    purpose: Purpose,
    pupils: tuple[PupilSummary, ...],
    days: int,
    replaces: Sequence[int] | None = None,
) -> IssuedInvite:
    """Store a new invitation (revoking the person's pending ones of the same purpose).

    A helper for services inside an open unit of work that already authorized the viewer.
    """
    now = uow.clock.now()
    if replaces is None:
        replaces = [
            i.id
            for i in await uow.invites.pending(now=now, person_ids=[person.id], purpose=purpose)
        ]
    await uow.invites.revoke(replaces, now)
    code = new_code()
    expires_at, last_day = expiry(now, ZoneInfo(school.time_zone), days)
    invite = await uow.invites.add(
        code_hash=code_hash(code),
        school_id=school.id,
        person_id=person.id,
        purpose=purpose.value,
        pupil_id=pupils[0].pupil_id if pupils else None,
        issued_by=viewer.person_id,
        now=now,
        expires_at=expires_at,
    )
    uow.audit(
        viewer,
        AuditRecord(
            action="invite.issue",
            entity="invite",
            entity_id=invite.id,
            school_id=school.id,
            subject_person_id=person.id,
            after={
                "purpose": purpose.value,
                "pupil_id": invite.pupil_id,
                "expires_at": expires_at.isoformat(),
                "replaces": list(replaces),
            },
        ),
    )
    return IssuedInvite(
        invite.id,
        code,
        purpose,
        person.id,
        person.given_name,
        person.family_name,
        pupils,
        last_day,
    )


async def _class_people(
    uow: UnitOfWork, scope: ClassScope, audience: Audience
) -> list[tuple[PersonRecord, Purpose, tuple[PupilSummary, ...]]]:
    """The class's pupils, or its parents with their children in the class."""
    pupils, guardians = await class_members(uow, [scope.klass.id], scope.today)
    summaries = {p.person.id: summary(p, scope.school.id) for p in pupils}
    if audience is Audience.PUPILS:
        return [(p.person, Purpose.PUPIL, (summaries[p.person.id],)) for p in pupils]
    by_parent: dict[int, tuple[PersonRecord, list[PupilSummary]]] = {}
    for link in guardians:
        entry = by_parent.setdefault(link.guardian.id, (link.guardian, []))
        entry[1].append(summaries[link.pupil_id])
    return [
        (guardian, Purpose.GUARDIAN, _sorted(children))
        for guardian, children in by_parent.values()
    ]


async def _single_scope(
    uow: UnitOfWork,
    viewer: Viewer,
    person: PersonRecord,
    purpose: Purpose,
    school_id: int | None,
) -> tuple[SchoolRecord, tuple[PupilSummary, ...]]:
    """The school an invitation for this person would come from, and whom it is about."""
    facts = await uow.directory.viewer(person.id)
    if facts is None:
        raise NotFound("person.not_found")
    if purpose is Purpose.STAFF:
        for sid in sorted({s for s, _ in facts.staff_roles}):
            if school_id in (None, sid) and manages_school(viewer, sid):
                found = await uow.directory.school(sid)
                if found is not None:
                    return found, ()
        raise NotFound("person.not_found")
    if purpose is Purpose.PUPIL:
        wanted = {person.id}
    else:
        wanted = set(facts.children - facts.read_only_children)
    covered = [
        (school, pupil)
        for school, pupil in await _current_pupils(uow, wanted)
        if school_id in (None, school.id) and manages_class(viewer, school.id, pupil.class_id)
    ]
    if not covered:
        raise NotFound("person.not_found")
    school = covered[0][0]
    return school, _sorted(summary(p, s.id) for s, p in covered if s.id == school.id)


async def _current_pupils(
    uow: UnitOfWork, pupil_ids: Iterable[int]
) -> list[tuple[SchoolRecord, EnrolledPupil]]:
    """Where these pupils are enrolled now (current school year, enrolment not ended)."""
    found: list[tuple[SchoolRecord, EnrolledPupil]] = []
    wanted = set(pupil_ids)
    schools: set[int] = set()
    their_classes: set[int] = set()
    for pupil_id in sorted(wanted):
        facts = await uow.directory.pupil_facts(pupil_id)
        if facts is not None:
            schools |= facts.school_ids
            their_classes |= facts.class_ids
    for school_id in sorted(schools):
        school = await uow.directory.school(school_id)
        if school is None:
            continue
        today = school_today(uow, school)
        classes = {c.id for c in await current_classes(uow, school, today)} & their_classes
        enrolled = await uow.roster.enrolled(classes, today, active_only=False)
        found += [(school, p) for p in enrolled if p.person.id in wanted]
    return found


def summary(pupil: EnrolledPupil, school_id: int) -> PupilSummary:
    """An enrolled pupil as menus and slips name them."""
    person = pupil.person
    return PupilSummary(
        person.id, person.given_name, person.family_name, pupil.class_name, pupil.grade, school_id
    )


def _sorted(pupils: Iterable[PupilSummary]) -> tuple[PupilSummary, ...]:
    return tuple(sorted(pupils, key=lambda p: (latvian_key(p.given_name), p.pupil_id)))


def _by_name(invite: IssuedInvite) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    return (latvian_key(invite.family_name), latvian_key(invite.given_name), invite.person_id)
