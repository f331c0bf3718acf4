"""Owns the carers screens: a parent's children with their read-only carer, invite and revoke.

A carer (e.g. a grandparent) sees the child's marks and absences and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton

from bot.callbacks import CarerAction, CarersCb, MenuCb
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, keyboard, menu_row
from core.domain.invites import deep_link
from core.domain.records import PersonRecord
from core.services.caregivers import CarerSlot
from core.services.invites import IssuedInvite


def carers_screen(slots: Sequence[CarerSlot], t: Translator) -> Screen:
    """Each child with their carer (connected, invited, or none) and what can be done."""
    lines = [t("carers.title"), t("carers.explain"), ""]
    rows: list[list[InlineKeyboardButton]] = []
    for slot in slots:
        child = esc(slot.child.given_name)
        if slot.carer is None:
            lines.append(t("carers.none", child=child))
            rows.append([_button(t("carers.invite", child=slot.child.given_name), "new", slot)])
            continue
        carer = esc(slot.carer.full_name.strip())
        if slot.connected:
            lines.append(t("carers.connected", child=child, carer=carer))
        elif slot.pending_until is not None:
            lines.append(
                t("carers.invited", child=child, carer=carer, date=day(slot.pending_until))
            )
        else:
            lines.append(t("carers.not_connected", child=child, carer=carer))
        rows.append(
            [_button(t("carers.revoke", carer=slot.carer.full_name.strip()), "ask_revoke", slot)]
        )
    if not slots:
        lines.append(t("carers.no_children"))
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def ask_name(t: Translator) -> Screen:
    """Which name should the carer be known by?"""
    return Screen(t("carers.ask_name"))


def invited(issued: IssuedInvite, bot_username: str, t: Translator) -> Screen:
    """The link to forward to the carer."""
    child = ", ".join(esc(p.given_name) for p in issued.pupils)
    return Screen(
        t(
            "carers.link",
            carer=esc(issued.full_name),
            child=child,
            link=deep_link(bot_username, issued.code),
            date=day(issued.last_day),
        )
    )


def confirm_revoke(pupil_id: int, t: Translator) -> Screen:
    """Ask before ending a carer's access."""
    rows = [
        [
            InlineKeyboardButton(
                text=t("carers.yes_revoke"),
                callback_data=CarersCb(action="revoke", pupil_id=pupil_id).pack(),
            ),
            InlineKeyboardButton(text=t("people.cancel"), callback_data=MenuCb().pack()),
        ]
    ]
    return Screen(t("carers.ask_revoke"), keyboard(rows))


def revoked(carer: PersonRecord, t: Translator) -> Screen:
    """Done."""
    return Screen(t("carers.revoked", carer=esc(carer.full_name.strip())))


def _button(text: str, action: CarerAction, slot: CarerSlot) -> InlineKeyboardButton:
    data = CarersCb(action=action, pupil_id=slot.child.pupil_id)
    return InlineKeyboardButton(text=text, callback_data=data.pack())
