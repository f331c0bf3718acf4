"""Owns ``ejournal run --workers N``: a supervisor that keeps N webhook processes running.

Each worker is a whole ``ejournal run --mode webhook`` process (bot, notifications engine and
calendar feeds) started with ``EJOURNAL_BOT__WORKERS=N``, so that every one binds the same
``[bot] listen_host:listen_port`` with ``SO_REUSEPORT`` and the kernel spreads connections over
them: the reverse proxy needs one upstream. Shared state lives in PostgreSQL and Redis
(docs/scale-out.md); the supervisor holds none. It forwards SIGTERM/SIGINT (workers drain),
restarts a worker that dies, and gives up when a worker keeps dying at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.runtime import Shutdown
from bot.settings import AppSettings

log = logging.getLogger("ejournal.workers")

MAX_WORKERS = 64
WORKERS_ENV = "EJOURNAL_BOT__WORKERS"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RestartPolicy:
    """When the supervisor restarts a worker, and when it stops trying.

    A worker that exits before it reported ready (its webhook is listening) failed to start:
    a refused token, an unreachable database. One that exits later died and is started again
    at once, unless it had run less than ``quick_exit_s``.

    Attributes:
        give_up_after: Failed starts in a row of one worker after which every worker stops.
        backoff_s: The wait before restarting after a failed start; doubles with each one.
        max_backoff_s: The longest wait between restarts.
        quick_exit_s: A ready worker that dies sooner than this is restarted after ``backoff_s``.
        stop_timeout_s: After asking the workers to stop, how long before they are killed.
    """

    give_up_after: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    quick_exit_s: float = 10.0
    stop_timeout_s: float = 60.0

    def delay(self, failed_starts: int, uptime: float) -> float:
        """The wait before the next start."""
        if failed_starts > 0:
            return float(min(self.backoff_s * 2 ** (failed_starts - 1), self.max_backoff_s))
        return self.backoff_s if uptime < self.quick_exit_s else 0.0


def describe_exit(code: int) -> str:
    """``code 1`` or ``signal SIGKILL`` (asyncio reports a signal as a negative code)."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
        return f"signal {-code}"
    return f"code {code}"


class Supervisor:
    """Runs ``count`` worker processes until a stop is requested or they keep failing."""

    def __init__(
        self,
        command: Callable[[int, int], Sequence[str]],
        count: int,
        *,
        env: Mapping[str, str] | None = None,
        policy: RestartPolicy | None = None,
    ) -> None:
        self.command = command
        self.count = count
        self.env = dict(os.environ if env is None else env)
        self.policy = policy or RestartPolicy()
        self.children: dict[int, asyncio.subprocess.Process] = {}
        self.exit_code = 0
        self._stopping = asyncio.Event()
        self._killer: asyncio.Task[None] | None = None

    async def run(self, shutdown: Shutdown) -> int:
        """Start every worker and keep them running; the exit code once all have stopped.

        0 after a requested stop; a worker's own exit code when it kept dying at start.
        """
        keepers = [
            asyncio.create_task(self._guarded(index), name=f"ejournal-worker-{index}")
            for index in range(1, self.count + 1)
        ]
        forwarding = asyncio.create_task(self._forward(shutdown), name="ejournal-workers-stop")
        try:
            results = await asyncio.gather(*keepers, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        finally:
            forwarding.cancel()
            for keeper in keepers:
                keeper.cancel()
            await asyncio.gather(forwarding, *keepers, return_exceptions=True)
            await self._kill_all()
            if self._killer is not None:
                self._killer.cancel()
                await asyncio.gather(self._killer, return_exceptions=True)
        return self.exit_code

    def stop(self) -> None:
        """Ask every worker to stop (SIGTERM: each drains its updates in flight)."""
        self._stopping.set()
        self._signal_all(signal.SIGTERM)
        if self._killer is None:
            self._killer = asyncio.create_task(self._kill_late(), name="ejournal-workers-kill")

    async def _forward(self, shutdown: Shutdown) -> None:
        await shutdown.stop.wait()
        log.info("stopping %d workers", len(self.children))
        self.stop()
        await shutdown.hurry.wait()  # a second signal: the workers stop waiting, too
        self._signal_all(signal.SIGTERM)

    async def _guarded(self, index: int) -> None:
        """``_keep``; should starting a process fail (no interpreter), every worker stops."""
        try:
            await self._keep(index)
        except Exception:
            self.exit_code = 1
            self.stop()
            raise

    async def _keep(self, index: int) -> None:
        """Run worker ``index``; start it again when it exits unless everything is stopping."""
        loop = asyncio.get_running_loop()
        failed_starts = 0
        while not self._stopping.is_set():
            started = loop.time()
            code, ready = await self._run_once(index)
            if self._stopping.is_set():
                return
            failed_starts = 0 if ready else failed_starts + 1
            if failed_starts >= self.policy.give_up_after:
                log.error(
                    "worker %d failed to start %d times in a row (%s); stopping all workers",
                    index,
                    failed_starts,
                    describe_exit(code),
                )
                self.exit_code = code if code > 0 else 1
                self.stop()
                return
            delay = self.policy.delay(failed_starts, loop.time() - started)
            log.warning("worker %d died unexpectedly; restarting in %.1f s", index, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _run_once(self, index: int) -> tuple[int, bool]:
        """Start worker ``index`` and wait until it exits: its exit code, and whether it was ready.

        The worker writes one byte to an inherited pipe once its webhook listens.
        """
        loop = asyncio.get_running_loop()
        read_fd, write_fd = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command(index, write_fd),
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                pass_fds=(write_fd,),
                process_group=0,  # Ctrl-C reaches the supervisor alone, which forwards it once
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self.children[index] = process
        log.info("worker %d pid %d started", index, process.pid)
        if self._stopping.is_set():  # a stop came while it was being started
            self._signal(process, signal.SIGTERM)
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb")
        )
        try:
            ready = bool(await reader.read(1))  # b"" when it exited without a word
            if ready:
                log.info("worker %d pid %d ready", index, process.pid)
            code = await process.wait()
        except BaseException:  # cancelled: leave no process behind
            self._signal(process, signal.SIGKILL)
            await process.wait()
            raise
        finally:
            transport.close()
            self.children.pop(index, None)
        log.info("worker %d pid %d exited (%s)", index, process.pid, describe_exit(code))
        return code, ready

    def _signal_all(self, signum: signal.Signals) -> None:
        for process in list(self.children.values()):
            self._signal(process, signum)

    @staticmethod
    def _signal(process: asyncio.subprocess.Process, signum: signal.Signals) -> None:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signum)

    async def _kill_late(self) -> None:
        await asyncio.sleep(self.policy.stop_timeout_s)
        if self.children:
            log.warning("%d workers did not stop in time; killing them", len(self.children))
        self._signal_all(signal.SIGKILL)

    async def _kill_all(self) -> None:
        """Leave no process behind (after an error, or when cancelled)."""
        left = list(self.children.values())
        for process in left:
            self._signal(process, signal.SIGKILL)
        for process in left:
            with contextlib.suppress(ProcessLookupError):
                await process.wait()
        self.children.clear()


def worker_command(
    index: int,
    ready_fd: int,
    *,
    config: Path | None,
    lang: str | None,
    python: str = sys.executable,
) -> list[str]:
    """The command line of worker ``index``: this console's ``run --mode webhook``."""
    command = [python, "-m", "bot"]
    if config is not None:
        command += ["--config", str(config)]
    if lang is not None:
        command += ["--lang", lang]
    worker = [
        "--worker",
        str(index),
        "--ready-fd",
        str(ready_fd),
        "--supervisor",
        str(os.getpid()),
    ]
    return [*command, "run", "--mode", "webhook", *worker]


def announce_ready(fd: int | None) -> Callable[[str], None] | None:
    """In a worker: tell the supervisor through ``fd`` once the webhook listens."""
    if fd is None:
        return None

    def ready(_url: str) -> None:
        with contextlib.suppress(OSError):
            os.write(fd, b"R")
            os.close(fd)

    return ready


def worker_env(count: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The workers' environment: ours plus ``EJOURNAL_BOT__WORKERS`` (their shared socket)."""
    env = dict(os.environ if base is None else base)
    env[WORKERS_ENV] = str(count)
    return env


def workers_problem(settings: AppSettings, mode: str | None) -> str | None:
    """The message key of what stops ``run --workers N`` (N > 1), or None when all is there."""
    if mode == "polling":
        return "run.workers_polling"
    if not settings.redis.enabled:
        return "run.workers_need_redis"
    if not settings.database.url.startswith("postgresql"):
        return "run.workers_need_postgresql"
    if settings.bot.listen_port == 0 or (
        settings.calendar.enabled and settings.calendar.port == 0
    ):
        return "run.workers_need_port"
    return None


def follow_supervisor(supervisor: int | None) -> None:
    """In a worker: receive SIGTERM when the supervisor dies, even by SIGKILL (Linux only).

    A supervisor that died while this worker was starting is noticed here, too.
    """
    if supervisor is None:
        return
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != supervisor:
        os.kill(os.getpid(), signal.SIGTERM)
