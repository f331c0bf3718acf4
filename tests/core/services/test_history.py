"""A pupil's change history from the audit log: who changed what, when; only for readers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.bootstrap import Core
from core.clock import FakeClock
from core.errors import InvalidInput, NotFound
from core.services import absence_notes as notes
from core.services.attendance import record_attendance
from core.services.history import ChangeKind, pupil_changes, since_day
from core.services.lessons import record_lesson
from core.services.marks import create_assessment, record_marks
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, insert, viewer

THURSDAY, FRIDAY, MONDAY = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)
TEACHER = "Māra Alfa-Matemātiķe"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def make_changes(core: Core, clock: FakeClock, world: World) -> None:
    """Thursday and Friday in 5.a: marks, a correction, absences, homework, a decided note."""
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    clock.set(at(26, 9))  # 11:00 in Riga
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=THURSDAY, title="Daļskaitļi"
    )
    await record_marks(
        core.uow(),
        teacher,
        assessment_id=test.id,
        entries={a.pupil_5a: "8", a.pupil_5a_second: "4"},
    )
    clock.set(at(26, 10))
    await record_attendance(
        core.uow(),
        teacher,
        lesson_id=a.lesson_math,
        absent={a.pupil_5a: "n", a.pupil_5a_second: "n"},
    )
    clock.set(at(26, 11))
    await record_lesson(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=THURSDAY,
        period=2,
        topic="Daļskaitļi",
        homework="Uzd. 5, 6",
        homework_due_on=MONDAY,
    )
    clock.set(at(26, 12))  # the topic only: not a homework change
    await record_lesson(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=THURSDAY,
        period=2,
        topic="Daļskaitļu saskaitīšana",
        homework="Uzd. 5, 6",
        homework_due_on=MONDAY,
    )
    clock.set(at(27, 7))  # Friday 09:00
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "9"})
    clock.set(at(27, 7, 30))
    await notes.justify_day(
        core.uow(), teacher, pupil_id=a.pupil_5a, on=THURSDAY, justified=True, reason="Zobārsts"
    )
    clock.set(at(27, 8))
    await record_lesson(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=THURSDAY,
        period=2,
        topic="Daļskaitļu saskaitīšana",
        homework="Uzd. 7",
        homework_due_on=MONDAY,
    )
    clock.set(at(27, 8, 30))
    parent = await viewer(core, a.parent_5a)
    submitted = await notes.submit_note(
        core.uow(),
        parent,
        pupil_id=a.pupil_5a,
        starts_on=MONDAY,
        ends_on=MONDAY,
        reason="other",
        reason_text="Ģimenes apstākļi",
    )
    clock.set(at(27, 9))
    await notes.decide_note(
        core.uow(), teacher, note_id=submitted.note.id, approve=False, reason="Vajag ārsta zīmi"
    )
    clock.set(at(27, 10))


async def test_a_parent_sees_who_changed_what_and_when_newest_first(
    core: Core, clock: FakeClock, world: World
) -> None:
    await make_changes(core, clock, world)
    parent = await viewer(core, world.a.parent_5a)
    history = await pupil_changes(
        core.uow(), parent, pupil_id=world.a.pupil_5a, since=THURSDAY, limit=50
    )
    assert history.pupil.full_name == "Jānis Alfa-Bērziņš"
    assert history.total == 7
    assert not history.more
    assert {(c.actor, c.actor_role) for c in history.changes} == {(TEACHER, "class_teacher")}
    seen = [
        (c.at.strftime("%d.%m. %H:%M"), c.kind, c.subject, c.on_date, c.before, c.after)
        for c in history.changes
    ]
    math = "Matemātika"
    assert seen == [
        ("27.11. 11:00", ChangeKind.NOTE_DECIDED, None, MONDAY, None, "rejected"),
        ("27.11. 10:00", ChangeKind.HOMEWORK_CHANGED, math, THURSDAY, "Uzd. 5, 6", "Uzd. 7"),
        ("27.11. 09:30", ChangeKind.ABSENCE_JUSTIFIED, math, THURSDAY, "pending", "justified"),
        ("27.11. 09:00", ChangeKind.MARK_CORRECTED, math, THURSDAY, "8", "9"),
        ("26.11. 13:00", ChangeKind.HOMEWORK_SET, math, THURSDAY, None, "Uzd. 5, 6"),
        ("26.11. 12:00", ChangeKind.ABSENCE_MARKED, math, THURSDAY, None, "n"),
        ("26.11. 11:00", ChangeKind.MARK_RECORDED, math, THURSDAY, None, "8"),
    ]
    mark = history.changes[-1]
    assert (mark.title, mark.scale) == ("Daļskaitļi", "ten_point")
    assert history.changes[5].period == 2
    note = history.changes[0]
    assert (note.on_date, note.until) == (MONDAY, MONDAY)
    # Nothing of the other pupil (a 4, their absence) and no stored field beyond the values.
    shown = repr(history.changes)
    for hidden in ("'4'", "Zobārsts", "Vajag ārsta zīmi", "Ģimenes", "absences"):
        assert hidden not in shown
    assert {code.code for code in history.codes} >= {"n"}


async def test_since_pages_and_presets(core: Core, clock: FakeClock, world: World) -> None:
    await make_changes(core, clock, world)
    parent = await viewer(core, world.a.parent_5a)
    today = await pupil_changes(core.uow(), parent, pupil_id=world.a.pupil_5a, since=FRIDAY)
    assert [c.kind for c in today.changes] == [
        ChangeKind.NOTE_DECIDED,
        ChangeKind.HOMEWORK_CHANGED,
        ChangeKind.ABSENCE_JUSTIFIED,
        ChangeKind.MARK_CORRECTED,
    ]
    first = await pupil_changes(
        core.uow(), parent, pupil_id=world.a.pupil_5a, since=THURSDAY, limit=3
    )
    second = await pupil_changes(
        core.uow(), parent, pupil_id=world.a.pupil_5a, since=THURSDAY, offset=3, limit=3
    )
    last = await pupil_changes(
        core.uow(), parent, pupil_id=world.a.pupil_5a, since=THURSDAY, offset=6, limit=3
    )
    assert (len(first.changes), first.more, len(second.changes), second.more) == (3, True, 3, True)
    assert (len(last.changes), last.more) == (1, False)
    assert first.changes[-1].at > second.changes[0].at

    yesterday = await pupil_changes(
        core.uow(), parent, pupil_id=world.a.pupil_5a, preset="yesterday"
    )
    assert (yesterday.since, yesterday.total) == (THURSDAY, 7)
    for wrong in ({}, {"since": THURSDAY, "preset": "week"}, {"preset": "forever"}):
        with pytest.raises(InvalidInput) as refused:
            await pupil_changes(core.uow(), parent, pupil_id=world.a.pupil_5a, **wrong)
        assert refused.value.key == "history.since_invalid"
    assert since_day(FRIDAY, "yesterday") == THURSDAY
    assert since_day(FRIDAY, "week") == date(2026, 11, 20)
    assert since_day(FRIDAY, "month") == date(2026, 10, 28)
    with pytest.raises(InvalidInput):
        since_day(FRIDAY, "forever")
    for since, key in (
        (MONDAY, "history.since_future"),
        (date(2025, 1, 1), "history.since_too_early"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await pupil_changes(core.uow(), parent, pupil_id=world.a.pupil_5a, since=since)
        assert refused.value.key == key
    with pytest.raises(InvalidInput):
        await pupil_changes(
            core.uow(), parent, pupil_id=world.a.pupil_5a, since=THURSDAY, offset=-1
        )


async def test_only_people_who_may_read_the_pupil(
    core: Core, clock: FakeClock, world: World
) -> None:
    await make_changes(core, clock, world)
    a, b = world.a, world.b
    for person in (
        a.parent_5a_second,
        a.other_teacher,
        a.latvian_teacher,
        b.superuser,
        b.parent_5a,
    ):
        with pytest.raises(NotFound):
            await pupil_changes(
                core.uow(), await viewer(core, person), pupil_id=a.pupil_5a, since=THURSDAY
            )
    own = await pupil_changes(
        core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a, since=THURSDAY
    )
    assert own.total == 7
    second = await pupil_changes(
        core.uow(),
        await viewer(core, a.parent_5a_second),
        pupil_id=a.pupil_5a_second,
        since=THURSDAY,
    )
    assert [(c.kind, c.after) for c in second.changes] == [
        (ChangeKind.HOMEWORK_CHANGED, "Uzd. 7"),
        (ChangeKind.HOMEWORK_SET, "Uzd. 5, 6"),
        (ChangeKind.ABSENCE_MARKED, "n"),
        (ChangeKind.MARK_RECORDED, "4"),
    ]

    # The superuser reads everything, and the read is audited; families' reads are not.
    boss = await pupil_changes(
        core.uow(), await viewer(core, a.superuser), pupil_id=a.pupil_5a, since=THURSDAY
    )
    assert boss.total == 7
    async with create_session_factory(core.engine)() as session:
        reads = list(
            await session.scalars(
                select(t.AuditEntry.actor_id).where(t.AuditEntry.action == "read.history")
            )
        )
    assert reads == [a.superuser]


async def test_a_subject_teacher_sees_only_their_own_groups(
    core: Core, clock: FakeClock, world: World
) -> None:
    a = world.a
    # The Latvian teacher also teaches 5.a's Jānis in a club group; other_teacher joins math.
    await insert(
        core,
        t.GroupMember(group_id=a.latvian_group, pupil_id=a.pupil_5a, starts_on=date(2026, 9, 1)),
        t.GroupTeacher(group_id=a.math_group, teacher_id=a.other_teacher),
    )
    await make_changes(core, clock, world)
    latvian = await viewer(core, a.latvian_teacher)
    clock.set(at(27, 10, 30))
    await record_lesson(
        core.uow(),
        latvian,
        group_id=a.latvian_group,
        on=FRIDAY,
        period=3,
        topic="Lietvārdi",
        homework="Iemācīties dzejoli",
        homework_due_on=MONDAY,
    )
    parent = await viewer(core, a.parent_5a)
    everything = await pupil_changes(core.uow(), parent, pupil_id=a.pupil_5a, since=THURSDAY)
    assert everything.total == 8
    newest = everything.changes[0]
    assert (newest.kind, newest.actor, newest.subject, newest.after) == (
        ChangeKind.HOMEWORK_SET,
        "Ilze Alfa-Valodniece",
        "Latviešu valoda",
        "Iemācīties dzejoli",
    )
    other = await viewer(core, a.other_teacher)
    mine = await pupil_changes(core.uow(), other, pupil_id=a.pupil_5a, since=THURSDAY)
    # Math only: no Latvian homework, no absence note (a note belongs to no group).
    assert {c.subject for c in mine.changes} == {"Matemātika"}
    assert ChangeKind.NOTE_DECIDED not in {c.kind for c in mine.changes}
    assert mine.total == 6
