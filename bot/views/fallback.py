"""Owns the answers to anything the bot does not understand: a short hint and stale buttons."""

from __future__ import annotations

from bot.i18n import Translator
from bot.views.common import Screen


def hint(t: Translator) -> Screen:
    """Anything else typed: point to /help."""
    return Screen(t("fallback.hint"))


def stale_button(t: Translator) -> Screen:
    """A button the bot no longer knows (an old message, or a forged payload)."""
    return Screen(t("fallback.stale_button"))
