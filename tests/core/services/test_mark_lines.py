"""A class test's marks in one message, one tap at a time, and the lists behind the grades screens.

Every test runs on SQLite and, when configured, on PostgreSQL (the ``core`` fixture).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.marks import MarkScale
from core.errors import InvalidInput, InvalidMark, NotAllowed, NotFound
from core.services import marks
from core.services.marks import MarkLinesInvalid
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, insert, new_person, viewer

DAY = date(2026, 11, 26)
START = date(2026, 9, 1)
# 23 more pupils for 5.a mathematics: with Jānis Alfa-Bērziņš and Anna Alfa-Kalniņa, 25.
FAMILY_NAMES = (
    *("Ābele", "Zirnis", "Liepa", "Ozols", "Kalns", "Priede", "Egle", "Krūmiņš", "Vītols"),
    *("Siliņš", "Lapa", "Pūce", "Vilks", "Lūsis", "Strazds", "Sniedze", "Čakste", "Ģērmanis"),
    *("Šmits", "Žagata", "Eglīte", "Upe", "Dārziņš"),
)


async def add_pupils(core: Core, world: World, count: int) -> list[int]:
    """Enrol more pupils in 5.a and its mathematics group."""
    added = []
    for family in FAMILY_NAMES[:count]:
        person = await new_person(core, "Roberts", family)
        await insert(
            core,
            t.Enrolment(
                school_id=world.a.school_id,
                class_id=world.a.class_5a,
                pupil_id=person,
                starts_on=START,
                ends_on=None,
            ),
            t.GroupMember(group_id=world.a.math_group, pupil_id=person, starts_on=START),
        )
        added.append(person)
    return added


async def rows(core: Core, model: type[t.Base]) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def stored(core: Core) -> dict[int, tuple[str, str | None, int]]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(select(t.Mark))
        return {m.pupil_id: (m.status, m.value, m.revision) for m in found}


async def math_test(core: Core, world: World) -> int:
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Daļskaitļi"
    )
    return test.id


async def test_twenty_five_marks_in_one_message_are_saved_exactly(core: Core) -> None:
    world = await build_world(core)
    await add_pupils(core, world, 23)
    test = await math_test(core, world)
    teacher = await viewer(core, world.a.math_teacher)
    sheet = await marks.assessment_sheet(core.uow(), teacher, assessment_id=test)
    assert len(sheet.rows) == 25
    values = [str(1 + i % 10) for i in range(24)] + ["nv"]
    text = "\n".join(f"{n} {v}" for n, v in zip(range(1, 26), values, strict=True))

    result = await marks.record_mark_lines(core.uow(), teacher, assessment_id=test, text=text)

    expected = {
        row.pupil.pupil_id: ("nv", None, 1) if v == "nv" else ("mark", v, 1)
        for row, v in zip(sheet.rows, values, strict=True)
    }
    assert await stored(core) == expected
    assert (result.changed, result.corrected, len(result.entries)) == (25, 0, 25)
    assert result.sheet.tally.entered == 25
    assert result.sheet.tally.nv == 1
    assert result.sheet.missing == ()
    assert result.sheet.tally.average == Decimal(sum(int(v) for v in values[:-1])) / 24
    assert await rows(core, t.DomainEvent) == 25
    # Roster numbers follow the Latvian alphabet: Ā after A, Č before D.
    assert [row.pupil.label for row in sheet.rows[:5]] == [
        "Alfa-Bērziņš Jānis",
        "Alfa-Kalniņa Anna",
        "Ābele Roberts",
        "Čakste Roberts",
        "Dārziņš Roberts",
    ]
    assert [row.pupil.number for row in sheet.rows] == list(range(1, 26))


async def test_any_invalid_line_saves_nothing(core: Core) -> None:
    world = await build_world(core)
    test = await math_test(core, world)
    teacher = await viewer(core, world.a.math_teacher)
    with pytest.raises(MarkLinesInvalid) as caught:
        await marks.record_mark_lines(
            core.uow(), teacher, assessment_id=test, text="1 8\nAlfa-Kalniņa 11"
        )
    [error] = caught.value.errors
    assert (error.line, error.key, error.params["pupil"]) == (
        2,
        "mark_entry.invalid_value",
        "Alfa-Kalniņa Anna",
    )
    assert caught.value.params == {"count": 1}
    assert await stored(core) == {}
    assert await rows(core, t.DomainEvent) == 0
    assert await rows(core, t.AuditEntry) == 1  # the assessment's creation only

    with pytest.raises(InvalidInput) as empty:
        await marks.record_mark_lines(core.uow(), teacher, assessment_id=test, text=" \n")
    assert empty.value.key == "mark_entry.empty"


async def test_names_without_diacritics_and_a_correction_keeps_history(core: Core) -> None:
    world = await build_world(core)
    test = await math_test(core, world)
    teacher = await viewer(core, world.a.math_teacher)
    await marks.record_mark_lines(
        core.uow(), teacher, assessment_id=test, text="alfa-berzins 7, kalnina nv"
    )
    result = await marks.record_mark_lines(
        core.uow(), teacher, assessment_id=test, text="1 9\n2 nv"
    )
    assert (result.changed, result.corrected) == (1, 1)  # an unchanged "nv" is not saved again
    assert await stored(core) == {
        world.a.pupil_5a: ("mark", "9", 2),
        world.a.pupil_5a_second: ("nv", None, 1),
    }
    mark_id = result.sheet.rows[0].mark.id if result.sheet.rows[0].mark else 0
    history = await marks.mark_history(
        core.uow(),
        await viewer(core, world.a.parent_5a),
        mark_id=mark_id,
        pupil_id=world.a.pupil_5a,
    )
    assert [(h.revision, h.value) for h in history] == [(1, "7"), (2, "9")]


async def test_a_grade_two_group_refuses_ten_point_values_with_the_levels(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.latvian_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.latvian_group, on=DAY, title="Diktāts"
    )
    with pytest.raises(MarkLinesInvalid) as caught:
        await marks.record_mark_lines(core.uow(), teacher, assessment_id=test.id, text="1 10")
    assert caught.value.errors[0].params["valid"] == "S, T, A, P, nv"
    assert await stored(core) == {}
    result = await marks.record_mark_lines(
        core.uow(), teacher, assessment_id=test.id, text="alfa-berzina apguvis"
    )
    assert result.sheet.scale is MarkScale.LEVELS
    assert await stored(core) == {world.a.pupil_2a: ("mark", "A", 1)}


async def test_a_teacher_of_another_group_is_refused_and_nothing_changes(core: Core) -> None:
    world = await build_world(core)
    test = await math_test(core, world)
    for person, error in (
        (world.a.latvian_teacher, NotFound),  # teaches 2.a only
        (world.b.math_teacher, NotFound),  # another school
        (world.a.superuser, NotAllowed),  # may read the journal, not write it
    ):
        other = await viewer(core, person)
        with pytest.raises(error):
            await marks.record_mark_lines(core.uow(), other, assessment_id=test, text="1 8")
        with pytest.raises(error):
            await marks.record_pupil_mark(
                core.uow(), other, assessment_id=test, pupil_id=world.a.pupil_5a, value="8"
            )
        with pytest.raises(error):
            await marks.assessment_sheet(core.uow(), other, assessment_id=test)
        with pytest.raises(error):
            await marks.group_assessments(core.uow(), other, group_id=world.a.math_group)
    with pytest.raises(NotFound):
        await marks.record_mark_lines(
            core.uow(), await viewer(core, world.a.math_teacher), assessment_id=10**9, text="1 8"
        )
    assert await stored(core) == {}


async def test_one_tap_records_one_pupil_and_returns_the_sheet(core: Core) -> None:
    world = await build_world(core)
    test = await math_test(core, world)
    teacher = await viewer(core, world.a.math_teacher)
    first = await marks.record_pupil_mark(
        core.uow(), teacher, assessment_id=test, pupil_id=world.a.pupil_5a_second, value="10"
    )
    again = await marks.record_pupil_mark(
        core.uow(), teacher, assessment_id=test, pupil_id=world.a.pupil_5a_second, value="10"
    )
    assert (first.changed, again.changed) == (True, False)
    sheet = again.sheet
    assert [(row.pupil.label, row.value and row.value.value) for row in sheet.rows] == [
        ("Alfa-Bērziņš Jānis", None),
        ("Alfa-Kalniņa Anna", "10"),
    ]
    assert [p.pupil_id for p in sheet.missing] == [world.a.pupil_5a]
    with pytest.raises(InvalidMark):
        await marks.record_pupil_mark(
            core.uow(), teacher, assessment_id=test, pupil_id=world.a.pupil_5a, value="S"
        )
    with pytest.raises(InvalidInput) as stranger:
        await marks.record_pupil_mark(
            core.uow(), teacher, assessment_id=test, pupil_id=world.a.pupil_2a, value="8"
        )
    assert stranger.value.key == "mark_entry.not_on_roster"
    assert await stored(core) == {world.a.pupil_5a_second: ("mark", "10", 1)}


async def test_group_assessments_newest_first_with_counts_and_the_scale(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    older = await marks.create_assessment(
        core.uow(),
        teacher,
        group_id=world.a.math_group,
        on=date(2026, 11, 20),
        title="Reizināšana",
    )
    newer = await math_test(core, world)
    await marks.record_pupil_mark(
        core.uow(), teacher, assessment_id=newer, pupil_id=world.a.pupil_5a, value="7"
    )
    listed = await marks.group_assessments(core.uow(), teacher, group_id=world.a.math_group)
    assert [(a.assessment.id, a.marked) for a in listed.assessments] == [(newer, 1), (older.id, 0)]
    assert (listed.today, listed.scale, listed.pupils) == (
        date(2026, 11, 27),
        MarkScale.TEN_POINT,
        2,
    )
    that_day = await marks.group_assessments(
        core.uow(), teacher, group_id=world.a.math_group, on=date(2026, 11, 20)
    )
    assert [a.assessment.id for a in that_day.assessments] == [older.id]
    one = await marks.group_assessments(core.uow(), teacher, group_id=world.a.math_group, limit=1)
    assert [a.assessment.id for a in one.assessments] == [newer]


async def test_taught_groups_are_the_viewers_own(core: Core) -> None:
    world = await build_world(core)
    math = await marks.taught_groups(core.uow(), await viewer(core, world.a.math_teacher))
    assert [(g.group_id, g.name) for g in math] == [(world.a.math_group, "5.a Matemātika")]
    assert await marks.taught_groups(core.uow(), await viewer(core, world.a.other_teacher)) == ()
    assert await marks.taught_groups(core.uow(), await viewer(core, world.a.parent_5a)) == ()
