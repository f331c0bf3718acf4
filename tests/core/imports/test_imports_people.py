"""parse_people: values, row types, columns, cross-row checks and collecting every problem."""

from __future__ import annotations

import csv
import io
import random
import re
import unicodedata
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from core.domain.people import GuardianRelation, StaffRole
from core.errors import ImportProblem, ImportRejected
from core.imports.people import (
    PROBLEM_KEYS,
    REQUIRED_COLUMNS,
    ClassRow,
    GuardianRow,
    PeopleFile,
    PupilRow,
    RowType,
    StaffRow,
    parse_people,
    personal_code_is_valid,
)

HEADER = (
    "type",
    "key",
    "given_name",
    "family_name",
    "personal_code",
    "class",
    "grade",
    "class_teacher",
    "children",
    "relation",
    "roles",
    "phone",
    "email",
    "birth_date",
)
CLASS = {"type": "class", "class": "1.a", "grade": "1", "class_teacher": "S1"}
STAFF = {
    "type": "staff",
    "key": "S1",
    "given_name": "Dace",
    "family_name": "Kļaviņa",
    "roles": "teacher",
}
PUPIL = {
    "type": "pupil",
    "key": "P1",
    "given_name": "Ērika",
    "family_name": "Kalniņa",
    "class": "1.a",
}
GUARDIAN = {
    "type": "guardian",
    "key": "G1",
    "given_name": "Ilze",
    "family_name": "Kalniņa",
    "children": "P1",
}
VALID = (CLASS, STAFF, PUPIL, GUARDIAN)  # rows 2..5

# Valid by the checksum and obviously fictional: born on 1 January 1880.
CODE = "010180-00004"
CODE_2 = "010180-00012"
CODE_2016 = "010116-20008"
CODE_NEW = "321234-56789"


def csv_bytes(
    *rows: dict[str, str],
    header: tuple[str, ...] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode(encoding)


def parse(*rows: dict[str, str], **known: Any) -> PeopleFile:
    return parse_people(csv_bytes(*rows), "people.csv", **known)


def rejection(data: bytes, filename: str = "people.csv", **known: Any) -> list[ImportProblem]:
    with pytest.raises(ImportRejected) as caught:
        parse_people(data, filename, **known)
    assert caught.value.params == {"count": len(caught.value.problems)}
    return caught.value.problems


def problems(*rows: dict[str, str], **known: Any) -> list[tuple[int, str | None, str]]:
    return [(p.row, p.column, p.key) for p in rejection(csv_bytes(*rows), **known)]


def only_problem(*rows: dict[str, str], **known: Any) -> ImportProblem:
    found = rejection(csv_bytes(*rows), **known)
    assert len(found) == 1, found
    return found[0]


def with_(row: dict[str, str], **cells: str) -> dict[str, str]:
    return {**row, **cells}


# ---------------------------------------------------------------- the happy path


def test_a_valid_file_gives_normalized_rows() -> None:
    result = parse(
        with_(CLASS, **{"class": " 1.a "}),
        with_(
            STAFF, roles="teacher; deputy_director", phone="2912 3456", email="Dace@Skola.Example"
        ),
        with_(PUPIL, personal_code="01018000004", birth_date="14.05.2018"),
        with_(GUARDIAN, relation="Māte", phone="0037167123456", birth_date="1980-02-29"),
    )
    assert result == PeopleFile(
        classes=[ClassRow(row=2, name="1.a", grade=1, class_teacher_key="S1")],
        staff=[
            StaffRow(
                row=3,
                key="S1",
                given_name="Dace",
                family_name="Kļaviņa",
                roles=frozenset({StaffRole.TEACHER, StaffRole.DEPUTY_DIRECTOR}),
                phone="+37129123456",
                email="Dace@skola.example",
            )
        ],
        pupils=[
            PupilRow(
                row=4,
                key="P1",
                given_name="Ērika",
                family_name="Kalniņa",
                personal_code=CODE,
                class_name="1.a",
                birth_date=date(2018, 5, 14),
            )
        ],
        guardians=[
            GuardianRow(
                row=5,
                key="G1",
                given_name="Ilze",
                family_name="Kalniņa",
                children_keys=("P1",),
                relation=GuardianRelation.MOTHER,
                phone="+37167123456",
                birth_date=date(1980, 2, 29),
            )
        ],
        columns=frozenset(HEADER),
    )


def test_rows_are_frozen_and_hide_personal_codes_in_repr() -> None:
    pupil = parse(CLASS, STAFF, with_(PUPIL, personal_code=CODE)).pupils[0]
    with pytest.raises(ValidationError):
        pupil.key = "P2"  # type: ignore[misc]
    assert "00004" not in repr(pupil)
    assert pupil.personal_code == CODE


def test_rows_revalidate_their_own_output_unchanged() -> None:
    result = parse(CLASS, STAFF, with_(PUPIL, personal_code=CODE, phone="+37129123456"), GUARDIAN)
    for row in [*result.classes, *result.pupils, *result.guardians, *result.staff]:
        assert type(row).model_validate(row.model_dump()) == row


def test_a_file_may_hold_only_some_row_types() -> None:
    header = ("type", "key", "given_name", "family_name", "roles")
    result = parse_people(csv_bytes(STAFF, header=header), "staff.csv")
    assert [s.key for s in result.staff] == ["S1"]
    assert result.classes == result.pupils == result.guardians == []
    assert result.columns == frozenset(header)


def test_latvian_headers_and_values() -> None:
    header = (
        "Tips",
        "Atslēga",
        "Vārds",
        "Uzvārds",
        "Personas kods",
        "Klase",
        "Klašu grupa",
        "Audzinātājs",
        "Bērni",
        "Radniecība",
        "Lomas",
        "Tālrunis",
        "E-pasts",
        "Dzimšanas datums",
    )
    lines = [
        ";".join(header),
        "Klase;;;;;7.b;7;D1;;;;;;",
        "DARBINIEKS;D1;Guntars;Vītols;;;;;;;Skolotājs; Direktora vietnieks;;;;",
        "darbinieks;D2;Laura;Krūmiņa;;;;;;;interešu izglītības skolotājs,direktors;;;",
        "skolēns;S1;Kārlis;Bērziņš;;7.B;;;;;;;;22.01.2012",
        "vecāks;V1;Ilze;Bērziņa;;;;;S1;mate;;;;",
        "vecaks;V2;Zane;Jurēviča;;;;;S1;AIZBILDNIS;;;;",
    ]
    data = "\n".join(lines).encode("cp1257")
    # "Skolotājs; Direktora vietnieks" is split by the file's own ";" unless quoted: quote it.
    data = data.replace(
        "Skolotājs; Direktora vietnieks".encode("cp1257"),
        '"Skolotājs; Direktora vietnieks"'.encode("cp1257"),
    )
    result = parse_people(data, "cilvēki.csv")
    assert result.classes[0].grade == 7
    assert result.pupils[0].class_name == "7.b"
    assert result.pupils[0].birth_date == date(2012, 1, 22)
    assert [s.roles for s in result.staff] == [
        frozenset({StaffRole.TEACHER, StaffRole.DEPUTY_DIRECTOR}),
        frozenset({StaffRole.INTEREST_TEACHER, StaffRole.DIRECTOR}),
    ]
    assert [g.relation for g in result.guardians] == [
        GuardianRelation.MOTHER,
        GuardianRelation.GUARDIAN,
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "prefix"),
    [
        ("utf-8", ";", b""),
        ("utf-8", ",", b"\xef\xbb\xbf"),
        ("cp1257", ";", b""),
        ("utf-8", "\t", b""),
    ],
)
def test_encodings_and_delimiters_give_the_same_result(
    encoding: str, delimiter: str, prefix: bytes
) -> None:
    data = prefix + csv_bytes(*VALID, delimiter=delimiter, encoding=encoding)
    assert parse_people(data, "people.csv") == parse(*VALID)


def test_names_are_nfc_normalized_and_spaces_collapsed() -> None:
    decomposed = unicodedata.normalize("NFD", "Ērika")
    pupil = parse(CLASS, STAFF, with_(PUPIL, given_name=f" {decomposed}\u00a0 Anna ")).pupils[0]
    assert pupil.given_name == "Ērika Anna"
    assert unicodedata.is_normalized("NFC", pupil.given_name)


def test_names_may_have_hyphens_apostrophes_and_dots() -> None:
    staff = parse(with_(STAFF, given_name="Anna-Marija", family_name="O’Brien J.")).staff[0]
    assert (staff.given_name, staff.family_name) == ("Anna-Marija", "O’Brien J.")


def test_guardian_children_are_split_on_semicolons_and_commas() -> None:
    pupil_2 = with_(PUPIL, key="P2", given_name="Jānis")
    guardian = with_(GUARDIAN, children="P1, P2;P1;")
    assert parse(CLASS, STAFF, PUPIL, pupil_2, guardian).guardians[0].children_keys == ("P1", "P2")


# ---------------------------------------------------------------- XLSX cells


def test_xlsx_numeric_and_date_cells(workbook) -> None:
    header = [
        "type",
        "key",
        "given_name",
        "family_name",
        "personal_code",
        "class",
        "grade",
        "class_teacher",
        "phone",
        "birth_date",
        "children",
        "roles",
    ]
    data = workbook(
        [
            header,
            ["class", None, None, None, None, "5.a", 5.0, 2001],
            [
                "staff",
                2001,
                "Dace",
                "Kļaviņa",
                None,
                None,
                None,
                None,
                29123456,
                None,
                None,
                "teacher",
            ],
            [
                "pupil",
                1001,
                "Ērika",
                "Kalniņa",
                1018000004,
                "5.a",
                None,
                None,
                37167123456.0,
                datetime(2015, 3, 1),  # noqa: DTZ001 (Excel cells hold naive date-times)
            ],
            ["guardian", 3001, "Ilze", "Kalniņa", None, None, None, None, None, None, 1001],
        ]
    )
    result = parse_people(data, "people.xlsx")
    assert result.classes == [ClassRow(row=2, name="5.a", grade=5, class_teacher_key="2001")]
    assert result.staff[0].key == "2001"
    assert result.staff[0].phone == "+37129123456"
    pupil = result.pupils[0]
    assert (pupil.key, pupil.personal_code, pupil.phone, pupil.birth_date) == (
        "1001",
        CODE,  # the number cell lost the leading zero; the checksum confirms the repair
        "+37167123456",
        date(2015, 3, 1),
    )
    assert result.guardians[0].children_keys == ("1001",)


# ---------------------------------------------------------------- personal codes


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (CODE, CODE),
        ("01018000004", CODE),
        ("1018000004", CODE),
        (CODE_2016, CODE_2016),
        ("32123456789", CODE_NEW),
        (CODE_NEW, CODE_NEW),
        (" 010180 - 00004 ", CODE),
    ],
)
def test_valid_personal_codes_are_stored_normalized(written: str, stored: str) -> None:
    assert parse(with_(STAFF, personal_code=written)).staff[0].personal_code == stored


@pytest.mark.parametrize(
    "written",
    [
        "010180-00005",  # wrong check digit
        "010180-00080",  # checksum 10 is never valid
        "300280-00001",  # 30 February
        "010180-30004",  # century digit 3 does not exist
        "010180/00004",
        "010180-0000",
        "O10180-00004",
        "321234-5678",
        "3212345678901",
        "personas kods",
    ],
)
def test_invalid_personal_codes(written: str) -> None:
    problem = only_problem(with_(STAFF, personal_code=written))
    assert (problem.row, problem.column, problem.key) == (
        2,
        "personal_code",
        "import.row.personal_code_invalid",
    )
    assert problem.params == {}


def test_personal_code_checksum_function() -> None:
    assert personal_code_is_valid("01018000004")
    assert personal_code_is_valid("32000000000")
    assert not personal_code_is_valid("010180-00004")
    assert not personal_code_is_valid("0101800000")


def test_personal_codes_never_travel_in_problems() -> None:
    digits = re.compile(r"\d{6}\D?\d{5}")
    found = rejection(
        csv_bytes(
            with_(STAFF, key=CODE, phone=CODE, personal_code="010180-00005"),
            with_(GUARDIAN, children=f"{CODE_2};P9", email=f"{CODE}@x"),
            with_(PUPIL, key="P1", given_name=CODE_2, relation=CODE, **{"class": CODE}),
            with_(CLASS, class_teacher=CODE_2, grade=CODE),
            header=(*HEADER, CODE_2016),
        )
    )
    assert found
    for problem in found:
        shown = " ".join(str(v) for v in [problem.column, *problem.params.values()])
        assert not digits.search(shown), problem


# ---------------------------------------------------------------- other cell checks


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("29123456", "+37129123456"),
        ("2912 3456", "+37129123456"),
        ("291-23-456", "+37129123456"),
        ("+371 29123456", "+37129123456"),
        ("+37129123456", "+37129123456"),
        ("00371 6712 3456", "+37167123456"),
        ("37167123456", "+37167123456"),
    ],
)
def test_phone_numbers_become_e164(written: str, stored: str) -> None:
    assert parse(with_(STAFF, phone=written)).staff[0].phone == stored


@pytest.mark.parametrize(
    "written",
    [
        "12345678",
        "39123456",
        "2912345",
        "291234567",
        "+370 61234567",
        "+44 20 7946 0958",
        "+371 1234 5678",
        "(2912) 3456",
        "2912345x",
        "29123456 ext 1",
        "+29123456",
        "٢٩١٢٣٤٥٦",
    ],
)
def test_invalid_phone_numbers(written: str) -> None:
    problem = only_problem(with_(STAFF, phone=written))
    assert (problem.column, problem.key) == ("phone", "import.row.phone_invalid")
    assert problem.params == {"value": written}


@pytest.mark.parametrize("written", ["a@b.lv", "jānis.bērziņš@skola.example", "x+y@sub.skola.lv"])
def test_valid_emails(written: str) -> None:
    assert parse(with_(STAFF, email=written)).staff[0].email == written


@pytest.mark.parametrize(
    "written",
    [
        "ilze",
        "ilze@",
        "@skola.lv",
        "ilze@skola",
        "a b@skola.lv",
        "a@@skola.lv",
        "a@skola..lv",
        "a@skola.lv.",
        "a@skola.lv;b@skola.lv",
        "a..b@skola.lv",
    ],
)
def test_invalid_emails(written: str) -> None:
    problem = only_problem(with_(STAFF, email=written))
    assert (problem.column, problem.key, problem.params) == (
        "email",
        "import.row.email_invalid",
        {"value": written},
    )


def test_too_long_email() -> None:
    problem = only_problem(with_(STAFF, email="a@" + "b" * 250 + ".lv"))
    assert (problem.key, problem.params) == ("import.row.too_long", {"max": 254, "length": 255})


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("2012-01-22", date(2012, 1, 22)),
        ("22.01.2012", date(2012, 1, 22)),
        ("2.1.2012.", date(2012, 1, 2)),
    ],
)
def test_birth_dates(written: str, stored: date) -> None:
    assert parse(with_(STAFF, birth_date=written)).staff[0].birth_date == stored


@pytest.mark.parametrize(
    "written", ["2012-02-30", "30.02.2012", "22/01/2012", "2012-1-22", "1899-12-31", "vakar"]
)
def test_invalid_birth_dates(written: str) -> None:
    problem = only_problem(with_(STAFF, birth_date=written))
    assert (problem.column, problem.key, problem.params) == (
        "birth_date",
        "import.row.date_invalid",
        {"value": written},
    )


@pytest.mark.parametrize("written", ["0", "13", "-1", "7.5", "7.b", "septītā", "100"])
def test_invalid_grades(written: str) -> None:
    problem = only_problem(with_(CLASS, grade=written), STAFF)
    assert (problem.row, problem.column, problem.key, problem.params) == (
        2,
        "grade",
        "import.row.grade_invalid",
        {"value": written},
    )


def test_grade_is_not_parsed_from_the_class_name() -> None:
    assert parse(with_(CLASS, grade="12", **{"class": "A1-2"}), STAFF).classes[0].grade == 12


@pytest.mark.parametrize(
    ("value", "char"),
    [
        ("Ē\u200brika", "U+200B"),  # zero-width space
        ("Ērika\u00ad", "U+00AD"),  # soft hyphen
        ("Ē\x07rika", "U+0007"),
        ("Ērika\nAnna", "U+000A"),
        ("Ērika2", "“2” U+0032"),
        ("Ērika@", "“@” U+0040"),
    ],
)
def test_names_refuse_control_invisible_and_odd_characters(value: str, char: str) -> None:
    problem = only_problem(with_(STAFF, given_name=value))
    assert (problem.column, problem.key, problem.params) == (
        "given_name",
        "import.row.name_invalid",
        {"char": char},
    )


def test_class_names_refuse_invisible_characters() -> None:
    problem = only_problem(with_(CLASS, **{"class": "1.\u200ba"}), STAFF)
    assert (problem.column, problem.key) == ("class", "import.row.name_invalid")


@pytest.mark.parametrize(
    ("column", "length", "maximum"),
    [("given_name", 101, 100), ("family_name", 101, 100), ("key", 65, 64)],
)
def test_too_long_values(column: str, length: int, maximum: int) -> None:
    problem = only_problem(with_(STAFF, **{column: "Ā" * length}))
    assert (problem.column, problem.key, problem.params) == (
        column,
        "import.row.too_long",
        {"max": maximum, "length": length},
    )


def test_longest_allowed_values_pass() -> None:
    staff = parse(with_(STAFF, key="K" * 64, given_name="Ā" * 100)).staff[0]
    assert (len(staff.key), len(staff.given_name)) == (64, 100)


def test_too_long_class_name() -> None:
    problem = only_problem(with_(CLASS, **{"class": "x" * 33}), STAFF)
    assert (problem.key, problem.params) == ("import.row.too_long", {"max": 32, "length": 33})


@pytest.mark.parametrize(("key", "char"), [("P,1", "“,” U+002C"), ("P\u200b1", "U+200B")])
def test_invalid_keys(key: str, char: str) -> None:
    problem = only_problem(with_(STAFF, key=key))
    assert (problem.row, problem.column, problem.key, problem.params) == (
        2,
        "key",
        "import.row.key_invalid",
        {"char": char},
    )


@pytest.mark.parametrize("key", [CODE, "01018000004", CODE_NEW])
def test_a_personal_code_is_never_a_key(key: str) -> None:
    problem = only_problem(with_(STAFF, key=key))
    assert (problem.row, problem.column, problem.key, problem.params) == (
        2,
        "key",
        "import.row.key_is_personal_code",
        {},
    )


def test_unknown_roles_are_listed_together() -> None:
    problem = only_problem(with_(STAFF, roles="teacher;wizard;Dragon"))
    assert (problem.column, problem.key, problem.params) == (
        "roles",
        "import.row.role_unknown",
        {"value": "wizard, Dragon"},
    )


def test_unknown_relation() -> None:
    problem = only_problem(CLASS, STAFF, PUPIL, with_(GUARDIAN, relation="vecmāmiņa"))
    assert (problem.row, problem.column, problem.key, problem.params) == (
        5,
        "relation",
        "import.row.relation_unknown",
        {"value": "vecmāmiņa"},
    )


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (CLASS, "class"),
        (CLASS, "grade"),
        (PUPIL, "key"),
        (PUPIL, "given_name"),
        (PUPIL, "family_name"),
        (PUPIL, "class"),
        (GUARDIAN, "children"),
        (STAFF, "roles"),
        (STAFF, "family_name"),
    ],
)
def test_required_cells(row: dict[str, str], column: str) -> None:
    emptied = with_(row, **{column: " "})
    found = problems(*[r if r is not row else emptied for r in VALID])
    assert found[0] == (VALID.index(row) + 2, column, "import.row.required")
    # Whatever pointed at the nameless class or keyless pupil is reported too.
    assert [key for _, _, key in found[1:]] in (
        [],
        ["import.row.unknown_class"],
        ["import.row.unknown_child"],
    )


def test_children_list_of_only_separators_is_required() -> None:
    problem = only_problem(CLASS, STAFF, PUPIL, with_(GUARDIAN, children=" ; , "))
    assert (problem.column, problem.key) == ("children", "import.row.required")


def test_roles_of_only_separators_is_required() -> None:
    problem = only_problem(with_(STAFF, roles=";"))
    assert (problem.column, problem.key) == ("roles", "import.row.required")


# ---------------------------------------------------------------- row types


def test_unknown_and_missing_row_types() -> None:
    assert problems(CLASS, with_(PUPIL, type="robots"), with_(PUPIL, type=""), STAFF) == [
        (3, "type", "import.row.type_unknown"),
        (4, "type", "import.row.required"),
    ]
    assert rejection(csv_bytes(with_(STAFF, type="skolotājs")))[0].params == {"value": "skolotājs"}


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (CLASS, "key", "C1"),
        (CLASS, "given_name", "Ērika"),
        (CLASS, "phone", "29123456"),
        (PUPIL, "roles", "teacher"),
        (PUPIL, "children", "P1"),
        (PUPIL, "grade", "1"),
        (STAFF, "class", "1.a"),
        (STAFF, "relation", "mother"),
        (GUARDIAN, "class_teacher", "S1"),
    ],
)
def test_cells_that_the_row_type_does_not_use_are_problems(
    row: dict[str, str], column: str, value: str
) -> None:
    changed = with_(row, **{column: value})
    problem = only_problem(*[changed if r is row else r for r in VALID])
    assert (problem.row, problem.column, problem.key, problem.params) == (
        VALID.index(row) + 2,
        column,
        "import.row.not_applicable",
        {"type": row["type"]},
    )


# ---------------------------------------------------------------- columns


def test_a_misspelt_column_is_reported_not_dropped() -> None:
    header = tuple("famly_name" if c == "family_name" else c for c in HEADER)
    rows = [{("famly_name" if k == "family_name" else k): v for k, v in r.items()} for r in VALID]
    assert [(p.row, p.column, p.key) for p in rejection(csv_bytes(*rows, header=header))] == [
        (0, "famly_name", "import.column.unknown"),
        (0, "family_name", "import.column.missing"),
    ]


def test_missing_type_column_is_the_only_thing_reported_about_rows() -> None:
    header = tuple(c for c in HEADER if c != "type")
    found = rejection(csv_bytes(*VALID, header=(*header, "notes")))
    assert [(p.row, p.column, p.key) for p in found] == [
        (0, "type", "import.column.missing"),
        (0, "notes", "import.column.unknown"),
    ]


def test_required_columns_follow_the_row_types_present() -> None:
    header = ("type", "key", "given_name", "phone")
    data = csv_bytes(with_(STAFF, phone="1"), with_(PUPIL, phone="29123456"), header=header)
    assert [(p.row, p.column, p.key) for p in rejection(data)] == [
        (0, "family_name", "import.column.missing"),
        (0, "class", "import.column.missing"),
        (0, "roles", "import.column.missing"),
        (2, "phone", "import.row.phone_invalid"),  # rows are still checked for the rest
    ]


def test_required_columns_match_the_required_model_fields() -> None:
    models = {
        RowType.CLASS: ClassRow,
        RowType.PUPIL: PupilRow,
        RowType.GUARDIAN: GuardianRow,
        RowType.STAFF: StaffRow,
    }
    fields = {"class_name": "class", "name": "class", "children_keys": "children"}
    for row_type, model in models.items():
        required = {
            fields.get(name, name)
            for name, info in model.model_fields.items()
            if info.is_required() and name != "row"
        }
        assert required == set(REQUIRED_COLUMNS[row_type]), row_type


def test_duplicate_and_unnamed_columns() -> None:
    header = (*HEADER, "Vārds", "")
    lines = csv_bytes(*VALID, header=header).split(b"\r\n")
    lines[1] += b";lost"
    data = b"\r\n".join(lines)
    assert [(p.row, p.column, p.key) for p in rejection(data)] == [
        (0, "Vārds", "import.column.duplicate"),
        (2, None, "import.column.unnamed"),
    ]


def test_problems_name_the_column_as_the_file_spells_it() -> None:
    data = "Tips;Atslēga;Vārds;Uzvārds;Lomas;Tālrunis\ndarbinieks;D1;Dace;Kļaviņa;skolotājs;123\n"
    problem = rejection(data.encode())[0]
    assert (problem.row, problem.column, problem.key) == (
        2,
        "Tālrunis",
        "import.row.phone_invalid",
    )


# ---------------------------------------------------------------- cross-row checks


def test_duplicate_keys_across_all_person_types() -> None:
    found = rejection(
        csv_bytes(
            CLASS,
            STAFF,
            PUPIL,
            GUARDIAN,
            with_(GUARDIAN, given_name="Otra"),
            with_(STAFF, key="P1"),
        )
    )
    assert [(p.row, p.column, p.key, p.params) for p in found] == [
        (6, "key", "import.row.duplicate_key", {"value": "G1", "first_row": 5}),
        (7, "key", "import.row.duplicate_key", {"value": "P1", "first_row": 4}),
    ]


def test_duplicate_class_names_ignore_case_and_spaces() -> None:
    found = rejection(csv_bytes(CLASS, STAFF, with_(CLASS, **{"class": "1. A"})))
    assert [(p.row, p.column, p.key, p.params) for p in found] == [
        (4, "class", "import.row.duplicate_class", {"class_name": "1. A", "first_row": 2}),
    ]


def test_a_pupil_in_two_classes() -> None:
    class_2 = with_(CLASS, **{"class": "2.b"}, grade="2")
    found = rejection(csv_bytes(CLASS, class_2, STAFF, PUPIL, with_(PUPIL, **{"class": "2.b"})))
    assert [(p.row, p.column, p.key, p.params) for p in found] == [
        (
            6,
            "class",
            "import.row.pupil_in_two_classes",
            {"value": "P1", "class_name": "2.b", "other_class": "1.a", "first_row": 5},
        )
    ]


def test_a_pupil_repeated_in_the_same_class_is_a_duplicate_key() -> None:
    found = problems(CLASS, STAFF, PUPIL, with_(PUPIL, **{"class": "1.A"}))
    assert found == [(5, "key", "import.row.duplicate_key")]


def test_unknown_class_unless_the_journal_has_it() -> None:
    pupil = with_(PUPIL, **{"class": "9.C"})
    problem = only_problem(CLASS, STAFF, pupil)
    assert (problem.row, problem.column, problem.key, problem.params) == (
        4,
        "class",
        "import.row.unknown_class",
        {"class_name": "9.C"},
    )
    result = parse(CLASS, STAFF, pupil, known_classes=["9.c", "9.d"])
    assert result.pupils[0].class_name == "9.c"  # spelled as the journal spells it


def test_a_pupil_gets_the_class_rows_spelling() -> None:
    result = parse(with_(CLASS, **{"class": "1.A"}), STAFF, with_(PUPIL, **{"class": "1. a"}))
    assert result.pupils[0].class_name == "1.A"


def test_the_files_class_spelling_wins_over_the_journals() -> None:
    result = parse(CLASS, STAFF, PUPIL, known_classes=["1.A"])
    assert result.pupils[0].class_name == "1.a"


def test_unknown_children_unless_the_journal_has_them() -> None:
    guardian = with_(GUARDIAN, children="P1;P7;P8")
    found = rejection(csv_bytes(CLASS, STAFF, PUPIL, guardian))
    assert [(p.row, p.column, p.key, p.params) for p in found] == [
        (5, "children", "import.row.unknown_child", {"value": "P7"}),
        (5, "children", "import.row.unknown_child", {"value": "P8"}),
    ]
    result = parse(CLASS, STAFF, PUPIL, guardian, known_pupil_keys={"P7", "P8"})
    assert result.guardians[0].children_keys == ("P1", "P7", "P8")


def test_a_staff_key_is_not_a_child() -> None:
    problem = only_problem(CLASS, STAFF, PUPIL, with_(GUARDIAN, children="S1"))
    assert (problem.key, problem.params) == ("import.row.unknown_child", {"value": "S1"})


def test_class_teacher_must_be_staff() -> None:
    problem = only_problem(with_(CLASS, class_teacher="P1"), STAFF, PUPIL)
    assert (problem.row, problem.column, problem.key, problem.params) == (
        2,
        "class_teacher",
        "import.row.unknown_staff",
        {"value": "P1"},
    )
    result = parse(with_(CLASS, class_teacher="S9"), STAFF, known_staff_keys=["S9"])
    assert result.classes[0].class_teacher_key == "S9"


def test_class_teacher_is_optional() -> None:
    assert parse(with_(CLASS, class_teacher=""), STAFF).classes[0].class_teacher_key is None


def test_a_file_of_guardians_only_relies_on_the_journal() -> None:
    header = ("type", "key", "given_name", "family_name", "children", "relation")
    data = csv_bytes(with_(GUARDIAN, children="P1,P2"), header=header)
    with pytest.raises(ImportRejected):
        parse_people(data, "g.csv")
    result = parse_people(data, "g.csv", known_pupil_keys=["P1", "P2"])
    assert result.guardians[0].children_keys == ("P1", "P2")


def test_references_inside_bad_rows_are_not_reported_twice() -> None:
    found = problems(with_(CLASS, class_teacher="S,1"), STAFF, with_(PUPIL, **{"class": "x" * 40}))
    assert found == [
        (2, "class_teacher", "import.row.key_invalid"),
        (4, "class", "import.row.too_long"),
    ]


def test_a_bad_row_still_defines_its_key_for_references() -> None:
    found = problems(CLASS, STAFF, with_(PUPIL, phone="1"), GUARDIAN)
    assert found == [(4, "phone", "import.row.phone_invalid")]


# ---------------------------------------------------------------- collecting everything


def test_every_problem_is_collected_in_reading_order() -> None:
    data = (
        "sep=;\n"
        "type;key;given_name;family_name;class;grade;class_teacher;children;roles;phone;notes\n"
        "\n"
        "class;;;;1.a;13;S9;;;;\n"
        "pupil;P1;Ērika;;1.a;;;;;123;\n"
        "\n"
        '"pupil";"P1";"Jā\nnis";Bērziņš;2.a;;;;;;x\n'
        "guardian;G1;Ilze;Bērziņa;;;;P1,P7;;;\n"
        "staff;S1;Dace;Kļaviņa;;;;;wizard;;\n"
        "robot;R1;;;;;;;;;\n"
    ).encode()
    found = rejection(data)
    assert [(p.row, p.column, p.key) for p in found] == [
        (0, "notes", "import.column.unknown"),
        (3, "grade", "import.row.grade_invalid"),
        (3, "class_teacher", "import.row.unknown_staff"),
        (4, "family_name", "import.row.required"),
        (4, "phone", "import.row.phone_invalid"),
        (6, "given_name", "import.row.name_invalid"),
        (6, "class", "import.row.pupil_in_two_classes"),
        (7, "children", "import.row.unknown_child"),
        (8, "roles", "import.row.role_unknown"),
        (9, "type", "import.row.type_unknown"),
    ]


def test_the_row_limit_applies_to_people_files() -> None:
    lines = ["type;key;given_name;family_name;roles"]
    lines += [f"staff;S{i};Dace;Kļaviņa;teacher" for i in range(20_001)]
    found = rejection("\n".join(lines).encode())
    assert found == [ImportProblem(0, "import.file.too_many_rows", max=20_000)]


def test_garbage_file_problems() -> None:
    assert [p.key for p in rejection(b"", "people.csv")] == ["import.file.empty"]
    assert [p.key for p in rejection(b"%PDF-1.4\n", "people.pdf")] == ["import.file.unreadable"]
    assert [p.key for p in rejection(b"type;key\n", "people.csv")] == ["import.file.empty"]


@pytest.mark.parametrize("seed", range(60))
def test_mutated_files_never_raise_anything_but_import_rejected(seed: int, workbook) -> None:
    generator = random.Random(seed)
    if seed % 2:
        source = csv_bytes(*VALID)
    else:
        source = workbook([list(HEADER), *([row.get(c) for c in HEADER] for row in VALID)])
    data = bytearray(source)
    for _ in range(generator.randint(1, 12)):
        data[generator.randrange(len(data))] = generator.randrange(256)
    if generator.random() < 0.3:
        del data[generator.randrange(len(data)) :]
    try:
        parse_people(bytes(data), generator.choice(["people.csv", "people.xlsx", "people"]))
    except ImportRejected as rejected:
        found = rejected.problems
    else:
        return  # a harmless mutation (inside a name, say) may leave a valid file
    assert found
    assert {p.key for p in found} <= PROBLEM_KEYS
