"""Owns the /extract screens: whose extract, which month, a class's pupils, the PDFs' captions.

The PDFs are rendered by ``core.documents.extracts`` in the school's language; the screens,
buttons and captions are in the reader's.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton

from bot.callbacks import ExtractCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, esc, keyboard, menu_row
from core.documents.extract_labels import (
    extract_filename,
    extracts_filename,
    month_label,
    number,
)
from core.domain.records import ClassRecord
from core.services.extracts import (
    ClassExtractMenu,
    ExtractData,
    ExtractMenu,
    MissingExtracts,
    Month,
)

PUPILS_PER_ROW = 2


def _button(text: str, data: ExtractCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def choose_screen(
    own: bool, family: Sequence[Child], classes: Sequence[ClassRecord], t: Translator, me: int
) -> Screen:
    """Whose extract: the pupil's own, each child, each class the person may print."""
    rows = []
    if own:
        rows.append([_button(t("extracts.own_button"), ExtractCb(action="pupil", ref=me))])
    rows += [
        [_button(child.label, ExtractCb(action="pupil", ref=child.pupil_id))] for child in family
    ]
    rows += [
        [
            _button(
                t("extracts.class_button", class_name=klass.name),
                ExtractCb(action="class", ref=klass.id),
            )
        ]
        for klass in classes
    ]
    rows.append(menu_row(t))
    return Screen(t("extracts.choose"), keyboard(rows))


def nothing_screen(t: Translator) -> Screen:
    """Nobody whose extract this person may get."""
    return Screen(t("extracts.nothing"))


def _month_text(month: Month, months: Sequence[Month], t: Translator) -> str:
    label = month_label(month, t)
    label = label[:1].upper() + label[1:]
    if months and month == months[0]:
        return t("extracts.month.this", month=label)
    if len(months) > 1 and month == months[1]:
        return t("extracts.month.last", month=label)
    return label


def months_screen(menu: ExtractMenu, t: Translator, *, sent: ExtractData | None = None) -> Screen:
    """Which month of the pupil's school year (after a PDF went: which other month)."""
    pupil = menu.pupil
    rows = [
        [
            _button(
                _month_text(month, menu.months, t),
                ExtractCb(action="month", ref=pupil.pupil_id, month=month.ordinal),
            )
        ]
        for month in menu.months
    ]
    rows.append(menu_row(t))
    if sent is not None:
        text = t(
            "extracts.ready",
            name=esc(pupil.full_name),
            month=_period(sent, t),
        )
    else:
        text = t(
            "extracts.months",
            name=esc(pupil.full_name),
            class_name=esc(pupil.class_name or ""),
        )
    return Screen(text, keyboard(rows))


def class_screen(menu: ClassExtractMenu, t: Translator) -> Screen:
    """A class's pupils (two a row) and the missing extracts to print."""
    buttons = [
        _button(pupil.full_name, ExtractCb(action="pupil", ref=pupil.pupil_id))
        for pupil in menu.pupils
    ]
    rows = [buttons[i : i + PUPILS_PER_ROW] for i in range(0, len(buttons), PUPILS_PER_ROW)]
    rows.append(
        [_button(t("extracts.missing_button"), ExtractCb(action="mmonths", ref=menu.klass.id))]
    )
    rows.append(menu_row(t))
    name = esc(menu.klass.name)
    text = (
        t("extracts.class", class_name=name)
        if menu.pupils
        else t("extracts.class.empty", class_name=name)
    )
    return Screen(text, keyboard(rows))


def missing_months_screen(menu: ClassExtractMenu, t: Translator) -> Screen:
    """Which month's missing extracts of the class to print."""
    rows = [
        [
            _button(
                _month_text(month, menu.months, t),
                ExtractCb(action="missing", ref=menu.klass.id, month=month.ordinal),
            )
        ]
        for month in menu.months
    ]
    rows.append(menu_row(t))
    return Screen(t("extracts.missing.months", class_name=esc(menu.klass.name)), keyboard(rows))


def missing_classes_screen(classes: Sequence[ClassRecord], month: Month, t: Translator) -> Screen:
    """``/extract missing`` with several classes: which class (last month)."""
    rows = [
        [
            _button(
                t("extracts.class_button", class_name=klass.name),
                ExtractCb(action="missing", ref=klass.id, month=month.ordinal),
            )
        ]
        for klass in classes
    ]
    rows.append(menu_row(t))
    return Screen(t("extracts.missing.choose", month=month_label(month, t)), keyboard(rows))


def no_classes_screen(t: Translator) -> Screen:
    """``/extract missing`` from someone who is no class teacher or manager."""
    return Screen(t("extracts.no_classes"))


def nothing_missing(result: MissingExtracts, t: Translator) -> Screen:
    """Every family of the class can get its extract in the bot."""
    return Screen(
        t(
            "extracts.missing.none",
            class_name=esc(result.klass.name),
            month=month_label(result.month, t),
        )
    )


def _period(data: ExtractData, t: Translator) -> str:
    month = data.month or Month.of(data.start)
    return month_label(month, t)


def preparing(data: ExtractData, t: Translator) -> str:
    """The status while the PDF is drawn."""
    return t("extracts.preparing", name=esc(data.full_name), month=_period(data, t))


def preparing_missing(result: MissingExtracts, t: Translator) -> str:
    """The status while the class's PDF is drawn."""
    return t(
        "extracts.preparing_many",
        class_name=esc(result.klass.name),
        month=month_label(result.month, t),
    )


def missing_ready(result: MissingExtracts, t: Translator) -> Screen:
    """The status once the class's PDF went."""
    return Screen(
        t(
            "extracts.ready_many",
            class_name=esc(result.klass.name),
            month=month_label(result.month, t),
        ),
        keyboard([menu_row(t)]),
    )


def caption(data: ExtractData, t: Translator) -> str:
    """Who, which month; marks, average and absences (in the reader's language)."""
    facts = [t("extracts.marks", count=data.mark_count)]
    if data.average is not None:
        facts.append(t("extracts.average", average=number(data.average, t.lang)))
    absences = t(
        "extracts.absences", absent=data.absences.absent_lessons, justified=data.absences.justified
    )
    head = t(
        "extracts.caption",
        name=esc(data.full_name),
        class_name=esc(data.class_name),
        month=_period(data, t),
    )
    return f"{head}\n{', '.join(facts)}; {absences}"


def missing_caption(result: MissingExtracts, t: Translator) -> str:
    """How many of the class's extracts the PDF holds, and what to do with it."""
    return t(
        "extracts.missing.caption",
        class_name=esc(result.klass.name),
        month=month_label(result.month, t),
        count=len(result.extracts),
        total=result.pupils,
    )


def extract_pdf(data: ExtractData, t: Translator) -> tuple[bytes, str]:
    """The PDF in the school's language and its file name."""
    # ReportLab and qrcode (~10 MB) load on the first PDF, not at the bot's start.
    from core.documents.extracts import render_extract  # noqa: PLC0415

    school = Translator(t.catalogs, data.language)
    return render_extract(data, school), extract_filename(data, school)


def missing_pdf(result: MissingExtracts, t: Translator) -> tuple[bytes, str]:
    """The class's missing extracts in one PDF (the school's language) and its file name."""
    from core.documents.extracts import render_extracts  # noqa: PLC0415 (see extract_pdf)

    school = Translator(t.catalogs, result.extracts[0].language)
    month = result.month
    title = school(
        "extract.pdf.title_many", class_name=result.klass.name, period=month_label(month, school)
    )
    pdf = render_extracts(result.extracts, school, title=title)
    return pdf, extracts_filename(result.klass.name, month.start, month.end, school)
