"""Owns the journal mail screens: the inbox, a thread, writing a message, answers and reports.

Pure functions over core's results. Every name, subject, text and file name is HTML-escaped;
button labels are plain text. Contacts are shown the way a sender picks: a group (class
teacher, subject teachers, administration, a class's pupils or parents, colleagues), then the
person with what they are ("class teacher, 5.a", "mother — Jānis Bērziņš, 5.a").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from aiogram.types import InlineKeyboardButton

from bot.callbacks import MailAction, MailCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import MAX_TEXT, Screen, esc, keyboard, menu_row
from core.domain.access import Viewer
from core.domain.mail import ContactGroup, MailDraft, RoleLabel
from core.services.mail import (
    Inbox,
    MailContacts,
    MessageInfo,
    MessageView,
    SentMail,
    SuspensionView,
    ThreadView,
)

T = TypeVar("T")
PER_PAGE = 8  # buttons of groups or people on one screen
LABEL = 40  # characters of a subject or a name on a button
GROUP_KEYS = {
    "class_teacher": "mailbox.group.class_teacher",
    "subject_teachers": "mailbox.group.subject_teachers",
    "administration": "mailbox.group.administration",
    "own_pupils": "mailbox.group.pupils",
    "pupils": "mailbox.group.pupils",
    "own_parents": "mailbox.group.parents",
    "parents": "mailbox.group.parents",
    "colleagues": "mailbox.group.colleagues",
}


def uses_mail(viewer: Viewer) -> bool:
    """Whether the person writes mail: a parent with full rights, a pupil or staff (UX only)."""
    return viewer.active and (
        bool(viewer.children - viewer.read_only_children) or viewer.is_pupil or viewer.is_staff
    )


# ---------------------------------------------------------------- the inbox and threads


def inbox_screen(box: Inbox, t: Translator, *, manager: bool) -> Screen:
    """The threads, latest first, with unread counts; write, page, and (managers) suspensions."""
    lines = [t("mailbox.inbox.title", unread=box.unread)]
    rows: list[list[InlineKeyboardButton]] = [[_button(t("mailbox.new"), "new")]]
    if not box.threads:
        lines += ["", t("mailbox.inbox.more_empty" if box.offset else "mailbox.inbox.empty")]
    for item in box.threads:
        mark = "🔵" if item.unread else "▫️"
        unread = t("mailbox.inbox.unread", count=item.unread) if item.unread else ""
        about = t("mailbox.about", name=esc(item.about)) if item.about else ""
        lines += [
            "",
            f"{mark} <b>{esc(item.subject)}</b>{unread}",
            f"{esc(', '.join(item.others) or '—')}{about} · {_when(item.last_at)}",
        ]
        label = f"{mark} {_label(item.subject)}"
        rows.append([_button(label, "thread", item.thread_id)])
    pages = []
    if box.has_newer:
        pages.append(_button(t("mailbox.newer"), "inbox", max(box.offset - box.limit, 0)))
    if box.has_older:
        pages.append(_button(t("mailbox.older"), "inbox", box.offset + box.limit))
    rows.append(pages)
    if manager:
        rows.append([_button(t("mailbox.suspended.button"), "suspended")])
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def thread_screen(view: ThreadView, t: Translator) -> Screen:
    """A thread, oldest first (the oldest give way when it is long), with read marks."""
    head = [f"✉️ <b>{esc(view.subject)}</b>"]
    meta = ", ".join(view.others) or "—"
    if view.about:
        meta += t("mailbox.about", name=view.about)
    head.append(f"<i>{esc(meta)}</i>")
    blocks = [_message_block(m, t) for m in view.messages]
    kept: list[str] = []
    budget = MAX_TEXT - len("\n".join(head)) - 200
    for block in reversed(blocks):
        if sum(len(b) + 2 for b in kept) + len(block) > budget:
            kept.insert(0, t("mailbox.thread.earlier"))
            break
        kept.insert(0, block)
    rows = [[_button(t("mailbox.reply"), "reply", view.reply_to)]]
    rows += [
        [_button(f"📎 {_label(m.attachment.filename)}", "file", m.message_id)]
        for m in view.messages
        if m.attachment is not None
    ][-5:]
    rows += [[_button(t("mailbox.inbox.button"), "inbox")], menu_row(t)]
    return Screen("\n\n".join(["\n".join(head), *kept]), keyboard(rows))


def _message_block(message: MessageView, t: Translator) -> str:
    lines = [f"<b>{esc(message.sender)}</b> · {_when(message.created_at)}"]
    if message.body:
        lines.append(esc(message.body))
    if message.attachment is not None:
        lines.append(f"📎 {esc(message.attachment.filename)}")
    for receipt in message.receipts:
        if receipt.read_at is not None:
            lines.append(
                t("mailbox.receipt.read", name=esc(receipt.name), time=_when(receipt.read_at))
            )
        else:
            lines.append(t("mailbox.receipt.sent", name=esc(receipt.name)))
    return "\n".join(lines)


# ---------------------------------------------------------------- writing


def pick_child(family: Sequence[Child], t: Translator, *, other: bool) -> Screen:
    """A parent: which child is the message about (and "about no child" for staff or pupils)."""
    rows = [[_button(child.label, "child", child.pupil_id)] for child in family]
    if other:
        rows.append([_button(t("mailbox.child.none"), "child", 0)])
    rows.append([_button(t("mailbox.cancel"), "cancel")])
    return Screen(t("mailbox.child.ask"), keyboard(rows))


def groups_screen(found: MailContacts, page: int, t: Translator) -> Screen:
    """Whom to write to: the groups the matrix allows, a page of them."""
    if not found.groups:
        rows = [[_button(t("mailbox.inbox.button"), "inbox")], menu_row(t)]
        return Screen(t("mailbox.groups.none"), keyboard(rows))
    several = len(found.schools) > 1
    start, shown = _page(found.groups, page)
    rows = [
        [_button(group_label(group, t, school=several), "group", start + index)]
        for index, group in enumerate(shown)
    ]
    rows.append(_pages(page, len(found.groups), "groups", 0, t))
    rows.append([_button(t("mailbox.cancel"), "cancel")])
    text = t("mailbox.groups.ask")
    if found.about is not None:
        text = t("mailbox.groups.ask_about", name=esc(found.about.full_name))
    return Screen(text, keyboard(rows))


def people_screen(group: ContactGroup, index: int, page: int, t: Translator) -> Screen:
    """The people of one group, a page of them, each with what they are."""
    _, shown = _page(group.contacts, page)
    rows = [
        [
            _button(
                _label(f"{contact.name} — {role_text(contact.role, t)}", limit=60),
                "to",
                contact.person_id,
                contact.pupil_id or 0,
            )
        ]
        for contact in shown
    ]
    rows.append(_pages(page, len(group.contacts), "group", index, t))
    rows.append([_button(t("mailbox.back"), "groups")])
    rows.append([_button(t("mailbox.cancel"), "cancel")])
    return Screen(t("mailbox.people.ask", group=esc(group_label(group, t))), keyboard(rows))


def ask_text(name: str, role: str, t: Translator) -> Screen:
    """The recipient is chosen: now the subject (first line) and the text, maybe a file."""
    rows = [[_button(t("mailbox.cancel"), "cancel")]]
    return Screen(t("mailbox.compose.ask", name=esc(name), role=esc(role)), keyboard(rows))


def need_text(filename: str, t: Translator) -> Screen:
    """A file arrived without text: now the text."""
    rows = [[_button(t("mailbox.cancel"), "cancel")]]
    return Screen(t("mailbox.compose.need_text", filename=esc(filename)), keyboard(rows))


def unsupported(t: Translator) -> Screen:
    """Something that is neither text, a photo nor a document arrived while writing."""
    rows = [[_button(t("mailbox.cancel"), "cancel")]]
    return Screen(t("mailbox.unsupported"), keyboard(rows))


def preview(
    draft: MailDraft, name: str, about: str | None, filename: str | None, t: Translator
) -> Screen:
    """The message as it will go, with Send / Cancel."""
    lines = [t("mailbox.compose.preview", name=esc(name))]
    if about:
        lines.append(t("mailbox.compose.about", name=esc(about)))
    lines += ["", f"<b>{esc(draft.subject)}</b>"]
    if draft.body:
        lines.append(esc(draft.body))
    if filename:
        lines.append(f"📎 {esc(filename)}")
    lines += ["", t("mailbox.compose.change")]
    rows = [
        [_button(t("mailbox.send"), "send")],
        [_button(t("mailbox.cancel"), "cancel")],
    ]
    return Screen("\n".join(lines), keyboard(rows))


def sent(result: SentMail, t: Translator) -> Screen:
    """The message is on its way."""
    names = ", ".join(p.full_name for p in result.recipients)
    rows = [
        [_button(t("mailbox.thread.button"), "thread", result.thread_id)],
        [_button(t("mailbox.inbox.button"), "inbox")],
        menu_row(t),
    ]
    return Screen(t("mailbox.sent", names=esc(names), subject=esc(result.subject)), keyboard(rows))


def ask_reply(info: MessageInfo, t: Translator) -> Screen:
    """What to answer (text, or a photo or file with an optional caption)."""
    text = t("mailbox.reply.ask", name=esc(info.sender), subject=esc(info.subject))
    return Screen(text, keyboard([[_button(t("mailbox.cancel"), "cancel")]]))


def ask_reason(info: MessageInfo, t: Translator) -> Screen:
    """Why the message is reported."""
    text = t("mailbox.report.ask", name=esc(info.sender), subject=esc(info.subject))
    return Screen(text, keyboard([[_button(t("mailbox.cancel"), "cancel")]]))


def reported(t: Translator) -> Screen:
    """The report went to the administration."""
    return Screen(t("mailbox.report.done"), keyboard([menu_row(t)]))


def marked_read(fresh: bool, t: Translator) -> Screen:
    """The message is marked read (the sender gets a receipt)."""
    return Screen(t("mailbox.read.done" if fresh else "mailbox.read.already"))


def simple(key: str, t: Translator) -> Screen:
    """A one-line answer with the way back to the inbox."""
    rows = [[_button(t("mailbox.inbox.button"), "inbox")], menu_row(t)]
    return Screen(t(key), keyboard(rows))


# ---------------------------------------------------------------- the superuser


def suspended_done(view: SuspensionView, t: Translator) -> Screen:
    """A sender's messaging is suspended, with the way to lift it."""
    if view.until is None:
        text = t("mailbox.suspend.done_indefinitely", name=esc(view.name))
    else:
        text = t("mailbox.suspend.done", name=esc(view.name), until=_when(view.until))
    rows = [[_button(t("mailbox.resume", name=view.name), "resume", view.person_id)]]
    return Screen(text, keyboard(rows))


def resumed(name: str, t: Translator) -> Screen:
    """The suspension is lifted."""
    return Screen(t("mailbox.resume.done", name=esc(name)))


def suspensions_screen(items: Sequence[SuspensionView], t: Translator) -> Screen:
    """Who may not send mail now, and until when; a button to lift each."""
    lines = [t("mailbox.suspended.title")]
    rows = []
    if not items:
        lines.append(t("mailbox.suspended.none"))
    for item in items:
        until = _when(item.until) if item.until else t("mailbox.suspended.until_lifted")
        lines.append(f"• {esc(item.name)} — {until}")
        rows.append([_button(t("mailbox.resume", name=item.name), "resume", item.person_id)])
    rows += [[_button(t("mailbox.inbox.button"), "inbox")], menu_row(t)]
    return Screen("\n".join(lines), keyboard(rows))


# ---------------------------------------------------------------- pieces


def role_text(role: RoleLabel, t: Translator) -> str:
    """What a person is, in the reader's language (core's ``mail.role.*`` texts)."""
    return t(role.key, **role.values())


def group_label(group: ContactGroup, t: Translator, *, school: bool = False) -> str:
    """A group's name on a button ("5.a vecāki"), with the school when several are listed."""
    label = t(GROUP_KEYS[group.audience.value], class_name=group.class_name or "")
    return f"{label} ({group.school_name})" if school else label


def _page(items: Sequence[T], page: int) -> tuple[int, Sequence[T]]:
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    start = page * PER_PAGE
    return start, items[start : start + PER_PAGE]


def _pages(
    page: int, total: int, action: MailAction, ref: int, t: Translator
) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(_button(t("mailbox.prev"), action, ref, page - 1))
    if (page + 1) * PER_PAGE < total:
        row.append(_button(t("mailbox.next"), action, ref, page + 1))
    return row


def _when(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M")


def _label(text: str, limit: int = LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _button(text: str, action: MailAction, ref: int = 0, arg: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=MailCb(action=action, ref=ref, arg=arg).pack()
    )
