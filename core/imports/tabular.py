"""Owns reading a spreadsheet-like upload (CSV or XLSX bytes) into a header and numbered rows.

Generic: knows nothing of people or timetables. A bad file is ``ImportRejected``, never a crash.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath

from core.errors import ImportProblem, ImportRejected
from core.imports.problems import echo

MAX_ROWS = 20_000

FILE_UNREADABLE = "import.file.unreadable"
FILE_EMPTY = "import.file.empty"
FILE_TOO_MANY_ROWS = "import.file.too_many_rows"
COLUMN_MISSING = "import.column.missing"
COLUMN_UNKNOWN = "import.column.unknown"
COLUMN_DUPLICATE = "import.column.duplicate"
COLUMN_UNNAMED = "import.column.unnamed"
PROBLEM_KEYS: frozenset[str] = frozenset(
    {
        FILE_UNREADABLE,
        FILE_EMPTY,
        FILE_TOO_MANY_ROWS,
        COLUMN_MISSING,
        COLUMN_UNKNOWN,
        COLUMN_DUPLICATE,
        COLUMN_UNNAMED,
    }
)

_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
# Formats people upload by mistake; their bytes must not be guessed at as CSV text.
_NOT_CSV_SUFFIXES = frozenset({".xls", ".ods", ".pdf", ".doc", ".docx", ".odt", ".zip"})
_BINARY_MAGIC = (b"%PDF", b"\xd0\xcf\x11\xe0", b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b")
_DELIMITERS = (";", "\t", ",")  # preference order when a header line has equal counts
_SEP_HINT = re.compile(r"^sep=(.)$", re.IGNORECASE)  # Excel's "sep=;" first line (not shown)
_FOLD_SEPARATORS = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One non-blank data row: its number as the spreadsheet shows it and its trimmed cells."""

    number: int
    cells: tuple[str, ...]

    def get(self, position: int) -> str:
        """The cell at a 0-based position; ``""`` past the row's last filled cell."""
        return self.cells[position] if position < len(self.cells) else ""


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet: the header row (first non-blank row) and the non-blank rows below it."""

    header: tuple[str, ...]
    header_number: int
    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each known column sits and how the file spells it.

    ``index`` and ``header`` are keyed by canonical column name; absent columns are absent.
    """

    index: Mapping[str, int]
    header: Mapping[str, str]

    def __contains__(self, name: object) -> bool:
        return name in self.index

    def missing(self, required: Iterable[str]) -> list[str]:
        """The required canonical names that the header lacks, in the order given."""
        return [name for name in required if name not in self.index]


def fold(text: str) -> str:
    """A label folded for matching: no diacritics, case-folded, separators as ``_``.

    ``"Dzimšanas datums"`` → ``"dzimsanas_datums"``; ``"E-pasts"`` → ``"e_pasts"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _FOLD_SEPARATORS.sub("_", plain).strip("_")


def column_letter(position: int) -> str:
    """The spreadsheet letter of a 0-based column position: 0 → A, 26 → AA."""
    letters = ""
    number = position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Table:
    """Read CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1257) or XLSX (first sheet).

    Rows are numbered as a spreadsheet shows them (the first line is row 1); blank rows are
    skipped but still counted. Cells are text, trimmed; XLSX numbers and dates become text.

    Raises:
        ImportRejected: one file-level problem (row 0) when the file is unreadable, empty, or
            has more than ``max_rows`` data rows.
    """
    suffix = PurePath(filename).suffix.casefold()
    if not data.strip():
        raise _rejected(FILE_EMPTY)
    if data.startswith(b"PK\x03\x04") or suffix in _WORKBOOK_SUFFIXES:
        return _read_workbook(data, max_rows)
    if suffix in _NOT_CSV_SUFFIXES or data.startswith(_BINARY_MAGIC):
        raise _rejected(FILE_UNREADABLE)
    return _collect(_csv_rows(_decode(data)), max_rows)


def resolve_columns(
    table: Table, aliases: Mapping[str, Collection[str]]
) -> tuple[Columns, list[ImportProblem]]:
    """Match the header against canonical names and their aliases (compared after ``fold``).

    Returns the columns found and the header problems: unknown and duplicated columns, and cells
    with values under an empty heading (so no data is ever dropped silently).
    """
    by_alias = {fold(alias): name for name, names in aliases.items() for alias in (name, *names)}
    index: dict[str, int] = {}
    header: dict[str, str] = {}
    problems: list[ImportProblem] = []
    unnamed: list[int] = []
    for position, text in enumerate(table.header):
        if not text:
            unnamed.append(position)
            continue
        name = by_alias.get(fold(text))
        if name is None:
            problems.append(ImportProblem(0, COLUMN_UNKNOWN, column=echo(text)))
        elif name in index:
            problems.append(
                ImportProblem(0, COLUMN_DUPLICATE, column=echo(text), other=header[name])
            )
        else:
            index[name] = position
            header[name] = echo(text)
    width = len(table.header)
    unnamed_rows: dict[int, int] = {}
    for row in table.rows:
        for position in [*unnamed, *range(width, len(row.cells))]:
            if row.get(position) and position not in unnamed_rows:
                unnamed_rows[position] = row.number
    problems.extend(
        ImportProblem(number, COLUMN_UNNAMED, letter=column_letter(position))
        for position, number in sorted(unnamed_rows.items())
    )
    return Columns(index=index, header=header), problems


def _rejected(key: str) -> ImportRejected:
    return ImportRejected([ImportProblem(0, key)])


def _collect(rows: Iterable[tuple[int, list[str]]], max_rows: int) -> Table:
    header: tuple[str, ...] | None = None
    header_number = 0
    body: list[TableRow] = []
    for number, raw in rows:
        cells = [cell.strip() for cell in raw]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if header is None:
            header, header_number = tuple(cells), number
            continue
        if len(body) >= max_rows:
            raise ImportRejected([ImportProblem(0, FILE_TOO_MANY_ROWS, max=max_rows)])
        body.append(TableRow(number=number, cells=tuple(cells)))
    if header is None or not body:
        raise _rejected(FILE_EMPTY)
    return Table(header=header, header_number=header_number, rows=tuple(body))


# ---------------------------------------------------------------- CSV


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1257")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            return text
    raise _rejected(FILE_UNREADABLE)


def _looks_binary(text: str) -> bool:
    """NUL, or more control characters than a stray one in a cell (those are the rows' problem)."""
    controls = sum(1 for ch in text if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc")
    return "\x00" in text or controls > max(2, len(text) // 200)


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    lines = text.splitlines(keepends=True)
    first = 0
    delimiter: str | None = None
    if lines and (hint := _SEP_HINT.match(lines[0].strip())):
        delimiter, first = hint.group(1), 1
    body = "".join(lines[first:])
    if delimiter is None:
        delimiter = _sniff_delimiter(body)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _rejected(FILE_UNREADABLE) from exc


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first non-blank line most often (outside quotes)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# ---------------------------------------------------------------- XLSX


def _read_workbook(data: bytes, max_rows: int) -> Table:
    # openpyxl (and numpy under it, ~18 MB) loads only when a spreadsheet is actually read.
    import openpyxl  # noqa: PLC0415

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = workbook.worksheets
                if not sheets:
                    raise _rejected(FILE_EMPTY)
                sheet = sheets[0]
                sheet.reset_dimensions()  # declared dimensions are often wrong; read every row
                rows = (
                    (number, [_cell_text(value) for value in values])
                    for number, values in enumerate(
                        sheet.iter_rows(min_row=1, values_only=True), start=1
                    )
                )
                return _collect(rows, max_rows)
            finally:
                workbook.close()
    except ImportRejected:
        raise
    except Exception as exc:  # not a zip, not a workbook, or damaged deep inside its XML
        raise _rejected(FILE_UNREADABLE) from exc


def _cell_text(value: object) -> str:
    """A workbook cell as the text a person would type: 29123456.0 → "29123456"."""
    text: str
    match value:
        case None:
            text = ""
        case bool():
            text = "TRUE" if value else "FALSE"
        case float() if value.is_integer() and abs(value) < 1e15:
            text = str(int(value))
        case float():
            text = repr(value)
        case datetime() if value.time() == time(0, 0):
            text = value.date().isoformat()
        case datetime():
            text = value.isoformat(sep=" ")
        case date() | time():
            text = value.isoformat()
        case _:  # int, str, timedelta and whatever else a cell may hold
            text = str(value)
    return text
