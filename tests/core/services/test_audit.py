"""The audit trail: append-only, queried by the school's office, and a family's access history."""

from __future__ import annotations

import ast
import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.errors import InvalidInput, NotFound
from core.services.accounts import link_account
from core.services.audit import AccessKind, access_history, audit_log
from core.services.directory import resolve_viewer
from core.services.disclosure import disclose, list_disclosures
from core.services.linking import unlink_account
from core.services.marks import create_assessment, pupil_marks, record_marks
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, add_caregiver, build_world, insert, viewer

STORAGE = Path(__file__).resolve().parents[3] / "core" / "storage"
TEACHER = "Māra Alfa-Matemātiķe"


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def count(core: Core, model: type[t.Base]) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# ------------------------------------------------------------------------ append-only


def _audit_writes(tree: ast.AST) -> list[int]:
    """Lines that update or delete audit rows: update(AuditEntry), delete(...), "audit_log"."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in {"update", "delete"} and any(
                "AuditEntry" in ast.unparse(arg) or "audit_log" in ast.unparse(arg)
                for arg in node.args
            ):
                found.append(node.lineno)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "audit_log" in text and ("update " in text or "delete " in text):
                found.append(node.lineno)
    return sorted(found)


def test_no_code_updates_or_deletes_audit_entries() -> None:
    core_dir = STORAGE.parent
    offenders = {
        str(path.relative_to(core_dir)): lines
        for path in sorted(core_dir.rglob("*.py"))
        if "migrations" not in path.parts
        and (lines := _audit_writes(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_scan_finds_an_update_and_a_delete() -> None:
    source = (
        "stmt = update(t.AuditEntry).values(action='x')\n"
        "other = delete(AuditEntry)\n"
        "raw = 'DELETE FROM audit_log'\n"
    )
    assert _audit_writes(ast.parse(source)) == [1, 2, 3]


# ------------------------------------------------------------------------ the console query


async def test_staff_reads_are_queried_by_person_action_actor_and_school(
    core: Core, world: World, clock: FakeClock
) -> None:
    a, b = world.a, world.b
    teacher = await viewer(core, a.math_teacher)
    clock.set(datetime(2026, 11, 26, 9, tzinfo=UTC))
    await pupil_marks(core.uow(), teacher, pupil_id=a.pupil_5a)
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    await pupil_marks(core.uow(), await viewer(core, b.math_teacher), pupil_id=b.pupil_5a)
    await pupil_marks(core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a)  # family

    page = await audit_log(core.uow(), Viewer.console(), person_id=a.pupil_5a, action="read.")
    assert [(e.action, e.actor_name, e.actor_role, e.school_code) for e in page.entries] == [
        ("read.marks", TEACHER, "class_teacher", "alfa")
    ]
    assert page.entries[0].subject_name == "Jānis Alfa-Bērziņš"
    assert (page.total, page.more) == (1, False)

    by_actor = await audit_log(core.uow(), Viewer.console(), actor_id=b.math_teacher)
    assert [e.subject_person_id for e in by_actor.entries] == [b.pupil_5a]

    superuser = await viewer(core, a.superuser)
    own = await audit_log(core.uow(), superuser, school_id=a.school_id, action="read.marks")
    assert [e.subject_person_id for e in own.entries] == [a.pupil_5a]
    with pytest.raises(NotFound):  # another school's log, or every school's
        await audit_log(core.uow(), superuser, school_id=b.school_id)
    with pytest.raises(NotFound):
        await audit_log(core.uow(), superuser)
    with pytest.raises(NotFound):
        await audit_log(core.uow(), teacher, school_id=a.school_id)

    today = await audit_log(core.uow(), Viewer.console(), since=date(2026, 11, 27), action="read.")
    assert [e.subject_person_id for e in today.entries] == [b.pupil_5a]
    with pytest.raises(InvalidInput):
        await audit_log(core.uow(), Viewer.console(), since=date(2026, 11, 28))


async def test_pages_and_the_query_is_audited(core: Core, world: World) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    for _ in range(3):
        await pupil_marks(core.uow(), teacher, pupil_id=world.a.pupil_5a)
    first = await audit_log(core.uow(), Viewer.console(), action="read.marks", limit=2)
    second = await audit_log(core.uow(), Viewer.console(), action="read.marks", limit=2, offset=2)
    assert (len(first.entries), first.total, first.more) == (2, 3, True)
    assert (len(second.entries), second.more) == (1, False)
    assert {e.id for e in first.entries}.isdisjoint(e.id for e in second.entries)
    queries = await audit_log(core.uow(), Viewer.console(), action="audit.query")
    assert queries.total == 2
    with pytest.raises(InvalidInput):
        await audit_log(core.uow(), Viewer.console(), limit=0)


async def test_link_and_unlink_are_audited(core: Core, world: World) -> None:
    await link_account(
        core.uow(),
        Viewer.console(),
        person_id=world.a.parent_5a,
        telegram_user_id=5001,
        chat_id=5001,
    )
    await unlink_account(core.uow(), telegram_user_id=5001)
    page = await audit_log(core.uow(), Viewer.console(), person_id=world.a.parent_5a)
    assert [(e.action, e.actor_id) for e in page.entries] == [
        ("account.unlink", world.a.parent_5a),  # by the parent, at /logout
        ("account.link", None),  # by the console operator
    ]


# ------------------------------------------------------------------------ access history


async def test_access_history_shows_staff_reads_and_disclosures_to_the_family_only(
    core: Core, world: World, clock: FakeClock
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=date(2026, 11, 26), title="Daļskaitļi"
    )
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "8"})
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))  # 11:00 in Riga
    await pupil_marks(core.uow(), teacher, pupil_id=a.pupil_5a)
    await pupil_marks(core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a)
    await pupil_marks(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    clock.set(datetime(2026, 11, 27, 10, tzinfo=UTC))
    await disclose(
        core.uow(),
        Viewer.console(),
        person_id=a.pupil_5a,
        basis="Kriminālprocesa likums, 190. pants",
        requester="Valsts policija",
        file_name="x.zip",
    )

    parent = await viewer(core, a.parent_5a)
    history = await access_history(core.uow(), parent, pupil_id=a.pupil_5a)
    assert [(e.kind, e.actor, e.actor_role, e.at.hour) for e in history.entries] == [
        (AccessKind.DISCLOSURE, None, "console", 12),
        (AccessKind.MARKS, TEACHER, "class_teacher", 11),
    ]  # the mark written is a change (in /history), the family's own reads are not listed
    assert history.pupil.full_name == "Jānis Alfa-Bērziņš"
    own = await access_history(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    assert own.entries == history.entries

    carer = await add_caregiver(core, guardian_id=a.parent_5a, pupil_id=a.pupil_5a)
    refused = [
        await resolve_viewer(core.uow(), carer),  # read-only carer
        teacher,
        await viewer(core, a.superuser),
        await viewer(core, a.parent_5a_second),  # another family
        await viewer(core, a.pupil_5a_second),
        await viewer(core, world.b.parent_5a),
        Viewer.console(),
    ]
    for someone in refused:
        with pytest.raises(NotFound):
            await access_history(core.uow(), someone, pupil_id=a.pupil_5a)
    with pytest.raises(NotFound):  # a sibling's history through the other child's id is fine,
        await access_history(core.uow(), parent, pupil_id=world.b.pupil_5a)  # a stranger's not
    assert (await access_history(core.uow(), parent, pupil_id=a.pupil_2a)).entries == ()
    with pytest.raises(InvalidInput):
        await access_history(core.uow(), parent, pupil_id=a.pupil_5a, since=date(2026, 12, 1))
    with pytest.raises(InvalidInput):
        await access_history(core.uow(), parent, pupil_id=a.pupil_5a, since=date(2025, 1, 1))


# ------------------------------------------------------------------------ disclosure


async def test_disclosure_exports_the_person_and_is_recorded(core: Core, world: World) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=date(2026, 11, 26), title="Daļskaitļi"
    )
    await record_marks(
        core.uow(),
        teacher,
        assessment_id=test.id,
        entries={a.pupil_5a: "8", a.pupil_5a_second: "3"},
    )
    await insert(
        core,
        t.Account(
            person_id=a.pupil_5a,
            telegram_user_id=777001,
            chat_id=777001,
            language="lv",
            status="active",
            linked_at=core.clock.now(),
        ),
    )
    superuser = await viewer(core, a.superuser)
    done = await disclose(
        core.uow(),
        superuser,
        person_id=a.pupil_5a,
        basis="  Tiesas pieprasījums  ",
        requester="Rīgas pilsētas tiesa",
        file_name="janis.zip",
    )
    files = zipfile.ZipFile(io.BytesIO(done.content))
    summary = json.loads(files.read("disclosure.json"))
    assert summary["basis"] == "Tiesas pieprasījums"
    assert summary["requester"] == "Rīgas pilsētas tiesa"
    persons = json.loads(files.read("data/persons.json"))
    assert [(p["id"], p["given_name"]) for p in persons] == [(a.pupil_5a, "Jānis")]
    marks = json.loads(files.read("data/marks.json"))
    assert [m["pupil_id"] for m in marks] == [a.pupil_5a]  # not the classmate's
    guardians = json.loads(files.read("data/guardianships.json"))
    assert {g["guardian_id"] for g in guardians} == {a.parent_5a}
    enrolments = json.loads(files.read("data/enrolments.json"))
    assert [e["class_id"] for e in enrolments] == [a.class_5a]
    accounts = json.loads(files.read("data/accounts.json"))
    assert len(accounts) == 1
    assert "777001" not in files.read("data/accounts.json").decode()  # no Telegram ids
    assert done.rows == sum(done.tables.values()) >= 5

    listed = await list_disclosures(core.uow(), superuser, school_id=a.school_id)
    assert [(d.id, d.person_name, d.basis, d.sha256, d.actor_role) for d in listed] == [
        (done.id, "Jānis Alfa-Bērziņš", "Tiesas pieprasījums", done.sha256, "deputy_director")
    ]
    assert listed[0].disclosed_by_name == "Inese Alfa-Vietniece"
    assert await list_disclosures(core.uow(), Viewer.console()) == listed
    assert await list_disclosures(core.uow(), await viewer(core, world.b.superuser),
                                  school_id=world.b.school_id) == []  # fmt: skip
    trail = await audit_log(core.uow(), Viewer.console(), action="disclosure.")
    assert [(e.entity_id, e.subject_person_id) for e in trail.entries] == [(done.id, a.pupil_5a)]


async def test_disclosure_refusals_change_nothing(core: Core, world: World) -> None:
    a, b = world.a, world.b
    superuser = await viewer(core, a.superuser)
    bad = [
        (superuser, {"person_id": b.pupil_5a}, NotFound),  # another school's pupil
        (await viewer(core, a.math_teacher), {"person_id": a.pupil_5a}, NotFound),
        (await viewer(core, a.parent_5a), {"person_id": a.pupil_5a}, NotFound),
        (Viewer.console(), {"person_id": 10**12}, NotFound),
        (Viewer.console(), {"personal_code": "000000-00000"}, NotFound),
        (Viewer.console(), {}, InvalidInput),
        (Viewer.console(), {"person_id": a.pupil_5a, "basis": "  "}, InvalidInput),
        (Viewer.console(), {"person_id": a.pupil_5a, "requester": ""}, InvalidInput),
        (Viewer.console(), {"person_id": a.pupil_5a, "basis": "x" * 2001}, InvalidInput),
    ]
    for who, kwargs, error in bad:
        arguments: dict[str, object] = {"basis": "Likums", "requester": "Policija"} | kwargs
        with pytest.raises(error):
            await disclose(core.uow(), who, file_name="x.zip", **arguments)  # type: ignore[arg-type]
    assert await count(core, t.Disclosure) == 0
    with pytest.raises(NotFound):
        await list_disclosures(
            core.uow(), await viewer(core, a.math_teacher), school_id=a.school_id
        )
    with pytest.raises(NotFound):
        await list_disclosures(core.uow(), superuser, school_id=b.school_id)


async def test_disclosure_by_personal_code(core: Core, world: World) -> None:
    async with create_session_factory(core.engine)() as session, session.begin():
        person = await session.get(t.Person, world.a.parent_5a)
        assert person is not None
        person.personal_code = "010180-12345"
    done = await disclose(
        core.uow(),
        await viewer(core, world.a.director),
        personal_code=" 010180-12345 ",
        basis="Bāriņtiesas pieprasījums",
        requester="Rīgas bāriņtiesa",
        file_name="p.zip",
    )
    assert (done.person_id, done.person_name) == (world.a.parent_5a, "Līga Alfa-Bērziņa")
    files = zipfile.ZipFile(io.BytesIO(done.content))
    guardians = json.loads(files.read("data/guardianships.json"))
    assert {g["pupil_id"] for g in guardians} == {world.a.pupil_5a, world.a.pupil_2a}
