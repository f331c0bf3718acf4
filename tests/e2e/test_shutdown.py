"""`ejournal run` as a real process: SIGTERM during a slow reply lets the handler finish."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from core.bootstrap import Core
from sandbox.server import RunningSandbox
from tests.builders import World
from tests.e2e.conftest import PARENT
from tests.e2e.running import TOKEN, until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


async def test_sigterm_during_a_slow_reply_lets_it_finish(
    core: Core, database_url: str, sandbox: RunningSandbox, world: World, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EJOURNAL_DATABASE__URL": database_url,
        "EJOURNAL_BOT__TOKEN": TOKEN,
        "EJOURNAL_BOT__API_BASE": sandbox.api_url,
        "EJOURNAL_BOT__DRAIN_SECONDS": "10",
        "EJOURNAL_LOGGING__LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--mode",
        "polling",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    client = sandbox.client
    try:
        await until(lambda: _called(sandbox, "getUpdates"), seconds=30)
        await client.set_fault("slow", method="sendMessage", delay=1.5, count=1)
        await client.send_text(PARENT, "/start")
        await until(lambda: _called(sandbox, "sendMessage"))
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert time.monotonic() - signalled >= 1.0, "the process did not wait for its handler"
    # The handler went on after its slow reply: it set the parent's command list.
    scopes = [json.loads(c["params"]["scope"]) for c in await client.calls("setMyCommands")]
    assert {"type": "chat", "chat_id": PARENT} in scopes
    [reply] = await client.bot_messages(PARENT)
    assert reply["text"].startswith("Sveiki, Līga!")
    # The handled update was confirmed before exiting: a restart will not see it again.
    assert await client.updates(pending=True) == []
    logs = stderr.decode()
    assert "ejournal" in logs or "aiogram" in logs, "nothing logged: the check proves nothing"
    assert TOKEN not in logs
    assert TOKEN.split(":", 1)[1] not in logs
    assert "Traceback" not in logs


async def _called(sandbox: RunningSandbox, method: str) -> bool:
    return bool(await sandbox.client.calls(method))
