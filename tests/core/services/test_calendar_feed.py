"""Personal calendar feeds: who may make a link, revoking, and the iCalendar text apps read."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.errors import Conflict, NotAllowed, NotFound
from core.services.accounts import link_account
from core.services.calendar_feed import (
    MAX_LIVE_FEEDS,
    create_feed,
    escape_text,
    fold,
    my_feeds,
    render_feed,
    revoke_feed,
)
from core.services.timetable_changes import add_change, day_plan, publish_changes
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import build_timetable, build_world, insert, new_person, viewer

NEXT_MONDAY = date(2026, 11, 30)
NEXT_TUESDAY = date(2026, 12, 1)


# ------------------------------------------------------------ a tiny strict iCalendar reader


@dataclass
class Component:
    """A parsed component: its properties (name → list of (params, raw value)) and children."""

    name: str
    props: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    children: list[Component] = field(default_factory=list)

    def value(self, name: str) -> str:
        [(_, raw)] = self.props[name]
        return unescape(raw)

    def param(self, name: str) -> str:
        [(params, _)] = self.props[name]
        return params


def unescape(raw: str) -> str:
    """A TEXT value back to text; a stray backslash or an unescaped , or ; fails."""
    out, chars = [], iter(raw)
    for char in chars:
        if char == "\\":
            following = next(chars)
            assert following in "\\;,nN", f"bad escape \\{following} in {raw!r}"
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def parse(body: bytes) -> Component:
    """The VCALENDAR: CRLF lines of at most 75 octets, folded with one space, balanced."""
    text = body.decode("utf-8")  # strict: invalid UTF-8 (a character cut in two) fails
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    logical: list[str] = []
    for line in physical:
        assert "\n" not in line, line
        assert "\r" not in line, line
        assert len(line.encode()) <= 75, line
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[Component] = []
    root: Component | None = None
    for line in logical:
        head, colon, value = line.partition(":")
        assert colon, line
        name, _, params = head.partition(";")
        assert re.fullmatch(r"[A-Z][A-Z0-9-]*", name), line
        if name == "BEGIN":
            stack.append(Component(value))
        elif name == "END":
            done = stack.pop()
            assert done.name == value, line
            if stack:
                stack[-1].children.append(done)
            else:
                root = done
        else:
            assert stack, line
            stack[-1].props.setdefault(name, []).append((params, value))
    assert not stack
    assert root is not None
    assert root.name == "VCALENDAR"
    return root


def events(calendar: Component) -> list[Component]:
    found = [c for c in calendar.children if c.name == "VEVENT"]
    for event in found:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert len(event.props.get(required, [])) == 1, (required, event.props)
    uids = [e.value("UID") for e in found]
    assert len(uids) == len(set(uids))
    return found


def lesson_on(calendar: Component, start: str) -> Component:
    [event] = [e for e in events(calendar) if e.props["DTSTART"][0][1] == start]
    return event


# ------------------------------------------------------------------------------ the tests


async def test_the_pupil_and_a_guardian_may_create_links_and_nobody_else(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    parent = await viewer(core, a.parent_5a)
    created = await create_feed(core.uow(), parent, pupil_id=a.pupil_5a)
    feed_id, token = created
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    pupil = await viewer(core, a.pupil_5a)
    await create_feed(core.uow(), pupil, pupil_id=a.pupil_5a)
    with pytest.raises(NotFound):  # another family's child: not even its existence
        await create_feed(core.uow(), await viewer(core, a.parent_5a_second), pupil_id=a.pupil_5a)
    with pytest.raises(NotFound):
        await create_feed(core.uow(), pupil, pupil_id=a.pupil_2a)
    for staff in (a.math_teacher, a.superuser):  # they may read the pupil, not subscribe
        with pytest.raises(NotAllowed) as refused:
            await create_feed(core.uow(), await viewer(core, staff), pupil_id=a.pupil_5a)
        assert refused.value.key == "calendar.family_only"
    carer = await new_person(core, "Vecmāmiņa", "Alfa-Bērziņa")
    await insert(
        core,
        t.Guardianship(guardian_id=carer, pupil_id=a.pupil_5a, relation="carer", read_only=True),
    )
    with pytest.raises(NotAllowed) as refused:
        await create_feed(core.uow(), await viewer(core, carer), pupil_id=a.pupil_5a)
    assert refused.value.key == "calendar.read_only"
    async with create_session_factory(core.engine)() as session:
        audit = (
            await session.execute(
                select(t.AuditEntry.actor_id, t.AuditEntry.entity_id).where(
                    t.AuditEntry.action == "calendar.create"
                )
            )
        ).all()
        feeds = (await session.execute(select(t.CalendarFeed.person_id))).scalars().all()
    assert (a.parent_5a, feed_id) in audit
    assert len(audit) == 2
    assert sorted(feeds) == sorted([a.parent_5a, a.pupil_5a])


async def test_the_token_is_stored_only_as_its_hash(core: Core) -> None:
    world = await build_world(core)
    parent = await viewer(core, world.a.parent_5a)
    _, token = await create_feed(core.uow(), parent, pupil_id=world.a.pupil_5a)
    async with create_session_factory(core.engine)() as session:
        [row] = (await session.execute(select(t.CalendarFeed))).scalars().all()
        audit = (await session.execute(select(t.AuditEntry))).scalars().all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, c.name)) for c in t.CalendarFeed.__table__.columns]
    stored += [repr(entry.after) + repr(entry.before) for entry in audit]
    assert not any(token in value for value in stored)


async def test_at_most_five_live_links_per_person_and_pupil(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    parent = await viewer(core, a.parent_5a)
    ids = [
        (await create_feed(core.uow(), parent, pupil_id=a.pupil_5a)).feed_id
        for _ in range(MAX_LIVE_FEEDS)
    ]
    with pytest.raises(Conflict) as refused:
        await create_feed(core.uow(), parent, pupil_id=a.pupil_5a)
    assert refused.value.key == "calendar.too_many"
    await create_feed(core.uow(), parent, pupil_id=a.pupil_2a)  # the other child is separate
    listed = await my_feeds(core.uow(), parent, pupil_id=a.pupil_5a)
    assert [link.feed_id for link in listed.links] == ids
    assert listed.pupil.full_name == "Jānis Alfa-Bērziņš"
    assert not listed.can_add
    await revoke_feed(core.uow(), parent, feed_id=ids[0])
    listed = await my_feeds(core.uow(), parent, pupil_id=a.pupil_5a)
    assert [link.feed_id for link in listed.links] == ids[1:]
    assert listed.can_add
    await create_feed(core.uow(), parent, pupil_id=a.pupil_5a)


async def test_a_revoked_link_is_not_found_and_only_its_owner_revokes(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    parent = await viewer(core, a.parent_5a)
    feed_id, token = await create_feed(core.uow(), parent, pupil_id=a.pupil_5a)
    assert (await render_feed(core.uow(), token=token)).startswith(b"BEGIN:VCALENDAR\r\n")
    for stranger in (a.pupil_5a, a.parent_5a_second, a.superuser):
        with pytest.raises(NotFound):
            await revoke_feed(core.uow(), await viewer(core, stranger), feed_id=feed_id)
    assert await render_feed(core.uow(), token=token)
    revoked = await revoke_feed(core.uow(), parent, feed_id=feed_id)
    assert revoked.pupil_id == a.pupil_5a
    with pytest.raises(NotFound) as gone:
        await render_feed(core.uow(), token=token)
    assert gone.value.key == "calendar.feed_not_found"
    with pytest.raises(NotFound):  # a second press changes nothing
        await revoke_feed(core.uow(), parent, feed_id=feed_id)
    for wrong in ("", "x" * 43, token[:-1], token + "A", "../../etc/passwd"):
        with pytest.raises(NotFound):
            await render_feed(core.uow(), token=wrong)
    async with create_session_factory(core.engine)() as session:
        actions = (await session.execute(select(t.AuditEntry.action))).scalars().all()
    assert sorted(actions) == ["calendar.create", "calendar.revoke"]


async def test_a_feed_stops_when_its_owner_may_no_longer_follow_the_pupil(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    _, sisters = await create_feed(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_2a
    )
    _, parents = await create_feed(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a
    )
    _, pupils = await create_feed(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        await session.execute(
            delete(t.Guardianship).where(
                t.Guardianship.guardian_id == a.parent_5a, t.Guardianship.pupil_id == a.pupil_5a
            )
        )
    with pytest.raises(NotFound):
        await render_feed(core.uow(), token=parents)
    assert await render_feed(core.uow(), token=pupils)
    async with sessions() as session, session.begin():
        await session.execute(
            update(t.Person).where(t.Person.id == a.pupil_5a).values(is_active=False)
        )
    with pytest.raises(NotFound):
        await render_feed(core.uow(), token=pupils)
    assert await render_feed(core.uow(), token=sisters)
    async with sessions() as session, session.begin():
        await session.execute(
            update(t.Person).where(t.Person.id == a.pupil_2a).values(is_active=False)
        )
    with pytest.raises(NotFound):  # a leaver's calendar ends for the parent too
        await render_feed(core.uow(), token=sisters)


async def test_the_feed_has_the_lessons_changes_and_homework(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    await build_timetable(core, world)
    boss = await viewer(core, a.superuser)
    plan = {
        (p.on, p.period): p.slot_id
        for on in (NEXT_MONDAY, NEXT_TUESDAY)
        for p in (await day_plan(core.uow(), boss, school_id=a.school_id, on=on)).lessons
    }
    await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=NEXT_MONDAY,
        kind="cancel",
        slot_id=plan[(NEXT_MONDAY, 1)],
    )
    await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=NEXT_TUESDAY,
        kind="substitution",
        slot_id=plan[(NEXT_TUESDAY, 2)],
        teacher_id=a.other_teacher,
        room="205",
    )
    for on in (NEXT_MONDAY, NEXT_TUESDAY):
        await publish_changes(core.uow(), boss, school_id=a.school_id, on=on)
    homework = "Uzd. 5, 6; lpp. 42\nUn atkārtot reizrēķinu \\ dalīšanu " + "ā" * 60
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        await session.execute(
            update(t.Lesson)
            .where(t.Lesson.id == a.lesson_math)
            .values(homework=homework, homework_due_on=NEXT_MONDAY)
        )
    _, token = await create_feed(core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a)

    calendar = parse(await render_feed(core.uow(), token=token))

    assert calendar.value("VERSION") == "2.0"
    assert calendar.value("PRODID")
    assert calendar.value("X-WR-CALNAME") == "Jānis Alfa-Bērziņš (5.a) — stundas un mājasdarbi"
    # This week's Monday, period 1: 8:30–9:10 in Riga (UTC+2 in November).
    monday = lesson_on(calendar, "20261123T063000Z")
    assert monday.value("DTEND") == "20261123T071000Z"
    assert monday.value("SUMMARY") == "Matemātika"
    assert monday.value("LOCATION") == "101"
    assert monday.value("STATUS") == "CONFIRMED"
    assert "Skolotājs: Māra Alfa-Matemātiķe" in monday.value("DESCRIPTION")
    assert lesson_on(calendar, "20261124T072000Z").value("SUMMARY") == "Matemātika"  # Tue 2
    # Only the pupil's own groups: 2.a Latvian is not there.
    summaries = {e.value("SUMMARY") for e in events(calendar)}
    assert not any("Latviešu" in s for s in summaries)
    # Two weeks back and four ahead: 9 November to 27 December.
    starts = sorted(e.props["DTSTART"][0][1][:8] for e in events(calendar))
    assert starts[0] == "20261109"
    assert "20261116" in starts
    assert "20261214" in starts
    assert starts[-1] <= "20261227"
    # Next Monday's lesson is cancelled, Tuesday's substituted in another room.
    cancelled = lesson_on(calendar, "20261130T063000Z")
    assert cancelled.value("STATUS") == "CANCELLED"
    assert cancelled.value("SUMMARY") == "Atcelta: Matemātika"
    substituted = lesson_on(calendar, "20261201T072000Z")
    assert substituted.value("STATUS") == "CONFIRMED"
    assert substituted.value("LOCATION") == "205"
    description = substituted.value("DESCRIPTION")
    assert "Aizvieto: Pēteris Alfa-Sportists (pēc saraksta: Māra Alfa-Matemātiķe)" in description
    assert "Telpa mainīta: 101 → 205" in description
    # Homework due next Monday: an all-day event, its text intact after folding and escaping.
    [due] = [e for e in events(calendar) if e.value("SUMMARY").startswith("Mājasdarbs")]
    assert due.param("DTSTART") == "VALUE=DATE"
    assert due.value("DTSTART") == "20261130"
    assert due.value("DTEND") == "20261201"
    assert due.value("SUMMARY").startswith("Mājasdarbs: Matemātika — Uzd. 5, 6; lpp. 42 Un")
    assert due.value("SUMMARY").endswith("…")
    assert due.value("DESCRIPTION") == homework + "\nUzdots 26.11.2026."


async def test_uids_are_stable_and_the_language_is_the_owners(
    core: Core, clock: FakeClock
) -> None:
    world = await build_world(core)
    a = world.a
    await build_timetable(core, world)
    await link_account(
        core.uow(),
        Viewer.console(),
        person_id=a.pupil_5a,
        telegram_user_id=5501,
        chat_id=5501,
        language="en",
    )
    _, token = await create_feed(core.uow(), await viewer(core, a.pupil_5a), pupil_id=a.pupil_5a)
    first = parse(await render_feed(core.uow(), token=token))
    clock.advance(timedelta(hours=3))
    again = parse(await render_feed(core.uow(), token=token))
    uids = {e.value("DTSTART"): e.value("UID") for e in events(first)}
    assert uids == {e.value("DTSTART"): e.value("UID") for e in events(again)}
    assert first.value("X-WR-CALNAME") == "Jānis Alfa-Bērziņš (5.a) — lessons and homework"
    assert "Teacher: Māra Alfa-Matemātiķe" in lesson_on(first, "20261123T063000Z").value(
        "DESCRIPTION"
    )
    assert all(re.fullmatch(r"[0-9a-f]{32}@ejournal", uid) for uid in uids.values())


async def test_last_used_is_written_at_most_once_an_hour(core: Core, clock: FakeClock) -> None:
    world = await build_world(core)
    parent = await viewer(core, world.a.parent_5a)
    _, token = await create_feed(core.uow(), parent, pupil_id=world.a.pupil_5a)
    listed = await my_feeds(core.uow(), parent, pupil_id=world.a.pupil_5a)
    assert listed.links[0].last_used_at is None
    first = clock.now()
    await render_feed(core.uow(), token=token)
    clock.advance(timedelta(minutes=59))
    await render_feed(core.uow(), token=token)
    listed = await my_feeds(core.uow(), parent, pupil_id=world.a.pupil_5a)
    assert listed.links[0].last_used_at == first
    clock.advance(timedelta(minutes=2))
    await render_feed(core.uow(), token=token)
    listed = await my_feeds(core.uow(), parent, pupil_id=world.a.pupil_5a)
    assert listed.links[0].last_used_at == first + timedelta(minutes=61)


def test_lines_fold_at_75_octets_without_cutting_a_letter() -> None:
    line = "DESCRIPTION:" + "Mājasdarbs: ēšanas ģeogrāfija, ķīmija — " * 8
    folded = fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 4
    for number, part in enumerate(parts):
        assert len(part.encode()) <= 75
        assert number == 0 or part.startswith(" ")
        part.encode().decode("utf-8")  # whole characters only
    assert "".join(p[1:] if n else p for n, p in enumerate(parts)) == line
    assert max(len(p.encode()) for p in parts) >= 73  # filled, not cut early
    assert fold("SUMMARY:short") == "SUMMARY:short"


def test_text_values_escape_commas_semicolons_backslashes_and_newlines() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\x07") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert unescape(escape_text("Uzd. 5, 6; \\ n\nbeigas")) == "Uzd. 5, 6; \\ n\nbeigas"
