"""School news with "notify": one message to every linked person of the school, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.bootstrap import Core
from core.clock import FakeClock
from core.services import news
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.fanout import FanOut
from notifications.messages import load_catalogs, news_excerpt
from notifications.news import PUBLISHED
from notifications.outbox import Outbox, utc
from notifications.policy import Rules
from notifications.settings import NotificationsSettings
from tests.builders import World, build_world, insert, new_person, viewer

from .conftest import deliveries, link

RIGA = ZoneInfo("Europe/Riga")
BODY = "Pirmā rinda\nOtrā rinda\n\nTrešā <rinda>\nCeturtā rinda"


def fanout(core: Core) -> FanOut:
    return FanOut(
        Outbox(core.engine),
        load_catalogs(),
        Rules.from_settings(NotificationsSettings()),
        core.clock,
    )


async def people(core: Core) -> tuple[World, dict[str, int]]:
    """The world with accounts for most of school a, one of school b and some edge cases."""
    world = await build_world(core)
    a = world.a
    left = await new_person(core, "Oskars", "Aizgājis", active=False)
    await insert(core, t.StaffRole(school_id=a.school_id, person_id=left, role="teacher"))
    former = await new_person(core, "Rita", "Bijusī")
    await insert(
        core,
        t.Enrolment(
            school_id=a.school_id,
            class_id=a.class_5a,
            pupil_id=former,
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 10, 31),
        ),
    )
    chats = {
        "superuser": (a.superuser, 6001, "lv", "active"),
        "director": (a.director, 6002, "lv", "active"),
        "math": (a.math_teacher, 6003, "ru", "active"),
        "pupil": (a.pupil_5a, 6004, "lv", "active"),
        "parent": (a.parent_5a, 6005, "en", "active"),
        "second_parent": (a.parent_5a_second, 6006, "lv", "unreachable"),
        "latvian": (a.latvian_teacher, 6007, "lv", "unlinked"),
        "left": (left, 6008, "lv", "active"),
        "former": (former, 6009, "lv", "active"),
        "beta": (world.b.pupil_5a, 6010, "lv", "active"),
    }
    for person, chat, language, status in chats.values():
        await link(core, person, chat, language=language, status=status)
    return world, {name: person for name, (person, *_) in chats.items()}


async def post(core: Core, world: World, *, notify: bool = True) -> int:
    boss = await viewer(core, world.a.superuser)
    view = await news.post_news(
        core.uow(),
        boss,
        school_id=world.a.school_id,
        title="Ekskursija uz Siguldu",
        body=BODY,
        attachment=None,
        notify=notify,
    )
    return view.id


async def test_a_post_reaches_every_linked_person_of_the_school_but_its_author(
    core: Core,
) -> None:
    world, who = await people(core)
    post_id = await post(core, world)
    assert await fanout(core).run_once() == 1
    rows = {row.recipient_id: row for row in await deliveries(core)}
    assert set(rows) == {
        who["director"],
        who["math"],
        who["pupil"],
        who["parent"],
        who["second_parent"],  # recorded as unreachable, like any delivery
    }
    assert {row.idempotency_key for row in rows.values()} == {
        f"news:{post_id}:p{person}" for person in rows
    }
    assert rows[who["second_parent"]].status == "unreachable"
    parent = rows[who["parent"]]
    assert (parent.status, parent.chat_id, parent.kind) == ("queued", 6005, PUBLISHED)
    assert parent.payload["text"] == (
        "<b>School news</b>: <b>Ekskursija uz Siguldu</b>\n"
        "Pirmā rinda\nOtrā rinda\nTrešā &lt;rinda&gt;…\n\nRead it all: /news"
    )
    assert rows[who["math"]].payload["text"].startswith("<b>Новости школы</b>")
    assert rows[who["pupil"]].payload["text"].endswith("\n\nLasīt visu: /news")

    # A replay (the cursor lost) writes nothing new.
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(update(t.Cursor).where(t.Cursor.name == "fanout").values(position=0))
    await fanout(core).run_once()
    assert len(await deliveries(core)) == len(rows)


async def test_without_notify_nobody_is_told(core: Core) -> None:
    world, _ = await people(core)
    await post(core, world, notify=False)
    assert await fanout(core).run_once() == 1
    assert await deliveries(core) == []


async def test_a_post_deleted_before_fan_out_is_not_announced(core: Core) -> None:
    world, _ = await people(core)
    post_id = await post(core, world)
    boss = await viewer(core, world.a.superuser)
    await news.delete_news(core.uow(), boss, post_id)
    await fanout(core).run_once()
    assert await deliveries(core) == []


async def test_a_post_at_night_waits_for_the_morning(core: Core, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 26, 22, 30, tzinfo=RIGA))
    world, who = await people(core)
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Account)
            .where(t.Account.person_id == who["director"])
            .values(quiet_from=time(22, 0), quiet_to=time(22, 0))  # no quiet hours
        )
    await post(core, world)
    await fanout(core).run_once()
    due = {row.recipient_id: row.not_before for row in await deliveries(core)}
    morning = datetime(2026, 11, 27, 7, 0, tzinfo=RIGA).astimezone(UTC)
    assert utc(due[who["parent"]]) == morning
    assert utc(due[who["director"]]) == clock.now()


def test_the_excerpt_is_the_first_lines_cut_at_a_word() -> None:
    assert news_excerpt("Viens\n\n  Divi  \n") == "Viens\nDivi"
    assert news_excerpt("a\nb\nc\nd") == "a\nb\nc…"
    long = "vārds " * 80
    cut = news_excerpt(long)
    assert cut.endswith("vārds…")
    assert len(cut) <= 301
    assert news_excerpt("") == ""
