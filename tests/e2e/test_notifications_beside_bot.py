"""The bot process runs the notifications engine: a teacher's mark reaches the parent's chat,
and blocking or unblocking the bot stops or resumes deliveries."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.__main__ import ProductSettings, notifications_beside
from core.bootstrap import Core
from core.clock import FakeClock
from core.services import marks
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.settings import NotificationsSettings
from sandbox.server import RunningSandbox
from tests.builders import World, viewer
from tests.e2e.conftest import PARENT
from tests.e2e.running import RunningBot, bot_settings, exchange, until

pytestmark = pytest.mark.e2e


def product_settings(sandbox: RunningSandbox) -> ProductSettings:
    bot = bot_settings(sandbox, "polling")
    engine = NotificationsSettings(
        mark_grace_minutes=0, run_scheduler=False, fanout_interval_s=0.05, idle_poll_s=0.05
    )
    return ProductSettings(bot=bot.bot, notifications=engine)


async def account_status(core: Core) -> str:
    async with create_session_factory(core.engine)() as session:
        status = await session.scalar(
            select(t.Account.status).where(t.Account.telegram_user_id == PARENT)
        )
    return str(status)


async def flowing(clock: FakeClock) -> None:
    """Let the frozen test clock run at real speed (the engine paces itself by it)."""
    while True:
        await asyncio.sleep(0.02)
        clock.advance(timedelta(seconds=0.02))


async def test_a_mark_reaches_the_parent_and_blocking_stops_deliveries(
    core: Core, clock: FakeClock, sandbox: RunningSandbox, world: World
) -> None:
    settings = product_settings(sandbox)
    time_flows = asyncio.create_task(flowing(clock))
    async with notifications_beside(core, settings)(settings):
        running = await RunningBot(core, settings, "polling", None).started()
        try:
            await exchange(sandbox.client, PARENT, "/start")  # a parent opens the bot first
            teacher = await viewer(core, world.a.math_teacher)
            test = await marks.create_assessment(
                core.uow(),
                teacher,
                group_id=world.a.math_group,
                on=date(2026, 11, 26),
                title="Daļskaitļi",
            )
            await marks.record_marks(
                core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "9"}
            )
            messages = await sandbox.client.wait_for_bot_messages(PARENT, 2, timeout=15)
            message = messages[-1]
            assert "Matemātika" in message["text"]
            assert "9" in message["text"]

            await sandbox.client.block(PARENT)
            await until(lambda: _status_is(core, "unreachable"))
            await sandbox.client.unblock(PARENT)
            await until(lambda: _status_is(core, "active"))
        finally:
            await running.stop()
            time_flows.cancel()


async def _status_is(core: Core, expected: str) -> bool:
    return await account_status(core) == expected
