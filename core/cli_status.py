"""The database's part of ``ejournal status``: does it answer, and is its schema at the head.

Reads only: it never creates a schema, and an SQLite file that does not exist is reported, not
made. The command itself is composed by the bot's composition root (``bot/__main__.py``), which
also asks the bot and the notifications engine for their parts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from core.config import mask_url
from core.status import Problem, StatusSection, safe_detail
from core.storage import database

if TYPE_CHECKING:
    from core.cli import Console

CONNECT_TIMEOUT_S = 10.0


def head_revisions() -> tuple[str, ...]:
    """The schema revisions this version of ejournal migrates to (one, normally)."""
    # Alembic loads only when a schema is checked (tests/test_startup_imports.py).
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    return tuple(ScriptDirectory.from_config(database.alembic_config()).get_heads())


def pending_migrations(current: str | None) -> int | None:
    """How many migrations lead from ``current`` to the head; None when it is unknown here."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 (see head_revisions)
    from alembic.util.exc import CommandError  # noqa: PLC0415

    script = ScriptDirectory.from_config(database.alembic_config())
    try:
        return len(list(script.iterate_revisions("heads", current or "base")))
    except CommandError:  # a revision of a newer ejournal, or of another application
        return None


def _sqlite_file(url: str) -> Path | None:
    """The SQLite database's file (None for other databases and ``:memory:``)."""
    parsed = make_url(url)
    if not database.is_sqlite(parsed) or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


async def database_section(console: Console) -> StatusSection:
    """Whether the database answers, its backend, and its schema revision against the head."""
    t = console.t
    url = console.settings.database.url
    backend = make_url(url).get_backend_name()
    heads = head_revisions()
    data: dict[str, Any] = {
        "url": mask_url(url),
        "backend": backend,
        "reachable": False,
        "revision": None,
        "head": heads[0] if len(heads) == 1 else list(heads),
        "pending_migrations": None,
    }
    place = {"url": mask_url(url), "backend": backend}
    file = _sqlite_file(url)
    if file is not None and not file.exists():  # connecting would create an empty file
        data["error"] = "no_file"
        line = t("status.db.no_file", path=str(file), **place)
        problem = Problem("status.problem.db_empty", t("status.problem.db_empty"))
        return StatusSection("database", data, (line,), (problem,))
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            current = await database.current_revision(console.core.engine)
    except Exception as exc:  # refused, unknown host, wrong password, timeout
        detail = safe_detail(exc)
        data["error"] = detail
        line = t("status.db.unreachable", detail=detail, **place)
        problem = Problem(
            "status.problem.db_unreachable", t("status.problem.db_unreachable", **place)
        )
        return StatusSection("database", data, (line,), (problem,))
    data.update(reachable=True, revision=current)
    lines = [t("status.db.heading", **place)]
    problems: list[Problem] = []
    pending = pending_migrations(current)
    data["pending_migrations"] = pending
    if current is None:
        lines.append(t("status.db.empty"))
        problems.append(Problem("status.problem.db_empty", t("status.problem.db_empty")))
    elif pending is None:
        lines.append(t("status.db.unknown", revision=current, head=", ".join(heads)))
        problems.append(
            Problem("status.problem.db_unknown", t("status.problem.db_unknown", revision=current))
        )
    elif pending:
        lines.append(t("status.db.pending", revision=current, count=pending, head=heads[0]))
        problems.append(
            Problem("status.problem.db_pending", t("status.problem.db_pending", count=pending))
        )
    else:
        lines.append(t("status.db.up_to_date", revision=current))
    return StatusSection("database", data, tuple(lines), tuple(problems))
