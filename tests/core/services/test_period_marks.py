"""Semester and year marks: the rules propose, the group's teacher confirms; history is audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.bootstrap import Core
from core.domain.marks import MarkValue
from core.errors import InvalidInput, NotAllowed, NotFound
from core.services import period_marks
from core.services.marks import MarkEntriesInvalid, MarkLinesInvalid
from core.storage import tables as t
from tests.builders import build_world, viewer
from tests.reportkit import fill_journal, rows, use_semester_marks


async def test_the_year_proposal_follows_the_school_rules(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.math_teacher)

    sheet = await period_marks.propose_period_marks(
        core.uow(), teacher, group_id=a.math_group, term=None
    )

    assert sheet.period.kind == "year"
    assert [row.pupil.label for row in sheet.rows] == ["Alfa-Bērziņš Jānis", "Alfa-Kalniņa Anna"]
    janis, anna = sheet.rows
    # summative 8, 9, 7 (the formative 2 does not count)
    assert (janis.proposal, janis.average, janis.counted, janis.nv) == (
        MarkValue.mark("8"),
        Decimal("8.00"),
        3,
        0,
    )
    # summative 6, 5 and an outstanding "nv": 5.50 rounds half up to 6
    assert (anna.proposal, anna.average, anna.counted, anna.nv) == (
        MarkValue.mark("6"),
        Decimal("5.50"),
        2,
        1,
    )
    assert janis.confirmed is None
    assert anna.confirmed is None
    assert await rows(core, t.PeriodMark) == []  # proposing writes nothing


async def test_confirm_all_then_a_correction_keeps_history_in_the_audit(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.math_teacher)

    saved = await period_marks.confirm_proposals(
        core.uow(), teacher, group_id=a.math_group, term=None
    )
    assert (saved.changed, saved.corrected, saved.sheet.confirmed) == (2, 0, 2)
    stored = {m.pupil_id: (m.kind, m.term_id, m.value, m.proposed_value, m.status) for m in
              await rows(core, t.PeriodMark)}  # fmt: skip
    assert stored == {
        a.pupil_5a: ("year", None, "8", "8", "confirmed"),
        a.pupil_5a_second: ("year", None, "6", "6", "confirmed"),
    }

    corrected = await period_marks.confirm_period_mark_lines(
        core.uow(), teacher, group_id=a.math_group, term=None, text="2 5\nBērziņš 8"
    )
    assert (corrected.changed, corrected.corrected) == (1, 1)  # Jānis's 8 is unchanged
    [anna] = await rows(core, t.PeriodMark, pupil_id=a.pupil_5a_second)
    assert (anna.value, anna.proposed_value, anna.confirmed_by) == ("5", "6", a.math_teacher)
    assert len(await rows(core, t.PeriodMark)) == 2  # corrected in place, one row a pupil

    audit = [
        (e.action, e.subject_person_id, e.before, (e.after or {}).get("value"))
        for e in await rows(core, t.AuditEntry)
        if e.action.startswith("period_mark.")
    ]
    assert audit == [
        ("period_mark.confirm", a.pupil_5a, None, "8"),
        ("period_mark.confirm", a.pupil_5a_second, None, "6"),
        ("period_mark.correct", a.pupil_5a_second, {"value": "6"}, "5"),
    ]
    again = await period_marks.confirm_proposals(
        core.uow(), teacher, group_id=a.math_group, term=None
    )
    assert again.changed == 0  # confirm all keeps the corrected mark


async def test_values_off_the_scale_save_nothing(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.math_teacher)

    with pytest.raises(MarkLinesInvalid) as lines:
        await period_marks.confirm_period_mark_lines(
            core.uow(), teacher, group_id=a.math_group, term=None, text="1 8\n2 11"
        )
    assert [e.key for e in lines.value.errors] == ["mark_entry.invalid_value"]
    with pytest.raises(MarkEntriesInvalid):
        await period_marks.confirm_period_marks(
            core.uow(),
            teacher,
            group_id=a.math_group,
            term=None,
            marks={a.pupil_5a: "9", a.pupil_5a_second: "A"},
        )
    with pytest.raises(InvalidInput) as stranger:
        await period_marks.confirm_period_marks(
            core.uow(), teacher, group_id=a.math_group, term=None, marks={a.pupil_2a: "8"}
        )
    assert stranger.value.key == "period_mark.pupil_not_in_group"
    assert await rows(core, t.PeriodMark) == []


async def test_learning_levels_are_proposed_and_confirmed_as_levels(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.latvian_teacher)

    saved = await period_marks.confirm_period_marks(
        core.uow(), teacher, group_id=a.latvian_group, term=None, marks={a.pupil_2a: "apguvis"}
    )

    [row] = saved.sheet.rows
    assert (row.proposal, row.confirmed, row.average) == (
        MarkValue.mark("A"),
        MarkValue.mark("A"),
        None,
    )
    [stored] = await rows(core, t.PeriodMark)
    assert (stored.scale, stored.value) == ("levels", "A")


async def test_semester_marks_only_where_the_school_gives_them(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.math_teacher)

    choices = await period_marks.period_choices(core.uow(), teacher, group_id=a.math_group)
    assert [p.term for p in choices.periods] == [None]
    with pytest.raises(InvalidInput) as refused:
        await period_marks.propose_period_marks(core.uow(), teacher, group_id=a.math_group, term=1)
    assert refused.value.key == "period_mark.no_semester_marks"

    await use_semester_marks(core, a.school_id, [5])
    choices = await period_marks.period_choices(core.uow(), teacher, group_id=a.math_group)
    assert [p.term for p in choices.periods] == [1, None]  # the 2nd semester has not begun
    with pytest.raises(InvalidInput) as early:
        await period_marks.propose_period_marks(core.uow(), teacher, group_id=a.math_group, term=2)
    assert early.value.key == "period_mark.not_started"
    saved = await period_marks.confirm_proposals(
        core.uow(), teacher, group_id=a.math_group, term=1
    )
    assert saved.changed == 2
    kinds = {(m.kind, m.term_id is not None) for m in await rows(core, t.PeriodMark)}
    assert kinds == {("semester", True)}


async def test_only_the_groups_teachers_see_proposals_and_confirm(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    for person, error in (
        (a.other_teacher, NotFound),  # teaches elsewhere: the group "does not exist"
        (a.parent_5a, NotFound),
        (world.b.math_teacher, NotFound),  # another school
        (a.superuser, NotAllowed),  # reads the group as a manager, but does not teach it
    ):
        somebody = await viewer(core, person)
        with pytest.raises(error):
            await period_marks.propose_period_marks(
                core.uow(), somebody, group_id=a.math_group, term=None
            )
        with pytest.raises(error):
            await period_marks.confirm_proposals(
                core.uow(), somebody, group_id=a.math_group, term=None
            )
    assert await rows(core, t.PeriodMark) == []
