"""Every message key the domain rules raise has LV/EN/RU text with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import core.domain
import core.errors
from core.errors import DomainError, InvalidMark
from core.i18n import LANGUAGES, Catalogs

DOMAIN_MODULES = ("marks.py", "attendance.py", "calendar.py", "policy.py")
DOMAIN_DIR = Path(core.domain.__file__).parent
CATALOG = "domain.po"
KEY = re.compile(r"[a-z_]+(\.[a-z_]+)+")


def error_classes() -> dict[str, type[DomainError]]:
    return {
        name: value
        for name, value in vars(core.errors).items()
        if isinstance(value, type) and issubclass(value, DomainError)
    }


def raised_keys() -> dict[str, set[str]]:
    """Key -> the keyword parameters passed with it, from every ``SomeError("key", ...)`` call."""
    classes = error_classes()
    keys: dict[str, set[str]] = {}
    for module in DOMAIN_MODULES:
        tree = ast.parse((DOMAIN_DIR / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in classes:
                continue
            params = {kw.arg for kw in node.keywords if kw.arg is not None}
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                key = first.value
            else:
                assert first is None, f"{module}:{node.lineno}: keys must be string literals"
                key = classes[node.func.id].key
            keys.setdefault(key, set()).update(params)
    return keys


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def po_keys(lang: str) -> list[str]:
    path = Path(core.domain.__file__).parents[1] / "locales" / lang / "LC_MESSAGES" / CATALOG
    return re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_the_scan_finds_the_keys() -> None:
    keys = raised_keys()
    assert InvalidMark.key in keys
    assert keys[InvalidMark.key] == {"value", "scale", "valid"}
    assert {"attendance.codes_invalid", "note.too_long", "bells.invalid"} <= set(keys)
    assert all(KEY.fullmatch(key) for key in keys)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_raised_key_has_text(lang: str) -> None:
    catalogs = Catalogs.load()
    missing = sorted(key for key in raised_keys() if not catalogs.has(key, lang))
    assert missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_has_no_stale_or_duplicate_keys(lang: str) -> None:
    keys = po_keys(lang)
    assert len(keys) == len(set(keys))
    assert set(keys) == set(raised_keys())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_the_raised_parameters(lang: str) -> None:
    catalogs = Catalogs.load()
    for key, params in raised_keys().items():
        text = catalogs.text(key, lang)
        assert placeholders(text) <= params, (key, lang)
        if key != InvalidMark.key:  # the scale code is not worth showing to a teacher
            assert placeholders(text) == params, (key, lang)


def test_texts_differ_per_language_and_latvian_has_diacritics() -> None:
    catalogs = Catalogs.load()
    keys = raised_keys()
    for key in keys:
        texts = {lang: catalogs.text(key, lang) for lang in LANGUAGES}
        assert len(set(texts.values())) == len(LANGUAGES), key
        assert re.search("[а-яё]", texts["ru"], flags=re.IGNORECASE), key
    latvian = " ".join(catalogs.text(key, "lv") for key in keys)
    assert set("āēīūšžļņ") <= set(latvian)


def test_a_raised_error_renders_in_every_language() -> None:
    catalogs = Catalogs.load()
    from core.domain.marks import MarkScale, parse_mark

    with pytest.raises(InvalidMark) as caught:
        parse_mark(MarkScale.LEVELS, "X")
    error = caught.value
    assert catalogs.text(error.key, "lv", **error.params) == (
        "„X” nav derīgs vērtējums. Derīgās vērtības: S, T, A, P, nv."
    )
    assert catalogs.text(error.key, "en", **error.params) == (
        "“X” is not a valid mark. Valid values: S, T, A, P, nv."
    )
    assert catalogs.text(error.key, "ru", **error.params) == (
        "«X» — недопустимая оценка. Допустимые значения: S, T, A, P, nv."
    )
