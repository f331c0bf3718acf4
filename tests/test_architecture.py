"""The layering and the catalogs, checked on every test run (make lint checks imports too)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.i18n import LANGUAGES, Catalogs

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = ("aiogram", "telegram", "apscheduler", "bot", "notifications", "sandbox")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(package: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.name} imports {module}"
        for path in sorted(package.rglob("*.py"))
        for module in sorted(imported_modules(path))
        if module.split(".")[0] in forbidden
    ]


def test_core_imports_no_telegram_scheduler_or_outer_package() -> None:
    assert violations(ROOT / "core", FORBIDDEN_IN_CORE) == []


def test_the_scan_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "pkg"
    bad.mkdir()
    (bad / "x.py").write_text("from aiogram import Bot\nimport apscheduler.schedulers\n")
    assert len(violations(bad, FORBIDDEN_IN_CORE)) == 2


def test_domain_uses_only_the_standard_library_and_core_errors() -> None:
    allowed_first = {"core"}
    for path in sorted((ROOT / "core" / "domain").rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in allowed_first:
                assert module.startswith(("core.domain", "core.errors")), f"{path}: {module}"
            else:
                assert top in _stdlib(), f"{path} imports {module}"


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names) | {"__future__"}


def test_import_linter_contracts_name_the_forbidden_packages() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    contract = text.split('source_modules = ["core"]', 1)[1].split("\n", 2)[1]
    for name in ("aiogram", "telegram", "apscheduler", "bot", "notifications"):
        assert f'"{name}"' in contract


KEY_CALL = re.compile(
    r"(?:NotFound|NotAllowed|InvalidInput|InvalidMark|Conflict|DomainError|say|\.t)\(\s*\"([a-z_]+\.[a-z_.]+)\""
)


def keys_used_in(*folders: str) -> set[str]:
    keys: set[str] = set()
    for folder in folders:
        base = ROOT / folder
        paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in paths:
            keys.update(KEY_CALL.findall(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_core_message_key_has_text_in_every_language(lang: str) -> None:
    catalogs = Catalogs.load()
    used = keys_used_in("core/services", "core/cli.py", "core/config.py", "core/storage")
    assert used, "the key scan found nothing: the pattern is broken"
    missing = sorted(key for key in used if not catalogs.has(key, lang))
    assert missing == []


def test_no_key_is_defined_in_two_catalog_files() -> None:
    for lang in LANGUAGES:
        seen: dict[str, str] = {}
        for po in sorted((ROOT / "core" / "locales" / lang / "LC_MESSAGES").glob("*.po")):
            for key in re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), re.M):
                assert key not in seen, f"{lang}: {key} in {seen.get(key)} and {po.name}"
                seen[key] = po.name
