"""Kill test: a worker process is SIGKILLed mid-run and restarted; every message arrives.

Duplicates are counted from Telegram's side (the sandbox's record of received messages) and
bounded by the sends that were in flight at the kill: deliveries the dead worker had sent
(the sandbox has them) but not yet recorded as sent (their row was still ``sending``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from core.bootstrap import Core
from core.clock import SystemClock
from notifications.outbox import Outbox
from notifications.records import Status
from sandbox.ratelimit import RateLimitConfig
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import SandboxConfig
from tests.notifications.loadcheck import audit, enqueue_load, marker, start_users

from .conftest import all_sent, deliveries, eventually

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7171:KILL-token"
MESSAGES = 1000
USERS = 500
RATE = 400
IN_FLIGHT = 32


def worker_env(core: Core, sb: RunningSandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "EJOURNAL_DATABASE__URL": core.settings.database.url,
            "EJOURNAL_BOT__TOKEN": TOKEN,
            "EJOURNAL_BOT__API_BASE": sb.api_url,
            "EJOURNAL_LOGGING__LEVEL": "WARNING",
            "EJOURNAL_NOTIFICATIONS__GLOBAL_PER_SECOND": str(RATE),
            "EJOURNAL_NOTIFICATIONS__GLOBAL_BURST": "5",
            "EJOURNAL_NOTIFICATIONS__PACING_GUARD_S": "0.02",
            "EJOURNAL_NOTIFICATIONS__MAX_IN_FLIGHT": str(IN_FLIGHT),
            "EJOURNAL_NOTIFICATIONS__CLAIM_BATCH": "100",
            "EJOURNAL_NOTIFICATIONS__LEASE_S": "2",
            "EJOURNAL_NOTIFICATIONS__IDLE_POLL_S": "0.05",
            "EJOURNAL_NOTIFICATIONS__BACKOFF_BASE_S": "0.05",
            "EJOURNAL_NOTIFICATIONS__RUN_SCHEDULER": "false",
        }
    )
    return env


async def start_worker(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "notifications",
        "worker",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def ok_calls(sb: RunningSandbox) -> int:
    return sum(1 for c in sb.state.calls if c.method == "sendMessage" and c.ok)


async def test_a_killed_worker_loses_nothing_and_duplicates_only_sends_in_flight(
    core: Core, tmp_path: Path
) -> None:
    config = SandboxConfig(
        token=TOKEN,
        rate_limits=RateLimitConfig(
            enabled=True, global_per_second=RATE, global_burst=RATE // 10, private_per_second=1
        ),
    )
    outbox = Outbox(core.engine)
    async with running_sandbox(config=config) as sb:
        users = start_users(sb, USERS)
        await enqueue_load(outbox, users, MESSAGES, SystemClock().now())
        env = worker_env(core, sb)

        first = await start_worker(env, tmp_path)
        await eventually(lambda: ok_calls(sb) >= 300, within=60)
        first.kill()  # SIGKILL: no drain, no cleanup
        assert await first.wait() == -signal.SIGKILL
        await asyncio.sleep(0.3)  # let the sandbox finish requests that reached it

        rows = await deliveries(core)
        leased = {row.payload["text"] for row in rows if row.status == "sending"}
        arrived = Counter(
            c.params["text"] for c in sb.state.calls if c.method == "sendMessage" and c.ok
        )
        in_flight = len(leased & set(arrived))  # sent, but the dead worker never recorded it
        sent_before = sum(1 for row in rows if row.status == "sent")
        assert 0 < sent_before < MESSAGES
        assert in_flight <= IN_FLIGHT

        second = await start_worker(env, tmp_path)
        try:
            await eventually(lambda: all_sent(outbox, MESSAGES), within=60)
        finally:
            second.send_signal(signal.SIGTERM)  # graceful this time: drain and exit 0
            _, errors = await second.communicate()
        assert second.returncode == 0, errors.decode()
        result = audit(sb, MESSAGES)

    assert await outbox.status_counts() == {Status.SENT: MESSAGES}
    assert result.lost == 0
    assert result.delivered == MESSAGES
    assert result.duplicates <= in_flight
    duplicated = {
        marker(i)
        for i in range(MESSAGES)
        if Counter(c.params["text"] for c in sb.state.calls if c.method == "sendMessage" and c.ok)[
            marker(i)
        ]
        > 1
    }
    assert duplicated <= leased  # only deliveries the dead worker held can arrive twice
