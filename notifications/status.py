"""The notifications engine's part of ``ejournal status``: the outbox backlog and the leader.

Reads only, through the outbox (``Outbox.backlog``, ``Outbox.leader_present``): it never tries
the leader's lock, so a running election is not disturbed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from core.bootstrap import Core
from core.i18n import Catalogs
from core.status import Problem, StatusSection, safe_detail
from notifications.outbox import Outbox

FAILURE_WINDOW = timedelta(hours=24)
MAX_WAIT = timedelta(minutes=15)  # a due message waiting longer than this is a problem


def _minutes(delta: timedelta) -> int:
    return max(0, math.floor(delta.total_seconds() / 60))


async def notifications_section(
    core: Core | None,
    catalogs: Catalogs,
    lang: str,
    *,
    expect_leader: bool,
    max_wait: timedelta = MAX_WAIT,
) -> StatusSection:
    """Pending, due and failed deliveries, and whether a process leads (fan-out, schedules).

    ``expect_leader``: the engine should run (a bot token is configured), so on PostgreSQL a
    missing leader is a problem. Without a ``core`` (the database does not answer or has no
    schema) nothing is read: the database's own section names the problem.
    """

    def t(key: str, **params: Any) -> str:
        return catalogs.text(key, lang, **params)

    lines = [t("status.notifications.heading")]
    if core is None:
        lines.append(t("status.notifications.skipped"))
        return StatusSection("notifications", {"checked": False}, tuple(lines))
    now: datetime = core.clock.now()
    outbox = Outbox(core.engine)
    try:
        backlog = await outbox.backlog(now=now, since=now - FAILURE_WINDOW)
        leader = await outbox.leader_present()
    except Exception as exc:  # a schema that lags behind, a lost connection
        detail = safe_detail(exc)
        lines.append(t("status.notifications.unreadable", detail=detail))
        problem = Problem(
            "status.problem.outbox_unreadable",
            t("status.problem.outbox_unreadable", detail=detail),
        )
        failed: dict[str, Any] = {"checked": False, "error": detail}
        return StatusSection("notifications", failed, tuple(lines), (problem,))
    waited = None if backlog.oldest_due is None else now - backlog.oldest_due
    minutes = None if waited is None else _minutes(waited)
    data: dict[str, Any] = {
        "checked": True,
        "pending": backlog.pending,
        "due": backlog.due,
        "oldest_due_at": None if backlog.oldest_due is None else backlog.oldest_due.isoformat(),
        "oldest_due_minutes": minutes,
        "max_wait_minutes": _minutes(max_wait),
        "failed_24h": backlog.failed,
        "unreachable_24h": backlog.unreachable,
        "leader": "sqlite" if leader is None else ("held" if leader else "none"),
    }
    problems: list[Problem] = []
    if minutes is None:
        lines.append(t("status.notifications.backlog_none_due", pending=backlog.pending))
    else:
        lines.append(
            t(
                "status.notifications.backlog",
                pending=backlog.pending,
                due=backlog.due,
                minutes=minutes,
            )
        )
    if waited is not None and waited > max_wait:
        problems.append(
            Problem(
                "status.problem.backlog",
                t("status.problem.backlog", minutes=minutes, limit=_minutes(max_wait)),
            )
        )
    lines.append(
        t("status.notifications.failures", failed=backlog.failed, unreachable=backlog.unreachable)
    )
    if leader is None:
        lines.append(t("status.notifications.leader_sqlite"))
    elif leader:
        lines.append(t("status.notifications.leader_held"))
    else:
        lines.append(t("status.notifications.leader_none"))
        if expect_leader:
            problems.append(Problem("status.problem.no_leader", t("status.problem.no_leader")))
    return StatusSection("notifications", data, tuple(lines), tuple(problems))
