"""Owns delivery reports: counts per job run or event kind, for services and the console.

Reads only (through the outbox); renders plain tab-separated lines with localized headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from core.bootstrap import Core
from core.i18n import Catalogs
from notifications.outbox import Outbox, day_start
from notifications.records import ReportRow

COLUMNS = (
    "name",
    "queued",
    "sending",
    "sent",
    "failed",
    "unreachable",
    "not_connected",
    "digest",
    "first_sent",
    "last_sent",
    "finished",
)


async def delivery_report(
    core: Core, *, job: str | None = None, since: date | None = None
) -> list[ReportRow]:
    """Counts per job run (``--job digest`` covers every period of it) or per event kind.

    ``since`` counts deliveries created from that day on (midnight in the school's zone).
    """
    start = None if since is None else day_start(since, core.settings.school.zone)
    return await Outbox(core.engine).report(job=job, since=start)


def _when(value: datetime | None, core: Core) -> str:
    if value is None:
        return "-"
    return value.astimezone(core.settings.school.zone).strftime("%Y-%m-%d %H:%M:%S")


def report_lines(
    rows: Sequence[ReportRow], catalogs: Catalogs, lang: str, core: Core
) -> list[str]:
    """The report as tab-separated lines under a localized header."""
    if not rows:
        return [catalogs.text("report.none", lang)]
    lines = ["\t".join(catalogs.text(f"report.col.{column}", lang) for column in COLUMNS)]
    for row in rows:
        cells = [
            row.name,
            str(row.queued),
            str(row.sending),
            str(row.sent),
            str(row.failed),
            str(row.unreachable),
            str(row.not_connected),
            str(row.digest),
            _when(row.first_sent_at, core),
            _when(row.last_sent_at, core),
            _when(row.finished_at, core),
        ]
        lines.append("\t".join(cells))
    return lines
