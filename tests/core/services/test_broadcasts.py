"""Staff broadcasts: exact audiences, who may send to what, the stored row, acks and the report."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.broadcasts import Audience, Condition, Members, Scope, job_label
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.services.broadcasts import (
    AttachmentInfo,
    BroadcastAttachment,
    acknowledge,
    broadcast_report,
    broadcast_targets,
    preview_broadcast,
    send_broadcast,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import link
from tests.builders import World, build_world, insert, new_person, viewer

TODAY, YESTERDAY, LAST_WEEK = date(2026, 11, 27), date(2026, 11, 26), date(2026, 11, 20)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def count(core: Core, table: type[t.Base], **where: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(getattr(table, column) == value)
        return int(await session.scalar(query) or 0)


async def recipients_of(core: Core, broadcast_id: int) -> set[int]:
    async with create_session_factory(core.engine)() as session:
        row = await session.get(t.Broadcast, broadcast_id)
        assert row is not None
        return set(row.recipient_ids)


async def sent_to(core: Core, sender: Viewer, school_id: int, audience: Audience) -> set[int]:
    """Send a broadcast and return the people stored as its recipients (the preview agrees)."""
    preview = await preview_broadcast(
        core.uow(), sender, school_id=school_id, audience=audience, text="Sveiki!"
    )
    sent = await send_broadcast(
        core.uow(),
        sender,
        school_id=school_id,
        audience=audience,
        text="Sveiki!",
        expected_recipients=preview.recipients,
    )
    people = await recipients_of(core, sent.id)
    assert preview.recipients == sent.recipients == len(people)
    return people


async def lesson(core: Core, world: World, on: date, period: int = 1) -> int:
    a = world.a
    now = core.clock.now()
    [lesson_id] = await insert(
        core,
        t.Lesson(
            school_id=a.school_id,
            group_id=a.math_group,
            on_date=on,
            period=period,
            teacher_id=a.math_teacher,
            is_substitution=False,
            created_at=now,
            updated_at=now,
        ),
    )
    return lesson_id


async def absence(
    core: Core,
    world: World,
    lesson_id: int,
    pupil: int,
    *,
    on: date,
    code: str,
    justification: str,
) -> None:
    now = core.clock.now()
    await insert(
        core,
        t.Attendance(
            school_id=world.a.school_id,
            lesson_id=lesson_id,
            pupil_id=pupil,
            on_date=on,
            code=code,
            justification=justification,
            recorded_by=world.a.math_teacher,
            recorded_at=now,
            updated_at=now,
        ),
    )


# ------------------------------------------------------------------ exact audiences


async def test_a_class_reaches_its_pupils_and_their_parents_each_once(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)  # class teacher of 5.a
    families = {a.pupil_5a, a.pupil_5a_second, a.parent_5a, a.parent_5a_second}
    assert await sent_to(core, teacher, a.school_id, Audience.klass(a.class_5a)) == families
    parents = await sent_to(
        core, teacher, a.school_id, Audience.klass(a.class_5a, Members.PARENTS)
    )
    assert parents == {a.parent_5a, a.parent_5a_second}
    pupils = await sent_to(core, teacher, a.school_id, Audience.klass(a.class_5a, Members.PUPILS))
    assert pupils == {a.pupil_5a, a.pupil_5a_second}


async def test_a_grade_reaches_the_families_of_its_classes_only(core: Core, world: World) -> None:
    a = world.a
    boss = await viewer(core, a.superuser)
    grade_2 = await sent_to(core, boss, a.school_id, Audience.grade(2))
    assert grade_2 == {a.pupil_2a, a.parent_5a}  # the parent of two children, for 2.a's child
    grade_5 = await sent_to(core, boss, a.school_id, Audience.grade(5, Members.PARENTS))
    assert grade_5 == {a.parent_5a, a.parent_5a_second}
    with pytest.raises(InvalidInput) as nobody:
        await send_broadcast(
            core.uow(), boss, school_id=a.school_id, audience=Audience.grade(9), text="x"
        )
    assert nobody.value.key == "broadcast.nobody"


async def test_a_group_reaches_the_pupils_on_its_list(core: Core, world: World) -> None:
    a = world.a
    teacher = await viewer(core, a.latvian_teacher)
    people = await sent_to(core, teacher, a.school_id, Audience.group(a.latvian_group))
    assert people == {a.pupil_2a, a.parent_5a}
    left = await new_person(core, "Ieva", "Aizgājusi")
    await insert(
        core,
        t.GroupMember(
            group_id=a.latvian_group,
            pupil_id=left,
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 10, 30),
        ),
    )
    pupils = await sent_to(
        core, teacher, a.school_id, Audience.group(a.latvian_group, Members.PUPILS)
    )
    assert pupils == {a.pupil_2a}  # a pupil who left the list is not there any more


async def test_all_parents_counts_a_parent_of_two_children_once_with_accounts(
    core: Core, world: World
) -> None:
    a = world.a
    await link(core, a.parent_5a, 7001)
    await link(core, a.pupil_5a, 7002)  # linked, but a pupil: not in "all parents"
    inactive = await new_person(core, "Rūta", "Neaktīvā", active=False)
    await insert(
        core, t.Guardianship(guardian_id=inactive, pupil_id=a.pupil_5a, relation="mother")
    )
    boss = await viewer(core, a.superuser)
    preview = await preview_broadcast(
        core.uow(), boss, school_id=a.school_id, audience=Audience.all_parents(), text="Sapulce"
    )
    assert (preview.recipients, preview.connected) == (2, 1)
    assert preview.school_name == "Alfa pamatskola"
    people = await sent_to(core, boss, a.school_id, Audience.all_parents())
    assert people == {a.parent_5a, a.parent_5a_second}


async def test_the_school_and_all_teachers_and_never_the_sender(core: Core, world: World) -> None:
    a = world.a
    boss = await viewer(core, a.superuser)
    staff = {a.director, a.math_teacher, a.latvian_teacher, a.other_teacher}
    families = {a.pupil_5a, a.pupil_5a_second, a.pupil_2a, a.parent_5a, a.parent_5a_second}
    assert await sent_to(core, boss, a.school_id, Audience.school()) == staff | families
    assert await sent_to(core, boss, a.school_id, Audience.all_staff()) == staff
    everyone_b = await sent_to(
        core, await viewer(core, world.b.director), world.b.school_id, Audience.school()
    )
    assert not everyone_b & (staff | families | {a.superuser})  # never another school's people


async def test_parents_of_pupils_absent_today_and_unexcused_this_week(
    core: Core, world: World
) -> None:
    a = world.a
    today = await lesson(core, world, TODAY)
    await absence(core, world, today, a.pupil_5a, on=TODAY, code="n", justification="pending")
    await absence(
        core, world, today, a.pupil_5a_second, on=TODAY, code="k", justification="pending"
    )  # late only
    await absence(
        core,
        world,
        a.lesson_math,
        a.pupil_5a_second,
        on=YESTERDAY,
        code="n",
        justification="unjustified",
    )
    earlier = await lesson(core, world, LAST_WEEK)
    await absence(
        core, world, earlier, a.pupil_2a, on=LAST_WEEK, code="n", justification="unjustified"
    )
    boss = await viewer(core, a.superuser)
    absent_today = Audience.parents_where(Condition.ABSENT_TODAY)
    assert await sent_to(core, boss, a.school_id, absent_today) == {a.parent_5a}
    unexcused = Audience.parents_where(Condition.UNEXCUSED_WEEK)
    assert await sent_to(core, boss, a.school_id, unexcused) == {a.parent_5a, a.parent_5a_second}
    # Within a scope: 2.a had nobody absent today.
    teacher = await viewer(core, a.latvian_teacher)
    in_2a = Audience.parents_where(Condition.ABSENT_TODAY, Scope.CLASS, a.class_2a)
    preview = await preview_broadcast(
        core.uow(), teacher, school_id=a.school_id, audience=in_2a, text="x"
    )
    assert preview.recipients == 0


async def test_a_justified_absence_is_not_unexcused(core: Core, world: World) -> None:
    a = world.a
    today = await lesson(core, world, TODAY)
    await absence(core, world, today, a.pupil_5a, on=TODAY, code="ns", justification="justified")
    boss = await viewer(core, a.superuser)
    unexcused = Audience.parents_where(Condition.UNEXCUSED_WEEK)
    preview = await preview_broadcast(
        core.uow(), boss, school_id=a.school_id, audience=unexcused, text="x"
    )
    assert preview.recipients == 0
    absent = Audience.parents_where(Condition.ABSENT_TODAY)
    assert await sent_to(core, boss, a.school_id, absent) == {a.parent_5a}


# ------------------------------------------------------------------ who may send


async def test_teachers_are_limited_to_their_classes_and_groups(core: Core, world: World) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    [targets] = await broadcast_targets(core.uow(), teacher)
    assert (targets.manager, targets.grades) == (False, ())
    assert [c.name for c in targets.classes] == ["5.a"]
    assert [g.name for g in targets.groups] == ["5.a Matemātika"]
    for audience in (
        Audience.school(),
        Audience.all_parents(),
        Audience.all_staff(),
        Audience.grade(5),
        Audience.klass(a.class_2a),
        Audience.group(a.latvian_group),
        Audience.parents_where(Condition.ABSENT_TODAY),
    ):
        with pytest.raises(NotAllowed) as refused:
            await preview_broadcast(
                core.uow(), teacher, school_id=a.school_id, audience=audience, text="x"
            )
        assert refused.value.key == "broadcast.audience_not_allowed", audience
    with pytest.raises(NotFound) as foreign:
        await send_broadcast(
            core.uow(),
            teacher,
            school_id=a.school_id,
            audience=Audience.klass(world.b.class_5a),
            text="x",
        )
    assert foreign.value.key == "broadcast.class_not_found"
    with pytest.raises(NotFound) as other_school:
        await send_broadcast(
            core.uow(),
            teacher,
            school_id=world.b.school_id,
            audience=Audience.klass(world.b.class_5a),
            text="x",
        )
    assert other_school.value.key == "broadcast.school_not_found"
    with pytest.raises(NotAllowed) as urgent:
        await send_broadcast(
            core.uow(),
            teacher,
            school_id=a.school_id,
            audience=Audience.klass(a.class_5a),
            text="x",
            urgent=True,
        )
    assert urgent.value.key == "broadcast.urgent_not_allowed"
    sport = await viewer(core, a.other_teacher)  # teaches nothing here
    assert await broadcast_targets(core.uow(), sport) == ()
    with pytest.raises(NotAllowed):
        await send_broadcast(
            core.uow(), sport, school_id=a.school_id, audience=Audience.klass(a.class_5a), text="x"
        )
    assert await count(core, t.Broadcast) == 0


async def test_managers_may_send_anything_in_their_school(core: Core, world: World) -> None:
    a = world.a
    director = await viewer(core, a.director)
    [targets] = await broadcast_targets(core.uow(), director)
    assert targets.manager
    assert targets.grades == (2, 5)
    assert [c.name for c in targets.classes] == ["2.a", "5.a"]
    assert [g.name for g in targets.groups] == ["2.a Latviešu valoda", "5.a Matemātika"]
    sent = await send_broadcast(
        core.uow(),
        director,
        school_id=a.school_id,
        audience=Audience.group(a.math_group),
        text="x",
        urgent=True,
    )
    assert sent.recipients == 4


@pytest.mark.parametrize("who", ["parent_5a", "pupil_5a"])
async def test_parents_and_pupils_never_broadcast_even_with_crafted_ids(
    core: Core, world: World, who: str
) -> None:
    a = world.a
    person = await viewer(core, getattr(a, who))
    assert await broadcast_targets(core.uow(), person) == ()
    for audience in (
        Audience.school(),
        Audience.all_parents(),
        Audience.klass(a.class_5a),
        Audience.group(a.math_group),
        Audience.grade(5),
    ):
        for call in (preview_broadcast, send_broadcast):
            with pytest.raises(NotFound) as refused:
                await call(core.uow(), person, school_id=a.school_id, audience=audience, text="x")
            assert refused.value.key == "broadcast.school_not_found"
    with pytest.raises(NotFound):
        await send_broadcast(
            core.uow(), person, school_id=2**40, audience=Audience.school(), text="x"
        )
    assert await count(core, t.Broadcast) == 0
    assert await count(core, t.DomainEvent) == 0


async def test_crafted_audiences_are_refused_before_anything_is_read(
    core: Core, world: World
) -> None:
    boss = await viewer(core, world.a.superuser)
    for audience in (
        Audience(Scope.SCHOOL, 5),
        Audience(Scope.GRADE, 13),
        Audience(Scope.CLASS, 0),
        Audience(Scope.GROUP, 2**40),
        Audience(Scope.CLASS, world.a.class_5a, Members.STAFF),
        Audience(Scope.SCHOOL, 0, Members.PUPILS, Condition.ABSENT_TODAY),
    ):
        with pytest.raises(InvalidInput) as refused:
            await send_broadcast(
                core.uow(), boss, school_id=world.a.school_id, audience=audience, text="x"
            )
        assert refused.value.key == "broadcast.audience_invalid"
    with pytest.raises(InvalidInput):
        Audience.from_json({"scope": "moon"})


# ------------------------------------------------------------------ sending


async def test_sending_stores_the_recipients_an_audit_entry_and_one_event(
    core: Core, world: World
) -> None:
    a = world.a
    await link(core, a.parent_5a, 7001)
    boss = await viewer(core, a.superuser)
    sent = await send_broadcast(
        core.uow(),
        boss,
        school_id=a.school_id,
        audience=Audience.all_parents(),
        text="  Rīt skola sāksies 9:00.\r\n",
        attachment=BroadcastAttachment("plans.pdf", "application/pdf", PDF),
        ask_ack=True,
        expected_recipients=2,
    )
    assert (sent.recipients, sent.connected) == (2, 1)
    async with create_session_factory(core.engine)() as session:
        row = await session.get(t.Broadcast, sent.id)
        audit = (
            await session.scalars(select(t.AuditEntry).where(t.AuditEntry.entity == "broadcast"))
        ).one()
        event = (
            await session.scalars(
                select(t.DomainEvent).where(t.DomainEvent.kind == "broadcast.sent")
            )
        ).one()
        stored = await session.get(t.StoredFile, row.file_id if row else 0)
    assert row is not None
    assert stored is not None
    assert (row.text, row.ask_ack, row.urgent, row.author_id) == (
        "Rīt skola sāksies 9:00.",
        True,
        False,
        a.superuser,
    )
    assert row.audience == {
        "scope": "school",
        "target": 0,
        "members": "parents",
        "condition": "none",
    }
    assert sorted(row.recipient_ids) == sorted([a.parent_5a, a.parent_5a_second])
    assert (stored.filename, bytes(stored.content)) == ("plans.pdf", PDF)
    assert (audit.action, audit.entity_id, audit.actor_role) == (
        "broadcast.send",
        sent.id,
        "deputy_director",
    )
    assert audit.after is not None
    assert audit.after["recipients"] == 2
    assert (event.kind, event.actor_id) == ("broadcast.sent", a.superuser)
    assert event.payload == {
        "broadcast_id": sent.id,
        "school_id": a.school_id,
        "recipients": 2,
        "urgent": False,
    }


async def test_a_changed_audience_or_bad_input_sends_nothing(core: Core, world: World) -> None:
    a = world.a
    boss = await viewer(core, a.superuser)
    with pytest.raises(Conflict) as changed:
        await send_broadcast(
            core.uow(),
            boss,
            school_id=a.school_id,
            audience=Audience.all_parents(),
            text="x",
            expected_recipients=3,
        )
    assert (changed.value.key, changed.value.params) == (
        "broadcast.audience_changed",
        {"count": 2},
    )
    for text in ("", "   \n ", "x" * 4001):
        with pytest.raises(InvalidInput):
            await send_broadcast(
                core.uow(), boss, school_id=a.school_id, audience=Audience.all_parents(), text=text
            )
    with pytest.raises(InvalidInput) as mismatch:
        await send_broadcast(
            core.uow(),
            boss,
            school_id=a.school_id,
            audience=Audience.all_parents(),
            text="x",
            attachment=BroadcastAttachment("plans.pdf", "application/pdf", b"not a pdf"),
        )
    assert mismatch.value.key == "news.file_mismatch"
    with pytest.raises(InvalidInput):
        await preview_broadcast(
            core.uow(),
            boss,
            school_id=a.school_id,
            audience=Audience.all_parents(),
            text="x",
            attachment=AttachmentInfo("virus.exe", "application/octet-stream", 10),
        )
    for table in (t.Broadcast, t.StoredFile, t.DomainEvent, t.AuditEntry):
        assert await count(core, table) == 0


# ------------------------------------------------------------ acknowledgements and the report


async def test_a_recipient_acknowledges_once_and_nobody_else_can(core: Core, world: World) -> None:
    a = world.a
    boss = await viewer(core, a.superuser)
    sent = await send_broadcast(
        core.uow(),
        boss,
        school_id=a.school_id,
        audience=Audience.all_parents(),
        text="x",
        ask_ack=True,
    )
    parent = await viewer(core, a.parent_5a)
    assert await acknowledge(core.uow(), parent, broadcast_id=sent.id) is True
    assert await acknowledge(core.uow(), parent, broadcast_id=sent.id) is False
    assert await count(core, t.BroadcastAck, broadcast_id=sent.id) == 1
    for outsider in (a.pupil_5a, a.math_teacher, world.b.parent_5a):
        with pytest.raises(NotFound):
            await acknowledge(core.uow(), await viewer(core, outsider), broadcast_id=sent.id)
    for crafted in (sent.id + 1, 0, -1, 2**40):
        with pytest.raises(NotFound):
            await acknowledge(core.uow(), parent, broadcast_id=crafted)
    quiet = await send_broadcast(
        core.uow(), boss, school_id=a.school_id, audience=Audience.all_parents(), text="y"
    )
    with pytest.raises(NotFound):  # no acknowledgement was asked for
        await acknowledge(core.uow(), parent, broadcast_id=quiet.id)
    report = await broadcast_report(core.uow(), boss, broadcast_id=sent.id)
    assert (report.acknowledged, report.ask_ack) == (1, True)


async def test_the_report_counts_the_outbox_rows_for_the_sender_and_managers_only(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    sent = await send_broadcast(
        core.uow(), teacher, school_id=a.school_id, audience=Audience.klass(a.class_5a), text="x"
    )
    report = await broadcast_report(core.uow(), teacher, broadcast_id=sent.id)
    assert (report.recipients, report.pending, report.delivered, report.done) == (4, 4, 0, False)
    assert report.target_name == "5.a"
    now = core.clock.now()
    statuses = {
        a.pupil_5a: "sent",
        a.pupil_5a_second: "not_connected",
        a.parent_5a: "unreachable",
        a.parent_5a_second: "queued",
    }
    await insert(
        core,
        *(
            t.Delivery(
                idempotency_key=f"broadcast:{sent.id}:p{person}",
                job=job_label(sent.id),
                kind="broadcast.sent",
                recipient_id=person,
                payload={},
                status=status,
                not_before=now,
                attempts=0,
                created_at=now,
            )
            for person, status in statuses.items()
        ),
    )
    report = await broadcast_report(core.uow(), teacher, broadcast_id=sent.id)
    assert (
        report.delivered,
        report.not_connected,
        report.unreachable,
        report.failed,
        report.pending,
    ) == (1, 1, 1, 0, 1)
    assert not report.done
    director = await viewer(core, a.director)
    assert (await broadcast_report(core.uow(), director, broadcast_id=sent.id)).pending == 1
    for outsider in (a.latvian_teacher, a.parent_5a, world.b.director):
        with pytest.raises(NotFound):
            await broadcast_report(core.uow(), await viewer(core, outsider), broadcast_id=sent.id)
