"""Owns the absence-note screens: a parent's report and notes; the class teacher's side.

A parent's report goes step by step (days, reason, attachment, summary); the class teacher sees
the queue, one note or day to decide, and the class attendance summary. Pure functions over
core's results and the draft the router keeps; all escaping happens here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AbsenceDayCb, MenuCb, NoteCb, NoteFormCb, NotesQueueCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, esc, fit, keyboard, menu_row, short_day
from bot.views.marks import period_line, pupil_heading
from core.domain.attendance import AbsenceCode, NoteReason
from core.ports import AbsenceEntry, AbsenceNoteRecord
from core.services.absence_notes import (
    ClassAttendanceSummary,
    ClassQueue,
    DecidedNote,
    JustifiedAbsences,
    NoteDetail,
    NoteForm,
    PupilNotes,
    QueueCount,
    QueueDay,
    SubmittedNote,
)

REASONS: tuple[NoteReason, ...] = (NoteReason.ILLNESS, NoteReason.FAMILY, NoteReason.OTHER)
REASON_KEYS: dict[str, str] = {
    NoteReason.ILLNESS: "notes.reason.illness",
    NoteReason.FAMILY: "notes.reason.family",
    NoteReason.OTHER: "notes.reason.other",
}
STATUS_KEYS: dict[str, str] = {
    "submitted": "notes.status.submitted",
    "accepted": "notes.status.accepted",
    "rejected": "notes.status.rejected",
}
WEEKDAY_KEYS = (
    "notes.wd.mon",
    "notes.wd.tue",
    "notes.wd.wed",
    "notes.wd.thu",
    "notes.wd.fri",
    "notes.wd.sat",
    "notes.wd.sun",
)
PICK_SPAN = 14  # the day buttons reach two weeks back and ahead
DAYS_PER_ROW = 4
QUEUE_BUTTONS = 12  # of each kind; the rest waits for the next screen
LISTED_ABSENCES = 10
TODAY, TOMORROW, BOTH = 0, 1, 2  # ``NoteFormCb(step="when")`` values


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """What a parent has chosen so far (the router keeps it in the FSM data)."""

    pupil_id: int
    name: str
    starts_on: date
    ends_on: date
    reason: str
    reason_text: str | None
    attachment: str | None  # "photo", "document" or None


def day_label(day: date, t: Translator) -> str:
    """A day for a button or a line: "Pk 27.11."."""
    return f"{t(WEEKDAY_KEYS[day.weekday()])} {short_day(day)}"


def days_text(starts_on: date, ends_on: date) -> str:
    """The days of a note: 30.11. or 30.11.–01.12."""
    if starts_on == ends_on:
        return short_day(starts_on)
    return f"{short_day(starts_on)}–{short_day(ends_on)}"


def reason_text(reason: str, t: Translator) -> str:
    """The reason as a word."""
    key = REASON_KEYS.get(reason)
    return t(key) if key else esc(reason)


# ------------------------------------------------------------------ the parent's report


def pick_child(children: Sequence[Child], t: Translator) -> Screen:
    """Whose absence? One button per child."""
    rows = [
        [_button(child.label, NoteFormCb(step="child", value=child.pupil_id))]
        for child in children
    ]
    rows.append(menu_row(t))
    return Screen(t("notes.pick_child"), keyboard(rows))


def no_children(t: Translator) -> Screen:
    """Nobody whose absence this person could report."""
    return Screen(t("notes.no_children"))


def dates_screen(form: NoteForm, t: Translator) -> Screen:
    """Which days: today, tomorrow, both, or pick them; the parent's notes; cancel."""
    today, tomorrow = form.today, form.today + timedelta(days=1)
    rows = [
        [
            _button(t("notes.today", day=day_label(today, t)), _when(TODAY)),
            _button(t("notes.tomorrow", day=day_label(tomorrow, t)), _when(TOMORROW)),
        ],
        [_button(t("notes.today_and_tomorrow"), _when(BOTH))],
        [_button(t("notes.pick_days"), NoteFormCb(step="pick", value=0))],
        [_button(t("notes.my_notes"), NoteFormCb(step="list", value=form.pupil.pupil_id))],
        _cancel_row(t),
    ]
    lines = [t("notes.form.title", name=pupil_heading(form.pupil)), t("notes.form.when")]
    return Screen("\n\n".join(lines), keyboard(rows))


def start_picker(form: NoteForm, t: Translator) -> Screen:
    """The first day: two weeks back to two weeks ahead, within the school's limits."""
    first = max(form.today - timedelta(days=PICK_SPAN), form.earliest)
    last = min(form.today + timedelta(days=PICK_SPAN), form.latest)
    rows = _day_rows(first, last, "from", t)
    rows.append(_cancel_row(t))
    lines = [t("notes.form.title", name=pupil_heading(form.pupil)), t("notes.form.first_day")]
    return Screen("\n\n".join(lines), keyboard(rows))


def end_picker(form: NoteForm, starts_on: date, t: Translator) -> Screen:
    """The last day: from the first day to the longest note the school allows."""
    rows = _day_rows(starts_on, starts_on + timedelta(days=form.max_days - 1), "to", t)
    rows.append(_cancel_row(t))
    lines = [
        t("notes.form.title", name=pupil_heading(form.pupil)),
        t("notes.form.last_day", day=day_label(starts_on, t), max_days=form.max_days),
    ]
    return Screen("\n\n".join(lines), keyboard(rows))


def reason_screen(name: str, starts_on: date, ends_on: date, t: Translator) -> Screen:
    """Why: illness, family reasons, other."""
    rows = [
        [_button(t(REASON_KEYS[reason]), NoteFormCb(step="reason", value=index))]
        for index, reason in enumerate(REASONS)
    ]
    rows.append(_cancel_row(t))
    lines = [
        t("notes.form.title", name=esc(name)),
        t("notes.form.days", days=days_text(starts_on, ends_on)),
        t("notes.form.why"),
    ]
    return Screen("\n\n".join(lines), keyboard(rows))


def ask_reason_text(t: Translator) -> Screen:
    """For the reason "other": describe it."""
    return Screen(t("notes.form.ask_text"), keyboard([_cancel_row(t)]))


def ask_attachment(t: Translator, refusal: str | None = None) -> Screen:
    """A photo of a doctor's note or a PDF, or skip; after ``refusal`` when a file was refused."""
    rows = [[_button(t("notes.form.skip"), NoteFormCb(step="skip", value=0))], _cancel_row(t)]
    text = t("notes.form.ask_photo")
    return Screen(f"{refusal}\n\n{text}" if refusal else text, keyboard(rows))


def summary_screen(draft: NoteDraft, t: Translator) -> Screen:
    """Everything the parent chose, with Submit and Cancel."""
    reason = reason_text(draft.reason, t)
    if draft.reason_text:
        reason = f"{reason} — {esc(draft.reason_text)}"
    attachment = {
        "photo": "notes.form.photo_attached",
        "document": "notes.form.file_attached",
    }.get(draft.attachment or "", "notes.form.no_attachment")
    lines = [
        t("notes.form.check"),
        t("notes.form.pupil", name=esc(draft.name)),
        t("notes.form.days", days=days_text(draft.starts_on, draft.ends_on)),
        t("notes.form.reason", reason=reason),
        t(attachment),
    ]
    rows = [[_button(t("notes.form.submit"), NoteFormCb(step="submit", value=0))], _cancel_row(t)]
    return Screen("\n".join(lines), keyboard(rows))


def submitted_screen(result: SubmittedNote, t: Translator) -> Screen:
    """Sent: the class teacher decides; the parent's notes are one tap away."""
    note = result.note
    lines = [
        t(
            "notes.submitted",
            name=pupil_heading(result.pupil),
            days=days_text(note.starts_on, note.ends_on),
        )
    ]
    if result.linked:
        lines.append(t("notes.submitted_linked", count=result.linked))
    rows = [
        [_button(t("notes.my_notes"), NoteFormCb(step="list", value=result.pupil.pupil_id))],
        menu_row(t),
    ]
    return Screen("\n".join(lines), keyboard(rows))


def form_expired(t: Translator) -> Screen:
    """A button of a report that is no longer being filled in."""
    return Screen(t("notes.form.expired"))


def pupil_notes_screen(result: PupilNotes, t: Translator) -> Screen:
    """A pupil's notes with statuses; the ones the viewer may still withdraw get a button."""
    lines = [t("notes.list.title", name=pupil_heading(result.pupil)), ""]
    if not result.notes:
        lines.append(t("notes.list.none"))
    rows: list[list[InlineKeyboardButton]] = []
    for view in result.notes:
        note = view.note
        lines.append(_note_line(note, t))
        if view.may_withdraw:
            label = t("notes.withdraw", days=days_text(note.starts_on, note.ends_on))
            rows.append([_button(label, NoteCb(action="ask_withdraw", note_id=note.id))])
    rows.append(
        [_button(t("notes.report"), NoteFormCb(step="child", value=result.pupil.pupil_id))]
    )
    rows.append(menu_row(t))
    return Screen(fit(lines, t("marks.more")), keyboard(rows))


def confirm_withdraw(note_id: int, t: Translator) -> Screen:
    """Ask before withdrawing."""
    rows = [
        [
            _button(t("notes.withdraw_yes"), NoteCb(action="withdraw", note_id=note_id)),
            InlineKeyboardButton(text=t("notes.cancel"), callback_data=_menu()),
        ]
    ]
    return Screen(t("notes.withdraw_question"), keyboard(rows))


def withdrawn(note: AbsenceNoteRecord, t: Translator) -> Screen:
    """Done."""
    rows = [[_button(t("notes.my_notes"), NoteFormCb(step="list", value=note.pupil_id))]]
    rows.append(menu_row(t))
    return Screen(
        t("notes.withdrawn", days=days_text(note.starts_on, note.ends_on)), keyboard(rows)
    )


# ------------------------------------------------------------------ the class teacher


def overview_screen(counts: Sequence[QueueCount], t: Translator) -> Screen:
    """Each class with what waits in it."""
    rows = [
        [
            _button(
                t("notes.overview.class", class_name=c.class_name, notes=c.notes, days=c.days),
                NotesQueueCb(view="queue", class_id=c.class_id, day=0),
            )
        ]
        for c in counts
    ]
    rows.append(menu_row(t))
    waiting = sum(c.notes + c.days for c in counts)
    lines = [t("notes.overview.title"), t("notes.overview.waiting", count=waiting)]
    return Screen("\n".join(lines), keyboard(rows))


def queue_screen(queue: ClassQueue, t: Translator, *, several: bool) -> Screen:
    """A class's notes and days without a note, oldest first, each a button."""
    klass = queue.klass
    lines = [t("notes.queue.title", class_name=esc(klass.name))]
    if not queue.notes and not queue.days:
        lines.append(t("notes.queue.empty"))
    else:
        lines.append(t("notes.queue.counts", notes=len(queue.notes), days=len(queue.days)))
    rows: list[list[InlineKeyboardButton]] = []
    for item in queue.notes[:QUEUE_BUTTONS]:
        note = item.note
        label = t(
            "notes.queue.note",
            name=item.pupil.full_name,
            days=days_text(note.starts_on, note.ends_on),
            reason=t(REASON_KEYS[note.reason]) if note.reason in REASON_KEYS else note.reason,
        )
        rows.append([_button(label, NoteCb(action="open", note_id=note.id))])
    for day in queue.days[:QUEUE_BUTTONS]:
        label = t(
            "notes.queue.day",
            name=day.pupil.full_name,
            day=day_label(day.on, t),
            count=len(day.absences),
        )
        rows.append([_button(label, _day_cb("open", day.pupil.pupil_id, day.on))])
    hidden = max(0, len(queue.notes) - QUEUE_BUTTONS) + max(0, len(queue.days) - QUEUE_BUTTONS)
    if hidden:
        lines.append(t("notes.queue.more", count=hidden))
    rows.append(
        [
            _button(
                t("notes.summary.button"), NotesQueueCb(view="summary", class_id=klass.id, day=0)
            )
        ]
    )
    if several:
        rows.append(
            [_button(t("notes.overview.back"), NotesQueueCb(view="queue", class_id=0, day=0))]
        )
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def note_screen(detail: NoteDetail, t: Translator) -> Screen:
    """One note: days, reason, who sent it, status, the absences it covers; what may be done."""
    note = detail.note
    reason = reason_text(note.reason, t)
    if note.reason_text:
        reason = f"{reason} — {esc(note.reason_text)}"
    lines = [
        t("notes.note.title", name=pupil_heading(detail.pupil)),
        t("notes.form.days", days=days_text(note.starts_on, note.ends_on)),
        t("notes.form.reason", reason=reason),
    ]
    if detail.submitter:
        lines.append(t("notes.note.submitted_by", name=esc(detail.submitter)))
    lines.append(t("notes.note.status", status=_status(note, t)))
    if note.file_id is not None:
        lines.append(t("notes.note.has_file"))
    lines.append(t("notes.note.absences", count=len(detail.absences)))
    labels = {code.code: code for code in detail.codes}
    lines += [_absence_line(row, labels, t) for row in detail.absences[:LISTED_ABSENCES]]
    if len(detail.absences) > LISTED_ABSENCES:
        lines.append("…")
    rows: list[list[InlineKeyboardButton]] = []
    if detail.may_decide:
        rows.append(
            [
                _button(t("notes.approve"), NoteCb(action="approve", note_id=note.id)),
                _button(t("notes.reject"), NoteCb(action="reject", note_id=note.id)),
            ]
        )
    if note.file_id is not None:
        rows.append([_button(t("notes.show_file"), NoteCb(action="file", note_id=note.id))])
    if detail.may_withdraw:
        rows.append(
            [_button(t("notes.withdraw_button"), NoteCb(action="ask_withdraw", note_id=note.id))]
        )
    if detail.may_decide and detail.class_id is not None:
        rows.append([_queue_button(detail.class_id, t)])
    rows.append(menu_row(t))
    return Screen(fit(lines, t("marks.more")), keyboard(rows))


def ask_rejection_reason(t: Translator) -> Screen:
    """Why is the note rejected? The parent will see it."""
    return Screen(t("notes.ask_reject_reason"), keyboard([_cancel_row(t)]))


def decided_screen(result: DecidedNote, t: Translator) -> Screen:
    """The decision, and the way back to the queue."""
    note = result.note
    days = days_text(note.starts_on, note.ends_on)
    name = pupil_heading(result.pupil)
    if note.status == "accepted":
        text = t("notes.approved", name=name, days=days, count=result.absences)
    else:
        text = t("notes.rejected", name=name, days=days)
    return Screen(text, _back_to_queue(result.class_id, t))


def day_screen(day: QueueDay, t: Translator) -> Screen:
    """A pupil's day of absences without a note: Justify (asks why) or keep unjustified."""
    labels = {code.code: code for code in day.codes}
    lines = [
        t("notes.day.title", name=pupil_heading(day.pupil), day=day_label(day.on, t)),
        t("notes.day.explain"),
    ]
    if not day.absences:
        lines.append(t("notes.day.none"))
    lines += [_absence_line(row, labels, t) for row in day.absences]
    rows: list[list[InlineKeyboardButton]] = []
    if day.absences:
        rows.append(
            [
                _button(t("notes.justify"), _day_cb("justify", day.pupil.pupil_id, day.on)),
                _button(t("notes.keep"), _day_cb("keep", day.pupil.pupil_id, day.on)),
            ]
        )
    if day.class_id is not None:
        rows.append([_queue_button(day.class_id, t)])
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def ask_justify_reason(t: Translator) -> Screen:
    """Why is the absence justified?"""
    return Screen(t("notes.ask_justify_reason"), keyboard([_cancel_row(t)]))


def justified_screen(result: JustifiedAbsences, t: Translator) -> Screen:
    """Done: how many lessons, justified or not."""
    key = "notes.justified" if result.justified else "notes.kept"
    text = t(key, name=pupil_heading(result.pupil), count=len(result.absences))
    return Screen(text, _back_to_queue(result.class_id, t))


def class_summary_screen(summary: ClassAttendanceSummary, t: Translator) -> Screen:
    """Per pupil: justified, unexcused and late lessons; ⚠️ over the semester's threshold."""
    lines = [
        t("notes.summary.title", class_name=esc(summary.klass.name)),
        period_line(
            summary.term if summary.start == summary.semester_start else None,
            summary.start,
            summary.end,
            t,
        ),
        t("notes.summary.legend"),
        "",
    ]
    if not summary.pupils:
        lines.append(t("notes.summary.no_pupils"))
    for line in summary.pupils:
        counts = line.period
        text = t(
            "notes.summary.line",
            name=esc(line.pupil.full_name),
            justified=counts.justified,
            unexcused=counts.unexcused,
            late=counts.late,
        )
        if counts.pending:
            text += t("notes.summary.pending", count=counts.pending)
        if line.over_threshold:
            text += t("notes.summary.flag", count=line.semester.unexcused)
        lines.append(text)
    lines.append("")
    flagged = summary.flagged
    if flagged:
        lines.append(t("notes.summary.flagged", count=len(flagged), threshold=summary.threshold))
    else:
        lines.append(t("notes.summary.none_flagged", threshold=summary.threshold))
    today = summary.today
    monday = today - timedelta(days=today.weekday())
    klass = summary.klass.id

    def span(key: str, first: date | None) -> InlineKeyboardButton:
        day = first.toordinal() if first else 0
        return _button(t(key), NotesQueueCb(view="summary", class_id=klass, day=day))

    rows = [
        [
            span("notes.summary.week", monday),
            span("notes.summary.month", today.replace(day=1)),
            span("notes.summary.semester", None),
        ],
        [_queue_button(klass, t)],
        menu_row(t),
    ]
    return Screen(fit(lines, t("marks.more")), keyboard(rows))


# ------------------------------------------------------------------ pieces


def _note_line(note: AbsenceNoteRecord, t: Translator) -> str:
    return t(
        "notes.list.line",
        days=days_text(note.starts_on, note.ends_on),
        reason=reason_text(note.reason, t),
        status=_status(note, t),
    )


def _status(note: AbsenceNoteRecord, t: Translator) -> str:
    key = STATUS_KEYS.get(note.status)
    status = t(key) if key else esc(note.status)
    if note.status == "rejected" and note.decision_reason:
        status = t("notes.status.rejected_because", reason=esc(note.decision_reason))
    return status


def _absence_line(row: AbsenceEntry, labels: Mapping[str, AbsenceCode], t: Translator) -> str:
    code = labels.get(row.code)
    return t(
        "notes.absence",
        day=day_label(row.on_date, t),
        period=row.period,
        subject=esc(row.subject_name),
        code=esc(code.label(t.lang) if code else row.code),
    )


def _day_rows(
    first: date, last: date, step: Literal["from", "to"], t: Translator
) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    day = first
    while day <= last:
        button = _button(day_label(day, t), NoteFormCb(step=step, value=day.toordinal()))
        if not rows or len(rows[-1]) == DAYS_PER_ROW:
            rows.append([])
        rows[-1].append(button)
        day += timedelta(days=1)
    return rows


def _back_to_queue(class_id: int | None, t: Translator) -> InlineKeyboardMarkup | None:
    rows = [[_queue_button(class_id, t)]] if class_id is not None else []
    rows.append(menu_row(t))
    return keyboard(rows)


def _queue_button(class_id: int, t: Translator) -> InlineKeyboardButton:
    return _button(t("notes.queue.back"), NotesQueueCb(view="queue", class_id=class_id, day=0))


def _cancel_row(t: Translator) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=t("notes.cancel"), callback_data=_menu())]


def _menu() -> str:
    return MenuCb().pack()


def _when(choice: int) -> NoteFormCb:
    return NoteFormCb(step="when", value=choice)


def _day_cb(action: Literal["open", "justify", "keep"], pupil_id: int, day: date) -> AbsenceDayCb:
    return AbsenceDayCb(action=action, pupil_id=pupil_id, day=day.toordinal())


def _button(
    text: str, data: NoteFormCb | NoteCb | NotesQueueCb | AbsenceDayCb
) -> InlineKeyboardButton:
    # Button labels are plain text (Telegram does not parse HTML in them): no escaping here.
    return InlineKeyboardButton(text=text, callback_data=data.pack())
