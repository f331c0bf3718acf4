"""What ``ejournal status`` is made of: sections, each from the layer that owns its data.

Pure data: the database's section comes from ``core.cli_status``, the bot's (Redis, processes)
from ``bot.status`` and the notifications engine's from ``notifications.status``; the composition
root prints them as text or as one JSON object and turns their problems into the exit code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the deployment: a stable code (its message key) and its text."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class StatusSection:
    """One part of the status: JSON-ready ``data``, localized ``lines`` and ``problems``."""

    name: str
    data: Mapping[str, Any]
    lines: tuple[str, ...]
    problems: tuple[Problem, ...] = field(default=())


def safe_detail(exc: BaseException) -> str:
    """A short reason for a failed connection: the class name of the driver's own error.

    Driver messages may quote the address, the user or the whole DSN; a class name does not.
    """
    cause: BaseException = exc
    for _ in range(5):  # SQLAlchemy and redis wrap the driver's error
        inner = getattr(cause, "orig", None) or cause.__cause__
        if not isinstance(inner, BaseException):
            break
        cause = inner
    return type(cause).__name__
