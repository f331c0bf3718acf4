"""/mydata through the real Dispatcher: who is offered what; forged buttons change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.callbacks import MyDataCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, buttons, open_chats
from tests.builders import World, build_world

PARENT, OTHER_PARENT, PUPIL, TEACHER = 9401, 9402, 9403, 9404


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


@pytest.fixture
async def chats(core: Core, world: World) -> Chats:
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.parent_5a_second, OTHER_PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "en"),
        (world.a.other_teacher, TEACHER, "en"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def requests(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.AccessRequest)) or 0)


async def test_each_person_is_offered_only_their_own_and_their_childrens_data(
    chats: Chats,
) -> None:
    [parent] = await chats.user(PARENT).send("/mydata")
    assert parent.text.startswith("<b>📦 Mani dati</b>")
    assert list(buttons(parent)) == [
        "📦 Pieprasīt manus datus",
        "📦 Pieprasīt datus: Jānis Alfa-Bērziņš",
        "📦 Pieprasīt datus: Ērika Alfa-Bērziņa",
        "⬅️ Izvēlne",
    ]
    [pupil] = await chats.user(PUPIL).send("/mydata")
    assert list(buttons(pupil)) == ["📦 Ask for my data", "⬅️ Menu"]
    [teacher] = await chats.user(TEACHER).send("/mydata")
    assert teacher.text == (
        "A data request can be made by a parent (for themselves or their child) or a pupil."
    )


async def test_forged_buttons_ask_for_nobody_elses_data_and_decide_nothing(
    core: Core, chats: Chats, world: World
) -> None:
    other = chats.user(OTHER_PARENT)
    for forged in (world.a.pupil_2a, world.b.pupil_5a, world.a.parent_5a, 0, 2**40):
        [answer] = await other.press(MyDataCb(action="ask", ref=forged).pack())
        assert answer.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    assert await requests(core) == 0

    await chats.user(PARENT).press(MyDataCb(action="ask", ref=world.a.pupil_5a).pack())
    assert await requests(core) == 1
    async with create_session_factory(core.engine)() as session:
        request_id = int(await session.scalar(select(t.AccessRequest.id)) or 0)
    for action in ("review", "approve", "reject"):
        [answer] = await other.press(MyDataCb(action=action, ref=request_id).pack())
        assert answer.text == "Pieprasījums nav atrasts."
    async with create_session_factory(core.engine)() as session:
        status = await session.scalar(select(t.AccessRequest.status))
    assert status == "pending"
