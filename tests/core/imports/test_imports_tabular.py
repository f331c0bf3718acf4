"""read_table and resolve_columns: encodings, delimiters, row numbers, workbooks, bad files."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, datetime

import pytest

from core.errors import ImportProblem, ImportRejected
from core.imports.tabular import (
    Table,
    TableRow,
    column_letter,
    fold,
    read_table,
    resolve_columns,
)

LATVIAN = "Ērika Kalniņa;Jānis Bērziņš;Ģirts Ķēniņš;Žanete Čakāne"


def rejected_keys(data: bytes, filename: str, **kwargs: int) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as caught:
        read_table(data, filename, **kwargs)
    return [(problem.row, problem.key) for problem in caught.value.problems]


def rows_of(table: Table) -> list[tuple[int, tuple[str, ...]]]:
    return [(row.number, row.cells) for row in table.rows]


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),  # Excel's "CSV UTF-8" writes a BOM
        ("cp1257", b""),  # Latvian Excel's plain "CSV" (Windows-1257)
        ("utf-16-le", b"\xff\xfe"),  # Excel's "Unicode text"
    ],
)
def test_csv_encodings_give_the_same_latvian_text(encoding: str, prefix: bytes) -> None:
    text = "a;b;c;d\r\n" + LATVIAN + "\r\n"
    table = read_table(prefix + text.encode(encoding), "people.csv")
    assert table.header == ("a", "b", "c", "d")
    assert rows_of(table) == [(2, tuple(LATVIAN.split(";")))]


def test_cp1257_bytes_are_not_mistaken_for_utf8() -> None:
    data = "vārds\nĒrika\n".encode("cp1257")
    assert read_table(data, "x.csv").rows[0].cells == ("Ērika",)


def test_undecodable_bytes_are_unreadable() -> None:
    # 0x98 is undefined in Windows-1257 and invalid as a UTF-8 start byte.
    assert rejected_keys(b"a;b\n\x98\x98;x\n", "x.csv") == [(0, "import.file.unreadable")]


# ---------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_detected_from_the_header(delimiter: str) -> None:
    data = delimiter.join(["type", "key", "phone"]) + "\n" + delimiter.join(["x", "1", "2"])
    table = read_table(data.encode(), "f.csv")
    assert table.header == ("type", "key", "phone")
    assert table.rows[0].cells == ("x", "1", "2")


def test_semicolon_file_keeps_commas_inside_cells() -> None:
    table = read_table(b"type;children\nguardian;P1,P2\n", "f.csv")
    assert table.rows[0].cells == ("guardian", "P1,P2")


def test_quoted_delimiters_do_not_fool_detection() -> None:
    table = read_table(b'"a;b",c,d\n1,2,3\n', "f.csv")
    assert table.header == ("a;b", "c", "d")


def test_excel_sep_hint_line_sets_the_delimiter_and_is_not_a_row() -> None:
    table = read_table(b"sep=,\ntype,key;x\nclass,1;2\n", "f.csv")
    assert table.header == ("type", "key;x")
    assert rows_of(table) == [(2, ("class", "1;2"))]


def test_single_column_file() -> None:
    table = read_table(b"type\npupil\n", "f.csv")
    assert table.header == ("type",)


# ---------------------------------------------------------------- rows and numbering


def test_blank_lines_are_skipped_but_counted() -> None:
    data = b"\n\na;b\n1;2\n\n;\n  ;  \n3;4\n"
    table = read_table(data, "f.csv")
    assert table.header_number == 3
    assert rows_of(table) == [(4, ("1", "2")), (8, ("3", "4"))]


def test_a_quoted_line_break_stays_in_one_row_like_a_spreadsheet_shows_it() -> None:
    table = read_table(b'a;b\n"x\ny";1\nz;2\n', "f.csv")
    assert rows_of(table) == [(2, ("x\ny", "1")), (3, ("z", "2"))]


def test_cells_are_trimmed_and_trailing_empty_cells_dropped() -> None:
    table = read_table("a;b;c;;\n  x \u00a0; ;;;\n".encode(), "f.csv")
    assert table.header == ("a", "b", "c")
    assert table.rows[0].cells == ("x",)
    assert TableRow(2, ("x",)).get(5) == ""


def test_crlf_line_endings() -> None:
    table = read_table(b"a;b\r\n1;2\r\n", "f.csv")
    assert rows_of(table) == [(2, ("1", "2"))]


# ---------------------------------------------------------------- XLSX


def test_xlsx_cells_become_the_text_a_person_would_type(workbook) -> None:
    data = workbook(
        [
            ["int", "float_whole", "float", "date", "datetime", "bool", "text", "big"],
            [
                1001,
                29123456.0,
                2.5,
                datetime(2012, 1, 22),  # noqa: DTZ001 (Excel cells hold naive date-times)
                datetime(2012, 1, 22, 8, 30),  # noqa: DTZ001
                True,
                " Ērika ",
                37129123456,
            ],
        ]
    )
    table = read_table(data, "people.xlsx")
    assert table.rows[0].cells == (
        "1001",
        "29123456",
        "2.5",
        "2012-01-22",
        "2012-01-22 08:30:00",
        "TRUE",
        "Ērika",
        "37129123456",
    )


def test_xlsx_rows_keep_their_sheet_numbers(workbook) -> None:
    data = workbook([[None], ["type", "key"], ["pupil", "P1"], [None], [None, None], ["staff", 7]])
    table = read_table(data, "people.xlsx")
    assert table.header_number == 2
    assert rows_of(table) == [(3, ("pupil", "P1")), (6, ("staff", "7"))]


def test_xlsx_reads_only_the_first_sheet(workbook) -> None:
    table = read_table(workbook([["a"], ["1"]], extra_sheet=True), "people.xlsx")
    assert rows_of(table) == [(2, ("1",))]


def test_xlsx_is_recognised_by_content_whatever_its_name(workbook) -> None:
    assert read_table(workbook([["a"], ["1"]]), "upload.bin").header == ("a",)


def test_xlsx_date_cells(workbook) -> None:
    table = read_table(workbook([["d"], [date(2018, 5, 14)]]), "f.xlsx")
    assert table.rows[0].cells == ("2018-05-14",)


def test_empty_workbook_is_empty(workbook) -> None:
    assert rejected_keys(workbook([]), "f.xlsx") == [(0, "import.file.empty")]


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "people.pdf"),
        (b"%PDF-1.4 but named csv", "people.csv"),
        (b"type;key\npupil;1\n", "people.xlsx"),  # an .xlsx that is not a zip
        (b"PK\x03\x04 not really a zip", "people.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "people.xls"),  # old binary Excel
        (b"type;key\x00\npupil;1\n", "people.csv"),  # NUL bytes: binary
        (bytes(range(256)) * 4, "people.csv"),
    ],
)
def test_files_that_are_not_csv_or_xlsx_are_unreadable(data: bytes, filename: str) -> None:
    assert rejected_keys(data, filename) == [(0, "import.file.unreadable")]


def test_a_zip_that_is_not_a_workbook_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert rejected_keys(buffer.getvalue(), "people.xlsx") == [(0, "import.file.unreadable")]


def test_a_truncated_workbook_is_unreadable(workbook) -> None:
    data = workbook([["a", "b"], ["1", "2"]])
    for cut in (10, len(data) // 2, len(data) - 30):
        assert rejected_keys(data[:cut], "people.xlsx") == [(0, "import.file.unreadable")]


def test_a_huge_csv_field_is_unreadable_not_a_crash() -> None:
    data = b'a;b\n"' + b"x" * 200_000 + b'";1\n'
    assert rejected_keys(data, "f.csv") == [(0, "import.file.unreadable")]


@pytest.mark.parametrize("seed", range(150))
@pytest.mark.parametrize("filename", ["people.csv", "people.xlsx", "people"])
def test_random_bytes_never_raise_anything_but_import_rejected(seed: int, filename: str) -> None:
    generator = random.Random(seed)
    data = generator.randbytes(generator.randint(0, 600))
    try:
        read_table(data, filename)
    except ImportRejected as rejected:
        found = rejected.problems
    else:
        return
    assert [problem.row for problem in found] == [0]


@pytest.mark.parametrize("data", [b"", b"   \r\n\n\t", b"\xef\xbb\xbf", b";;;\n;;\n"])
def test_empty_files(data: bytes) -> None:
    assert rejected_keys(data, "f.csv") == [(0, "import.file.empty")]


def test_a_header_without_rows_is_empty() -> None:
    assert rejected_keys(b"type;key\n\n", "f.csv") == [(0, "import.file.empty")]


def test_row_limit() -> None:
    at_limit = b"a\n" + b"1\n" * 5
    assert len(read_table(at_limit, "f.csv", max_rows=5).rows) == 5
    with pytest.raises(ImportRejected) as caught:
        read_table(at_limit + b"\n\n1\n", "f.csv", max_rows=5)
    assert caught.value.problems == [ImportProblem(0, "import.file.too_many_rows", max=5)]


# ---------------------------------------------------------------- columns


def test_fold_ignores_case_diacritics_and_separators() -> None:
    assert fold("Dzimšanas datums") == "dzimsanas_datums"
    assert fold(" E-pasts ") == "e_pasts"
    assert fold("KLAŠU_GRUPA*") == "klasu_grupa"
    assert fold("Ģimenes ĶĒŅŠ") == "gimenes_kens"


@pytest.mark.parametrize(
    ("position", "letter"),
    [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")],
)
def test_column_letter(position: int, letter: str) -> None:
    assert column_letter(position) == letter


def table(header: tuple[str, ...], *rows: tuple[str, ...]) -> Table:
    return Table(
        header=header,
        header_number=1,
        rows=tuple(TableRow(number, cells) for number, cells in enumerate(rows, start=2)),
    )


ALIASES = {"family_name": ("uzvārds", "surname"), "phone": ("tālrunis",)}


def test_resolve_columns_matches_aliases_and_keeps_the_files_spelling() -> None:
    columns, problems = resolve_columns(table(("Tālrunis", "UZVARDS")), ALIASES)
    assert problems == []
    assert dict(columns.index) == {"phone": 0, "family_name": 1}
    assert dict(columns.header) == {"phone": "Tālrunis", "family_name": "UZVARDS"}
    assert columns.missing(["family_name", "given_name"]) == ["given_name"]
    assert "phone" in columns


def test_resolve_columns_reports_unknown_duplicate_and_unnamed_columns() -> None:
    t = table(
        ("famly_name", "surname", "", "Uzvārds"),
        ("a", "b"),
        ("a", "b", "lost?"),
        ("a", "b", "", "c", "also lost"),
    )
    _, problems = resolve_columns(t, ALIASES)
    assert problems == [
        ImportProblem(0, "import.column.unknown", column="famly_name"),
        ImportProblem(0, "import.column.duplicate", column="Uzvārds", other="surname"),
        ImportProblem(3, "import.column.unnamed", letter="C"),
        ImportProblem(4, "import.column.unnamed", letter="E"),
    ]


def test_an_empty_heading_over_empty_cells_is_fine() -> None:
    _, problems = resolve_columns(table(("surname", "", "phone"), ("a", "", "1")), ALIASES)
    assert problems == []
