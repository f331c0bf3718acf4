"""Composition root of the bot process: the ``ejournal`` console plus ``run`` and ``demo``.

The only bot module that touches core's wiring (``core.cli`` builds the core and migrates).
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aiogram.exceptions import TelegramUnauthorizedError

from bot.calendar_server import CalendarListenError, calendar_beside
from bot.demo import run_demo
from bot.i18n import Translator, load_catalogs
from bot.logs import configured_secrets, quiet_updates
from bot.runtime import Companion, Shutdown, serve
from bot.settings import AppSettings, run_problem
from core.bootstrap import Core
from core.cli import Console, Extension, cmd_db_upgrade
from core.cli import main as console_main
from core.config import CoreSettings, DatabaseSettings
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
    """Run the bot until SIGTERM/SIGINT, in polling or webhook mode."""
    settings, t = app_settings(console), translator(console)
    mode = args.mode or settings.bot.mode
    problem = run_problem(settings, mode)
    if problem is not None:
        print(t(problem), file=sys.stderr)  # noqa: T201 - the console's own output
        return 2
    shutdown = Shutdown()
    remove = shutdown.install_signal_handlers()
    try:
        async with calendar_beside(console.core, settings.calendar) as feeds:
            if feeds is not None:  # links name the running server unless public_url is set
                calendar = settings.calendar.served_at(feeds.local_base)
                settings = settings.model_copy(update={"calendar": calendar})
            async with notifications_beside(console.core, settings)(settings):
                await serve(console.core, settings, mode=mode, shutdown=shutdown)
    except TelegramUnauthorizedError:
        print(t("run.token_refused"), file=sys.stderr)  # noqa: T201
        return 1
    except CalendarListenError as exc:
        detail = exc.strerror or type(exc).__name__
        print(t("calendar.cannot_listen", address=exc.address, detail=detail), file=sys.stderr)  # noqa: T201
        return 2
    finally:
        remove()
    return 0


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
    """``ejournal run [--mode polling|webhook]``."""
    run = sub.add_parser("run", help="run the Telegram bot")
    run.add_argument("--mode", choices=("polling", "webhook"), help="default: [bot] mode")
    run.set_defaults(handler=cmd_run)


def add_demo_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``ejournal demo [--port N] [--no-browser] [--seed N]``."""
    demo = sub.add_parser("demo", help="try the bot locally: demo school, chat page, bot")
    demo.add_argument("--port", type=int, help="port of the chat page (default: [demo] port)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.add_argument("--seed", type=int, default=1, help="seed of the generated demo school")
    demo.set_defaults(handler=cmd_demo)


EXTENSIONS: tuple[Extension, ...] = (
    add_run_command,
    add_demo_command,
    notifications_cli.add_commands,
)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``ejournal`` console with the bot's commands; returns the exit code."""
    return console_main(
        argv, extensions=EXTENSIONS, settings_model=ProductSettings, secrets=configured_secrets
    )


if __name__ == "__main__":
    sys.exit(main())
