"""Every timetable import problem and preview key has lv/en/ru text with the same placeholders."""

from __future__ import annotations

import string

import pytest

from core.i18n import LANGUAGES, Catalogs
from core.imports import asc_xml, timetable_table
from core.services import timetable_import

KEYS = sorted(
    asc_xml.PROBLEM_KEYS
    | timetable_table.PROBLEM_KEYS
    | timetable_import.PROBLEM_KEYS
    | timetable_import.PREVIEW_KEYS
    | {timetable_import.NO_TERM}
)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", KEYS)
def test_the_key_has_text_in_every_language(key: str) -> None:
    catalogs = Catalogs.load()
    texts = {lang: catalogs.text(key, lang) for lang in LANGUAGES if catalogs.has(key, lang)}
    assert sorted(texts) == sorted(LANGUAGES)
    assert len({frozenset(placeholders(text)) for text in texts.values()}) == 1
