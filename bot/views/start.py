"""Owns the welcome screens: the unlinked visitor's explanation and the linked person's menu.

Parents get a row of buttons per child, pupils their own; staff a summary of their roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton

from bot.callbacks import AbsencesCb, MarksCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, esc, keyboard
from bot.views.people import follows_pupils, role_list
from core.services.accounts import Identity


def not_connected(t: Translator, *, with_code: bool) -> Screen:
    """An unlinked user: the account is not connected yet and how to get connected."""
    lines = [t("start.unlinked.title")]
    if with_code:
        lines.append(t("start.unlinked.code_not_accepted"))
    lines += [t("start.unlinked.how"), t("start.unlinked.help")]
    return Screen("\n\n".join(lines))


def main_menu(identity: Identity, family: Sequence[Child], t: Translator) -> Screen:
    """Greeting by name, what the person is, and buttons for what they can look at."""
    lines = [t("start.greeting", name=esc(identity.person.given_name))]
    roles = role_list(identity.viewer, t)
    if roles:
        lines.append(t("start.roles", roles=roles))
    if follows_pupils(identity):
        lines.append(t("start.pick"))
    else:
        lines.append(t("start.staff_hint"))
    rows: list[list[InlineKeyboardButton]] = []
    if identity.viewer.is_pupil:
        rows.append(_pupil_row(identity.person.id, t("menu.my_marks"), t("menu.my_absences")))
    rows += [
        _pupil_row(
            child.pupil_id,
            t("menu.marks_of", name=child.given_name),
            t("menu.absences_of", name=child.given_name),
        )
        for child in family
    ]
    return Screen("\n\n".join(lines), keyboard(rows))


def _pupil_row(pupil_id: int, marks: str, absences: str) -> list[InlineKeyboardButton]:
    # Button labels are plain text (Telegram does not parse HTML in them): no escaping here.
    return [
        InlineKeyboardButton(text=marks, callback_data=MarksCb(pupil_id=pupil_id).pack()),
        InlineKeyboardButton(text=absences, callback_data=AbsencesCb(pupil_id=pupil_id).pack()),
    ]
