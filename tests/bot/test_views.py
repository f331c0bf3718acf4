"""Views are pure: escaping of every name, limits of Telegram, words for roles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from aiogram.types import ReplyKeyboardMarkup

from bot.i18n import Translator, load_catalogs
from bot.journal import Child
from bot.views.common import MAX_TEXT
from bot.views.connections import class_screen
from bot.views.marks import marks_screen
from bot.views.people import role_list
from bot.views.start import main_menu, not_connected
from core.domain.access import Role, Viewer
from core.domain.records import AccountRecord, MarkRow, PersonRecord, PupilSummary, SchoolRecord
from core.services.accounts import Identity
from core.services.connections import ConnectionReport, Tally, Unconnected
from core.services.marks import PupilMarks, SubjectMarks

T = Translator(load_catalogs(), "lv")
START, END = date(2026, 9, 1), date(2026, 11, 27)
PUPIL = PupilSummary(2, "Jānis", "<b>Bērziņš</b>", "5.a", 5, 1)


def identity(given: str, viewer: Viewer) -> Identity:
    person = PersonRecord(1, given, "<i>Family</i>", None, None, True)
    return Identity(AccountRecord(1, 1, 10, 10, "lv", "linked"), person, viewer)


def test_names_are_escaped_in_text_but_not_in_buttons() -> None:
    parent = identity("<b>Evil</b>", Viewer(person_id=1, children=frozenset({2})))
    family = (Child(2, "A&B", "<script>"),)
    screen = main_menu(parent, family, T)
    assert "&lt;b&gt;Evil&lt;/b&gt;" in screen.text
    assert "<b>Evil</b>" not in screen.text
    assert screen.keyboard is not None
    assert screen.keyboard.inline_keyboard[0][0].text == "📖 A&B: dienasgrāmata"
    assert screen.keyboard.inline_keyboard[1][0].text == "📘 A&B: vērtējumi"


def test_subject_names_and_marks_are_escaped() -> None:
    row = MarkRow(
        1, 2, 3, "<Math>", "t", "summative", "ten_point", date(2026, 11, 2), "mark", "8", None, 1
    )
    result = PupilMarks(PUPIL, START, END, 1, (SubjectMarks(3, "<Math>", (row,), Decimal(8)),))
    screen = marks_screen(result, T)
    assert "<b>&lt;Math&gt;</b>: 8 — vidēji 8,00" in screen.text
    assert "Jānis &lt;b&gt;Bērziņš&lt;/b&gt; (5.a)" in screen.text
    assert "1. semestris: 01.09.2026–27.11.2026" in screen.text


def test_long_mark_lists_stay_within_telegrams_limit() -> None:
    rows = tuple(
        MarkRow(
            i,
            2,
            g,
            f"Priekšmets {g}",
            "t",
            "summative",
            "ten_point",
            date(2026, 11, 2),
            "mark",
            "10",
            None,
            1,
        )
        for g in range(60)
        for i in range(40)
    )
    subjects = tuple(
        SubjectMarks(g, f"Priekšmets {g}", tuple(r for r in rows if r.group_id == g), Decimal(10))
        for g in range(60)
    )
    screen = marks_screen(PupilMarks(PUPIL, START, END, 1, subjects), T)
    assert len(screen.text) <= MAX_TEXT
    assert screen.text.endswith("… (saraksts ir saīsināts)")


def test_roles_in_words() -> None:
    viewer = Viewer(
        person_id=1,
        staff_roles=frozenset({(1, Role.TEACHER), (1, Role.DEPUTY_DIRECTOR)}),
        class_teacher_of=frozenset({5}),
    )
    assert role_list(viewer, T) == (
        "priekšmeta skolotājs, klases audzinātājs, direktora vietnieks (virslietotājs)"
    )


def test_the_connection_report_escapes_names_and_stays_within_the_limit() -> None:
    school = SchoolRecord(1, "alfa", "<Alfa>", "Europe/Riga", "lv")
    many = tuple(
        Unconnected(i, "<b>Anna</b>", f"Ozola-{i}", ("5.a",), ("Jānis & Co",), None, None, None)
        for i in range(400)
    )
    late = Unconnected(999, "Oskars", "Jaunais", ("5.a",), (), date(2026, 11, 20), -7, END)
    report = ConnectionReport(
        school, 7, "5.a", END, Tally(0, 401), Tally(0, 0), None, (), (late, *many), (), ()
    )
    screen = class_screen(report, T)
    assert len(screen.text) <= MAX_TEXT
    assert "&lt;Alfa&gt;" in screen.text
    assert "• &lt;b&gt;Anna&lt;/b&gt; Ozola-0 — bērni: Jānis &amp; Co" in screen.text
    assert (
        "• Oskars Jaunais — ⚠️ nokavēts par 7 d. (termiņš 20.11.2026) — ielūgums līdz 27.11.2026"
        in screen.text
    )
    assert screen.text.endswith("… (saraksts saīsināts)")


def test_the_unlinked_welcome_offers_the_own_phone_button() -> None:
    screen = not_connected(T)
    assert isinstance(screen.keyboard, ReplyKeyboardMarkup)
    [[button]] = screen.keyboard.keyboard
    assert button.request_contact is True
    assert button.text == "📱 Kopīgot manu tālruņa numuru"
