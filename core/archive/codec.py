"""Values as the archive writes them (CSV text, JSON values) and reads them back for a restore.

One spelling per type, the same from SQLite and PostgreSQL: instants in UTC ISO 8601
(``2026-11-27T08:00:00+00:00``), dates and times ISO, binary as standard base64, booleans
``true``/``false``, JSON columns as compact JSON with sorted keys, NULL as an empty CSV field
(JSON ``null``). Restores read the JSON files, where NULL and the empty string differ.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
    Time,
)


class UnsupportedColumn(TypeError):
    """A column type the archive does not know how to write: add it here."""


class BadValue(ValueError):
    """A value in an archive file does not fit its column."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


Kind = Literal["bool", "int", "str", "date", "datetime", "time", "bytes", "json"]


def column_kind(column: Column[Any]) -> Kind:
    """How the archive spells the values of a column."""
    kind = column.type
    known: tuple[tuple[type, Kind], ...] = (
        (Boolean, "bool"),
        (Integer, "int"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Time, "time"),
        (LargeBinary, "bytes"),
        (JSON, "json"),
        (String, "str"),
    )
    for cls, name in known:
        if isinstance(kind, cls):
            return name
    raise UnsupportedColumn(f"{column.table.name}.{column.name}: {kind!r}")


def table_kinds(table: Table) -> list[Kind]:
    """The kinds of a table's columns, in the table's column order."""
    return [column_kind(column) for column in table.columns]


def compact_json(value: Any) -> str:
    """Compact JSON with sorted keys, UTF-8 text kept as it is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _instant(value: datetime) -> str:
    # SQLite hands back the stored UTC wall time without a zone; PostgreSQL an aware instant.
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def _text(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "json":
        return compact_json(value)
    return str(_json(kind, value))


_ENCODERS: dict[Kind, Callable[[Any], Any]] = {
    "bool": bool,
    "int": int,
    "str": str,
    "datetime": _instant,
    "date": lambda value: value.isoformat(),
    "time": lambda value: value.isoformat(),
    "bytes": lambda value: base64.b64encode(bytes(value)).decode("ascii"),
    "json": lambda value: value,
}


def _json(kind: Kind, value: Any) -> Any:
    return None if value is None else _ENCODERS[kind](value)


def csv_row(kinds: Sequence[Kind], row: Sequence[Any]) -> list[str]:
    """A database row as CSV fields."""
    return [_text(kind, value) for kind, value in zip(kinds, row, strict=True)]


def json_row(kinds: Sequence[Kind], row: Sequence[Any]) -> list[Any]:
    """A database row as JSON values."""
    return [_json(kind, value) for kind, value in zip(kinds, row, strict=True)]


def _decode_bytes(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii"), validate=True)


def _decode_instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("an instant needs its offset")
    return parsed.astimezone(UTC)


_DECODERS: dict[Kind, tuple[type | tuple[type, ...], Callable[[Any], Any]]] = {
    "bool": (bool, bool),
    "int": (int, int),
    "str": (str, str),
    "date": (str, date.fromisoformat),
    "datetime": (str, _decode_instant),
    "time": (str, time.fromisoformat),
    "bytes": (str, _decode_bytes),
}


def decode(kind: Kind, column: str, value: Any) -> Any:
    """A JSON value of an archive file as the database value of its column.

    Raises:
        BadValue: the value does not fit the column's kind.
    """
    if value is None or kind == "json":
        return value
    expected, convert = _DECODERS[kind]
    if not isinstance(value, expected) or (kind == "int" and isinstance(value, bool)):
        raise BadValue(column)
    try:
        return convert(value)
    except (ValueError, binascii.Error) as exc:
        raise BadValue(column) from exc
