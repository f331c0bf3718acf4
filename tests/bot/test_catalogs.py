"""Every message key the bot uses has text in lv, en and ru; bot keys do not shadow core's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import BOT_LOCALES, load_catalogs
from core.i18n import CORE_LOCALES, LANGUAGES, Catalogs

BOT = Path(__file__).resolve().parents[2] / "bot"
KEY = re.compile(r"[a-z_]+(\.[a-z0-9_]+)+")


def po_keys(root: Path, lang: str) -> set[str]:
    keys: set[str] = set()
    for po in sorted((root / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            keys |= {m.id for m in read_po(fh) if m.id and isinstance(m.id, str)}
    return keys


def namespaces() -> set[str]:
    every = po_keys(BOT_LOCALES, "lv") | po_keys(CORE_LOCALES, "lv")
    return {key.split(".", 1)[0] for key in every}


def keys_used_in_bot() -> set[str]:
    """String constants in bot/ shaped like a key of a known namespace (calls, maps, tuples)."""
    known = namespaces()
    used: set[str] = set()
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY.fullmatch(node.value)
                and node.value.split(".", 1)[0] in known
            ):
                used.add(node.value)
    return used


def test_the_scan_finds_keys() -> None:
    used = keys_used_in_bot()
    assert {"start.greeting", "role.class_teacher", "command.marks", "run.token_missing"} <= used


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_in_the_bot_has_text(lang: str) -> None:
    catalogs = load_catalogs()
    missing = sorted(key for key in keys_used_in_bot() if not catalogs.has(key, lang))
    assert missing == []


def test_the_three_bot_catalogs_have_the_same_keys() -> None:
    lv, en, ru = (po_keys(BOT_LOCALES, lang) for lang in LANGUAGES)
    assert lv == en == ru


def test_bot_keys_do_not_redefine_core_keys() -> None:
    assert po_keys(BOT_LOCALES, "lv") & po_keys(CORE_LOCALES, "lv") == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bot_texts_keep_their_placeholders(lang: str) -> None:
    catalogs = Catalogs.load(BOT_LOCALES)
    for key in po_keys(BOT_LOCALES, "lv"):
        wanted = set(re.findall(r"\{(\w+)\}", catalogs.text(key, "lv")))
        assert set(re.findall(r"\{(\w+)\}", catalogs.text(key, lang))) == wanted, key


def test_latvian_texts_use_diacritics() -> None:
    catalogs = Catalogs.load(BOT_LOCALES)
    assert "ā" in catalogs.text("start.unlinked.title", "lv")
    assert "ё" in catalogs.text("language.changed", "ru") or "ь" in catalogs.text(
        "language.changed", "ru"
    )
