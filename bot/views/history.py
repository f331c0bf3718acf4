"""Owns the change-history screens: which child, and a page of a pupil's changes since a day.

Pure functions over core's ``ChangeHistory``: who (name and role), when, what (before → after).
Marks show with their scale's labels, absence codes with the school's labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiogram.types import InlineKeyboardButton

from bot.callbacks import HistoryCb, HistorySince
from bot.i18n import Translator
from bot.journal import Child
from bot.views.attendance import JUSTIFICATION_KEYS
from bot.views.common import Screen, day, esc, fit, keyboard, menu_row, short_day
from bot.views.marks import pupil_heading
from bot.views.people import ROLE_KEYS
from core.domain.access import Role
from core.domain.attendance import AbsenceCode
from core.domain.marks import MarkScale, MarkValue, mark_label
from core.errors import InvalidMark
from core.services.history import PAGE, Change, ChangeHistory, ChangeKind

SINCE_KEYS: dict[HistorySince, str] = {
    "yesterday": "history.since.yesterday",
    "week": "history.since.week",
    "month": "history.since.month",
}
HOMEWORK_CHARS = 200
KIND_KEYS: dict[ChangeKind, str] = {
    ChangeKind.MARK_RECORDED: "history.mark_recorded",
    ChangeKind.MARK_CORRECTED: "history.mark_corrected",
    ChangeKind.ABSENCE_MARKED: "history.absence_marked",
    ChangeKind.ABSENCE_CHANGED: "history.absence_changed",
    ChangeKind.ABSENCE_REMOVED: "history.absence_removed",
    ChangeKind.ABSENCE_JUSTIFIED: "history.absence_justified",
    ChangeKind.HOMEWORK_SET: "history.homework_set",
    ChangeKind.HOMEWORK_CHANGED: "history.homework_changed",
    ChangeKind.HOMEWORK_REMOVED: "history.homework_removed",
}
NOTE_KEYS = {"accepted": "history.note_accepted", "rejected": "history.note_rejected"}


def child_picker(family: Sequence[Child], t: Translator) -> Screen:
    """Whose changes? One button per child."""
    rows = [
        [
            InlineKeyboardButton(
                text=child.label,
                callback_data=HistoryCb(pupil_id=child.pupil_id, since="week").pack(),
            )
        ]
        for child in family
    ]
    return Screen(t("history.pick_child"), keyboard(rows))


def nothing_to_show(t: Translator) -> Screen:
    """A person without own journal or children (staff): nothing to pick."""
    return Screen(t("history.no_pupils"))


def history_screen(result: ChangeHistory, since: HistorySince, t: Translator) -> Screen:
    """One page of changes, newest first, with the "since" presets and paging."""
    lines = [t("history.title", name=pupil_heading(result.pupil), since=day(result.since))]
    if not result.changes:
        lines += ["", t("history.none")]
    else:
        first = result.offset + 1
        lines.append(
            t(
                "history.range",
                first=first,
                last=result.offset + len(result.changes),
                total=result.total,
            )
        )
        labels = {code.code: code for code in result.codes}
        for change in result.changes:
            lines += ["", _who(change, t), _what(change, labels, t)]
    pupil = result.pupil.pupil_id
    presets = [
        InlineKeyboardButton(
            text=("✓ " if preset == since else "") + t(key),
            callback_data=HistoryCb(pupil_id=pupil, since=preset).pack(),
        )
        for preset, key in SINCE_KEYS.items()
    ]
    paging = []
    if result.offset > 0:
        newer = max(0, result.offset - PAGE)
        paging.append(
            InlineKeyboardButton(
                text=t("history.newer"),
                callback_data=HistoryCb(pupil_id=pupil, since=since, offset=newer).pack(),
            )
        )
    if result.more:
        paging.append(
            InlineKeyboardButton(
                text=t("history.older"),
                callback_data=HistoryCb(
                    pupil_id=pupil, since=since, offset=result.offset + len(result.changes)
                ).pack(),
            )
        )
    return Screen(fit(lines, t("history.more")), keyboard([presets, paging, menu_row(t)]))


def _who(change: Change, t: Translator) -> str:
    when = change.at.strftime("%d.%m. %H:%M")
    if change.actor is None:
        return t("history.when_school", when=when)
    role = _role(change.actor_role)
    if role is None:
        return t("history.when_who", when=when, who=esc(change.actor))
    return t("history.when_who_role", when=when, who=esc(change.actor), role=t(ROLE_KEYS[role]))


def _what(change: Change, labels: Mapping[str, AbsenceCode], t: Translator) -> str:
    if change.kind is ChangeKind.NOTE_DECIDED:
        key = NOTE_KEYS.get(change.after or "", "history.note_decided")
        start = short_day(change.on_date) if change.on_date else ""
        end = short_day(change.until) if change.until else start
        return t(key, start=start, end=end)
    where = _where(change, t)
    before, after = _values(change, labels, t)
    return t(KIND_KEYS[change.kind], where=where, before=before, after=after)


def _where(change: Change, t: Translator) -> str:
    subject = esc(change.subject or "—")
    on = short_day(change.on_date) if change.on_date else ""
    if change.kind in (ChangeKind.MARK_RECORDED, ChangeKind.MARK_CORRECTED) and change.title:
        return t("history.where_test", subject=subject, date=on, title=esc(change.title))
    if change.period is not None and change.kind in (
        ChangeKind.ABSENCE_MARKED,
        ChangeKind.ABSENCE_CHANGED,
        ChangeKind.ABSENCE_REMOVED,
        ChangeKind.ABSENCE_JUSTIFIED,
    ):
        return t("history.where_lesson", subject=subject, date=on, period=change.period)
    return t("history.where", subject=subject, date=on)


def _values(change: Change, labels: Mapping[str, AbsenceCode], t: Translator) -> tuple[str, str]:
    kind = change.kind
    if kind in (ChangeKind.MARK_RECORDED, ChangeKind.MARK_CORRECTED):
        return _mark(change.before, change.scale, t.lang), _mark(
            change.after, change.scale, t.lang
        )
    if kind in (ChangeKind.ABSENCE_MARKED, ChangeKind.ABSENCE_CHANGED, ChangeKind.ABSENCE_REMOVED):
        return _code(change.before, labels, t.lang), _code(change.after, labels, t.lang)
    if kind is ChangeKind.ABSENCE_JUSTIFIED:
        return _justification(change.before, t), _justification(change.after, t)
    return _homework(change.before), _homework(change.after)


def _mark(value: str | None, scale: str | None, lang: str) -> str:
    if value is None:
        return "—"
    try:
        shown = MarkValue.nv() if value == "nv" else MarkValue.mark(value)
        return esc(mark_label(MarkScale(scale or ""), shown, lang))
    except (InvalidMark, ValueError):  # a stored value outside its scale: show it as it is
        return esc(value)


def _code(value: str | None, labels: Mapping[str, AbsenceCode], lang: str) -> str:
    if value is None:
        return "—"
    code = labels.get(value)
    return esc(code.label(lang) if code else value)


def _justification(value: str | None, t: Translator) -> str:
    if value is None:
        return "—"
    key = JUSTIFICATION_KEYS.get(value)
    return t(key) if key else esc(value)


def _homework(value: str | None) -> str:
    if value is None:
        return "—"
    text = " ".join(value.split())
    return esc(text if len(text) <= HOMEWORK_CHARS else text[: HOMEWORK_CHARS - 1] + "…")


def _role(value: str | None) -> Role | None:
    for role in ROLE_KEYS:
        if role.value == value:
            return role
    return None
