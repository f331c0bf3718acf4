"""Fuzzed files and texts: the parsers return a result or refuse with one of our messages.

Random bytes, truncated and mutated samples (docs/samples and the aSc fixtures), XLSX files with
odd cells: never an unexpected exception, and every refusal has text in lv, en and ru.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.domain.broadcasts import broadcast_text
from core.domain.mail import mail_draft, new_message, report_reason
from core.domain.mark_entry import number_roster, parse_mark_lines
from core.domain.marks import MarkScale, parse_mark
from core.domain.news import news_draft
from core.errors import DomainError, InvalidInput
from core.i18n import LANGUAGES
from core.imports.people import parse_people
from core.services.changes_import import parse_changes, parse_date
from core.services.preferences import stored_digest_time
from core.services.timetable_import import parse_timetable_file
from tests.fuzz.mutations import (
    CATALOGS,
    FIXTURES,
    FUZZ,
    SAMPLES,
    assert_clear_refusal,
    csv_rows,
    mutated_bytes,
    mutated_text,
    odd_text,
    workbook,
)

PEOPLE_CSV = (SAMPLES / "people.csv").read_bytes()
PEOPLE_XLSX = (SAMPLES / "people.xlsx").read_bytes()
TIMETABLE_CSV = (SAMPLES / "timetable.csv").read_bytes()
TIMETABLE_XLSX = (SAMPLES / "timetable.xlsx").read_bytes()
CHANGES_CSV = (SAMPLES / "changes.csv").read_bytes()
ASC_SAMPLES = sorted(FIXTURES.glob("asc_*.xml"))
ASC_XML = (FIXTURES / "asc_edge_cases.xml").read_bytes()


def people(data: bytes, filename: str) -> None:
    try:
        parse_people(data, filename)
    except DomainError as error:
        assert_clear_refusal(error)


def timetable(data: bytes, filename: str) -> None:
    try:
        parse_timetable_file(data, filename)
    except DomainError as error:
        assert_clear_refusal(error)


def changes(data: bytes, filename: str) -> None:
    try:
        parse_changes(data, filename)
    except DomainError as error:
        assert_clear_refusal(error)


def test_the_samples_themselves_parse() -> None:
    """The seeds of the mutations are valid: a mutation is what makes a refusal."""
    parse_people(PEOPLE_CSV, "people.csv")
    parse_people(PEOPLE_XLSX, "people.xlsx")
    parse_timetable_file(TIMETABLE_CSV, "timetable.csv")
    parse_timetable_file(TIMETABLE_XLSX, "timetable.xlsx")
    parse_timetable_file(ASC_XML, "asc.xml")
    assert parse_changes(CHANGES_CSV, "changes.csv")


# ---------------------------------------------------------------- people


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["people.csv", "people.xlsx", "people.txt"]))
@example(b"", "people.csv")
@example(b"\xef\xbb\xbf", "people.csv")
@example(b"PK\x03\x04", "people.xlsx")
def test_people_random_bytes(data: bytes, filename: str) -> None:
    people(data, filename)


@FUZZ
@given(mutated_bytes(PEOPLE_CSV))
def test_people_mutated_csv_bytes(data: bytes) -> None:
    people(data, "people.csv")


@FUZZ
@given(mutated_text(PEOPLE_CSV.decode("utf-8-sig")))
def test_people_mutated_csv_text(text: str) -> None:
    people(text.encode("utf-8", "surrogatepass"), "people.csv")


@FUZZ
@given(mutated_bytes(PEOPLE_XLSX))
def test_people_mutated_xlsx_bytes(data: bytes) -> None:
    people(data, "people.xlsx")


@FUZZ
@given(mutated_text(PEOPLE_CSV.decode("utf-8-sig")))
def test_people_xlsx_with_odd_cells(text: str) -> None:
    people(workbook(csv_rows(text)), "people.xlsx")


# ---------------------------------------------------------------- timetable


@FUZZ
@given(
    st.binary(max_size=2000),
    st.sampled_from(["timetable.csv", "timetable.xlsx", "timetable.xml", "timetable"]),
)
@example(b"<?xml version='1.0'?><timetable/>", "timetable.xml")
@example(
    b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><timetable>&e;</timetable>", "t.xml"
)
@example(b"<?xml version='1.0'?><timetable>" + b"<a>" * 5000, "deep.xml")
def test_timetable_random_bytes(data: bytes, filename: str) -> None:
    timetable(data, filename)


@FUZZ
@given(mutated_bytes(TIMETABLE_CSV))
def test_timetable_mutated_csv_bytes(data: bytes) -> None:
    timetable(data, "timetable.csv")


@FUZZ
@given(mutated_text(TIMETABLE_CSV.decode("utf-8-sig")))
def test_timetable_mutated_csv_text(text: str) -> None:
    timetable(text.encode("utf-8", "surrogatepass"), "timetable.csv")


@FUZZ
@given(mutated_bytes(TIMETABLE_XLSX))
def test_timetable_mutated_xlsx_bytes(data: bytes) -> None:
    timetable(data, "timetable.xlsx")


@FUZZ
@given(mutated_text(TIMETABLE_CSV.decode("utf-8-sig")))
def test_timetable_xlsx_with_odd_cells(text: str) -> None:
    timetable(workbook(csv_rows(text)), "timetable.xlsx")


@pytest.mark.parametrize("sample", ASC_SAMPLES, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_timetable_mutated_asc_xml(sample: object, data: st.DataObject) -> None:
    raw = sample.read_bytes()  # type: ignore[attr-defined]
    timetable(data.draw(mutated_bytes(raw)), "asc.xml")


@FUZZ
@given(mutated_text(ASC_XML.decode("utf-8")))
def test_timetable_asc_xml_with_odd_text(text: str) -> None:
    timetable(text.encode("utf-8", "surrogatepass"), "asc.xml")


# ---------------------------------------------------------------- changes


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["changes.csv", "changes.xlsx"]))
def test_changes_random_bytes(data: bytes, filename: str) -> None:
    changes(data, filename)


@FUZZ
@given(mutated_bytes(CHANGES_CSV))
def test_changes_mutated_bytes(data: bytes) -> None:
    changes(data, "changes.csv")


@FUZZ
@given(mutated_text(CHANGES_CSV.decode("utf-8-sig")))
def test_changes_mutated_text(text: str) -> None:
    changes(text.encode("utf-8", "surrogatepass"), "changes.csv")


# ---------------------------------------------------------------- text parsers

ROSTER = number_roster(
    [
        (1, "Bērziņš", "Jānis"),
        (2, "Kalniņa", "Anna"),
        (3, "Bērziņa", "Ērika"),
        (4, "Ozols", "Jānis"),
    ]
)


@FUZZ
@given(
    st.one_of(
        odd_text,
        st.lists(
            st.sampled_from(["1 ", "2 ", "Jānis ", "Bērz ", "nv", "10", "ieskaitīts", "85%", ", "])
            | odd_text,
            max_size=12,
        ).map("".join),
        st.text(max_size=300),
    ),
    st.sampled_from(list(MarkScale)),
)
@example("1 10\n1 9", MarkScale.TEN_POINT)
@example("9" * 5000 + " 10", MarkScale.TEN_POINT)
def test_mark_lines_never_raise_and_every_error_has_text(text: str, scale: MarkScale) -> None:
    lines = parse_mark_lines(text, ROSTER, scale=scale)
    assert {e.pupil_id for e in lines.entries} <= {p.pupil_id for p in ROSTER}
    for error in lines.errors:
        for lang in LANGUAGES:
            assert CATALOGS.has(error.key, lang), (error.key, lang)


@FUZZ
@given(st.one_of(odd_text, st.text(alphabet="0123456789.-/ ", max_size=14), st.dates().map(str)))
@example("31.02.2026")
@example("2026-13-01")
@example("99999999.1.1")
@example("٣٠.١١.٢٠٢٦")
def test_change_dates_parse_or_say_none(text: str) -> None:
    found = parse_date(text)
    assert found is None or isinstance(found, date)


@FUZZ
@given(st.dates())
def test_change_dates_read_both_written_forms(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day:02}.{day.month:02}.{day.year:04}") == day


# ---------------------------------------------------------------- typed texts

big_text = st.one_of(
    odd_text,
    st.text(max_size=200),
    st.integers(3400, 4200).map(lambda n: "ā" * n),
    st.integers(3400, 4200).map(lambda n: "😀" * n),
)


def clean_or_refused(check: Callable[[str], object], text: str) -> None:
    try:
        check(text)
    except InvalidInput as error:
        assert_clear_refusal(error)


@FUZZ
@given(big_text)
@example("\u200b\u200f\ufeff")
@example(" \n\t ")
def test_typed_texts_are_kept_or_refused_with_a_message(text: str) -> None:
    clean_or_refused(mail_draft, text)
    clean_or_refused(report_reason, text)
    clean_or_refused(broadcast_text, text)
    clean_or_refused(news_draft, text)
    clean_or_refused(lambda body: new_message("Tēma", body), text)


@FUZZ
@given(st.sampled_from(list(MarkScale)), odd_text | st.text(max_size=30))
@example(MarkScale.TEN_POINT, "1" * 5000)
@example(MarkScale.PERCENT, "1e309")
@example(MarkScale.PERCENT, "nan")
def test_a_single_mark_parses_or_is_refused(scale: MarkScale, text: str) -> None:
    clean_or_refused(lambda value: parse_mark(scale, value), text)


@FUZZ
@given(odd_text | st.text(alphabet="0123456789:.+- T", max_size=20))
def test_a_stored_digest_time_reads_or_is_none(text: str) -> None:
    at = stored_digest_time({"digest_at": text})
    assert at is None or at.tzinfo is None
