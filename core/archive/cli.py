"""``ejournal archive create|verify|restore``: the year-end archive from the console.

Registered by ``core.cli.build_parser``; a progress bar goes to stderr (redrawn in place on a
terminal, one line per finished table otherwise), the result to the console's output.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from core.archive.manifest import Manifest
from core.archive.progress import Progress
from core.clock import Clock, SystemClock
from core.domain.access import Viewer
from core.errors import InvalidInput
from core.services.retention import record_archive_verified
from core.storage import database
from core.storage.database import create_engine

if TYPE_CHECKING:
    from core.archive.verify import VerifyReport
    from core.cli import Console

_WIDTH = 30

log = logging.getLogger("ejournal.archive")


class ProgressBar:
    """A textual progress bar: rows and tables for exports and restores, files otherwise."""

    def __init__(self, console: Console, stream: TextIO | None = None) -> None:
        self._console = console
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._shown = 0  # length of the line on screen (terminal)
        self._last: tuple[object, ...] | None = None

    def __call__(self, progress: Progress) -> None:
        """Show where the job is."""
        line = self._line(progress)
        if self._tty:
            self._stream.write("\r" + line.ljust(self._shown))
            self._shown = len(line)
        else:
            key = (progress.step, progress.tables_done, progress.done == progress.total)
            if key == self._last:
                return
            self._last = key
            self._stream.write(line + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """End the bar's line (terminal)."""
        if self._tty and self._shown:
            self._stream.write("\n")
            self._stream.flush()
        self._shown = 0

    def _line(self, progress: Progress) -> str:
        t = self._console.t
        label = t(f"archive.step.{progress.step}")
        if progress.total <= 0:
            return f"{label}: " + t("archive.progress_count", done=progress.done)
        share = min(progress.done / progress.total, 1.0)
        filled = round(share * _WIDTH)
        bar = f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {round(share * 100):3d}%"
        if progress.step in ("export", "restore"):
            detail = t(
                "archive.progress_rows",
                tables_done=progress.tables_done,
                tables_total=progress.tables_total,
                done=progress.done,
                total=progress.total,
            )
        else:
            detail = t("archive.progress_files", done=progress.done, total=progress.total)
        return f"{label} {bar}  {detail}"


async def cmd_archive_create(console: Console, args: argparse.Namespace) -> int:
    """Write one school year's archive (ZIP, and an ISO image with ``--iso``)."""
    # The exporter (Alembic, pycdlib, ReportLab, ~20 MB) loads only when an archive is made:
    # these commands are registered on every start of the console and the bot process.
    from core.archive.export import create_archive  # noqa: PLC0415

    await console.require_schema()
    bar = ProgressBar(console)
    try:
        result = await create_archive(
            console.core,
            Viewer.console(),
            year=args.year,
            school_code=args.school,
            out_dir=args.out,
            iso=args.iso,
            progress=bar,
        )
    finally:
        bar.finish()
    manifest = result.manifest
    console.say(
        "archive.created",
        path=str(result.zip_path),
        school=manifest.school.name,
        year=manifest.year.name,
        tables=len(manifest.tables),
        rows=manifest.rows,
        files=len(manifest.files),
        documents=sum(manifest.documents.values()),
    )
    if result.iso_path is not None:
        console.say("archive.created_iso", path=str(result.iso_path))
    console.say("archive.sha256", sha256=result.sha256)
    return 0


async def cmd_archive_verify(console: Console, args: argparse.Namespace) -> int:
    """Check an archive against its manifest; exit code 1 when anything is wrong."""
    from core.archive.verify import verify_archive  # noqa: PLC0415 (see cmd_archive_create)

    bar = ProgressBar(console)
    try:
        report = await verify_archive(args.file, Viewer.console(), progress=bar)
    finally:
        bar.finish()
    for line in verify_lines(console, report):
        console.emit(line)
    if report.ok and report.manifest is not None:
        await record_verification(console, report.path, report.manifest)
    return 0 if report.ok else 1


async def record_verification(console: Console, path: Path, manifest: Manifest) -> None:
    """Note the verification in the configured database when it holds the archived year.

    Retention deletes a school year's data only once a verified archive of it is on record.
    Verifying needs no database: when there is none (or not this school year), nothing is noted.
    """
    url = make_url(console.settings.database.url)
    if url.get_backend_name() == "sqlite":
        exists: bool = bool(url.database) and await asyncio.to_thread(
            Path(url.database or ".").is_file
        )
        if not exists:
            return
    if await asyncio.to_thread(path.is_file):
        from core.archive.export import file_digest  # noqa: PLC0415 (see cmd_archive_create)

        digest = (await asyncio.to_thread(file_digest, path))[1]
    else:
        digest = hashlib.sha256(manifest.to_json()).hexdigest()
    try:
        if await database.current_revision(console.core.engine) is None:
            return
        recorded = await record_archive_verified(
            console.core.uow(),
            Viewer.console(),
            school_code=manifest.school.code,
            year_name=manifest.year.name,
            sha256=digest,
        )
    except (OSError, SQLAlchemyError):
        log.warning("the verification could not be noted in the database")
        return
    if recorded:
        console.say(
            "archive.verify_recorded", school=manifest.school.code, year=manifest.year.name
        )


def verify_lines(console: Console, report: VerifyReport) -> list[str]:
    """The verification report as console lines."""
    t = console.t
    manifest = report.manifest
    if report.ok and manifest is not None:
        return [
            t(
                "archive.verified",
                path=str(report.path),
                files=report.checked,
                school=manifest.school.name,
                year=manifest.year.name,
                created=manifest.created_at.strftime("%d.%m.%Y %H:%M UTC"),
            )
        ]
    lines = [t("archive.verify_failed", path=str(report.path), count=len(report.problems))]
    lines += [
        "  " + t(f"archive.problem.{problem.kind}", path=problem.path, detail=problem.detail)
        for problem in report.problems
    ]
    return lines


async def cmd_archive_restore(console: Console, args: argparse.Namespace) -> int:
    """Load an archive into an empty database (``--database``, else the configured one)."""
    from core.archive.restore import restore_archive  # noqa: PLC0415 (see cmd_archive_create)

    bar = ProgressBar(console)
    clock: Clock
    if args.database:
        try:
            engine = create_engine(args.database)
        except ArgumentError as exc:  # the URL is not echoed: it may carry a password
            raise InvalidInput("archive.database_url_invalid") from exc
        clock = SystemClock()
    else:
        engine, clock = console.core.engine, console.core.clock
    try:
        result = await restore_archive(
            args.file, engine, Viewer.console(), clock=clock, progress=bar
        )
    finally:
        bar.finish()
        if args.database:
            await engine.dispose()
    manifest = result.manifest
    console.say(
        "archive.restored",
        school=manifest.school.name,
        code=manifest.school.code,
        year=manifest.year.name,
        tables=len(manifest.tables),
        rows=result.rows,
        revision=result.revision or "-",
    )
    return 0


def add_archive_commands(sub: Any) -> None:
    """``archive create|verify|restore`` (rule 5.3)."""
    archive = sub.add_parser("archive", help="the year-end archive (rule 5.3)").add_subparsers(
        dest="action", required=True
    )
    create = archive.add_parser(
        "create", help="write a school year as PDF, CSV and JSON with a manifest, as ZIP (and ISO)"
    )
    create.add_argument("--year", required=True, help="the school year, e.g. 2025/2026")
    create.add_argument("--school", help="school code (default: the only school)")
    create.add_argument("--out", required=True, type=Path, help="the folder to write into")
    create.add_argument("--iso", action="store_true", help="also an ISO 9660 image to burn")
    create.set_defaults(handler=cmd_archive_create)
    verify = archive.add_parser("verify", help="check an archive (ZIP, ISO or folder)")
    verify.add_argument("file", type=Path)
    verify.set_defaults(handler=cmd_archive_verify)
    restore = archive.add_parser("restore", help="load an archive into an empty database")
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--database", help="database URL (default: the configured database; it must be empty)"
    )
    restore.set_defaults(handler=cmd_archive_restore)
