"""Acceptance (issue 11, retention): the console lists what has expired, refuses a school year
without a verified archive (nothing changes), and after ``archive create`` and ``archive verify``
deletes the year's expired rows and keeps the rest — ``ejournal`` as an admin runs it."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.archive import documents
from core.cli import main
from core.storage import tables as t
from core.storage.database import create_engine

pytestmark = pytest.mark.e2e

# The console runs on the system clock: a demo school seeded three school years ago (that year
# ended on 1 September two years ago). With attendance kept one year it has expired; marks (ten
# years) and the audit log (five) have not.
_THIS_YEAR = datetime.now(UTC).year
OLD_DAY = date(_THIS_YEAR - 3, 11, 27)
YEAR = f"{_THIS_YEAR - 3}/{_THIS_YEAR - 2}"


def counts(database_url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                found = {}
                for name, table in (
                    ("attendance", t.Attendance),
                    ("absence_notes", t.AbsenceNote),
                    ("marks", t.Mark),
                    ("lessons", t.Lesson),
                    ("persons", t.Person),
                    ("audit_log", t.AuditEntry),
                ):
                    found[name] = int(
                        await conn.scalar(select(func.count()).select_from(table)) or 0
                    )
                return found
        finally:
            await engine.dispose()

    return asyncio.run(read())


def console(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--lang", "en", *argv], out=out)
    return code, out.getvalue()


def test_retention_lists_refuses_without_an_archive_then_deletes_only_what_expired(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", database_url)
    monkeypatch.setenv("EJOURNAL_RETENTION__ATTENDANCE_YEARS", "1")
    monkeypatch.setattr(documents, "PRODUCERS", {})  # the archive's PDFs are not the point here
    seed = ["seed-demo", "--classes-per-grade", "1", "--pupils-per-class", "4"]
    assert main([*seed, "--today", OLD_DAY.isoformat()], out=io.StringIO()) == 0
    before = counts(database_url)
    assert before["attendance"] > 0
    assert before["marks"] > 0

    # The dry run lists the year's expired attendance and says the archive is missing.
    code, text = console("retention", "run", "--dry-run")
    assert code == 0
    [line] = [row for row in text.splitlines() if row.startswith("demo1")]
    assert "refused: no verified archive" in line
    assert str(before["attendance"] + before["absence_notes"]) in line.split()
    assert counts(database_url) == before

    # A real run refuses the year: a clear message, nothing of it changed.
    code, text = console("retention", "run")
    assert code == 1
    assert f"has no verified archive of the school year {YEAR}" in text
    after = counts(database_url)
    assert after["attendance"] == before["attendance"]
    assert after["marks"] == before["marks"]

    # Archive the year and verify the archive: now the expired rows go, the rest stays.
    code, text = console("archive", "create", "--year", YEAR, "--out", "cd")
    assert code == 0, text
    [archive] = list((tmp_path / "cd").glob("*.zip"))
    code, text = console("archive", "verify", str(archive))
    assert code == 0
    assert f"Verification noted in the database: school demo1, school year {YEAR}" in text

    code, text = console("retention", "run")
    assert code == 0, text
    [line] = [row for row in text.splitlines() if row.startswith("demo1")]
    assert line.endswith("deleted")
    after = counts(database_url)
    assert after["attendance"] == 0
    assert after["absence_notes"] == 0
    assert after["marks"] == before["marks"]
    assert after["lessons"] == before["lessons"]
    assert after["persons"] == before["persons"]

    code, text = console("retention", "run", "--dry-run")
    assert code == 0
    assert "No school year holds data past its retention period." in text
