"""Fuzz helpers: bounded Hypothesis settings, byte and text mutations, the clear-refusal check."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.errors import DomainError, ImportRejected
from core.i18n import LANGUAGES, Catalogs
from core.imports.problems import format_problem

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "docs" / "samples"
FIXTURES = ROOT / "tests" / "core" / "imports" / "fixtures"
CATALOGS = Catalogs.load()

# Deterministic, bounded and with no example database written into the work tree.
FUZZ = settings(
    derandomize=True,
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Service-level runs touch a database per example: fewer of them.
FUZZ_DB = settings(
    FUZZ,
    max_examples=25,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Characters that break naive parsers: separators, quotes, line ends, NUL, a BOM, invisible
# and direction marks, combining marks, emoji (with a joiner), lookalike digits.
ODD = (
    ";,\t\"'\n\r\x00\ufeff\u200b\u200c\u200d\u200e\u200f\u202e\u2066\u0301\u0308"
    "😀👨\u200d👩\u200d👧١٢३\uff11-.:/ēĀŠЖ"
)
odd_text = st.text(alphabet=st.sampled_from(ODD) | st.characters(), max_size=40)


@st.composite
def mutated_bytes(draw: st.DrawFn, sample: bytes) -> bytes:
    """``sample`` truncated, with bytes flipped, inserted or deleted, or spliced with noise."""
    data = bytearray(sample)
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "splice"]))
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "splice":
            data[at:at] = draw(odd_text).encode("utf-8", "surrogatepass")
    return bytes(data)


@st.composite
def mutated_text(draw: st.DrawFn, sample: str) -> str:
    """``sample`` (a CSV) with odd text inserted, cells replaced or lines dropped or repeated."""
    lines = sample.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        row = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["insert", "cell", "drop", "repeat", "long"]))
        line = lines[row]
        if kind == "insert":
            at = draw(st.integers(0, len(line)))
            lines[row] = line[:at] + draw(odd_text) + line[at:]
        elif kind == "cell":
            cells = line.split(";") if ";" in line else line.split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(odd_text)
            lines[row] = ";".join(cells)
        elif kind == "drop":
            del lines[row]
        elif kind == "repeat":
            lines.insert(row, line)
        else:
            lines[row] = line + "x" * draw(st.integers(100, 5000))
    return "\n".join(lines)


def workbook(rows: list[list[str]]) -> bytes:
    """An XLSX file holding ``rows`` on its first sheet (characters XLSX cannot hold dropped)."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_rows(text: str) -> list[list[str]]:
    """A ``;``-separated sample as cells (the samples hold no quoted separators)."""
    return [line.split(";") for line in text.splitlines()]


def assert_clear_refusal(error: DomainError) -> None:
    """The refusal is one of ours and says what is wrong in every language."""
    assert isinstance(error, DomainError)
    for lang in LANGUAGES:
        assert CATALOGS.has(error.key, lang), (error.key, lang)
        CATALOGS.text(error.key, lang, **error.params)
        if isinstance(error, ImportRejected):
            assert error.problems
            for problem in error.problems:
                assert CATALOGS.has(problem.key, lang), (problem.key, lang)
                assert format_problem(problem, CATALOGS, lang)
