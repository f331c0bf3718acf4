"""Composition root of the bot process: the ``ejournal`` console plus ``run`` and ``demo``.

The only bot module that touches core's wiring (``core.cli`` builds the core and migrates).
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from aiogram.exceptions import TelegramUnauthorizedError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.calendar_server import CalendarListenError, calendar_beside
from bot.demo import run_demo
from bot.i18n import Translator, load_catalogs
from bot.logs import configured_secrets, quiet_updates
from bot.runtime import Companion, Shutdown, serve
from bot.settings import AppSettings, run_problem
from bot.status import bot_sections, exit_code, report_json, report_lines
from bot.workers import (
    MAX_WORKERS,
    RestartPolicy,
    Supervisor,
    announce_ready,
    follow_supervisor,
    worker_command,
    worker_env,
    workers_problem,
)
from core.bootstrap import Core
from core.cli import Console, Extension, cmd_db_upgrade
from core.cli import main as console_main
from core.cli_status import database_section
from core.config import CoreSettings, DatabaseSettings, mask_url
from core.services.preferences import NotificationDefaults
from notifications import cli as notifications_cli
from notifications.runtime import build_notifications_runtime
from notifications.settings import NotificationsSettings
from notifications.telegram_sender import TelegramSender


def translator(console: Console) -> Translator:
    """The bot's texts (core + bot catalogs) in the console's language."""
    return Translator(load_catalogs(), console.lang)


def app_settings(console: Console) -> AppSettings:
    """The console's settings, which this composition root loads as ``AppSettings``."""
    if not isinstance(console.settings, AppSettings):  # pragma: no cover - wiring mistake
        raise TypeError("the bot console needs AppSettings")
    return console.settings


async def cmd_run(console: Console, args: argparse.Namespace) -> int:
    """Run the bot until SIGTERM/SIGINT, in polling or webhook mode (or N webhook workers)."""
    settings, t = app_settings(console), translator(console)
    workers = settings.bot.workers if args.workers is None else args.workers
    if args.worker is None and workers > 1:
        return await run_workers(console, args, workers)
    follow_supervisor(args.supervisor)
    mode = args.mode or settings.bot.mode
    problem = run_problem(settings, mode)
    if problem is not None:
        print(t(problem), file=sys.stderr)  # noqa: T201 - the console's own output
        return 2
    shutdown = Shutdown()
    remove = shutdown.install_signal_handlers()
    try:
        shared = settings.bot.workers > 1  # workers share the addresses (SO_REUSEPORT)
        async with calendar_beside(console.core, settings.calendar, reuse_port=shared) as feeds:
            if feeds is not None:  # links name the running server unless public_url is set
                calendar = settings.calendar.served_at(feeds.local_base)
                settings = settings.model_copy(update={"calendar": calendar})
            async with notifications_beside(console.core, settings)(settings):
                ready = announce_ready(args.ready_fd)  # a worker tells its supervisor
                await serve(
                    console.core,
                    settings,
                    mode=mode,
                    shutdown=shutdown,
                    ready=ready,
                    worker=args.worker,
                )
    except TelegramUnauthorizedError:
        print(t("run.token_refused"), file=sys.stderr)  # noqa: T201
        return 1
    except (RedisConnectionError, RedisTimeoutError) as exc:  # [redis] url set, nobody answers
        problem = t(
            "run.redis_unreachable",
            address=mask_url(settings.redis.url),
            detail=type(exc).__name__,
        )
        print(problem, file=sys.stderr)  # noqa: T201
        return 2
    except CalendarListenError as exc:
        detail = exc.strerror or type(exc).__name__
        print(t("calendar.cannot_listen", address=exc.address, detail=detail), file=sys.stderr)  # noqa: T201
        return 2
    finally:
        remove()
    return 0


async def run_workers(console: Console, args: argparse.Namespace, workers: int) -> int:
    """``run --workers N``: N webhook processes on one address, until SIGTERM/SIGINT."""
    settings, t = app_settings(console), translator(console)
    problem = workers_problem(settings, args.mode) or run_problem(settings, "webhook")
    if problem is not None:
        print(t(problem), file=sys.stderr)  # noqa: T201 - the console's own output
        return 2
    supervisor = Supervisor(
        lambda index, ready_fd: worker_command(
            index, ready_fd, config=args.config, lang=args.lang
        ),
        workers,
        env=worker_env(workers),
        # a worker drains its webhook requests, then its deliveries: give it both, and a margin
        policy=RestartPolicy(stop_timeout_s=2 * settings.bot.drain_seconds + 30),
    )
    shutdown = Shutdown()
    remove = shutdown.install_signal_handlers()
    try:
        return await supervisor.run(shutdown)
    finally:
        remove()


async def cmd_demo(console: Console, args: argparse.Namespace) -> int:
    """Seed and link the demo school, then run sandbox, chat page and bot until stopped."""
    settings, t = app_settings(console), translator(console)
    demo_settings = settings.model_copy(
        update={"database": DatabaseSettings(url=settings.demo.database_url)}
    )
    demo = Console(demo_settings, console.lang, console.out)
    quiet_updates()
    shutdown = Shutdown()
    remove = shutdown.install_signal_handlers()
    try:
        await cmd_db_upgrade(demo, argparse.Namespace(revision="head"))
        await run_demo(
            demo.core,
            demo_settings,
            port=settings.demo.port if args.port is None else args.port,
            open_browser=settings.demo.open_browser and not args.no_browser,
            seed=args.seed,
            say=console.emit,
            t=t,
            shutdown=shutdown,
            companion=notifications_beside(demo.core, demo_settings),
        )
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        print(t("demo.cannot_listen", detail=exc.strerror or type(exc).__name__), file=sys.stderr)  # noqa: T201
        return 2
    finally:
        remove()
        await demo.close()
    console.emit(t("demo.stopped"))
    return 0


class ProductSettings(AppSettings):
    """Every table of config.toml: core's, the bot's, the demo's and the notifications engine's."""

    notifications: NotificationsSettings = NotificationsSettings()

    def mark_grace_minutes(self) -> float | None:
        """``[notifications] mark_grace_minutes``: teachers are told when parents will hear."""
        return self.notifications.mark_grace_minutes

    def notification_defaults(self) -> NotificationDefaults:
        """``[notifications]`` modes, quiet hours and digest time: /settings shows them."""
        engine = self.notifications
        return NotificationDefaults(
            modes={
                "mark": engine.mark_mode,
                "absence": engine.absence_mode,
                "homework": engine.homework_mode,
                "news": engine.news_mode,
            },
            quiet_from=engine.quiet_from,
            quiet_to=engine.quiet_to,
            digest_at=engine.digest_time,
        )


def notifications_beside(core: Core, settings: CoreSettings) -> Companion:
    """Run the notifications engine in this process while the bot runs (unless configured off).

    It sends through its own aiogram Bot: the bot's reply session retries 429s itself, while the
    outbox must see them to pause its pacing.
    """

    @asynccontextmanager
    async def run(bot_settings: AppSettings) -> AsyncIterator[None]:
        engine = settings.notifications if isinstance(settings, ProductSettings) else None
        token = bot_settings.bot.token
        if engine is None or not engine.run_in_bot or token is None:
            yield
            return
        sender = TelegramSender(token.get_secret_value(), api_base=bot_settings.bot.api_base)
        runtime = build_notifications_runtime(core, engine, sender)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            await sender.close()

    return run


def add_run_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``ejournal run [--mode polling|webhook] [--workers N]``."""
    run = sub.add_parser("run", help="run the Telegram bot")
    run.add_argument("--mode", choices=("polling", "webhook"), help="default: [bot] mode")
    run.add_argument(
        "--workers",
        type=_whole_number(1, MAX_WORKERS),
        metavar="N",
        help="N webhook processes on one address (needs Redis and PostgreSQL); "
        "default: [bot] workers",
    )
    # set by the supervisor: the worker's number and the pipe it reports ready on
    run.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    run.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    run.add_argument("--supervisor", type=int, help=argparse.SUPPRESS)
    run.set_defaults(handler=cmd_run)


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be {low}-{high}")
        return number

    return parse


def add_demo_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``ejournal demo [--port N] [--no-browser] [--seed N]``."""
    demo = sub.add_parser("demo", help="try the bot locally: demo school, chat page, bot")
    demo.add_argument("--port", type=int, help="port of the chat page (default: [demo] port)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.add_argument("--seed", type=int, default=1, help="seed of the generated demo school")
    demo.set_defaults(handler=cmd_demo)


async def cmd_status(console: Console, args: argparse.Namespace) -> int:
    """The deployment at a glance: database, Redis, bot processes, notifications; 1 if unwell."""
    settings, t = app_settings(console), translator(console)
    database = await database_section(console)
    ready = bool(database.data["reachable"]) and database.data["revision"] is not None
    # The engine runs wherever a token lets it send: in `ejournal run` or its own worker.
    notifications = await notifications_cli.status_section(
        console,
        expect_leader=settings.bot.token is not None,
        max_wait=timedelta(minutes=args.max_wait),
        database_ready=ready,
    )
    sections = [database, *await bot_sections(settings, t), notifications]
    if args.json:
        console.emit(report_json(sections))
    else:
        for line in report_lines(sections, t):
            console.emit(line)
    return exit_code(sections)


def add_status_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``ejournal status [--json] [--max-wait MINUTES]``."""
    status = sub.add_parser(
        "status", help="the deployment at a glance: database, Redis, bot, notifications"
    )
    status.add_argument("--json", action="store_true", help="one JSON object (for monitoring)")
    status.add_argument(
        "--max-wait",
        type=_whole_number(1, 24 * 60),
        default=15,
        metavar="MINUTES",
        help="a due message waiting longer is a problem (default: 15)",
    )
    status.set_defaults(handler=cmd_status)


EXTENSIONS: tuple[Extension, ...] = (
    add_run_command,
    add_demo_command,
    add_status_command,
    notifications_cli.add_commands,
)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``ejournal`` console with the bot's commands; returns the exit code."""
    return console_main(
        argv, extensions=EXTENSIONS, settings_model=ProductSettings, secrets=configured_secrets
    )


if __name__ == "__main__":
    sys.exit(main())
