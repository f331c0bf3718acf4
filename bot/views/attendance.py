"""Owns the absences screen: a pupil's semester summary and the latest entries.

Codes show with the school's own labels (core returns them with the result).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiogram.types import InlineKeyboardButton

from bot.callbacks import MarksCb, NoteFormCb
from bot.i18n import Translator
from bot.views.common import Screen, esc, fit, keyboard, menu_row, short_day
from bot.views.marks import period_line, pupil_heading
from core.domain.attendance import AbsenceCode, Justification
from core.domain.records import AttendanceRow
from core.services.attendance import PupilAttendance

LATEST = 10
JUSTIFICATION_KEYS: dict[str, str] = {
    Justification.JUSTIFIED: "absences.justified",
    Justification.UNJUSTIFIED: "absences.unjustified",
    Justification.PENDING: "absences.pending",
}


def absences_screen(result: PupilAttendance, t: Translator, *, report: bool = False) -> Screen:
    """Counts by justification, lateness and the latest entries.

    ``report`` adds "Report an absence" (for a parent with full rights: /absent for this child).
    """
    summary = result.summary
    lines = [
        t("absences.title", name=pupil_heading(result.pupil)),
        period_line(result.term, result.start, result.end, t),
        "",
    ]
    if not result.rows:
        lines.append(t("absences.none"))
    else:
        lines.append(
            t(
                "absences.summary",
                total=summary.absent_lessons,
                justified=summary.justified,
                unjustified=summary.unjustified,
                pending=summary.pending,
            )
        )
        if summary.late:
            lines.append(t("absences.late", count=summary.late))
        lines += ["", t("absences.latest")]
        latest = sorted(result.rows, key=lambda r: (r.on_date, r.period), reverse=True)[:LATEST]
        labels = {code.code: code for code in result.codes}
        lines += [_entry(row, labels, t) for row in latest]
    rows = [
        [
            InlineKeyboardButton(
                text=t("menu.marks"), callback_data=MarksCb(pupil_id=result.pupil_id).pack()
            )
        ],
        menu_row(t),
    ]
    if report:
        data = NoteFormCb(step="child", value=result.pupil_id).pack()
        rows.insert(1, [InlineKeyboardButton(text=t("notes.report"), callback_data=data)])
    return Screen(fit(lines, t("marks.more")), keyboard(rows))


def _entry(row: AttendanceRow, labels: Mapping[str, AbsenceCode], t: Translator) -> str:
    code = labels.get(row.code)
    label = code.label(t.lang) if code else row.code
    justification = JUSTIFICATION_KEYS.get(row.justification)
    return t(
        "absences.entry",
        date=short_day(row.on_date),
        period=row.period,
        subject=esc(row.subject_name),
        code=esc(label),
        justification=t(justification) if justification else esc(row.justification),
    )
