"""Owns the diary screens: whose diary, a week by day, one day in detail, and the homework list.

Pure functions over core's results (``core.services.diary``). Every screen names the pupil and
the class. Days carry relative names (today, tomorrow, yesterday). A week shows each lesson's
topic and homework while the whole week fits one message; a longer week drops the topics and
homework texts and points to the day buttons, whose screens show one day in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time, timedelta
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import DiaryCb, DiaryFileCb, PupilHomeworkCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import MAX_TEXT, Screen, esc, fit, keyboard, menu_row, short_day
from bot.views.marks import pupil_heading
from core.domain.attendance import AbsenceCode
from core.services.diary import (
    DiaryDay,
    DiaryFile,
    DiaryLesson,
    DiaryMark,
    DiaryWeek,
    HomeworkItem,
    HomeworkList,
)

TODAY = 0  # ``DiaryCb.day``: today (its week, or the day itself) in the school's zone
WEEKDAY_KEYS = (
    "timetable.day.mon",
    "timetable.day.tue",
    "timetable.day.wed",
    "timetable.day.thu",
    "timetable.day.fri",
    "timetable.day.sat",
    "timetable.day.sun",
)
SHORT_WEEKDAY_KEYS = (
    "diary.short.mon",
    "diary.short.tue",
    "diary.short.wed",
    "diary.short.thu",
    "diary.short.fri",
    "diary.short.sat",
    "diary.short.sun",
)
CYCLE_KEYS = ("timetable.week_a", "timetable.week_b")
CHANGE_KEYS = {
    "cancelled": "timetable.mark.cancelled",
    "substituted": "timetable.mark.substituted",
    "room": "timetable.mark.room",
    "extra": "timetable.mark.extra",
}
JUSTIFICATION_KEYS = {
    "justified": "diary.justified",
    "unjustified": "diary.unjustified",
    "pending": "diary.pending",
}
MAX_FILE_BUTTONS = 10
MAX_BUTTON_NAME = 40
ABSENT, LATE, OTHER = "❌", "⏰", "•"


# ---------------------------------------------------------------- whose diary


def picker(family: Sequence[Child], t: Translator, *, homework: bool = False) -> Screen:
    """Which child? One button per child (the diary's week, or the homework list)."""
    rows = [
        [
            InlineKeyboardButton(
                text=child.label,
                callback_data=(
                    PupilHomeworkCb(pupil_id=child.pupil_id)
                    if homework
                    else DiaryCb(view="w", pupil_id=child.pupil_id, day=TODAY)
                ).pack(),
            )
        ]
        for child in family
    ]
    return Screen(t("homework.pick_child" if homework else "diary.pick_child"), keyboard(rows))


def nobody(t: Translator) -> Screen:
    """Someone with no diary of their own and no children (staff)."""
    return Screen(t("diary.nobody"))


# ---------------------------------------------------------------- days and their names


def weekday(on: date, t: Translator) -> str:
    """The day as headings write it: "Pirmdiena, 30.11."."""
    return f"{t(WEEKDAY_KEYS[on.weekday()])}, {short_day(on)}"


def relative(on: date, today: date, t: Translator) -> str | None:
    """The day's relative name (today, tomorrow, yesterday), else None."""
    keys = {0: "diary.today", 1: "diary.tomorrow", -1: "diary.yesterday"}
    key = keys.get((on - today).days)
    return t(key) if key else None


def day_heading(on: date, today: date, t: Translator) -> str:
    """The bold day with its relative name: "<b>Piektdiena, 27.11.</b> · šodien"."""
    heading = f"<b>{esc(weekday(on, t))}</b>"
    near = relative(on, today, t)
    return f"{heading} · {esc(near)}" if near else heading


# ---------------------------------------------------------------- the week


def week_screen(week: DiaryWeek, t: Translator) -> Screen:
    """The week by day; ◀ ▶ weeks, a button per day, Today / Tomorrow, 📎 files, homework."""
    head = _week_head(week, t)
    if not week.days:
        return Screen("\n".join([*head, "", t("timetable.no_year")]), _week_keyboard(week, t))
    full = [*head, *(line for day in week.days for line in _day_block(day, week, t, True))]
    text = "\n".join(full)
    if len(text) > MAX_TEXT:  # a long week: topics and homework texts are on the day screens
        short = [*head, t("diary.compact")]
        short += [line for day in week.days for line in _day_block(day, week, t, False)]
        text = fit(short, t("diary.more"))
    return Screen(text, _week_keyboard(week, t))


def _week_head(week: DiaryWeek, t: Translator) -> list[str]:
    sunday = week.monday + timedelta(days=6)
    span = t("timetable.span", start=short_day(week.monday), end=short_day(sunday))
    if week.cycle_week is not None and week.cycle_week < len(CYCLE_KEYS):
        span += f" · {t(CYCLE_KEYS[week.cycle_week])}"
    return [t("diary.title", name=pupil_heading(week.pupil)), span]


def _day_block(day: DiaryDay, week: DiaryWeek, t: Translator, full: bool) -> list[str]:
    lines = ["", day_heading(day.on, week.today, t)]
    state = _day_state(day, t)
    if state:
        lines.append(state)
    codes = _codes(week.codes)
    for lesson in day.lessons:
        lines.append(_lesson_line(lesson, day.on, codes, t))
        if full and lesson.topic:
            lines.append(f"📝 {esc(lesson.topic)}")
        if lesson.homework or lesson.files:
            lines.append(_homework_line(lesson, t, text=full))
    if day.other_marks:
        lines.append(_other_marks(day.other_marks, t))
    return lines


def _day_state(day: DiaryDay, t: Translator) -> str | None:
    """Why a day has no lessons: a day off, outside the semester, or none."""
    if day.day_off is not None:
        return t("diary.day_off", name=esc(day.day_off))
    if not day.in_term and not day.lessons:
        return t("diary.outside_term")
    if not day.lessons:
        return t("diary.no_lessons")
    return None


def _lesson_line(
    lesson: DiaryLesson, on: date, codes: Mapping[str, AbsenceCode], t: Translator
) -> str:
    """One line: "1. Matemātika (101) · ⭐ 8 · ❌ nav ieradies" (struck through when off)."""
    what = f"{lesson.period}. {esc(lesson.subject)}"
    if lesson.room:
        what += f" ({esc(lesson.room)})"
    if not lesson.held:
        what = f"<s>{what}</s>"
    parts = [what]
    change = _change(lesson, on, t)
    if change:
        parts.append(change)
    if lesson.marks:
        parts.append(f"⭐ {_marks(lesson.marks, t)}")
    if lesson.attendance is not None:
        parts.append(_attendance(lesson, codes, t, short=True))
    return " · ".join(parts)


def _homework_line(lesson: DiaryLesson, t: Translator, *, text: bool) -> str:
    line = "📚"
    if text and lesson.homework:
        line += f" {esc(lesson.homework)}"
    if lesson.homework_due_on is not None:
        line += " " + t("diary.due", day=short_day(lesson.homework_due_on))
    if lesson.files:
        line += f" 📎 {len(lesson.files)}"
    return line


def _other_marks(marks: Sequence[DiaryMark], t: Translator) -> str:
    listed = ", ".join(f"{esc(m.subject)} {esc(m.label(t.lang))}" for m in marks)
    return t("diary.other_marks", marks=listed)


def _week_keyboard(week: DiaryWeek, t: Translator) -> InlineKeyboardMarkup | None:
    pupil_id = week.pupil_id
    rows = [
        [
            _button(t("timetable.previous"), _diary("w", pupil_id, week.previous_monday)),
            _button(t("timetable.next"), _diary("w", pupil_id, week.next_monday)),
        ],
        [
            _button(
                f"{t(SHORT_WEEKDAY_KEYS[day.on.weekday()])} {short_day(day.on)}",
                _diary("d", pupil_id, day.on),
            )
            for day in week.days
        ],
        _near_row(week, t),
        *_file_rows(pupil_id, (lesson for day in week.days for lesson in day.lessons)),
        [_button(t("diary.homework_button"), PupilHomeworkCb(pupil_id=pupil_id).pack())],
        menu_row(t),
    ]
    return keyboard(rows)


def _near_row(week: DiaryWeek, t: Translator) -> list[InlineKeyboardButton]:
    """Today, and the next school day (labelled "tomorrow" when it is)."""
    row = [
        _button(
            t("diary.today_button"),
            DiaryCb(view="d", pupil_id=week.pupil_id, day=TODAY).pack(),
        )
    ]
    following = week.next_school_day
    if following is not None:
        label = (
            t("diary.tomorrow_button")
            if following == week.today + timedelta(days=1)
            else t("diary.next_day_button", day=weekday(following, t))
        )
        row.append(_button(label, _diary("d", week.pupil_id, following)))
    return row


# ---------------------------------------------------------------- one day


def day_screen(week: DiaryWeek, on: date, t: Translator) -> Screen:
    """One day in full: bells, rooms, teachers, topics, homework with files, marks, absences."""
    lines = [
        t("diary.title", name=pupil_heading(week.pupil)),
        day_heading(on, week.today, t),
    ]
    day = week.day(on)
    codes = _codes(week.codes)
    if day is None:
        lines.append(t("diary.no_school"))
    else:
        state = _day_state(day, t)
        if state:
            lines.append(state)
        for lesson in day.lessons:
            lines += ["", *_lesson_detail(lesson, on, codes, t)]
        if day.other_marks:
            lines += ["", _other_marks(day.other_marks, t)]
    return Screen(fit(lines, t("diary.more")), _day_keyboard(week, on, day, t))


def _lesson_detail(
    lesson: DiaryLesson, on: date, codes: Mapping[str, AbsenceCode], t: Translator
) -> list[str]:
    head = f"<b>{lesson.period}. {esc(lesson.subject)}</b>"
    if not lesson.held:
        head = f"<s>{head}</s>"
    details = [_bell(lesson.starts_at, lesson.ends_at)]
    room = esc(lesson.room) if lesson.room else ""
    if lesson.original_room and lesson.original_room != lesson.room:
        room = f"{esc(lesson.original_room)} → {room}"
    details.append(room)
    teachers = esc(", ".join(lesson.teachers))
    if lesson.change == "substituted" and lesson.original_teachers:
        teachers = f"<s>{esc(', '.join(lesson.original_teachers))}</s> → {teachers}"
    details.append(teachers)
    shown = ", ".join(d for d in details if d)
    lines = [f"{head} {shown}" if shown else head]
    change = _change(lesson, on, t)
    if change:
        lines.append(f"🔁 {change}")
    if lesson.topic:
        lines.append(t("diary.topic", topic=esc(lesson.topic)))
    if lesson.homework:
        lines.append(t("diary.homework", text=esc(lesson.homework)))
    if lesson.homework_due_on is not None and (lesson.homework or lesson.files):
        lines.append(t("diary.homework_due", day=esc(weekday(lesson.homework_due_on, t))))
    if lesson.files:
        names = ", ".join(esc(f.name) for f in lesson.files)
        lines.append(t("diary.files", names=names))
    lines += [
        t("diary.mark", value=esc(mark.label(t.lang)), title=esc(mark.title))
        for mark in lesson.marks
    ]
    if lesson.attendance is not None:
        lines.append(_attendance(lesson, codes, t, short=False))
    return lines


def _day_keyboard(
    week: DiaryWeek, on: date, day: DiaryDay | None, t: Translator
) -> InlineKeyboardMarkup | None:
    pupil_id = week.pupil_id
    before, after = _neighbours(week, on)
    rows = [
        [
            _button(
                t("diary.previous_day", day=weekday(before, t)), _diary("d", pupil_id, before)
            ),
            _button(t("diary.next_day", day=weekday(after, t)), _diary("d", pupil_id, after)),
        ],
        [_button(t("diary.week_button"), _diary("w", pupil_id, on))],
        *_file_rows(pupil_id, day.lessons if day else ()),
        [_button(t("diary.homework_button"), PupilHomeworkCb(pupil_id=pupil_id).pack())],
        menu_row(t),
    ]
    return keyboard(rows)


def _neighbours(week: DiaryWeek, on: date) -> tuple[date, date]:
    """The school weekdays before and after ``on`` (across the week's ends)."""
    offsets = sorted(day.on.weekday() for day in week.days) or list(range(5))
    week_days = [week.monday + timedelta(days=d) for d in offsets]
    before = [d for d in week_days if d < on]
    after = [d for d in week_days if d > on]
    previous = before[-1] if before else week.previous_monday + timedelta(days=offsets[-1])
    following = after[0] if after else week.next_monday + timedelta(days=offsets[0])
    return previous, following


# ---------------------------------------------------------------- homework


def homework_screen(result: HomeworkList, t: Translator) -> Screen:
    """Homework due tomorrow and later this school week, by due date; 📎 buttons for files."""
    lines = [t("homework.title", name=pupil_heading(result.pupil))]
    if result.tomorrow is None or result.until is None:
        lines.append(t("homework.no_days"))
    else:
        lines.append(
            t("homework.span", start=short_day(result.tomorrow), end=short_day(result.until))
        )
        if not result.items:
            lines += ["", t("homework.none")]
        due: date | None = None
        for item in result.items:
            if item.due_on != due:
                due = item.due_on
                lines += ["", day_heading(due, result.today, t)]
            lines.append(_homework_item(item, t))
    rows = [
        *_file_rows(result.pupil_id, (), items=result.items),
        [
            _button(
                t("homework.diary_button"),
                DiaryCb(view="w", pupil_id=result.pupil_id, day=TODAY).pack(),
            )
        ],
        menu_row(t),
    ]
    return Screen(fit(lines, t("diary.more")), keyboard(rows))


def _homework_item(item: HomeworkItem, t: Translator) -> str:
    line = f"{item.period}. " if item.period is not None else "• "
    line += f"<b>{esc(item.subject)}</b>: "
    line += esc(item.text) if item.text else t("homework.files_only")
    if item.files:
        line += f" 📎 {len(item.files)}"
    return line + " " + t("homework.given", day=short_day(item.given_on))


# ---------------------------------------------------------------- pieces


def _change(lesson: DiaryLesson, on: date, t: Translator) -> str:
    """The change's words: cancelled, substituted (by whom), moved (where to or from), extra."""
    words = ""
    if lesson.change == "moved_away" and lesson.moved_to is not None:
        day, period = lesson.moved_to
        words = (
            t("timetable.mark.moved_to", period=period)
            if day == on
            else t("timetable.mark.moved_to_day", period=period, day=short_day(day))
        )
    elif lesson.change == "moved_here" and lesson.moved_from is not None:
        day, period = lesson.moved_from
        words = (
            t("timetable.mark.moved_from", period=period)
            if day == on
            else t("timetable.mark.moved_from_day", period=period, day=short_day(day))
        )
    elif lesson.change in CHANGE_KEYS:
        words = t(CHANGE_KEYS[lesson.change])
        if lesson.change == "substituted" and lesson.teachers:
            words += f": {esc(', '.join(lesson.teachers))}"
    if words and lesson.note:
        words += f" ({esc(lesson.note)})"
    return words


def _marks(marks: Sequence[DiaryMark], t: Translator) -> str:
    return ", ".join(esc(mark.label(t.lang)) for mark in marks)


def _codes(codes: Iterable[AbsenceCode]) -> dict[str, AbsenceCode]:
    return {code.code: code for code in codes}


def _attendance(
    lesson: DiaryLesson, codes: Mapping[str, AbsenceCode], t: Translator, *, short: bool
) -> str:
    """The school's label ("❌ nav ieradies"), with the justification on the day screen."""
    mark = lesson.attendance
    if mark is None:  # pragma: no cover - callers ask only for lessons with a mark
        return ""
    code = codes.get(mark.code)
    label = code.label(t.lang) if code else mark.code
    icon = ABSENT if code is None or code.counts_as_absence else LATE if code.is_late else OTHER
    text = f"{icon} {esc(label)}"
    key = JUSTIFICATION_KEYS.get(mark.justification)
    if short or key is None or (code is not None and not code.counts_as_absence):
        return text
    return f"{text} ({t(key)})"


def _bell(starts: time | None, ends: time | None) -> str:
    if starts is None or ends is None:
        return ""
    return f"{starts.hour}:{starts.minute:02d}–{ends.hour}:{ends.minute:02d}"


def _file_rows(
    pupil_id: int, lessons: Iterable[DiaryLesson], *, items: Sequence[HomeworkItem] = ()
) -> list[list[InlineKeyboardButton]]:
    """A 📎 button per homework file (the first ``MAX_FILE_BUTTONS``), one per row."""
    files: list[DiaryFile] = [f for lesson in lessons for f in lesson.files]
    files += [f for item in items for f in item.files]
    unique = list({f.id: f for f in files}.values())[:MAX_FILE_BUTTONS]
    return [
        [_button(f"📎 {_shorten(f.name)}", DiaryFileCb(pupil_id=pupil_id, file_id=f.id).pack())]
        for f in unique
    ]


def _shorten(name: str) -> str:
    return name if len(name) <= MAX_BUTTON_NAME else f"{name[: MAX_BUTTON_NAME - 1]}…"


def _diary(view: Literal["w", "d"], pupil_id: int, on: date) -> str:
    return DiaryCb(view=view, pupil_id=pupil_id, day=on.toordinal()).pack()


def _button(text: str, data: str) -> InlineKeyboardButton:
    # Button labels are plain text (Telegram does not parse HTML in them): no escaping here.
    return InlineKeyboardButton(text=text, callback_data=data)
