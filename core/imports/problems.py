"""Owns how import problems are worded: safe echoing of cell values and localized rendering.

Shared by every file importer; never decides what is wrong (the parsers do).
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import ImportProblem
from core.i18n import Catalogs

WHERE_FILE = "import.where.file"
WHERE_ROW = "import.where.row"
WHERE_ROW_COLUMN = "import.where.row_column"
WHERE_KEYS: frozenset[str] = frozenset({WHERE_FILE, WHERE_ROW, WHERE_ROW_COLUMN})

ECHO_LIMIT = 40
# Anything shaped like a personas kods (DDMMYY-NXXXX, with or without the dash) is masked.
_PERSONAL_CODE_LIKE = re.compile(r"\d{6}\s*[-‐‑–]?\s*\d{5}")
_MASK = "***"


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """A cell value made safe to show back to the user inside a problem.

    Personal-code-shaped digit runs are masked (a personal code must never travel in a
    problem), invisible and control characters are shown as ``U+XXXX`` and long values are cut.
    """
    masked = _PERSONAL_CODE_LIKE.sub(_MASK, value)
    shown = "".join(
        f"<U+{ord(ch):04X}>" if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch
        for ch in masked
    )
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def describe_char(ch: str) -> str:
    """A character named for a problem text: ``"1" U+0031``, or just ``U+200B`` if invisible."""
    code = f"U+{ord(ch):04X}"
    if unicodedata.category(ch)[0] in {"C", "Z"}:
        return code
    return f"“{ch}” {code}"


def format_problem(problem: ImportProblem, catalogs: Catalogs, lang: str) -> str:
    """One problem as a line of text: "Row 5, column phone: ..." in ``lang``."""
    params = dict(problem.params)
    if problem.row <= 0:
        where = catalogs.text(WHERE_FILE, lang)
    elif problem.column is not None:
        where = catalogs.text(WHERE_ROW_COLUMN, lang, row=problem.row, column=problem.column)
    else:
        where = catalogs.text(WHERE_ROW, lang, row=problem.row)
    params.setdefault("row", problem.row)
    if problem.column is not None:
        params.setdefault("column", problem.column)
    return f"{where}: {catalogs.text(problem.key, lang, **params)}"
