"""Carers: a parent invites one extra person (a grandparent) per child with read-only access.

The parent names the carer; the carer becomes a person of their own, connected by a single-use
invitation, and follows the child read-only (``guardianships.read_only``, ``granted_by`` the
parent). Only guardians with full rights may invite or revoke, and only their own carers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, may_write_to_pupil
from core.domain.invites import Purpose, last_valid_day
from core.domain.records import AuditRecord, PersonRecord, PupilSummary, SchoolRecord
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.ports import PersonData, UnitOfWork
from core.services.directory import sort_pupils
from core.services.guards import pupil_scope, school_policy
from core.services.invites import IssuedInvite, store_invite

MAX_NAME = 100
_NAME_CHARS = re.compile(r"[^\W\d_]|[ .'’-]")


@dataclass(frozen=True, slots=True)
class CarerSlot:
    """One child of the parent and the carer the parent invited for them, if any."""

    child: PupilSummary
    carer: PersonRecord | None  # connected or waiting to connect
    connected: bool
    pending_until: date | None  # the last day of the carer's open invitation


async def caregivers(uow: UnitOfWork, viewer: Viewer) -> tuple[CarerSlot, ...]:
    """The parent's children (full rights) with the carer the parent invited for each."""
    own = _own_children(viewer)
    async with uow:
        children = sort_pupils(await uow.directory.pupil_summaries(own))
        slots = []
        for child in children:
            carer, pending = await _carer_of(uow, viewer, child.pupil_id)
            connected = bool(carer and await uow.roster.connected([carer.id]))
            until = None
            if pending is not None and not connected:
                school = await uow.directory.school(child.school_id)
                zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
                until = last_valid_day(pending, zone)
            slots.append(CarerSlot(child, carer, connected, until))
        return tuple(slots)


async def invite_caregiver(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, name: str
) -> IssuedInvite:
    """A parent invites a carer for one child: a read-only, single-use invitation.

    One carer per parent and child: a pending invitation is replaced; a connected carer must be
    revoked first.
    """
    given, family = _split_name(name)
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        if not may_write_to_pupil(viewer, facts) or viewer.person_id is None:
            raise NotAllowed("caregiver.read_only")
        carer, _ = await _carer_of(uow, viewer, pupil_id)
        if carer is not None and await uow.roster.connected([carer.id]):
            raise Conflict("caregiver.exists", name=f"{carer.given_name} {carer.family_name}")
        replaced = await _drop_pending(uow, viewer, pupil_id)
        [child] = await uow.directory.pupil_summaries([pupil_id])
        school = await _school(uow, child.school_id)
        now = uow.clock.now()
        person_id = await uow.people.add_person(
            PersonData(given_name=given, family_name=family), now=now
        )
        person = await uow.directory.person(person_id)
        if person is None:  # pragma: no cover - just written
            raise NotFound("person.not_found")
        uow.audit(
            viewer,
            AuditRecord(
                action="caregiver.create",
                entity="person",
                entity_id=person_id,
                school_id=school.id,
                subject_person_id=person_id,
                after={"given_name": given, "family_name": family, "pupil_id": pupil_id},
            ),
        )
        days = (await school_policy(uow, school.id)).invite_days
        issued = await store_invite(
            uow,
            viewer,
            school=school,
            person=person,
            purpose=Purpose.CAREGIVER,
            pupils=(child,),
            days=days,
            replaces=replaced,
        )
        await uow.commit()
        return issued


async def revoke_caregiver(uow: UnitOfWork, viewer: Viewer, *, pupil_id: int) -> PersonRecord:
    """A parent ends the access of the carer they invited for a child (connected or not)."""
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        if not may_write_to_pupil(viewer, facts) or viewer.person_id is None:
            raise NotAllowed("caregiver.read_only")
        carer, pending = await _carer_of(uow, viewer, pupil_id)
        if carer is None:
            raise NotFound("caregiver.not_found")
        now = uow.clock.now()
        await uow.roster.remove_guardianship(carer.id, pupil_id)
        await _drop_pending(uow, viewer, pupil_id)
        await uow.roster.set_active(carer.id, False, now)
        school_id = min(facts.school_ids) if facts.school_ids else None
        uow.audit(
            viewer,
            AuditRecord(
                action="caregiver.revoke",
                entity="person",
                entity_id=carer.id,
                school_id=school_id,
                subject_person_id=carer.id,
                after={"pupil_id": pupil_id, "was_connected": pending is None},
            ),
        )
        await uow.commit()
        return carer


# ------------------------------------------------------------------------------------ helpers


def _own_children(viewer: Viewer) -> frozenset[int]:
    if not viewer.active:
        return frozenset()
    return viewer.children - viewer.read_only_children


async def _carer_of(
    uow: UnitOfWork, viewer: Viewer, pupil_id: int
) -> tuple[PersonRecord | None, datetime | None]:
    """The carer this parent named for the child, and their open invitation's expiry if any.

    A carer who connected holds a read-only guardianship granted by the parent; one who has
    not yet is the person of the parent's open caregiver invitation.
    """
    for link in await uow.roster.guardians_of([pupil_id]):
        if link.read_only and link.granted_by == viewer.person_id:
            return link.guardian, None
    pending = await uow.invites.pending(
        now=uow.clock.now(),
        purpose=Purpose.CAREGIVER,
        issued_by=viewer.person_id,
        pupil_id=pupil_id,
    )
    if not pending:
        return None, None
    latest = pending[-1]
    return await uow.directory.person(latest.person_id), latest.expires_at


async def _drop_pending(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> list[int]:
    """Revoke the parent's open carer invitations for the child; their people are retired."""
    now = uow.clock.now()
    pending = await uow.invites.pending(
        now=now, purpose=Purpose.CAREGIVER, issued_by=viewer.person_id, pupil_id=pupil_id
    )
    await uow.invites.revoke([i.id for i in pending], now)
    for invite in pending:
        await uow.roster.set_active(invite.person_id, False, now)
    return [i.id for i in pending]


async def _school(uow: UnitOfWork, school_id: int) -> SchoolRecord:
    school = await uow.directory.school(school_id)
    if school is None:  # pragma: no cover - a pupil's school exists
        raise NotFound("school.not_found")
    return school


def _split_name(text: str) -> tuple[str, str]:
    """The carer's name as the parent typed it: the last word is the family name."""
    words = text.split()
    name = " ".join(words)
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or len(name) > MAX_NAME or not all(_NAME_CHARS.fullmatch(c) for c in name):
        raise InvalidInput("caregiver.name_invalid", max=MAX_NAME)
    if len(words) == 1:
        return name, ""
    return " ".join(words[:-1]), words[-1]
