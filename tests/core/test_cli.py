"""The ejournal console as an admin uses it: schema, schools, policy, config, in their language."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.cli import main

# The newest migration (the schema's head revision): "0003" from "0003_group_lists.py".
_VERSIONS = Path(__file__).parents[2] / "core" / "storage" / "migrations" / "versions"
HEAD = max(path.name[:4] for path in _VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_db_upgrade_creates_the_schema_on_an_empty_database(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", empty_database_url)
    code, out = run("--lang", "en", "db", "current")
    assert (code, out.strip()) == (0, "Database schema revision: -")
    code, out = run("--lang", "en", "db", "upgrade")
    assert code == 0
    assert f"revision {HEAD}" in out
    code, out = run("--lang", "en", "db", "current")
    assert out.strip() == f"Database schema revision: {HEAD}"
    code, out = run("--lang", "en", "db", "downgrade", "--revision", "base")
    assert code == 0
    code, out = run("--lang", "en", "db", "current")
    assert out.strip() == "Database schema revision: -"


def test_commands_refuse_an_uninitialized_database(
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", empty_database_url)
    code, _ = run("stats", "--json")
    assert code == 2
    assert "ejournal db upgrade" in capsys.readouterr().err


def test_school_create_list_and_policy(
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", empty_database_url)
    assert run("db", "upgrade")[0] == 0
    code, out = run("school", "create", "--code", "rvs", "--name", "Rīgas Valsts pamatskola")
    assert code == 0
    assert "Rīgas Valsts pamatskola" in out  # Latvian by default
    assert run("school", "list")[1].strip() == "rvs\tRīgas Valsts pamatskola"
    code, _ = run("school", "create", "--code", "rvs", "--name", "Cita")
    assert code == 2
    assert "rvs" in capsys.readouterr().err

    code, out = run("--lang", "en", "school", "policy", "--school", "rvs")
    assert "default rules" in out
    code, out = run(
        "--lang",
        "en",
        "school",
        "policy",
        "--school",
        "rvs",
        "--file",
        str(ROOT / "docs/samples/policy.toml"),
    )
    assert code == 0
    shown = json.loads(out[out.index("{") :])
    assert shown["unjustified_threshold"] == 20
    assert shown["scale_rules"][2] == {"scale": "pass_fail", "grades": [4, 9], "subjects": ["SP"]}

    bad = tmp_path / "bad.toml"
    bad.write_text('absence_codes = [{ code = "nv", lv = "x", en = "x", ru = "x" }]\n')
    code, _ = run("--lang", "en", "school", "policy", "--school", "rvs", "--file", str(bad))
    assert code == 2
    code, out = run("school", "policy", "--school", "rvs")
    assert json.loads(out[out.index("{") :])["unjustified_threshold"] == 20  # unchanged


def test_config_check_prints_effective_settings_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__PASSWORD", "very-secret-pw")
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", "postgresql+asyncpg://journal:inline-pw@db/x")
    code, out = run("--lang", "en", "config", "check")
    assert code == 0
    assert "very-secret-pw" not in out
    assert "inline-pw" not in out
    settings = json.loads(out[out.index("{") :])
    assert settings["school"]["time_zone"] == "Europe/Riga"


def test_bad_config_is_reported_in_latvian(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[school]\nlocale = "de"\n')
    code, _ = run("config", "check")
    assert code == 2
    assert "Konfigurācija" in capsys.readouterr().err


def test_import_people_from_the_console(
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", empty_database_url)
    samples = ROOT / "docs" / "samples"
    assert run("db", "upgrade")[0] == 0
    assert run("school", "create", "--code", "rvs", "--name", "Rīgas pamatskola")[0] == 0

    code, out = run(
        "--lang", "en", "import", "people", str(samples / "people-bad.csv"), "--school", "rvs"
    )
    assert code == 2
    assert "1 problems found. Nothing was changed." in out
    assert "Row 17" in out
    assert "phone" in out

    code, out = run(
        "--lang",
        "en",
        "import",
        "people",
        str(samples / "people.csv"),
        "--school",
        "rvs",
        "--dry-run",
    )
    assert code == 0
    assert "Pupils: created 6, updated 0, unchanged 0" in out
    code, out = run("stats", "--json")
    assert json.loads(out)["pupils"] == 0  # the dry run wrote nothing

    code, out = run(
        "--lang", "en", "import", "people", str(samples / "people.xlsx"), "--school", "rvs"
    )
    assert code == 0
    assert "Parents: created 5, updated 0, unchanged 0" in out
    code, out = run(
        "--lang", "en", "import", "people", str(samples / "people.csv"), "--school", "rvs"
    )
    assert "Pupils: created 0, updated 0, unchanged 6" in out
    counts = json.loads(run("stats", "--json")[1])
    assert (counts["pupils"], counts["guardians"], counts["staff"], counts["classes"]) == (
        6,
        5,
        5,
        2,
    )

    code, _ = run("import", "people", str(tmp_path / "missing.csv"), "--school", "rvs")
    assert code == 2


def test_seed_demo_then_stats_twice_into_fresh_databases(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    results = []
    for url in (empty_database_url, f"sqlite+aiosqlite:///{tmp_path / 'second.sqlite3'}"):
        monkeypatch.setenv("EJOURNAL_DATABASE__URL", url)
        code, _ = run("seed-demo", "--seed", "1", "--today", "2026-11-27")
        assert code == 0
        code, out = run("stats", "--json")
        assert code == 0
        results.append(json.loads(out))
    first, second = results
    assert first == second
    assert first["schools"] == 1
    assert first["classes"] >= 18
    assert first["pupils"] >= 350
    assert first["guardians"] >= 500
    assert first["staff"] >= 30
    assert first["marks"] > 0
    assert first["attendance_records"] > 0
    # September to late November: well over a month of lessons (18 classes, 4+ a day).
    assert first["lessons"] >= 18 * 4 * 20
