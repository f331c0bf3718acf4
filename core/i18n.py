"""Localized text by stable key, read from gettext ``.po`` catalogs (one file per area).

Catalogs live in ``<package>/locales/<lang>/LC_MESSAGES/*.po``; the msgid is the stable key
(``mark.invalid_value``) and the msgstr is the text with ``{name}`` placeholders. Babel reads them,
so no compile step is needed. Latvian is the fallback when a key is missing in another language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("lv", "en", "ru")
DEFAULT_LANGUAGE = "lv"
CORE_LOCALES = Path(__file__).with_name("locales")


class _SafeParams(dict[str, Any]):
    """Leaves unknown placeholders visible instead of raising while formatting."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalogs:
    """All messages of all languages, loaded once at start-up."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self._messages = {lang: dict(m) for lang, m in messages.items()}

    @classmethod
    def load(cls, *roots: Path) -> Catalogs:
        """Read every ``*.po`` under ``root/<lang>/LC_MESSAGES`` for each root, in order."""
        messages: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for root in roots or (CORE_LOCALES,):
            for lang in LANGUAGES:
                folder = root / lang / "LC_MESSAGES"
                for po in sorted(folder.glob("*.po")) if folder.is_dir() else ():
                    with po.open("rb") as fh:
                        catalog = read_po(fh, locale=lang)
                    for message in catalog:
                        if message.id and message.string and isinstance(message.id, str):
                            messages[lang][message.id] = str(message.string)
        return cls(messages)

    def keys(self, lang: str) -> set[str]:
        """Every key the language has text for."""
        return set(self._messages.get(lang, {}))

    def has(self, key: str, lang: str) -> bool:
        """Whether the language itself (not the fallback) has the key."""
        return key in self._messages.get(lang, {})

    def text(self, key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
        """The text for ``key`` in ``lang`` (Latvian if missing), placeholders filled."""
        template = self._messages.get(lang, {}).get(key)
        if template is None:
            template = self._messages[DEFAULT_LANGUAGE].get(key, key)
        return template.format_map(_SafeParams(params))

    def languages(self) -> Iterable[str]:
        """The languages loaded."""
        return self._messages.keys()
