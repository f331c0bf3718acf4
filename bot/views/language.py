"""Owns the language screens: the picker, the confirmation and the note for unlinked users."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton

from bot.callbacks import Language, LanguageCb
from bot.i18n import Translator
from bot.views.common import Screen, keyboard

# Each language is named in itself, so anyone can find theirs.
LANGUAGE_NAMES: dict[Language, str] = {"lv": "Latviešu", "en": "English", "ru": "Русский"}


def picker(t: Translator) -> Screen:
    """The question and one button per language (the current one marked)."""
    row = [
        InlineKeyboardButton(
            text=("✓ " if code == t.lang else "") + name,
            callback_data=LanguageCb(language=code).pack(),
        )
        for code, name in LANGUAGE_NAMES.items()
    ]
    return Screen(t("language.choose"), keyboard([row]))


def changed(t: Translator) -> Screen:
    """Confirmation, already in the new language."""
    return Screen(t("language.changed"))


def unlinked(t: Translator) -> Screen:
    """Before connecting, the bot follows the language of the Telegram app."""
    return Screen(t("language.unlinked"))
