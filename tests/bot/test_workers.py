"""``ejournal run --workers N``: what it refuses, the workers' command line, and the supervisor
(restarts, giving up, stopping) with small stand-in worker processes.

The real thing, three bot processes against the sandbox, is tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bot.__main__ import EXTENSIONS, main
from bot.runtime import Shutdown
from bot.workers import (
    WORKERS_ENV,
    RestartPolicy,
    Supervisor,
    describe_exit,
    worker_command,
    worker_env,
)
from core.cli import build_parser
from tests.processes import alive

# A stand-in worker: says ready on its pipe (unless told to fail), then waits for SIGTERM.
WORKER = """
import os, signal, sys, time
fd, behaviour = int(sys.argv[1]), sys.argv[2]
if behaviour == "fail":
    sys.exit(3)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
os.write(fd, b"R")
os.close(fd)
while True:
    time.sleep(0.05)
"""
FAST = RestartPolicy(backoff_s=0.01, max_backoff_s=0.05, quick_exit_s=0.0, stop_timeout_s=20)


def stand_in(behaviour: str = "serve") -> Callable[[int, int], Sequence[str]]:
    def command(_index: int, ready_fd: int) -> Sequence[str]:
        return [sys.executable, "-c", WORKER, str(ready_fd), behaviour]

    return command


async def wait_for(check: Callable[[], bool], seconds: float = 60.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - other processes' state
            await asyncio.sleep(0.02)


async def test_a_killed_worker_is_started_again_and_sigterm_stops_all() -> None:
    supervisor = Supervisor(stand_in(), 2, policy=FAST)
    shutdown = Shutdown()
    running = asyncio.create_task(supervisor.run(shutdown))
    try:
        await wait_for(lambda: len(supervisor.children) == 2)
        first = {index: process.pid for index, process in supervisor.children.items()}
        os.kill(first[1], signal.SIGKILL)
        await wait_for(lambda: 1 in supervisor.children and supervisor.children[1].pid != first[1])
        replacement = supervisor.children[1].pid
        assert supervisor.children[2].pid == first[2]  # the other one kept running
        shutdown.request()
        async with asyncio.timeout(30):
            assert await running == 0
    finally:
        running.cancel()
    assert not [pid for pid in (*first.values(), replacement) if alive(pid)]


async def test_workers_that_keep_failing_at_start_stop_everything_with_their_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(stand_in("fail"), 2, policy=FAST)
    async with asyncio.timeout(60):
        code = await supervisor.run(Shutdown())
    assert code == 3
    assert not supervisor.children
    started = [r for r in caplog.records if r.getMessage().endswith("started")]
    assert 3 <= len(started) <= 2 * FAST.give_up_after  # tried again, then gave up
    assert any(
        "failed to start 3 times in a row (code 3)" in r.getMessage() for r in caplog.records
    )


async def test_a_worker_that_cannot_be_started_stops_the_others() -> None:
    def command(index: int, ready_fd: int) -> Sequence[str]:
        if index == 2:
            return ["/nonexistent/python"]
        return stand_in()(index, ready_fd)

    supervisor = Supervisor(command, 2, policy=FAST)
    with pytest.raises(FileNotFoundError):
        async with asyncio.timeout(60):
            await supervisor.run(Shutdown())
    assert not supervisor.children


async def test_a_cancelled_supervisor_leaves_no_worker_behind() -> None:
    supervisor = Supervisor(stand_in(), 2, policy=FAST)
    running = asyncio.create_task(supervisor.run(Shutdown()))
    await wait_for(lambda: len(supervisor.children) == 2)
    pids = [process.pid for process in supervisor.children.values()]
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert not [pid for pid in pids if alive(pid)]


def test_restart_delays_back_off_after_failed_starts_only() -> None:
    policy = RestartPolicy(backoff_s=1, max_backoff_s=5, quick_exit_s=10)
    assert [policy.delay(n, 0.5) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert policy.delay(0, 3600) == 0  # a worker that ran for an hour: at once
    assert policy.delay(0, 2) == 1  # ready, but died within seconds: not in a tight loop
    assert describe_exit(-9) == "signal SIGKILL"
    assert describe_exit(1) == "code 1"


def test_a_worker_runs_the_console_in_webhook_mode_with_the_same_config() -> None:
    command = worker_command(2, 7, config=Path("conf/bot.toml"), lang="ru", python="py")
    assert command[:3] == ["py", "-m", "bot"]
    args = build_parser(EXTENSIONS).parse_args(command[3:])
    assert (args.command, args.mode, args.worker, args.ready_fd) == ("run", "webhook", 2, 7)
    assert args.supervisor == os.getpid()  # a worker whose supervisor is gone stops
    assert (args.config, args.lang, args.workers) == (Path("conf/bot.toml"), "ru", None)
    assert worker_env(3, {"PATH": "/bin"}) == {"PATH": "/bin", WORKERS_ENV: "3"}


BASE = """
[bot]
token = "123456:abcdef"
webhook_secret = "s3cret"
api_base = "http://127.0.0.1:9"
listen_port = 18443
[calendar]
enabled = false
[database]
url = "postgresql+asyncpg://ejournal@127.0.0.1/ejournal"
[redis]
url = "redis://127.0.0.1:6379/0"
"""


@pytest.mark.parametrize(
    ("change", "extra", "expected"),
    [
        (("redis://127.0.0.1:6379/0", ""), [], "need a shared Redis"),
        (
            ("postgresql+asyncpg://ejournal@127.0.0.1/ejournal", "sqlite+aiosqlite:///x"),
            [],
            "need PostgreSQL",
        ),
        (("listen_port = 18443", "listen_port = 0"), [], "set a fixed [bot] listen_port"),
        (("enabled = false", 'listen = "127.0.0.1:0"'), [], "set a fixed [bot] listen_port"),
        (("", ""), ["--mode", "polling"], "need webhook mode"),
        (('webhook_secret = "s3cret"', ""), [], "Webhook mode needs [bot] webhook_secret"),
    ],
)
def test_several_workers_are_refused_without_what_they_share(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    extra: list[str],
    expected: str,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BASE.replace(*change) if change[0] else BASE, encoding="utf-8")
    config.chmod(0o600)
    argv = ["--config", str(config), "--lang", "en", "run", "--workers", "3", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "started" not in err


def test_the_workers_count_comes_from_the_config_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BASE.replace("listen_port = 18443", "workers = 4"), encoding="utf-8")
    config.chmod(0o600)
    config.write_text(config.read_text().replace('url = "redis://127.0.0.1:6379/0"', ""))
    assert main(["--config", str(config), "--lang", "en", "run"]) == 2
    assert "need a shared Redis" in capsys.readouterr().err


def test_an_unreachable_redis_is_named_and_nothing_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One process with ``[redis] url`` set but nobody there: a clear message, exit code 2."""
    config = tmp_path / "config.toml"
    config.write_text(
        "[database]\n"
        f'url = "sqlite+aiosqlite:///{tmp_path / "j.sqlite3"}"\n'
        "[redis]\n"
        'url = "redis://:pw-never-shown@127.0.0.1:1/0"\n'
        "[bot]\n"
        'token = "123:abc"\n'
        'api_base = "http://127.0.0.1:1"\n'
        "[calendar]\n"
        "enabled = false\n"
        "[notifications]\n"
        "run_in_bot = false\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    assert main(["--config", str(config), "--lang", "en", "run"]) == 2
    err = capsys.readouterr().err
    assert "Redis at redis://:***@127.0.0.1:1/0 does not answer" in err
    assert "pw-never-shown" not in err
