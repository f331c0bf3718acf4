"""Owns log hygiene beyond core's: secrets born at run time (the demo token), chatty loggers.

Configured secrets (token, webhook secret) are redacted by ``core.logs`` from the start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from bot.settings import AppSettings
from core.config import CoreSettings
from core.logs import SecretRedactor

# One INFO line per update or pressed button: too chatty for the demo console.
QUIET_LOGGERS = ("aiogram.event", "aiogram.middlewares")


def configured_secrets(settings: CoreSettings) -> Sequence[str]:
    """The bot's secrets in the configuration, for the console's log redactor."""
    if not isinstance(settings, AppSettings):
        return ()
    bot = settings.bot
    return tuple(s.get_secret_value() for s in (bot.token, bot.webhook_secret) if s is not None)


def redact_secrets(secrets: Iterable[str]) -> Callable[[], None]:
    """Mask ``secrets`` in everything the root logger's handlers write; returns an undo."""
    redactor = SecretRedactor(secrets)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(redactor)

    def undo() -> None:
        for handler in handlers:
            handler.removeFilter(redactor)

    return undo


def quiet_updates() -> None:
    """Keep per-update INFO lines out of an interactive console (warnings still show)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
