"""Owns the bot's configuration: the ``[bot]`` and ``[demo]`` tables and ``AppSettings``.

``[calendar]`` (the feed server) is defined next to its server in ``bot.calendar_server``.

Validated once at start-up; the token and the webhook secret are ``SecretStr`` and never printed.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.calendar_server import CalendarSettings
from core.config import CoreSettings, DatabaseSettings, Section
from core.services.preferences import DEFAULTS, NotificationDefaults

DEMO_DATABASE_URL = "sqlite+aiosqlite:///./data/demo.sqlite3"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_TOKEN = re.compile(r"[0-9]+:\S+")  # what aiogram accepts: digits, a colon, no spaces


class BotSettings(Section):
    """How the Telegram front end talks to Telegram (or to a local Bot API such as the sandbox)."""

    token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather; required by `ejournal run`"
    )
    mode: Literal["polling", "webhook"] = "polling"
    api_base: str = Field(
        default="", description="Base URL of a local Bot API server; empty = api.telegram.org"
    )
    webhook_url: str = Field(
        default="", description="Public HTTPS URL Telegram posts updates to (webhook mode)"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token value (webhook mode)"
    )
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8443, ge=0, le=65535)
    webhook_path: str = "/telegram"
    drain_seconds: float = Field(default=25.0, ge=0, le=600)
    flood_rate: float = Field(default=3.0, gt=0, le=1000)
    flood_burst: int = Field(default=5, ge=1, le=1000)
    workers: int = Field(default=1, ge=1, le=64)

    @field_validator("api_base", "webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL (or empty)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/") or " " in value:
            raise ValueError("must start with / and contain no spaces")
        return value


class DemoSettings(Section):
    """The local demo (`ejournal demo`): sandbox, chat page and a separate demo database."""

    port: int = Field(default=8080, ge=0, le=65535)
    database_url: str = Field(
        default=DEMO_DATABASE_URL, description="Demo database, never the production one"
    )
    open_browser: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        return DatabaseSettings(url=value).url


class AppSettings(CoreSettings):
    """Everything the ``ejournal`` console of the bot process reads: core tables plus ours."""

    bot: BotSettings = BotSettings()
    demo: DemoSettings = DemoSettings()
    calendar: CalendarSettings = CalendarSettings()

    def mark_grace_minutes(self) -> float | None:
        """How long a new mark waits before families hear of it; None when this is unknown.

        The grace period is a notifications setting; the composition root, which reads that
        table, answers (``bot.__main__.ProductSettings``). The bot never imports notifications.
        """
        return None

    def notification_defaults(self) -> NotificationDefaults:
        """What /settings shows as the school default (``[notifications]``, composed the same way).

        The shipped defaults here; ``bot.__main__.ProductSettings`` answers with the configured
        ones.
        """
        return DEFAULTS


def run_problem(settings: AppSettings, mode: str) -> str | None:
    """The message key of what is missing to run in ``mode``, or None when all is there."""
    bot = settings.bot
    if bot.token is None or not bot.token.get_secret_value():
        return "run.token_missing"
    if not _BOT_TOKEN.fullmatch(bot.token.get_secret_value()):
        return "run.token_invalid"
    if mode == "webhook":
        if bot.webhook_secret is None:
            return "run.webhook_secret_missing"
        if not bot.webhook_url and not bot.api_base:
            return "run.webhook_url_missing"
    return None
