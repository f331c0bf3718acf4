"""/calendar: parents' and pupils' feed links, the link shown once, revoking, forged buttons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiogram.types import LinkPreviewOptions
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.app import build_dispatcher
from bot.calendar_server import CalendarSettings
from bot.callbacks import CalendarCb
from bot.middlewares import TokenBuckets
from bot.settings import AppSettings
from core.bootstrap import Core
from core.config import load_settings
from core.errors import NotFound
from core.services.calendar_feed import create_feed, render_feed
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, buttons, open_chats
from tests.builders import build_timetable, build_world, viewer

PARENT, PUPIL, STAFF, OTHER_PARENT = 9301, 9302, 9303, 9304
URL = re.compile(r"<code>(http://127\.0\.0\.1:8082/calendar/([A-Za-z0-9_-]{43})\.ics)</code>")


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "en"),
        (world.a.superuser, STAFF, "lv"),
        (world.a.parent_5a_second, OTHER_PARENT, "lv"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def feed_count(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        query = select(func.count()).select_from(t.CalendarFeed)
        return int(await session.scalar(query.where(t.CalendarFeed.revoked_at.is_(None))) or 0)


async def test_a_parent_makes_a_link_sees_it_once_and_revokes_it(core: Core, chats: Chats) -> None:
    await build_timetable(core, chats.world)
    parent = chats.user(PARENT)
    [picker] = await parent.send("/calendar")
    assert picker.text == "Kura kalendāra saites parādīt?"
    assert set(buttons(picker)) == {
        "Jānis Alfa-Bērziņš (5.a)",
        "Ērika Alfa-Bērziņa (2.a)",
        "⬅️ Izvēlne",
    }
    [empty] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    lines = empty.text.splitlines()
    assert lines[0] == "📅 <b>Jānis Alfa-Bērziņš (5.a)</b> — kalendāra saite"
    assert "Jums vēl nav nevienas saites." in lines
    assert list(buttons(empty)) == ["➕ Jauna saite", "⬅️ Izvēlne"]

    [made] = await parent.press(buttons(empty)["➕ Jauna saite"])
    assert made.text.startswith("📅 <b>Jānis Alfa-Bērziņš (5.a)</b> — jauna kalendāra saite")
    found = URL.search(made.text)
    assert found is not None
    url, token = found.groups()
    assert "Google kalendārs" in made.text
    assert "Iestatījumi → Kalendārs → Konti" in made.text
    assert isinstance(made.link_preview_options, LinkPreviewOptions)
    assert made.link_preview_options.is_disabled  # a preview would make Telegram fetch it
    body = await render_feed(core.uow(), token=token)  # the link shown is the live one
    assert "X-WR-CALNAME:Jānis Alfa-Bērziņš (5.a) — stundas un mājasdarbi" in body.decode()

    [listed] = await parent.press(buttons(made)["◀ Saites"])
    assert token not in listed.text  # shown once: the list has dates only
    assert "Jūsu saites (1 no 5):" in listed.text
    assert "1. izveidota 27.11.2026, pēdējoreiz nolasīta 27.11.2026 10:00" in listed.text
    assert list(buttons(listed)) == [
        "➕ Jauna saite",
        "🗑 Atsaukt 1. saiti",
        "⬅️ Izvēlne",
    ]
    [question] = await parent.press(buttons(listed)["🗑 Atsaukt 1. saiti"])
    assert question.text.startswith(
        "Atsaukt 1. saiti (Jānis Alfa-Bērziņš (5.a), izveidota 27.11.2026)?"
    )
    assert await feed_count(core) == 1  # asking changes nothing
    [done] = await parent.press(buttons(question)["🗑 Jā, atsaukt"])
    assert done.text.startswith("✅ Saite atsaukta")
    assert "Jums vēl nav nevienas saites." in done.text
    with pytest.raises(NotFound):
        await render_feed(core.uow(), token=token)
    [again] = await parent.press(buttons(question)["🗑 Jā, atsaukt"])  # an old button
    assert again.text == "Šī kalendāra saite vairs nav derīga (atsaukta vai nezināma)."
    assert url not in again.text


async def test_a_pupil_goes_straight_to_their_own_links_in_english(
    core: Core, chats: Chats
) -> None:
    pupil = chats.user(PUPIL)
    [screen] = await pupil.send("/calendar")
    assert screen.text.startswith("📅 <b>Jānis Alfa-Bērziņš (5.a)</b> — calendar link")
    assert "You have no link yet." in screen.text
    [made] = await pupil.press(buttons(screen)["➕ New link"])
    assert "Settings → Calendar → Accounts → Add Account → Other" in made.text
    assert URL.search(made.text) is not None
    [help_text] = await pupil.send("/help")
    assert "📅 /calendar — a personal link for your calendar app" in help_text.text
    await pupil.send("/start")
    assert "calendar" in chats.chat_commands(PUPIL)


async def test_five_links_at_most(core: Core, chats: Chats) -> None:
    a = chats.world.a
    parent = await viewer(core, a.parent_5a)
    for _ in range(5):
        await create_feed(core.uow(), parent, pupil_id=a.pupil_2a)
    [screen] = await chats.user(PARENT).press(
        CalendarCb(action="pupil", pupil_id=a.pupil_2a).pack()
    )
    assert "Jūsu saites (5 no 5):" in screen.text
    assert "Vairāk par 5 saitēm izveidot nevar" in screen.text
    assert "➕ Jauna saite" not in buttons(screen)
    [refused] = await chats.user(PARENT).press(
        CalendarCb(action="new", pupil_id=a.pupil_2a).pack()
    )
    assert refused.text.startswith("Jums jau ir 5 derīgas šī skolēna kalendāra saites.")
    assert await feed_count(core) == 5


async def test_forged_buttons_reveal_and_change_nothing(core: Core, chats: Chats) -> None:
    a, b = chats.world.a, chats.world.b
    theirs, _ = await create_feed(
        core.uow(), await viewer(core, a.parent_5a_second), pupil_id=a.pupil_5a_second
    )
    parent = chats.user(PARENT)
    for forged in (
        CalendarCb(action="new", pupil_id=a.pupil_5a_second),
        CalendarCb(action="pupil", pupil_id=b.pupil_5a),
        CalendarCb(action="ask", pupil_id=a.pupil_5a_second, feed_id=theirs),
    ):
        [refusal] = await parent.press(forged.pack())
        assert refusal.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    [refusal] = await parent.press(
        CalendarCb(action="ask", pupil_id=a.pupil_5a, feed_id=theirs).pack()
    )
    assert refusal.text == "Šī kalendāra saite vairs nav derīga (atsaukta vai nezināma)."
    [refusal] = await parent.press(
        CalendarCb(action="revoke", pupil_id=a.pupil_5a, feed_id=theirs).pack()
    )
    assert refusal.text == "Šī kalendāra saite vairs nav derīga (atsaukta vai nezināma)."
    assert await feed_count(core) == 1  # the other family's link is still live
    # Staff read the pupil but do not subscribe to a pupil's calendar.
    [staff] = await chats.user(STAFF).press(CalendarCb(action="new", pupil_id=a.pupil_5a).pack())
    assert staff.text == "Kalendāra saiti var izveidot tikai pats skolēns vai viņa vecāks."
    [nothing] = await chats.user(STAFF).send("/calendar")
    assert nothing.text == (
        "Kalendāra saiti var izveidot skolēns pats sev un vecāks savam bērnam."
    )
    await chats.user(STAFF).send("/start")
    assert "calendar" not in chats.chat_commands(STAFF)
    assert await feed_count(core) == 1


async def test_links_use_the_public_url_and_the_feature_can_be_off(core: Core) -> None:
    world = await build_world(core)
    chats = await open_chats(core, world, ((world.a.pupil_5a, PUPIL, "lv"),))
    public = AppSettings(calendar={"public_url": "https://journal.example.lv/"})  # type: ignore[arg-type]
    chats.dp = build_dispatcher(core, public, buckets=TokenBuckets(1000, 1000))
    [made] = await chats.user(PUPIL).press(
        CalendarCb(action="new", pupil_id=world.a.pupil_5a).pack()
    )
    assert re.search(
        r"<code>https://journal\.example\.lv/calendar/[A-Za-z0-9_-]{43}\.ics</code>", made.text
    )
    off_settings = AppSettings(calendar={"enabled": False})  # type: ignore[arg-type]
    chats.dp = build_dispatcher(core, off_settings, buckets=TokenBuckets(1000, 1000))
    [off] = await chats.user(PUPIL).send("/calendar")
    assert off.text == "Kalendāra saites šajā serverī ir izslēgtas."
    [off] = await chats.user(PUPIL).press(
        CalendarCb(action="new", pupil_id=world.a.pupil_5a).pack()
    )
    assert off.text == "Kalendāra saites šajā serverī ir izslēgtas."
    assert await feed_count(core) == 1


def test_calendar_settings_validate_the_address_and_build_links() -> None:
    assert CalendarSettings().feed_base() == "http://127.0.0.1:8082"
    public = CalendarSettings(public_url="https://journal.example.lv/")
    assert public.feed_base() == "https://journal.example.lv"
    assert public.served_at("http://127.0.0.1:5555") is public
    served = CalendarSettings().served_at("http://127.0.0.1:5555")
    assert served.feed_base() == "http://127.0.0.1:5555"
    assert (CalendarSettings(listen="[::1]:8081").host, CalendarSettings().port) == ("::1", 8082)
    for bad in (
        {"listen": "8081"},
        {"listen": "host:99999"},
        {"public_url": "ftp://x"},
        {"public_url": "https://x.lv/?a=1"},
        {"port": 1},
    ):
        with pytest.raises(ValidationError):
            CalendarSettings(**bad)


def test_the_example_config_documents_the_calendar_table() -> None:
    root = Path(__file__).resolve().parents[2]
    assert load_settings(root / "config.example.toml", AppSettings).calendar == CalendarSettings()
    text = (root / "config.example.toml").read_text(encoding="utf-8")
    assert "# [calendar]" in text
    for key in CalendarSettings.model_fields:
        assert f"# {key} = " in text, key
