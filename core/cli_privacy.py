"""``ejournal retention run [--dry-run]``: delete or anonymize data kept longer than allowed.

Registered by ``core.cli.build_parser``. The periods come from the ``[retention]`` settings;
the rules (and the refusal of school years without a verified archive) are in
``core.services.retention``. Prints a summary table, one line per school year with expired data.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.domain.access import Viewer
from core.services.retention import (
    DAY_KINDS,
    YEAR_KINDS,
    Periods,
    RetentionReport,
    YearOutcome,
    run_retention,
)

if TYPE_CHECKING:
    from core.cli import Console


async def cmd_retention_run(console: Console, args: argparse.Namespace) -> int:
    """List (``--dry-run``) or delete what has expired; exit code 1 when a year was refused."""
    await console.require_schema()
    report = await run_retention(
        console.core.uow,
        Viewer.console(),
        periods=Periods.of(console.settings.retention),
        dry_run=args.dry_run,
    )
    for line in report_lines(console, report):
        console.emit(line)
    return 1 if report.refused and not report.dry_run else 0


def _status(console: Console, report: RetentionReport, outcome: YearOutcome) -> str:
    if not outcome.archived:
        return console.t("retention.status.no_archive")
    if report.dry_run:
        return console.t("retention.status.would")
    return console.t("retention.status.done")


def report_lines(console: Console, report: RetentionReport) -> list[str]:
    """The summary table, the working data's counts and the refusals, as console lines."""
    t = console.t
    lines = [t("retention.title.dry_run" if report.dry_run else "retention.title.run")]
    shown = [outcome for outcome in report.years if any(outcome.counts.values())]
    header = [t("retention.col.school"), t("retention.col.year")]
    header += [t(f"retention.kind.{kind}") for kind in YEAR_KINDS]
    header.append(t("retention.col.status"))
    rows = [
        [
            outcome.school_code,
            outcome.year,
            *(str(outcome.counts.get(kind, 0)) for kind in YEAR_KINDS),
            _status(console, report, outcome),
        ]
        for outcome in shown
    ]
    if rows:
        lines += _table(header, rows)
    else:
        lines.append(t("retention.nothing_by_year"))
    for kind in DAY_KINDS:
        lines.append(
            t(
                f"retention.days.{kind}.{'dry_run' if report.dry_run else 'run'}",
                count=report.days.get(kind, 0),
            )
        )
    lines += [
        t("retention.refused", school=outcome.school_code, year=outcome.year)
        for outcome in report.refused
        if not report.dry_run
    ]
    return lines


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    return [line(header).rstrip(), "  ".join("-" * w for w in widths)] + [
        line(row).rstrip() for row in rows
    ]


def add_retention_commands(sub: Any) -> None:
    """``retention run [--dry-run]``."""
    retention = sub.add_parser(
        "retention", help="delete or anonymize data kept longer than [retention] allows"
    ).add_subparsers(dest="action", required=True)
    run = retention.add_parser(
        "run", help="delete expired data of archived school years (--dry-run: only list)"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="list what has expired; change nothing"
    )
    run.set_defaults(handler=cmd_retention_run)
