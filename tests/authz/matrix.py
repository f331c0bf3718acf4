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
from core.services.attendance import pupil_attendance
from core.services.broadcasts import send_broadcast
from core.services.diary import pupil_diary, pupil_homework
from core.services.extracts import progress_extract
from core.services.marks import (
    create_assessment,
    group_assessments,
    pupil_marks,
    record_mark_lines,
    record_marks,
)
from core.services.news import news_feed, post_news
from core.services.period_marks import confirm_period_marks
from core.services.teacher_day import lesson_card, save_attendance, set_topic
from core.services.teacher_reports import group_journal
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

TARGETS = {
    "pupil": ("own", "other_child", "other_class", "other_school"),
    "group": ("own", "other_group", "other_school"),
    "lesson": ("own", "other_group", "other_school"),
    "class": ("own", "other_class", "other_school"),
    "school": ("own", "other_school"),
}


@dataclass
class Matrix:
    """The world the cases run in: people per role and their targets."""

    core: Core
    world: World
    people: dict[str, int]
    viewers: dict[str, Viewer]
    english_group: int
    assessments: dict[int, tuple[int, int]]  # group → (assessment, a pupil of the group)
    pending_notes: dict[int, int] = field(default_factory=dict)  # class → a pending note
    note_days: dict[int, list[date]] = field(default_factory=dict)  # pupil → unused days

    def target(self, role: str, kind: str, name: str) -> Any:
        """The id (or lesson key) one target stands for, seen from a role."""
        a, b = self.world.a, self.world.b
        own_group = self.english_group if role == "subject_teacher" else a.math_group
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
        }
        return table[kind][name]

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
    Action("news_feed", "school", SCHOOL_MEMBERS,
           lambda m, v, s: news_feed(m.core.uow(), v, school_id=s)),
    Action("send_broadcast", "school", SCHOOL_MANAGE,  # the whole school: managers only
           lambda m, v, s: send_broadcast(
               m.core.uow(), v, school_id=s, audience=Audience.school(), text="Sapulce"),
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
    return Matrix(core, world, people, viewers, english.group, assessments)


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
