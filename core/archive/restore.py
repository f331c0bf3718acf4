"""``restore_archive``: an archive loaded into an empty database, all in one transaction.

The archive is verified first. Then, inside one transaction, the database is checked to be
empty, migrated to the current schema, and every table is loaded from its JSON file in
dependency order with its ids kept; PostgreSQL's id sequences are moved past the loaded rows.
Any failure rolls everything back, the schema included (SQLite and PostgreSQL both run DDL
inside the transaction), so a refused or failed restore leaves the database as it was.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Table, insert, inspect, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.archive.codec import BadValue, column_kind, decode
from core.archive.export import schema_revision
from core.archive.manifest import Manifest, TableEntry
from core.archive.progress import Progress, ProgressCallback, ignore
from core.archive.sources import ArchiveSource, open_source
from core.archive.verify import verify_source
from core.clock import Clock
from core.domain.access import Viewer
from core.errors import Conflict, InvalidInput, NotAllowed
from core.storage import tables as t
from core.storage.database import alembic_config

_BATCH = 500
_BLOB_BATCH = 16
_END = "]}"


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What ``restore_archive`` loaded."""

    manifest: Manifest
    rows: int
    revision: str | None  # the database's schema revision afterwards


async def restore_archive(
    path: Path,
    engine: AsyncEngine,
    viewer: Viewer,
    *,
    clock: Clock,
    progress: ProgressCallback = ignore,
) -> RestoreResult:
    """Load the archive at ``path`` (ZIP, ISO image or folder) into the empty database.

    The restore is recorded in the restored database's audit log (``archive.restore``).

    Raises:
        NotAllowed: ``archive.console_only`` for anyone but the console operator.
        InvalidInput: the archive fails verification, comes from a newer schema, or a file in
            it is malformed; the rows do not fit the schema.
        Conflict: ``archive.database_not_empty``: the database holds any table with rows, or a
            table that is not the journal's.
    """
    if not viewer.operator:
        raise NotAllowed("archive.console_only")
    with open_source(path) as source:
        report = await asyncio.to_thread(verify_source, path, source, progress)
        manifest = report.manifest
        if manifest is None or not report.ok:
            raise InvalidInput("archive.restore_unverified", problems=len(report.problems))
        order = _tables_in_order(manifest)
        async with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # DDL and data in one explicit transaction: pysqlite would autocommit the DDL.
                await conn.exec_driver_sql("BEGIN")
            else:
                await conn.begin()
            try:
                await _require_empty(conn)
                await conn.run_sync(_upgrade)
                rows = await _load(conn, source, manifest, order, progress)
                if conn.dialect.name == "postgresql":
                    await _advance_sequences(conn)
                await _audit(conn, manifest, path, rows, clock)
                revision = await conn.run_sync(schema_revision)
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
    return RestoreResult(manifest=manifest, rows=rows, revision=revision)


def _tables_in_order(manifest: Manifest) -> list[tuple[Table, TableEntry]]:
    """The archived tables in dependency order; refuses an archive of an unknown schema."""
    revision = manifest.schema_revision
    if revision is not None:
        try:
            known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise InvalidInput("archive.schema_unknown", revision=revision)
    entries = {entry.name: entry for entry in manifest.tables}
    unknown = sorted(set(entries) - set(t.Base.metadata.tables))
    if unknown:
        raise InvalidInput("archive.table_unknown", table=unknown[0])
    return [
        (table, entries[table.name])
        for table in t.Base.metadata.sorted_tables
        if table.name in entries
    ]


def _table_names(connection: Connection) -> list[str]:
    return list(inspect(connection).get_table_names())


async def _require_empty(conn: AsyncConnection) -> None:
    names = await conn.run_sync(_table_names)
    ours = t.Base.metadata.tables
    for name in sorted(names):
        if name == "alembic_version":
            continue
        if name not in ours:
            raise Conflict("archive.database_not_empty", table=name)
        if await conn.scalar(select(literal(1)).select_from(ours[name]).limit(1)) is not None:
            raise Conflict("archive.database_not_empty", table=name)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def _load(
    conn: AsyncConnection,
    source: ArchiveSource,
    manifest: Manifest,
    order: Sequence[tuple[Table, TableEntry]],
    progress: ProgressCallback,
) -> int:
    total = manifest.rows
    done = 0
    for number, (table, entry) in enumerate(order):
        blobs = any(column_kind(column) == "bytes" for column in table.columns)
        size = _BLOB_BATCH if blobs else _BATCH
        loaded = 0
        with source.open(entry.json) as raw:
            rows = _JsonRows(io.TextIOWrapper(raw, encoding="utf-8", newline="\n"), table, entry)
            while batch := rows.next(size):
                try:
                    await conn.execute(insert(table), batch)
                except DBAPIError as exc:
                    # The driver's message may quote the row: only the table is reported.
                    raise InvalidInput("archive.restore_failed", table=table.name) from exc
                loaded += len(batch)
                progress(Progress("restore", done + loaded, total, number, len(order), table.name))
        if loaded != entry.rows:
            raise InvalidInput("archive.file_malformed", path=entry.json)
        done += loaded
        progress(Progress("restore", done, total, number + 1, len(order), table.name))
    return done


class _JsonRows:
    """The rows of one table's JSON file, read a line at a time (one row per line)."""

    def __init__(self, stream: io.TextIOWrapper, table: Table, entry: TableEntry) -> None:
        self._stream = stream
        self._path = entry.json
        try:
            head = json.loads(stream.readline().rstrip("\n") + _END)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput("archive.file_malformed", path=self._path) from exc
        if not isinstance(head, dict) or head.get("table") != table.name or head.get("rows") != []:
            raise InvalidInput("archive.file_malformed", path=self._path)
        columns = head.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise InvalidInput("archive.file_malformed", path=self._path)
        unknown = [name for name in columns if name not in table.c]
        if unknown:
            raise InvalidInput("archive.column_unknown", table=table.name, column=unknown[0])
        self._columns: list[str] = columns
        self._kinds = [column_kind(table.c[name]) for name in columns]
        self._ended = False

    def next(self, size: int) -> list[dict[str, Any]]:
        """Up to ``size`` rows as column values; empty at the end of the table."""
        batch: list[dict[str, Any]] = []
        while len(batch) < size and not self._ended:
            line = self._stream.readline()
            try:
                values = self._parse(line)
            except (UnicodeDecodeError, json.JSONDecodeError, BadValue) as exc:
                raise InvalidInput("archive.file_malformed", path=self._path) from exc
            if values is not None:
                batch.append(values)
        return batch

    def _parse(self, line: str) -> dict[str, Any] | None:
        text_line = line.rstrip("\n")
        if text_line == _END:
            if self._stream.read().strip():
                raise InvalidInput("archive.file_malformed", path=self._path)
            self._ended = True
            return None
        if not line:
            raise InvalidInput("archive.file_malformed", path=self._path)
        values = json.loads(text_line.removesuffix(","))
        if not isinstance(values, list) or len(values) != len(self._columns):
            raise InvalidInput("archive.file_malformed", path=self._path)
        return {
            name: decode(kind, name, value)
            for name, kind, value in zip(self._columns, self._kinds, values, strict=True)
        }


async def _advance_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: loaded ids do not move the serial sequences; move them past the rows."""
    for table in t.Base.metadata.sorted_tables:
        column = table.c.get("id")
        if column is None or not column.primary_key:
            continue
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
            )
        )


async def _audit(
    conn: AsyncConnection, manifest: Manifest, path: Path, rows: int, clock: Clock
) -> None:
    """The restore in the restored database's audit log (by the console operator)."""
    await conn.execute(
        insert(t.Base.metadata.tables["audit_log"]).values(
            occurred_at=clock.now(),
            actor_id=None,
            actor_role="console",
            school_id=manifest.school.id,
            action="archive.restore",
            entity="school_year",
            entity_id=manifest.year.id,
            subject_person_id=None,
            before=None,
            after={
                "file": path.name,
                "created_at": manifest.created_at.isoformat(),
                "rows": rows,
            },
        )
    )
