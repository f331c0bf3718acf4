"""The samples in docs/samples and the example in docs/import-people.md parse as documented."""

# docs/samples/people.xlsx was written from people.csv by ``sample_workbook`` below:
#   .venv/bin/python -c "import runpy, pathlib; s = pathlib.Path('docs/samples'); \
#     ns = runpy.run_path('tests/core/imports/test_imports_samples.py'); \
#     (s / 'people.xlsx').write_bytes(ns['sample_workbook']((s / 'people.csv').read_bytes()))"

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

from core.errors import ImportRejected
from core.i18n import Catalogs
from core.imports.people import PeopleFile, parse_people, personal_code_is_valid
from core.imports.problems import format_problem

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"


def sample_workbook(csv_data: bytes) -> bytes:
    """The CSV sample as a workbook, with numbers and dates stored the way Excel stores them."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "people"
    rows = list(csv.reader(io.StringIO(csv_data.decode("utf-8")), delimiter=";"))
    header = rows[0]
    sheet.append(header)
    for row in rows[1:]:
        values: list[object] = []
        for column, text in zip(header, row, strict=True):
            compact = re.sub(r"[\s-]", "", text)
            if column == "grade" and text:
                values.append(int(text))
            elif column == "phone" and compact.isdigit():
                values.append(int(compact))  # Excel turns "2000 0102" typed as a number into this
            elif column == "birth_date" and text:
                day_first = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", text)
                parts = day_first.groups()[::-1] if day_first else text.split("-")
                values.append(date(*(int(part) for part in parts)))
            else:
                values.append(text or None)
        sheet.append(values)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column_cells in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column_cells)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(width + 2, 40)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_sample(name: str) -> PeopleFile:
    return parse_people((SAMPLES / name).read_bytes(), name)


def test_csv_sample_parses() -> None:
    result = parse_sample("people.csv")
    assert [(c.name, c.grade) for c in result.classes] == [("1.a", 1), ("7.b", 7)]
    assert len(result.pupils) == 6
    assert {p.class_name for p in result.pupils} == {"1.a", "7.b"}
    assert len(result.staff) == 5
    roles = set().union(*(s.roles for s in result.staff))
    assert {"director", "deputy_director", "teacher", "interest_teacher"} <= roles
    staff_keys = {s.key for s in result.staff}
    assert {c.class_teacher_key for c in result.classes} <= staff_keys
    class_of = {p.key: p.class_name for p in result.pupils}
    assert any(
        len({class_of[child] for child in g.children_keys}) == 2 for g in result.guardians
    ), "one guardian has children in two different classes"
    assert {child for g in result.guardians for child in g.children_keys} == set(class_of)
    assert any("ā" in p.given_name or "ņ" in p.family_name for p in result.pupils)


def test_csv_sample_is_written_like_latvian_excel_writes_it() -> None:
    data = (SAMPLES / "people.csv").read_bytes()
    header = data.decode("utf-8").splitlines()[0]
    assert header.count(";") == 13
    assert "," not in header


def test_sample_personal_codes_are_valid_and_obviously_fictional() -> None:
    result = parse_sample("people.csv")
    people = [*result.pupils, *result.guardians, *result.staff]
    codes = [p.personal_code for p in people if p.personal_code]
    assert codes
    for code in codes:
        assert personal_code_is_valid(code.replace("-", ""))
        assert code[7] == "0"  # born in the 1800s: nobody alive has this code


def test_xlsx_sample_parses_to_the_same_result_as_the_csv_sample() -> None:
    assert parse_sample("people.xlsx") == parse_sample("people.csv")


def test_xlsx_sample_stores_numbers_and_dates_as_excel_does() -> None:
    workbook = openpyxl.load_workbook(SAMPLES / "people.xlsx", read_only=True)
    try:
        values = [v for row in workbook.worksheets[0].iter_rows(values_only=True) for v in row]
    finally:
        workbook.close()
    assert any(isinstance(v, int) and not isinstance(v, bool) for v in values)
    assert any(isinstance(v, date) for v in values)


def test_xlsx_sample_matches_its_generator() -> None:
    fresh = sample_workbook((SAMPLES / "people.csv").read_bytes())
    assert parse_people(fresh, "people.xlsx") == parse_sample("people.xlsx")


def test_bad_sample_imports_nothing_and_names_the_row_and_the_problem(
    catalogs: Catalogs,
) -> None:
    bad = (SAMPLES / "people-bad.csv").read_bytes()
    good = (SAMPLES / "people.csv").read_bytes()
    assert len(bad.splitlines()) == len(good.splitlines())
    assert sum(a != b for a, b in zip(bad.splitlines(), good.splitlines(), strict=True)) == 1
    try:
        parse_people(bad, "people-bad.csv")
    except ImportRejected as rejected:
        problems = rejected.problems
    else:
        raise AssertionError("the bad sample was accepted")
    assert [(p.row, p.column, p.key, p.params) for p in problems] == [
        (17, "phone", "import.row.phone_invalid", {"value": "12345"}),
    ]
    assert format_problem(problems[0], catalogs, "en") == (
        "Row 17, column phone: “12345” is not a valid Latvian phone number. "
        "Use 8 digits starting with 2 or 6 (+371 in front is fine)."
    )
    assert format_problem(problems[0], catalogs, "lv").startswith(
        "17. rinda, kolonna „phone”: „12345” nav derīgs Latvijas tālruņa numurs."
    )


def test_the_example_in_the_docs_parses() -> None:
    doc = (SAMPLES.parent / "import-people.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", doc, re.DOTALL)
    assert example is not None
    result = parse_people(example.group(1).encode(), "example.csv")
    counts = [
        len(rows) for rows in (result.classes, result.staff, result.pupils, result.guardians)
    ]
    assert counts == [1, 2, 1, 1]
