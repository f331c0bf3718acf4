"""Owns the welcome screens: the unlinked visitor's ways to connect and the linked person's menu.

Parents get a row of buttons per child, pupils their own; class teachers and managers the
invitations and the connection report; parents with full rights their carers. A person with
several roles (a teacher who is also a parent) sees every part.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, KeyboardButton, ReplyKeyboardMarkup

from bot.callbacks import (
    AbsencesCb,
    CarersCb,
    ConnectionsCb,
    DiaryCb,
    InvitesCb,
    MailCb,
    MarksCb,
    NewsCb,
    SettingsCb,
    TodayCb,
)
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, esc, keyboard
from bot.views.mail import uses_mail
from bot.views.people import follows_pupils, full_guardian, onboards, role_list, teaches
from core.services.accounts import Identity


def not_connected(t: Translator) -> Screen:
    """An unlinked user: how to connect, with the "share my phone number" button."""
    lines = [t("start.unlinked.title"), t("start.unlinked.how"), t("start.unlinked.phone")]
    lines.append(t("start.unlinked.help"))
    share = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("start.share_phone"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return Screen("\n\n".join(lines), share)


def main_menu(identity: Identity, family: Sequence[Child], t: Translator) -> Screen:
    """Greeting by name, what the person is, and buttons for what they can do."""
    viewer = identity.viewer
    lines = [t("start.greeting", name=esc(identity.person.given_name))]
    roles = role_list(viewer, t)
    if roles:
        lines.append(t("start.roles", roles=roles))
    if follows_pupils(identity) or onboards(viewer):
        lines.append(t("start.pick"))
    else:
        lines.append(t("start.staff_hint"))
    rows: list[list[InlineKeyboardButton]] = []
    if teaches(viewer):
        rows.append([_button(t("today.menu"), TodayCb(day=0).pack())])
    if viewer.is_pupil:
        rows.append([_button(t("diary.menu_mine"), _diary(identity.person.id))])
        rows.append(_pupil_row(identity.person.id, t("menu.my_marks"), t("menu.my_absences")))
    for child in family:
        rows.append([_button(t("diary.menu_of", name=child.given_name), _diary(child.pupil_id))])
        rows.append(
            _pupil_row(
                child.pupil_id,
                t("menu.marks_of", name=child.given_name),
                t("menu.absences_of", name=child.given_name),
            )
        )
    rows.append([_button(t("menu.news"), NewsCb(action="page", ref=0).pack())])
    if uses_mail(viewer):
        rows.append([_button(t("mailbox.menu"), MailCb(action="inbox").pack())])
    if full_guardian(viewer):
        rows.append([_button(t("menu.carers"), CarersCb(action="list", pupil_id=0).pack())])
    if onboards(viewer):
        rows.append(
            [
                _button(t("menu.invites"), InvitesCb(audience="menu", target=0).pack()),
                _button(t("menu.connections"), ConnectionsCb(class_id=0).pack()),
            ]
        )
    rows.append([_button(t("settings.menu"), SettingsCb(view="menu").pack())])
    return Screen("\n\n".join(lines), keyboard(rows))


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _diary(pupil_id: int) -> str:
    """This week of the pupil's diary."""
    return DiaryCb(view="w", pupil_id=pupil_id, day=0).pack()


def _pupil_row(pupil_id: int, marks: str, absences: str) -> list[InlineKeyboardButton]:
    # Button labels are plain text (Telegram does not parse HTML in them): no escaping here.
    return [
        _button(marks, MarksCb(pupil_id=pupil_id).pack()),
        _button(absences, AbsencesCb(pupil_id=pupil_id).pack()),
    ]
