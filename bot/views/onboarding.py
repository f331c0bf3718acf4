"""Owns the screens of connecting and disconnecting: welcome after linking, /logout, no access.

Pure renderers; names are escaped here.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, ReplyKeyboardRemove

from bot.callbacks import LogoutCb
from bot.i18n import Translator
from bot.views.common import Screen, esc, keyboard
from core.domain.invites import Purpose
from core.services.linking import Linked


def linked(result: Linked, t: Translator) -> Screen:
    """The account is connected (or was already): to whom, and what a carer may see.

    It also takes away the "share my phone number" keyboard.
    """
    name = esc(result.identity.person.full_name.strip())
    lines = [t("onboarding.again" if result.again else "onboarding.linked", name=name)]
    if result.purpose is Purpose.CAREGIVER:
        names = ", ".join(esc(p.given_name) for p in result.pupils)
        lines.append(t("onboarding.carer", names=names))
    return Screen("\n\n".join(lines), ReplyKeyboardRemove(remove_keyboard=True))


def logout_question(t: Translator) -> Screen:
    """Are you sure? Unlinking ends this account's access until a new invitation."""
    rows = [
        [
            InlineKeyboardButton(
                text=t("logout.yes"), callback_data=LogoutCb(answer="yes").pack()
            ),
            InlineKeyboardButton(text=t("logout.no"), callback_data=LogoutCb(answer="no").pack()),
        ]
    ]
    return Screen(t("logout.question"), keyboard(rows))


def logged_out(t: Translator) -> Screen:
    """Disconnected."""
    return Screen(t("logout.done"))


def logout_kept(t: Translator) -> Screen:
    """Nothing changed."""
    return Screen(t("logout.kept"))


def not_linked(t: Translator) -> Screen:
    """/logout from an account that is not connected."""
    return Screen(t("logout.not_linked"))


def no_access(t: Translator) -> Screen:
    """A deactivated person: no data, no menu, only what to do."""
    return Screen(t("access.ended"))
