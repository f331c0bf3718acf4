"""Owns the marks screens: the child picker and a pupil's marks this semester by subject.

Learning levels and pass/fail show as words (``mark_label``); averages follow the school rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram.types import InlineKeyboardButton

from bot.callbacks import AbsencesCb, MarksCb, MarksSubjectCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, day, decimal, esc, fit, keyboard, menu_row, short_day
from core.domain.marks import MarkKind, MarkScale, MarkValue, mark_label
from core.domain.records import MarkRow, PupilSummary
from core.errors import InvalidMark
from core.services.marks import PupilMarks, SubjectMarks

MAX_MARKS_PER_SUBJECT = 30
MARK_KINDS = frozenset(kind.value for kind in MarkKind)


def child_picker(family: Sequence[Child], t: Translator, *, absences: bool = False) -> Screen:
    """Which child? One button per child."""
    rows = [
        [
            InlineKeyboardButton(
                text=child.label,
                callback_data=(
                    AbsencesCb(pupil_id=child.pupil_id)
                    if absences
                    else MarksCb(pupil_id=child.pupil_id)
                ).pack(),
            )
        ]
        for child in family
    ]
    return Screen(t("absences.pick_child" if absences else "marks.pick_child"), keyboard(rows))


def nothing_to_show(t: Translator) -> Screen:
    """A person without own marks or children (staff): nothing to pick."""
    return Screen(t("marks.no_pupils"))


def period_line(term: int | None, start: date, end: date, t: Translator) -> str:
    """The period line, e.g. "1. semestris: 01.09.2026–27.11.2026"."""
    if term is None:
        return t("period.range", start=day(start), end=day(end))
    return t("semester.range", number=term, start=day(start), end=day(end))


def pupil_heading(pupil: PupilSummary) -> str:
    """The escaped name of the pupil a screen is about, with the class."""
    name = esc(pupil.full_name)
    return f"{name} ({esc(pupil.class_name)})" if pupil.class_name else name


def marks_screen(result: PupilMarks, t: Translator) -> Screen:
    """The pupil's marks per subject with averages."""
    lines = [
        t("marks.title", name=pupil_heading(result.pupil)),
        period_line(result.term, result.start, result.end, t),
        "",
    ]
    if not result.subjects:
        lines.append(t("marks.none"))
    lines += [_subject_line(subject, t) for subject in result.subjects]
    rows = [
        [
            InlineKeyboardButton(
                text=subject.subject_name,
                callback_data=MarksSubjectCb(
                    pupil_id=result.pupil_id, group_id=subject.group_id
                ).pack(),
            )
            for subject in pair
        ]
        for pair in _pairs(result.subjects)
    ]
    rows += [
        [
            InlineKeyboardButton(
                text=t("menu.absences"), callback_data=AbsencesCb(pupil_id=result.pupil_id).pack()
            )
        ],
        menu_row(t),
    ]
    return Screen(fit(lines, t("marks.more")), keyboard(rows))


def subject_screen(result: PupilMarks, group_id: int, t: Translator) -> Screen:
    """Every mark of one subject this semester: date, assessment, kind, value and comment."""
    back = [
        InlineKeyboardButton(
            text=t("marks.back_to_subjects"),
            callback_data=MarksCb(pupil_id=result.pupil_id).pack(),
        )
    ]
    subject = next((s for s in result.subjects if s.group_id == group_id), None)
    if subject is None:  # no marks in that group this semester (or not the pupil's group)
        return Screen(t("marks.subject_none"), keyboard([back, menu_row(t)]))
    lines = [
        t(
            "marks.subject_title",
            name=pupil_heading(result.pupil),
            subject=esc(subject.subject_name),
        ),
        period_line(result.term, result.start, result.end, t),
        "",
    ]
    for row in subject.marks:
        kind = t(f"grades.kind.{row.kind}") if row.kind in MARK_KINDS else esc(row.kind)
        line = t(
            "marks.subject_row",
            day=short_day(row.on_date),
            value=_label(row, t.lang),
            title=esc(row.assessment_title),
            kind=kind,
        )
        if row.comment:
            line += f"\n    <i>{esc(row.comment)}</i>"
        lines.append(line)
    if subject.average is not None:
        lines += ["", t("marks.subject_average", average=decimal(subject.average, t.lang))]
    return Screen(fit(lines, t("marks.more")), keyboard([back, menu_row(t)]))


def _pairs(subjects: Sequence[SubjectMarks]) -> list[Sequence[SubjectMarks]]:
    return [subjects[i : i + 2] for i in range(0, len(subjects), 2)]


def _subject_line(subject: SubjectMarks, t: Translator) -> str:
    marks = [_label(row, t.lang) for row in subject.marks[-MAX_MARKS_PER_SUBJECT:]]
    if len(subject.marks) > MAX_MARKS_PER_SUBJECT:
        marks.insert(0, "…")
    line = t("marks.subject", subject=esc(subject.subject_name), marks=", ".join(marks))
    if subject.average is not None:
        line += t("marks.average", average=decimal(subject.average, t.lang))
    return line


def _label(row: MarkRow, lang: str) -> str:
    value = MarkValue.nv() if row.status == "nv" else MarkValue.mark(row.value or "?")
    try:
        return esc(mark_label(MarkScale(row.scale), value, lang))
    except (InvalidMark, ValueError):  # a stored value outside its scale: show it as it is
        return esc(row.value or row.status)
