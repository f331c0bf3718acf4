"""The archive's manifest: what it holds, where it came from, and the SHA-256 of every file.

``manifest.json`` is the archive's table of contents and its seal: a file that is missing,
changed or not listed makes the archive fail verification. ``SHA256SUMS`` repeats the hashes in
the format of ``sha256sum -c`` so the archive can be checked without this program.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

FORMAT = "ejournal-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_COMPONENT = 64  # Joliet's limit for one name on a CD


class ManifestInvalid(ValueError):
    """The manifest is not a well-formed manifest of this format; ``detail`` says where."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def valid_path(path: str) -> bool:
    """A relative path inside the archive: forward slashes, no ``..``, short names."""
    if not path or path.startswith("/") or "\\" in path or any(ord(ch) < 32 for ch in path):
        return False
    parts = path.split("/")
    return all(part not in ("", ".", "..") and len(part) <= _MAX_COMPONENT for part in parts)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of the archive; ``rows`` for the table files."""

    path: str
    size: int
    sha256: str
    rows: int | None = None


@dataclass(frozen=True, slots=True)
class TableEntry:
    """One archived table: its row count and its two files."""

    name: str
    rows: int
    csv: str
    json: str


@dataclass(frozen=True, slots=True)
class SchoolInfo:
    """The archived school."""

    id: int
    code: str
    name: str
    time_zone: str
    locale: str


@dataclass(frozen=True, slots=True)
class YearInfo:
    """The archived school year and the window of time it covers (end exclusive)."""

    id: int
    name: str
    starts_on: date
    ends_on: date
    first_day: date
    end_day: date


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything ``manifest.json`` says."""

    app_version: str
    schema_revision: str | None
    created_at: datetime
    school: SchoolInfo
    year: YearInfo
    tables: tuple[TableEntry, ...]
    excluded: Mapping[str, str]  # table -> reason (catalog key)
    documents: Mapping[str, int]  # producer -> documents written
    files: tuple[FileEntry, ...]
    format_version: int = FORMAT_VERSION

    @property
    def rows(self) -> int:
        """Rows in every archived table together."""
        return sum(table.rows for table in self.tables)

    def to_json(self) -> bytes:
        """The manifest file: indented, keys sorted, UTF-8, one trailing newline."""
        data = {
            "format": FORMAT,
            "format_version": self.format_version,
            "app_version": self.app_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "school": {
                "id": self.school.id,
                "code": self.school.code,
                "name": self.school.name,
                "time_zone": self.school.time_zone,
                "locale": self.school.locale,
            },
            "year": {
                "id": self.year.id,
                "name": self.year.name,
                "starts_on": self.year.starts_on.isoformat(),
                "ends_on": self.year.ends_on.isoformat(),
                "window": [self.year.first_day.isoformat(), self.year.end_day.isoformat()],
            },
            "tables": [
                {"name": t.name, "rows": t.rows, "csv": t.csv, "json": t.json} for t in self.tables
            ],
            "excluded_tables": dict(self.excluded),
            "documents": dict(self.documents),
            "files": [_file_json(entry) for entry in self.files],
        }
        text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        return (text + "\n").encode("utf-8")

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        """Read and check a manifest file.

        Raises:
            ManifestInvalid: not JSON, another format or version, a field missing or of the
                wrong type, an unsafe or repeated path, a malformed hash.
        """
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestInvalid("json") from exc
        doc = _Reader(raw, "manifest")
        if doc.text("format") != FORMAT:
            raise ManifestInvalid("format")
        version = doc.number("format_version")
        if version != FORMAT_VERSION:
            raise ManifestInvalid(f"format_version={version}")
        school = doc.obj("school")
        year = doc.obj("year")
        window = year.items("window")
        if len(window) != 2:
            raise ManifestInvalid("year.window")
        files = tuple(_file_entry(_Reader(item, "files[]")) for item in doc.items("files"))
        paths = [entry.path for entry in files]
        if len(set(paths)) != len(paths):
            raise ManifestInvalid("files: a path is listed twice")
        tables = tuple(_table_entry(_Reader(item, "tables[]")) for item in doc.items("tables"))
        rows = {entry.path: entry.rows for entry in files}
        for table in tables:
            for path in (table.csv, table.json):
                if path not in rows or rows[path] != table.rows:
                    raise ManifestInvalid(f"tables.{table.name}: {path}")
        return cls(
            format_version=version,
            app_version=doc.text("app_version"),
            schema_revision=doc.optional_text("schema_revision"),
            created_at=_instant(doc.text("created_at"), "created_at"),
            school=SchoolInfo(
                id=school.number("id"),
                code=school.text("code"),
                name=school.text("name"),
                time_zone=school.text("time_zone"),
                locale=school.text("locale"),
            ),
            year=YearInfo(
                id=year.number("id"),
                name=year.text("name"),
                starts_on=_day(year.text("starts_on"), "year.starts_on"),
                ends_on=_day(year.text("ends_on"), "year.ends_on"),
                first_day=_day(window[0], "year.window"),
                end_day=_day(window[1], "year.window"),
            ),
            tables=tables,
            excluded={k: str(v) for k, v in doc.obj("excluded_tables").raw.items()},
            documents={
                k: _count(v, f"documents.{k}") for k, v in doc.obj("documents").raw.items()
            },
            files=files,
        )


def sums_file(files: Iterable[FileEntry]) -> bytes:
    """``SHA256SUMS`` for the files, in the format ``sha256sum -c`` reads."""
    lines = [f"{entry.sha256}  {entry.path}\n" for entry in sorted(files, key=lambda f: f.path)]
    return "".join(lines).encode("utf-8")


def _file_json(entry: FileEntry) -> dict[str, Any]:
    data: dict[str, Any] = {"path": entry.path, "size": entry.size, "sha256": entry.sha256}
    if entry.rows is not None:
        data["rows"] = entry.rows
    return data


def _file_entry(item: _Reader) -> FileEntry:
    path = item.text("path")
    if not valid_path(path) or path == MANIFEST:
        raise ManifestInvalid(f"files: unsafe path {path!r}")
    sha = item.text("sha256")
    if not _HEX64.fullmatch(sha):
        raise ManifestInvalid(f"files: {path}: sha256")
    rows = item.raw.get("rows")
    return FileEntry(
        path=path,
        size=_count(item.raw.get("size"), f"{path}: size"),
        sha256=sha,
        rows=None if rows is None else _count(rows, f"{path}: rows"),
    )


def _table_entry(item: _Reader) -> TableEntry:
    return TableEntry(
        name=item.text("name"),
        rows=_count(item.raw.get("rows"), "tables: rows"),
        csv=item.text("csv"),
        json=item.text("json"),
    )


def _count(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ManifestInvalid(where)
    return value


def _day(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ManifestInvalid(where) from exc


def _instant(value: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ManifestInvalid(where) from exc
    if parsed.tzinfo is None:
        raise ManifestInvalid(where)
    return parsed


class _Reader:
    """Typed access to one JSON object of the manifest; wrong shapes raise ManifestInvalid."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise ManifestInvalid(where)
        self.raw: dict[str, Any] = raw
        self.where = where

    def _get(self, key: str, kind: type) -> Any:
        value = self.raw.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ManifestInvalid(f"{self.where}.{key}")
        return value

    def text(self, key: str) -> str:
        return str(self._get(key, str))

    def optional_text(self, key: str) -> str | None:
        return None if self.raw.get(key) is None else self.text(key)

    def number(self, key: str) -> int:
        return int(self._get(key, int))

    def items(self, key: str) -> list[Any]:
        return list(self._get(key, list))

    def obj(self, key: str) -> _Reader:
        return _Reader(self._get(key, dict), f"{self.where}.{key}")
