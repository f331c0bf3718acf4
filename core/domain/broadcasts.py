"""Owns staff broadcasts' pure rules: the audience spec, who may send to it, the text, the event.

An audience is a **scope** (the school, a grade, a class, a teaching group), the **members** of
that scope it reaches (everyone, parents, pupils, staff) and an optional **condition** on the
scope's pupils (absent today, unexcused absences this week: then it reaches their parents).

| Audience | Spec |
|---|---|
| the whole school | school · everyone (staff, pupils, their parents and carers) |
| grade N, a class, a group | grade/class/group · everyone (pupils and parents), parents, pupils |
| all parents | school · parents |
| all teachers | school · staff (every active staff member) |
| parents of pupils absent today | any scope · parents · absent_today |
| … with unexcused absences this week | any scope · parents · unexcused_week |

Who may send (rules 1.4, 4.1; issue #10 part 4): staff only. The school's managers (the
deputy director, the director) send to anything in their school and may mark a broadcast
urgent; a class teacher sends to their class; a teacher sends to the groups they teach. Pupils
and parents never. Pure: facts arrive as arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from core.domain.access import (
    GroupFacts,
    Viewer,
    manages_class,
    manages_school,
    may_write_group,
)
from core.domain.events import Event
from core.domain.ids import possible_id
from core.errors import InvalidInput

MAX_TEXT = 4000  # a sender's message is at most 4096; the heading goes on top of it
MAX_GRADE = 12
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Scope(StrEnum):
    """Where the audience is drawn from."""

    SCHOOL = "school"
    GRADE = "grade"  # target: the grade (1-12)
    CLASS = "class"  # target: the class id
    GROUP = "group"  # target: the teaching group id


class Members(StrEnum):
    """Who in the scope hears it."""

    EVERYONE = "everyone"  # the school: staff, pupils, parents; a grade, class or group: families
    PARENTS = "parents"  # guardians (and read-only carers) of the scope's pupils
    PUPILS = "pupils"
    STAFF = "staff"  # every active staff member of the school (the school scope only)


class Condition(StrEnum):
    """A condition on the scope's pupils: the audience is then their parents."""

    NONE = "none"
    ABSENT_TODAY = "absent_today"  # an absence (not lateness) recorded today
    UNEXCUSED_WEEK = "unexcused_week"  # an absence this week not justified (pending or refused)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast reaches; resolved to people once, when it is sent."""

    scope: Scope
    target: int = 0
    members: Members = Members.EVERYONE
    condition: Condition = Condition.NONE

    @classmethod
    def school(cls) -> Audience:
        """Everyone of the school: active staff, enrolled pupils, their parents and carers."""
        return cls(Scope.SCHOOL)

    @classmethod
    def all_parents(cls) -> Audience:
        """The parents (and carers) of every pupil enrolled in the school."""
        return cls(Scope.SCHOOL, members=Members.PARENTS)

    @classmethod
    def all_staff(cls) -> Audience:
        """Every active staff member of the school."""
        return cls(Scope.SCHOOL, members=Members.STAFF)

    @classmethod
    def grade(cls, grade: int, members: Members = Members.EVERYONE) -> Audience:
        """The pupils of every class of a grade, their parents, or both."""
        return cls(Scope.GRADE, grade, members)

    @classmethod
    def klass(cls, class_id: int, members: Members = Members.EVERYONE) -> Audience:
        """The pupils of a class, their parents, or both."""
        return cls(Scope.CLASS, class_id, members)

    @classmethod
    def group(cls, group_id: int, members: Members = Members.EVERYONE) -> Audience:
        """The pupils of a teaching group's list, their parents, or both."""
        return cls(Scope.GROUP, group_id, members)

    @classmethod
    def parents_where(
        cls, condition: Condition, scope: Scope = Scope.SCHOOL, target: int = 0
    ) -> Audience:
        """The parents of the scope's pupils who meet a condition (absent today, …)."""
        return cls(scope, target, Members.PARENTS, condition)

    def to_json(self) -> dict[str, Any]:
        """The spec as stored with the broadcast and in its audit entry."""
        return {
            "scope": self.scope.value,
            "target": self.target,
            "members": self.members.value,
            "condition": self.condition.value,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        """A stored spec, checked.

        Raises:
            InvalidInput: ``broadcast.audience_invalid``.
        """
        try:
            audience = cls(
                Scope(str(data["scope"])),
                int(data.get("target", 0)),
                Members(str(data.get("members", Members.EVERYONE.value))),
                Condition(str(data.get("condition", Condition.NONE.value))),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("broadcast.audience_invalid") from exc
        return check_audience(audience)


def check_audience(audience: Audience) -> Audience:
    """An audience whose parts fit together (crafted input is refused here, before any read).

    Raises:
        InvalidInput: ``broadcast.audience_invalid``.
    """
    scope, target = audience.scope, audience.target
    if not isinstance(target, int) or isinstance(target, bool):
        raise InvalidInput("broadcast.audience_invalid")
    fits = {
        Scope.SCHOOL: target == 0,
        Scope.GRADE: 1 <= target <= MAX_GRADE,
        Scope.CLASS: possible_id(target),
        Scope.GROUP: possible_id(target),
    }[scope]
    if audience.members is Members.STAFF and (
        scope is not Scope.SCHOOL or audience.condition is not Condition.NONE
    ):
        fits = False
    if audience.condition is not Condition.NONE and audience.members is not Members.PARENTS:
        fits = False
    if not fits:
        raise InvalidInput("broadcast.audience_invalid")
    return audience


def may_broadcast(viewer: Viewer, school_id: int) -> bool:
    """Whether the viewer is staff of the school (or manages it): pupils and parents never."""
    if not viewer.active:
        return False
    return manages_school(viewer, school_id) or bool(viewer.roles_in(school_id))


def may_send(
    viewer: Viewer, school_id: int, audience: Audience, group: GroupFacts | None = None
) -> bool:
    """Whether the viewer may send this audience a broadcast from this school.

    Managers: anything in their school. A class teacher: their class (any members, any
    condition). A teacher: the groups they teach (``group`` are the facts of
    ``audience.target``). The school, a grade, all parents and all staff: managers only.
    """
    if not may_broadcast(viewer, school_id):
        return False
    if manages_school(viewer, school_id):
        return True
    if audience.scope is Scope.CLASS:
        return manages_class(viewer, school_id, audience.target)
    if audience.scope is Scope.GROUP:
        return (
            group is not None
            and group.group_id == audience.target
            and group.school_id == school_id
            and may_write_group(viewer, group)
        )
    return False


def may_send_urgent(viewer: Viewer, school_id: int) -> bool:
    """Only the school's managers may send past the recipients' quiet hours."""
    return manages_school(viewer, school_id)


def broadcast_text(text: str) -> str:
    """The text as it will be sent: control characters out, ends trimmed, within the limit.

    Raises:
        InvalidInput: ``broadcast.text_empty``, ``broadcast.text_too_long`` (``length``, ``max``).
    """
    clean = _CONTROL_BUT_NEWLINES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    clean = clean.strip()
    if not clean:
        raise InvalidInput("broadcast.text_empty")
    if len(clean) > MAX_TEXT:
        raise InvalidInput("broadcast.text_too_long", length=len(clean), max=MAX_TEXT)
    return clean


def week_start(today: date) -> date:
    """The Monday of the week ``today`` is in ("this week" runs Monday to today)."""
    return today - timedelta(days=today.weekday())


def job_label(broadcast_id: int) -> str:
    """The outbox ``job`` of a broadcast's deliveries: ``broadcast:<id>``."""
    return f"broadcast:{int(broadcast_id)}"


@dataclass(frozen=True, slots=True)
class BroadcastSent(Event):
    """A staff broadcast was stored with its resolved recipients; fan-out writes one delivery each.

    The recipients' person ids are stored with the broadcast (``broadcasts.recipient_ids``, the
    same transaction), so the notifications engine never resolves the audience again.
    """

    kind: ClassVar[str] = "broadcast.sent"
    broadcast_id: int
    school_id: int
    recipients: int
    urgent: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """A class or teaching group offered as a broadcast's target."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    """A stored broadcast (``created_at`` in UTC)."""

    id: int
    school_id: int
    author_id: int | None
    audience: Audience
    text: str
    file_id: int | None
    ask_ack: bool
    urgent: bool
    recipients: int
    connected: int
    recipient_ids: frozenset[int]
    created_at: datetime
