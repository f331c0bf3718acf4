"""Owns the /people screens of managers: matches with buttons, the confirmation, the outcome.

Deactivation is asked before it is done; every name is escaped in text (buttons are plain).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton

from bot.callbacks import InvitePurpose, MenuCb, PersonAction, PersonCb, PersonInviteCb
from bot.i18n import Translator
from bot.views.common import Screen, esc, fit, keyboard, menu_row
from core.domain.invites import Purpose
from core.services.deactivation import PersonCard

PURPOSE_KEYS: dict[Purpose, str] = {
    Purpose.PUPIL: "people.invite_pupil",
    Purpose.GUARDIAN: "people.invite_parent",
    Purpose.STAFF: "people.invite_staff",
}
PURPOSE_DATA: dict[Purpose, InvitePurpose] = {
    Purpose.PUPIL: "pupil",
    Purpose.GUARDIAN: "guardian",
    Purpose.STAFF: "staff",
}


def usage(t: Translator) -> Screen:
    """/people without a name."""
    return Screen(t("people.usage"))


def results(cards: Sequence[PersonCard], t: Translator) -> Screen:
    """Who matched, what they are, whether connected; buttons to act on each."""
    if not cards:
        return Screen(t("people.none"))
    lines = [t("people.found", count=len(cards))]
    rows: list[list[InlineKeyboardButton]] = []
    for card in cards:
        lines.append(describe(card, t))
        short = card.full_name
        action: PersonAction = "ask_off" if card.person.is_active else "ask_on"
        label = "people.deactivate_button" if card.person.is_active else "people.activate_button"
        row = [
            InlineKeyboardButton(
                text=t(label, name=short),
                callback_data=PersonCb(person_id=card.person.id, action=action).pack(),
            )
        ]
        if not card.connected:
            row += [
                InlineKeyboardButton(
                    text=t(PURPOSE_KEYS[purpose]),
                    callback_data=PersonInviteCb(
                        person_id=card.person.id, purpose=PURPOSE_DATA[purpose]
                    ).pack(),
                )
                for purpose in card.invitable
            ]
        rows.append(row)
    rows.append(menu_row(t))
    return Screen(fit(lines, t("conn.more")), keyboard(rows))


def describe(card: PersonCard, t: Translator) -> str:
    """One line: name, roles, connected or not, deactivated."""
    parts = []
    if card.classes:
        parts.append(t("people.is_pupil", class_name=esc(", ".join(card.classes))))
    if card.children:
        names = ", ".join(esc(c.given_name) for c in card.children)
        parts.append(t("people.is_carer" if card.carer else "people.is_parent", names=names))
    if card.staff:
        parts.append(t("people.is_staff"))
    state = (
        t("people.inactive")
        if not card.person.is_active
        else t("people.connected" if card.connected else "people.not_connected")
    )
    roles = "; ".join(parts)
    return f"• <b>{esc(card.full_name)}</b>" + (f" — {roles}" if roles else "") + f" ({state})"


def confirm(card: PersonCard, deactivate: bool, t: Translator) -> Screen:
    """Ask before switching a person's access off (or on again)."""
    key = "people.ask_deactivate" if deactivate else "people.ask_activate"
    action: PersonAction = "off" if deactivate else "on"
    rows = [
        [
            InlineKeyboardButton(
                text=t("people.yes_deactivate" if deactivate else "people.yes_activate"),
                callback_data=PersonCb(person_id=card.person.id, action=action).pack(),
            ),
            InlineKeyboardButton(text=t("people.cancel"), callback_data=MenuCb().pack()),
        ]
    ]
    return Screen(t(key, name=esc(card.full_name)), keyboard(rows))


def switched(card: PersonCard, t: Translator) -> Screen:
    """Done: the person's access ended (or is back)."""
    key = "people.deactivated_done" if not card.person.is_active else "people.activated_done"
    return Screen(t(key, name=esc(card.full_name)))
