"""Load the facts the access policy needs and refuse early: every service starts here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.domain.access import (
    TEACHING_ROLES,
    GroupFacts,
    PupilFacts,
    ReadScope,
    Viewer,
    manages_school,
    may_read_group,
    may_write_group,
    pupil_read_scope,
)
from core.domain.ids import possible_id
from core.domain.policy import SchoolPolicy
from core.domain.records import AuditRecord, GroupRecord, SchoolRecord
from core.errors import NotAllowed, NotFound
from core.ports import UnitOfWork
from core.services.policies import policy_from_settings


async def pupil_scope(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> PupilFacts:
    """The pupil's facts if the viewer may read anything of the pupil; else NotFound.

    Refusals look like "not found" so that ids cannot be probed.
    """
    facts = await uow.directory.pupil_facts(pupil_id) if possible_id(pupil_id) else None
    if facts is None or pupil_read_scope(viewer, facts) is ReadScope.NONE:
        raise NotFound("pupil.not_found")
    return facts


def own_groups_filter(viewer: Viewer, facts: PupilFacts) -> bool:
    """Whether the viewer sees only what happened in their own groups."""
    return pupil_read_scope(viewer, facts) is ReadScope.OWN_GROUPS


async def writable_group(uow: UnitOfWork, viewer: Viewer, group_id: int) -> GroupRecord:
    """The group if the viewer teaches it; NotAllowed if they may read but not write."""
    if not possible_id(group_id):
        raise NotFound("group.not_found")
    facts = await uow.directory.group_facts(group_id)
    group = await uow.directory.group(group_id)
    if facts is None or group is None:
        raise NotFound("group.not_found")
    if not may_write_group(viewer, facts):
        if may_read_group(viewer, facts):
            raise NotAllowed("group.not_your_group")
        raise NotFound("group.not_found")
    return group


@dataclass(frozen=True, slots=True)
class LessonAccess:
    """Why the viewer may fill in one lesson: they teach the group, or they substitute.

    ``substitute`` is True for a teacher to whom a published substitution or extra lesson of
    that group, date and period is assigned: they may write that lesson and nothing else.
    """

    group: GroupRecord
    substitute: bool


async def writable_lesson(
    uow: UnitOfWork, viewer: Viewer, group_id: int, on: date, period: int
) -> LessonAccess:
    """The group's lesson if the viewer teaches the group or substitutes in that lesson.

    Raises:
        NotAllowed: ``group.not_your_group`` when the viewer may read the group but not write.
        NotFound: ``group.not_found`` for anyone else.
    """
    if not possible_id(group_id):
        raise NotFound("group.not_found")
    facts = await uow.directory.group_facts(group_id)
    group = await uow.directory.group(group_id)
    if facts is None or group is None:
        raise NotFound("group.not_found")
    if may_write_group(viewer, facts):
        return LessonAccess(group, substitute=False)
    if (
        viewer.active
        and viewer.person_id is not None
        and viewer.roles_in(facts.school_id) & TEACHING_ROLES
        and await uow.teacher_day.assigned(viewer.person_id, group_id, on, period)
    ):
        return LessonAccess(group, substitute=True)
    if may_read_group(viewer, facts):
        raise NotAllowed("group.not_your_group")
    raise NotFound("group.not_found")


async def readable_group(uow: UnitOfWork, viewer: Viewer, group_id: int) -> GroupFacts:
    """The group's facts if the viewer may read its journal."""
    facts = await uow.directory.group_facts(group_id)
    if facts is None or not may_read_group(viewer, facts):
        raise NotFound("group.not_found")
    return facts


async def managed_school(uow: UnitOfWork, viewer: Viewer, school_id: int) -> SchoolRecord:
    """The school if the viewer manages it (superuser, director, console operator)."""
    school = await uow.directory.school(school_id)
    if school is None or not manages_school(viewer, school_id):
        raise NotFound("school.not_found")
    return school


async def school_policy(uow: UnitOfWork, school_id: int) -> SchoolPolicy:
    """The school's validated policy."""
    return policy_from_settings(await uow.directory.school_policy(school_id))


def audit_staff_read(uow: UnitOfWork, viewer: Viewer, facts: PupilFacts, what: str) -> None:
    """Staff reading a pupil's record leave a trace (families do not: it is their own data)."""
    if viewer.person_id == facts.pupil_id or facts.pupil_id in viewer.children:
        return
    school_id = min(facts.school_ids) if facts.school_ids else None
    uow.audit(
        viewer,
        AuditRecord(
            action=f"read.{what}",
            entity="pupil",
            entity_id=facts.pupil_id,
            school_id=school_id,
            subject_person_id=facts.pupil_id,
        ),
    )
