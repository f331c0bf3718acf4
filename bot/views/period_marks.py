"""Owns the semester and year marks screens: the periods, the proposals sheet, after saving.

Pure renderers: service results in, ``Screen`` out. Values show as teachers type them (``8``,
``A``, ``i``/``ni``, ``85%``, ``nv``); every name is HTML-escaped.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton

from bot.callbacks import PeriodMarksCb
from bot.i18n import Translator
from bot.views.common import Screen, day, decimal, esc, fit, keyboard, menu_row
from bot.views.grades import scale_line, token
from core.domain.marks import MarkScale
from core.services.period_marks import (
    MarkPeriod,
    PeriodChoices,
    PeriodMarkRow,
    PeriodMarkSheet,
)


def period_name(period: MarkPeriod, t: Translator) -> str:
    """A period's name: "1. semestris" or "Gada vērtējums"."""
    if period.term is None:
        return t("period_marks.year")
    return t("period_marks.semester", number=period.term)


def periods_screen(choices: PeriodChoices, t: Translator) -> Screen:
    """Which period's marks: the begun semesters (where the school gives them) and the year."""
    rows = [
        [
            InlineKeyboardButton(
                text=period_name(period, t),
                callback_data=PeriodMarksCb(
                    action="open", group_id=choices.group.id, term=period.term or 0
                ).pack(),
            )
        ]
        for period in choices.periods
    ]
    rows.append(menu_row(t))
    text = t("period_marks.pick", group=esc(choices.group.name))
    return Screen(text, keyboard(rows))


def _row_line(row: PeriodMarkRow, scale: MarkScale, t: Translator) -> str:
    parts = [f"{row.pupil.number}. {esc(row.pupil.label)}"]
    if row.proposal is not None:
        detail = t("period_marks.proposal", value=token(scale, row.proposal), count=row.counted)
        if row.average is not None:
            detail += " " + t("period_marks.average", average=decimal(row.average, t.lang))
        parts.append(detail)
    else:
        parts.append(t("period_marks.no_proposal"))
    if row.nv:
        parts.append(t("period_marks.nv", count=row.nv))
    if row.confirmed is not None:
        parts.append(t("period_marks.confirmed", value=token(scale, row.confirmed)))
    return " — ".join(parts)


def sheet_screen(
    sheet: PeriodMarkSheet,
    t: Translator,
    *,
    changed: int | None = None,
    corrected: int = 0,
) -> Screen:
    """The roster with proposals and confirmed marks, how to confirm, and what a save changed."""
    period = sheet.period
    lines = [
        t(
            "period_marks.title",
            group=esc(sheet.group.name),
            period=period_name(period, t),
            start=day(period.start),
            end=day(period.end),
        ),
        scale_line(sheet.scale, t),
    ]
    if changed is not None:
        lines.append(t("period_marks.saved", count=changed, corrected=corrected))
    lines.append(t("period_marks.progress", confirmed=sheet.confirmed, size=len(sheet.rows)))
    lines.append("")
    lines += [_row_line(row, sheet.scale, t) for row in sheet.rows]
    if not sheet.rows:
        lines.append(t("period_marks.no_pupils"))
    lines += ["", t("period_marks.how")]
    rows: list[list[InlineKeyboardButton]] = []
    waiting = sum(1 for row in sheet.open if row.proposal is not None)
    if waiting:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("period_marks.confirm_all", count=waiting),
                    callback_data=PeriodMarksCb(
                        action="all", group_id=sheet.group.id, term=period.term or 0
                    ).pack(),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=t("period_marks.back"),
                callback_data=PeriodMarksCb(action="pick", group_id=sheet.group.id, term=0).pack(),
            )
        ]
    )
    rows.append(menu_row(t))
    return Screen(fit(lines, t("period_marks.more")), keyboard(rows))


def entry_closed(t: Translator) -> Screen:
    """Text came long after the sheet was opened: nothing is saved; open it again."""
    return Screen(t("period_marks.closed"))
