"""Fixtures for end-to-end tests: a sandbox with quick webhook retries and the real bot runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime import Mode
from core.bootstrap import Core
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import SandboxConfig
from tests.builders import World, build_world
from tests.e2e.running import TOKEN, RunningBot, bot_settings, link_user

PARENT, TEACHER = 8001, 8002


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    config = SandboxConfig(
        token=TOKEN, webhook_timeout=5, webhook_retry_delay=0.1, webhook_max_retry_delay=0.5
    )
    async with running_sandbox(config=config) as running:
        yield running


@pytest.fixture
async def world(core: Core, sandbox: RunningSandbox) -> World:
    """The builders' world with a parent (lv) and a teacher (en) linked to sandbox users."""
    world = await build_world(core)
    for person, user_id, language, name in (
        (world.a.parent_5a, PARENT, "lv", "Līga"),
        (world.a.math_teacher, TEACHER, "en", "Māra"),
    ):
        await link_user(
            core, sandbox.client, person, user_id, name, language=language, client_language="lv"
        )
    return world


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> Mode:
    mode: Mode = request.param
    return mode


@pytest.fixture
async def running_bot(
    core: Core, sandbox: RunningSandbox, world: World, mode: Mode
) -> AsyncIterator[RunningBot]:
    running = await RunningBot(core, bot_settings(sandbox, mode), mode, None).started()
    yield running
    await running.stop()
