"""The year-end archive (rule 5.3): create, verify, restore, and the acceptance of issue #9.

The acceptance: the demo school's archive verifies, restores into an empty SQLite database, and
the restored database exports byte-identical CSV files. Database tests run on SQLite and, with
EJOURNAL_TEST_DATABASE_URL set, create from PostgreSQL too (the restore target stays SQLite).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pycdlib
import pytest
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select

from core.archive import create_archive, documents, restore_archive, verify_archive
from core.archive.cli import ProgressBar
from core.archive.codec import table_kinds
from core.archive.documents import Document, DocumentContext
from core.archive.export import attachment_path
from core.archive.manifest import MANIFEST, SUMS, FileEntry, Manifest, sums_file
from core.archive.progress import Progress
from core.archive.scope import RULES, Excluded, archived_tables
from core.bootstrap import Core, build_core
from core.cli import Console, build_parser, main
from core.clock import FakeClock
from core.config import CoreSettings, DatabaseSettings
from core.domain.access import Viewer
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from core.i18n import LANGUAGES, Catalogs
from core.services import schools
from core.storage import tables as t
from core.storage.database import create_engine, create_session_factory
from tests.builders import World, build_timetable, build_world, insert

ROOT = Path(__file__).resolve().parents[3]
YEAR = "2026/2027"  # the FakeClock's school year (27 November 2026)
TODAY = date(2026, 11, 27)
RIGA = ZoneInfo("Europe/Riga")
CONSOLE = Viewer.console()


# ------------------------------------------------------------------------------- helpers


def members(archive: Path, prefix: str = "") -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zf:
        return {name: zf.read(name) for name in zf.namelist() if name.startswith(prefix)}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def restore_into(archive: Path, target: Path, clock: FakeClock) -> int:
    engine = create_engine(sqlite_url(target))
    try:
        result = await restore_archive(archive, engine, CONSOLE, clock=clock)
    finally:
        await engine.dispose()
    return result.rows


async def archive_of(url: str, clock: FakeClock, out: Path, **kwargs: Any) -> Path:
    """Create the archive of a database (not the test's own core) with the same clock."""
    other = build_core(CoreSettings(database=DatabaseSettings(url=url)), clock)
    try:
        return (await create_archive(other, CONSOLE, year=YEAR, out_dir=out, **kwargs)).zip_path
    finally:
        await other.close()


def table_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


async def row_counts(core: Core) -> dict[str, int]:
    async with core.engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in t.Base.metadata.sorted_tables
        }


def reseal(folder: Path) -> None:
    """Recompute the manifest's hashes and SHA256SUMS after a deliberate edit (tests only)."""
    manifest = Manifest.parse((folder / MANIFEST).read_bytes())
    entries = []
    for entry in manifest.files:
        if entry.path == SUMS:
            continue
        data = (folder / entry.path).read_bytes()
        entries.append(
            FileEntry(entry.path, len(data), hashlib.sha256(data).hexdigest(), entry.rows)
        )
    (folder / SUMS).write_bytes(sums_file(entries))
    sums = (folder / SUMS).read_bytes()
    entries.append(FileEntry(SUMS, len(sums), hashlib.sha256(sums).hexdigest()))
    raw = json.loads((folder / MANIFEST).read_bytes())
    raw["files"] = [
        {
            "path": e.path,
            "size": e.size,
            "sha256": e.sha256,
            **({"rows": e.rows} if e.rows is not None else {}),
        }
        for e in sorted(entries, key=lambda e: e.path)
    ]
    (folder / MANIFEST).write_text(json.dumps(raw, ensure_ascii=False, indent=2, sort_keys=True))


def unpack(archive: Path, folder: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    return folder


def listing(folder: Path) -> list[str]:
    """Everything in a folder, hidden staging folders included (nothing: no folder)."""
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def rezip(source: dict[str, bytes], target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in source.items():
            zf.writestr(name, data)
    return target


# ------------------------------------------------------------------------------- worlds


@pytest.fixture
async def demo(core: Core) -> Core:
    """The demo school, small: nine classes of five pupils, the journal up to today."""
    await schools.seed_demo(
        core.uow(),
        CONSOLE,
        classes_per_grade=1,
        pupils_per_class=5,
        zone=RIGA,
        today=TODAY,
    )
    return core


TRICKY = 'Dalīšana, "daļas"\nun reizināšana\r\n; ш ē 🙂 '
BLOB = bytes(range(256)) + b"\x00\xff end"


@pytest.fixture
async def full(core: Core, clock: FakeClock) -> World:
    """The builders' two schools with a row in every archived table of school a's year, and
    rows that must stay out: school b, an earlier year, accounts, the archive's own audit."""
    world = await build_world(core)
    await build_timetable(core, world)
    a = world.a
    now = core.clock.now()
    sessions = create_session_factory(core.engine)
    async with sessions() as session:
        term = await session.scalar(select(t.Term.id).where(t.Term.school_year_id == a.year_id))
        bells = await session.scalar(
            select(t.BellSchedule.id).where(t.BellSchedule.school_id == a.school_id)
        )
        slot = await session.scalar(
            select(t.TimetableSlot.id).where(t.TimetableSlot.school_id == a.school_id)
        )
    [photo] = await insert(
        core,
        t.StoredFile(
            school_id=a.school_id,
            filename="zīme (1)/../ārsta izziņa.jpg",
            mime_type="image/jpeg",
            size=len(BLOB),
            sha256=hashlib.sha256(BLOB).hexdigest(),
            content=BLOB,
            created_by=a.parent_5a,
            created_at=now,
        ),
    )
    [note] = await insert(
        core,
        t.AbsenceNote(
            school_id=a.school_id,
            pupil_id=a.pupil_5a,
            starts_on=date(2026, 11, 26),
            ends_on=date(2026, 11, 26),
            reason="illness",
            reason_text="",
            file_id=photo,
            channel="bot",
            submitted_by=a.parent_5a,
            submitted_at=now,
            status="approved",
            decided_by=a.math_teacher,
            decided_at=now,
            decision_reason=None,
        ),
    )
    [assessment] = await insert(
        core,
        t.Assessment(
            school_id=a.school_id,
            group_id=a.math_group,
            lesson_id=a.lesson_math,
            on_date=date(2026, 11, 26),
            title=TRICKY,
            kind="summative",
            scale="ten_point",
            created_by=a.math_teacher,
            created_at=now,
        ),
    )
    [mark] = await insert(
        core,
        t.Mark(
            school_id=a.school_id,
            assessment_id=assessment,
            pupil_id=a.pupil_5a_second,
            on_date=date(2026, 11, 26),
            status="mark",
            value="7",
            comment=None,
            recorded_by=a.math_teacher,
            recorded_at=now,
            revision=2,
        ),
    )
    [broadcast] = await insert(
        core,
        t.Broadcast(
            school_id=a.school_id,
            author_id=a.superuser,
            audience={"kind": "school", "classes": [a.class_5a]},
            text="Ekskursija uz Rundāli",
            file_id=None,
            ask_ack=True,
            urgent=False,
            recipients=2,
            connected=1,
            recipient_ids=[a.parent_5a, a.parent_5a_second],
            created_at=now,
        ),
    )
    [old_year] = await insert(
        core,
        t.SchoolYear(
            school_id=a.school_id,
            name="2025/2026",
            starts_on=date(2025, 9, 1),
            ends_on=date(2026, 6, 19),
            school_weekdays="0,1,2,3,4",
            cycle_weeks=1,
            end_by_grade={},
        ),
    )
    await insert(
        core,
        t.LessonFile(lesson_id=a.lesson_math, file_id=photo, purpose="homework"),
        t.Attendance(
            school_id=a.school_id,
            lesson_id=a.lesson_math,
            pupil_id=a.pupil_5a,
            on_date=date(2026, 11, 26),
            code="n",
            justification="justified",
            reason=None,
            absence_note_id=note,
            recorded_by=a.math_teacher,
            recorded_at=now,
            updated_at=now,
        ),
        t.MarkRevision(
            mark_id=mark,
            revision=1,
            status="mark",
            value="6",
            comment="labots",
            changed_by=a.math_teacher,
            changed_at=now,
        ),
        t.PeriodMark(
            school_id=a.school_id,
            group_id=a.math_group,
            pupil_id=a.pupil_5a_second,
            kind="semester",
            term_id=term,
            scale="ten_point",
            proposed_value="7",
            value=None,
            status="proposed",
            confirmed_by=None,
            confirmed_at=None,
        ),
        t.GroupListSubmission(
            school_id=a.school_id,
            group_id=a.math_group,
            submitted_by=a.math_teacher,
            pupil_ids=[a.pupil_5a, a.pupil_5a_second],
            status="pending",
            note=None,
            created_at=now,
        ),
        t.TimetableChange(
            school_id=a.school_id,
            on_date=date(2026, 11, 30),
            kind="room",
            slot_id=slot,
            group_id=a.math_group,
            period=1,
            teacher_id=None,
            room="204",
            note=None,
            status="published",
            created_by=a.superuser,
            created_at=now,
            published_at=now,
        ),
        t.DayOff(
            school_year_id=a.year_id,
            starts_on=date(2026, 11, 18),
            ends_on=date(2026, 11, 18),
            name="Latvijas Republikas proklamēšanas diena",
            grades=None,
        ),
        t.BellDay(school_id=a.school_id, on_date=date(2026, 12, 22), bell_schedule_id=bells),
        t.PersonKey(school_id=a.school_id, external_key="S-1", person_id=a.pupil_5a),
        t.NewsPost(
            school_id=a.school_id,
            author_id=a.superuser,
            kind="news",
            title="Ziemassvētku koncerts",
            body=TRICKY,
            file_id=photo,
            created_at=now,
            published_at=now,
        ),
        t.BroadcastAck(broadcast_id=broadcast, person_id=a.parent_5a, at=now),
        t.AuditEntry(
            occurred_at=now,
            actor_id=a.math_teacher,
            actor_role="teacher",
            school_id=a.school_id,
            action="mark.correct",
            entity="mark",
            entity_id=mark,
            subject_person_id=a.pupil_5a_second,
            before={"value": "6", "nested": {"ē": [1, 2.5, None]}},
            after={"value": "7"},
        ),
        # Rows that stay out of school a's 2026/2027 archive.
        t.ClassGroup(school_id=a.school_id, school_year_id=old_year, name="4.a", grade=4),
        t.NewsPost(
            school_id=a.school_id,
            kind="news",
            title="Pagājušā gada ziņa",
            body="-",
            created_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
            published_at=None,
        ),
        t.AuditEntry(
            occurred_at=now,
            actor_role="console",
            school_id=a.school_id,
            action="archive.create",
            entity="school_year",
            entity_id=a.year_id,
        ),
        t.Account(
            person_id=a.parent_5a,
            telegram_user_id=5550001,
            chat_id=5550001,
            language="lv",
            status="active",
            preferences={},
            linked_at=now,
        ),
    )
    clock.advance(timedelta(minutes=5))  # the archives are made after all this
    return world


# ----------------------------------------------------------------------------- acceptance


async def test_the_demo_schools_archive_verifies_restores_and_exports_identical_csv(
    demo: Core, clock: FakeClock, tmp_path: Path
) -> None:
    created = await create_archive(demo, CONSOLE, year=YEAR, out_dir=tmp_path / "first")
    manifest = created.manifest
    assert manifest.school.code == "demo1"
    rows = {table.name: table.rows for table in manifest.tables}
    assert min(rows["marks"], rows["attendance"], rows["lessons"], rows["persons"]) > 0

    report = await verify_archive(created.zip_path, CONSOLE)
    assert report.ok, report.problems
    assert report.checked == len(manifest.files)

    # Every journal and every class's report cards as PDF.
    pdfs = members(created.zip_path, "pdf/")
    journals = [name for name in pdfs if name.startswith("pdf/journals/")]
    cards = [name for name in pdfs if name.startswith("pdf/report_cards/")]
    assert (len(journals), len(cards)) == (rows["teaching_groups"], rows["classes"])
    assert manifest.documents == {"journals": len(journals), "report_cards": len(cards)}
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs.values())

    restored = tmp_path / "restored.sqlite3"
    assert await restore_into(created.zip_path, restored, clock) == manifest.rows

    again = await archive_of(sqlite_url(restored), clock, tmp_path / "again", producers={})
    first_csv, again_csv = members(created.zip_path, "csv/"), members(again, "csv/")
    assert len(first_csv) == len(archived_tables())
    assert first_csv == again_csv
    assert members(created.zip_path, "json/") == members(again, "json/")


def test_the_console_creates_verifies_and_restores_an_archive(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", database_url)
    monkeypatch.setattr(documents, "PRODUCERS", {})  # the PDFs are the acceptance test's
    seed = ["seed-demo", "--classes-per-grade", "1", "--pupils-per-class", "5"]
    assert main([*seed, "--today", TODAY.isoformat()], out=io.StringIO()) == 0

    out = io.StringIO()
    code = main(
        ["--lang", "en", "archive", "create", "--year", YEAR, "--out", "cd", "--iso"], out=out
    )
    assert code == 0, capsys.readouterr().err
    archive = tmp_path / "cd" / "ejournal-demo1-2026-2027.zip"
    assert f"Archive written: {archive.relative_to(tmp_path)}" in out.getvalue()
    assert "ejournal-demo1-2026-2027.iso" in out.getvalue()
    err = capsys.readouterr().err
    assert "Exporting data [" in err  # the progress bar, on stderr
    assert "100%" in err

    out = io.StringIO()
    assert main(["archive", "verify", str(archive)], out=out) == 0  # Latvian by default
    assert "ir pilnīgs un nemainīts" in out.getvalue()

    target = tmp_path / "restored.sqlite3"
    out = io.StringIO()
    restore = [
        "--lang",
        "en",
        "archive",
        "restore",
        str(archive),
        "--database",
        sqlite_url(target),
    ]
    assert main(restore, out=out) == 0, capsys.readouterr().err
    assert "Archive restored:" in out.getvalue()

    stats = io.StringIO()
    assert main(["stats", "--json"], out=stats) == 0
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", sqlite_url(target))
    restored_stats = io.StringIO()
    assert main(["stats", "--json"], out=restored_stats) == 0
    assert json.loads(restored_stats.getvalue()) == json.loads(stats.getvalue())

    # The configured database is not empty now: a second restore into it is refused.
    assert main(["--lang", "en", "archive", "restore", str(archive)], out=io.StringIO()) == 2
    assert "is not empty" in capsys.readouterr().err


# ----------------------------------------------------------------------- what is archived


async def test_every_archived_table_round_trips_and_only_the_years_rows_are_in(
    core: Core, full: World, clock: FakeClock, tmp_path: Path
) -> None:
    created = await create_archive(core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path)
    rows = {table.name: table.rows for table in created.manifest.tables}
    assert sorted(name for name, count in rows.items() if count == 0) == []
    files = members(created.zip_path)

    # Rows of other schools, other years, excluded tables and the archive's own audit stay out.
    assert set(created.manifest.excluded) == {
        name for name, rule in RULES.items() if isinstance(rule, Excluded)
    }
    assert not any(f"/{name}." in path for name in created.manifest.excluded for path in files)
    persons = files["csv/persons.csv"].decode()
    assert "Alfa-Bērziņa" in persons
    assert "Beta-" not in persons
    assert files["csv/schools.csv"].decode().count("\r\n") == 2  # the header and alfa
    assert b"4.a" not in files["csv/classes.csv"]
    assert b"Pagaj" not in files["csv/news_posts.csv"]
    assert rows["news_posts"] == 1
    assert b",mark.correct," in files["csv/audit_log.csv"]
    assert b"archive.create" not in files["csv/audit_log.csv"]

    # Values: RFC 4180 quoting, base64 bytes, sorted compact JSON, UTC instants.
    assert '"Dalīšana, ""daļas""\nun reizināšana\r\n; ш ē 🙂 "' in files[
        "csv/assessments.csv"
    ].decode("utf-8")
    attached = {k: v for k, v in files.items() if k.startswith("attachments/")}
    assert list(attached.values()) == [BLOB]
    assert next(iter(attached)).endswith("-ārsta_izziņa.jpg")
    assert (
        '"{""nested"":{""ē"":[1,2.5,null]},""value"":""6""}"'
        in files["csv/audit_log.csv"].decode()
    )
    assert "2026-11-27T08:00:00+00:00" in files["csv/news_posts.csv"].decode()
    header = files["json/files.json"].decode().splitlines()[0]
    assert header.startswith('{"columns":["id","school_id","filename",')

    restored = tmp_path / "restored.sqlite3"
    await restore_into(created.zip_path, restored, clock)
    again = await archive_of(sqlite_url(restored), clock, tmp_path / "again")
    assert members(again, "csv/") == {k: v for k, v in files.items() if k.startswith("csv/")}
    assert members(again, "json/") == {k: v for k, v in files.items() if k.startswith("json/")}
    assert members(again, "attachments/") == {
        k: v for k, v in files.items() if k.startswith("attachments/")
    }


async def test_an_earlier_year_is_archived_on_its_own(
    core: Core, full: World, tmp_path: Path
) -> None:
    created = await create_archive(
        core, CONSOLE, year="2025/2026", school_code="alfa", out_dir=tmp_path
    )
    rows = {table.name: table.rows for table in created.manifest.tables}
    assert (rows["classes"], rows["lessons"], rows["news_posts"]) == (1, 0, 1)
    assert b"4.a" in members(created.zip_path)["csv/classes.csv"]
    assert (created.manifest.year.first_day, created.manifest.year.end_day) == (
        date(2025, 9, 1),
        date(2026, 9, 1),
    )


def test_every_table_of_the_schema_has_an_archive_rule_and_known_column_types() -> None:
    assert set(RULES) == set(t.Base.metadata.tables)
    for table in archived_tables():
        assert len(table_kinds(table)) == len(table.columns)
        assert "id" in table.c  # rows are ordered and restored by id


# ------------------------------------------------------------- determinism, ISO, documents


async def test_two_archives_of_the_same_data_and_clock_are_the_same_bytes(
    core: Core, full: World, tmp_path: Path
) -> None:
    one = await create_archive(
        core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path / "1"
    )
    two = await create_archive(
        core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path / "2"
    )
    assert one.zip_path.read_bytes() == two.zip_path.read_bytes()
    assert one.sha256 == two.sha256 == hashlib.sha256(one.zip_path.read_bytes()).hexdigest()
    with zipfile.ZipFile(one.zip_path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(2026, 11, 27, 10, 5, 0)}  # created, Riga time
    readme = members(one.zip_path)["README.txt"].decode()
    assert "Mācību gads: 2026/2027" in readme
    assert "Personas dati" in readme
    assert "\r\n" in readme

    async with core.engine.connect() as conn:
        audit = (
            (
                await conn.execute(
                    select(t.AuditEntry.after).where(t.AuditEntry.action == "archive.create")
                )
            )
            .scalars()
            .all()
        )
    assert [entry["sha256"] for entry in audit if entry] == [one.sha256, two.sha256]
    assert listing(tmp_path / "1") == listing(tmp_path / "2") == ["ejournal-alfa-2026-2027.zip"]


async def test_the_iso_image_reads_back_with_pycdlib_and_verifies(
    core: Core, full: World, clock: FakeClock, tmp_path: Path
) -> None:
    created = await create_archive(
        core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path, iso=True
    )
    assert created.iso_path is not None
    iso = pycdlib.PyCdlib()
    iso.open(str(created.iso_path))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "EJOURNAL_2026_2027"
        names = {
            f"{folder.rstrip('/')}/{name}".lstrip("/")
            for folder, _dirs, files in iso.walk(rr_path="/")
            for name in files
        }
        joliet = {
            f"{folder.rstrip('/')}/{name}".lstrip("/")
            for folder, _dirs, files in iso.walk(joliet_path="/")
            for name in files
        }
        marks = io.BytesIO()
        iso.get_file_from_iso_fp(marks, joliet_path="/csv/group_list_submissions.csv")
    finally:
        iso.close()
    in_zip = members(created.zip_path)
    assert names == joliet == set(in_zip)
    assert marks.getvalue() == in_zip["csv/group_list_submissions.csv"]

    report = await verify_archive(created.iso_path, CONSOLE)
    assert report.ok, report.problems
    restored = tmp_path / "from-iso.sqlite3"
    assert await restore_into(created.iso_path, restored, clock) == created.manifest.rows


async def _notes(context: DocumentContext) -> AsyncIterator[Document]:
    async with context.uow() as uow:
        school = await uow.directory.school(context.school_id)
    assert school is not None
    pdf = io.BytesIO()
    canvas = Canvas(pdf, invariant=True)
    canvas.drawString(72, 720, f"{school.name} {context.year_name}")
    canvas.save()
    yield Document("5.a/matematika.pdf", pdf.getvalue())


async def _escaping(_context: DocumentContext) -> AsyncIterator[Document]:
    yield Document("../../etc/passwd", b"%PDF-")


async def test_registered_document_producers_add_their_pdfs(
    core: Core, full: World, tmp_path: Path
) -> None:
    created = await create_archive(
        core,
        CONSOLE,
        year=YEAR,
        school_code="alfa",
        out_dir=tmp_path,
        producers={"journals": _notes},
    )
    pdf = members(created.zip_path)["pdf/journals/5.a/matematika.pdf"]
    assert pdf.startswith(b"%PDF")
    assert created.manifest.documents == {"journals": 1}
    assert (await verify_archive(created.zip_path, CONSOLE)).ok

    with pytest.raises(InvalidInput) as refused:
        await create_archive(
            core,
            CONSOLE,
            year=YEAR,
            school_code="alfa",
            out_dir=tmp_path / "bad",
            producers={"journals": _escaping},
        )
    assert refused.value.key == "archive.document_path_invalid"
    assert listing(tmp_path / "bad") == []  # no archive, no staging left behind


# ------------------------------------------------------------------------------ verification


async def test_a_tampered_missing_or_extra_file_fails_verification_naming_it(
    core: Core, full: World, clock: FakeClock, tmp_path: Path
) -> None:
    created = await create_archive(core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path)
    original = members(created.zip_path)

    tampered = dict(original)
    tampered["csv/marks.csv"] = original["csv/marks.csv"].replace(b",7,", b",9,")
    assert tampered["csv/marks.csv"] != original["csv/marks.csv"]
    report = await verify_archive(rezip(tampered, tmp_path / "tampered.zip"), CONSOLE)
    assert not report.ok
    assert [(p.kind, p.path) for p in report.problems] == [("changed", "csv/marks.csv")]

    shuffled = {k: v for k, v in original.items() if k != "json/terms.json"}
    shuffled["notes.txt"] = b"extra"
    report = await verify_archive(rezip(shuffled, tmp_path / "shuffled.zip"), CONSOLE)
    assert {(p.kind, p.path) for p in report.problems} == {
        ("missing", "json/terms.json"),
        ("extra", "notes.txt"),
    }

    broken = dict(original)
    broken[MANIFEST] = original[MANIFEST].replace(b'"format_version": 1', b'"format_version": 9')
    report = await verify_archive(rezip(broken, tmp_path / "broken.zip"), CONSOLE)
    assert [(p.kind, p.detail) for p in report.problems] == [("manifest", "format_version=9")]

    # An unpacked folder (a mounted CD) verifies, and a changed file in it is named.
    folder = unpack(created.zip_path, tmp_path / "unpacked")
    assert (await verify_archive(folder, CONSOLE)).ok
    (folder / "csv" / "persons.csv").write_bytes(b"id\r\n")
    report = await verify_archive(folder, CONSOLE)
    assert [(p.kind, p.path) for p in report.problems] == [("changed", "csv/persons.csv")]

    # A tampered archive is never restored, and the target is left untouched.
    target = tmp_path / "target.sqlite3"
    with pytest.raises(InvalidInput) as refused:
        await restore_into(tmp_path / "tampered.zip", target, clock)
    assert refused.value.key == "archive.restore_unverified"
    assert not target.exists() or table_names(target) == set()

    console = Console(core.settings, "en", io.StringIO())
    from core.archive.cli import verify_lines

    report = await verify_archive(tmp_path / "tampered.zip", CONSOLE)
    lines = verify_lines(console, report)
    assert "is NOT sound" in lines[0]
    assert lines[1] == "  file changed (checksum or size differs from the manifest): csv/marks.csv"


async def test_verify_refuses_what_is_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip, not an iso")
    with pytest.raises(InvalidInput) as refused:
        await verify_archive(junk, CONSOLE)
    assert refused.value.key == "archive.unreadable"
    empty = rezip({"README.txt": b"hi"}, tmp_path / "empty.zip")
    report = await verify_archive(empty, CONSOLE)
    assert [(p.kind, p.path) for p in report.problems] == [("manifest", MANIFEST)]


# ----------------------------------------------------------------------------- restoration


async def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(
    core: Core, full: World, clock: FakeClock, tmp_path: Path
) -> None:
    created = await create_archive(core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path)
    before = await row_counts(core)
    with pytest.raises(Conflict) as refused:
        await restore_archive(created.zip_path, core.engine, CONSOLE, clock=clock)
    assert refused.value.key == "archive.database_not_empty"
    assert await row_counts(core) == before

    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
    with pytest.raises(Conflict) as refused:
        await restore_into(created.zip_path, foreign, clock)
    assert refused.value.params == {"table": "recipes"}
    assert table_names(foreign) == {"recipes"}


async def test_a_restore_that_fails_midway_leaves_the_database_empty(
    core: Core, full: World, clock: FakeClock, tmp_path: Path
) -> None:
    created = await create_archive(core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path)
    folder = unpack(created.zip_path, tmp_path / "edited")
    marks = folder / "json" / "marks.json"
    lines = marks.read_text(encoding="utf-8").split("\n")
    row = json.loads(lines[1].rstrip(","))
    row[2] = 999_999  # an assessment that is not in the archive
    lines[1] = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    marks.write_text("\n".join(lines), encoding="utf-8")
    reseal(folder)
    assert (await verify_archive(folder, CONSOLE)).ok

    target = tmp_path / "target.sqlite3"
    with pytest.raises(InvalidInput) as failed:
        await restore_into(folder, target, clock)
    assert (failed.value.key, failed.value.params) == (
        "archive.restore_failed",
        {"table": "marks"},
    )
    assert table_names(target) == set()  # not even the schema stayed

    lines[1] = "[1,2"
    marks.write_text("\n".join(lines), encoding="utf-8")
    reseal(folder)
    with pytest.raises(InvalidInput) as failed:
        await restore_into(folder, target, clock)
    assert (failed.value.key, failed.value.params) == (
        "archive.file_malformed",
        {"path": "json/marks.json"},
    )
    assert table_names(target) == set()


async def test_restore_into_an_empty_database_moves_the_id_sequences(
    core: Core, full: World, clock: FakeClock, empty_database_url: str, tmp_path: Path
) -> None:
    created = await create_archive(core, CONSOLE, year=YEAR, school_code="alfa", out_dir=tmp_path)
    engine = create_engine(empty_database_url)
    try:
        result = await restore_archive(created.zip_path, engine, CONSOLE, clock=clock)
    finally:
        await engine.dispose()
    assert result.rows == created.manifest.rows
    restored = build_core(CoreSettings(database=DatabaseSettings(url=empty_database_url)), clock)
    try:
        school = await schools.create_school(restored.uow(), CONSOLE, code="gamma", name="Gamma")
        assert school.id > full.a.school_id  # new ids follow the restored ones
        async with restored.engine.connect() as conn:
            actions = (await conn.execute(select(t.AuditEntry.action))).scalars().all()
        assert {"archive.restore", "school.create"} <= set(actions)
    finally:
        await restored.close()


# ------------------------------------------------------------------------ refusals, console


async def test_create_refuses_bad_input_and_writes_nothing(
    core: Core, full: World, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    async def refused(**kwargs: Any) -> DomainError:
        arguments: dict[str, Any] = {"year": YEAR, "school_code": "alfa", "out_dir": out}
        with pytest.raises(DomainError) as caught:
            await create_archive(core, CONSOLE, **(arguments | kwargs))
        return caught.value

    assert (await refused(year="2026-2027")).key == "archive.year_invalid"
    assert (await refused(year="2026/2028")).key == "archive.year_invalid"
    missing = await refused(year="2019/2020")
    assert isinstance(missing, NotFound)
    assert missing.params["years"] == "2025/2026, 2026/2027"
    several = await refused(school_code=None)
    assert (several.key, several.params) == ("archive.school_required", {"schools": "alfa, beta"})
    assert (await refused(school_code="nav")).key == "school.not_found"
    only_beta = Viewer.console(frozenset({full.b.school_id}))
    with pytest.raises(NotFound):
        await create_archive(core, only_beta, year=YEAR, school_code="alfa", out_dir=out)
    assert listing(out) == []

    made = await create_archive(core, CONSOLE, year=YEAR, school_code="alfa", out_dir=out)
    before = made.zip_path.read_bytes()
    assert (await refused()).key == "archive.out_exists"
    assert made.zip_path.read_bytes() == before
    assert listing(out) == [made.zip_path.name]


async def test_only_the_console_operator_archives(core: Core, full: World, tmp_path: Path) -> None:
    teacher = Viewer(person_id=full.a.superuser)
    with pytest.raises(NotAllowed):
        await create_archive(core, teacher, year=YEAR, out_dir=tmp_path)
    with pytest.raises(NotAllowed):
        await verify_archive(tmp_path, teacher)
    with pytest.raises(NotAllowed):
        await restore_archive(tmp_path, core.engine, teacher, clock=FakeClock(datetime.now(UTC)))


def test_the_progress_bar_redraws_on_a_terminal_and_prints_lines_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    console = Console(CoreSettings(), "lv", io.StringIO())
    screen = Terminal()
    bar = ProgressBar(console, screen)
    bar(Progress("export", 50, 200, 3, 30, "marks"))
    bar(Progress("export", 200, 200, 30, 30, "marks"))
    bar.finish()
    assert screen.getvalue().count("\r") == 2
    assert screen.getvalue().endswith("\n")
    assert "tabulas: 30/30, rindas: 200/200" in screen.getvalue()

    log = io.StringIO()
    bar = ProgressBar(console, log)
    for done in range(0, 101, 10):
        bar(Progress("verify", done, 100))
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("Pārbauda failus [")
    assert lines[-1].endswith("faili: 100/100")
    assert len(lines) == 2  # the start and the end, not every file


async def test_the_console_command_runs_on_the_tests_core(
    core: Core, full: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(
        ["archive", "create", "--year", YEAR, "--school", "alfa", "--out", str(tmp_path)]
    )
    out = io.StringIO()
    console = Console(core.settings, "ru", out)
    console._core = core
    assert await args.handler(console, args) == 0
    assert "Архив создан:" in out.getvalue()
    assert "SHA-256" in out.getvalue()
    assert "Экспорт данных" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- texts

KEY = re.compile(
    r"(?:NotFound|NotAllowed|InvalidInput|Conflict|DomainError|say|\bt)\(\s*\"([a-z_]+\.[a-z_.]+)\""
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_archive_message_has_text_in_every_language(lang: str) -> None:
    catalogs = Catalogs.load()
    used: set[str] = set()
    for path in sorted((ROOT / "core" / "archive").glob("*.py")):
        used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    assert {"archive.year_invalid", "archive.created", "archive.verified"} <= used
    used |= {
        f"archive.step.{step}" for step in ("export", "documents", "pack", "verify", "restore")
    }
    used |= {
        f"archive.problem.{kind}"
        for kind in ("manifest", "missing", "changed", "extra", "duplicate", "unreadable")
    }
    used |= {rule.reason for rule in RULES.values() if isinstance(rule, Excluded)}
    used.add("archive.readme")
    assert sorted(key for key in used if not catalogs.has(key, lang)) == []


def test_the_readme_is_latvian_and_fills_every_placeholder() -> None:
    text = Catalogs.load().text(
        "archive.readme",
        "lv",
        school="S",
        code="c",
        year=YEAR,
        first="01.09.2026",
        last="31.08.2027",
        created="27.11.2026 10:00",
        tables=1,
        rows=2,
        documents=0,
        excluded="-",
    )
    assert "{" not in text
    assert "mācību gada arhīvs" in text
    assert "kontrolsumma" in text


def test_attachment_names_are_safe_and_short() -> None:
    assert attachment_path(7, "../../etc/passwd") == "attachments/7-passwd"
    assert attachment_path(8, "C:\\Temp\\ārsta izziņa.JPG") == "attachments/8-ārsta_izziņa.JPG"
    long = attachment_path(9, "x" * 300 + ".pdf")
    assert long.endswith(".pdf")
    assert len(long.split("/")[1]) == 64
    assert attachment_path(10, "...") == "attachments/10-file"


def test_times_in_a_day_column_keep_their_spelling() -> None:
    from core.archive.codec import csv_row, decode, json_row

    kinds = table_kinds(t.Base.metadata.tables["bell_periods"])
    row = (1, 2, 0, time(8, 30), time(9, 10))
    assert csv_row(kinds, row) == ["1", "2", "0", "08:30:00", "09:10:00"]
    assert [decode(k, "c", v) for k, v in zip(kinds, json_row(kinds, row), strict=True)] == list(
        row
    )


def test_document_names_fit_a_cd_and_never_collide() -> None:
    taken: set[str] = set()
    first = documents.short_name("zurnals-" + "matematika-" * 8 + "2026.pdf", taken, 7)
    again = documents.short_name("zurnals-" + "matematika-" * 8 + "2026.pdf", taken, 8)
    assert (len(first), len(again)) == (64, 64)
    assert first.endswith(".pdf")
    assert again.endswith("-8.pdf")
    assert documents.short_name("liecibas-5.a.pdf", taken, 1) == "liecibas-5.a.pdf"
