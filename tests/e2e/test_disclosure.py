"""Lawful disclosure end to end: the console exports a pupil's data and records it, the register
lists it, and the parent sees it (and a teacher's read) in "👁 Kas skatīja datus" in the real bot
through the sandbox."""

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
from core.services.marks import create_assessment, pupil_marks, record_marks
from sandbox.server import RunningSandbox
from tests.builders import World, viewer
from tests.e2e.conftest import PARENT
from tests.e2e.running import exchange, press

pytestmark = pytest.mark.e2e


async def console(core: Core, *argv: str) -> tuple[int, str]:
    """One ``ejournal`` command on the test's database, in Latvian (the school's language)."""
    args = build_parser().parse_args(["--lang", "lv", *argv])
    out = io.StringIO()
    running = Console(core.settings, "lv", out)
    running._core = core  # the test owns the core
    code = await args.handler(running, args)
    return code, out.getvalue()


@pytest.mark.usefixtures("running_bot")
async def test_console_disclosure_is_listed_and_shown_to_the_parent(
    core: Core, clock: FakeClock, sandbox: RunningSandbox, world: World, tmp_path: Path
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))  # 09:00 in Riga
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=clock.now().date(), title="Daļskaitļi"
    )
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "8"})
    clock.set(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))  # 10:30: the teacher opens his marks
    await pupil_marks(core.uow(), teacher, pupil_id=a.pupil_5a)

    clock.set(datetime(2026, 11, 27, 9, 15, tzinfo=UTC))  # 11:15: the disclosure
    out = tmp_path / "berzins.zip"
    code, text = await console(
        core, "disclose", "--person", str(a.pupil_5a),
        "--basis", "Kriminālprocesa likuma 190. pants", "--requester", "Valsts policija, lieta 11",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert text.startswith("Izpaušana Nr. 1 reģistrēta: Jānis Alfa-Bērziņš, ")

    files = zipfile.ZipFile(out)
    person = json.loads(files.read("data/persons.json"))
    assert [(p["given_name"], p["family_name"]) for p in person] == [("Jānis", "Alfa-Bērziņš")]
    marks = json.loads(files.read("data/marks.json"))
    assert [(m["pupil_id"], m["value"]) for m in marks] == [(a.pupil_5a, "8")]
    enrolments = json.loads(files.read("data/enrolments.json"))
    assert [e["class_id"] for e in enrolments] == [a.class_5a]
    summary = json.loads(files.read("disclosure.json"))
    assert summary["basis"] == "Kriminālprocesa likuma 190. pants"

    code, listing = await console(core, "disclose", "list", "--school", "alfa")
    [header, row] = listing.splitlines()
    assert header.startswith("Nr.\tLaiks\tPersona\tTiesiskais pamats")
    assert row.split("\t")[1:5] == [
        "2026-11-27T11:15:00+02:00",
        f"Jānis Alfa-Bērziņš (#{a.pupil_5a})",
        "Kriminālprocesa likuma 190. pants",
        "Valsts policija, lieta 11",
    ]

    client = sandbox.client
    [picker] = await exchange(client, PARENT, "/history")
    assert picker == "Kura bērna izmaiņas parādīt?"
    await press(client, PARENT, "Jānis Alfa-Bērziņš (5.a)")
    [shown] = await press(client, PARENT, "👁 Kas skatīja datus")
    assert shown["text"].splitlines() == [
        "👁 Jānis Alfa-Bērziņš (5.a) — kas skatīja datus kopš 27.11.2025",
        "",
        "27.11.2026 11:15 · skolas administrācija",
        "izpauda personas datus pēc likumīga pieprasījuma",
        "",
        "26.11.2026 10:30 · Māra Alfa-Matemātiķe (klases audzinātājs)",
        "atvēra vērtējumus",
    ]
