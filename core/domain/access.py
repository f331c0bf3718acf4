"""Who may see and change what: the one authorization policy, as pure functions over facts.

Services load the facts (who teaches a group, which classes a pupil is in) and ask these rules;
callback data and command arguments never grant anything. Nobody crosses schools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum


class Role(StrEnum):
    """Roles a person can hold; staff roles are per school."""

    PUPIL = "pupil"
    GUARDIAN = "guardian"
    CAREGIVER = "caregiver"  # an extra, read-only carer invited by a guardian
    TEACHER = "teacher"
    INTEREST_TEACHER = "interest_teacher"
    CLASS_TEACHER = "class_teacher"
    DEPUTY_DIRECTOR = "deputy_director"  # the superuser (virslietotājs)
    DIRECTOR = "director"


STAFF_ROLES = frozenset({Role.TEACHER, Role.INTEREST_TEACHER, Role.DEPUTY_DIRECTOR, Role.DIRECTOR})
MANAGER_ROLES = frozenset({Role.DEPUTY_DIRECTOR, Role.DIRECTOR})
TEACHING_ROLES = frozenset({Role.TEACHER, Role.INTEREST_TEACHER})


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind a request and what they are, school by school.

    ``operator`` is the school admin at a terminal (the ``ejournal`` console): trusted with
    management of the schools named in ``operator_schools`` (empty = every school).
    """

    person_id: int | None
    staff_roles: frozenset[tuple[int, Role]] = frozenset()
    children: frozenset[int] = frozenset()
    read_only_children: frozenset[int] = frozenset()
    class_teacher_of: frozenset[int] = frozenset()
    pupil_in_schools: frozenset[int] = frozenset()
    active: bool = True
    operator: bool = False
    operator_schools: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def console(cls, schools: frozenset[int] = frozenset()) -> Viewer:
        """The terminal operator."""
        return cls(person_id=None, operator=True, operator_schools=schools)

    def roles_in(self, school_id: int) -> frozenset[Role]:
        """Staff roles held in one school."""
        return frozenset(role for school, role in self.staff_roles if school == school_id)

    @property
    def schools(self) -> frozenset[int]:
        """Schools where the viewer holds a staff role or is a pupil."""
        return frozenset(school for school, _ in self.staff_roles) | self.pupil_in_schools

    @property
    def is_guardian(self) -> bool:
        """Whether the viewer has children linked (read-only carers included)."""
        return bool(self.children)

    @property
    def is_pupil(self) -> bool:
        """Whether the viewer is a pupil somewhere."""
        return bool(self.pupil_in_schools)

    @property
    def is_staff(self) -> bool:
        """Whether the viewer holds any staff role."""
        return bool(self.staff_roles)


@dataclass(frozen=True, slots=True)
class PupilFacts:
    """What the policy needs to know about a pupil."""

    pupil_id: int
    school_ids: frozenset[int]
    class_ids: frozenset[int]
    teacher_ids: frozenset[int]  # teachers of the pupil's teaching groups


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What the policy needs to know about a teaching group."""

    group_id: int
    school_id: int
    teacher_ids: frozenset[int]
    class_ids: frozenset[int]


class ReadScope(Enum):
    """How much of a pupil's record a viewer may read."""

    NONE = 0
    OWN_GROUPS = 1  # a subject teacher: only what happened in their own groups
    ALL = 2


def manages_school(viewer: Viewer, school_id: int) -> bool:
    """The superuser (deputy director), the director, or the console operator of that school."""
    if not viewer.active:
        return False
    if viewer.operator:
        return not viewer.operator_schools or school_id in viewer.operator_schools
    return bool(viewer.roles_in(school_id) & MANAGER_ROLES)


def pupil_read_scope(viewer: Viewer, pupil: PupilFacts) -> ReadScope:
    """How much of a pupil's record the viewer may read."""
    if not viewer.active:
        return ReadScope.NONE
    family = viewer.person_id == pupil.pupil_id or pupil.pupil_id in viewer.children
    managers = any(manages_school(viewer, school) for school in pupil.school_ids)
    staff_here = _staff_in_any(viewer, pupil.school_ids)
    class_teacher = bool(viewer.class_teacher_of & pupil.class_ids) and staff_here
    if family or managers or class_teacher:
        return ReadScope.ALL
    if staff_here and viewer.person_id is not None and viewer.person_id in pupil.teacher_ids:
        return ReadScope.OWN_GROUPS
    return ReadScope.NONE


def may_write_group(viewer: Viewer, group: GroupFacts) -> bool:
    """Only a teacher of the group, holding a teaching role in the group's school, writes to it."""
    if not viewer.active or viewer.person_id is None:
        return False
    if viewer.person_id not in group.teacher_ids:
        return False
    return bool(viewer.roles_in(group.school_id) & TEACHING_ROLES)


def may_read_group(viewer: Viewer, group: GroupFacts) -> bool:
    """Teachers of the group, class teachers of its classes, and the school's managers."""
    if may_write_group(viewer, group) or manages_school(viewer, group.school_id):
        return True
    return bool(
        viewer.active
        and viewer.class_teacher_of & group.class_ids
        and viewer.roles_in(group.school_id)
    )


def may_write_to_pupil(viewer: Viewer, pupil: PupilFacts) -> bool:
    """Guardians with full rights (not read-only carers) act for their child (e.g. notes)."""
    return (
        viewer.active
        and pupil.pupil_id in viewer.children
        and pupil.pupil_id not in viewer.read_only_children
    )


def manages_class(viewer: Viewer, school_id: int, class_id: int) -> bool:
    """The school's managers, and the class teacher of that class (onboarding, reports)."""
    if manages_school(viewer, school_id):
        return True
    return (
        viewer.active and class_id in viewer.class_teacher_of and bool(viewer.roles_in(school_id))
    )


def _staff_in_any(viewer: Viewer, schools: frozenset[int]) -> bool:
    return any(viewer.roles_in(school) for school in schools)
