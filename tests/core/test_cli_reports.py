"""The console's report commands: journal, attendance, statistics, report cards, journal ids."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from pathlib import Path

import pytest

from core.bootstrap import Core
from core.cli import Console, build_parser
from core.cli_reports import ProgressBar
from core.errors import InvalidInput
from core.storage import tables as t
from tests.builders import World, build_world
from tests.reportkit import fill_journal, flat, pdf_text, rows, workbook


async def run(core: Core, *argv: str) -> tuple[int, str]:
    """One console command on the test's core (its database and FakeClock), in English."""
    args = build_parser().parse_args(["--lang", "en", *argv])
    out = io.StringIO()
    console = Console(core.settings, "en", out)
    console._core = core  # the test owns the core and closes it
    code = await args.handler(console, args)
    return code, out.getvalue()


@pytest.fixture
async def world(core: Core) -> World:
    world = await build_world(core)
    await fill_journal(core, world)
    return world


async def test_groups_then_a_journal_as_xlsx_and_as_pdf(
    core: Core, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, listing = await run(core, "report", "groups", "--school", "alfa", "--class", "5.a")
    assert code == 0
    assert listing == f"{world.a.math_group}\t5.a Matemātika\n"

    out = tmp_path / "journal.xlsx"
    code, text = await run(
        core, "report", "journal", "--group", str(world.a.math_group),
        "--from", "2026-09-01", "--to", "2026-11-27", "--out", str(out),
    )  # fmt: skip
    assert (code, text) == (0, f"Written: {out}\n")
    sheet = workbook(out.read_bytes())["Vērtējumi"]  # the school's language
    dates = [c.value.date() for c in sheet[1] if isinstance(c.value, datetime)]
    assert len(dates) == 4
    values = {row[1]: row[2:6] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert values == {
        "Alfa-Bērziņš Jānis": (8, 9, 2, 7),
        "Alfa-Kalniņa Anna": (6, "nv", None, 5),
    }
    assert "Preparing [" in capsys.readouterr().err  # the progress bar on stderr

    pdf = tmp_path / "journal.pdf"
    code, _ = await run(
        core, "report", "journal", "--group", str(world.a.math_group), "--term", "1",
        "--out", str(pdf),
    )  # fmt: skip
    assert code == 0
    assert "Periods: 01.09.2026–27.11.2026" in flat(pdf_text(pdf.read_bytes()))
    with pytest.raises(InvalidInput) as later:
        await run(core, "report", "journal", "--group", str(world.a.math_group), "--term", "2")
    assert later.value.key == "reports.period_unknown"


async def test_attendance_of_a_month_and_a_badly_written_month(
    core: Core, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "month.pdf"
    code, text = await run(
        core, "report", "attendance", "--school", "alfa", "--class", "5.a",
        "--month", "2026-11", "--out", str(out),
    )  # fmt: skip
    assert (code, text) == (0, f"Written: {out}\n")
    assert "Kavējumu pārskats: 5.a, novembris 2026" in flat(pdf_text(out.read_bytes()))

    code, text = await run(
        core, "report", "attendance", "--school", "alfa", "--class", "5.a", "--month", "11.2026"
    )
    assert code == 2
    assert "YYYY-MM" in text


async def test_statistics_with_a_default_file_name(
    core: Core, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, text = await run(core, "report", "stats", "--school", "alfa", "--format", "xlsx")
    assert code == 0
    [written] = await asyncio.to_thread(lambda: list(tmp_path.glob("*.xlsx")))
    assert written.name == "statistika-alfa-2026-09-01-2026-11-27.xlsx"
    assert text == f"Written: {written.name}\n"
    sheet = workbook(written.read_bytes())["10 ballu skala"]
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert row[:2] == ("5.a", "Matemātika")
    assert row[-1] == 7.0

    with pytest.raises(InvalidInput) as which:  # two schools in the database
        await run(core, "report", "stats")
    assert which.value.key == "reports.cli.school_required"
    code, text = await run(
        core, "report", "stats", "--school", "alfa", "--out", str(tmp_path / "no" / "s.pdf")
    )
    assert code == 2
    assert "does not exist" in text


async def test_report_cards_written_and_sent(core: Core, world: World, tmp_path: Path) -> None:
    out = tmp_path / "cards.pdf"
    code, text = await run(
        core, "report", "cards", "--school", "alfa", "--class", "5.a", "--out", str(out)
    )
    assert (code, text) == (0, f"Wrote 2 report cards: {out}\n")
    pages = pdf_text(out.read_bytes())
    assert pages.count("LIECĪBA") == 2
    assert await rows(core, t.DomainEvent, kind="report_card.issued") == []

    code, text = await run(
        core, "report", "cards", "--school", "alfa", "--class", "5.a", "--out", str(out), "--send"
    )
    assert code == 0
    assert "Pupils: 2; parents connected to the bot: 0 of 2" in text
    events = await rows(core, t.DomainEvent, kind="report_card.issued")
    assert {e.payload["pupil_id"] for e in events} == {world.a.pupil_5a, world.a.pupil_5a_second}


def test_the_progress_bar_draws_quarters_on_a_pipe() -> None:
    stream = io.StringIO()
    bar = ProgressBar("Gatavo", stream)
    for done in range(9):
        bar(done, 8)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Gatavo [..............................]   0% (0/8)"
    assert lines[-1] == "Gatavo [##############################] 100% (8/8)"
    assert len(lines) == 5  # 0, 25, 50, 75 and 100 percent
