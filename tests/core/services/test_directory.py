"""Whom a person follows, and which dates "this semester" covers on their screens."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services import attendance, marks
from core.services.directory import linked_pupils
from tests.builders import build_world, viewer


async def test_parent_follows_exactly_their_children_with_classes(core: Core) -> None:
    world = await build_world(core)
    parent = await viewer(core, world.a.parent_5a)
    pupils = await linked_pupils(core.uow(), parent)
    assert [(p.given_name, p.class_name) for p in pupils] == [("Ērika", "2.a"), ("Jānis", "5.a")]
    pupil = await viewer(core, world.a.pupil_5a)
    assert [p.pupil_id for p in await linked_pupils(core.uow(), pupil)] == [world.a.pupil_5a]
    teacher = await viewer(core, world.a.math_teacher)
    assert await linked_pupils(core.uow(), teacher) == ()
    assert (
        await linked_pupils(
            core.uow(),
            Viewer(person_id=None, children=frozenset({world.b.pupil_5a}), active=False),
        )
        == ()
    )


async def test_default_period_is_this_semester_up_to_today(core: Core, clock: FakeClock) -> None:
    world = await build_world(core)
    parent = await viewer(core, world.a.parent_5a)
    result = await marks.pupil_marks(core.uow(), parent, pupil_id=world.a.pupil_5a)
    assert (result.term, result.start, result.end) == (1, date(2026, 9, 1), date(2026, 11, 27))
    assert result.pupil.class_name == "5.a"

    clock.set(datetime(2026, 12, 30, 9, tzinfo=UTC))  # winter holidays: the semester that ended
    absences = await attendance.pupil_attendance(core.uow(), parent, pupil_id=world.a.pupil_5a)
    assert (absences.term, absences.start, absences.end) == (
        1,
        date(2026, 9, 1),
        date(2026, 12, 18),
    )
    assert {c.code for c in absences.codes} == {"n", "k", "ns"}

    clock.set(datetime(2027, 2, 10, 9, tzinfo=UTC))
    result = await marks.pupil_marks(core.uow(), parent, pupil_id=world.a.pupil_5a)
    assert (result.term, result.start, result.end) == (2, date(2027, 1, 4), date(2027, 2, 10))

    explicit = await marks.pupil_marks(
        core.uow(),
        parent,
        pupil_id=world.a.pupil_5a,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
    )
    assert (explicit.term, explicit.start, explicit.end) == (
        None,
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
