"""Scale-out acceptance (issue #12): ``ejournal run --workers 3`` in webhook mode against the
sandbox, with Redis and PostgreSQL.

Twenty parents write ten commands each while three worker processes share one port: every update
is handled exactly once, each chat's replies come in the order of its updates, every worker takes
a share, one update POSTed several times at once is answered once, a worker killed with SIGKILL is
started again without losing or doubling an update, and SIGTERM stops everything with exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import re
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from core.bootstrap import Core, build_core
from core.clock import FakeClock
from core.config import CoreSettings, DatabaseSettings
from core.storage import tables as t
from core.storage.database import create_engine
from core.storage.tables import Base
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import SandboxConfig
from tests.builders import build_world, insert, new_person
from tests.conftest import NOW
from tests.e2e.running import SECRET, TOKEN, link_user, until
from tests.processes import alive

pytestmark = pytest.mark.e2e

WORKERS = 3
PARENTS = 20
FIRST_USER = 9101
# Each command's reply, told apart by its first line (a parent of one child, in English).
REPLIES = {
    "/start": "Hello, ",
    "/help": "What you can do here",
    "/marks": "— marks",
    "/absences": "— absences",
    "/diary": "— diary",
    "/homework": "— homework",
    "/timetable": "— timetable",
    "/news": "School news",
    "/settings": "Settings",
    "/history": "— changes since",
}
COMMANDS = list(REPLIES)
# A loaded 2-CPU machine starts three Python processes slowly.
START_S = 240.0
REPLIES_S = 240.0
READY = re.compile(r"worker (\d+) pid (\d+) ready")
STARTED = re.compile(r"worker (\d+) pid (\d+) started")


def script(index: int) -> list[str]:
    """Parent ``index``'s ten commands: the list turned by ``index``, so each chat differs."""
    turn = index % len(COMMANDS)
    return COMMANDS[turn:] + COMMANDS[:turn]


def command_of(reply: str) -> str:
    """Which command a bot message answers (by its first line)."""
    first = reply.splitlines()[0] if reply else ""
    found = [command for command, marker in REPLIES.items() if marker in first]
    assert len(found) == 1, f"cannot tell which command {first!r} answers"
    return found[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """The supervisor subprocess and what it logs."""

    process: asyncio.subprocess.Process
    log: Path
    port: int

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def ready(self) -> dict[int, int]:
        """Worker number → pid of its latest ready process."""
        return {int(i): int(pid) for i, pid in READY.findall(self.text())}

    def started_pids(self) -> set[int]:
        return {int(pid) for _, pid in STARTED.findall(self.text())}

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def health(self) -> dict[str, Any]:
        """``/healthz`` over a new connection (so the kernel picks a worker afresh)."""
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            url = f"http://127.0.0.1:{self.port}/healthz"
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=20)) as response:
                body: dict[str, Any] = await response.json()
                return body

    async def workers_seen(self, want: set[int], tries: int = 300) -> dict[int, int]:
        """pid → handled, asking ``/healthz`` until every pid in ``want`` answered."""
        seen: dict[int, int] = {}
        for _ in range(tries):
            body = await self.health()
            seen[int(body["pid"])] = int(body["handled"])
            if want <= set(seen):
                break
        return seen


@pytest.fixture
async def pg_core(postgres_url: str) -> AsyncIterator[Core]:
    """The core on the session's PostgreSQL database, emptied (PostgreSQL only: skips without)."""
    engine = create_engine(postgres_url)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    core = build_core(CoreSettings(database=DatabaseSettings(url=postgres_url)), FakeClock(NOW))
    yield core
    await core.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    config = SandboxConfig(
        token=TOKEN, webhook_timeout=60, webhook_retry_delay=0.1, webhook_max_retry_delay=1.0
    )
    async with running_sandbox(config=config) as running:
        yield running


async def parents(core: Core, sandbox: RunningSandbox) -> list[int]:
    """Twenty parents of one 5.a pupil, each linked to a sandbox user who writes in English."""
    world = await build_world(core)
    users = []
    for index in range(PARENTS):
        user_id = FIRST_USER + index
        person = await new_person(core, f"Parent{index}", "Scaleout")
        await insert(core, t.Guardianship(guardian_id=person, pupil_id=world.a.pupil_5a))
        await link_user(core, sandbox.client, person, user_id, f"Parent{index}", language="en")
        users.append(user_id)
    return users


def write_config(
    path: Path, *, database: str, redis_url: str, prefix: str, api: str, port: int
) -> None:
    path.write_text(
        f"""
[database]
url = "{database}"

[redis]
url = "{redis_url}"
key_prefix = "{prefix}"

[bot]
token = "{TOKEN}"
api_base = "{api}"
webhook_secret = "{SECRET}"
listen_host = "127.0.0.1"
listen_port = {port}
drain_seconds = 10
# twenty chats writing fast: flood control is not what this test is about
flood_rate = 1000
flood_burst = 1000

[calendar]
enabled = false

[notifications]
run_scheduler = false
""",
        encoding="utf-8",
    )
    path.chmod(0o600)


@contextlib.asynccontextmanager
async def cluster(config: Path, log: Path, port: int) -> AsyncIterator[Cluster]:
    """``ejournal run --workers 3`` as a real subprocess; every process is gone afterwards."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EJOURNAL_")}
    command = [sys.executable, "-m", "bot", "--config", str(config), "--lang", "en", "run"]
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command,
            "--workers",
            str(WORKERS),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
        )
    running = Cluster(process, log, port)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(60):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        for pid in running.started_pids():  # whatever the supervisor left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def send_all(sandbox: RunningSandbox, plan: dict[int, list[str]]) -> None:
    """Every chat writes its commands in order at once (the sandbox queues a chat's updates)."""

    async def chat(user: int, commands: list[str]) -> None:
        for command in commands:
            await sandbox.client.send_text(user, command)

    await asyncio.gather(*(chat(user, commands) for user, commands in plan.items()))


async def wait_for_replies(sandbox: RunningSandbox, sent: dict[int, list[str]]) -> None:
    """Until every update is confirmed and every chat holds one reply per command sent."""

    async def done() -> bool:
        if await sandbox.client.updates(pending=True):
            return False
        for user, commands in sent.items():
            if len(await sandbox.client.bot_messages(user)) < len(commands):
                return False
        return True

    await until(done, REPLIES_S)


async def post_concurrently(url: str, payload: dict[str, Any], times: int) -> list[int]:
    """POST the same update ``times`` times at once, each over its own connection."""

    async def once() -> int:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            timeout = aiohttp.ClientTimeout(total=60)
            async with session.post(url, json=payload, headers=headers, timeout=timeout) as r:
                await r.read()
                return r.status

    return list(await asyncio.gather(*(once() for _ in range(times))))


async def test_three_workers_handle_every_update_once_and_in_order(
    pg_core: Core,
    sandbox: RunningSandbox,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    users = await parents(pg_core, sandbox)
    plans = {user: script(index) for index, user in enumerate(users)}
    port = free_port()
    config = tmp_path / "config.toml"
    write_config(
        config,
        database=pg_core.settings.database.url,
        redis_url=redis_url,
        prefix=redis_prefix,
        api=sandbox.api_url,
        port=port,
    )
    async with cluster(config, tmp_path / "workers.log", port) as workers:
        await until(lambda: _ready(workers, WORKERS), START_S)
        first = workers.ready()

        # Round one: five commands per chat, all chats at once.
        half = {user: commands[:5] for user, commands in plans.items()}
        await send_all(sandbox, half)
        await wait_for_replies(sandbox, half)
        shares = await workers.workers_seen(set(first.values()))
        assert set(shares) == set(first.values()), workers.tail()
        assert all(handled > 0 for handled in shares.values()), shares
        assert sum(shares.values()) == PARENTS * 5
        assert workers.text().count("leading: fan-out") == 1  # one scheduler leader

        # A worker dies (SIGKILL) between updates; the second round flows while it is replaced.
        victim = first[2]
        os.kill(victim, signal.SIGKILL)
        await send_all(sandbox, {user: commands[5:] for user, commands in plans.items()})
        await wait_for_replies(sandbox, plans)
        await until(lambda: _replaced(workers, 2, victim), START_S)
        assert re.search(rf"worker 2 pid {victim} exited \(signal SIGKILL\)", workers.text())

        # Exactly once and in order: one successful delivery per update, one reply per
        # command, and each chat's replies in the order of its commands.
        updates = await sandbox.client.updates()
        assert len(updates) == PARENTS * len(COMMANDS)
        assert all(u["confirmed"] and u["delivered_via"] == "webhook" for u in updates)
        deliveries = (await sandbox.client.webhook())["deliveries"]
        ok = Counter(d["update_id"] for d in deliveries if d["ok"])
        assert ok == Counter(u["update_id"] for u in updates)
        for user, commands in plans.items():
            replies = [m["text"] for m in await sandbox.client.bot_messages(user)]
            assert [command_of(reply) for reply in replies] == commands, user

        # The same update POSTed five times at once, straight to the port: one reply.
        user = users[0]
        payload = copy.deepcopy(updates[-1]["update"])
        message = payload["message"]
        payload["update_id"] = 10_000_000
        message.update(text="/news", chat={**message["chat"], "id": user})
        message["from"] = {**message["from"], "id": user}
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
        before = len(await sandbox.client.bot_messages(user))
        statuses = await post_concurrently(workers.webhook, payload, 5)
        assert 200 in statuses, statuses
        assert set(statuses) <= {200, 503}, statuses
        await sandbox.client.wait_for_bot_messages(user, before + 1, timeout=30)
        await asyncio.sleep(2)  # a second reply would have come by now
        replies = await sandbox.client.bot_messages(user)
        assert len(replies) == before + 1
        assert command_of(replies[-1]["text"]) == "/news"
        assert await post_concurrently(workers.webhook, payload, 1) == [200]  # done already

        # SIGTERM to the supervisor: every worker drains and exits, then the supervisor, with 0.
        pids = workers.started_pids()
        workers.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(90):
            code = await workers.process.wait()
        assert code == 0, workers.tail()
        assert not [pid for pid in pids if alive(pid)], workers.tail()
        log = workers.text()
        assert len(re.findall(r"worker \d+ pid \d+ exited", log)) == len(pids)
        for secret in (TOKEN, SECRET):
            assert secret not in log
        assert "Parent" not in log  # no names in the workers' logs
        assert "Scaleout" not in log


async def _ready(workers: Cluster, count: int) -> bool:
    if workers.process.returncode is not None:
        raise AssertionError(f"the supervisor exited early:\n{workers.tail()}")
    return len(workers.ready()) == count


async def _replaced(workers: Cluster, index: int, old: int) -> bool:
    pid = workers.ready().get(index)
    return pid is not None and pid != old and alive(pid)
