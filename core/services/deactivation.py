"""Access ends when a person leaves: managers deactivate (and reactivate) people, and find them.

A deactivated person keeps their records, but every policy refuses them at once (their viewer
is inactive), their linked Telegram accounts get "no access", and their pending invitations
are revoked. A person tied to a school the viewer does not manage cannot be switched off by
them: ``persons.is_active`` is global, and another school may still need that person.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.access import Viewer, manages_school
from core.domain.collation import latvian_key, search_key
from core.domain.invites import Purpose
from core.domain.records import AuditRecord, PersonRecord, PupilSummary
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.ports import UnitOfWork
from core.services.directory import sort_pupils
from core.services.rosters import managed_schools

MIN_QUERY = 2
MAX_RESULTS = 10


@dataclass(frozen=True, slots=True)
class PersonCard:
    """A person as a manager sees them when looking someone up."""

    person: PersonRecord
    classes: tuple[str, ...]  # where the person is a pupil
    children: tuple[PupilSummary, ...]  # whom the person follows as a parent or carer
    staff: bool
    carer: bool  # follows a child read-only
    connected: bool
    invitable: tuple[Purpose, ...]  # invitations a manager can issue for them

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return self.person.full_name.strip()


async def find_people(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    query: str,
    school_id: int | None = None,
    limit: int = MAX_RESULTS,
) -> tuple[PersonCard, ...]:
    """People of the viewer's schools whose name contains every word typed (managers only)."""
    words = search_key(query).split()
    if sum(len(w) for w in words) < MIN_QUERY:
        raise InvalidInput("people.query_short", min=MIN_QUERY)
    async with uow:
        managed = await managed_schools(uow, viewer)
        if not managed:
            raise NotAllowed("people.managers_only")
        schools = [s.id for s in managed if school_id is None or s.id == school_id]
        if not schools:  # a school the viewer does not manage reads as not found
            raise NotFound("school.not_found")
        found = [
            person
            for person in await uow.roster.school_people(schools)
            if all(word in search_key(person.full_name) for word in words)
        ]
        found.sort(key=lambda p: (latvian_key(p.family_name), latvian_key(p.given_name), p.id))
        return tuple([await _card(uow, person) for person in found[:limit]])


async def person_card(uow: UnitOfWork, viewer: Viewer, *, person_id: int) -> PersonCard:
    """One person of a school the viewer manages."""
    async with uow:
        person = await _managed_person(uow, viewer, person_id)
        return await _card(uow, person)


async def deactivate_person(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    person_id: int | None = None,
    school_id: int | None = None,
    key: str | None = None,
) -> PersonCard:
    """A manager ends a person's access: inactive at once, pending invitations revoked."""
    return await _switch(uow, viewer, False, person_id=person_id, school_id=school_id, key=key)


async def activate_person(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    person_id: int | None = None,
    school_id: int | None = None,
    key: str | None = None,
) -> PersonCard:
    """A manager gives a deactivated person their access back (linked accounts work again)."""
    return await _switch(uow, viewer, True, person_id=person_id, school_id=school_id, key=key)


async def _switch(
    uow: UnitOfWork,
    viewer: Viewer,
    active: bool,
    *,
    person_id: int | None,
    school_id: int | None,
    key: str | None,
) -> PersonCard:
    async with uow:
        if key is not None:
            if school_id is None:
                raise InvalidInput("school.required")
            person_id = await uow.roster.person_by_key(school_id, key.strip())
        if person_id is None:
            raise NotFound("person.not_found")
        person = await _managed_person(uow, viewer, person_id, school_id=school_id, every=True)
        if not active and person.id == viewer.person_id:
            raise Conflict("person.deactivate_self")
        if person.is_active != active:
            now = uow.clock.now()
            await uow.roster.set_active(person.id, active, now)
            revoked: list[int] = []
            if not active:
                revoked = [
                    i.id for i in await uow.invites.pending(now=now, person_ids=[person.id])
                ]
                await uow.invites.revoke(revoked, now)
            schools = await uow.roster.person_schools(person.id)
            uow.audit(
                viewer,
                AuditRecord(
                    action="person.activate" if active else "person.deactivate",
                    entity="person",
                    entity_id=person.id,
                    school_id=min(schools) if schools else school_id,
                    subject_person_id=person.id,
                    before={"is_active": person.is_active},
                    after={"is_active": active, "invites_revoked": revoked},
                ),
            )
            person = await uow.directory.person(person.id) or person
        card = await _card(uow, person)
        await uow.commit()
        return card


async def _managed_person(
    uow: UnitOfWork,
    viewer: Viewer,
    person_id: int,
    *,
    school_id: int | None = None,
    every: bool = False,
) -> PersonRecord:
    """The person if the viewer manages one of their schools (``every``: all of them)."""
    person = await uow.directory.person(person_id)
    schools = await uow.roster.person_schools(person_id) if person else frozenset()
    managed = {s for s in schools if manages_school(viewer, s)}
    if school_id is not None and school_id not in managed:
        managed = set()
    if person is None or not managed:
        raise NotFound("person.not_found")
    if every and any(not manages_school(viewer, s) for s in schools):
        raise NotAllowed("person.other_schools")
    return person


async def _card(uow: UnitOfWork, person: PersonRecord) -> PersonCard:
    facts = await uow.directory.viewer(person.id)
    if facts is None:  # pragma: no cover - the person exists
        raise NotFound("person.not_found")
    own = await uow.directory.pupil_summaries([person.id]) if facts.is_pupil else ()
    children = sort_pupils(await uow.directory.pupil_summaries(facts.children))
    full = facts.children - facts.read_only_children
    invitable = [
        purpose
        for purpose, applies in (
            (Purpose.PUPIL, facts.is_pupil),
            (Purpose.GUARDIAN, bool(full)),
            (Purpose.STAFF, facts.is_staff),
        )
        if applies
    ]
    return PersonCard(
        person,
        tuple(p.class_name for p in own if p.class_name),
        children,
        facts.is_staff,
        bool(facts.read_only_children),
        bool(await uow.roster.connected([person.id])),
        tuple(invitable) if person.is_active else (),
    )
