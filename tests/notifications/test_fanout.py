"""Fan-out on a real database: events → one delivery per recipient, with the policy applied."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import delete, select, update

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.events import LessonRecorded
from core.services import attendance, marks
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.fanout import FanOut
from notifications.jobs import DigestJob
from notifications.messages import load_catalogs
from notifications.outbox import FANOUT_CURSOR, Outbox
from notifications.policy import Rules
from notifications.settings import NotificationsSettings
from tests.builders import World, build_world, viewer

from .conftest import deliveries, link, utc

DAY = date(2026, 11, 26)
PARENT_CHAT, PUPIL_CHAT = 5001, 5002


def fanout(core: Core, **settings: object) -> FanOut:
    return FanOut(
        Outbox(core.engine),
        load_catalogs(),
        Rules.from_settings(NotificationsSettings(**settings)),  # type: ignore[arg-type]
        core.clock,
        batch=50,
        gap_timeout_s=60,
    )


async def assessment(core: Core, world: World, title: str = "Daļskaitļi") -> int:
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title=title
    )
    return test.id


async def give(core: Core, world: World, test: int, entries: dict[int, str]) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    await marks.record_marks(core.uow(), teacher, assessment_id=test, entries=entries)


async def linked_world(core: Core) -> World:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT_CHAT)
    await link(core, world.a.pupil_5a, PUPIL_CHAT, language="en")
    return world


async def test_a_mark_reaches_guardians_and_the_pupil_in_their_languages(core: Core) -> None:
    world = await linked_world(core)
    test = await assessment(core, world)
    await give(core, world, test, {world.a.pupil_5a: "8", world.a.pupil_5a_second: "7"})

    assert await fanout(core).run_once() == 2
    rows = await deliveries(core)
    by_person = {row.recipient_id: row for row in rows}
    assert set(by_person) == {
        world.a.parent_5a,
        world.a.pupil_5a,
        world.a.parent_5a_second,
        world.a.pupil_5a_second,
    }
    parent = by_person[world.a.parent_5a]
    assert parent.status == "queued"
    assert parent.chat_id == PARENT_CHAT
    assert parent.payload["text"] == (
        "<b>Jānis</b>: jauns vērtējums — Matemātika: <b>8</b> (26.11.2026)"
    )
    assert (
        parent.idempotency_key
        == f"mark:{parent.event_id and _mark_id(parent)}:p{world.a.parent_5a}"
    )
    pupil = by_person[world.a.pupil_5a]
    assert pupil.payload["text"] == "New mark — Matemātika: <b>8</b> (26.11.2026)"
    # Marks wait out the grace period; the second parent has no account yet.
    now = core.clock.now()
    assert {row.not_before.replace(tzinfo=None) for row in (parent, pupil)} == {
        (now + timedelta(minutes=10)).replace(tzinfo=None)
    }
    for unlinked in (world.a.parent_5a_second, world.a.pupil_5a_second):
        assert (by_person[unlinked].status, by_person[unlinked].chat_id) == ("not_connected", None)
    # Nothing beyond what the recipient may see: no family names, no other pupil.
    for row in rows:
        assert "Bērziņš" not in row.payload["text"]
        assert "Anna" not in parent.payload["text"]


def _mark_id(row: t.Delivery) -> str:
    return row.idempotency_key.split(":")[1]


async def test_fan_out_is_idempotent_and_keeps_its_cursor(core: Core) -> None:
    world = await linked_world(core)
    test = await assessment(core, world)
    await give(core, world, test, {world.a.pupil_5a: "8"})
    first = fanout(core)
    assert await first.run_once() == 1
    assert await first.run_once() == 0
    before = [(r.id, r.idempotency_key) for r in await deliveries(core)]
    # A replay from scratch (cursor lost) writes nothing new: the keys are taken.
    async with Outbox(core.engine).transaction() as tx:
        await tx.set_cursor(FANOUT_CURSOR, 0, core.clock.now())
    assert await fanout(core).run_once() == 1
    assert [(r.id, r.idempotency_key) for r in await deliveries(core)] == before


async def test_a_correction_inside_the_grace_period_replaces_the_pending_delivery(
    core: Core, clock: FakeClock
) -> None:
    world = await linked_world(core)
    test = await assessment(core, world)
    engine = fanout(core)
    await give(core, world, test, {world.a.pupil_5a: "8"})
    await engine.run_once()
    clock.advance(timedelta(minutes=5))
    await give(core, world, test, {world.a.pupil_5a: "9"})
    await engine.run_once()
    clock.advance(timedelta(minutes=1))
    await give(core, world, test, {world.a.pupil_5a: "10"})
    await engine.run_once()

    rows = await deliveries(core)
    assert len(rows) == 2  # parent and pupil, once each
    parent = next(r for r in rows if r.recipient_id == world.a.parent_5a)
    assert parent.payload["text"].startswith("<b>Jānis</b>: jauns vērtējums")
    assert "<b>10</b>" in parent.payload["text"]
    assert parent.payload["version"] == 3
    assert parent.idempotency_key == f"mark:{_mark_id(parent)}:p{world.a.parent_5a}"
    # Replaying every event changes nothing.
    async with Outbox(core.engine).transaction() as tx:
        await tx.set_cursor(FANOUT_CURSOR, 0, core.clock.now())
    await fanout(core).run_once()
    again = await deliveries(core)
    assert [(r.id, r.payload) for r in again] == [(r.id, r.payload) for r in rows]


async def test_a_correction_after_sending_is_a_new_message(core: Core) -> None:
    world = await linked_world(core)
    test = await assessment(core, world)
    engine = fanout(core)
    await give(core, world, test, {world.a.pupil_5a: "8"})
    await engine.run_once()
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(update(t.Delivery).values(status="sent"))
    await give(core, world, test, {world.a.pupil_5a: "6"})
    await engine.run_once()

    rows = await deliveries(core)
    assert len(rows) == 4
    fresh = [r for r in rows if r.status == "queued"]
    assert {r.idempotency_key.rsplit(":", 1)[1] for r in fresh} == {"r2"}
    parent = next(r for r in fresh if r.recipient_id == world.a.parent_5a)
    assert parent.payload["text"].startswith("<b>Jānis</b>: vērtējums labots")


async def test_quiet_hours_hold_instant_messages_until_morning(
    core: Core, clock: FakeClock
) -> None:
    world = await linked_world(core)
    await link(
        core, world.a.pupil_5a_second, 5003, quiet=(time(22, 0), time(6, 0))
    )  # own quiet hours
    test = await assessment(core, world)
    clock.set(utc(2026, 11, 26, 18, 55))  # 20:55 in Riga: +10 min grace falls into 21:00-07:00
    await give(core, world, test, {world.a.pupil_5a: "8", world.a.pupil_5a_second: "9"})
    await fanout(core).run_once()
    due = {r.recipient_id: r.not_before.replace(tzinfo=None) for r in await deliveries(core)}
    assert due[world.a.parent_5a] == utc(2026, 11, 27, 5, 0).replace(tzinfo=None)  # 07:00
    assert due[world.a.pupil_5a_second] == utc(2026, 11, 26, 19, 5).replace(tzinfo=None)


async def test_digest_preference_holds_items_for_one_daily_message(
    core: Core, clock: FakeClock
) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT_CHAT, preferences={"notify": {"mark": "digest"}})
    test = await assessment(core, world)
    other = await assessment(core, world, "Procenti")
    await give(core, world, test, {world.a.pupil_5a: "8"})
    await give(core, world, other, {world.a.pupil_5a: "nv"})
    outbox = Outbox(core.engine)
    await fanout(core, notify_pupils_of_marks=False).run_once()
    held = [r for r in await deliveries(core) if r.recipient_id == world.a.parent_5a]
    assert [r.status for r in held] == ["digest", "digest"]

    clock.set(utc(2026, 11, 27, 16, 0))  # 18:00 in Riga
    job = DigestJob(outbox, load_catalogs(), core.clock)
    assert await job.run(date(2026, 11, 27)) == 1
    assert await job.run(date(2026, 11, 27)) == 0  # twice for one day: nothing new
    rows = await deliveries(core)
    digest = [r for r in rows if r.kind == "digest"]
    assert len(digest) == 1
    assert digest[0].job == "digest:2026-11-27"
    assert digest[0].idempotency_key == f"digest:{world.a.parent_5a}:2026-11-27"
    text = digest[0].payload["text"]
    assert text.startswith("<b>Kopsavilkums, 27.11.2026</b>\n\n")
    assert "Matemātika: <b>8</b>" in text
    assert "Matemātika: <b>nv</b>" in text
    assert sorted(r.status for r in rows if r.kind != "digest" and r.chat_id) == [
        "merged",
        "merged",
    ]
    run = await outbox.job_run("digest", "2026-11-27")
    assert run is not None
    assert run.enqueued == 1


async def test_absences_reach_guardians_but_never_the_teacher_who_recorded_them(
    core: Core,
) -> None:
    world = await linked_world(core)
    # The math teacher is also the second pupil's guardian here.
    async with create_session_factory(core.engine)() as session, session.begin():
        session.add(
            t.Guardianship(guardian_id=world.a.math_teacher, pupil_id=world.a.pupil_5a_second)
        )
    await link(core, world.a.math_teacher, 5010)
    teacher = await viewer(core, world.a.math_teacher)
    await attendance.record_attendance(
        core.uow(),
        teacher,
        lesson_id=world.a.lesson_math,
        absent={world.a.pupil_5a: "n", world.a.pupil_5a_second: "k"},
    )
    await fanout(core).run_once()
    rows = await deliveries(core)
    assert {r.recipient_id for r in rows} == {world.a.parent_5a, world.a.parent_5a_second}
    parent = next(r for r in rows if r.recipient_id == world.a.parent_5a)
    assert parent.payload["text"] == (
        "<b>Jānis</b>: nav ieradies — Matemātika, 26.11.2026, 2. stunda"
    )
    assert parent.not_before.replace(tzinfo=None) == core.clock.now().replace(tzinfo=None)


async def test_unreachable_accounts_get_rows_that_are_never_sent(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT_CHAT, status="unreachable")
    test = await assessment(core, world)
    await give(core, world, test, {world.a.pupil_5a: "8"})
    await fanout(core, notify_pupils_of_marks=False).run_once()
    [row] = await deliveries(core)
    assert row.status == "unreachable"
    report = await Outbox(core.engine).report()
    assert [(r.name, r.unreachable, r.not_connected) for r in report] == [("mark.recorded", 1, 0)]


async def test_an_event_committed_late_is_still_fanned_out(core: Core, clock: FakeClock) -> None:
    """PostgreSQL can commit id N after N+1: the cursor must not jump over N."""
    world = await linked_world(core)
    test = await assessment(core, world)
    await give(core, world, test, {world.a.pupil_5a: "8"})
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        event = (await session.scalars(select(t.DomainEvent))).one()
        late = {c: getattr(event, c) for c in ("kind", "occurred_at", "school_id", "actor_id")}
        late["payload"] = dict(event.payload)
        late_id = event.id
        await session.execute(delete(t.DomainEvent))
        session.add(
            t.DomainEvent(
                id=late_id + 1,
                kind=LessonRecorded.kind,
                occurred_at=event.occurred_at,
                school_id=event.school_id,
                actor_id=None,
                payload={},
            )
        )
    engine = fanout(core)
    assert await engine.run_once() == 1
    assert await deliveries(core) == []
    async with Outbox(core.engine).transaction() as tx:
        assert await tx.cursor(FANOUT_CURSOR) == late_id - 1  # held below the gap
    async with sessions() as session, session.begin():
        session.add(t.DomainEvent(id=late_id, **late))
    assert await engine.run_once() == 1
    assert len(await deliveries(core)) == 2
    async with Outbox(core.engine).transaction() as tx:
        assert await tx.cursor(FANOUT_CURSOR) == late_id + 1


async def test_a_gap_that_never_fills_is_given_up_after_the_timeout(
    core: Core, clock: FakeClock
) -> None:
    await build_world(core)
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        session.add(
            t.DomainEvent(
                id=7, kind="lesson.recorded", occurred_at=clock.now(), payload={}, actor_id=None
            )
        )
    engine = fanout(core)
    await engine.run_once()
    async with Outbox(core.engine).transaction() as tx:
        assert await tx.cursor(FANOUT_CURSOR) == 0
    clock.advance(timedelta(seconds=61))
    await engine.run_once()
    async with Outbox(core.engine).transaction() as tx:
        assert await tx.cursor(FANOUT_CURSOR) == 7
