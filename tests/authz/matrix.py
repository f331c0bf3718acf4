"""The authorization matrix: every service use case × every role × own and foreign targets.

The expected outcome of each (role, action, target) case comes from the small tables below,
written from the rules as the school states them (docs/security.md), not from
``core.domain.access``: a change to the policy that the tables do not foresee is a violation.
Each case runs the real service on the real database; an allowed case must succeed, a refused
one must raise ``NotFound`` or ``NotAllowed`` (``NotFound`` alone across schools, so that ids
cannot be probed) and leave every table exactly as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.broadcasts import Audience
from core.errors import DomainError, NotAllowed, NotFound
from core.services.absence_notes import (
    class_attendance_summary,
    class_queue,
    decide_note,
    note_form,
    pupil_notes,
    submit_note,
)
from core.services.access_requests import AccessExport, decide_request, request_access
from core.services.attendance import pupil_attendance
from core.services.audit import access_history, audit_log
from core.services.broadcasts import send_broadcast
from core.services.calendar_feed import create_feed, revoke_feed
from core.services.diary import pupil_diary, pupil_homework
from core.services.disclosure import list_disclosures
from core.services.extracts import progress_extract
from core.services.group_lists import (
    decide_group_list,
    pending_group_lists,
    submit_group_list,
)
from core.services.history import pupil_changes
from core.services.mail import (
    inbox,
    reply_mail,
    report_message,
    send_mail,
    suspend_messaging,
    thread,
)
from core.services.marks import (
    create_assessment,
    group_assessments,
    pupil_marks,
    record_mark_lines,
    record_marks,
)
from core.services.news import delete_news, news_feed, post_news
from core.services.period_marks import confirm_period_marks
from core.services.preferences import set_notification_mode
from core.services.report_cards import class_report_cards, report_card
from core.services.teacher_day import lesson_card, save_attendance, set_topic
from core.services.teacher_reports import class_attendance, group_journal
from core.services.timetable import week_timetable
from core.services.timetable_changes import add_change, day_plan, publish_changes
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import (
    World,
    add_caregiver,
    add_deactivated,
    add_subject_teacher,
    add_substitution,
    build_timetable,
    build_world,
    new_person,
    viewer,
)

ROLES = (
    "parent",  # parent_5a_second: guardian of pupil_5a_second only
    "caregiver",  # a read-only carer of pupil_5a_second
    "pupil",  # pupil_5a_second
    "subject_teacher",  # teaches English to pupil_5a_second (a part group), nobody's class teacher
    "class_teacher",  # math_teacher: class teacher of 5.a, teaches 5.a mathematics
    "substitute",  # other_teacher: substitutes 5.a mathematics on Monday, period 1
    "superuser",  # the deputy director of school a
    "director",  # the director of school a
    "unlinked",  # a person with no role anywhere
    "deactivated",  # a leaver who taught 5.a mathematics and is pupil_5a_second's mother
)
MONDAY = date(2026, 11, 30)  # the substituted lesson: 5.a mathematics, period 1
THURSDAY = date(2026, 11, 26)  # recorded lessons of every group

# ---------------------------------------------------------------- the expectation tables
# role → the targets where the action is allowed; a role left out is refused everywhere.

OWN = frozenset({"own"})
MANAGED_PUPILS = frozenset({"own", "other_child", "other_class"})
PUPIL_READ: Mapping[str, frozenset[str]] = {
    "parent": OWN,
    "caregiver": OWN,
    "pupil": OWN,
    "subject_teacher": OWN,  # only what happened in their own groups
    "class_teacher": frozenset({"own", "other_child"}),  # the whole class
    "superuser": MANAGED_PUPILS,
    "director": MANAGED_PUPILS,
}
# The whole record (a progress extract, absence notes): not a subject teacher's slice of it.
WHOLE_RECORD: Mapping[str, frozenset[str]] = {
    role: targets for role, targets in PUPIL_READ.items() if role != "subject_teacher"
}
FAMILY_WRITE: Mapping[str, frozenset[str]] = {"parent": OWN}  # carers only read
# Who read the record: the pupil and their full-rights parents, not carers or staff.
OWN_RECORD: Mapping[str, frozenset[str]] = {"parent": OWN, "pupil": OWN}
# Any person of the school, for its managers (stopping their mail).
MANAGED_BY_SCHOOL: Mapping[str, frozenset[str]] = {
    "superuser": MANAGED_PUPILS,
    "director": MANAGED_PUPILS,
}
# A pupil's report card: the class teacher (their class) and the school's managers.
CLASS_PUPILS: Mapping[str, frozenset[str]] = {
    "class_teacher": frozenset({"own", "other_child"}),
    "superuser": MANAGED_PUPILS,
    "director": MANAGED_PUPILS,
}
GROUP_WRITE: Mapping[str, frozenset[str]] = {"subject_teacher": OWN, "class_teacher": OWN}
LESSON_WRITE: Mapping[str, frozenset[str]] = {**GROUP_WRITE, "substitute": OWN}
GROUP_READ: Mapping[str, frozenset[str]] = {
    **GROUP_WRITE,
    "superuser": frozenset({"own", "other_group"}),
    "director": frozenset({"own", "other_group"}),
}
CLASS_MANAGE: Mapping[str, frozenset[str]] = {
    "class_teacher": OWN,
    "superuser": frozenset({"own", "other_class"}),
    "director": frozenset({"own", "other_class"}),
}
SCHOOL_MANAGE: Mapping[str, frozenset[str]] = {"superuser": OWN, "director": OWN}
SCHOOL_MEMBERS: Mapping[str, frozenset[str]] = {
    role: OWN for role in ROLES if role not in {"unlinked", "deactivated"}
}
# One's own Telegram account's settings: everyone still active, nobody else's.
OWN_ACCOUNT: Mapping[str, frozenset[str]] = {role: OWN for role in ROLES if role != "deactivated"}
# Journal mail (docs/mail.md). "own" is a natural contact: the child's class teacher for the
# family, a parent of one's pupil for teachers and managers, a colleague for the substitute;
# "other_person" is a pupil of 2.a (for the family: the class teacher of 2.a, who does not teach
# them); read-only carers never write; the school's managers write to anyone of it.
SEND_MAIL: Mapping[str, frozenset[str]] = {
    "parent": OWN,
    "pupil": OWN,
    "subject_teacher": OWN,
    "class_teacher": OWN,
    "substitute": OWN,
    "superuser": frozenset({"own", "other_person"}),
    "director": frozenset({"own", "other_person"}),
}
# A fresh message per case. "own": one the role received (carers, the unlinked and the leaver
# receive none: theirs is a stranger's thread); "about_child": the class teacher to the parent
# about pupil_5a_second, hidden from that pupil; nobody else reads a thread, managers included.
MAIL_RECEIVERS = ("parent", "pupil", "subject_teacher", "class_teacher", "substitute",
                  "superuser", "director")  # fmt: skip
MAIL_READ: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(MAIL_RECEIVERS, OWN),
    "parent": frozenset({"own", "about_child"}),
    "class_teacher": frozenset({"own", "about_child"}),  # its sender
}
# Only a recipient reports a message, never its sender.
MAIL_REPORT: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(MAIL_RECEIVERS, OWN),
    "parent": frozenset({"own", "about_child"}),
}
# Everyone's inbox is their own (the leaver's is empty): the service takes no target.
EVERYONE: Mapping[str, frozenset[str]] = dict.fromkeys(ROLES, OWN)
# A calendar link: only the one who made it ends it (only a parent and a pupil make them).
OWN_FEED: Mapping[str, frozenset[str]] = {"parent": OWN, "pupil": OWN}

TARGETS = {
    "pupil": ("own", "other_child", "other_class", "other_school"),
    "group": ("own", "other_group", "other_school"),
    "lesson": ("own", "other_group", "other_school"),
    "class": ("own", "other_class", "other_school"),
    "school": ("own", "other_school"),
    "account": ("own", "other_person", "other_school"),
    "recipient": ("own", "other_person", "other_school"),
    "message": ("own", "about_child", "other_person", "other_school"),
    "self": ("own",),
    "feed": ("own", "other_person", "other_school"),
}
FAMILY = ("parent", "caregiver", "pupil", "unlinked", "deactivated")


@dataclass
class Matrix:
    """The world the cases run in: people per role and their targets."""

    core: Core
    world: World
    people: dict[str, int]
    viewers: dict[str, Viewer]
    english_group: int
    assessments: dict[int, tuple[int, int]]  # group → (assessment, a pupil of the group)
    accounts: dict[str, int]  # role → its Telegram account; also "other_person", "other_school"
    pending_notes: dict[int, int] = field(default_factory=dict)  # class → a pending note
    note_days: dict[int, list[date]] = field(default_factory=dict)  # pupil → unused days
    news_posts: dict[int, int] = field(default_factory=dict)  # school → a post to delete
    access_requests: dict[int, int] = field(default_factory=dict)  # school → a pending request
    # school → (a part group, its teacher, two pupils of its class), and a list waiting for it
    list_groups: dict[int, tuple[int, int, list[int]]] = field(default_factory=dict)
    group_lists: dict[int, int] = field(default_factory=dict)
    fresh: dict[Any, int] = field(default_factory=dict)  # a target → its fresh message or feed

    def target(self, role: str, kind: str, name: str) -> Any:
        """The id (or lesson key) one target stands for, seen from a role."""
        a, b = self.world.a, self.world.b
        own_group = self.english_group if role == "subject_teacher" else a.math_group
        child = a.pupil_5a_second if role in {"parent", "caregiver", "unlinked"} else None
        own_lesson = {
            "subject_teacher": (self.english_group, THURSDAY, 3),
            "substitute": (a.math_group, MONDAY, 1),
        }.get(role, (a.math_group, THURSDAY, 2))
        table: dict[str, dict[str, Any]] = {
            "pupil": {
                "own": a.pupil_5a_second,
                "other_child": a.pupil_5a,
                "other_class": a.pupil_2a,
                "other_school": b.pupil_5a_second,
            },
            "group": {
                "own": own_group,
                "other_group": a.latvian_group,
                "other_school": b.math_group,
            },
            "lesson": {
                "own": own_lesson,
                "other_group": (a.latvian_group, THURSDAY, 3),
                "other_school": (b.math_group, THURSDAY, 2),
            },
            "class": {"own": a.class_5a, "other_class": a.class_2a, "other_school": b.class_5a},
            "school": {"own": a.school_id, "other_school": b.school_id},
            "account": {
                "own": self.accounts[role],
                "other_person": self.accounts["other_person"],
                "other_school": self.accounts["other_school"],
            },
            "recipient": {  # (to whom, about which child: a guardian writes about one)
                "own": (
                    a.math_teacher
                    if role in FAMILY
                    else a.latvian_teacher
                    if role == "substitute"
                    else a.parent_5a_second,
                    child,
                ),
                "other_person": (a.latvian_teacher if role in FAMILY else a.pupil_2a, child),
                "other_school": (b.math_teacher, child),
            },
            "message": {  # (sender, recipient, the pupil it is about)
                "own": self._own_message(role),
                "about_child": (a.math_teacher, a.parent_5a_second, a.pupil_5a_second),
                "other_person": (a.latvian_teacher, a.parent_5a, a.pupil_2a),
                "other_school": (b.math_teacher, b.parent_5a_second, b.pupil_5a_second),
            },
            "self": {"own": None},
            "feed": {  # (whose link, of which pupil)
                "own": (self.people[role], a.pupil_5a_second)
                if role in OWN_FEED
                else (a.parent_5a, a.pupil_5a),
                "other_person": (a.parent_5a, a.pupil_5a),
                "other_school": (b.parent_5a_second, b.pupil_5a_second),
            },
        }
        return table[kind][name]

    def _own_message(self, role: str) -> tuple[int, int, int | None]:
        a = self.world.a
        if role not in MAIL_RECEIVERS:
            return (a.latvian_teacher, a.parent_5a, a.pupil_2a)
        sender = a.latvian_teacher if role == "class_teacher" else a.math_teacher
        about = a.pupil_5a_second if role == "parent" else None
        return (sender, self.people[role], about)

    def year_of_pupil(self, pupil_id: int) -> int:
        """The school year of the school a pupil learns in."""
        b = self.world.b
        return b.year_id if pupil_id == b.pupil_5a_second else self.world.a.year_id

    def school_of_class(self, class_id: int) -> int:
        """The school a class belongs to."""
        b = self.world.b
        return b.school_id if class_id in {b.class_5a, b.class_2a} else self.world.a.school_id

    async def note_for(self, class_id: int) -> int:
        """A pending absence note of a pupil of the class, submitted by their parent."""
        if class_id in self.pending_notes:
            return self.pending_notes[class_id]
        by_class = {
            s.class_5a: (s.pupil_5a_second, s.parent_5a_second)
            for s in (self.world.a, self.world.b)
        } | {self.world.a.class_2a: (self.world.a.pupil_2a, self.world.a.parent_5a)}
        pupil, parent = by_class[class_id]
        day = self.next_note_day(pupil)
        submitted = await submit_note(
            self.core.uow(),
            await viewer(self.core, parent),
            pupil_id=pupil,
            starts_on=day,
            ends_on=day,
            reason="family",
        )
        self.day_used(pupil)
        self.pending_notes[class_id] = submitted.note.id
        return submitted.note.id

    def next_note_day(self, pupil: int) -> date:
        """A school day no note of the pupil covers yet."""
        days = self.note_days.setdefault(
            pupil,
            [
                THURSDAY - timedelta(days=n)
                for n in range(13)
                if (THURSDAY - timedelta(days=n)).weekday() < 5
            ],
        )
        return days[0]

    def day_used(self, pupil: int) -> None:
        """A note now covers the pupil's first unused day."""
        self.note_days[pupil].pop(0)


Call = Callable[[Matrix, Viewer, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Action:
    """One service use case: what it targets, who may, and how to call it."""

    name: str
    kind: str
    allowed: Mapping[str, frozenset[str]]
    call: Call
    write: bool = False
    consumes_note: bool = False  # an allowed call decides the class's pending note
    prepare: Callable[[Matrix, Any], Awaitable[Any]] | None = None  # before the snapshot
    # role → other error keys that count as its refusal of a disallowed case (never of an
    # allowed one); each is explained where the action is listed.
    also_refused: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _lesson(target: tuple[int, date, int]) -> dict[str, Any]:
    group_id, on, period = target
    return {"group_id": group_id, "on": on, "period": period}


async def _record_marks(m: Matrix, v: Viewer, group_id: int) -> Any:
    assessment, pupil = m.assessments[group_id]
    return await record_marks(m.core.uow(), v, assessment_id=assessment, entries={pupil: "7"})


async def _record_mark_lines(m: Matrix, v: Viewer, group_id: int) -> Any:
    assessment, _ = m.assessments[group_id]
    return await record_mark_lines(m.core.uow(), v, assessment_id=assessment, text="1 8")


async def _confirm_period_marks(m: Matrix, v: Viewer, group_id: int) -> Any:
    _, pupil = m.assessments[group_id]
    return await confirm_period_marks(
        m.core.uow(), v, group_id=group_id, term=None, marks={pupil: "8"}
    )


async def _submit_note(m: Matrix, v: Viewer, pupil_id: int) -> Any:
    day = m.next_note_day(pupil_id)
    submitted = await submit_note(
        m.core.uow(), v, pupil_id=pupil_id, starts_on=day, ends_on=day, reason="illness"
    )
    m.day_used(pupil_id)
    return submitted


async def _decide_note(m: Matrix, v: Viewer, class_id: int) -> Any:
    note = await m.note_for(class_id)
    return await decide_note(m.core.uow(), v, note_id=note, approve=True)


async def _add_change(m: Matrix, v: Viewer, school_id: int) -> Any:
    plan = await day_plan(m.core.uow(), Viewer.console(), school_id=school_id, on=MONDAY)
    [lesson] = [x for x in plan.lessons if x.period == 2]  # 5.a mathematics
    return await add_change(
        m.core.uow(), v, school_id=school_id, on=MONDAY, kind="room", slot_id=lesson.slot_id,
        room="207",
    )  # fmt: skip


async def _draft_change(m: Matrix, school_id: int) -> Any:
    return await _add_change(m, Viewer.console(), school_id)  # a draft to publish


async def _publish_changes(m: Matrix, v: Viewer, school_id: int) -> Any:
    return await publish_changes(m.core.uow(), v, school_id=school_id, on=MONDAY)


async def _news_post(m: Matrix, school_id: int) -> None:
    """A post in the school's news, published by the console operator (not by any role)."""
    posted = await post_news(
        m.core.uow(), Viewer.console(), school_id=school_id, title=None, body="Slēgts",
        attachment=None, notify=False,
    )  # fmt: skip
    m.news_posts[school_id] = posted.id


async def _delete_news(m: Matrix, v: Viewer, school_id: int) -> Any:
    return await delete_news(m.core.uow(), v, m.news_posts[school_id])


def _pdf(export: AccessExport) -> bytes:
    return b"%PDF-1.4 " + export.subject_name.encode()


async def _access_request(m: Matrix, school_id: int) -> None:
    """A pending request for a pupil's data, by a parent who plays no role in the matrix."""
    if school_id in m.access_requests:
        return  # still pending: nobody decided it
    a, b = m.world.a, m.world.b
    parent, pupil = (
        (b.parent_5a_second, b.pupil_5a_second) if school_id == b.school_id
        else (a.parent_5a, a.pupil_5a)
    )  # fmt: skip
    asked = await request_access(m.core.uow(), await viewer(m.core, parent), pupil_id=pupil,
                                 render=_pdf)  # fmt: skip
    m.access_requests[school_id] = asked.request.id


async def _decide_request(m: Matrix, v: Viewer, school_id: int) -> Any:
    decided = await decide_request(
        m.core.uow(), v, request_id=m.access_requests[school_id], approve=False,
        render=_pdf, reason="Nepilnīgs",
    )  # fmt: skip
    del m.access_requests[school_id]  # decided: the next case needs a new one
    return decided


async def _group_list(m: Matrix, school_id: int) -> None:
    """A list waiting for the managers, submitted by the teacher of a part group."""
    if school_id in m.group_lists:
        return  # still waiting: nobody decided it
    group, teacher, pupils = m.list_groups[school_id]
    submitted = await submit_group_list(
        m.core.uow(), await viewer(m.core, teacher), group_id=group, pupil_ids=pupils
    )
    m.group_lists[school_id] = submitted.id


async def _decide_group_list(m: Matrix, v: Viewer, school_id: int) -> Any:
    decided = await decide_group_list(
        m.core.uow(), v, submission_id=m.group_lists[school_id], approve=False, reason="Par agru"
    )
    del m.group_lists[school_id]  # decided: the next case needs a new one
    return decided


async def _message(m: Matrix, target: tuple[int, int, int | None]) -> None:
    """A fresh message from an allowed sender, before each case."""
    sender, to, about = target
    sent = await send_mail(
        m.core.uow(), await viewer(m.core, sender), to_person_id=to, subject="Tikšanās",
        body="Vai varam tikties?", about_pupil_id=about,
    )  # fmt: skip
    m.fresh[target] = sent.message_id
    m.fresh[("thread", *target)] = sent.thread_id


async def _feed(m: Matrix, target: tuple[int, int]) -> None:
    """A live calendar link of a person for their child (or themselves)."""
    if target in m.fresh:
        return  # still live: nobody revoked it
    owner, pupil = target
    made = await create_feed(m.core.uow(), await viewer(m.core, owner), pupil_id=pupil)
    m.fresh[target] = made.feed_id


async def _revoke_feed(m: Matrix, v: Viewer, target: tuple[int, int]) -> Any:
    revoked = await revoke_feed(m.core.uow(), v, feed_id=m.fresh[target])
    del m.fresh[target]  # revoked: the next case needs a new one
    return revoked


ACTIONS: tuple[Action, ...] = (
    # ---- reads of one pupil's record
    Action("pupil_marks", "pupil", PUPIL_READ,
           lambda m, v, p: pupil_marks(m.core.uow(), v, pupil_id=p)),
    Action("pupil_attendance", "pupil", PUPIL_READ,
           lambda m, v, p: pupil_attendance(m.core.uow(), v, pupil_id=p)),
    Action("pupil_diary", "pupil", PUPIL_READ,
           lambda m, v, p: pupil_diary(m.core.uow(), v, pupil_id=p)),
    Action("pupil_homework", "pupil", PUPIL_READ,
           lambda m, v, p: pupil_homework(m.core.uow(), v, pupil_id=p)),
    Action("week_timetable", "pupil", PUPIL_READ,
           lambda m, v, p: week_timetable(m.core.uow(), v, pupil_id=p)),
    Action("progress_extract", "pupil", WHOLE_RECORD,
           lambda m, v, p: progress_extract(
               m.core.uow(), v, pupil_id=p, start=date(2026, 11, 1), end=date(2026, 11, 30))),
    Action("pupil_notes", "pupil", WHOLE_RECORD,
           lambda m, v, p: pupil_notes(m.core.uow(), v, p)),
    Action("pupil_changes", "pupil", PUPIL_READ,
           lambda m, v, p: pupil_changes(m.core.uow(), v, pupil_id=p, preset="month")),
    Action("access_history", "pupil", OWN_RECORD,
           lambda m, v, p: access_history(m.core.uow(), v, pupil_id=p)),
    Action("create_feed", "pupil", OWN_RECORD,
           lambda m, v, p: create_feed(m.core.uow(), v, pupil_id=p), write=True),
    Action("request_access", "pupil", OWN_RECORD,
           lambda m, v, p: request_access(m.core.uow(), v, pupil_id=p, render=_pdf),
           write=True),
    Action("report_card", "pupil", CLASS_PUPILS,
           lambda m, v, p: report_card(
               m.core.uow(), v, pupil_id=p, school_year_id=m.year_of_pupil(p))),
    # ---- a guardian acting for their child
    Action("note_form", "pupil", FAMILY_WRITE,
           lambda m, v, p: note_form(m.core.uow(), v, pupil_id=p)),
    Action("submit_note", "pupil", FAMILY_WRITE, _submit_note, write=True),
    # ---- a teaching group
    Action("group_journal", "group", GROUP_READ,
           lambda m, v, g: group_journal(m.core.uow(), v, group_id=g)),
    Action("group_assessments", "group", GROUP_WRITE,
           lambda m, v, g: group_assessments(m.core.uow(), v, group_id=g)),
    Action("create_assessment", "group", GROUP_WRITE,
           lambda m, v, g: create_assessment(
               m.core.uow(), v, group_id=g, on=THURSDAY, title="Ieskaite"),
           write=True),
    Action("record_marks", "group", GROUP_WRITE, _record_marks, write=True),
    Action("record_mark_lines", "group", GROUP_WRITE, _record_mark_lines, write=True),
    Action("confirm_period_marks", "group", GROUP_WRITE, _confirm_period_marks, write=True),
    Action("submit_group_list", "group", {"subject_teacher": OWN},
           lambda m, v, g: submit_group_list(
               m.core.uow(), v, group_id=g,
               pupil_ids=[m.world.a.pupil_5a_second, m.world.a.pupil_5a]),
           write=True,
           # the class teacher's own group is the whole class: it takes no list
           also_refused={"class_teacher": frozenset({"group_list.not_a_list_group"})}),
    # ---- one lesson
    Action("lesson_card", "lesson", LESSON_WRITE,
           lambda m, v, x: lesson_card(m.core.uow(), v, **_lesson(x))),
    Action("set_topic", "lesson", LESSON_WRITE,
           lambda m, v, x: set_topic(m.core.uow(), v, **_lesson(x), topic="Atkārtošana"),
           write=True),
    Action("save_attendance", "lesson", LESSON_WRITE,
           lambda m, v, x: save_attendance(m.core.uow(), v, **_lesson(x), absent={}),
           write=True),
    # ---- a class
    Action("class_queue", "class", CLASS_MANAGE,
           lambda m, v, c: class_queue(m.core.uow(), v, class_id=c)),
    Action("class_attendance_summary", "class", CLASS_MANAGE,
           lambda m, v, c: class_attendance_summary(m.core.uow(), v, class_id=c)),
    Action("class_report_cards", "class", CLASS_MANAGE,
           lambda m, v, c: class_report_cards(m.core.uow(), v, class_id=c)),
    Action("class_attendance", "class", CLASS_MANAGE,
           lambda m, v, c: class_attendance(m.core.uow(), v, class_id=c, year=2026, month=11)),
    Action("decide_note", "class", CLASS_MANAGE, _decide_note, write=True, consumes_note=True),
    Action("send_broadcast to a class", "class", CLASS_MANAGE,
           lambda m, v, c: send_broadcast(
               m.core.uow(), v, school_id=m.school_of_class(c), audience=Audience.klass(c),
               text="Sapulce"),
           write=True),
    # ---- a school
    Action("day_plan", "school", SCHOOL_MANAGE,
           lambda m, v, s: day_plan(m.core.uow(), v, school_id=s, on=MONDAY)),
    Action("add_change", "school", SCHOOL_MANAGE, _add_change, write=True),
    Action("publish_changes", "school", SCHOOL_MANAGE, _publish_changes, write=True,
           prepare=_draft_change),
    Action("post_news", "school", SCHOOL_MANAGE,
           lambda m, v, s: post_news(
               m.core.uow(), v, school_id=s, title=None, body="Ziņa", attachment=None,
               notify=False),
           write=True),
    Action("audit_log", "school", SCHOOL_MANAGE,
           lambda m, v, s: audit_log(m.core.uow(), v, school_id=s)),
    Action("pending_group_lists", "school", SCHOOL_MANAGE,
           lambda m, v, s: pending_group_lists(m.core.uow(), v, s)),
    Action("decide_request", "school", SCHOOL_MANAGE, _decide_request, write=True,
           prepare=_access_request),
    Action("decide_group_list", "school", SCHOOL_MANAGE, _decide_group_list, write=True,
           prepare=_group_list),
    Action("list_disclosures", "school", SCHOOL_MANAGE,
           lambda m, v, s: list_disclosures(m.core.uow(), v, school_id=s)),
    Action("delete_news", "school", SCHOOL_MANAGE, _delete_news, write=True,
           prepare=_news_post),
    Action("news_feed", "school", SCHOOL_MEMBERS,
           lambda m, v, s: news_feed(m.core.uow(), v, school_id=s)),
    Action("send_broadcast", "school", SCHOOL_MANAGE,  # the whole school: managers only
           lambda m, v, s: send_broadcast(
               m.core.uow(), v, school_id=s, audience=Audience.school(), text="Sapulce"),
           write=True),
    # ---- journal mail: a recipient chosen by id, and a message or thread by id
    Action("send_mail", "recipient", SEND_MAIL,
           lambda m, v, x: send_mail(
               m.core.uow(), v, to_person_id=x[0], about_pupil_id=x[1], subject="Jautājums",
               body="Labdien!"),
           write=True),
    Action("thread", "message", MAIL_READ,
           lambda m, v, x: thread(m.core.uow(), v, thread_id=m.fresh[("thread", *x)]),
           prepare=_message),
    Action("reply_mail", "message", MAIL_READ,
           lambda m, v, x: reply_mail(m.core.uow(), v, message_id=m.fresh[x], body="Jā"),
           write=True, prepare=_message),
    Action("report_message", "message", MAIL_REPORT,
           lambda m, v, x: report_message(
               m.core.uow(), v, message_id=m.fresh[x], reason="Aizskarošs"),
           write=True, prepare=_message),
    Action("inbox", "self", EVERYONE, lambda m, v, _: inbox(m.core.uow(), v)),
    # ---- a calendar link (its id comes from a button)
    Action("revoke_feed", "feed", OWN_FEED,
           _revoke_feed, write=True, prepare=_feed),
    # ---- a person (after the mail rows: an allowed case suspends a pupil's mail for good)
    Action("suspend_messaging", "pupil", MANAGED_BY_SCHOOL,
           lambda m, v, p: suspend_messaging(m.core.uow(), v, person_id=p, until=None),
           write=True),
    # ---- a Telegram account (its id comes from the chat, so it can be forged)
    Action("set_notification_mode", "account", OWN_ACCOUNT,
           lambda m, v, x: set_notification_mode(
               m.core.uow(), v, account_id=x, topic="news", mode="digest"),
           write=True),
)  # fmt: skip


@dataclass
class MatrixReport:
    """How many (role, action, target) cases ran, and what broke the expectation."""

    cases: int = 0
    violations: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"authorization matrix: {self.cases} cases, {len(self.violations)} violations"


REPORTS: list[MatrixReport] = []  # every run of this session, for the terminal summary


async def build_matrix(core: Core) -> Matrix:
    """The two schools with every role the matrix needs."""
    world = await build_world(core)
    a, b = world.a, world.b
    await build_timetable(core, world)
    from core.services.timetable_import import import_timetable
    from tests.builders import WEEK_TIMETABLE_CSV

    await import_timetable(
        core.uow(), Viewer.console(), school_id=b.school_id,
        data=WEEK_TIMETABLE_CSV.format(a="Beta").encode(), filename="week.csv", apply=True,
    )  # fmt: skip
    english = await add_subject_teacher(core, a, pupils=[a.pupil_5a_second])
    await add_substitution(
        core, a, on=MONDAY, group_id=a.math_group, period=1, teacher_id=a.other_teacher
    )
    people = {
        "parent": a.parent_5a_second,
        "caregiver": await add_caregiver(
            core, guardian_id=a.parent_5a_second, pupil_id=a.pupil_5a_second
        ),
        "pupil": a.pupil_5a_second,
        "subject_teacher": english.teacher,
        "class_teacher": a.math_teacher,
        "substitute": a.other_teacher,
        "superuser": a.superuser,
        "director": a.director,
        "unlinked": await new_person(core, "Nezināms", "Cilvēks"),
        "deactivated": await add_deactivated(core, a),
    }
    assessments: dict[int, tuple[int, int]] = {}
    for group, teacher, pupil in (
        (a.math_group, a.math_teacher, a.pupil_5a_second),
        (english.group, english.teacher, a.pupil_5a_second),
        (a.latvian_group, a.latvian_teacher, a.pupil_2a),
        (b.math_group, b.math_teacher, b.pupil_5a_second),
    ):
        made = await create_assessment(
            core.uow(), await viewer(core, teacher), group_id=group, on=THURSDAY, title="Darbs"
        )
        assessments[group] = (made.id, pupil)
    viewers = {role: await viewer(core, person) for role, person in people.items()}
    owners = {**people, "other_person": a.parent_5a, "other_school": b.parent_5a_second}
    accounts = {
        who: await _account(core, person, chat=7000 + n)
        for n, (who, person) in enumerate(owners.items())
    }
    english_b = await add_subject_teacher(core, b, pupils=[b.pupil_5a_second])
    matrix = Matrix(core, world, people, viewers, english.group, assessments, accounts)
    matrix.list_groups = {
        a.school_id: (english.group, english.teacher, [a.pupil_5a_second, a.pupil_5a]),
        b.school_id: (english_b.group, english_b.teacher, [b.pupil_5a_second, b.pupil_5a]),
    }
    return matrix


async def _account(core: Core, person_id: int, *, chat: int) -> int:
    """A linked Telegram account of a person."""
    async with create_session_factory(core.engine)() as session, session.begin():
        account = t.Account(
            person_id=person_id, telegram_user_id=chat, chat_id=chat, language="lv",
            status="active", preferences={}, linked_at=core.clock.now(),
        )  # fmt: skip
        session.add(account)
        await session.flush()
        return int(account.id)


async def table_counts(core: Core) -> tuple[int, ...]:
    """Rows in every table (journal, audit log, events, outbox), in one query."""
    tables = t.Base.metadata.sorted_tables
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{x.name}")' for x in tables)
    async with create_session_factory(core.engine)() as session:
        row = (await session.execute(text(query))).one()
    return tuple(int(n) for n in row)


async def lesson_texts(core: Core) -> list[tuple[Any, ...]]:
    """Every recorded lesson's topic and homework (an in-place write changes no row count)."""
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(
            select(t.Lesson.id, t.Lesson.topic, t.Lesson.homework).order_by(t.Lesson.id)
        )
        return [tuple(r) for r in rows]


async def run_matrix(
    core: Core,
    *,
    actions: tuple[Action, ...] = ACTIONS,
    roles: tuple[str, ...] = ROLES,
    stop_early: bool = False,
) -> MatrixReport:
    """Run every (role, action, target) case; the report lists each violation."""
    m = await build_matrix(core)
    report = MatrixReport()
    for action in actions:
        for role in roles:
            for name in TARGETS[action.kind]:
                report.cases += 1
                problem = await _case(m, action, role, name)
                if problem:
                    report.violations.append(f"{role} × {action.name} × {name}: {problem}")
                    if stop_early:
                        return report
    return report


async def _case(m: Matrix, action: Action, role: str, name: str) -> str | None:
    allowed = name in action.allowed.get(role, frozenset())
    target = m.target(role, action.kind, name)
    if action.consumes_note:
        await m.note_for(target)  # prepared before the snapshot
    if action.prepare is not None:
        await action.prepare(m, target)
    before = (await table_counts(m.core), await lesson_texts(m.core))
    try:
        await action.call(m, m.viewers[role], target)
    except (NotFound, NotAllowed) as refused:
        return await _refusal_problem(m, refused, allowed=allowed, name=name, before=before)
    except DomainError as error:
        if not allowed and error.key in action.also_refused.get(role, frozenset()):
            return await _refusal_problem(m, error, allowed=allowed, name=name, before=before)
        return f"failed with {type(error).__name__} {error.key} (allowed: {allowed})"
    if not allowed:
        return "allowed but should be refused"
    if action.consumes_note:
        m.pending_notes.pop(target, None)
    return None


async def _refusal_problem(
    m: Matrix, refused: DomainError, *, allowed: bool, name: str, before: tuple[Any, ...]
) -> str | None:
    """What is wrong with a refusal: none expected, it reveals a record, or it wrote."""
    if allowed:
        return f"refused ({type(refused).__name__} {refused.key}) but should be allowed"
    if name == "other_school" and not isinstance(refused, NotFound):
        return f"{type(refused).__name__} {refused.key} reveals another school's record"
    if (await table_counts(m.core), await lesson_texts(m.core)) != before:
        return "refused but the database changed"
    return None
