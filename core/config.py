"""Core configuration: the ``[database]``, ``[school]``, ``[logging]`` and ``[invites]`` tables.

Loaded from a TOML file (``--config PATH``, else ``./config.toml`` if present, else defaults) with
environment overrides ``EJOURNAL_<SECTION>__<KEY>``. Secrets are ``SecretStr`` and never printed.
Other packages extend :class:`CoreSettings` with their own tables in their composition root.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.domain.invites import valid_bot_username
from core.errors import InvalidInput
from core.i18n import LANGUAGES

DEFAULT_CONFIG_FILE = Path("config.toml")
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./data/ejournal.sqlite3"


class Section(BaseModel):
    """A config table: unknown keys are an error, so a typo never silently falls back."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(Section):
    """Where the journal lives."""

    url: str = Field(
        default=DEFAULT_SQLITE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    password: SecretStr | None = Field(
        default=None, description="Database password, kept out of the URL so it is never shown"
    )
    echo: bool = False
    pool_size: int = Field(default=10, ge=1, le=200)

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "database.url must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value


class SchoolSettings(Section):
    """Defaults for schools that have not configured their own policy."""

    time_zone: str = "Europe/Riga"
    locale: Literal["lv", "en", "ru"] = "lv"

    @field_validator("time_zone")
    @classmethod
    def _real_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The configured zone as a ZoneInfo."""
        return ZoneInfo(self.time_zone)


class LoggingSettings(Section):
    """How much the processes log (never personal data, never secrets)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class InvitesSettings(Section):
    """Invitations printed outside the bot (the console's slips) link to this bot."""

    bot_username: str = Field(
        default="",
        description="The bot's @username without @, for deep links on slips made by the console",
    )

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip().removeprefix("@")
        if value and not valid_bot_username(value):
            raise ValueError(
                "must be a Telegram bot username: 5-32 of A-Z a-z 0-9 _, ending in bot"
            )
        return value


class RetentionSettings(Section):
    """``[retention]``: how long each kind of data is kept (docs/security.md, "Retention").

    Years count from the end of the school year the data belongs to; days from the row's time.
    ``ejournal retention run`` deletes (or, for the audit log's people, anonymizes) what is older.
    """

    audit_log_years: int = Field(default=5, ge=1, le=100)
    attendance_years: int = Field(default=5, ge=1, le=100)
    marks_years: int = Field(default=10, ge=1, le=100)
    mail_years: int = Field(default=1, ge=1, le=100)
    news_years: int = Field(default=2, ge=1, le=100)
    access_requests_years: int = Field(default=3, ge=1, le=100)
    deliveries_days: int = Field(default=90, ge=1, le=36500)
    link_attempts_days: int = Field(default=30, ge=1, le=36500)


class RedisSettings(Section):
    """``[redis]``: shared state of several processes (docs/scale-out.md); empty = one process.

    With a URL, the bot keeps its conversations (aiogram's FSM), per-chat ordering locks, update
    de-duplication and flood counters in Redis, and delivery workers share one global rate limit.
    """

    url: str = Field(
        default="",
        description="redis://[user:password@]host:port/db of the shared Redis; empty = in-process",
    )
    key_prefix: str = Field(
        default="ejournal", description="Prefix of every key, so deployments can share a server"
    )

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL (or empty)")
        return value

    @field_validator("key_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value or any(ch.isspace() for ch in value) or len(value) > 64:
            raise ValueError("must be 1-64 characters without spaces")
        return value

    @property
    def enabled(self) -> bool:
        """Whether a shared Redis is configured."""
        return bool(self.url)


class CoreSettings(BaseSettings):
    """Settings every ejournal process needs."""

    model_config = SettingsConfigDict(
        env_prefix="EJOURNAL_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database: DatabaseSettings = DatabaseSettings()
    school: SchoolSettings = SchoolSettings()
    logging: LoggingSettings = LoggingSettings()
    invites: InvitesSettings = InvitesSettings()
    retention: RetentionSettings = RetentionSettings()
    redis: RedisSettings = RedisSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment beats the file (which arrives as init values)."""
        return (env_settings, init_settings)


SettingsT = TypeVar("SettingsT", bound=CoreSettings)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise InvalidInput("config.file_missing", path=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("config.toml_invalid", path=str(path), detail=str(exc)) from exc


def resolve_config_path(path: Path | None) -> Path | None:
    """The file to read: the one named, else ./config.toml when present, else none."""
    if path is not None:
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(path: Path | None = None, model: type[SettingsT] = CoreSettings) -> SettingsT:  # type: ignore[assignment]
    """Load and validate settings; bad values raise InvalidInput naming each offending key."""
    chosen = resolve_config_path(path)
    data = _read_toml(chosen) if chosen is not None else {}
    try:
        return model(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(
            "config.invalid", path=str(chosen or "(defaults)"), detail=problems
        ) from exc


# Keys of a config file whose values are secrets (a URL with a password counts too).
SECRET_KEYS = (("bot", "token"), ("bot", "webhook_secret"), ("database", "password"))


def exposed_secrets_file(path: Path | None) -> Path | None:
    """``path`` when it holds a secret and its group or others may read it, else None.

    A bot token in a world-readable file lets any local user take over the bot: the console warns.
    Unreadable or invalid files are none of this check's business (loading reports them).
    """
    chosen = resolve_config_path(path)
    if chosen is None:
        return None
    try:
        if not chosen.stat().st_mode & 0o077:
            return None
        data = _read_toml(chosen)
    except (OSError, InvalidInput):
        return None
    for section, key in SECRET_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and table.get(key):
            return chosen
    if _has_url_password(data):
        return chosen
    return None


def _has_url_password(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_url_password(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_url_password(item) for item in value)
    return isinstance(value, str) and "://" in value and mask_url(value) != value


def masked(settings: BaseSettings) -> dict[str, Any]:
    """The effective settings as plain data with every secret and every URL password masked.

    ``SecretStr`` values dump as ``**********``; any string that looks like a URL with a password
    (in any table, e.g. ``database.url`` or ``demo.database_url``) has the password hidden.
    """
    data: dict[str, Any] = _mask_urls(settings.model_dump(mode="json"))
    return data


def _mask_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_urls(item) for item in value]
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return value


def mask_url(url: str) -> str:
    """Hide a password embedded in a URL (``scheme://user:secret@host`` → ``user:***@``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def supported_languages() -> tuple[str, ...]:
    """UI languages the product speaks."""
    return LANGUAGES
