"""Owns the teacher's day screens: the day's lessons, the lesson card, the roster keyboard.

Pure functions over core's results (``core.services.teacher_day``) and the roster kept in the
chat's FSM data. Button labels are plain text; message texts are HTML with data escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    HomeworkCb,
    LessonAction,
    LessonCb,
    RosterCb,
    SubstituteCb,
    TodayCb,
)
from bot.i18n import Translator
from bot.views.common import Screen, esc, fit, keyboard, menu_row, short_day
from core.domain.attendance import AbsenceCode
from core.services.teacher_day import Colleague, DayLesson, LessonCard, TeacherDay

WEEKDAY_KEYS = (
    "timetable.day.mon",
    "timetable.day.tue",
    "timetable.day.wed",
    "timetable.day.thu",
    "timetable.day.fri",
    "timetable.day.sat",
    "timetable.day.sun",
)
MARKER_KEYS = {
    "substitution": "today.mark.substitution",
    "extra": "today.mark.extra",
    "moved_here": "today.mark.moved_here",
    "room": "today.mark.room",
}
PERIODS = 16  # ``LessonCb.slot`` = day ordinal × PERIODS + period
TODAY = 0  # ``TodayCb.day`` for "today in the school's zone"
DONE, NO_TOPIC, NO_ATTENDANCE = "✅", "✏", "👥"
ABSENT_ICON, LATE_ICON = "❌", "⏰"


def lesson_slot(on: date, period: int) -> int:
    """The date and period of a lesson packed into one callback field."""
    return on.toordinal() * PERIODS + period


def unpack_slot(slot: int) -> tuple[date, int] | None:
    """The (date, period) of a packed slot; None when the number names no date."""
    day, period = divmod(slot, PERIODS)
    if not 1 <= day <= date.max.toordinal():
        return None
    return date.fromordinal(day), period


def lesson_button(lesson: DayLesson | LessonCard, action: LessonAction) -> str:
    """The packed callback of a lesson's card or one of its steps."""
    day = lesson.lesson if isinstance(lesson, LessonCard) else lesson
    return LessonCb(
        action=action, group_id=day.group_id, slot=lesson_slot(day.on, day.period)
    ).pack()


def state_icon(lesson: DayLesson) -> str:
    """✅ done, ✏ topic missing, 👥 attendance missing (both when both are)."""
    if lesson.done:
        return DONE
    return (NO_TOPIC if not lesson.topic_set else "") + (
        NO_ATTENDANCE if not lesson.attendance_taken else ""
    )


def weekday(on: date, t: Translator) -> str:
    """The day as headings write it: "Pirmdiena, 30.11."."""
    return f"{t(WEEKDAY_KEYS[on.weekday()])}, {short_day(on)}"


# ---------------------------------------------------------------- the day


def day_screen(day: TeacherDay, t: Translator) -> Screen:
    """The teacher's lessons of a date with state icons; a button per lesson, ◀ ▶ in the week."""
    lines = [t("today.title", day=esc(weekday(day.on, t)))]
    if day.day_off is not None:
        lines.append(t("today.day_off", name=esc(day.day_off)))
    elif not day.is_school_day:
        lines.append(t("today.no_school"))
    elif not day.lessons:
        lines.append(t("today.no_lessons"))
    else:
        lines += [_day_line(lesson, t) for lesson in day.lessons]
        lines += ["", t("today.legend")]
    rows = [
        [
            InlineKeyboardButton(
                text=f"{lesson.period}. {state_icon(lesson)} {lesson.group_name}",
                callback_data=lesson_button(lesson, "open"),
            )
        ]
        for lesson in day.lessons
    ]
    move = []
    if day.previous is not None:
        move.append(
            InlineKeyboardButton(
                text=t("today.previous", day=weekday(day.previous, t)),
                callback_data=TodayCb(day=day.previous.toordinal()).pack(),
            )
        )
    if day.next is not None:
        move.append(
            InlineKeyboardButton(
                text=t("today.next", day=weekday(day.next, t)),
                callback_data=TodayCb(day=day.next.toordinal()).pack(),
            )
        )
    rows += [move, menu_row(t)]
    return Screen(fit(lines, t("today.more")), keyboard(rows))


def _day_line(lesson: DayLesson, t: Translator) -> str:
    line = f"{lesson.period}. {_bell(lesson.starts_at, lesson.ends_at)}{state_icon(lesson)} "
    line += f"<b>{esc(lesson.group_name)}</b>"
    if lesson.room:
        line += f" ({esc(lesson.room)})"
    if lesson.change is not None:
        line += f" · {t(MARKER_KEYS[lesson.change])}"
    return line


def _bell(starts: time | None, ends: time | None) -> str:
    if starts is None or ends is None:
        return ""
    return f"{_clock(starts)}–{_clock(ends)} "


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


# ---------------------------------------------------------------- the lesson card


def lesson_heading(lesson: DayLesson, t: Translator) -> str:
    """The lesson named in full, e.g. "5.a Matemātika · Pirmdiena, 30.11., 1. stunda" (HTML)."""
    return t(
        "today.card.heading",
        group=esc(lesson.group_name),
        day=esc(weekday(lesson.on, t)),
        period=lesson.period,
    )


def card_screen(card: LessonCard, t: Translator, *, note: str | None = None) -> Screen:
    """The lesson card: state, topic, homework with due date and files; the steps as buttons."""
    lesson = card.lesson
    lines = [note, ""] if note else []
    heading = f"📘 <b>{lesson_heading(lesson, t)}</b>"
    details = [_bell(lesson.starts_at, lesson.ends_at).strip()]
    if lesson.room:
        details.append(t("today.card.room", room=esc(lesson.room)))
    if lesson.change is not None:
        details.append(t(MARKER_KEYS[lesson.change]))
    lines += [heading, " · ".join(d for d in details if d)]
    if lesson.substitute:
        lines.append(t("today.card.you_substitute"))
    elif card.taught_by:
        lines.append(t("today.card.taught_by", name=esc(card.taught_by)))
    lines.append("")
    lines.append(
        t("today.card.topic", topic=esc(card.topic)) if card.topic else t("today.card.no_topic")
    )
    lines.append(_homework_line(card, t))
    if card.files:
        lines.append(t("today.card.files", names=esc(", ".join(f.filename for f in card.files))))
    lines.append(_attendance_line(card, t))
    if lesson.marks:
        lines.append(t("today.card.marks", count=lesson.marks))
    rows = [
        [
            _button(t("today.button.topic"), lesson_button(card, "topic")),
            _button(t("today.button.homework"), lesson_button(card, "homework")),
        ],
        [_button(t("today.button.attendance"), lesson_button(card, "attendance"))],
    ]
    if not lesson.substitute:  # a substitute fills in the lesson, not the group's marks
        rows[1].append(_button(t("today.button.grades"), lesson_button(card, "grades")))
    if card.may_reassign:
        rows.append([_button(t("today.button.substitute"), lesson_button(card, "subst"))])
    rows.append(
        [
            _button(t("today.button.day"), TodayCb(day=lesson.on.toordinal()).pack()),
            *menu_row(t),
        ]
    )
    return Screen(fit(lines, t("today.more")), keyboard(rows))


def _homework_line(card: LessonCard, t: Translator) -> str:
    if not card.homework:
        return t("today.card.no_homework")
    line = t("today.card.homework", homework=esc(card.homework))
    if card.homework_due_on is not None:
        line += " " + t("today.card.due", day=esc(weekday(card.homework_due_on, t)))
    return line


def _attendance_line(card: LessonCard, t: Translator) -> str:
    if not card.lesson.attendance_taken:
        return t("today.card.no_attendance")
    return t("today.card.attendance", summary=attendance_summary(card.absent, card.codes, t))


def attendance_summary(
    absent: Mapping[int, str], codes: Sequence[AbsenceCode], t: Translator
) -> str:
    """The saved roster in words, e.g. "visi klāt" or "nav ieradušies: 2, kavē: 1"."""
    by_code = {code.code: code for code in codes}
    late = sum(1 for c in absent.values() if c in by_code and by_code[c].is_late)
    away = len(absent) - late
    if not absent:
        return t("today.card.all_present")
    parts = []
    if away:
        parts.append(t("today.card.absent", count=away))
    if late:
        parts.append(t("today.card.late", count=late))
    return ", ".join(parts)


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


# ---------------------------------------------------------------- topic and homework


def ask_topic(card: LessonCard, t: Translator) -> Screen:
    """Waiting for the topic as one message; Cancel goes back to the card."""
    lines = [f"📝 <b>{lesson_heading(card.lesson, t)}</b>", t("today.topic.ask")]
    if card.topic:
        lines.append(t("today.topic.current", topic=esc(card.topic)))
    cancel = [[_button(t("today.button.cancel"), lesson_button(card, "open"))]]
    return Screen("\n\n".join(lines), keyboard(cancel))


def ask_homework(card: LessonCard, token: int, t: Translator) -> Screen:
    """Waiting for the homework: text, photos or documents, until Done."""
    lines = [f"📚 <b>{lesson_heading(card.lesson, t)}</b>", t("today.homework.ask")]
    if card.homework:
        lines.append(t("today.homework.current", homework=esc(card.homework)))
    if card.homework_due_on is not None:
        lines.append(t("today.homework.due", day=esc(weekday(card.homework_due_on, t))))
    elif card.default_due is not None:
        lines.append(t("today.homework.default_due", day=esc(weekday(card.default_due, t))))
    return Screen("\n\n".join(lines), homework_keyboard(card, token, t, with_dates=False))


def homework_saved(card: LessonCard, token: int, t: Translator, *, note: str) -> Screen:
    """After text or a file: what is saved, the due date choices, Done."""
    lines = [note]
    if card.homework and card.homework_due_on is not None:
        lines.append(t("today.homework.due", day=esc(weekday(card.homework_due_on, t))))
        lines.append(t("today.homework.change_due"))
    elif not card.homework:
        lines.append(t("today.homework.need_text"))
    lines.append(t("today.homework.more"))
    return Screen("\n".join(lines), homework_keyboard(card, token, t, with_dates=True))


def homework_keyboard(
    card: LessonCard, token: int, t: Translator, *, with_dates: bool
) -> InlineKeyboardMarkup | None:
    """Due date buttons (the group's next lessons; ✓ on the chosen one) and Done."""
    rows: list[list[InlineKeyboardButton]] = []
    if with_dates and card.homework:
        dates = list(card.due_options)
        if card.homework_due_on is not None and card.homework_due_on not in dates:
            dates.insert(0, card.homework_due_on)
        row = [
            _button(
                ("✓ " if day == card.homework_due_on else "") + weekday(day, t),
                HomeworkCb(action="due", day=day.toordinal(), token=token).pack(),
            )
            for day in dates
        ]
        rows += [row[i : i + 2] for i in range(0, len(row), 2)]
    rows.append(
        [_button(t("today.button.done"), HomeworkCb(action="done", day=0, token=token).pack())]
    )
    return keyboard(rows)


# ---------------------------------------------------------------- the roster


@dataclass(frozen=True, slots=True)
class RosterView:
    """The unsaved roster as the FSM data keeps it: who, in order, and their codes."""

    token: int
    group_id: int
    slot: int
    title: str
    pupils: tuple[tuple[int, str], ...]  # (pupil id, "3. Bērziņš J.")
    codes: Mapping[int, str]
    cycle: tuple[str, ...]
    icons: Mapping[str, str]


def roster_icons(codes: Sequence[AbsenceCode], cycle: Sequence[str]) -> dict[str, str]:
    """How each code shows on a roster button: ❌ absent, ⏰ late.

    Codes outside the tap cycle carry their name too (❌ns).
    """
    icons = {}
    for code in codes:
        icon = LATE_ICON if code.is_late else ABSENT_ICON
        icons[code.code] = icon if code.code in cycle else f"{icon}{code.code}"
    return icons


def roster_screen(roster: RosterView, t: Translator) -> Screen:
    """The roster message: how to tap, and the two-column keyboard."""
    lines = [f"👥 <b>{esc(roster.title)}</b>", t("today.roster.how")]
    if not roster.pupils:
        lines.append(t("today.roster.empty"))
    return Screen("\n\n".join(lines), roster_keyboard(roster, t))


def roster_keyboard(roster: RosterView, t: Translator) -> InlineKeyboardMarkup:
    """Pupils two per row (state in the text), then "All present" and "Save"."""
    buttons = []
    for pupil_id, label in roster.pupils:
        code = roster.codes.get(pupil_id)
        text = f"{roster.icons.get(code, code)} {label}" if code else label
        buttons.append(
            _button(text, RosterCb(action="tap", pupil_id=pupil_id, token=roster.token).pack())
        )
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [
            _button(
                t("today.button.all_present"),
                RosterCb(action="all", pupil_id=0, token=roster.token).pack(),
            ),
            _button(
                t("today.button.save"),
                RosterCb(action="save", pupil_id=0, token=roster.token).pack(),
            ),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


# ---------------------------------------------------------------- who taught it


def substitute_picker(
    card: LessonCard, colleagues: Sequence[Colleague], token: int, t: Translator
) -> Screen:
    """Which colleague taught the lesson (two per row), or the teacher after all."""
    buttons = [
        _button(c.short_name, SubstituteCb(teacher_id=c.person_id, token=token).pack())
        for c in colleagues
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [_button(t("today.button.myself"), SubstituteCb(teacher_id=0, token=token).pack())]
    )
    rows.append([_button(t("today.button.cancel"), lesson_button(card, "open"))])
    heading = f"🔁 <b>{lesson_heading(card.lesson, t)}</b>"
    return Screen("\n\n".join((heading, t("today.subst.ask"))), keyboard(rows))


def simple(key: str, t: Translator, **params: object) -> Screen:
    """A one-line answer of these dialogs (expired, unsupported message)."""
    return Screen(t(key, **params))
