"""Process logging: text or JSON to stderr, with secrets redacted from every record.

Log messages carry ids, never names, phone numbers or message texts; the redactor is the last
line of defence for secrets (a bot token inside a URL, a database password).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from core.config import CoreSettings

REDACTED = "***"


class SecretRedactor(logging.Filter):
    """Replaces every known secret in a record's message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(
            sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        )

    def redact(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if self._secrets:
            record.msg = self.redact(record.getMessage())
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


class DatabaseDetailRedactor(logging.Filter):
    """Masks the values a database server quotes in its errors (PostgreSQL's ``Key (x)=(v)``).

    A duplicate personal code or phone number comes back inside the error text itself, which
    ``hide_parameters`` cannot hide; a logged traceback must not carry it.
    """

    _KEY_VALUES = re.compile(
        r"(Key \([^)]*\)=\()(.*?)(\)( already exists| is not present|$))", re.MULTILINE
    )

    def redact(self, text: str) -> str:
        """The text with every quoted key value replaced."""
        return self._KEY_VALUES.sub(rf"\g<1>{REDACTED}\g<3>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: CoreSettings, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at the configured level and format, redacting ``secrets``."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.logging.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    db_password = settings.database.password
    handler.addFilter(
        SecretRedactor([*secrets, db_password.get_secret_value() if db_password else ""])
    )
    handler.addFilter(DatabaseDetailRedactor())
    handler.set_name("ejournal")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "ejournal":  # ours from an earlier call; leave others' alone
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.logging.level)
    # Migration chatter is not news to an admin; warnings and errors still show.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # Database drivers log statements with their parameters (names, phone numbers) at DEBUG:
    # only `[database] echo = true` (a deliberate, local debugging choice) lets them through.
    if not settings.database.echo:
        hold_statement_loggers(root.level)


# Loggers that write SQL statements with their parameters (personal data) below WARNING.
STATEMENT_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg")


def hold_statement_loggers(level: int) -> None:
    """Keep the database drivers' statement logs (with parameters) out below WARNING."""
    for name in STATEMENT_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))
