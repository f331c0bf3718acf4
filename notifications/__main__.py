"""Composition root of ``python -m notifications worker``: config, core, sender, runtime.

Runs until SIGTERM or SIGINT, then drains; logs ids, never message texts or the token.
"""

from __future__ import annotations

from core.lazy_models import import_deferring_models

# Before the Telegram sender imports aiogram: its Bot API models are built when first used, not
# all at start-up (core/lazy_models.py: ~110 MB less per process).
import_deferring_models("aiogram", ("aiogram.types.", "aiogram.methods."))

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic_settings import SettingsConfigDict

from core.bootstrap import build_core
from core.config import CoreSettings, load_settings
from core.errors import DomainError
from core.i18n import Catalogs
from core.logs import configure_logging
from notifications.outbox import Outbox
from notifications.runtime import build_notifications_runtime
from notifications.settings import NotificationsSettings
from notifications.telegram_sender import TelegramSender

log = logging.getLogger("ejournal.notifications")


class BotConnection(BaseModel):
    """The part of the bot's ``[bot]`` table the sender needs; the bot validates the rest."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    token: SecretStr | None = None
    api_base: str = ""


class WorkerSettings(CoreSettings):
    """Core's tables, ``[notifications]`` and the bot connection.

    Tables of other processes (``[demo]``, ...) are theirs to validate, so they are ignored here.
    """

    model_config = SettingsConfigDict(
        env_prefix="EJOURNAL_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    notifications: NotificationsSettings = NotificationsSettings()
    bot: BotConnection = BotConnection()


def secrets(settings: WorkerSettings) -> list[str]:
    """Values the log redactor must hide."""
    token = settings.bot.token
    return [token.get_secret_value()] if token is not None else []


async def run_worker(settings: WorkerSettings, stop: asyncio.Event | None = None) -> int:
    """Run the engine until ``stop`` is set (by default: SIGTERM or SIGINT)."""
    token = settings.bot.token.get_secret_value() if settings.bot.token else ""
    if not token:
        log.error("no bot token: set [bot] token or EJOURNAL_BOT__TOKEN")
        return 2
    core = build_core(settings)
    try:
        if not await Outbox(core.engine).ready():
            log.error("the database has no schema: run `ejournal db upgrade` first")
            return 2
        sender = TelegramSender(
            token,
            api_base=settings.bot.api_base,
            timeout=settings.notifications.request_timeout_s,
            connections=max(10, settings.notifications.max_in_flight * 2),
        )
        runtime = build_notifications_runtime(core, settings.notifications, sender)
        stop = stop or _stop_on_signals()
        await runtime.start()
        log.info("notifications worker started")
        await stop.wait()
        log.info("stopping: draining sends in flight")
        await runtime.stop()
    finally:
        await core.close()
    return 0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m notifications``."""
    parser = argparse.ArgumentParser(
        prog="python -m notifications", description="ejournal notifications engine"
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="fan-out, paced delivery and the scheduler")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config, WorkerSettings)
    except DomainError as error:
        sys.stderr.write(Catalogs.load().text(error.key, "en", **error.params) + "\n")
        return 2
    configure_logging(settings, secrets(settings))
    try:
        return asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
