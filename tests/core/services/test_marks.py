"""Recording, correcting and reading marks through the services on a real database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.marks import MarkKind
from core.errors import InvalidInput
from core.services import marks
from core.services.marks import MarkEntriesInvalid
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_world, viewer

DAY = date(2026, 11, 26)


async def count(core: Core, model: type[t.Base]) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_teacher_records_marks_and_parent_sees_them_with_average(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Daļskaitļi"
    )
    assert test.scale == "ten_point"
    await marks.record_marks(
        core.uow(),
        teacher,
        assessment_id=test.id,
        entries={world.a.pupil_5a: "8", world.a.pupil_5a_second: "nv"},
    )
    quiz = await marks.create_assessment(
        core.uow(),
        teacher,
        group_id=world.a.math_group,
        on=DAY,
        title="Ātrā pārbaude",
        kind=MarkKind.FORMATIVE,
    )
    await marks.record_marks(
        core.uow(), teacher, assessment_id=quiz.id, entries={world.a.pupil_5a: "3"}
    )
    second = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Procenti"
    )
    await marks.record_marks(
        core.uow(), teacher, assessment_id=second.id, entries={world.a.pupil_5a: "7"}
    )

    parent = await viewer(core, world.a.parent_5a)
    result = await marks.pupil_marks(
        core.uow(), parent, pupil_id=world.a.pupil_5a, start=date(2026, 9, 1), end=DAY
    )
    (subject,) = result.subjects
    assert subject.subject_name == "Matemātika"
    assert [m.value for m in subject.marks] == ["8", "3", "7"]
    # The formative 3 does not count: (8 + 7) / 2.
    assert subject.average == Decimal("7.50")

    other = await marks.pupil_marks(
        core.uow(),
        await viewer(core, world.a.parent_5a_second),
        pupil_id=world.a.pupil_5a_second,
        start=date(2026, 9, 1),
        end=DAY,
    )
    (only,) = other.subjects
    assert only.marks[0].status == "nv"
    assert only.average is None


async def test_a_batch_with_one_invalid_entry_saves_nothing(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Kontroldarbs"
    )
    with pytest.raises(MarkEntriesInvalid) as caught:
        await marks.record_marks(
            core.uow(),
            teacher,
            assessment_id=test.id,
            entries={world.a.pupil_5a: "9", world.a.pupil_5a_second: "11"},
        )
    assert [(e.pupil_id, e.text) for e in caught.value.errors] == [(world.a.pupil_5a_second, "11")]
    assert "10" in caught.value.errors[0].valid
    assert await count(core, t.Mark) == 0


async def test_grade_two_uses_learning_levels(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.latvian_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.latvian_group, on=DAY, title="Diktāts"
    )
    assert test.scale == "levels"
    with pytest.raises(MarkEntriesInvalid):
        await marks.record_marks(
            core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_2a: "8"}
        )
    (saved,) = await marks.record_marks(
        core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_2a: "apguvis"}
    )
    assert saved.value == "A"


async def test_correction_keeps_history_and_unchanged_value_adds_nothing(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Kontroldarbs"
    )
    await marks.record_marks(
        core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "nv"}
    )
    (fixed,) = await marks.record_marks(
        core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "6"}
    )
    await marks.record_marks(
        core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "6"}
    )
    history = await marks.mark_history(
        core.uow(),
        await viewer(core, world.a.parent_5a),
        mark_id=fixed.id,
        pupil_id=world.a.pupil_5a,
    )
    assert [(h.revision, h.status, h.value) for h in history] == [
        (1, "nv", None),
        (2, "mark", "6"),
    ]
    assert await count(core, t.DomainEvent) == 2
    assert await count(core, t.AuditEntry) >= 3  # assessment + two mark writes


async def test_pupil_outside_the_group_cannot_get_a_mark(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Kontroldarbs"
    )
    with pytest.raises(InvalidInput):
        await marks.record_marks(
            core.uow(), teacher, assessment_id=test.id, entries={world.b.pupil_5a: "5"}
        )
    assert await count(core, t.Mark) == 0


async def test_subject_teacher_sees_only_own_groups(core: Core) -> None:
    world = await build_world(core)
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Kontroldarbs"
    )
    await marks.record_marks(
        core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "9"}
    )
    # The superuser teaches (role teacher) but not this group and is a manager: sees all.
    seen = await marks.pupil_marks(
        core.uow(),
        await viewer(core, world.a.superuser),
        pupil_id=world.a.pupil_5a,
        start=DAY,
        end=DAY,
    )
    assert len(seen.subjects) == 1
    assert await count(core, t.AuditEntry) >= 3  # staff reads are audited
