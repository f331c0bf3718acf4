"""Fixtures shared by the import-file tests: the loaded catalogs and workbook building."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import openpyxl
import pytest

from core.i18n import Catalogs

WorkbookFactory = Callable[..., bytes]


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs.load()


def build_workbook(rows: Sequence[Sequence[object]], *, extra_sheet: bool = False) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` (row 1 first); ``None`` leaves a cell empty."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    if extra_sheet:
        workbook.create_sheet("Other")["A1"] = "not read"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def workbook() -> WorkbookFactory:
    return build_workbook
