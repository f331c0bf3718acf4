"""Owns ``ejournal deliveries report``: an extension for ``core.cli.build_parser``.

Also the notifications part of ``ejournal status`` (``status_section``), which the bot's
composition root composes. Reads only; it never sends or writes.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from core.cli import Console
from core.status import StatusSection
from notifications.messages import load_catalogs
from notifications.reports import delivery_report, report_lines
from notifications.status import MAX_WAIT, notifications_section


async def cmd_deliveries_report(console: Console, args: argparse.Namespace) -> int:
    """Print delivery counts per job run or event kind."""
    await console.require_schema()
    rows = await delivery_report(console.core, job=args.job, since=args.since)
    catalogs = load_catalogs()
    for line in report_lines(rows, catalogs, console.lang, console.core):
        console.emit(line)
    return 0


def add_commands(subparsers: Any) -> None:
    """Register ``deliveries report [--job NAME] [--since YYYY-MM-DD]``."""
    deliveries = subparsers.add_parser(
        "deliveries", help="proactive messages: delivery reports"
    ).add_subparsers(dest="action", required=True)
    report = deliveries.add_parser(
        "report", help="queued, sent, failed, unreachable and not connected, per job or kind"
    )
    report.add_argument("--job", help="one job (every period of it) or one run, e.g. digest")
    report.add_argument(
        "--since", type=date.fromisoformat, help="deliveries created from this day (YYYY-MM-DD)"
    )
    report.set_defaults(handler=cmd_deliveries_report)


async def status_section(
    console: Console,
    *,
    expect_leader: bool,
    max_wait: timedelta = MAX_WAIT,
    database_ready: bool = True,
) -> StatusSection:
    """The outbox backlog and the scheduler leader, in the console's language.

    Without ``database_ready`` the core is not even built (an SQLite file would be created).
    """
    return await notifications_section(
        console.core if database_ready else None,
        load_catalogs(),
        console.lang,
        expect_leader=expect_leader,
        max_wait=max_wait,
    )
