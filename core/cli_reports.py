"""``ejournal report journal|attendance|stats|cards|groups``: teacher reports and report cards.

Registered by ``core.cli.build_parser``. Documents are rendered in the school's language (like
the invitation slips), messages in the console's. Rendering runs in a worker thread and shows a
textual progress bar on stderr (redrawn in place on a terminal, a line per quarter otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from core.domain.access import Viewer
from core.domain.records import SchoolRecord
from core.errors import InvalidInput
from core.services import report_cards, schools, teacher_reports

if TYPE_CHECKING:
    from core.cli import Console
    from core.documents.report_layout import Progress

FORMATS = ("pdf", "xlsx")
_WIDTH = 30
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


class ProgressBar:
    """``Gatavo [##########....................]  33% (8/24)`` on stderr.

    Thread-safe enough for one worker: each call writes one whole line (or redraws it).
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._shown = 0
        self._quarter = -1

    def __call__(self, done: int, total: int) -> None:
        """Show how far the job is."""
        share = min(done / total, 1.0) if total > 0 else 1.0
        filled = round(share * _WIDTH)
        line = (
            f"{self._label} [{'#' * filled}{'.' * (_WIDTH - filled)}] "
            f"{round(share * 100):3d}% ({done}/{total})"
        )
        if self._tty:
            self._stream.write("\r" + line.ljust(self._shown))
            self._shown = len(line)
        else:
            quarter = int(share * 4)
            if quarter == self._quarter:
                return
            self._quarter = quarter
            self._stream.write(line + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """End the bar's line (terminal)."""
        if self._tty and self._shown:
            self._stream.write("\n")
            self._stream.flush()
        self._shown = 0


async def _render(console: Console, work: Callable[[Progress], bytes]) -> bytes:
    """Run a renderer in a worker thread with a progress bar."""
    bar = ProgressBar(console.t("reports.cli.progress"))
    try:
        return await asyncio.to_thread(work, bar)
    finally:
        bar.finish()


async def _write(console: Console, path: Path, content: bytes) -> bool:
    """Write the file; False (after saying why) when it cannot be written."""
    if not path.parent.is_dir():
        console.say("reports.cli.out_folder_missing", path=str(path.parent))
        return False
    try:
        await asyncio.to_thread(path.write_bytes, content)
    except OSError:
        console.say("reports.cli.out_not_writable", path=str(path))
        return False
    return True


async def _school(console: Console, args: argparse.Namespace) -> SchoolRecord:
    """``--school CODE``, or the only school of the database."""
    uow, viewer = console.core.uow, Viewer.console()
    if args.school:
        return await schools.find_school(uow(), viewer, code=args.school)
    found = await schools.list_schools(uow(), viewer)
    if len(found) != 1:
        raise InvalidInput("reports.cli.school_required")
    return found[0]


def _format(args: argparse.Namespace) -> str:
    """``--format``, else the extension of ``--out``, else PDF."""
    if args.format:
        return str(args.format)
    if args.out and Path(args.out).suffix.lower() == ".xlsx":
        return "xlsx"
    return "pdf"


def _out(args: argparse.Namespace, default_name: str) -> Path:
    return Path(args.out) if args.out else Path(default_name)


async def _period(
    console: Console, args: argparse.Namespace, school_id: int
) -> tuple[date | None, date | None]:
    """``--from``/``--to``, ``--term N`` or ``--year``; (None, None) for this semester."""
    if args.start or args.end:
        if not (args.start and args.end):
            raise InvalidInput("reports.cli.range_incomplete")
        return args.start, args.end
    if args.term is None and not args.year:
        return None, None
    periods = await teacher_reports.report_periods(
        console.core.uow(), Viewer.console(), school_id=school_id
    )
    wanted = None if args.year else args.term
    found = next((p for p in periods if p.term == wanted), None)
    if found is None:
        raise InvalidInput("reports.period_unknown")
    return found.start, found.end


# ------------------------------------------------------------------ commands


async def cmd_report_journal(console: Console, args: argparse.Namespace) -> int:
    """A teaching group's class journal for a period, as PDF or XLSX."""
    # ReportLab and openpyxl (~25 MB with numpy) load when a report is made, not whenever
    # the console or the bot process starts.
    from core.documents import teacher_reports as docs  # noqa: PLC0415

    await console.require_schema()
    viewer = Viewer.console()
    ref = await teacher_reports.journal_ref(console.core.uow(), viewer, group_id=args.group)
    start, end = await _period(console, args, ref.school.id)
    journal = await teacher_reports.group_journal(
        console.core.uow(), viewer, group_id=args.group, start=start, end=end
    )
    fmt, lang = _format(args), journal.school.locale
    render = docs.journal_xlsx if fmt == "xlsx" else docs.journal_pdf
    content = await _render(
        console,
        lambda progress: render(journal, catalogs=console.catalogs, lang=lang, progress=progress),
    )
    path = _out(args, docs.journal_file_name(journal, console.catalogs, lang, fmt))
    if not await _write(console, path, content):
        return 2
    console.say("reports.cli.written", path=str(path))
    return 0


async def cmd_report_attendance(console: Console, args: argparse.Namespace) -> int:
    """A class's attendance for one month, as PDF or XLSX."""
    from core.documents import teacher_reports as docs  # noqa: PLC0415 (see cmd_report_journal)

    await console.require_schema()
    match = _MONTH.fullmatch(args.month.strip())
    if match is None:
        console.say("reports.cli.month_format", value=args.month)
        return 2
    school = await _school(console, args)
    scope = await teacher_reports.find_class(
        console.core.uow(), Viewer.console(), school_id=school.id, class_name=args.class_name
    )
    report = await teacher_reports.class_attendance(
        console.core.uow(),
        Viewer.console(),
        class_id=scope.klass.id,
        year=int(match.group(1)),
        month=int(match.group(2)),
    )
    fmt, lang = _format(args), school.locale
    render = docs.attendance_xlsx if fmt == "xlsx" else docs.attendance_pdf
    content = await _render(
        console,
        lambda progress: render(report, catalogs=console.catalogs, lang=lang, progress=progress),
    )
    path = _out(args, docs.attendance_file_name(report, console.catalogs, lang, fmt))
    if not await _write(console, path, content):
        return 2
    console.say("reports.cli.written", path=str(path))
    return 0


async def cmd_report_stats(console: Console, args: argparse.Namespace) -> int:
    """Mark statistics per class and subject for a school (or one class), as PDF or XLSX."""
    from core.documents import teacher_reports as docs  # noqa: PLC0415 (see cmd_report_journal)

    await console.require_schema()
    school = await _school(console, args)
    class_id = None
    if args.class_name:
        scope = await teacher_reports.find_class(
            console.core.uow(), Viewer.console(), school_id=school.id, class_name=args.class_name
        )
        class_id = scope.klass.id
    start, end = await _period(console, args, school.id)
    stats = await teacher_reports.mark_statistics(
        console.core.uow(),
        Viewer.console(),
        school_id=school.id,
        class_id=class_id,
        start=start,
        end=end,
    )
    fmt, lang = _format(args), school.locale
    render = docs.statistics_xlsx if fmt == "xlsx" else docs.statistics_pdf
    content = await _render(
        console,
        lambda progress: render(stats, catalogs=console.catalogs, lang=lang, progress=progress),
    )
    path = _out(args, docs.statistics_file_name(stats, console.catalogs, lang, fmt))
    if not await _write(console, path, content):
        return 2
    console.say("reports.cli.written", path=str(path))
    return 0


async def cmd_report_cards(console: Console, args: argparse.Namespace) -> int:
    """A class's report cards in one PDF; with ``--send``, also to the parents (rule 5.2)."""
    from core.documents import report_cards as card_docs  # noqa: PLC0415 (see cmd_report_journal)

    await console.require_schema()
    school = await _school(console, args)
    viewer = Viewer.console()
    scope = await teacher_reports.find_class(
        console.core.uow(), viewer, school_id=school.id, class_name=args.class_name
    )
    cards = await report_cards.class_report_cards(
        console.core.uow(), viewer, class_id=scope.klass.id
    )
    lang, catalogs = school.locale, console.catalogs
    content = await _render(
        console,
        lambda progress: card_docs.class_report_cards_pdf(
            cards, catalogs=catalogs, lang=lang, progress=progress
        ),
    )
    path = _out(args, card_docs.class_file_name(cards, catalogs, lang))
    if not await _write(console, path, content):
        return 2
    console.say("reports.cli.cards_written", count=len(cards.cards), path=str(path))
    if not args.send:
        return 0

    def each(progress: Progress) -> dict[int, tuple[str, bytes]]:
        files = {}
        for done, card in enumerate(cards.cards, start=1):
            pdf = card_docs.report_card_pdf(card, catalogs=catalogs, lang=lang)
            files[card.pupil.id] = (card_docs.card_file_name(card, catalogs, lang), pdf)
            progress(done, len(cards.cards))
        return files

    bar = ProgressBar(console.t("reports.cli.progress"))
    try:
        documents = await asyncio.to_thread(each, bar)
    finally:
        bar.finish()
    issued = await report_cards.issue_report_cards(
        console.core.uow(), viewer, class_id=scope.klass.id, documents=documents
    )
    console.say(
        "reports.cli.cards_sent",
        pupils=issued.pupils,
        parents=issued.parents,
        connected=issued.connected,
    )
    return 0


async def cmd_report_groups(console: Console, args: argparse.Namespace) -> int:
    """The journals (teaching groups) of a school or class with their ids, for ``journal``."""
    await console.require_schema()
    school = await _school(console, args)
    viewer = Viewer.console()
    if args.class_name:
        scope = await teacher_reports.find_class(
            console.core.uow(), viewer, school_id=school.id, class_name=args.class_name
        )
        groups = await teacher_reports.class_journals(
            console.core.uow(), viewer, class_id=scope.klass.id
        )
    else:
        groups = await teacher_reports.school_journals(
            console.core.uow(), viewer, school_id=school.id
        )
    if not groups:
        console.say("reports.cli.no_groups")
    for group in groups:
        console.emit(f"{group.group_id}\t{group.name}")
    return 0


# ------------------------------------------------------------------ parser


def _common(parser: Any, *, period: bool, formats: bool = True) -> None:
    parser.add_argument("--school", help="school code (default: the only school)")
    if formats:
        parser.add_argument("--format", choices=FORMATS, help="default: from --out, else pdf")
    parser.add_argument("--out", help="the file to write (default: a name in this folder)")
    if period:
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--term", type=int, help="a semester of the current school year")
        parser.add_argument("--year", action="store_true", help="the current school year")


def add_report_commands(sub: Any) -> None:
    """``report journal|attendance|stats|cards|groups``."""
    report = sub.add_parser("report", help="teacher reports and report cards").add_subparsers(
        dest="action", required=True
    )
    journal = report.add_parser("journal", help="a teaching group's class journal (PDF/XLSX)")
    journal.add_argument("--group", type=int, required=True, help="the journal's id (see groups)")
    _common(journal, period=True)
    journal.set_defaults(handler=cmd_report_journal)

    attendance = report.add_parser("attendance", help="a class's attendance for a month")
    attendance.add_argument("--class", dest="class_name", required=True, help="e.g. 5.a")
    attendance.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-11")
    _common(attendance, period=False)
    attendance.set_defaults(handler=cmd_report_attendance)

    stats = report.add_parser("stats", help="mark statistics per class and subject")
    stats.add_argument("--class", dest="class_name", help="only this class, e.g. 5.a")
    _common(stats, period=True)
    stats.set_defaults(handler=cmd_report_stats)

    cards = report.add_parser("cards", help="a class's report cards in one PDF (rule 5.2)")
    cards.add_argument("--class", dest="class_name", required=True, help="e.g. 5.a")
    cards.add_argument("--send", action="store_true", help="also send them to the parents")
    _common(cards, period=False, formats=False)
    cards.set_defaults(handler=cmd_report_cards)

    groups = report.add_parser("groups", help="the journals of a school or class, with ids")
    groups.add_argument("--class", dest="class_name", help="only this class, e.g. 5.a")
    groups.add_argument("--school", help="school code (default: the only school)")
    groups.set_defaults(handler=cmd_report_groups)
