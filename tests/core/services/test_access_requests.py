"""Data access requests: who may ask, the superuser's decision, documents, the policy switch."""

from __future__ import annotations

import json
from typing import TypeVar

import pytest
from sqlalchemy import select

from core.bootstrap import Core
from core.errors import Conflict, InvalidInput, NotFound
from core.services import access_requests as ar
from core.services.access_requests import AccessExport
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, viewer


def fake_pdf(export: AccessExport) -> bytes:
    return b"%PDF-1.4 summary of " + export.subject_name.encode()


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


R = TypeVar("R", bound=t.Base)


async def rows(core: Core, table: type[R]) -> list[R]:
    async with create_session_factory(core.engine)() as session:
        return list(await session.scalars(select(table)))


async def events(core: Core, kind: str) -> list[dict[str, object]]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(select(t.DomainEvent).where(t.DomainEvent.kind == kind))
        return [dict(event.payload) for event in found]


async def test_parent_asks_for_a_child_superuser_approves_and_documents_are_stored(
    core: Core, world: World
) -> None:
    a = world.a
    parent = await viewer(core, a.parent_5a)
    subjects = await ar.data_subjects(core.uow(), parent)
    assert {(s.person_id, s.own) for s in subjects} == {
        (a.parent_5a, True),
        (a.pupil_5a, False),
        (a.pupil_2a, False),
    }

    asked = await ar.request_access(core.uow(), parent, pupil_id=a.pupil_5a, render=fake_pdf)
    assert not asked.delivered
    assert asked.request.status == "pending"
    [submitted] = await events(core, "access_request.submitted")
    assert submitted["request_id"] == asked.request.id
    assert "Jānis" in str(submitted["subject"])
    with pytest.raises(Conflict) as twice:
        await ar.request_access(core.uow(), parent, pupil_id=a.pupil_5a, render=fake_pdf)
    assert twice.value.key == "access_request.open"

    superuser = await viewer(core, a.superuser)
    [pending] = await ar.pending_requests(core.uow(), superuser)
    assert pending.id == asked.request.id
    assert "Jānis" in pending.subject_name  # a name, not an id
    # Another school's superuser sees nothing and may not decide.
    foreign = await viewer(core, world.b.superuser)
    assert await ar.pending_requests(core.uow(), foreign) == ()
    with pytest.raises(NotFound):
        await ar.decide_request(
            core.uow(), foreign, request_id=asked.request.id, approve=True, render=fake_pdf
        )

    done = await ar.decide_request(
        core.uow(), superuser, request_id=asked.request.id, approve=True, render=fake_pdf
    )
    assert done.status == "delivered"
    assert done.decided_by == a.superuser
    [delivered] = await events(core, "access_request.delivered")
    assert delivered["person_id"] == a.parent_5a
    files = {f.id: f for f in await rows(core, t.StoredFile)}
    document = json.loads(files[int(str(delivered["json_file_id"]))].content)
    assert document["tables"]["persons"][0]["id"] == a.pupil_5a
    assert all(row["pupil_id"] == a.pupil_5a for row in document["tables"].get("enrolments", []))
    assert "token_hash" not in json.dumps(document)
    assert files[int(str(delivered["pdf_file_id"]))].content.startswith(b"%PDF")
    actions = {e.action for e in await rows(core, t.AuditEntry)}
    assert {"access_request.create", "access_request.approve", "access_request.deliver"} <= actions

    with pytest.raises(Conflict) as again:
        await ar.decide_request(
            core.uow(), superuser, request_id=asked.request.id, approve=False, render=fake_pdf,
            reason="late",
        )  # fmt: skip
    assert again.value.key == "access_request.decided"


async def test_rejection_needs_a_reason_and_tells_the_requester(core: Core, world: World) -> None:
    a = world.a
    pupil = await viewer(core, a.pupil_5a)
    asked = await ar.request_access(core.uow(), pupil, pupil_id=a.pupil_5a, render=fake_pdf)
    superuser = await viewer(core, a.superuser)
    with pytest.raises(InvalidInput) as bare:
        await ar.decide_request(
            core.uow(), superuser, request_id=asked.request.id, approve=False, render=fake_pdf
        )
    assert bare.value.key == "access_request.reason_required"
    [still] = await rows(core, t.AccessRequest)
    assert still.status == "pending"

    rejected = await ar.decide_request(
        core.uow(), superuser, request_id=asked.request.id, approve=False, render=fake_pdf,
        reason="Dublikāts",
    )  # fmt: skip
    assert (rejected.status, rejected.reason) == ("rejected", "Dublikāts")
    [rejected_event] = await events(core, "access_request.rejected")
    assert rejected_event["person_id"] == a.pupil_5a
    assert rejected_event["reason"] == "Dublikāts"
    assert await events(core, "access_request.delivered") == []


async def test_nobody_asks_about_someone_elses_child(core: Core, world: World) -> None:
    a = world.a
    parent = await viewer(core, a.parent_5a_second)
    for foreign in (a.pupil_2a, world.b.pupil_5a, a.superuser, 10**12):
        with pytest.raises(NotFound):
            await ar.request_access(core.uow(), parent, pupil_id=foreign, render=fake_pdf)
    teacher = await viewer(core, a.math_teacher)
    with pytest.raises(NotFound) as staff:
        await ar.data_subjects(core.uow(), teacher)
    assert staff.value.key == "access_request.nobody"
    assert await rows(core, t.AccessRequest) == []


async def test_without_approval_the_request_is_delivered_at_once(core: Core, world: World) -> None:
    a = world.a
    async with create_session_factory(core.engine)() as session, session.begin():
        school = await session.get(t.School, a.school_id)
        assert school is not None
        school.policy = {"privacy": {"access_requests_need_approval": False}}
    parent = await viewer(core, a.parent_5a)
    asked = await ar.request_access(core.uow(), parent, pupil_id=a.parent_5a, render=fake_pdf)
    assert asked.delivered
    assert asked.request.status == "delivered"
    assert await events(core, "access_request.submitted") == []
    [delivered] = await events(core, "access_request.delivered")
    assert delivered["person_id"] == a.parent_5a
