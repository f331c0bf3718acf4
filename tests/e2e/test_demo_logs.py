"""The demo in this process: its school's people and its run-time token stay out of the logs.

The log scan (tests/logscan.py) reads the demo school's people back from this test's database and
learns the token the demo makes; this test drives every persona through /start so that the bot,
the sandbox, aiogram and aiohttp all log while they work.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.demo import run_demo
from bot.i18n import Translator, load_catalogs
from bot.runtime import Shutdown
from bot.settings import AppSettings
from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.schools import seed_demo
from sandbox.client import SandboxClient
from tests.logscan import SCAN_KEY

pytestmark = pytest.mark.e2e
URL = re.compile(r"http://127\.0\.0\.1:\d+/")


async def test_the_demo_logs_no_person_and_no_token(
    core: Core, request: pytest.FixtureRequest
) -> None:
    await seed_demo(
        core.uow(),
        Viewer.console(),
        seed=3,
        classes_per_grade=1,
        pupils_per_class=3,
        zone=ZoneInfo("Europe/Riga"),
        today=date(2026, 11, 27),
    )
    settings = AppSettings(calendar={"listen": "127.0.0.1:0"})  # type: ignore[arg-type]
    said: list[str] = []
    shutdown = Shutdown()
    scan = request.config.stash[SCAN_KEY]
    known = set(scan.secrets)
    demo = asyncio.create_task(
        run_demo(
            core,
            settings,
            port=0,
            open_browser=False,
            seed=3,
            say=said.append,
            t=Translator(load_catalogs(), "en"),
            shutdown=shutdown,
        )
    )
    try:
        async with asyncio.timeout(30):
            while not any(URL.search(line) for line in said):
                assert not demo.done(), demo.exception()
                await asyncio.sleep(0.05)
        [url] = [m.group(0) for line in said if (m := URL.search(line))]
        async with SandboxClient(url) as client:
            personas = await client.personas()
            assert len(personas) >= 3
            for persona in personas:
                await client.send_text(persona["user_id"], "/start")
                replies = await client.wait_for_bot_messages(persona["user_id"], 1, timeout=15)
                assert replies
    finally:
        shutdown.request()
        async with asyncio.timeout(20):
            await demo
    assert len(scan.secrets - known) == 1, "the scan did not learn the demo's token"
