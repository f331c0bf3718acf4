"""Owns the teacher's grades screens: groups, assessments, entry, the value keyboard, summaries.

Pure renderers: service results in, ``Screen`` out. Values show as teachers type them (``8``,
``A``, ``i``/``ni``, ``85%``, ``nv``). Every name, title and typed text is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from aiogram.types import InlineKeyboardButton

from bot.callbacks import (
    AssessmentCb,
    GradeKindCb,
    GradesCb,
    MarkKey,
    MarkKeyCb,
    MarkKindName,
    PeriodMarksCb,
)
from bot.i18n import Translator
from bot.views.common import Screen, day, decimal, esc, fit, keyboard, menu_row, short_day
from core.domain.mark_entry import LineError
from core.domain.marks import MarkKind, MarkScale, MarkValue, valid_options
from core.services.marks import (
    AssessmentSheet,
    GroupAssessments,
    MarkLinesInvalid,
    TaughtGroup,
)

MAX_BUTTON_TITLE = 32
KEYS_PER_ROW = 5
PERCENT_KEYS: tuple[MarkKey, ...] = (
    "0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100", "nv",
)  # fmt: skip
_TOKENS = {"pass": "i", "fail": "ni"}


def token(scale: MarkScale, value: MarkValue) -> str:
    """A stored value as a teacher types it: ``8``, ``A``, ``i``/``ni``, ``85%`` or ``nv``."""
    if value.value is None:
        return "nv"
    if scale is MarkScale.PERCENT:
        return f"{value.value}%"
    return _TOKENS.get(value.value, value.value)


def keyboard_keys(scale: MarkScale) -> tuple[MarkKey, ...]:
    """The value keyboard of a scale: its options (percent in tens), "nv" last."""
    if scale is MarkScale.PERCENT:
        return PERCENT_KEYS
    return tuple(_VALUE_KEYS[option] for option in valid_options(scale))


_VALUE_OPTIONS: tuple[MarkKey, ...] = (
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "S", "T", "A", "P", "i", "ni", "nv",
)  # fmt: skip
_VALUE_KEYS: dict[str, MarkKey] = {str(key): key for key in _VALUE_OPTIONS}
_KINDS: dict[MarkKind, MarkKindName] = {
    MarkKind.SUMMATIVE: "summative",
    MarkKind.FORMATIVE: "formative",
    MarkKind.DIAGNOSTIC: "diagnostic",
}


# ---------------------------------------------------------------- groups and assessments


def no_groups(t: Translator) -> Screen:
    """The person teaches no group this school year."""
    return Screen(t("grades.no_groups"))


def groups_screen(groups: Sequence[TaughtGroup], t: Translator) -> Screen:
    """Which group? One button per group the teacher teaches."""
    rows = [
        [
            InlineKeyboardButton(
                text=group.name,
                callback_data=GradesCb(action="group", group_id=group.group_id, day=0).pack(),
            )
        ]
        for group in groups
    ]
    return Screen(t("grades.pick_group"), keyboard([*rows, menu_row(t)]))


def group_screen(listing: GroupAssessments, t: Translator, *, period: int | None = None) -> Screen:
    """A group's assessments (of a day, or the latest), each a button, and "New assessment"."""
    lines = [t("grades.group.title", group=esc(listing.group.name))]
    if listing.on is not None:
        when = day(listing.on)
        lines.append(when if period is None else t("grades.group.lesson", day=when, period=period))
    lines.append(scale_line(listing.scale, t))
    if listing.assessments:
        lines.append(t("grades.group.of_day" if listing.on else "grades.group.recent"))
    else:
        lines.append(t("grades.group.none_of_day" if listing.on else "grades.group.none"))
    rows = [
        [
            InlineKeyboardButton(
                text=t(
                    "grades.group.item",
                    day=short_day(item.assessment.on_date),
                    title=_short(item.assessment.title),
                    marked=item.marked,
                    pupils=listing.pupils,
                ),
                callback_data=AssessmentCb(assessment_id=item.assessment.id, view="entry").pack(),
            )
        ]
        for item in listing.assessments
    ]
    new_day = listing.on or listing.today
    rows.append(
        [
            InlineKeyboardButton(
                text=t("grades.new.button"),
                callback_data=GradesCb(
                    action="new", group_id=listing.group.id, day=new_day.toordinal()
                ).pack(),
            )
        ]
    )
    marks_of_period = PeriodMarksCb(action="pick", group_id=listing.group.id, term=0)
    rows.append(  # semester and year marks (bot/routers/period_marks.py)
        [InlineKeyboardButton(text=t("period_marks.button"), callback_data=marks_of_period.pack())]
    )
    return Screen("\n".join(lines), keyboard([*rows, menu_row(t)]))


def ask_title(listing: GroupAssessments, on: date, t: Translator) -> Screen:
    """New assessment: the group, the day and the scale by the school's rules; send the title."""
    text = "\n".join(
        (
            t("grades.new.title", group=esc(listing.group.name), day=day(on)),
            scale_line(listing.scale, t),
            t("grades.new.ask_title"),
        )
    )
    return Screen(text, keyboard([_back_to_group(listing.group.id, on, t)]))


def ask_kind(title: str, group_id: int, on: date, t: Translator) -> Screen:
    """The title arrived: which kind of assessment is it?"""
    rows = [
        [
            InlineKeyboardButton(text=t(f"grades.kind.{kind.value}"), callback_data=_kind(kind))
            for kind in MarkKind
        ],
        _back_to_group(group_id, on, t),
    ]
    return Screen(t("grades.new.ask_kind", title=esc(title)), keyboard(rows))


def _kind(kind: MarkKind) -> str:
    return GradeKindCb(kind=_KINDS[kind]).pack()


def step_expired(t: Translator) -> Screen:
    """A button or an answer of a question that is no longer open."""
    return Screen(t("grades.expired"))


def entry_closed(title: str, t: Translator) -> Screen:
    """Text came long after the entry was opened: nothing is saved; open it again."""
    return Screen(t("grades.entry.closed", title=esc(title)))


# ---------------------------------------------------------------- entering marks


def entry_screen(sheet: AssessmentSheet, t: Translator) -> Screen:
    """The roster with the current marks and how to send marks in one message."""
    lines = [_heading(sheet, t), scale_line(sheet.scale, t), ""]
    for row in sheet.rows:
        value = row.value
        mark = token(sheet.scale, value) if value is not None else "—"
        lines.append(f"{row.pupil.number}. {esc(row.pupil.label)} — {mark}")
    if not sheet.rows:
        lines.append(t("grades.entry.no_pupils"))
    lines += ["", t("grades.entry.how")]
    return Screen(fit(lines, t("grades.more")), keyboard(_sheet_buttons(sheet, t)))


def key_screen(sheet: AssessmentSheet, index: int, t: Translator) -> Screen:
    """Pupil ``index`` of the roster with the value keyboard (the current value is marked)."""
    row = sheet.rows[index]
    current = row.value
    now = token(sheet.scale, current) if current is not None else t("grades.keys.nothing_yet")
    text = "\n".join(
        (
            _heading(sheet, t),
            t(
                "grades.keys.pupil",
                number=row.pupil.number,
                size=len(sheet.rows),
                name=esc(row.pupil.label),
            ),
            t("grades.keys.current", value=now),
        )
    )
    shown = token(sheet.scale, current) if current is not None else None
    pupil_id = row.pupil.pupil_id
    assessment_id = sheet.assessment.id
    buttons = [
        InlineKeyboardButton(
            text=f"• {key}" if shown == _shown_key(sheet.scale, key) else key,
            callback_data=MarkKeyCb(
                assessment_id=assessment_id, pupil_id=pupil_id, key=key
            ).pack(),
        )
        for key in keyboard_keys(sheet.scale)
    ]
    rows = [buttons[i : i + KEYS_PER_ROW] for i in range(0, len(buttons), KEYS_PER_ROW)]
    rows.append(
        [
            InlineKeyboardButton(
                text=t("grades.keys.back"),
                callback_data=MarkKeyCb(
                    assessment_id=assessment_id, pupil_id=pupil_id, key="back"
                ).pack(),
            ),
            InlineKeyboardButton(
                text=t("grades.keys.skip"),
                callback_data=MarkKeyCb(
                    assessment_id=assessment_id, pupil_id=pupil_id, key="skip"
                ).pack(),
            ),
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=t("grades.keys.done"),
                callback_data=MarkKeyCb(
                    assessment_id=assessment_id, pupil_id=pupil_id, key="done"
                ).pack(),
            )
        ]
    )
    return Screen(text, keyboard(rows))


def _shown_key(scale: MarkScale, key: str) -> str:
    """A key as ``token`` would show its value (percent keys carry no "%")."""
    if scale is MarkScale.PERCENT and key != "nv":
        return f"{key}%"
    return key


def summary_screen(
    sheet: AssessmentSheet,
    t: Translator,
    *,
    changed: int | None = None,
    grace_minutes: float | None = None,
) -> Screen:
    """Count, distribution, average, "nv", who has no mark; after saving, when parents hear.

    ``changed`` is how many marks the last save wrote (None: just looking).
    """
    tally = sheet.tally
    lines = [_heading(sheet, t)]
    if changed is not None:
        lines.append(t("grades.summary.saved", count=changed))
    lines.append(t("grades.summary.entered", entered=tally.entered, size=len(sheet.rows)))
    if tally.nv:
        lines.append(t("grades.summary.nv", count=tally.nv))
    if tally.distribution and sheet.scale is not MarkScale.PERCENT:
        parts = [
            f"{token(sheet.scale, MarkValue.mark(value))} — {count}"
            for value, count in tally.distribution
        ]
        lines.append(t("grades.summary.distribution", values=" · ".join(parts)))
    if tally.average is not None:
        average = decimal(tally.average, t.lang)
        if sheet.scale is MarkScale.PERCENT:
            average += "%"
        lines.append(t("grades.summary.average", average=average))
    missing = sheet.missing
    if missing:
        names = ", ".join(f"{p.number}. {esc(p.label)}" for p in missing)
        lines.append(t("grades.summary.missing", count=len(missing), names=names))
    elif sheet.rows:
        lines.append(t("grades.summary.complete"))
    if changed:
        lines.append(_notify_line(grace_minutes, t))
    lines.append(t("grades.summary.correct"))
    return Screen(fit(lines, t("grades.more")), keyboard(_sheet_buttons(sheet, t)))


def _notify_line(grace_minutes: float | None, t: Translator) -> str:
    if grace_minutes is None:
        return t("grades.summary.notify_soon")
    if grace_minutes <= 0:
        return t("grades.summary.notify_now")
    whole = grace_minutes == int(grace_minutes)
    minutes = str(int(grace_minutes)) if whole else decimal(Decimal(str(grace_minutes)), t.lang)
    return t("grades.summary.notify_in", minutes=minutes)


def lines_refused(error: MarkLinesInvalid, t: Translator) -> Screen:
    """Nothing was saved: every bad line with what is wrong (and the valid options)."""
    lines = ["❌ " + t(error.key, **error.params)]
    lines += [_error_line(problem, t) for problem in error.errors]
    lines.append(t("grades.entry.resend"))
    return Screen(fit(lines, t("grades.more")))


def _error_line(problem: LineError, t: Translator) -> str:
    params = {key: esc(value) for key, value in problem.params.items()}
    return t(
        "grades.entry.error_line",
        line=problem.line,
        entry=esc(problem.entry),
        problem=t(problem.key, **params),
    )


# ---------------------------------------------------------------- pieces


def scale_line(scale: MarkScale, t: Translator) -> str:
    """The scale by the school's rules, e.g. "Skala: 10 ballu (pēc skolas noteikumiem)"."""
    return t("grades.scale.line", scale=t(f"grades.scale.{scale.value}"))


def _heading(sheet: AssessmentSheet, t: Translator) -> str:
    return t(
        "grades.sheet.title",
        title=esc(sheet.assessment.title),
        group=esc(sheet.group.name),
        day=day(sheet.assessment.on_date),
        kind=t(f"grades.kind.{sheet.kind.value}"),
    )


def _sheet_buttons(sheet: AssessmentSheet, t: Translator) -> list[list[InlineKeyboardButton]]:
    assessment_id = sheet.assessment.id
    rows = []
    if sheet.rows:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("grades.keys.button"),
                    callback_data=AssessmentCb(assessment_id=assessment_id, view="keys").pack(),
                ),
                InlineKeyboardButton(
                    text=t("grades.summary.button"),
                    callback_data=AssessmentCb(assessment_id=assessment_id, view="summary").pack(),
                ),
            ]
        )
    rows.append(_back_to_group(sheet.group.id, sheet.assessment.on_date, t))
    rows.append(menu_row(t))
    return rows


def _back_to_group(group_id: int, on: date, t: Translator) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=t("grades.back_to_group"),
            callback_data=GradesCb(action="group", group_id=group_id, day=on.toordinal()).pack(),
        )
    ]


def _short(title: str) -> str:
    if len(title) <= MAX_BUTTON_TITLE:
        return title
    return title[: MAX_BUTTON_TITLE - 1].rstrip() + "…"
