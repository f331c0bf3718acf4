"""Absence notes end to end in core: who submits and decides, what the decisions justify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from core.services import absence_notes as notes
from core.services.attendance import pupil_attendance, record_attendance
from core.services.schools import set_school_policy
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, insert, new_person, viewer

TODAY = date(2026, 11, 27)  # the fixture clock's Friday
THURSDAY, MONDAY, TUESDAY = date(2026, 11, 26), date(2026, 11, 30), date(2026, 12, 1)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def count(core: Core, model: type[t.Base], *where: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        stmt = select(func.count()).select_from(model)
        if where:
            stmt = stmt.where(*where)
        return int(await session.scalar(stmt) or 0)


async def attendance_rows(core: Core, pupil_id: int) -> list[tuple[date, str, str, int | None]]:
    """(day, code, justification, note id) of a pupil's attendance rows, by day and period."""
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(
            select(
                t.Attendance.on_date,
                t.Attendance.code,
                t.Attendance.justification,
                t.Attendance.absence_note_id,
            )
            .join(t.Lesson, t.Lesson.id == t.Attendance.lesson_id)
            .where(t.Attendance.pupil_id == pupil_id)
            .order_by(t.Attendance.on_date, t.Lesson.period)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def events(core: Core, kind: str) -> list[dict[str, Any]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.DomainEvent.payload)
            .where(t.DomainEvent.kind == kind)
            .order_by(t.DomainEvent.id)
        )
        return [dict(r) for r in rows]


async def math_lesson(core: Core, world: World, on: date, period: int) -> int:
    now = core.clock.now()
    [lesson_id] = await insert(
        core,
        t.Lesson(
            school_id=world.a.school_id,
            group_id=world.a.math_group,
            on_date=on,
            period=period,
            teacher_id=world.a.math_teacher,
            is_substitution=False,
            created_at=now,
            updated_at=now,
        ),
    )
    return lesson_id


async def mark_absent(core: Core, world: World, lesson_id: int, absent: dict[int, str]) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    await record_attendance(core.uow(), teacher, lesson_id=lesson_id, absent=absent)


@dataclass
class People:
    parent: Viewer
    teacher: Viewer  # math teacher, class teacher of 5.a
    other_class_teacher: Viewer  # class teacher of 2.a
    superuser: Viewer


@pytest.fixture
async def people(core: Core, world: World) -> People:
    return People(
        parent=await viewer(core, world.a.parent_5a),
        teacher=await viewer(core, world.a.math_teacher),
        other_class_teacher=await viewer(core, world.a.latvian_teacher),
        superuser=await viewer(core, world.a.superuser),
    )


async def submit(
    core: Core, who: Viewer, pupil_id: int, start: date, end: date, **kwargs: Any
) -> notes.SubmittedNote:
    kwargs.setdefault("reason", "illness")
    return await notes.submit_note(
        core.uow(), who, pupil_id=pupil_id, starts_on=start, ends_on=end, **kwargs
    )


# ------------------------------------------------------------------ submitting


async def test_a_parent_submits_and_the_marked_absence_waits_for_the_decision(
    core: Core, world: World, people: People
) -> None:
    pupil = world.a.pupil_5a
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n"})
    submitted = await submit(
        core,
        people.parent,
        pupil,
        THURSDAY,
        TODAY,
        attachment=notes.NoteAttachment("C:\\scans\\ārsts.jpeg", JPEG),
    )
    note = submitted.note
    assert (note.status, note.reason, note.submitted_by) == (
        "submitted",
        "illness",
        people.parent.person_id,
    )
    assert submitted.linked == 1
    assert await attendance_rows(core, pupil) == [(THURSDAY, "n", "pending", note.id)]
    [payload] = await events(core, "absence_note.submitted")
    assert payload == {
        "note_id": note.id,
        "pupil_id": pupil,
        "class_id": world.a.class_5a,
        "starts_on": "2026-11-26",
        "ends_on": "2026-11-27",
        "reason": "illness",
        "linked": 1,
    }
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "absence_note.submitted") == 1

    # The class teacher sees it in the queue with its absence and the photo.
    queue = await notes.class_queue(core.uow(), people.teacher, class_id=world.a.class_5a)
    assert [(q.note.id, q.pupil.pupil_id, q.absences) for q in queue.notes] == [
        (note.id, pupil, 1)
    ]
    assert queue.days == ()
    stored = await notes.note_attachment(core.uow(), people.teacher, note_id=note.id)
    assert (stored.filename, stored.mime_type, stored.content) == ("ārsts.jpg", "image/jpeg", JPEG)

    # Approving justifies it; the parent sees the status; the queue is empty.
    decided = await notes.decide_note(core.uow(), people.teacher, note_id=note.id, approve=True)
    assert (decided.note.status, decided.absences) == ("accepted", 1)
    assert await attendance_rows(core, pupil) == [(THURSDAY, "n", "justified", note.id)]
    listed = await notes.pupil_notes(core.uow(), people.parent, pupil)
    assert [(v.note.id, v.note.status, v.may_withdraw) for v in listed.notes] == [
        (note.id, "accepted", False)
    ]
    seen = await pupil_attendance(core.uow(), people.parent, pupil_id=pupil)
    assert (seen.summary.justified, seen.summary.pending) == (1, 0)
    empty = await notes.class_queue(core.uow(), people.teacher, class_id=world.a.class_5a)
    assert (empty.notes, empty.days) == ((), ())
    [payload] = await events(core, "absence_note.decided")
    assert payload["status"] == "accepted"
    assert payload["submitted_by"] == people.parent.person_id
    assert payload["absences"] == 1


async def test_an_advance_note_justifies_absences_as_teachers_mark_them(
    core: Core, world: World, people: People
) -> None:
    pupil = world.a.pupil_5a
    monday = await math_lesson(core, world, MONDAY, 1)
    tuesday = await math_lesson(core, world, TUESDAY, 2)
    note = (await submit(core, people.parent, pupil, MONDAY, TUESDAY, reason="family")).note
    assert note.status == "submitted"

    # Marked while the note waits: linked, decided with the note.
    await mark_absent(core, world, monday, {pupil: "n"})
    assert await attendance_rows(core, pupil) == [(MONDAY, "n", "pending", note.id)]
    await notes.decide_note(core.uow(), people.teacher, note_id=note.id, approve=True)
    assert await attendance_rows(core, pupil) == [(MONDAY, "n", "justified", note.id)]

    # Marked after the note was accepted: justified at once; a late mark is left alone.
    await mark_absent(core, world, tuesday, {pupil: "n", world.a.pupil_5a_second: "k"})
    assert await attendance_rows(core, pupil) == [
        (MONDAY, "n", "justified", note.id),
        (TUESDAY, "n", "justified", note.id),
    ]
    assert await attendance_rows(core, world.a.pupil_5a_second) == [
        (TUESDAY, "k", "pending", None)
    ]
    # An absence on a day no note covers stays undecided and lands in the queue.
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n"})
    queue = await notes.class_queue(core.uow(), people.teacher, class_id=world.a.class_5a)
    assert [(d.pupil.pupil_id, d.on, len(d.absences)) for d in queue.days] == [
        (pupil, THURSDAY, 1)
    ]


async def test_illness_code_starts_justified_without_a_note(core: Core, world: World) -> None:
    await mark_absent(core, world, world.a.lesson_math, {world.a.pupil_5a: "ns"})
    assert await attendance_rows(core, world.a.pupil_5a) == [(THURSDAY, "ns", "justified", None)]


async def test_who_may_submit(core: Core, world: World, people: People) -> None:
    pupil = world.a.pupil_5a
    me = await viewer(core, pupil)
    with pytest.raises(NotAllowed) as caught:
        await submit(core, me, pupil, MONDAY, MONDAY)
    assert caught.value.key == "note.pupils_may_not_submit"
    with pytest.raises(NotAllowed) as caught:
        await notes.note_form(core.uow(), me, pupil_id=pupil)
    assert caught.value.key == "note.pupils_may_not_submit"

    carer = await new_person(core, "Vecmāmiņa", "Bērziņa")
    await insert(
        core,
        t.Guardianship(guardian_id=carer, pupil_id=pupil, relation="carer", read_only=True),
    )
    refusals: list[tuple[Viewer, type[DomainError], str]] = [
        (await viewer(core, carer), NotAllowed, "note.not_allowed"),
        (people.teacher, NotAllowed, "note.not_allowed"),  # sees the pupil, is no guardian
        (await viewer(core, world.a.parent_5a_second), NotFound, "pupil.not_found"),
        (await viewer(core, world.b.parent_5a), NotFound, "pupil.not_found"),
        (await viewer(core, world.a.pupil_5a_second), NotFound, "pupil.not_found"),
    ]
    for who, error, key in refusals:
        with pytest.raises(error) as refused:
            await submit(core, who, pupil, MONDAY, MONDAY)
        assert refused.value.key == key
    assert await count(core, t.AbsenceNote) == 0

    await set_school_policy(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        settings={"pupils_may_submit_notes": True},
    )
    own = await submit(core, me, pupil, MONDAY, MONDAY)
    assert own.note.submitted_by == pupil
    form = await notes.note_form(core.uow(), people.parent, pupil_id=world.a.pupil_2a)
    assert (form.pupil.class_name, form.today, form.earliest, form.latest) == (
        "2.a",
        TODAY,
        TODAY - timedelta(days=14),
        TODAY + timedelta(days=30),
    )


GIF = {"attachment": notes.NoteAttachment("a.jpg", b"GIF89a")}
BIG = {"attachment": notes.NoteAttachment("a.jpg", JPEG + b"0" * (10 * 1024 * 1024))}
BAD_INPUT = [
    (TUESDAY, MONDAY, {}, "note.range_reversed", {"starts_on": "01.12.2026"}),
    (MONDAY, date(2026, 12, 5), {}, "note.too_long", {"days": 6}),
    (date(2026, 12, 28), date(2026, 12, 28), {}, "note.too_far_ahead", {}),
    (date(2026, 11, 12), date(2026, 11, 13), {}, "note.too_far_back", {"earliest": "13.11.2026"}),
    (date(2026, 11, 28), date(2026, 11, 29), {}, "note.no_school_days", {}),
    (MONDAY, MONDAY, {"reason": "other"}, "note.reason_text_required", {}),
    (MONDAY, MONDAY, {"reason": "other", "reason_text": " \n "}, "note.reason_text_required", {}),
    (MONDAY, MONDAY, {"reason": "holiday"}, "note.reason_invalid", {}),
    (MONDAY, MONDAY, {"reason_text": "x" * 501}, "note.text_too_long", {"max": 500}),
    (MONDAY, MONDAY, GIF, "note.attachment_type", {}),
    (MONDAY, MONDAY, BIG, "note.attachment_too_big", {"max": 10}),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUT, ids=lambda case: str(case[3]))
async def test_bad_ranges_reasons_and_files_change_nothing(
    core: Core, world: World, people: People, case: tuple[Any, ...]
) -> None:
    start, end, extra, key, params = case
    await mark_absent(core, world, world.a.lesson_math, {world.a.pupil_5a: "n"})
    with pytest.raises(InvalidInput) as caught:
        await submit(core, people.parent, world.a.pupil_5a, start, end, **extra)
    assert caught.value.key == key
    assert params.items() <= caught.value.params.items()
    for model in (t.AbsenceNote, t.StoredFile, t.AuditEntry):
        assert (
            await count(
                core,
                model,
                *([t.AuditEntry.action.like("absence_note%")] if model is t.AuditEntry else []),
            )
            == 0
        )
    assert await events(core, "absence_note.submitted") == []
    assert await attendance_rows(core, world.a.pupil_5a) == [(THURSDAY, "n", "pending", None)]


async def test_a_pdf_is_accepted_and_a_pending_note_blocks_an_overlapping_one(
    core: Core, world: World, people: People
) -> None:
    pupil = world.a.pupil_5a
    first = await submit(
        core, people.parent, pupil, MONDAY, TUESDAY,
        reason="other", reason_text="  Sacensības  Rīgā ",
        attachment=notes.NoteAttachment("izziņa", PDF),
    )  # fmt: skip
    assert first.note.reason_text == "Sacensības Rīgā"
    stored = await notes.note_attachment(core.uow(), people.parent, note_id=first.note.id)
    assert (stored.filename, stored.mime_type) == ("izziņa.pdf", "application/pdf")
    with pytest.raises(Conflict) as caught:
        await submit(core, people.parent, pupil, TUESDAY, date(2026, 12, 2))
    assert caught.value.key == "note.overlaps"
    assert caught.value.params == {"starts_on": "30.11.2026", "ends_on": "01.12.2026"}
    with pytest.raises(Conflict):
        await notes.check_note_dates(
            core.uow(), people.parent, pupil_id=pupil, starts_on=TUESDAY, ends_on=TUESDAY
        )

    # A rejected note no longer blocks: the parent may send a better one.
    await notes.decide_note(
        core.uow(), people.teacher, note_id=first.note.id, approve=False, reason="Nav pamatots"
    )
    second = await submit(core, people.parent, pupil, TUESDAY, date(2026, 12, 2))
    assert second.note.status == "submitted"
    assert await count(core, t.AbsenceNote) == 2


# ------------------------------------------------------------------ deciding


async def test_who_may_decide(core: Core, world: World, people: People) -> None:
    pupil = world.a.pupil_5a
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n"})
    note = (await submit(core, people.parent, pupil, THURSDAY, THURSDAY)).note
    outsiders = [
        people.other_class_teacher,  # class teacher of 2.a
        await viewer(core, world.a.other_teacher),
        people.parent,
        await viewer(core, pupil),
        await viewer(core, world.b.superuser),  # another school's manager
    ]
    for who in outsiders:
        with pytest.raises(NotFound) as caught:
            await notes.decide_note(core.uow(), who, note_id=note.id, approve=True)
        assert caught.value.key == "note.not_found"
        with pytest.raises(NotFound):
            await notes.class_queue(core.uow(), who, class_id=world.a.class_5a)
    with pytest.raises(NotFound):
        await notes.decide_note(core.uow(), people.teacher, note_id=note.id + 999, approve=True)
    with pytest.raises(InvalidInput) as caught:
        await notes.decide_note(
            core.uow(), people.teacher, note_id=note.id, approve=False, reason="   "
        )
    assert caught.value.key == "note.rejection_reason_required"
    assert await attendance_rows(core, pupil) == [(THURSDAY, "n", "pending", note.id)]
    assert await events(core, "absence_note.decided") == []

    director = await viewer(core, world.a.director)
    decided = await notes.decide_note(core.uow(), director, note_id=note.id, approve=True)
    assert decided.note.decided_by == world.a.director


async def test_a_rejection_carries_its_reason_and_decided_notes_are_final(
    core: Core, world: World, people: People
) -> None:
    pupil = world.a.pupil_5a
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n"})
    note = (await submit(core, people.parent, pupil, THURSDAY, TODAY, reason="family")).note
    rejected = await notes.decide_note(
        core.uow(), people.teacher, note_id=note.id, approve=False, reason="Nav iesniegta izziņa"
    )
    assert (rejected.note.status, rejected.note.decision_reason) == (
        "rejected",
        "Nav iesniegta izziņa",
    )
    assert rejected.note.decided_at == core.clock.now()
    assert await attendance_rows(core, pupil) == [(THURSDAY, "n", "unjustified", note.id)]
    [payload] = await events(core, "absence_note.decided")
    assert payload["status"] == "rejected"

    # Neither the class teacher nor the parent can change or remove it now.
    with pytest.raises(Conflict) as caught:
        await notes.decide_note(core.uow(), people.teacher, note_id=note.id, approve=True)
    assert caught.value.key == "note.already_decided"
    with pytest.raises(Conflict) as caught:
        await notes.withdraw_note(core.uow(), people.parent, note_id=note.id)
    assert caught.value.key == "note.withdraw_decided"
    with pytest.raises(Conflict) as caught:
        await notes.decide_note(
            core.uow(), people.teacher, note_id=note.id, approve=False, reason="Vēlreiz"
        )
    assert caught.value.key == "note.already_decided"
    assert await count(core, t.AbsenceNote, t.AbsenceNote.status == "rejected") == 1

    # The school's management may decide again.
    again = await notes.decide_note(core.uow(), people.superuser, note_id=note.id, approve=True)
    assert (again.note.status, again.note.decided_by, again.absences) == (
        "accepted",
        world.a.superuser,
        1,
    )
    assert await attendance_rows(core, pupil) == [(THURSDAY, "n", "justified", note.id)]
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "absence_note.decided") == 2


async def attendance_ids(core: Core, pupil_id: int) -> list[int]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.Attendance.id)
            .where(t.Attendance.pupil_id == pupil_id)
            .order_by(t.Attendance.on_date, t.Attendance.id)
        )
        return list(rows)


async def test_the_submitter_withdraws_a_waiting_note(
    core: Core, world: World, people: People
) -> None:
    pupil = world.a.pupil_5a
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n"})
    note = (
        await submit(
            core, people.parent, pupil, THURSDAY, THURSDAY,
            attachment=notes.NoteAttachment("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20),
        )
    ).note  # fmt: skip
    with pytest.raises(NotAllowed) as caught:
        await notes.withdraw_note(core.uow(), people.teacher, note_id=note.id)
    assert caught.value.key == "note.not_yours"
    with pytest.raises(NotFound):
        await notes.withdraw_note(
            core.uow(), await viewer(core, world.a.parent_5a_second), note_id=note.id
        )
    listed = await notes.pupil_notes(core.uow(), people.parent, pupil)
    assert [v.may_withdraw for v in listed.notes] == [True]

    await notes.withdraw_note(core.uow(), people.parent, note_id=note.id)
    assert await count(core, t.AbsenceNote) == 0
    assert await count(core, t.StoredFile) == 0
    assert await attendance_rows(core, pupil) == [(THURSDAY, "n", "pending", None)]
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "absence_note.withdrawn") == 1
    with pytest.raises(NotFound):
        await notes.withdraw_note(core.uow(), people.parent, note_id=note.id)


# ------------------------------------------------------------------ absences without a note


async def test_the_class_teacher_decides_days_without_a_note(
    core: Core, world: World, people: People
) -> None:
    pupil, second = world.a.pupil_5a, world.a.pupil_5a_second
    later = await math_lesson(core, world, THURSDAY, 4)
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n", second: "n"})
    await mark_absent(core, world, later, {pupil: "n", second: "k"})
    queue = await notes.class_queue(core.uow(), people.teacher, class_id=world.a.class_5a)
    assert [(d.pupil.pupil_id, d.on, len(d.absences)) for d in queue.days] == [
        (pupil, THURSDAY, 2),  # Alfa-Bērziņš before Alfa-Kalniņa
        (second, THURSDAY, 1),
    ]
    overview = await notes.queue_overview(core.uow(), people.superuser)
    assert [(c.class_name, c.notes, c.days) for c in overview] == [("2.a", 0, 0), ("5.a", 0, 2)]

    with pytest.raises(InvalidInput) as caught:
        await notes.justify_day(
            core.uow(), people.teacher, pupil_id=pupil, on=THURSDAY, justified=True
        )
    assert caught.value.key == "attendance.justify_reason_required"
    with pytest.raises(NotFound):
        await notes.justify_day(
            core.uow(),
            people.other_class_teacher,
            pupil_id=pupil,
            on=THURSDAY,
            justified=False,
        )
    done = await notes.justify_day(
        core.uow(),
        people.teacher,
        pupil_id=pupil,
        on=THURSDAY,
        justified=True,
        reason="Zobārsts",
    )
    assert (done.justified, len(done.absences)) == (True, 2)
    assert [r[2] for r in await attendance_rows(core, pupil)] == ["justified", "justified"]
    with pytest.raises(Conflict) as caught:
        await notes.justify_day(
            core.uow(), people.teacher, pupil_id=pupil, on=THURSDAY, justified=False
        )
    assert caught.value.key == "attendance.nothing_to_justify"

    absent_id, late_id = await attendance_ids(core, second)
    with pytest.raises(InvalidInput) as caught:
        await notes.justify_absence(
            core.uow(), people.teacher, attendance_id=late_id, justified=False
        )
    assert caught.value.key == "attendance.not_an_absence"
    kept = await notes.justify_absence(
        core.uow(), people.teacher, attendance_id=absent_id, justified=False
    )
    assert kept.justified is False
    assert await attendance_rows(core, second) == [
        (THURSDAY, "n", "unjustified", None),
        (THURSDAY, "k", "pending", None),
    ]
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "attendance.justified") == 3
    empty = await notes.class_queue(core.uow(), people.teacher, class_id=world.a.class_5a)
    assert empty.days == ()

    # An absence a waiting note covers is decided with the note, not on its own.
    monday = await math_lesson(core, world, MONDAY, 1)
    await mark_absent(core, world, monday, {second: "n"})
    await submit(core, await viewer(core, world.a.parent_5a_second), second, MONDAY, MONDAY)
    covered = (await attendance_ids(core, second))[-1]
    with pytest.raises(Conflict) as caught:
        await notes.justify_absence(
            core.uow(), people.teacher, attendance_id=covered, justified=True, reason="x"
        )
    assert caught.value.key == "attendance.has_note"
    with pytest.raises(NotFound) as caught:
        await notes.justify_absence(
            core.uow(), people.other_class_teacher, attendance_id=covered, justified=False
        )
    assert caught.value.key == "attendance.not_found"


# ------------------------------------------------------------------ the class summary


async def test_the_class_summary_counts_and_flags_the_threshold(
    core: Core, world: World, people: People
) -> None:
    await set_school_policy(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        settings={"unjustified_threshold": 2},
    )
    pupil, second = world.a.pupil_5a, world.a.pupil_5a_second
    earlier = [await math_lesson(core, world, date(2026, 11, 2 + i), 1) for i in range(2)]
    for lesson_id in earlier:
        await mark_absent(core, world, lesson_id, {pupil: "n"})
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n", second: "k"})
    week_lesson = await math_lesson(core, world, date(2026, 11, 24), 1)
    await mark_absent(core, world, week_lesson, {second: "ns"})
    rows = await attendance_ids(core, pupil)
    await notes.justify_absence(core.uow(), people.teacher, attendance_id=rows[0], justified=False)

    summary = await notes.class_attendance_summary(
        core.uow(), people.teacher, class_id=world.a.class_5a
    )
    assert (summary.start, summary.end, summary.term, summary.threshold) == (
        date(2026, 9, 1),
        TODAY,
        1,
        2,
    )
    lines = {line.pupil.pupil_id: line for line in summary.pupils}
    assert [line.pupil.pupil_id for line in summary.pupils] == [pupil, second]
    mine = lines[pupil].period
    assert (mine.justified, mine.unjustified, mine.pending, mine.late) == (0, 1, 2, 0)
    assert lines[pupil].over_threshold is True  # 3 unexcused > 2
    theirs = lines[second].period
    assert (theirs.justified, theirs.unjustified, theirs.late) == (1, 0, 1)
    assert lines[second].over_threshold is False
    assert summary.flagged == (lines[pupil],)

    week = await notes.class_attendance_summary(
        core.uow(), people.teacher, class_id=world.a.class_5a, start=date(2026, 11, 23)
    )
    assert (week.start, week.end) == (date(2026, 11, 23), TODAY)
    week_lines = {line.pupil.pupil_id: line for line in week.pupils}
    assert week_lines[pupil].period.pending == 1
    assert week_lines[pupil].semester.unexcused == 3  # the flag still looks at the semester
    assert week_lines[pupil].over_threshold is True

    with pytest.raises(NotFound) as caught:
        await notes.class_attendance_summary(
            core.uow(), people.other_class_teacher, class_id=world.a.class_5a
        )
    assert caught.value.key == "class.not_found"
    with pytest.raises(InvalidInput):
        await notes.class_attendance_summary(
            core.uow(),
            people.teacher,
            class_id=world.a.class_5a,
            start=TODAY,
            end=TODAY - timedelta(days=1),
        )


async def test_notes_are_read_by_family_and_class_teacher_only(
    core: Core, world: World, people: People
) -> None:
    pupil = world.a.pupil_5a
    await mark_absent(core, world, world.a.lesson_math, {pupil: "n"})
    note = (
        await submit(
            core, people.parent, pupil, THURSDAY, THURSDAY, reason="other", reason_text="Ceļojums"
        )
    ).note
    detail = await notes.absence_note(core.uow(), people.teacher, note_id=note.id)
    assert (detail.may_decide, detail.may_withdraw, detail.submitter) == (
        True,
        False,
        "Līga Alfa-Bērziņa",
    )
    assert [a.on_date for a in detail.absences] == [THURSDAY]
    own = await notes.absence_note(core.uow(), people.parent, note_id=note.id)
    assert (own.may_decide, own.may_withdraw) == (False, True)
    # The pupil's subject teacher of another class, and a foreign school: not found.
    for who in (people.other_class_teacher, await viewer(core, world.b.math_teacher)):
        with pytest.raises(NotFound):
            await notes.absence_note(core.uow(), who, note_id=note.id)
        with pytest.raises(NotFound):
            await notes.pupil_notes(core.uow(), who, pupil)
    with pytest.raises(NotFound) as caught:
        await notes.note_attachment(core.uow(), people.parent, note_id=note.id)
    assert caught.value.key == "note.no_attachment"
    reads = await count(core, t.AuditEntry, t.AuditEntry.action == "read.absence_notes")
    assert reads == 1  # the class teacher's read is audited, the family's is not
