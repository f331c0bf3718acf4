"""Owns how people and their roles are named on screens: greetings, role lists, child names.

Pure functions over ``Identity`` and ``Child`` values.
"""

from __future__ import annotations

from bot.i18n import Translator
from core.domain.access import MANAGER_ROLES, TEACHING_ROLES, Role, Viewer
from core.services.accounts import Identity

ROLE_KEYS: dict[Role, str] = {
    Role.TEACHER: "role.teacher",
    Role.INTEREST_TEACHER: "role.interest_teacher",
    Role.CLASS_TEACHER: "role.class_teacher",
    Role.DEPUTY_DIRECTOR: "role.deputy_director",
    Role.DIRECTOR: "role.director",
    Role.GUARDIAN: "role.guardian",
    Role.CAREGIVER: "role.caregiver",
    Role.PUPIL: "role.pupil",
}
_ROLE_ORDER = tuple(ROLE_KEYS)


def roles_of(viewer: Viewer) -> tuple[Role, ...]:
    """Every role the viewer holds, staff roles first, in a fixed order."""
    held = {role for _, role in viewer.staff_roles}
    if viewer.class_teacher_of:
        held.add(Role.CLASS_TEACHER)
    if viewer.children - viewer.read_only_children:
        held.add(Role.GUARDIAN)
    if viewer.read_only_children:
        held.add(Role.CAREGIVER)
    if viewer.is_pupil:
        held.add(Role.PUPIL)
    return tuple(role for role in _ROLE_ORDER if role in held)


def role_list(viewer: Viewer, t: Translator) -> str:
    """The viewer's roles as words, e.g. "subject teacher, form teacher"."""
    return ", ".join(t(ROLE_KEYS[role]) for role in roles_of(viewer))


def follows_pupils(identity: Identity) -> bool:
    """Whether the person has marks and absences to look at: their own or their children's."""
    return identity.viewer.is_pupil or identity.viewer.is_guardian


def teaches(viewer: Viewer) -> bool:
    """A subject, interest or form teacher (UX only: core decides)."""
    return viewer.active and (
        bool(viewer.class_teacher_of)
        or any(role in TEACHING_ROLES for _, role in viewer.staff_roles)
    )


def manages(viewer: Viewer) -> bool:
    """The superuser or director of some school (UX only: core decides)."""
    return viewer.active and any(role in MANAGER_ROLES for _, role in viewer.staff_roles)


def onboards(viewer: Viewer) -> bool:
    """Whether the person connects others: class teachers and the school's managers."""
    return viewer.active and (bool(viewer.class_teacher_of) or manages(viewer))


def full_guardian(viewer: Viewer) -> bool:
    """A parent with full rights over at least one child (may invite carers)."""
    return viewer.active and bool(viewer.children - viewer.read_only_children)
