"""``create_archive``: one school year written out as CSV, JSON, files, PDFs and a manifest.

The tables are read from one snapshot (PostgreSQL: a repeatable-read, read-only transaction;
SQLite: one read transaction), streamed in primary-key order and written straight to a staging
folder beside the output, so no table is ever held in memory. The staging folder is packed as a
ZIP (and an ISO image), then removed; a failure leaves no partial archive behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Row, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.archive import documents as registry
from core.archive.codec import Kind, compact_json, csv_row, json_row, table_kinds
from core.archive.documents import Document, DocumentContext, Producer
from core.archive.manifest import (
    MANIFEST,
    README,
    SUMS,
    FileEntry,
    Manifest,
    SchoolInfo,
    TableEntry,
    YearInfo,
    sums_file,
    valid_path,
)
from core.archive.package import volume_label, write_iso, write_zip, zip_stamp
from core.archive.progress import Progress, ProgressCallback, ignore
from core.archive.scope import Selection, YearWindow, archived_tables, excluded_tables, references
from core.bootstrap import Core
from core.domain.access import Viewer, manages_school
from core.domain.records import AuditRecord
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.storage import tables as t

_YEAR = re.compile(r"(\d{4})/(\d{4})")
_BATCH = 500  # rows fetched at a time
_BLOB_BATCH = 16  # rows of tables that carry file contents
_CHUNK = 1 << 20
ATTACHMENTS = "attachments"


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    """What ``create_archive`` wrote."""

    zip_path: Path
    iso_path: Path | None
    sha256: str  # of the ZIP file, also in the audit log
    manifest: Manifest


def archive_name(school_code: str, year: str) -> str:
    """The archive's file name without extension: ``ejournal-demo1-2025-2026``."""
    return f"ejournal-{school_code}-{year.replace('/', '-')}"


def check_year_name(year: str) -> str:
    """A school year as the console names it (``2025/2026``).

    Raises:
        InvalidInput: ``archive.year_invalid``.
    """
    year = year.strip()
    match = _YEAR.fullmatch(year)
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise InvalidInput("archive.year_invalid", year=year)
    return year


def app_version() -> str:
    """The installed ejournal version."""
    try:
        return version("ejournal")
    except PackageNotFoundError:
        return "unknown"


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose reads all see one consistent state of the database; changes nothing."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            await conn.begin()
        else:
            # pysqlite opens no transaction for reads on its own; this one pins a WAL snapshot.
            await conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            await conn.rollback()


def schema_revision(connection: Connection) -> str | None:
    """The database's Alembic revision."""
    return MigrationContext.configure(connection).get_current_revision()


async def create_archive(
    core: Core,
    viewer: Viewer,
    *,
    year: str,
    out_dir: Path,
    school_code: str | None = None,
    iso: bool = False,
    producers: Mapping[str, Producer] | None = None,
    progress: ProgressCallback = ignore,
) -> ArchiveResult:
    """Write the archive of one school year of one school into ``out_dir``.

    The console operator may archive the schools they manage. The ZIP is named
    ``ejournal-<school>-<year>.zip`` (``.iso`` beside it with ``iso``); an existing file of that
    name is never overwritten. The creation is recorded in the audit log with the ZIP's SHA-256.
    ``producers`` default to the registered ones (``core.archive.documents.PRODUCERS``).

    Raises:
        NotAllowed: ``archive.console_only`` for anyone but the console operator.
        InvalidInput: a malformed year, several schools and no ``school_code``, an output
            folder that cannot be written.
        NotFound: the school or the year does not exist.
        Conflict: the archive file exists already; a row points outside the archive.
    """
    if not viewer.operator:
        raise NotAllowed("archive.console_only")
    year = check_year_name(year)
    created_at = core.clock.now()
    async with snapshot(core.engine) as conn:
        school = await _school(conn, viewer, school_code)
        year_row = await _year(conn, school, year)
        name = archive_name(school.code, year_row.name)
        zip_path = out_dir / f"{name}.zip"
        iso_path = out_dir / f"{name}.iso" if iso else None
        for target in (zip_path, iso_path):
            if target is not None and target.exists():
                raise Conflict("archive.out_exists", path=str(target))
        staging = _staging(out_dir)
        try:
            window = YearWindow.of(
                school_id=school.id,
                year_id=year_row.id,
                starts_on=year_row.starts_on,
                ends_on=year_row.ends_on,
                zone=ZoneInfo(school.time_zone),
            )
            exported, ids = await _export_tables(
                conn, Selection(window, cutoff=created_at), staging, progress
            )
            revision = await conn.run_sync(schema_revision)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    try:
        context = DocumentContext(
            uow=core.uow,
            viewer=viewer,
            school_id=school.id,
            year_id=year_row.id,
            year_name=year_row.name,
            first_day=year_row.starts_on,
            last_day=min(year_row.ends_on, created_at.astimezone(window.zone).date()),
            class_ids=tuple(sorted(ids["classes"])),
            group_ids=tuple(sorted(ids["teaching_groups"])),
            catalogs=core.catalogs,
            lang=school.locale,
        )
        chosen = registry.PRODUCERS if producers is None else producers
        documents = await _write_documents(chosen, context, staging, progress)
        manifest = Manifest(
            app_version=app_version(),
            schema_revision=revision,
            created_at=created_at,
            school=SchoolInfo(
                id=school.id,
                code=school.code,
                name=school.name,
                time_zone=school.time_zone,
                locale=school.locale,
            ),
            year=YearInfo(
                id=year_row.id,
                name=year_row.name,
                starts_on=year_row.starts_on,
                ends_on=year_row.ends_on,
                first_day=window.first_day,
                end_day=window.end_day,
            ),
            tables=tuple(exported),
            excluded=excluded_tables(),
            documents=documents,
            files=(),
        )
        readme = _readme(core, manifest, window.zone)
        await asyncio.to_thread((staging / README).write_bytes, readme)
        manifest = await asyncio.to_thread(_seal, staging, manifest)
        digest = await _pack(
            staging,
            zip_path=zip_path,
            iso_path=iso_path,
            manifest=manifest,
            zone=window.zone,
            progress=progress,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    async with core.uow() as uow:
        uow.audit(
            viewer,
            AuditRecord(
                action="archive.create",
                entity="school_year",
                entity_id=year_row.id,
                school_id=school.id,
                after={
                    "file": zip_path.name,
                    "sha256": digest,
                    "rows": manifest.rows,
                    "iso": iso_path is not None,
                },
            ),
        )
        await uow.privacy.record_archive(  # retention needs it verified before it deletes
            school_id=school.id, year_id=year_row.id, sha256=digest, now=created_at, verified=False
        )
        await uow.commit()
    return ArchiveResult(zip_path=zip_path, iso_path=iso_path, sha256=digest, manifest=manifest)


# ------------------------------------------------------------------------- school and year


async def _school(conn: AsyncConnection, viewer: Viewer, code: str | None) -> Row[Any]:
    schools = t.School.__table__
    if code is not None:
        row = (await conn.execute(select(schools).where(schools.c.code == code))).first()
        if row is None or not manages_school(viewer, row.id):
            raise NotFound("school.not_found", code=code)
        return row
    rows = [
        row
        for row in (await conn.execute(select(schools).order_by(schools.c.code))).all()
        if manages_school(viewer, row.id)
    ]
    if not rows:
        raise NotFound("archive.no_school")
    if len(rows) > 1:
        raise InvalidInput("archive.school_required", schools=", ".join(r.code for r in rows))
    return rows[0]


async def _year(conn: AsyncConnection, school: Row[Any], name: str) -> Row[Any]:
    years = t.SchoolYear.__table__
    rows = (
        await conn.execute(
            select(years).where(years.c.school_id == school.id).order_by(years.c.starts_on)
        )
    ).all()
    for row in rows:
        if row.name == name:
            return row
    raise NotFound(
        "archive.year_not_found",
        year=name,
        code=school.code,
        years=", ".join(row.name for row in rows) or "-",
    )


def _staging(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".ejournal-archive-", dir=out_dir))
    except OSError as exc:
        raise InvalidInput("archive.out_not_writable", path=str(out_dir)) from exc


# ---------------------------------------------------------------------------------- tables


class _TableFiles:
    """The CSV and JSON files of one table, written row by row."""

    def __init__(self, staging: Path, table: Table, kinds: Sequence[Kind]) -> None:
        self.csv_path = f"csv/{table.name}.csv"
        self.json_path = f"json/{table.name}.json"
        self._kinds = kinds
        self._staging = staging
        self._blobs = table.name == "files"
        for folder in ("csv", "json", *((ATTACHMENTS,) if self._blobs else ())):
            (staging / folder).mkdir(exist_ok=True)
        self._csv_file = (staging / self.csv_path).open("w", encoding="utf-8", newline="")
        self._json_file = (staging / self.json_path).open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._csv_file, lineterminator="\r\n")
        columns = [column.name for column in table.columns]
        self._csv.writerow(columns)
        head = compact_json({"columns": columns, "table": table.name, "types": list(kinds)})
        self._json_file.write(head[:-1] + ',"rows":[')
        self._first = True
        self._index = {name: i for i, name in enumerate(columns)}
        self.attachments: list[str] = []

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to both files (and the files table's contents to attachments/)."""
        for row in rows:
            self._csv.writerow(csv_row(self._kinds, row))
            self._json_file.write("\n" if self._first else ",\n")
            self._json_file.write(compact_json(json_row(self._kinds, row)))
            self._first = False
            if self._blobs:
                self._attach(row)

    def _attach(self, row: Sequence[Any]) -> None:
        path = attachment_path(int(row[self._index["id"]]), str(row[self._index["filename"]]))
        (self._staging / path).write_bytes(bytes(row[self._index["content"]]))
        self.attachments.append(path)

    def close(self) -> None:
        """Finish the JSON document and close both files."""
        self._json_file.write("\n]}\n")
        self._csv_file.close()
        self._json_file.close()

    def discard(self) -> None:
        """Close without finishing (the export failed)."""
        self._csv_file.close()
        self._json_file.close()


def attachment_path(file_id: int, filename: str) -> str:
    """Where a stored file's bytes go: ``attachments/<id>-<name>``, safe and at most 64 long."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    safe = (
        "".join(
            ch if (ch.isalnum() and ord(ch) < 0x10000) or ch in "-_." else "_" for ch in name
        ).strip("._")
        or "file"
    )
    prefix = f"{file_id}-"
    stem, dot, extension = safe.rpartition(".")
    if not dot or len(extension) > 10 or not stem:
        stem, extension = safe, ""
    room = 64 - len(prefix) - (len(extension) + 1 if extension else 0)
    return f"{ATTACHMENTS}/{prefix}{stem[:room]}" + (f".{extension}" if extension else "")


async def _export_tables(
    conn: AsyncConnection, selection: Selection, staging: Path, progress: ProgressCallback
) -> tuple[list[TableEntry], dict[str, set[int]]]:
    """Write every archived table; the entries, and the ids of the tables others refer to."""
    tables = archived_tables()
    archived = {table.name for table in tables}
    targets = {target for table in tables for _, target in references(table)}
    counts = {
        table.name: int(
            await conn.scalar(
                select(func.count()).select_from(table).where(selection.where(table.name))
            )
            or 0
        )
        for table in tables
    }
    total = sum(counts.values())
    ids: dict[str, set[int]] = {name: set() for name in targets}
    done = 0
    entries: list[TableEntry] = []
    for number, table in enumerate(tables):
        kinds = table_kinds(table)
        checks = [
            (i, column.name, target)
            for i, column in enumerate(table.columns)
            for name, target in references(table)
            if name == column.name
        ]
        keep = ids.get(table.name)
        id_index = [column.name for column in table.columns].index("id") if keep is not None else 0
        blobs = any(kind == "bytes" for kind in kinds)
        files = _TableFiles(staging, table, kinds)
        written = 0
        try:
            statement = selection.rows(table).execution_options(
                yield_per=_BLOB_BATCH if blobs else _BATCH
            )
            result = await conn.stream(statement)
            async for partition in result.partitions():
                for row in partition:
                    for index, column, target in checks:
                        value = row[index]
                        if value is not None and (
                            target not in archived or value not in ids[target]
                        ):
                            raise Conflict(
                                "archive.dangling_reference", table=table.name, column=column
                            )
                    if keep is not None:
                        keep.add(int(row[id_index]))
                files.write(partition)
                written += len(partition)
                progress(
                    Progress("export", done + written, total, number, len(tables), table.name)
                )
        except BaseException:
            files.discard()
            raise
        files.close()
        done += written
        entries.append(TableEntry(table.name, written, files.csv_path, files.json_path))
        progress(Progress("export", done, total, number + 1, len(tables), table.name))
    return entries, ids


# ------------------------------------------------------------------------------- documents


async def _write_documents(
    producers: Mapping[str, Producer],
    context: DocumentContext,
    staging: Path,
    progress: ProgressCallback,
) -> dict[str, int]:
    written: dict[str, int] = {}
    for number, (name, produce) in enumerate(sorted(producers.items())):
        count = 0
        document: Document
        async for document in produce(context):
            path = f"pdf/{name}/{document.path}"
            target = staging / path
            if not valid_path(path) or target.exists():
                raise InvalidInput("archive.document_path_invalid", path=path)
            target.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(target.write_bytes, document.content)
            count += 1
            progress(Progress("documents", count, 0, number, len(producers), name))
        written[name] = count
    return written


# ------------------------------------------------------------------------- seal and pack


def _readme(core: Core, manifest: Manifest, zone: ZoneInfo) -> bytes:
    """README.txt in Latvian (the state language; the school archive keeps Latvian records)."""
    lang = "lv"
    reasons: dict[str, list[str]] = {}
    for table, reason in sorted(manifest.excluded.items()):
        reasons.setdefault(reason, []).append(table)
    excluded = "\n".join(
        core.catalogs.text(reason, lang, tables=", ".join(tables))
        for reason, tables in sorted(reasons.items())
    )
    text = core.catalogs.text(
        "archive.readme",
        lang,
        school=manifest.school.name,
        code=manifest.school.code,
        year=manifest.year.name,
        first=manifest.year.first_day.strftime("%d.%m.%Y"),
        last=(manifest.year.end_day - timedelta(days=1)).strftime("%d.%m.%Y"),
        created=_local(manifest.created_at, zone),
        tables=len(manifest.tables),
        rows=manifest.rows,
        documents=sum(manifest.documents.values()),
        excluded=excluded,
    )
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def _staged(staging: Path) -> list[str]:
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())


def file_digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _seal(staging: Path, manifest: Manifest) -> Manifest:
    """Hash every staged file, write SHA256SUMS and manifest.json; the manifest as written."""
    rows = {path: table.rows for table in manifest.tables for path in (table.csv, table.json)}
    entries = []
    for path in _staged(staging):
        size, sha = file_digest(staging / path)
        entries.append(FileEntry(path, size, sha, rows.get(path)))
    (staging / SUMS).write_bytes(sums_file(entries))
    size, sha = file_digest(staging / SUMS)
    entries.append(FileEntry(SUMS, size, sha))
    sealed = Manifest(
        app_version=manifest.app_version,
        schema_revision=manifest.schema_revision,
        created_at=manifest.created_at,
        school=manifest.school,
        year=manifest.year,
        tables=manifest.tables,
        excluded=manifest.excluded,
        documents=manifest.documents,
        files=tuple(sorted(entries, key=lambda entry: entry.path)),
    )
    (staging / MANIFEST).write_bytes(sealed.to_json())
    return sealed


async def _pack(
    staging: Path,
    *,
    zip_path: Path,
    iso_path: Path | None,
    manifest: Manifest,
    zone: ZoneInfo,
    progress: ProgressCallback,
) -> str:
    """Write the ZIP (and the ISO image) under temporary names, then move them in place."""
    paths = _staged(staging)
    targets = [(zip_path, zip_path.with_name(f".{zip_path.name}.part"))]
    if iso_path is not None:
        targets.append((iso_path, iso_path.with_name(f".{iso_path.name}.part")))
    try:
        progress(Progress("pack", 0, len(targets)))
        stamp = zip_stamp(manifest.created_at.astimezone(zone))
        await asyncio.to_thread(write_zip, staging, paths, targets[0][1], stamp)
        progress(Progress("pack", 1, len(targets)))
        if iso_path is not None:
            label = volume_label(manifest.year.name)
            await asyncio.to_thread(write_iso, staging, paths, targets[1][1], label)
            progress(Progress("pack", 2, len(targets)))
        _size, digest = await asyncio.to_thread(file_digest, targets[0][1])
        for final, part in targets:
            os.replace(part, final)
    except BaseException:
        for _final, part in targets:
            with contextlib.suppress(OSError):
                part.unlink()
        raise
    return digest
