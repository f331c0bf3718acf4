"""Property-based: any button of any kind, crafted with any ids, shows or changes nothing foreign.

Hypothesis draws a callback class from ``ALL_CALLBACKS`` and fills its int fields with the ids
of another family's and another school's records (pupils, people, notes, files, groups,
classes, assessments, lessons), the presser's own ids, zero, negatives and huge numbers; a
parent and a teacher press it through the real Dispatcher.
"""

from __future__ import annotations

import html

import pytest
from aiogram.methods import SendDocument, SendPhoto
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.timetable_import import import_timetable
from tests.authz.crafting import SECRET, callback_data, foreign_records, row_counts
from tests.authz.matrix import MONDAY
from tests.bot.harness import Chats, open_chats
from tests.builders import WEEK_TIMETABLE_CSV, build_world

PARENT, TEACHER, UNLINKED = 9701, 9702, 9703  # UNLINKED has no account
EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def crafted_world(core: Core) -> tuple[Chats, dict[str, list[int]]]:
    world = await build_world(core)
    for school, prefix in ((world.a, "Alfa"), (world.b, "Beta")):
        await import_timetable(
            core.uow(),
            Viewer.console(),
            school_id=school.school_id,
            data=WEEK_TIMETABLE_CSV.format(a=prefix).encode(),
            filename="week.csv",
            apply=True,
        )
    chats = await open_chats(
        core, world, [(world.a.parent_5a, PARENT, "lv"), (world.a.latvian_teacher, TEACHER, "lv")]
    )
    return chats, await foreign_records(core, world, MONDAY)


async def press_and_check(
    core: Core, chats: Chats, user_id: int, data: str, foreign_names: tuple[str, ...]
) -> None:
    before = await row_counts(core)
    sent_before = len(chats.session.calls)
    for reply in await chats.user(user_id).press(data):
        shown = html.unescape(reply.text)
        assert SECRET not in shown.upper(), (data, shown)
        for name in foreign_names:
            assert name not in shown, (data, shown)
    files = (SendDocument, SendPhoto)
    assert not [c for c in chats.session.calls[sent_before:] if isinstance(c, files)]
    assert await row_counts(core) == before, data


@EXAMPLES
@given(drawn=st.data())
async def test_a_parent_pressing_crafted_buttons_sees_and_changes_nothing_foreign(
    core: Core, crafted_world: tuple[Chats, dict[str, list[int]]], drawn: st.DataObject
) -> None:
    chats, foreign = crafted_world
    a = chats.world.a
    own = [a.parent_5a, a.pupil_5a, a.pupil_2a, a.school_id, a.class_5a, a.math_group]
    names = ("Alfa-Kalniņa", "Alfa-Kalniņš", "Beta-")  # the other family, another school
    data = drawn.draw(callback_data(foreign, own), label="callback_data")
    await press_and_check(core, chats, PARENT, data, names)


@EXAMPLES
@given(drawn=st.data())
async def test_a_teacher_pressing_crafted_buttons_sees_and_changes_nothing_foreign(
    core: Core, crafted_world: tuple[Chats, dict[str, list[int]]], drawn: st.DataObject
) -> None:
    chats, foreign = crafted_world
    a = chats.world.a
    # 2.a is the Latvian teacher's own class and group: leave them out of the foreign ids, so
    # that no drawn press can be a legitimate write of their own journal.
    foreign = {
        **foreign,
        "group": [i for i in foreign["group"] if i != a.latvian_group] + [a.math_group],
        "class": [*foreign["class"], a.class_5a],
        "lesson": [*foreign["lesson"], a.lesson_math],
    }
    own = [a.latvian_teacher, a.school_id]
    names = ("Beta-",)  # school a's staff may know school a's names; never another school's
    data = drawn.draw(callback_data(foreign, own), label="callback_data")
    await press_and_check(core, chats, TEACHER, data, names)


def test_the_strategy_draws_every_callback_class() -> None:
    from bot.callbacks import ALL_CALLBACKS

    seen: set[str] = set()

    @settings(max_examples=400, derandomize=True, deadline=None)
    @given(data=callback_data({"pupil": [1, 2]}, [3]))
    def draw(data: str) -> None:
        seen.add(data.split(":", 1)[0])

    draw()
    assert seen == {cls.__prefix__ for cls in ALL_CALLBACKS}


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.data())
async def test_an_unlinked_user_pressing_crafted_buttons_learns_no_name(
    core: Core, crafted_world: tuple[Chats, dict[str, list[int]]], drawn: st.DataObject
) -> None:
    chats, foreign = crafted_world
    data = drawn.draw(callback_data(foreign, []), label="callback_data")
    await press_and_check(core, chats, UNLINKED, data, ("Alfa-", "Beta-"))
