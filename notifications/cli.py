"""Owns ``ejournal deliveries report``: an extension for ``core.cli.build_parser``.

Reads only; it never sends or writes.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from core.cli import Console
from notifications.messages import load_catalogs
from notifications.reports import delivery_report, report_lines


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
