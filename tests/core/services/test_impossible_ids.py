"""Ids no row can have (as a forged button may carry) read as "not found" on every backend.

PostgreSQL refuses an out-of-range integer parameter with an error; the guards must refuse first.
"""

from __future__ import annotations

from datetime import date

import pytest

from core.bootstrap import Core
from core.domain.ids import MAX_ID, possible_id
from core.errors import NotFound
from core.services import attendance, marks, timetable
from tests.builders import build_world, viewer

HUGE = [MAX_ID + 1, 2**40, 2**63 - 1, 0, -1]


def test_the_range_of_ids() -> None:
    assert possible_id(1)
    assert possible_id(MAX_ID)
    assert not any(possible_id(value) for value in HUGE)


@pytest.mark.parametrize("pupil_id", HUGE)
async def test_a_parent_asking_for_an_impossible_pupil_finds_nothing(
    core: Core, pupil_id: int
) -> None:
    world = await build_world(core)
    parent = await viewer(core, world.a.parent_5a)
    with pytest.raises(NotFound):
        await marks.pupil_marks(core.uow(), parent, pupil_id=pupil_id)
    with pytest.raises(NotFound):
        await attendance.pupil_attendance(core.uow(), parent, pupil_id=pupil_id)
    with pytest.raises(NotFound):
        await timetable.week_timetable(core.uow(), parent, pupil_id=pupil_id)


async def test_a_teacher_naming_an_impossible_group_finds_nothing(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    with pytest.raises(NotFound):
        await marks.create_assessment(
            core.uow(), teacher, group_id=2**40, on=date(2026, 11, 26), title="Kontroldarbs"
        )
