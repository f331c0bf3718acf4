"""Daily timetable changes: drafts, validation, publishing, recipients, free teachers, marks.

School a's timetable (tests.builders.build_timetable): 5.a mathematics Mon 1 (101) and Tue 2
(101), 2.a Latvian Mon 2 (12) and Thu 3. Today is Friday 27.11.2026.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from types import TracebackType
from typing import Any, Self, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.events import Event
from core.domain.records import AuditRecord
from core.errors import InvalidInput, NotFound
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.schools import seed_demo
from core.services.timetable import TimetableEntry, week_timetable
from core.services.timetable_changes import (
    ChangeView,
    PlannedLesson,
    add_change,
    change_line,
    day_plan,
    free_teachers,
    personal_changes,
    publish_changes,
    published_changes,
    remove_change,
    teacher_lessons,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_timetable, build_world, insert, new_person, viewer

MONDAY = date(2026, 11, 30)
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
THURSDAY = MONDAY + timedelta(days=3)
CATALOGS = Catalogs.load()


async def _world(core: Core) -> tuple[World, Viewer]:
    world = await build_world(core)
    await build_timetable(core, world)
    return world, await viewer(core, world.a.superuser)


async def _lesson(core: Core, boss: Viewer, world: World, on: date, period: int) -> PlannedLesson:
    plan = await day_plan(core.uow(), boss, school_id=world.a.school_id, on=on)
    [lesson] = [p for p in plan.lessons if p.period == period and p.slot_id is not None]
    return lesson


async def _count(core: Core, model: type[t.Base], *where: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(
            await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        )


async def _rows(core: Core, model: type[t.Base], *where: Any) -> list[Any]:
    async with create_session_factory(core.engine)() as session:
        return list(await session.scalars(select(model).where(*where)))


def _entries(week: Any, day: date) -> list[TimetableEntry]:
    [found] = [d for d in week.days if d.on == day]
    return list(found.entries)


def lv(key: str, /, **params: Any) -> str:
    return CATALOGS.text(key, "lv", **params)


# ----------------------------------------------------------------------- the whole journey


async def test_a_substitution_is_a_draft_until_published_then_everyone_sees_it(
    core: Core,
) -> None:
    world, boss = await _world(core)
    a = world.a
    math = await _lesson(core, boss, world, MONDAY, 1)
    assert (math.group_name, math.teacher_names, math.room) == (
        "5.a Matemātika",
        ("Māra Alfa-Matemātiķe",),
        "101",
    )
    draft = await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=MONDAY,
        kind="substitution",
        slot_id=math.slot_id,
        teacher_id=a.other_teacher,
    )
    assert (draft.kind, draft.status, draft.teacher_names, draft.original_teacher_names) == (
        "substitution",
        "draft",
        ("Pēteris Alfa-Sportists",),
        ("Māra Alfa-Matemātiķe",),
    )
    plan = await day_plan(core.uow(), boss, school_id=a.school_id, on=MONDAY)
    assert (plan.drafts, plan.published) == (1, 0)
    assert plan.lessons[0].change == draft

    # Drafts are nobody's business but the managers'.
    parent = await viewer(core, a.parent_5a)
    assert await published_changes(core.uow(), parent, school_id=a.school_id, on=MONDAY) == ()
    pupil = await viewer(core, a.pupil_5a)
    week = await week_timetable(core.uow(), pupil, pupil_id=a.pupil_5a, week_of=MONDAY)
    assert [e.change for e in _entries(week, MONDAY)] == [None]

    [published] = await publish_changes(core.uow(), boss, school_id=a.school_id, on=MONDAY)
    assert published.id == draft.id
    assert published.status == "published"
    assert published.published_at == core.clock.now()

    [post] = await _rows(core, t.NewsPost)
    assert (post.kind, post.author_id, post.school_id) == ("timetable", a.superuser, a.school_id)
    assert post.title == "Stundu izmaiņas 30.11.2026 (pirmdiena)"
    assert post.body == (
        "5.a, 1. stunda: Matemātika — aizvietošana: vada Pēteris Alfa-Sportists "
        "(pēc saraksta Māra Alfa-Matemātiķe)"
    )
    [event] = await _rows(core, t.DomainEvent, t.DomainEvent.kind == "timetable.published")
    assert event.payload == {
        "school_id": a.school_id,
        "on": "2026-11-30",
        "change_ids": [draft.id],
        "news_post_id": post.id,
    }
    assert event.actor_id == a.superuser
    [audit] = await _rows(core, t.AuditEntry, t.AuditEntry.action == "timetable.publish")
    assert (audit.entity, audit.entity_id, audit.actor_id) == ("news_post", post.id, a.superuser)

    assert await published_changes(core.uow(), parent, school_id=a.school_id, on=MONDAY) == (
        published,
    )
    week = await week_timetable(core.uow(), pupil, pupil_id=a.pupil_5a, week_of=MONDAY)
    [entry] = _entries(week, MONDAY)
    assert (entry.change, entry.teachers, entry.original_teachers, entry.room) == (
        "substituted",
        ("Pēteris Alfa-Sportists",),
        ("Māra Alfa-Matemātiķe",),
        "101",
    )
    # The substitute's day shows the lesson; the absent teacher's shows who took it.
    substitute = await viewer(core, a.other_teacher)
    theirs = await week_timetable(
        core.uow(), substitute, teacher_id=a.other_teacher, week_of=MONDAY
    )
    assert [(e.period, e.group_name, e.change) for d in theirs.days for e in d.entries] == [
        (1, "5.a Matemātika", "substituted")
    ]
    absent = await week_timetable(core.uow(), boss, teacher_id=a.math_teacher, week_of=MONDAY)
    [own] = _entries(absent, MONDAY)
    assert (own.change, own.teachers) == ("substituted", ("Pēteris Alfa-Sportists",))
    assert [e.change for e in _entries(absent, TUESDAY)] == [None]


async def test_publishing_is_one_transaction(core: Core) -> None:
    world, boss = await _world(core)
    math = await _lesson(core, boss, world, MONDAY, 1)
    await add_change(
        core.uow(),
        boss,
        school_id=world.a.school_id,
        on=MONDAY,
        kind="cancel",
        slot_id=math.slot_id,
    )
    with pytest.raises(RuntimeError):
        await publish_changes(
            _FailingEvents(core.uow()), boss, school_id=world.a.school_id, on=MONDAY
        )
    assert await _count(core, t.NewsPost) == 0
    assert await _count(core, t.TimetableChange, t.TimetableChange.status == "published") == 0
    assert await _count(core, t.AuditEntry, t.AuditEntry.action == "timetable.publish") == 0
    assert await _count(core, t.DomainEvent) == 0


class _FailingEvents:
    """A unit of work whose event write fails: the last step of a publication."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)

    def audit(self, viewer: Viewer, entry: AuditRecord) -> None:
        self._inner.audit(viewer, entry)

    def record(self, event: Event, *, school_id: int | None, actor_id: int | None) -> None:
        raise RuntimeError("the event table is gone")


# ------------------------------------------------------------------------------ every kind


async def test_each_kind_shows_in_the_plan_the_bulletin_and_the_weeks(core: Core) -> None:
    world, boss = await _world(core)
    a = world.a
    uow = core.uow
    math_monday = await _lesson(core, boss, world, MONDAY, 1)
    latvian_monday = await _lesson(core, boss, world, MONDAY, 2)
    math_tuesday = await _lesson(core, boss, world, TUESDAY, 2)
    latvian_thursday = await _lesson(core, boss, world, THURSDAY, 3)
    school = a.school_id
    moved = await add_change(
        uow(),
        boss,
        school_id=school,
        on=MONDAY,
        kind="move",
        slot_id=math_monday.slot_id,
        new_date=WEDNESDAY,
        new_period=3,
    )
    assert (moved.new_date, moved.new_period, moved.room) == (WEDNESDAY, 3, "101")
    await add_change(
        uow(), boss, school_id=school, on=MONDAY, kind="cancel", slot_id=latvian_monday.slot_id
    )
    room = await add_change(
        uow(),
        boss,
        school_id=school,
        on=TUESDAY,
        kind="room",
        slot_id=math_tuesday.slot_id,
        room=" 205 ",
    )
    assert (room.room, room.original_room) == ("205", "101")
    extra = await add_change(
        uow(),
        boss,
        school_id=school,
        on=WEDNESDAY,
        kind="extra",
        group_id=a.math_group,
        period=4,
        teacher_id=a.other_teacher,
        room="Aula",
        note="konsultācija",
    )
    assert (extra.slot_id, extra.teacher_names, extra.original_teacher_ids) == (
        None,
        ("Pēteris Alfa-Sportists",),
        (),
    )
    await add_change(
        uow(),
        boss,
        school_id=school,
        on=THURSDAY,
        kind="move",
        slot_id=latvian_thursday.slot_id,
        new_period=5,
    )
    # The editor's view of Wednesday: the lesson moved in and the extra one, by period.
    wednesday = await day_plan(uow(), boss, school_id=school, on=WEDNESDAY)
    assert [(p.period, p.group_name, p.change and p.change.kind) for p in wednesday.lessons] == [
        (3, "5.a Matemātika", "move"),
        (4, "5.a Matemātika", "extra"),
    ]
    for day in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY):
        await publish_changes(uow(), boss, school_id=school, on=day)

    posts = {p.title: p.body for p in await _rows(core, t.NewsPost)}
    assert posts["Stundu izmaiņas 30.11.2026 (pirmdiena)"].splitlines() == [
        "2.a, 2. stunda: Latviešu valoda — stunda nenotiks",
        "5.a, 1. stunda: Matemātika — pārcelta uz 02.12.2026, 3. stundu",
    ]
    assert posts["Stundu izmaiņas 01.12.2026 (otrdiena)"] == (
        "5.a, 2. stunda: Matemātika — kabineta maiņa: 101 → 205"
    )
    assert posts["Stundu izmaiņas 02.12.2026 (trešdiena)"].splitlines() == [
        "5.a, 1. stunda: Matemātika — pārcelta uz 02.12.2026, 3. stundu",
        "5.a, 4. stunda: Matemātika — papildu stunda, vada Pēteris Alfa-Sportists, "
        "kabinets Aula (konsultācija)",
    ]
    assert posts["Stundu izmaiņas 03.12.2026 (ceturtdiena)"] == (
        "2.a, 3. stunda: Latviešu valoda — pārcelta uz 5. stundu"
    )

    parent = await viewer(core, a.parent_5a)
    first_child = await week_timetable(uow(), parent, pupil_id=a.pupil_5a, week_of=MONDAY)
    marks = [
        (d.on.weekday(), e.period, e.change, e.room, e.original_room, e.moved_to, e.moved_from)
        for d in first_child.days
        for e in d.entries
    ]
    assert marks == [
        (0, 1, "moved_away", "101", None, (WEDNESDAY, 3), None),
        (1, 2, "room", "205", "101", None, None),
        (2, 3, "moved_here", "101", None, None, (MONDAY, 1)),
        (2, 4, "extra", "Aula", None, None, None),
    ]
    [_, _, wednesday_entries, *_] = [d.entries for d in first_child.days]
    assert wednesday_entries[1].note == "konsultācija"
    second_child = await week_timetable(uow(), parent, pupil_id=a.pupil_2a, week_of=MONDAY)
    assert [
        (d.on.weekday(), e.period, e.change, e.moved_to)
        for d in second_child.days
        for e in d.entries
    ] == [
        (0, 2, "cancelled", None),
        (3, 3, "moved_away", (THURSDAY, 5)),
        (3, 5, "moved_here", None),
    ]
    # The extra lesson's teacher has it in their week.
    other = await week_timetable(uow(), boss, teacher_id=a.other_teacher, week_of=MONDAY)
    assert [(e.period, e.change) for d in other.days for e in d.entries] == [(4, "extra")]


def test_a_change_reads_the_same_in_every_language() -> None:
    change = ChangeView(
        id=1,
        school_id=1,
        on=MONDAY,
        kind="substitution",
        status="published",
        slot_id=1,
        group_id=1,
        group_name="5.a Angļu valoda (1. grupa)",
        subject_name="Angļu valoda",
        class_names=("5.a",),
        period=3,
        teacher_ids=(2,),
        teacher_names=("Jānis Ozols",),
        original_teacher_ids=(3,),
        original_teacher_names=("Anna Bērziņa",),
        room="108",
        original_room="205",
        new_date=None,
        new_period=None,
        note=None,
        published_at=None,
    )

    def text(lang: str) -> str:
        return change_line(change, lambda key, **kw: CATALOGS.text(key, lang, **kw))

    assert text("lv") == (
        "5.a, 3. stunda: Angļu valoda (1. grupa) — aizvietošana: vada Jānis Ozols "
        "(pēc saraksta Anna Bērziņa), kabinets 108"
    )
    assert text("en") == (
        "5.a, period 3: Angļu valoda (1. grupa) — substitute Jānis Ozols "
        "(instead of Anna Bērziņa), room 108"
    )
    assert text("ru") == (
        "5.a, 3-й урок: Angļu valoda (1. grupa) — замена: ведёт Jānis Ozols "
        "(по расписанию Anna Bērziņa), кабинет 108"
    )


# ------------------------------------------------------------------------------ validation


async def test_bad_changes_are_refused_and_change_nothing(core: Core) -> None:
    world, boss = await _world(core)
    a = world.a
    school = a.school_id
    math = await _lesson(core, boss, world, MONDAY, 1)
    latvian = await _lesson(core, boss, world, MONDAY, 2)
    # A legitimate draft the checks below must see: 2.a Latvian moved to period 1.
    await add_change(
        core.uow(),
        boss,
        school_id=school,
        on=MONDAY,
        kind="move",
        slot_id=latvian.slot_id,
        new_period=1,
    )
    before = await _count(core, t.TimetableChange)
    audits = await _count(core, t.AuditEntry)

    async def refused(key: str, **kwargs: Any) -> None:
        kwargs.setdefault("on", MONDAY)
        kwargs.setdefault("kind", "substitution")
        with pytest.raises(InvalidInput) as caught:
            await add_change(core.uow(), boss, school_id=school, **kwargs)
        assert caught.value.key == key
        for lang in ("lv", "en", "ru"):
            assert CATALOGS.has(key, lang)

    sub = {"slot_id": math.slot_id, "teacher_id": a.other_teacher}
    await refused("timetable.change.past", on=date(2026, 11, 26), **sub)
    await refused("timetable.change.not_school_day", on=date(2026, 11, 28), **sub)
    await refused("timetable.change.outside_term", on=date(2027, 7, 1), **sub)
    await refused("timetable.change.no_lesson", on=TUESDAY, **sub)
    await refused("timetable.change.same_teacher", slot_id=math.slot_id, teacher_id=a.math_teacher)
    # The draft moved Latvian into period 1: its teacher is busy then.
    await refused(
        "timetable.change.teacher_busy", slot_id=math.slot_id, teacher_id=a.latvian_teacher
    )
    await refused("timetable.change.teacher_required", slot_id=math.slot_id)
    await refused(
        "timetable.change.group_busy",
        kind="move",
        slot_id=math.slot_id,
        new_date=TUESDAY,
        new_period=2,
    )
    await refused("timetable.change.move_target_required", kind="move", slot_id=math.slot_id)
    await refused("timetable.change.move_nowhere", kind="move", slot_id=math.slot_id, new_period=1)
    await refused(
        "timetable.change.not_school_day",
        kind="move",
        slot_id=math.slot_id,
        new_date=date(2026, 12, 5),
    )
    await refused("timetable.change.room_empty", kind="room", slot_id=math.slot_id, room="  ")
    await refused("timetable.change.room_same", kind="room", slot_id=math.slot_id, room="101")
    await refused(
        "timetable.change.room_too_long", kind="room", slot_id=math.slot_id, room="x" * 40
    )
    await refused("timetable.change.group_busy", kind="extra", group_id=a.math_group, period=1)
    await refused("timetable.change.extra_needs_group", kind="extra", group_id=a.math_group)
    await refused(
        "timetable.change.period_invalid", kind="extra", group_id=a.math_group, period=99
    )
    await refused("timetable.change.kind_unknown", kind="holiday", slot_id=math.slot_id)
    with pytest.raises(InvalidInput) as caught:
        await publish_changes(core.uow(), boss, school_id=school, on=TUESDAY)
    assert caught.value.key == "timetable.change.nothing_to_publish"

    # Unknown ids, foreign schools and non-managers read as "not found".
    with pytest.raises(NotFound):
        await add_change(
            core.uow(), boss, school_id=school, on=MONDAY, kind="cancel", slot_id=99999
        )
    with pytest.raises(NotFound):
        await add_change(
            core.uow(),
            boss,
            school_id=school,
            on=MONDAY,
            kind="substitution",
            slot_id=math.slot_id,
            teacher_id=a.director,
        )
    with pytest.raises(NotFound):
        await add_change(
            core.uow(),
            boss,
            school_id=school,
            on=MONDAY,
            kind="extra",
            group_id=world.b.math_group,
            period=5,
        )
    for outsider in (a.math_teacher, world.b.superuser, a.parent_5a):
        who = await viewer(core, outsider)
        with pytest.raises(NotFound):
            await add_change(
                core.uow(), who, school_id=school, on=MONDAY, kind="cancel", slot_id=math.slot_id
            )
        with pytest.raises(NotFound):
            await day_plan(core.uow(), who, school_id=school, on=MONDAY)
        with pytest.raises(NotFound):
            await publish_changes(core.uow(), who, school_id=school, on=MONDAY)
    assert await _count(core, t.TimetableChange) == before
    assert await _count(core, t.AuditEntry) == audits
    assert await _count(core, t.NewsPost) == 0
    assert await _count(core, t.DomainEvent) == 0


# ---------------------------------------------------------------- replacing and superseding


async def test_a_later_change_replaces_the_draft_and_supersedes_the_published_one(
    core: Core,
) -> None:
    world, boss = await _world(core)
    a = world.a
    school = a.school_id
    math = await _lesson(core, boss, world, MONDAY, 1)
    first = await add_change(
        core.uow(),
        boss,
        school_id=school,
        on=MONDAY,
        kind="substitution",
        slot_id=math.slot_id,
        teacher_id=a.other_teacher,
    )
    await publish_changes(core.uow(), boss, school_id=school, on=MONDAY)
    # A new substitute: a draft beside the published change until it is published.
    await add_change(
        core.uow(),
        boss,
        school_id=school,
        on=MONDAY,
        kind="substitution",
        slot_id=math.slot_id,
        teacher_id=a.superuser,
    )
    # ... and the same lesson again: the draft is replaced, not added to.
    cancel = await add_change(
        core.uow(), boss, school_id=school, on=MONDAY, kind="cancel", slot_id=math.slot_id
    )
    plan = await day_plan(core.uow(), boss, school_id=school, on=MONDAY)
    assert (plan.drafts, plan.published) == (1, 1)
    assert plan.lessons[0].change == cancel
    reader = await viewer(core, a.pupil_5a)
    [still] = await published_changes(core.uow(), reader, school_id=school, on=MONDAY)
    assert still.id == first.id

    [now] = await publish_changes(core.uow(), boss, school_id=school, on=MONDAY)
    assert now.id == cancel.id
    assert await published_changes(core.uow(), reader, school_id=school, on=MONDAY) == (now,)
    assert await _count(core, t.TimetableChange) == 1
    latest = max(await _rows(core, t.NewsPost), key=lambda p: p.id)
    assert latest.body == "5.a, 1. stunda: Matemātika — stunda nenotiks"
    # A published change is not deleted; a draft is, by a manager only.
    with pytest.raises(InvalidInput) as caught:
        await remove_change(core.uow(), boss, change_id=now.id)
    assert caught.value.key == "timetable.change.not_draft"
    draft = await add_change(
        core.uow(), boss, school_id=school, on=MONDAY, kind="room", slot_id=math.slot_id, room="7"
    )
    with pytest.raises(NotFound):
        await remove_change(core.uow(), await viewer(core, world.b.superuser), change_id=draft.id)
    await remove_change(core.uow(), boss, change_id=draft.id)
    assert await _count(core, t.TimetableChange) == 1
    with pytest.raises(NotFound):
        await remove_change(core.uow(), boss, change_id=draft.id)


# -------------------------------------------------------------------------------- recipients


async def test_personal_changes_reach_pupils_every_guardian_and_both_teachers(
    core: Core,
) -> None:
    world, boss = await _world(core)
    a = world.a
    school = a.school_id
    father = await new_person(core, "Ivars", "Alfa-Bērziņš")
    gone_guardian = await new_person(core, "Zane", "Alfa-Bērziņa", active=False)
    left_pupil = await new_person(core, "Roberts", "Alfa-Ozols", active=False)
    await insert(
        core,
        t.Guardianship(guardian_id=father, pupil_id=a.pupil_5a, relation="father"),
        t.Guardianship(guardian_id=gone_guardian, pupil_id=a.pupil_5a, relation="guardian"),
        t.Enrolment(
            school_id=school,
            class_id=a.class_5a,
            pupil_id=left_pupil,
            starts_on=date(2026, 9, 1),
            ends_on=None,
        ),
    )
    math = await _lesson(core, boss, world, MONDAY, 1)
    latvian = await _lesson(core, boss, world, MONDAY, 2)
    substitution = await add_change(
        core.uow(),
        boss,
        school_id=school,
        on=MONDAY,
        kind="substitution",
        slot_id=math.slot_id,
        teacher_id=a.other_teacher,
    )
    # Drafts reach nobody.
    assert await personal_changes(core.uow(), school_id=school, on=MONDAY) == ()
    await publish_changes(core.uow(), boss, school_id=school, on=MONDAY)
    cancel = await add_change(
        core.uow(), boss, school_id=school, on=MONDAY, kind="cancel", slot_id=latvian.slot_id
    )
    await publish_changes(core.uow(), boss, school_id=school, on=MONDAY)

    found = await personal_changes(core.uow(), school_id=school, on=MONDAY)
    who = [(p.person_id, p.role, p.pupil_id, tuple(c.id for c in p.changes)) for p in found]
    s, c = substitution.id, cancel.id
    assert sorted(who) == who  # by person, then role, then child
    assert set(who) == {
        (a.pupil_5a, "pupil", a.pupil_5a, (s,)),
        (a.pupil_5a_second, "pupil", a.pupil_5a_second, (s,)),
        (a.pupil_2a, "pupil", a.pupil_2a, (c,)),
        (a.parent_5a, "guardian", a.pupil_5a, (s,)),  # one entry per child
        (a.parent_5a, "guardian", a.pupil_2a, (c,)),
        (father, "guardian", a.pupil_5a, (s,)),
        (a.parent_5a_second, "guardian", a.pupil_5a_second, (s,)),
        (a.math_teacher, "teacher", None, (s,)),
        (a.other_teacher, "teacher", None, (s,)),
        (a.latvian_teacher, "teacher", None, (c,)),
    }
    names = {(p.person_id, p.pupil_id): p.pupil_name for p in found}
    assert names[(father, a.pupil_5a)] == "Jānis Alfa-Bērziņš"
    assert names[(a.math_teacher, None)] is None
    only = await personal_changes(core.uow(), school_id=school, on=MONDAY, change_ids=[c])
    assert {(p.person_id, p.role) for p in only} == {
        (a.pupil_2a, "pupil"),
        (a.parent_5a, "guardian"),
        (a.latvian_teacher, "teacher"),
    }
    assert await personal_changes(core.uow(), school_id=school, on=TUESDAY) == ()


async def test_a_lesson_moved_in_from_another_day_reaches_its_pupils_on_that_day(
    core: Core,
) -> None:
    world, boss = await _world(core)
    a = world.a
    math = await _lesson(core, boss, world, TUESDAY, 2)
    moved = await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=TUESDAY,
        kind="move",
        slot_id=math.slot_id,
        new_date=MONDAY,
        new_period=3,
    )
    await publish_changes(core.uow(), boss, school_id=a.school_id, on=TUESDAY)
    monday = await personal_changes(core.uow(), school_id=a.school_id, on=MONDAY)
    assert {(p.person_id, p.role) for p in monday} >= {
        (a.pupil_5a, "pupil"),
        (a.parent_5a, "guardian"),
        (a.math_teacher, "teacher"),
    }
    assert {c.id for p in monday for c in p.changes} == {moved.id}
    # The moved lesson now keeps Monday's period 3 busy for 5.a and its teacher.
    with pytest.raises(InvalidInput) as caught:
        await add_change(
            core.uow(),
            boss,
            school_id=a.school_id,
            on=MONDAY,
            kind="extra",
            group_id=a.math_group,
            period=3,
        )
    assert caught.value.key == "timetable.change.group_busy"


async def test_only_people_of_the_school_read_its_changes(core: Core) -> None:
    world, boss = await _world(core)
    a = world.a
    math = await _lesson(core, boss, world, MONDAY, 1)
    await add_change(
        core.uow(), boss, school_id=a.school_id, on=MONDAY, kind="cancel", slot_id=math.slot_id
    )
    await publish_changes(core.uow(), boss, school_id=a.school_id, on=MONDAY)
    for reader in (a.pupil_2a, a.parent_5a, a.latvian_teacher, a.director):
        seen = await published_changes(
            core.uow(), await viewer(core, reader), school_id=a.school_id, on=MONDAY
        )
        assert [c.kind for c in seen] == ["cancel"]
    for outsider in (world.b.parent_5a, world.b.superuser, world.b.pupil_5a):
        with pytest.raises(NotFound):
            await published_changes(
                core.uow(), await viewer(core, outsider), school_id=a.school_id, on=MONDAY
            )


# ----------------------------------------------------------------------- free teachers


async def test_free_teachers_put_subject_teachers_first_and_follow_the_changes(
    core: Core,
) -> None:
    world, boss = await _world(core)
    a = world.a
    async with create_session_factory(core.engine)() as session:
        math_subject = await session.scalar(
            select(t.Subject.id).where(
                t.Subject.school_id == a.school_id, t.Subject.short_name == "MAT"
            )
        )
    [group_2a_math] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            subject_id=math_subject,
            name="2.a Matemātika",
            kind="class",
            grade=2,
        ),
    )
    await insert(core, t.GroupTeacher(group_id=group_2a_math, teacher_id=a.other_teacher))

    async def free(period: int) -> list[tuple[int, bool]]:
        options = await free_teachers(
            core.uow(),
            boss,
            school_id=a.school_id,
            on=MONDAY,
            period=period,
            group_id=a.math_group,
        )
        return [(o.person_id, o.teaches_subject) for o in options]

    # Period 2: 2.a Latvian keeps its teacher busy; the lesson's own teacher is never offered;
    # the director teaches nothing.
    assert await free(2) == [(a.other_teacher, True), (a.superuser, False)]
    assert await free(1) == [
        (a.other_teacher, True),
        (a.latvian_teacher, False),  # Alfa-Valodniece before Alfa-Vietniece
        (a.superuser, False),
    ]
    latvian = await _lesson(core, boss, world, MONDAY, 2)
    cancel = await add_change(
        core.uow(), boss, school_id=a.school_id, on=MONDAY, kind="cancel", slot_id=latvian.slot_id
    )
    assert (a.latvian_teacher, False) in await free(2)  # her lesson then is cancelled
    await remove_change(core.uow(), boss, change_id=cancel.id)
    await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=MONDAY,
        kind="extra",
        group_id=group_2a_math,
        period=5,
    )
    assert (a.other_teacher, True) not in await free(5)  # the extra lesson is theirs
    lessons = await teacher_lessons(
        core.uow(), boss, school_id=a.school_id, on=MONDAY, teacher_id=a.other_teacher
    )
    assert [(p.period, p.group_name, p.slot_id) for p in lessons] == [(5, "2.a Matemātika", None)]
    with pytest.raises(NotFound):
        await teacher_lessons(
            core.uow(), boss, school_id=a.school_id, on=MONDAY, teacher_id=world.b.math_teacher
        )


async def test_the_free_teacher_suggestion_never_proposes_a_busy_teacher(core: Core) -> None:
    """Acceptance: over a whole demo school, every period of a day, with changes applied."""
    await seed_demo(
        core.uow(),
        Viewer.console(),
        classes_per_grade=1,
        pupils_per_class=4,
        zone=ZoneInfo("Europe/Riga"),
    )
    async with create_session_factory(core.engine)() as session:
        school_id = await session.scalar(select(t.School.id).where(t.School.code == "demo1"))
        term = await session.scalar(
            select(t.Term.id).where(t.Term.starts_on <= MONDAY, t.Term.ends_on >= MONDAY)
        )
        slots = list(
            await session.scalars(
                select(t.TimetableSlot).where(
                    t.TimetableSlot.weekday == 0, t.TimetableSlot.term_id == term
                )
            )
        )
        boss_id = await session.scalar(
            select(t.StaffRole.person_id).where(
                t.StaffRole.school_id == school_id, t.StaffRole.role == "deputy_director"
            )
        )
    assert school_id is not None
    assert boss_id is not None
    boss = await viewer(core, boss_id)
    plan = await day_plan(core.uow(), boss, school_id=school_id, on=MONDAY)
    assert plan.is_school_day
    assert len(plan.lessons) > 30

    # Substitute the first lesson of each period by its first suggestion (drafts count too).
    for period in sorted({p.period for p in plan.lessons}):
        first = next(p for p in plan.lessons if p.period == period)
        [option, *_] = await free_teachers(
            core.uow(),
            boss,
            school_id=school_id,
            on=MONDAY,
            period=period,
            group_id=first.group_id,
        )
        await add_change(
            core.uow(),
            boss,
            school_id=school_id,
            on=MONDAY,
            kind="substitution",
            slot_id=first.slot_id,
            teacher_id=option.person_id,
        )
    plan = await day_plan(core.uow(), boss, school_id=school_id, on=MONDAY)

    teaching: dict[int, set[int]] = defaultdict(set)  # period → who teaches then, changes included
    for lesson in plan.lessons:
        teaching[lesson.period] |= set(
            lesson.change.teacher_ids if lesson.change else lesson.teacher_ids
        )
    assert teaching.keys() == {s.period for s in slots}
    checked = 0
    for period in range(10):
        groups = {p.group_id for p in plan.lessons if p.period == period} or {
            plan.lessons[0].group_id
        }
        for group_id in sorted(groups):
            options = await free_teachers(
                core.uow(), boss, school_id=school_id, on=MONDAY, period=period, group_id=group_id
            )
            offered = {o.person_id for o in options}
            assert not offered & teaching[period], (period, group_id)
            timetable = {s.teacher_id for s in slots if s.period == period}
            substituted_away = {
                teacher
                for p in plan.lessons
                if p.period == period and p.change is not None
                for teacher in p.teacher_ids
            }
            assert not offered & (timetable - substituted_away)
            checked += 1
    assert checked > 20


# ------------------------------------------------------------------------ the teacher's week


async def test_drafts_never_show_in_a_week_and_teachers_keep_every_lesson(core: Core) -> None:
    world, boss = await _world(core)
    a = world.a
    math = await _lesson(core, boss, world, TUESDAY, 2)
    await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=TUESDAY,
        kind="substitution",
        slot_id=math.slot_id,
        teacher_id=a.latvian_teacher,
        room="12",
    )
    teacher = await viewer(core, a.latvian_teacher)
    week = await week_timetable(core.uow(), teacher, teacher_id=a.latvian_teacher, week_of=MONDAY)
    assert [(d.on, e.period) for d in week.days for e in d.entries] == [
        (MONDAY, 2),
        (THURSDAY, 3),
    ]
    await publish_changes(core.uow(), boss, school_id=a.school_id, on=TUESDAY)
    week = await week_timetable(core.uow(), teacher, teacher_id=a.latvian_teacher, week_of=MONDAY)
    [tuesday] = _entries(week, TUESDAY)
    assert (tuesday.group_name, tuesday.change, tuesday.original_teachers) == (
        "5.a Matemātika",
        "substituted",
        ("Māra Alfa-Matemātiķe",),
    )
    assert (tuesday.room, tuesday.original_room) == ("12", "101")
    math_week = await week_timetable(core.uow(), boss, teacher_id=a.math_teacher, week_of=MONDAY)
    assert [(e.period, e.change) for e in _entries(math_week, TUESDAY)] == [(2, "substituted")]


async def test_the_busy_check_ignores_the_draft_being_replaced(core: Core) -> None:
    world, boss = await _world(core)
    a = world.a
    math = await _lesson(core, boss, world, MONDAY, 1)
    for _ in range(2):
        view = await add_change(
            core.uow(),
            boss,
            school_id=a.school_id,
            on=MONDAY,
            kind="substitution",
            slot_id=math.slot_id,
            teacher_id=a.other_teacher,
        )
    assert await _count(core, t.TimetableChange) == 1
    assert view.teacher_ids == (a.other_teacher,)
    audit = await _rows(core, t.AuditEntry, t.AuditEntry.action == "timetable.change.add")
    assert len(audit) == 2
    assert all(entry.after["teacher_id"] == a.other_teacher for entry in audit)
    assert cast("dict[str, Any]", audit[0].after)["on"] == "2026-11-30"
