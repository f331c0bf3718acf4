"""Owns the bot's text: loading core + bot catalogs, choosing a language, the ``t`` callable.

Catalogs are gettext ``.po`` files (msgid = stable key) read by ``core.i18n.Catalogs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.i18n import CORE_LOCALES, DEFAULT_LANGUAGE, LANGUAGES, Catalogs

BOT_LOCALES = Path(__file__).with_name("locales")


def load_catalogs() -> Catalogs:
    """Core messages (domain errors) and the bot's own, every language."""
    return Catalogs.load(CORE_LOCALES, BOT_LOCALES)


def supported(language_code: str | None) -> str | None:
    """Our language for a Telegram ``language_code`` ("en-GB" → "en"), or None."""
    if not language_code:
        return None
    base = language_code.split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def reply_language(account_language: str | None, client_language: str | None) -> str:
    """The account's language, else the Telegram client's if we speak it, else Latvian."""
    return supported(account_language) or supported(client_language) or DEFAULT_LANGUAGE


class Translator:
    """``t(key, **params)``: localized text in one language (Latvian when a key is missing)."""

    __slots__ = ("catalogs", "lang")

    def __init__(self, catalogs: Catalogs, lang: str) -> None:
        self.catalogs = catalogs
        self.lang = lang

    def __call__(self, key: str, /, **params: Any) -> str:
        """The text for ``key`` with ``params`` filled in."""
        return self.catalogs.text(key, self.lang, **params)

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"
