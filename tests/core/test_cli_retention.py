"""``ejournal retention run``: expired data of archived school years goes; the rest stays."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.cli import Console, build_parser
from core.clock import FakeClock
from core.config import CoreSettings, RetentionSettings
from core.domain.access import Viewer
from core.errors import NotAllowed
from core.services.retention import Periods, YearOutcome, expired_kinds, run_retention
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_world, insert
from tests.reportkit import fill_journal

YEAR = "2026/2027"
# 2026/2027 ends on 1 September 2027: five years later attendance and the audit log have
# expired, marks (ten years) have not.
LATER = datetime(2032, 9, 2, 8, 0, tzinfo=UTC)


async def run(core: Core, *argv: str) -> tuple[int, str]:
    """One console command on the test's core, in English."""
    args = build_parser().parse_args(["--lang", "en", *argv])
    out = io.StringIO()
    console = Console(core.settings, "en", out)
    console._core = core
    code = await args.handler(console, args)
    return code, out.getvalue()


async def count(core: Core, table: type[t.Base], *where: object) -> int:
    async with create_session_factory(core.engine)() as session:
        query = select(func.count()).select_from(table)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def counts(core: Core) -> dict[str, int]:
    return {
        "marks": await count(core, t.Mark),
        "assessments": await count(core, t.Assessment),
        "attendance": await count(core, t.Attendance),
        "audit_named": await count(
            core,
            t.AuditEntry,
            t.AuditEntry.actor_id.is_not(None),
            ~t.AuditEntry.action.like("archive.%"),
        ),
        "deliveries": await count(core, t.Delivery),
        "link_attempts": await count(core, t.LinkAttempt),
        "persons": await count(core, t.Person),
    }


async def test_dry_run_lists_then_a_year_without_a_verified_archive_is_refused(
    core: Core, clock: FakeClock, tmp_path: Path
) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    old = clock.now() - timedelta(days=200)
    await insert(
        core,
        t.LinkAttempt(telegram_user_id=42, at=old, method="code", outcome="bad_code"),
        t.LinkAttempt(telegram_user_id=42, at=clock.now(), method="code", outcome="bad_code"),
    )
    clock.set(LATER)
    before = await counts(core)
    assert before["attendance"] > 0
    assert before["marks"] > 0
    assert before["audit_named"] > 0

    code, text = await run(core, "retention", "run", "--dry-run")
    assert code == 0
    assert "dry run" in text
    line = next(row for row in text.splitlines() if row.startswith("alfa"))
    assert YEAR in line
    assert "refused: no verified archive" in line
    cells = line.split()
    # School, year, marks (kept: 0), attendance (expired), audit (expired), ...
    assert cells[2] == "0"
    assert int(cells[3]) == before["attendance"]
    assert "Account-linking attempts past their period: 2 (would be deleted)." in text
    assert await counts(core) == before  # a dry run changes nothing

    code, text = await run(core, "retention", "run")
    assert code == 1
    assert "Refused: school alfa has no verified archive of the school year 2026/2027" in text
    after = await counts(core)
    assert after["attendance"] == before["attendance"]
    assert after["audit_named"] == before["audit_named"]
    assert after["link_attempts"] == 0  # working data needs no archive

    # Archive the year, verify it: now the year's expired data goes and the marks stay.
    code, _ = await run(core, "archive", "create", "--year", YEAR, "--school", "alfa",
                        "--out", str(tmp_path))  # fmt: skip
    assert code == 0
    [archive] = await asyncio.to_thread(lambda: list(tmp_path.glob("*.zip")))
    code, text = await run(core, "archive", "verify", str(archive))
    assert code == 0
    assert "Verification noted in the database: school alfa, school year 2026/2027" in text

    code, text = await run(core, "retention", "run")
    assert code == 0, text
    line = next(row for row in text.splitlines() if row.startswith("alfa"))
    assert line.endswith("deleted")
    after = await counts(core)
    assert after["attendance"] == 0
    assert after["marks"] == before["marks"]
    assert after["assessments"] == before["assessments"]
    assert after["audit_named"] == 0  # anonymized, not deleted
    assert await count(core, t.AuditEntry) >= before["audit_named"]
    assert after["persons"] == before["persons"]
    assert await count(core, t.AuditEntry, t.AuditEntry.action == "retention.run") == 2

    code, text = await run(core, "retention", "run", "--dry-run")
    assert code == 0
    assert not any(row.startswith("alfa") for row in text.splitlines()), text


async def test_periods_come_from_the_settings(core: Core) -> None:
    settings = CoreSettings(retention=RetentionSettings(attendance_years=1, marks_years=3))
    periods = Periods.of(settings.retention)
    assert periods.years["attendance"] == 1
    assert periods.years["marks"] == 3
    assert periods.days == {"deliveries": 90, "link_attempts": 30}

    world = await build_world(core)
    async with core.uow() as uow:
        [year] = [y for y in await uow.privacy.years() if y.school_id == world.a.school_id]
    # The year ends on 1 September 2027: one year later attendance expires, marks not.
    assert expired_kinds(year, periods, date(2028, 8, 31)) == ()
    assert expired_kinds(year, periods, date(2028, 9, 1)) == ("attendance", "mail")
    assert "marks" in expired_kinds(year, periods, date(2030, 9, 1))
    refused = YearOutcome("alfa", YEAR, {"attendance": 3}, archived=False, done=False)
    assert refused.refused
    assert not YearOutcome("alfa", YEAR, {"attendance": 0}, archived=False, done=False).refused


async def test_only_the_console_runs_retention(core: Core) -> None:
    world = await build_world(core)
    superuser = Viewer(person_id=world.a.superuser)
    with pytest.raises(NotAllowed) as raised:
        await run_retention(
            core.uow, superuser, periods=Periods.of(RetentionSettings()), dry_run=True
        )
    assert raised.value.key == "retention.console_only"
