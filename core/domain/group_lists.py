"""Owns the pupil lists of part, combined and club groups (rule 3.4) as plain data and rules.

A teacher submits a group's list; the superuser approves it, and the group's memberships change
from the school's today: pupils no longer listed leave the group yesterday, new ones join today,
unchanged ones keep their rows. ``plan_membership`` is that rule, pure, over the stored rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

LIST_KINDS: frozenset[str] = frozenset({"part", "combined", "interest"})
"""Group kinds whose pupils come from a list (a whole-class group takes the class)."""


class SubmissionStatus(StrEnum):
    """Where a submitted list stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer list for the same group replaced it before a decision


@dataclass(frozen=True, slots=True)
class ClassRef:
    """A class a group draws pupils from."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ListGroupInfo:
    """A teaching group as the list dialogs need it: name, kind, subject and classes."""

    id: int
    school_id: int
    school_year_id: int
    name: str
    kind: str
    subject_name: str | None
    classes: tuple[ClassRef, ...]


@dataclass(frozen=True, slots=True)
class GroupListRecord:
    """A stored submission of a group's pupil list."""

    id: int
    school_id: int
    group_id: int
    submitted_by: int | None
    pupil_ids: tuple[int, ...]
    status: SubmissionStatus
    note: str | None
    created_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Membership:
    """One stored membership row of a pupil in a group (``ends_on`` None: open-ended)."""

    pupil_id: int
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True, slots=True)
class MembershipPlan:
    """What approving a list does to a group's rows, from ``today``.

    ``add``: new rows starting today. ``reopen``: rows whose end is cleared (the pupil is still a
    member, or left only yesterday). ``restart``: rows of pupils who left earlier, starting again
    today (one row per pupil and group is stored). ``end``: rows ending yesterday. ``drop``: rows
    that would end before they start (they begin today or later), deleted.
    ``added``/``removed``/``kept`` are the pupils as a person reads the change.
    """

    today: date
    add: frozenset[int]
    reopen: frozenset[int]
    restart: frozenset[int]
    end: frozenset[int]
    drop: frozenset[int]
    added: frozenset[int]
    removed: frozenset[int]
    kept: frozenset[int]

    @property
    def yesterday(self) -> date:
        """The last day of membership of the pupils who leave."""
        return self.today - timedelta(days=1)


def current_members(memberships: Iterable[Membership], today: date) -> frozenset[int]:
    """Pupils whose membership has not ended by ``today`` (including ones starting later)."""
    return frozenset(m.pupil_id for m in memberships if m.ends_on is None or m.ends_on >= today)


def plan_membership(
    memberships: Iterable[Membership], listed: Iterable[int], today: date
) -> MembershipPlan:
    """The changes that make ``listed`` the group's pupils from ``today``."""
    rows = {m.pupil_id: m for m in memberships}
    wanted = frozenset(listed)
    current = current_members(rows.values(), today)
    yesterday = today - timedelta(days=1)
    add: set[int] = set()
    reopen: set[int] = set()
    restart: set[int] = set()
    end: set[int] = set()
    drop: set[int] = set()
    for pupil_id in wanted:
        row = rows.get(pupil_id)
        if row is None:
            add.add(pupil_id)
        elif row.ends_on is None:
            continue
        elif row.ends_on >= yesterday:
            reopen.add(pupil_id)
        else:
            restart.add(pupil_id)
    for pupil_id in current - wanted:
        if rows[pupil_id].starts_on >= today:
            drop.add(pupil_id)
        else:
            end.add(pupil_id)
    return MembershipPlan(
        today=today,
        add=frozenset(add),
        reopen=frozenset(reopen),
        restart=frozenset(restart),
        end=frozenset(end),
        drop=frozenset(drop),
        added=wanted - current,
        removed=current - wanted,
        kept=wanted & current,
    )
