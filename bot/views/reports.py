"""Owns the /reports screens: the menu, choosing a journal, class, month or period, captions.

Pure renderers: service results in, ``Screen`` out. Every name is HTML-escaped. The documents
themselves are rendered by ``core.documents`` in the school's language; captions and buttons
are in the reader's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from aiogram.types import InlineKeyboardButton

from bot.callbacks import ReportCardsCb, ReportFileCb, ReportFileKind, ReportKind, ReportsCb
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, keyboard, menu_row
from core.domain.records import ClassRecord
from core.services.report_cards import ClassReportCards, IssuedCards
from core.services.rosters import ClassScope
from core.services.teacher_reports import GroupChoice, ReportChoices, ReportPeriod


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def back_row(t: Translator) -> list[InlineKeyboardButton]:
    """Back to the /reports menu, and the main menu."""
    return [_button(t("reports.back"), ReportsCb(kind="menu").pack()), *menu_row(t)]


def menu_screen(choices: ReportChoices, t: Translator) -> Screen:
    """What the person may print: journals, a month of attendance, statistics, report cards."""
    if choices.empty:
        return Screen(t("reports.menu.nothing"))
    rows = []
    if choices.groups or choices.classes:
        rows.append([_button(t("reports.menu.journal"), ReportsCb(kind="journal").pack())])
    if choices.classes:
        rows.append([_button(t("reports.menu.attendance"), ReportsCb(kind="attendance").pack())])
    if choices.classes or choices.schools:
        rows.append([_button(t("reports.menu.stats"), ReportsCb(kind="stats").pack())])
    if choices.classes:
        rows.append([_button(t("reports.menu.cards"), ReportsCb(kind="cards").pack())])
    rows.append(menu_row(t))
    return Screen(t("reports.menu.title"), keyboard(rows))


def _class_label(scope: ClassScope, several: bool) -> str:
    return scope.klass.name + (f" ({scope.school.code})" if several else "")


def _several(classes: Sequence[ClassScope]) -> bool:
    return len({scope.school.id for scope in classes}) > 1


def journals_screen(choices: ReportChoices, t: Translator) -> Screen:
    """The journals the person teaches, then their classes' (a class opens its journals)."""
    rows = [
        [_button(group.name, ReportsCb(kind="journal", target=group.group_id).pack())]
        for group in choices.groups
    ]
    several = _several(choices.classes)
    rows += [
        [
            _button(
                t("reports.journal.class_button", class_name=_class_label(scope, several)),
                ReportsCb(kind="jclass", target=scope.klass.id).pack(),
            )
        ]
        for scope in choices.classes
    ]
    rows.append(back_row(t))
    return Screen(t("reports.journal.pick"), keyboard(rows))


def class_journals_screen(
    klass: ClassRecord, groups: Sequence[GroupChoice], t: Translator
) -> Screen:
    """The journals that draw from one class."""
    rows = [
        [_button(group.name, ReportsCb(kind="journal", target=group.group_id).pack())]
        for group in groups
    ]
    rows.append(back_row(t))
    text = t("reports.journal.class_pick", class_name=esc(klass.name))
    if not groups:
        text += "\n" + t("reports.journal.none")
    return Screen(text, keyboard(rows))


def classes_screen(
    choices: ReportChoices, kind: ReportKind, title_key: str, t: Translator
) -> Screen:
    """A button per class the person manages; for statistics also each school they manage."""
    several = _several(choices.classes)
    rows = [
        [_button(_class_label(scope, several), ReportsCb(kind=kind, target=scope.klass.id).pack())]
        for scope in choices.classes
    ]
    if kind == "stats":
        rows += [
            [
                _button(
                    t("reports.stats.school_button", school=school.name),
                    ReportsCb(kind="school", target=school.id).pack(),
                )
            ]
            for school in choices.schools
        ]
    rows.append(back_row(t))
    text = t(title_key)
    if len(rows) == 1:
        text += "\n" + t("reports.classes.none")
    return Screen(text, keyboard(rows))


def period_label(period: ReportPeriod, t: Translator) -> str:
    """A period with its dates: "1. semestris (01.09.2026–23.12.2026)"."""
    if period.term is None:
        return t("reports.period.year", start=day(period.start), end=day(period.end))
    return t(
        "reports.period.semester", number=period.term, start=day(period.start), end=day(period.end)
    )


def _format_row(
    label: str, what: ReportFileKind, target: int, period: int
) -> list[InlineKeyboardButton]:
    return [
        _button(
            f"{label} · {fmt.upper()}",
            ReportFileCb(what=what, fmt=fmt, target=target, period=period).pack(),
        )
        for fmt in ("pdf", "xlsx")
    ]


def periods_screen(
    heading: str,
    periods: Sequence[ReportPeriod],
    what: ReportFileKind,
    target: int,
    t: Translator,
) -> Screen:
    """Which period, and PDF or XLSX (a row per period)."""
    rows = []
    for period in periods:
        label = (
            t("reports.period.year_short")
            if period.term is None
            else t("reports.period.semester_short", number=period.term)
        )
        rows.append(_format_row(label, what, target, period.term or 0))
    rows.append(back_row(t))
    lines = [heading, *(f"• {period_label(p, t)}" for p in periods), t("reports.period.pick")]
    return Screen("\n".join(lines), keyboard(rows))


def months_of(periods: Sequence[ReportPeriod]) -> list[date]:
    """The first day of every month of the school year up to today, newest first."""
    year = next((p for p in periods if p.term is None), None)
    if year is None:
        return []
    months = []
    current = year.start.replace(day=1)
    while current <= year.end:
        months.append(current)
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months[::-1]


def months_screen(klass: ClassRecord, months: Sequence[date], t: Translator) -> Screen:
    """A class's months (PDF or XLSX each)."""
    rows = [
        _format_row(
            t("reports.month.button", month=t(f"reports.month.{m.month}"), year=m.year),
            "attendance",
            klass.id,
            m.year * 100 + m.month,
        )
        for m in months
    ]
    rows.append(back_row(t))
    return Screen(t("reports.attendance.months", class_name=esc(klass.name)), keyboard(rows))


def progress_text(percent: int, t: Translator) -> str:
    """The status message while a document is prepared: "⏳ Gatavo… 40%"."""
    return t("reports.progress", percent=percent)


def caption(title: str, start: date | None, end: date | None, t: Translator) -> str:
    """A document's caption: its title and period."""
    if start is None or end is None:
        return t("reports.caption.plain", title=esc(title))
    return t("reports.caption.period", title=esc(title), start=day(start), end=day(end))


def cards_caption(cards: ClassReportCards, t: Translator) -> str:
    """The class PDF's caption: how many cards, how many complete."""
    complete = sum(1 for card in cards.cards if card.confirmed and card.subjects)
    return t(
        "reports.caption.cards",
        class_name=esc(cards.klass.name),
        year=esc(cards.year.name),
        count=len(cards.cards),
        complete=complete,
    )


def cards_screen(cards: ClassReportCards, may_send: bool, t: Translator) -> Screen:
    """After the PDF: send the cards to the families (managers), or back."""
    rows = []
    if may_send and cards.cards:
        rows.append(
            [
                _button(
                    t("reports.cards.send_button"),
                    ReportCardsCb(action="ask", class_id=cards.klass.id).pack(),
                )
            ]
        )
    rows.append(back_row(t))
    key = "reports.cards.next_manager" if may_send else "reports.cards.next_teacher"
    return Screen(t(key, class_name=esc(cards.klass.name)), keyboard(rows))


def ask_send_screen(klass: ClassRecord, t: Translator) -> Screen:
    """Asks whether to send a class's report cards to the parents: yes or cancel."""
    rows = [
        [
            _button(
                t("reports.cards.yes"), ReportCardsCb(action="send", class_id=klass.id).pack()
            ),
            _button(t("reports.cards.cancel"), ReportsCb(kind="menu").pack()),
        ]
    ]
    return Screen(t("reports.cards.ask", class_name=esc(klass.name)), keyboard(rows))


def sent_screen(issued: IssuedCards, t: Translator) -> Screen:
    """The cards went to the outbox: how many pupils and connected parents."""
    text = t(
        "reports.cards.sent",
        class_name=esc(issued.class_name),
        pupils=issued.pupils,
        parents=issued.parents,
        connected=issued.connected,
    )
    return Screen(text, keyboard([back_row(t)]))
