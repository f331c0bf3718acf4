"""Owns the connection report screens (rule 2.2): a school's overview and one class's list.

Counts first, then the people not connected: newly arrived pupils and their parents with the
days left of the one-week target (or "overdue"), and whether an invitation is still open.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton

from bot.callbacks import ConnectionsCb
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, fit, keyboard, menu_row
from core.services.connections import ConnectionReport, Unconnected

MAX_STAFF_NAMES = 40


def report_screens(reports: Sequence[ConnectionReport], t: Translator) -> list[Screen]:
    """One screen per report: a school's overview, or a class's list."""
    return [class_screen(r, t) if r.class_name else school_screen(r, t) for r in reports]


def school_screen(report: ConnectionReport, t: Translator) -> Screen:
    """Totals, the newly arrived still missing, staff still missing; a button per class."""
    lines = [
        t("conn.school_title", school=esc(report.school.name), date=day(report.on)),
        _tallies(report, t),
    ]
    urgent = report.newly_arrived
    if urgent:
        lines += ["", t("conn.newly_arrived", count=len(urgent))]
        lines += [_line(row, t) for row in urgent]
    if report.missing_staff:
        lines += ["", t("conn.missing_staff", count=len(report.missing_staff))]
        lines += [_line(row, t) for row in report.missing_staff[:MAX_STAFF_NAMES]]
    if not (report.missing_pupils or report.missing_parents or report.missing_staff):
        lines += ["", t("conn.everyone")]
    else:
        lines += ["", t("conn.pick_class")]
    rows = [
        [
            InlineKeyboardButton(
                text=t(
                    "conn.class_button",
                    class_name=c.class_name,
                    pupils=c.pupils.connected,
                    pupils_total=c.pupils.total,
                    parents=c.parents.connected,
                    parents_total=c.parents.total,
                ),
                callback_data=ConnectionsCb(class_id=c.class_id).pack(),
            )
        ]
        for c in report.classes
    ]
    rows.append(menu_row(t))
    return Screen(fit(lines, t("conn.more")), keyboard(rows))


def class_screen(report: ConnectionReport, t: Translator) -> Screen:
    """One class: totals, then every pupil and parent not connected yet."""
    lines = [
        t(
            "conn.class_title",
            class_name=esc(report.class_name or ""),
            school=esc(report.school.name),
            date=day(report.on),
        ),
        _tallies(report, t),
    ]
    for key, rows in (
        ("conn.missing_pupils", report.missing_pupils),
        ("conn.missing_parents", report.missing_parents),
    ):
        if rows:
            lines += ["", t(key, count=len(rows))]
            lines += [_line(row, t, with_class=False) for row in rows]  # the title names it
    if not (report.missing_pupils or report.missing_parents):
        lines += ["", t("conn.everyone")]
    return Screen(fit(lines, t("conn.more")), keyboard([menu_row(t)]))


def _tallies(report: ConnectionReport, t: Translator) -> str:
    text = t(
        "conn.tally",
        pupils=report.pupils.connected,
        pupils_total=report.pupils.total,
        parents=report.parents.connected,
        parents_total=report.parents.total,
    )
    if report.staff is not None:
        text += "\n" + t(
            "conn.tally_staff", staff=report.staff.connected, total=report.staff.total
        )
    return text


def _line(row: Unconnected, t: Translator, *, with_class: bool = True) -> str:
    text = "• " + esc(row.full_name)
    if row.classes and with_class:
        text += f" ({esc(', '.join(row.classes))})"
    if row.children:
        text += t("conn.children", names=esc(", ".join(row.children)))
    if row.due_on is not None and row.days_left is not None:
        if row.days_left < 0:
            text += t("conn.overdue", days=-row.days_left, date=day(row.due_on))
        else:
            text += t("conn.due", days=row.days_left, date=day(row.due_on))
    if row.invited_until is not None:
        text += t("conn.invited", date=day(row.invited_until))
    return text
