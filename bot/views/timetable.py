"""Owns the timetable screens: whose timetable, a week by day, and the import preview.

Pure functions over core's results. Every week screen names whose week it is (a parent with
several children always sees which child).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Literal

from aiogram.types import InlineKeyboardButton

from bot.callbacks import TimetableCb, TimetableImportCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, esc, fit, keyboard, menu_row, short_day
from core.errors import ImportProblem
from core.imports.problems import format_problem
from core.services.timetable import TimetableDay, TimetableEntry, WeekTimetable
from core.services.timetable_import import TimetablePreview, preview_lines

WEEKDAY_KEYS = (
    "timetable.day.mon",
    "timetable.day.tue",
    "timetable.day.wed",
    "timetable.day.thu",
    "timetable.day.fri",
    "timetable.day.sat",
    "timetable.day.sun",
)
CYCLE_KEYS = ("timetable.week_a", "timetable.week_b")
MAX_PROBLEMS = 30
THIS_WEEK = 0  # ``TimetableCb.day`` for "the week of today" (core takes the school's today)


def picker(family: Sequence[Child], own: TimetableCb | None, t: Translator) -> Screen:
    """Whose timetable? The person's own (as a teacher or a pupil) first, then each child."""
    rows = []
    if own is not None:
        rows.append([InlineKeyboardButton(text=t("timetable.mine"), callback_data=own.pack())])
    rows += [
        [
            InlineKeyboardButton(
                text=child.label,
                callback_data=TimetableCb(
                    whose="p", person_id=child.pupil_id, day=THIS_WEEK
                ).pack(),
            )
        ]
        for child in family
    ]
    return Screen(t("timetable.pick"), keyboard(rows))


def nothing_to_show(t: Translator) -> Screen:
    """A person with no timetable of their own and no children."""
    return Screen(t("timetable.nobody"))


def week_screen(week: WeekTimetable, t: Translator) -> Screen:
    """The week by day with bell times, rooms and teachers; previous and next week buttons."""
    sunday = week.monday.toordinal() + 6
    span = t(
        "timetable.span",
        start=short_day(week.monday),
        end=short_day(date.fromordinal(sunday)),
    )
    if week.cycle_week is not None and week.cycle_week < len(CYCLE_KEYS):
        span += f" · {t(CYCLE_KEYS[week.cycle_week])}"
    lines = [
        t(
            "timetable.title_teacher" if week.is_teacher else "timetable.title",
            name=esc(week.person_name),
        ),
        span,
    ]
    if not week.days:
        lines += ["", t("timetable.no_year")]
    for day in week.days:
        lines += ["", *_day_lines(day, week.is_teacher, t)]
    whose: Literal["p", "t"] = "t" if week.is_teacher else "p"
    rows = [
        [
            InlineKeyboardButton(
                text=t("timetable.previous"),
                callback_data=TimetableCb(
                    whose=whose, person_id=week.person_id, day=week.previous_monday.toordinal()
                ).pack(),
            ),
            InlineKeyboardButton(
                text=t("timetable.next"),
                callback_data=TimetableCb(
                    whose=whose, person_id=week.person_id, day=week.next_monday.toordinal()
                ).pack(),
            ),
        ],
        menu_row(t),
    ]
    return Screen(fit(lines, t("timetable.more")), keyboard(rows))


def _day_lines(day: TimetableDay, for_teacher: bool, t: Translator) -> list[str]:
    heading = f"<b>{t(WEEKDAY_KEYS[day.on.weekday()])}, {short_day(day.on)}</b>"
    if day.day_off is not None:
        return [heading, t("timetable.day_off", name=esc(day.day_off))]
    if not day.in_term:
        return [heading, t("timetable.outside_term")]
    if not day.entries:
        return [heading, t("timetable.no_lessons")]
    return [heading, *(_entry_line(entry, for_teacher, day.on, t) for entry in day.entries)]


def _entry_line(entry: TimetableEntry, for_teacher: bool, on: date, t: Translator) -> str:
    """One lesson; a published change is marked in the line (struck through when it is off)."""
    when = f"{entry.period}."
    if entry.starts_at is not None and entry.ends_at is not None:
        when += f" {_clock(entry.starts_at)}–{_clock(entry.ends_at)}"
    # A teacher needs the journal (class and group); pupils need the subject and the teacher.
    what = esc(entry.group_name if for_teacher else entry.subject)
    details = [] if for_teacher and entry.change != "substituted" else [_teachers(entry)]
    details = [text for text in details if text]
    if entry.room:
        room = esc(entry.room)
        if entry.original_room and entry.original_room != entry.room:
            room = f"{esc(entry.original_room)} → {room}"
        details.append(room)
    line = f"{when} {what}" + (f" ({', '.join(details)})" if details else "")
    if entry.change in ("cancelled", "moved_away"):
        line = f"<s>{line}</s>"
    mark = _mark(entry, on, t)
    if mark:
        line += f" — {mark}"
    if entry.note:
        line += f" ({esc(entry.note)})"
    return line


def _teachers(entry: TimetableEntry) -> str:
    names = esc(", ".join(entry.teachers))
    if entry.change == "substituted" and entry.original_teachers:
        return f"<s>{esc(', '.join(entry.original_teachers))}</s> → {names}"
    return names


def _mark(entry: TimetableEntry, on: date, t: Translator) -> str:
    """The change's words: cancelled, substituted, moved (where to or from), extra."""
    if entry.change == "moved_away" and entry.moved_to is not None:
        day, period = entry.moved_to
        if day == on:
            return t("timetable.mark.moved_to", period=period)
        return t("timetable.mark.moved_to_day", period=period, day=short_day(day))
    if entry.change == "moved_here" and entry.moved_from is not None:
        day, period = entry.moved_from
        if day == on:
            return t("timetable.mark.moved_from", period=period)
        return t("timetable.mark.moved_from_day", period=period, day=short_day(day))
    keys = {
        "cancelled": "timetable.mark.cancelled",
        "substituted": "timetable.mark.substituted",
        "room": "timetable.mark.room",
        "extra": "timetable.mark.extra",
    }
    return t(keys[entry.change]) if entry.change in keys else ""


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


# ---------------------------------------------------------------- the superuser's import


def import_preview(preview: TimetablePreview, t: Translator, *, confirmable: bool) -> Screen:
    """The preview with Confirm/Cancel (or only the problems when it cannot be applied)."""
    lines = [esc(line) for line in preview_lines(preview, t)]
    lines += _problem_lines(preview.problems(), t)
    rows: list[list[InlineKeyboardButton]] = []
    if confirmable and not preview.blocked:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("timetable.import.confirm"),
                    callback_data=TimetableImportCb(action="apply").pack(),
                ),
                InlineKeyboardButton(
                    text=t("timetable.import.cancel"),
                    callback_data=TimetableImportCb(action="cancel").pack(),
                ),
            ]
        )
    return Screen(fit(lines, t("timetable.more")), keyboard(rows))


def import_rejected(problems: Sequence[ImportProblem], t: Translator) -> Screen:
    """The file cannot be imported: every problem (up to a screenful), nothing changed."""
    lines = [t("timetable.import.rejected", count=len(problems))]
    lines += _problem_lines(problems, t)
    return Screen(fit(lines, t("timetable.more")))


def _problem_lines(problems: Sequence[ImportProblem], t: Translator) -> list[str]:
    shown = [
        "• " + esc(format_problem(problem, t.catalogs, t.lang))
        for problem in problems[:MAX_PROBLEMS]
    ]
    if len(problems) > MAX_PROBLEMS:
        shown.append(t("timetable.import.more_problems", count=len(problems) - MAX_PROBLEMS))
    return shown


def import_simple(key: str, t: Translator) -> Screen:
    """A one-line answer of the import dialog (cancelled, expired, too big, which school)."""
    return Screen(t(key))
