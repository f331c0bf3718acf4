"""The console's audit trail and lawful disclosure: ``ejournal audit``, ``disclose [list]``."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.bootstrap import Core
from core.cli import Console, build_parser
from core.clock import FakeClock
from core.errors import InvalidInput, NotFound
from core.services.marks import pupil_marks
from tests.builders import World, build_world, viewer


async def run(core: Core, *argv: str, lang: str = "en") -> tuple[int, str]:
    """One console command on the test's core (its database and FakeClock)."""
    args = build_parser().parse_args(["--lang", lang, *argv])
    out = io.StringIO()
    console = Console(core.settings, lang, out)
    console._core = core  # the test owns the core and closes it
    code = await args.handler(console, args)
    return code, out.getvalue()


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def test_audit_lists_staff_reads_with_localized_headers_and_pages(
    core: Core, world: World, clock: FakeClock
) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    for minute in (0, 1, 2):
        clock.set(datetime(2026, 11, 27, 8, minute, tzinfo=UTC))
        await pupil_marks(core.uow(), teacher, pupil_id=world.a.pupil_5a)
    pupil = str(world.a.pupil_5a)

    code, text = await run(core, "audit", "--person", pupil, "--action", "read.", "--limit", "2")
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "Time\tWho\tRole\tSchool\tAction\tEntity\tAbout"
    assert lines[1].split("\t") == [
        "2026-11-27T08:02:00+00:00",
        f"Māra Alfa-Matemātiķe (#{world.a.math_teacher})",
        "class teacher",
        "alfa",
        "read.marks",
        f"pupil #{pupil}",
        f"Jānis Alfa-Bērziņš (#{pupil})",
    ]
    assert lines[3:] == ["Entries 1–2 of 3.", "Next page: --offset 2"]

    code, text = await run(
        core, "audit", "--person", pupil, "--action", "read.", "--offset", "2", lang="lv"
    )
    assert text.splitlines()[0] == "Laiks\tKas\tLoma\tSkola\tDarbība\tObjekts\tPar personu"
    assert "2026-11-27T08:00:00+00:00" in text
    assert text.splitlines()[-1] == "Ieraksti 3–3 no 3."

    code, text = await run(core, "audit", "--actor", str(world.a.math_teacher), "--json")
    body = json.loads(text)
    assert body["total"] == 3
    assert {e["action"] for e in body["entries"]} == {"read.marks"}
    assert body["entries"][0]["person_id"] == world.a.pupil_5a

    code, text = await run(core, "audit", "--school", "beta", "--action", "read.")
    assert (code, text) == (0, "No audit entries match.\n")


async def test_audit_refuses_bad_input(core: Core, world: World) -> None:
    with pytest.raises(InvalidInput) as bad_date:
        await run(core, "audit", "--since", "27.11.2026")
    assert bad_date.value.key == "audit.since_invalid"
    with pytest.raises(InvalidInput):
        await run(core, "audit", "--limit", "0")
    with pytest.raises(NotFound):
        await run(core, "audit", "--school", "nosuch")
    with pytest.raises(SystemExit):  # about a person or by an actor, not both
        build_parser().parse_args(["audit", "--person", "1", "--actor", "2"])


async def test_disclose_writes_the_zip_records_and_lists_it(
    core: Core, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "janis.zip"
    code, text = await run(
        core, "disclose", "--person", str(world.a.pupil_5a),
        "--basis", "Kriminālprocesa likums, 190. pants", "--requester", "Valsts policija",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert text.startswith("Disclosure no. 1 recorded: Jānis Alfa-Bērziņš, ")
    assert str(out) in text
    files = zipfile.ZipFile(out)
    assert "data/persons.json" in files.namelist()
    summary = json.loads(files.read("disclosure.json"))
    assert summary["requester"] == "Valsts policija"

    code, text = await run(core, "disclose", "list")
    lines = text.splitlines()
    assert lines[0] == "No.\tTime\tPerson\tLegal basis\tRequester\tFile\tSHA-256"
    assert lines[1].split("\t")[:6] == [
        "1",
        "2026-11-27T08:00:00+00:00",
        f"Jānis Alfa-Bērziņš (#{world.a.pupil_5a})",
        "Kriminālprocesa likums, 190. pants",
        "Valsts policija",
        "janis.zip",
    ]
    code, text = await run(core, "disclose", "list", "--school", "beta", "--json")
    assert json.loads(text) == []
    code, text = await run(core, "disclose", "list", "--school", "alfa", "--json")
    assert [row["person_id"] for row in json.loads(text)] == [world.a.pupil_5a]

    code, text = await run(core, "audit", "--action", "disclosure.", "--json")
    assert [e["person_id"] for e in json.loads(text)["entries"]] == [world.a.pupil_5a]


async def test_disclose_refuses_bad_input_and_records_nothing(
    core: Core, world: World, tmp_path: Path
) -> None:
    taken = tmp_path / "taken.zip"
    taken.write_bytes(b"keep")
    person = str(world.a.pupil_5a)
    fresh = str(tmp_path / "a.zip")
    full = ["--basis", "B", "--requester", "R"]
    cases = [
        ([*full, "--out", fresh], "disclosure.person_required"),
        (["--person", person, "--requester", "R", "--out", fresh], "disclosure.cli.arguments"),
        (["--person", person, *full, "--out", str(taken)], "disclosure.out_exists"),
        (["--person", person, *full, "--out", str(tmp_path / "no" / "a.zip")],
         "disclosure.out_folder_missing"),
        (["--person", person, "--basis", " ", "--requester", "R", "--out", fresh],
         "disclosure.basis_required"),
    ]  # fmt: skip
    for argv, key in cases:
        with pytest.raises(InvalidInput) as refused:
            await run(core, "disclose", *argv)
        assert refused.value.key == key
    with pytest.raises(NotFound):
        await run(
            core, "disclose", "--personal-code", "000000-00000", "--basis", "B",
            "--requester", "R", "--out", str(tmp_path / "a.zip"),
        )  # fmt: skip
    assert taken.read_bytes() == b"keep"
    assert not (tmp_path / "a.zip").exists()
    code, text = await run(core, "disclose", "list")
    assert (code, text) == (0, "No data has been disclosed.\n")
