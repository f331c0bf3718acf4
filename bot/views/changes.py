"""Owns the screens of the superuser's timetable-change editor (/changes).

Pure functions over core's results (``core.services.timetable_changes`` and
``core.services.changes_import``). Every screen names the date; every button is a ``ChangesCb``
carrying the reference the router remembered for the screen (``ref``) and the choice (``arg``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from aiogram.types import InlineKeyboardButton

from bot.callbacks import ChangesAction, ChangesCb
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, fit, keyboard, menu_row, short_day
from bot.views.timetable import WEEKDAY_KEYS
from core.domain.collation import latvian_key
from core.errors import ImportProblem
from core.imports.problems import format_problem
from core.services.changes_import import ChangesPreview
from core.services.timetable_changes import (
    ChangeView,
    ClassChoice,
    DayPlan,
    PlannedLesson,
    TeacherOption,
    change_line,
)

PAGE = 10  # teachers per page
MOVE_DAYS = 5  # school days offered after the lesson's own date
CLASSES_PER_ROW = 4
PERIODS_PER_ROW = 4
MAX_PROBLEMS = 30
OTHER = ""  # the "class" of lessons that belong to no class (interest groups)

KIND_MARKS = {
    "substitution": "🔁",
    "cancel": "❌",
    "room": "🚪",
    "move": "↪️",
    "extra": "➕",
}


class Buttons:
    """Callback data of one screen: its remembered place (``ref``) and a choice."""

    def __init__(self, ref: int) -> None:
        self.ref = ref

    def data(self, act: ChangesAction, arg: int = 0) -> str:
        """The packed ``ChangesCb``."""
        return ChangesCb(act=act, ref=self.ref, arg=arg).pack()

    def button(self, text: str, act: ChangesAction, arg: int = 0) -> InlineKeyboardButton:
        """One inline button."""
        return InlineKeyboardButton(text=text, callback_data=self.data(act, arg))


# ---------------------------------------------------------------- shared pieces


def long_day(value: date, t: Translator) -> str:
    """The weekday and the date: Pirmdiena, 30.11.2026."""
    return f"{t(WEEKDAY_KEYS[value.weekday()])}, {day(value)}"


def class_names(plan: DayPlan) -> tuple[str, ...]:
    """The classes with lessons on the day, in natural order (2.a before 10.a); OTHER last."""
    names = {name for lesson in plan.lessons for name in lesson.class_names}
    ordered = sorted(names, key=_class_key)
    if any(not lesson.class_names for lesson in plan.lessons):
        ordered.append(OTHER)
    return tuple(ordered)


def lessons_of_class(plan: DayPlan, class_name: str) -> tuple[PlannedLesson, ...]:
    """The day's lessons of one class (OTHER: lessons of no class), by period."""
    if class_name == OTHER:
        return tuple(lesson for lesson in plan.lessons if not lesson.class_names)
    return tuple(lesson for lesson in plan.lessons if class_name in lesson.class_names)


def day_teachers(plan: DayPlan) -> tuple[tuple[int, str], ...]:
    """Everyone who teaches a lesson of the day (as the timetable says), in Latvian order.

    By family name (a full name's last word, as core orders its suggestions), then the name.
    """
    found: dict[int, str] = {}
    for lesson in plan.lessons:
        found.update(zip(lesson.teacher_ids, lesson.teacher_names, strict=False))
    return tuple(
        sorted(
            found.items(),
            key=lambda item: (
                latvian_key(item[1].rsplit(" ", 1)[-1]),
                latvian_key(item[1]),
                item[0],
            ),
        )
    )


def busy_periods(plan: DayPlan, class_names_: Iterable[str], group_id: int) -> frozenset[int]:
    """Periods in which the group, or a class it draws from, already has a lesson that day.

    A lesson cancelled or moved away leaves its period free; a lesson moved into the day
    occupies its new period.
    """
    classes = set(class_names_)
    busy: set[int] = set()
    for lesson in plan.lessons:
        if lesson.group_id != group_id and not classes & set(lesson.class_names):
            continue
        change = lesson.change
        if change is not None and change.kind == "cancel":
            continue
        if change is not None and change.kind == "move":
            if change.new_date in (None, plan.on) and change.new_period is not None:
                busy.add(change.new_period)
            continue
        busy.add(lesson.period)
    return frozenset(busy)


def lesson_label(lesson: PlannedLesson) -> str:
    """The period and the subject (else the journal's name): 3. Matemātika."""
    return f"{lesson.period}. {lesson.subject_name or lesson.group_name}"


def lesson_name(lesson: PlannedLesson) -> str:
    """The lesson as questions about it name it, plain text: 3. Matemātika (5.a)."""
    classes = ", ".join(lesson.class_names)
    return lesson_label(lesson) + (f" ({classes})" if classes else "")


def _lesson_heading(lesson: PlannedLesson) -> str:
    return esc(lesson_name(lesson))


def _mark(change: ChangeView | None) -> str:
    if change is None:
        return ""
    status = "✏️" if change.status == "draft" else ""
    return f" {KIND_MARKS.get(change.kind, '•')}{status}"


def _change_text(change: ChangeView, t: Translator) -> str:
    status = t("changes.status.draft" if change.status == "draft" else "changes.status.published")
    return f"{esc(change_line(change, t))} <i>({status})</i>"


def _class_key(name: str) -> tuple[int, tuple[int, ...]]:
    digits = "".join(ch for ch in name.split(".", 1)[0] if ch.isdigit())
    return (int(digits) if digits else 99, latvian_key(name))


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


# ---------------------------------------------------------------- entry


def managers_only(t: Translator) -> Screen:
    """Someone who is not the school's management typed /changes."""
    return Screen(t("changes.managers_only"))


def expired(t: Translator) -> Screen:
    """A button whose remembered place is gone (a restart, or long ago)."""
    return Screen(t("changes.expired"))


def school_picker(schools: Sequence[tuple[str, int]], t: Translator) -> Screen:
    """A manager of several schools: which school's changes? (name, ref of its day screen)."""
    rows = [[Buttons(ref).button(name, "day")] for name, ref in schools]
    rows.append(menu_row(t))
    return Screen(t("changes.pick_school"), keyboard(rows))


# ---------------------------------------------------------------- the day


def day_screen(
    plan: DayPlan, classes: Sequence[str], today: date, ref: int, t: Translator
) -> Screen:
    """The date, whether lessons take place, each class's lessons with changes marked, buttons.

    ``classes`` are the class buttons in order (``cls`` carries the position).
    """
    b = Buttons(ref)
    lines = [t("changes.title", day=long_day(plan.on, t))]
    if plan.day_off is not None:
        lines.append(t("changes.day_off", name=esc(plan.day_off)))
    elif plan.is_school_day:
        lines.append(t("changes.school_day"))
    else:
        lines.append(t("changes.not_school_day"))
    lines.append(t("changes.counts", drafts=plan.drafts, published=plan.published))
    if not plan.lessons:
        lines += ["", t("changes.no_lessons")]
    for name in classes:
        lessons = lessons_of_class(plan, name)
        shown = ", ".join(esc(lesson_label(lesson)) + _mark(lesson.change) for lesson in lessons)
        lines.append(f"<b>{esc(name) or t('changes.other_groups')}</b>: {shown}")
    changed = [lesson.change for lesson in plan.lessons if lesson.change is not None]
    if changed:
        lines += ["", t("changes.list_title")]
        lines += [f"• {_change_text(change, t)}" for change in changed]
    class_buttons = [
        b.button(name or t("changes.other_groups"), "cls", index)
        for index, name in enumerate(classes)
    ]
    rows = _rows(class_buttons, CLASSES_PER_ROW)
    rows.append([b.button(t("changes.absent"), "abs"), b.button(t("changes.add"), "add")])
    rows.append(
        [
            b.button(t("changes.drafts", count=plan.drafts), "drf"),
            b.button(t("changes.publish", count=plan.drafts), "pub"),
        ]
    )
    rows.append([b.button(t("changes.file"), "file")])
    rows.append(
        [
            b.button(t("changes.previous_day"), "day", plan.on.toordinal() - 1),
            b.button(t("changes.today"), "day", today.toordinal()),
            b.button(t("changes.next_day"), "day", plan.on.toordinal() + 1),
        ]
    )
    rows.append(menu_row(t))
    return Screen(fit(lines, t("changes.more")), keyboard(rows))


def class_screen(plan: DayPlan, class_name: str, ref: int, t: Translator) -> Screen:
    """One class's lessons of the date: teacher, room and change; a button per lesson."""
    b = Buttons(ref)
    title = esc(class_name) or t("changes.other_groups")
    lines = [t("changes.class_title", klass=title, day=long_day(plan.on, t))]
    lessons = lessons_of_class(plan, class_name)
    if not lessons:
        lines.append(t("changes.no_lessons"))
    rows: list[list[InlineKeyboardButton]] = []
    for lesson in lessons:
        lines.append(_lesson_line(lesson, t))
        rows.append([_lesson_button(b, lesson)])
    rows.append([b.button(t("changes.to_day"), "day")])
    return Screen(fit(lines, t("changes.more")), keyboard(rows))


def _lesson_line(lesson: PlannedLesson, t: Translator) -> str:
    details = [esc(name) for name in lesson.teacher_names]
    if lesson.room:
        details.append(esc(lesson.room))
    line = _lesson_heading(lesson) + (f" — {', '.join(details)}" if details else "")
    if lesson.change is not None:
        line += f"\n    {_mark(lesson.change).strip()} {_change_text(lesson.change, t)}"
    return line


def _lesson_button(b: Buttons, lesson: PlannedLesson) -> InlineKeyboardButton:
    text = lesson_label(lesson) + _mark(lesson.change)
    if lesson.slot_id is not None:
        return b.button(text, "les", lesson.slot_id)
    change_id = lesson.change.id if lesson.change is not None else 0
    return b.button(text, "ext", change_id)


def lesson_missing(ref: int, t: Translator) -> Screen:
    """The lesson on the button is not (or no longer) on the date's plan."""
    b = Buttons(ref)
    return Screen(t("changes.lesson_missing"), keyboard([[b.button(t("changes.to_day"), "day")]]))


def lesson_screen(lesson: PlannedLesson, on: date, ref: int, t: Translator) -> Screen:
    """One lesson: who, where, its change; substitute, cancel, room, move, remove the draft."""
    b = Buttons(ref)
    lines = [
        t("changes.lesson_title", lesson=_lesson_heading(lesson), day=long_day(on, t)),
        t("changes.lesson_teachers", names=esc(", ".join(lesson.teacher_names) or "—")),
        t("changes.lesson_room", room=esc(lesson.room or "—")),
    ]
    change = lesson.change
    if change is not None:
        lines.append(t("changes.lesson_change", change=_change_text(change, t)))
    rows: list[list[InlineKeyboardButton]] = []
    if lesson.slot_id is not None:
        rows.append(
            [
                b.button(t("changes.substitute"), "subs"),
                b.button(t("changes.cancel_lesson"), "cnl"),
            ]
        )
        rows.append(
            [b.button(t("changes.change_room"), "room"), b.button(t("changes.move"), "mvd")]
        )
    if change is not None and change.status == "draft":
        rows.append([b.button(t("changes.remove_draft"), "rm", change.id)])
    rows.append([b.button(t("changes.back"), "back")])
    return Screen("\n".join(lines), keyboard(rows))


# ---------------------------------------------------------------- substitutes and teachers


def teacher_options(
    options: Sequence[TeacherOption],
    what: str,
    page: int,
    t: Translator,
    *,
    ref: int,
    added: bool = False,
) -> Screen:
    """Free teachers for a lesson (``what`` names it), subject teachers first, 10 a page.

    For a lesson being ``added`` the group's own teachers come first (``sub`` with 0): core
    leaves them out of the suggestions, which are substitutes.
    """
    b = Buttons(ref)
    pages = max(1, -(-len(options) // PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [t("changes.pick_teacher", lesson=esc(what))]
    if options:
        lines.append(t("changes.subject_marker"))
    elif not added:
        lines.append(t("changes.no_free_teacher"))
    if pages > 1:
        lines.append(t("changes.page", page=page + 1, pages=pages))
    rows = [[b.button(t("changes.own_teacher"), "sub", 0)]] if added and page == 0 else []
    rows += [
        [
            b.button(
                ("⭐ " if option.teaches_subject else "") + option.name, "sub", option.person_id
            )
        ]
        for option in options[page * PAGE : (page + 1) * PAGE]
    ]
    rows.append(_pager(b, "subs", page, pages, t))
    rows.append([b.button(t("changes.back"), "back")])
    return Screen("\n".join(lines), keyboard(rows))


def absent_picker(plan: DayPlan, page: int, ref: int, t: Translator) -> Screen:
    """Who is absent? The teachers with lessons on the date, in Latvian order, 10 a page."""
    b = Buttons(ref)
    teachers = day_teachers(plan)
    pages = max(1, -(-len(teachers) // PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [t("changes.pick_absent", day=long_day(plan.on, t))]
    if not teachers:
        lines.append(t("changes.nobody_teaches"))
    if pages > 1:
        lines.append(t("changes.page", page=page + 1, pages=pages))
    rows = [
        [b.button(name, "tch", person_id)]
        for person_id, name in teachers[page * PAGE : (page + 1) * PAGE]
    ]
    rows.append(_pager(b, "abs", page, pages, t))
    rows.append([b.button(t("changes.to_day"), "day")])
    return Screen("\n".join(lines), keyboard(rows))


def teacher_screen(
    lessons: Sequence[PlannedLesson], name: str, on: date, ref: int, t: Translator
) -> Screen:
    """An absent teacher's lessons of the date: the ones without a change first to handle."""
    b = Buttons(ref)
    lines = [t("changes.teacher_title", name=esc(name), day=long_day(on, t))]
    if not lessons:
        lines.append(t("changes.teacher_free"))
    elif all(lesson.change is not None for lesson in lessons):
        lines.append(t("changes.all_handled"))
    else:
        lines.append(t("changes.teacher_hint"))
    rows: list[list[InlineKeyboardButton]] = []
    for lesson in lessons:
        lines.append(_lesson_line(lesson, t))
        rows.append([_lesson_button(b, lesson)])
    rows.append([b.button(t("changes.to_day"), "day")])
    return Screen(fit(lines, t("changes.more")), keyboard(rows))


def _pager(
    b: Buttons, act: ChangesAction, page: int, pages: int, t: Translator
) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(b.button(t("changes.page_previous"), act, page - 1))
    if page + 1 < pages:
        row.append(b.button(t("changes.page_next"), act, page + 1))
    return row


# ---------------------------------------------------------------- room and move


def ask_room(what: str, ref: int, t: Translator) -> Screen:
    """Which room? (the answer is the next text message)."""
    b = Buttons(ref)
    return Screen(
        t("changes.ask_room", lesson=esc(what)),
        keyboard([[b.button(t("changes.cancel"), "back")]]),
    )


def move_days(what: str, on: date, days: Sequence[date], ref: int, t: Translator) -> Screen:
    """Move to which date: the same day or one of the next school days."""
    b = Buttons(ref)
    buttons = [b.button(t("changes.same_day"), "mvp", on.toordinal())]
    buttons += [
        b.button(f"{t(WEEKDAY_KEYS[d.weekday()])} {short_day(d)}", "mvp", d.toordinal())
        for d in days
        if d != on
    ]
    rows = [[button] for button in buttons]
    rows.append([b.button(t("changes.back"), "back")])
    return Screen(t("changes.pick_move_day", lesson=esc(what)), keyboard(rows))


def period_picker(
    what: str,
    on: date,
    periods: Iterable[int],
    t: Translator,
    *,
    act: ChangesAction,
    ref: int,
) -> Screen:
    """Which period (the free ones of the date): for a moved or an added lesson."""
    b = Buttons(ref)
    free = sorted(periods)
    lines = [t("changes.pick_period", lesson=esc(what), day=long_day(on, t))]
    if not free:
        lines.append(t("changes.no_free_period"))
    buttons = [b.button(t("changes.period", period=period), act, period) for period in free]
    rows = _rows(buttons, PERIODS_PER_ROW)
    rows.append([b.button(t("changes.back"), "back")])
    return Screen("\n".join(lines), keyboard(rows))


# ---------------------------------------------------------------- add a lesson


def add_classes(classes: Sequence[ClassChoice], on: date, ref: int, t: Translator) -> Screen:
    """Add a lesson: which class?"""
    b = Buttons(ref)
    lines = [t("changes.add_class", day=long_day(on, t))]
    if not classes:
        lines.append(t("changes.no_classes"))
    buttons = [b.button(klass.name, "addc", klass.class_id) for klass in classes]
    rows = _rows(buttons, CLASSES_PER_ROW)
    rows.append([b.button(t("changes.to_day"), "day")])
    return Screen("\n".join(lines), keyboard(rows))


def add_groups(klass: ClassChoice, ref: int, t: Translator) -> Screen:
    """Add a lesson: which of the class's teaching groups?"""
    b = Buttons(ref)
    lines = [t("changes.add_group", klass=esc(klass.name))]
    if not klass.groups:
        lines.append(t("changes.no_groups"))
    rows = [[b.button(group.name, "addg", group.group_id)] for group in klass.groups]
    rows.append([b.button(t("changes.back"), "add")])
    return Screen("\n".join(lines), keyboard(rows))


def not_offered(ref: int, t: Translator) -> Screen:
    """A class or group on a button that the school does not (or no longer) offer."""
    b = Buttons(ref)
    return Screen(t("changes.not_offered"), keyboard([[b.button(t("changes.to_day"), "day")]]))


# ---------------------------------------------------------------- drafts and publishing


def drafts_screen(plan: DayPlan, ref: int, t: Translator) -> Screen:
    """The date's drafts, each with a button to remove it."""
    b = Buttons(ref)
    drafts = [
        lesson.change
        for lesson in plan.lessons
        if lesson.change is not None and lesson.change.status == "draft"
    ]
    lines = [t("changes.drafts_title", day=long_day(plan.on, t))]
    if not drafts:
        lines.append(t("changes.no_drafts"))
    lines += [f"• {esc(change_line(change, t))}" for change in drafts]
    rows = [
        [b.button(t("changes.remove", change=_short(change)), "rm", change.id)]
        for change in drafts
    ]
    if drafts:
        rows.append([b.button(t("changes.publish", count=len(drafts)), "pub")])
    rows.append([b.button(t("changes.to_day"), "day")])
    return Screen(fit(lines, t("changes.more")), keyboard(rows))


def _short(change: ChangeView) -> str:
    classes = ", ".join(change.class_names)
    subject = change.subject_name or change.group_name
    return f"{KIND_MARKS.get(change.kind, '•')} {change.period}. {subject}" + (
        f" ({classes})" if classes else ""
    )


def confirm_publish(plan: DayPlan, ref: int, t: Translator) -> Screen:
    """Publish N changes for the date? (or: there is nothing to publish)."""
    b = Buttons(ref)
    if not plan.drafts:
        return Screen(
            t("timetable.change.nothing_to_publish"),
            keyboard([[b.button(t("changes.to_day"), "day")]]),
        )
    rows = [[b.button(t("changes.publish_yes"), "puby"), b.button(t("changes.cancel"), "day")]]
    return Screen(
        t("changes.confirm_publish", count=plan.drafts, day=long_day(plan.on, t)),
        keyboard(rows),
    )


def published(changes: Sequence[ChangeView], on: date, ref: int, t: Translator) -> Screen:
    """Done: how many, and where the bulletin is."""
    b = Buttons(ref)
    lines = [t("changes.published", count=len(changes), day=long_day(on, t))]
    lines += [f"• {esc(change_line(change, t))}" for change in changes]
    return Screen(
        fit(lines, t("changes.more")),
        keyboard([[b.button(t("changes.to_day"), "day")], menu_row(t)]),
    )


# ---------------------------------------------------------------- a file of changes


def ask_file(ref: int, t: Translator) -> Screen:
    """Send the file of changes (the layout in brief)."""
    b = Buttons(ref)
    return Screen(t("changes.ask_file"), keyboard([[b.button(t("changes.cancel"), "day")]]))


def file_preview(preview: ChangesPreview, ref: int, t: Translator, *, confirmable: bool) -> Screen:
    """What the file would create (or created): one line per change."""
    b = Buttons(ref)
    key = "changes.file_created" if preview.applied else "changes.file_preview"
    lines = [t(key, count=len(preview.changes))]
    lines += [
        f"• {short_day(change.on)} {esc(change_line(change, t))}" for change in preview.changes
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if confirmable and preview.changes:
        rows.append(
            [
                b.button(t("changes.file_create", count=len(preview.changes)), "fyes"),
                b.button(t("changes.cancel"), "fno"),
            ]
        )
    rows.append([b.button(t("changes.to_day"), "day")])
    return Screen(fit(lines, t("changes.more")), keyboard(rows))


def file_rejected(problems: Sequence[ImportProblem], ref: int, t: Translator) -> Screen:
    """The file cannot be used: its problems (up to a screenful); nothing changed."""
    b = Buttons(ref)
    lines = [t("changes.file_rejected", count=len(problems))]
    lines += [
        "• " + esc(format_problem(problem, t.catalogs, t.lang))
        for problem in problems[:MAX_PROBLEMS]
    ]
    if len(problems) > MAX_PROBLEMS:
        lines.append(t("changes.more_problems", count=len(problems) - MAX_PROBLEMS))
    return Screen(
        fit(lines, t("changes.more")), keyboard([[b.button(t("changes.to_day"), "day")]])
    )


def simple(key: str, ref: int, t: Translator) -> Screen:
    """A one-line answer with the way back to the day (file too big, expired, cancelled)."""
    b = Buttons(ref)
    return Screen(t(key), keyboard([[b.button(t("changes.to_day"), "day")]]))
