"""``ejournal import timetable``: a preview by default, ``--apply`` to import it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "docs" / "samples"
FIXTURES = ROOT / "tests" / "core" / "imports" / "fixtures"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_preview_then_apply_then_nothing_to_change(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", empty_database_url)
    assert run("db", "upgrade")[0] == 0
    assert run("school", "create", "--code", "rvs", "--name", "Rīgas pamatskola")[0] == 0
    assert run("import", "people", str(SAMPLES / "people.csv"), "--school", "rvs")[0] == 0
    sample = str(SAMPLES / "timetable.csv")

    code, out = run("--lang", "en", "import", "timetable", sample, "--school", "rvs")
    assert code == 1
    assert "preview (nothing changed yet)" in out
    assert "It cannot be imported yet" in out
    assert "Subject “Matemātika” is not in the journal." in out

    code, out = run("--lang", "en", "import", "timetable", sample, "--school", "rvs", "--apply")
    assert code == 2
    assert "Nothing was changed." in out

    code, out = run(
        "--lang",
        "en",
        "import",
        "timetable",
        sample,
        "--school",
        "rvs",
        "--create-subjects",
        "--apply",
    )
    assert code == 0
    assert "Timetable for semester 1 imported:" in out
    assert "Timetable slots: 18 (18 new, 0 removed)." in out
    assert "New journals (" in out

    code, out = run(
        "--lang",
        "lv",
        "import",
        "timetable",
        str(SAMPLES / "timetable.xlsx"),
        "--school",
        "rvs",
        "--create-subjects",
    )
    assert code == 0
    assert "Saraksts jau sakrīt ar failu" in out


def test_a_bad_file_is_reported_and_refused(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", empty_database_url)
    assert run("db", "upgrade")[0] == 0
    assert run("school", "create", "--code", "rvs", "--name", "Rīgas pamatskola")[0] == 0
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "x">]><t>&a;</t>')
    code, out = run("--lang", "en", "import", "timetable", str(bomb), "--school", "rvs")
    assert code == 2
    assert "DOCTYPE" in out
    code, _ = run("import", "timetable", str(tmp_path / "missing.xml"), "--school", "rvs")
    assert code == 2
