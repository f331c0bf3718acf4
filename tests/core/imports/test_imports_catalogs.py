"""Every import problem key has lv/en/ru text, and format_problem renders it in place."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.errors import ImportProblem, ImportRejected
from core.i18n import CORE_LOCALES, LANGUAGES, Catalogs
from core.imports.people import PROBLEM_KEYS, ROW_VALUE_INVALID, parse_people
from core.imports.problems import WHERE_KEYS, echo, format_problem

ALL_KEYS = PROBLEM_KEYS | WHERE_KEYS | {ImportRejected.key}

# One input per line of trouble; together they reach every problem key but the fallback.
KITCHEN_SINK = [
    (b"", "a.csv"),
    (b"%PDF-1.4\n", "a.pdf"),
    ("\n".join(["type;key;given_name;family_name;roles"] + ["staff"] * 20_001).encode(), "a.csv"),
    (
        (
            "type;key;given_name;family_name;personal_code;class;grade;class_teacher;children;"
            "relation;roles;phone;email;birth_date;famly_name;Vārds;\n"
            "class;;;;;1.a;13;S9;;;;;;;;;\n"
            "klase;;;;;1.A;1;;;;;;;;;;\n"
            "pupil;P1;Ērika;Kalniņa;010180-00005;1.a;;;;;;12;ē@;31.02.2012;;;\n"
            "pupil;P1;Ērika;Kalniņa;;2.a;;;;;;;;;;;x\n"
            "pupil;P2;Ē\u200brika;Kalniņa;;9.z;;;;;;;;;;;\n"
            "guardian;G1;Ilze;Bērziņa;;;;;P1,P7;vecmāmiņa;teacher;;;;;;\n"
            "guardian;G1;Ilze;" + "B" * 101 + ";;;;;P1;;;;;;;;\n"
            "staff;S1;Dace;Kļaviņa;;;;;;;wizard;;;;;;\n"
            "staff;S,2;Dace;Kļaviņa;;;;;;;teacher;;;;;;\n"
            "staff;010180-00004;Dace;;;;;;;;teacher;;;;;;\n"
            "robot;;;;;;;;;;;;;;;;\n"
        ).encode(),
        "a.csv",
    ),
    (b"key;given_name\nP1;x\n", "a.csv"),
]


def collected_problems() -> list[ImportProblem]:
    found: list[ImportProblem] = []
    for data, filename in KITCHEN_SINK:
        with pytest.raises(ImportRejected) as caught:
            parse_people(data, filename)
        found.extend(caught.value.problems)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def po_messages(lang: str) -> dict[str, str]:
    path = Path(CORE_LOCALES) / lang / "LC_MESSAGES" / "imports.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    assert str(catalog.locale) == lang
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_every_key_has_text_in_every_language(catalogs: Catalogs) -> None:
    for lang in LANGUAGES:
        missing = sorted(key for key in ALL_KEYS if not catalogs.has(key, lang))
        assert missing == [], lang


def test_the_imports_catalog_holds_exactly_the_import_keys() -> None:
    for lang in LANGUAGES:
        assert set(po_messages(lang)) == ALL_KEYS, lang


def test_languages_use_the_same_placeholders() -> None:
    english = po_messages("en")
    for lang in ("lv", "ru"):
        for key, text in po_messages(lang).items():
            assert placeholders(text) == placeholders(english[key]), (lang, key)


def test_texts_are_translated() -> None:
    english, latvian, russian = po_messages("en"), po_messages("lv"), po_messages("ru")
    for key in ALL_KEYS:
        assert latvian[key] != english[key] != russian[key], key
    assert any(re.search("[āčēģīķļņšūž]", text) for text in latvian.values())
    assert all(re.search("[а-я]", text) for text in russian.values())


def test_texts_mention_the_column_where_a_cell_is_at_fault() -> None:
    english = po_messages("en")
    for key in (
        "import.column.missing",
        "import.column.unknown",
        "import.row.required",
        "import.row.not_applicable",
        "import.row.too_long",
        "import.row.personal_code_invalid",
        "import.row.name_invalid",
    ):
        assert "{column}" in english[key], key


def test_the_sample_inputs_reach_every_problem_key() -> None:
    keys = {problem.key for problem in collected_problems()}
    assert keys <= PROBLEM_KEYS
    assert PROBLEM_KEYS - keys == {ROW_VALUE_INVALID}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_problem_renders_with_all_placeholders_filled(catalogs: Catalogs, lang: str) -> None:
    for problem in [*collected_problems(), ImportProblem(3, ROW_VALUE_INVALID, column="x")]:
        text = format_problem(problem, catalogs, lang)
        assert "{" not in text, (problem, problem.params, text)
        assert "}" not in text, (problem, problem.params, text)
        assert problem.key not in text


def test_format_problem_places_the_problem(catalogs: Catalogs) -> None:
    cell = ImportProblem(5, "import.row.phone_invalid", column="tālrunis", value="123")
    assert format_problem(cell, catalogs, "en") == (
        "Row 5, column tālrunis: “123” is not a valid Latvian phone number. "
        "Use 8 digits starting with 2 or 6 (+371 in front is fine)."
    )
    assert format_problem(cell, catalogs, "lv").startswith(
        "5. rinda, kolonna „tālrunis”: „123” nav derīgs Latvijas tālruņa numurs."
    )
    assert format_problem(cell, catalogs, "ru").startswith(
        "Строка 5, столбец «tālrunis»: «123» — недействительный латвийский номер телефона."
    )
    whole_file = ImportProblem(0, "import.column.missing", column="family_name")
    assert format_problem(whole_file, catalogs, "en") == (
        "File: The header row lacks the required column family_name."
    )
    assert format_problem(whole_file, catalogs, "lv") == (
        "Fails: Virsrakstu rindā trūkst obligātās kolonnas „family_name”."
    )
    row = ImportProblem(7, "import.column.unnamed", letter="F")
    assert format_problem(row, catalogs, "ru") == (
        "Строка 7: В столбце F есть данные, но в строке заголовков у него нет названия."
    )


def test_unknown_language_falls_back_to_latvian(catalogs: Catalogs) -> None:
    problem = ImportProblem(0, "import.file.empty")
    assert format_problem(problem, catalogs, "de") == format_problem(problem, catalogs, "lv")


def test_echo_masks_personal_codes_and_shows_invisible_characters() -> None:
    assert echo("tel. 010180-00004") == "tel. ***"
    assert echo("01018000004") == "***"
    assert echo("a\u200bb") == "a<U+200B>b"
    assert echo("x" * 100) == "x" * 39 + "…"
