"""Owns the /broadcast screens: audience picker, preview, live status, report, acknowledgement.

The recipient's answer to "I have read this" is here too.

Pure functions over core's results. The text, school, class, group and file names are
HTML-escaped; button labels are plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aiogram.types import InlineKeyboardButton

from bot.callbacks import BroadcastAction, BroadcastCb
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, keyboard, menu_row
from core.domain.broadcasts import Audience, Choice, Condition, Members, Scope
from core.services.broadcasts import (
    BroadcastPreview,
    BroadcastReport,
    BroadcastTargets,
    SentBroadcast,
)

Kind = Literal["school", "grade", "class", "group", "parents", "staff", "absent", "unexcused"]
# The audiences the picker offers, in order; a button carries the index.
KINDS: tuple[Kind, ...] = (
    "school",
    "grade",
    "class",
    "group",
    "parents",
    "staff",
    "absent",
    "unexcused",
)
MANAGER_ONLY: frozenset[Kind] = frozenset({"school", "grade", "parents", "staff"})
KIND_KEYS: dict[Kind, str] = {
    "school": "broadcast.kind.school",
    "grade": "broadcast.kind.grade",
    "class": "broadcast.kind.class",
    "group": "broadcast.kind.group",
    "parents": "broadcast.kind.parents",
    "staff": "broadcast.kind.staff",
    "absent": "broadcast.kind.absent",
    "unexcused": "broadcast.kind.unexcused",
}
PICK_KEYS: dict[Kind, str] = {
    "grade": "broadcast.pick.grade",
    "class": "broadcast.pick.class",
    "group": "broadcast.pick.group",
    "absent": "broadcast.pick.condition",
    "unexcused": "broadcast.pick.condition",
}
CONDITIONS: dict[Kind, Condition] = {
    "absent": Condition.ABSENT_TODAY,
    "unexcused": Condition.UNEXCUSED_WEEK,
}
# Who in a grade, class or group; a button carries the index.
MEMBER_CHOICES: tuple[Members, ...] = (Members.EVERYONE, Members.PARENTS, Members.PUPILS)
MEMBER_BUTTONS = {
    Members.EVERYONE: "broadcast.members.button.everyone",
    Members.PARENTS: "broadcast.members.button.parents",
    Members.PUPILS: "broadcast.members.button.pupils",
}
SCOPE_KEYS = {
    Scope.SCHOOL: "broadcast.scope.school",
    Scope.GRADE: "broadcast.scope.grade",
    Scope.CLASS: "broadcast.scope.class",
    Scope.GROUP: "broadcast.scope.group",
}
MEMBER_KEYS = {
    Members.EVERYONE: "broadcast.members.everyone",
    Members.PARENTS: "broadcast.members.parents",
    Members.PUPILS: "broadcast.members.pupils",
    Members.STAFF: "broadcast.members.staff",
}
CONDITION_KEYS = {
    Condition.ABSENT_TODAY: "broadcast.condition.absent_today",
    Condition.UNEXCUSED_WEEK: "broadcast.condition.unexcused_week",
}
PAGE = 8  # classes or groups a screen
LABEL = 40  # characters of a name on a button


def kinds_for(targets: BroadcastTargets) -> tuple[Kind, ...]:
    """The audiences this school's targets allow (UX only: core decides again)."""
    if targets.manager:
        return KINDS
    offered: list[Kind] = []
    if targets.classes:
        offered.append("class")
    if targets.groups:
        offered.append("group")
    if targets.classes or targets.groups:
        offered += ["absent", "unexcused"]
    return tuple(offered)


# ---------------------------------------------------------------- picking the audience


def nothing_to_send(t: Translator) -> Screen:
    """Pupils, parents and staff without a class or group: who can broadcast."""
    return Screen(t("broadcast.compose.nobody_to_write"), keyboard([menu_row(t)]))


def pick_school(schools: Sequence[BroadcastTargets], t: Translator) -> Screen:
    """Staff of several schools: which school is the broadcast from?"""
    rows = [[_button(_label(s.school.name), "school", s.school.id)] for s in schools]
    rows.append([_button(t("broadcast.compose.cancel"), "cancel")])
    return Screen(t("broadcast.compose.pick_school"), keyboard(rows))


def pick_kind(targets: BroadcastTargets, t: Translator) -> Screen:
    """Who the broadcast is for: one button per audience the person may pick."""
    rows = [
        [_button(t(KIND_KEYS[kind]), "kind", KINDS.index(kind))] for kind in kinds_for(targets)
    ]
    rows.append([_button(t("broadcast.compose.cancel"), "cancel")])
    text = "\n".join(
        (t("broadcast.compose.title", school=esc(targets.school.name)), t("broadcast.compose.who"))
    )
    return Screen(text, keyboard(rows))


def pick_choice(
    kind: Kind, choices: Sequence[Choice], page: int, t: Translator, *, school: str
) -> Screen:
    """A page of grades, classes or groups (the button carries the choice's position)."""
    pages = max(1, -(-len(choices) // PAGE))
    page = min(max(page, 0), pages - 1)
    start = page * PAGE
    rows = [
        [_button(_label(choice.name), "target", start + offset)]
        for offset, choice in enumerate(choices[start : start + PAGE])
    ]
    moves = []
    if page > 0:
        moves.append(_button(t("broadcast.compose.previous"), "page", page - 1))
    if page + 1 < pages:
        moves.append(_button(t("broadcast.compose.next"), "page", page + 1))
    rows.append(moves)
    rows.append([_button(t("broadcast.compose.back"), "school", 0)])
    rows.append([_button(t("broadcast.compose.cancel"), "cancel")])
    lines = [t("broadcast.compose.title", school=esc(school)), t(PICK_KEYS[kind])]
    if pages > 1:
        lines.append(t("broadcast.compose.page", page=page + 1, pages=pages))
    return Screen("\n".join(lines), keyboard(rows))


def pick_members(audience: Audience, target_name: str | None, t: Translator) -> Screen:
    """Who in the grade, class or group: pupils and parents, parents only, pupils only."""
    rows = [
        [_button(t(MEMBER_BUTTONS[members]), "members", index)]
        for index, members in enumerate(MEMBER_CHOICES)
    ]
    rows.append([_button(t("broadcast.compose.back"), "school", 0)])
    rows.append([_button(t("broadcast.compose.cancel"), "cancel")])
    return Screen(
        t("broadcast.compose.members", place=place_label(audience, target_name, t)),
        keyboard(rows),
    )


def ask_text(label: str, t: Translator) -> Screen:
    """The audience is set: now the text (and optionally one document or photo)."""
    rows = [[_button(t("broadcast.compose.cancel"), "cancel")]]
    return Screen(t("broadcast.compose.ask", audience=label), keyboard(rows))


def need_audience(t: Translator) -> Screen:
    """A text arrived before the recipients were picked."""
    rows = [[_button(t("broadcast.compose.back"), "school", 0)]]
    return Screen(t("broadcast.compose.need_audience"), keyboard(rows))


def need_text(filename: str, t: Translator) -> Screen:
    """A file arrived without text: now the text."""
    rows = [[_button(t("broadcast.compose.cancel"), "cancel")]]
    return Screen(t("broadcast.compose.need_text", filename=esc(filename)), keyboard(rows))


def unsupported(t: Translator) -> Screen:
    """Something that is neither text, a photo nor a document arrived while drafting."""
    rows = [[_button(t("broadcast.compose.cancel"), "cancel")]]
    return Screen(t("broadcast.compose.unsupported"), keyboard(rows))


def place_label(audience: Audience, target_name: str | None, t: Translator) -> str:
    """Where the audience is: the whole school, grade 5, class 5.a, a group (escaped)."""
    name = esc(target_name or str(audience.target))
    return t(SCOPE_KEYS[audience.scope], name=name, grade=audience.target)


def grade_choices(grades: Sequence[int], t: Translator) -> tuple[Choice, ...]:
    """A manager's grades as choices ("5. klases")."""
    return tuple(Choice(grade, t("broadcast.scope.grade", grade=grade)) for grade in grades)


def audience_label(audience: Audience, target_name: str | None, t: Translator) -> str:
    """Where and who: "class 5.a · parents", "the whole school · … absent today" (escaped)."""
    place = place_label(audience, target_name, t)
    if audience.condition is not Condition.NONE:
        who = t(CONDITION_KEYS[audience.condition])
    elif audience.scope is Scope.SCHOOL and audience.members is Members.EVERYONE:
        who = t("broadcast.members.everyone_school")
    else:
        who = t(MEMBER_KEYS[audience.members])
    return f"{place} · {who}"


# ---------------------------------------------------------------- preview and sending


def preview(draft: BroadcastPreview, *, may_urgent: bool, t: Translator) -> Screen:
    """The message as recipients will read it, the counts, the toggles, Send and Cancel."""
    lines = [
        t("broadcast.compose.preview", school=esc(draft.school_name)),
        t("broadcast.compose.to", audience=audience_label(draft.audience, draft.target_name, t)),
    ]
    if draft.urgent:
        lines.append(t("broadcast.compose.urgent_on"))
    if draft.ask_ack:
        lines.append(t("broadcast.compose.ack_on"))
    lines += ["", esc(draft.text)]
    if draft.filename is not None:
        lines.append(f"📎 {esc(draft.filename)}")
    lines.append("")
    if draft.recipients:
        lines.append(
            t("broadcast.compose.count", count=draft.recipients, connected=draft.connected)
        )
    else:
        lines.append(t("broadcast.compose.count_none"))
    lines.append(t("broadcast.compose.change"))
    ack = "broadcast.compose.ack_button_on" if draft.ask_ack else "broadcast.compose.ack_button"
    rows = [[_button(t(ack), "ack")]]
    if may_urgent:
        urgent = (
            "broadcast.compose.urgent_button_on"
            if draft.urgent
            else "broadcast.compose.urgent_button"
        )
        rows.append([_button(t(urgent), "urgent")])
    if draft.recipients:
        rows.append([_button(t("broadcast.compose.send", count=draft.recipients), "send")])
    rows.append([_button(t("broadcast.compose.cancel"), "cancel")])
    return Screen("\n".join(lines), keyboard(rows))


def queued(sent: SentBroadcast, t: Translator) -> Screen:
    """Right after sending: the status message the bot keeps editing."""
    lines = [
        t("broadcast.status.queued", count=sent.recipients, connected=sent.connected),
        t("broadcast.status.progress", sent=0, total=sent.connected),
    ]
    return Screen("\n".join(lines))


def progress(report: BroadcastReport, t: Translator) -> Screen:
    """Delivery in progress: "Sent 120/380…" (the status message, edited)."""
    lines = [
        t("broadcast.status.queued", count=report.recipients, connected=report.connected),
        t("broadcast.status.progress", sent=report.delivered, total=report.connected),
    ]
    return Screen("\n".join(lines))


def final(report: BroadcastReport, t: Translator) -> Screen:
    """The report: delivered, not connected, blocked, failed (waiting, acknowledged)."""
    when = report.created_at
    lines = [
        t(
            "broadcast.report.title",
            when=f"{day(when.date())} {when.hour}:{when.minute:02d}",
        ),
        t("broadcast.compose.to", audience=audience_label(report.audience, report.target_name, t)),
        t("broadcast.report.recipients", count=report.recipients),
        t("broadcast.report.delivered", count=report.delivered),
        t("broadcast.report.not_connected", count=report.not_connected),
        t("broadcast.report.unreachable", count=report.unreachable),
        t("broadcast.report.failed", count=report.failed),
    ]
    if report.pending:
        lines.append(t("broadcast.report.pending", count=report.pending))
    if report.ask_ack:
        lines.append(
            t("broadcast.report.acknowledged", count=report.acknowledged, of=report.delivered)
        )
    rows = [[_button(t("broadcast.report.refresh"), "report", report.broadcast_id)], menu_row(t)]
    return Screen("\n".join(lines), keyboard(rows))


def status(report: BroadcastReport, t: Translator) -> Screen:
    """The status message as it should read now."""
    return final(report, t) if report.done else progress(report, t)


def simple(key: str, t: Translator) -> Screen:
    """A one-line answer (cancelled, nothing to send, an outdated button)."""
    return Screen(t(key), keyboard([menu_row(t)]))


def acknowledged(first: bool, t: Translator) -> Screen:
    """The recipient's "I have read this" was recorded (or had been already)."""
    return Screen(t("broadcast.ack.thanks" if first else "broadcast.ack.again"))


# ---------------------------------------------------------------- pieces


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL else text[: LABEL - 1].rstrip() + "…"


def _button(text: str, action: BroadcastAction, ref: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=BroadcastCb(action=action, ref=ref).pack()
    )
