"""/settings through the real Dispatcher: choices persist and show; forged buttons do nothing."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_dispatcher
from bot.callbacks import DigestTimeCb, NotifyCb, QuietHoursCb, SettingsCb
from bot.middlewares import TokenBuckets
from bot.settings import AppSettings
from core.bootstrap import Core
from core.services.preferences import DEFAULTS, NotificationDefaults
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, buttons, open_chats, recording_bot
from tests.builders import build_world

PARENT, OTHER_PARENT, PUPIL, TEACHER, STRANGER = 9301, 9302, 9303, 9304, 9399


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.parent_5a_second, OTHER_PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "ru"),
        (world.a.math_teacher, TEACHER, "en"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def stored(core: Core, user_id: int) -> tuple[dict[str, Any], time | None, time | None]:
    """An account's preferences and quiet hours as the notifications engine reads them."""
    async with create_session_factory(core.engine)() as session:
        row = await session.scalar(select(t.Account).where(t.Account.telegram_user_id == user_id))
        assert row is not None
        return dict(row.preferences), row.quiet_from, row.quiet_to


async def test_the_overview_shows_the_school_defaults_and_every_button(chats: Chats) -> None:
    [menu] = await chats.user(PARENT).send("/start")
    assert buttons(menu)["⚙️ Iestatījumi"] == SettingsCb(view="menu").pack()
    [overview] = await chats.user(PARENT).press(buttons(menu)["⚙️ Iestatījumi"])
    assert overview.text.splitlines() == [
        "⚙️ <b>Iestatījumi</b>",
        "",
        "🌐 Valoda: Latviešu",
        "",
        "🔔 <b>Paziņojumi</b>",
        "📊 Vērtējumi — uzreiz (skolas noklusējums)",
        "🚪 Kavējumi — uzreiz (skolas noklusējums)",
        "📚 Mājas darbi — kopsavilkumā (skolas noklusējums)",
        "📰 Skolas ziņas — uzreiz (skolas noklusējums)",
        "",
        "🌙 Klusās stundas: 21:00–07:00 (skolas noklusējums)",
        "🗞 Kopsavilkums: katru dienu plkst. 18:00 (skolas noklusējums)",
        "",
        "ℹ️ Stundu saraksta izmaiņas pienāk vienmēr: tie ir skolas obligātie paziņojumi, "
        "tos izslēgt nevar.",
    ]
    assert list(buttons(overview)) == [
        "🌐 Valoda",
        "📊 Vērtējumi: uzreiz",
        "🚪 Kavējumi: uzreiz",
        "📚 Mājas darbi: kopsavilkumā",
        "📰 Skolas ziņas: uzreiz",
        "🌙 Klusās stundas",
        "🗞 Kopsavilkuma laiks",
        "📦 Mani dati",
        "⬅️ Izvēlne",
    ]
    [same] = await chats.user(PARENT).send("/settings")
    assert same.text == overview.text
    assert {"history", "settings"} <= set(chats.chat_commands(PARENT))


async def test_a_parent_changes_each_setting_and_it_persists(core: Core, chats: Chats) -> None:
    parent = chats.user(PARENT)
    [overview] = await parent.send("/settings")
    [choices] = await parent.press(buttons(overview)["📊 Vērtējumi: uzreiz"])
    assert choices.text.startswith("<b>Vērtējumi</b>: kā jums par tiem ziņot?")
    assert "kopsavilkumā — viss vienā ziņā katru dienu plkst. 18:00" in choices.text.lower()
    assert list(buttons(choices)) == ["✓ ⚡ uzreiz", "🗞 kopsavilkumā", "🔕 neziņot", "⬅️ Atpakaļ"]
    [saved] = await parent.press(buttons(choices)["🗞 kopsavilkumā"])
    assert saved.text.splitlines()[1] == "✅ Saglabāts."
    assert "📊 Vērtējumi — kopsavilkumā\n" in saved.text  # the person's own choice: no "(default)"

    [news] = await parent.press(buttons(saved)["📰 Skolas ziņas: uzreiz"])
    [saved] = await parent.press(buttons(news)["🔕 neziņot"])
    assert "📰 Skolas ziņas — neziņot" in saved.text

    [quiet] = await parent.press(buttons(saved)["🌙 Klusās stundas"])
    assert list(buttons(quiet)) == [
        "21:00–07:00",
        "22:00–07:00",
        "20:00–08:00",
        "Bez klusajām stundām",
        "✓ Skolas noklusējums (21:00–07:00)",
        "⬅️ Atpakaļ",
    ]
    [saved] = await parent.press(buttons(quiet)["22:00–07:00"])
    assert "🌙 Klusās stundas: 22:00–07:00\n" in saved.text

    [digest] = await parent.press(buttons(saved)["🗞 Kopsavilkuma laiks"])
    assert list(buttons(digest)) == [
        "07:00",
        "16:00",
        "18:00",
        "20:00",
        "✓ Skolas noklusējums (18:00)",
        "⬅️ Atpakaļ",
    ]
    [saved] = await parent.press(buttons(digest)["16:00"])
    assert "🗞 Kopsavilkums: katru dienu plkst. 16:00\n" in saved.text

    # Stored in the shape the notifications engine reads, and shown again later.
    assert await stored(core, PARENT) == (
        {"notify": {"mark": "digest", "news": "off"}, "digest_at": "16:00"},
        time(22, 0),
        time(7, 0),
    )
    [again] = await parent.send("/settings")
    assert "📊 Vērtējumi — kopsavilkumā" in again.text
    [quiet] = await parent.press(buttons(again)["🌙 Klusās stundas"])
    assert "✓ 22:00–07:00" in buttons(quiet)
    [digest] = await parent.press(buttons(again)["🗞 Kopsavilkuma laiks"])
    assert "✓ 16:00" in buttons(digest)
    [choices] = await parent.press(buttons(again)["📊 Vērtējumi: kopsavilkumā"])
    assert "✓ 🗞 kopsavilkumā" in buttons(choices)

    # No quiet hours at all, then back to the school's.
    [saved] = await parent.press(buttons(quiet)["Bez klusajām stundām"])
    assert "🌙 Klusās stundas: nav\n" in saved.text
    assert (await stored(core, PARENT))[1:] == (time(0), time(0))
    [saved] = await parent.press(buttons(quiet)["Skolas noklusējums (21:00–07:00)"])
    assert "🌙 Klusās stundas: 21:00–07:00 (skolas noklusējums)" in saved.text
    assert (await stored(core, PARENT))[1:] == (None, None)

    # The other parent's settings were never touched.
    assert await stored(core, OTHER_PARENT) == ({}, None, None)


async def test_language_opens_the_language_picker(chats: Chats) -> None:
    parent = chats.user(PARENT)
    [overview] = await parent.send("/settings")
    [picker] = await parent.press(buttons(overview)["🌐 Valoda"])
    assert picker.text == "Izvēlieties valodu:"
    assert "✓ Latviešu" in buttons(picker)
    [changed] = await parent.press(buttons(picker)["English"])
    assert changed.text == "From now on the bot speaks English."
    [overview] = await parent.send("/settings")
    assert overview.text.startswith("⚙️ <b>Settings</b>")
    assert "🌐 Language: English" in overview.text


async def test_staff_and_pupils_see_the_kinds_that_concern_them(chats: Chats) -> None:
    [teacher] = await chats.user(TEACHER).send("/settings")
    assert "📰 School news — instant (school default)" in teacher.text
    assert "Marks" not in teacher.text
    assert "Timetable changes always arrive: they are the school's duty messages" in teacher.text
    assert [b for b in buttons(teacher) if b.startswith("📰")] == ["📰 School news: instant"]
    [pupil] = await chats.user(PUPIL).send("/settings")
    assert "📊 Оценки — сразу (по умолчанию школы)" in pupil.text
    assert "📚 Домашние задания — в сводке (по умолчанию школы)" in pupil.text
    assert "Пропуски" not in pupil.text  # absence messages to pupils are the school's setting


async def test_crafted_buttons_change_nothing_and_say_why(core: Core, chats: Chats) -> None:
    teacher = chats.user(TEACHER)
    [refused] = await teacher.press(NotifyCb(topic="mark", mode="off").pack())
    assert refused.text == (
        "You do not receive notifications of this kind, so there is nothing to set."
    )
    [refused] = await teacher.press(NotifyCb(topic="absence", mode="ask").pack())
    assert refused.text.startswith("You do not receive notifications of this kind")
    parent = chats.user(PARENT)
    for data, text in (
        (
            QuietHoursCb(start=21 * 60 + 5, end=7 * 60).pack(),
            "Klusās stundas jānorāda pilnās ceturtdaļstundās",
        ),
        (QuietHoursCb(start=-1, end=7 * 60).pack(), "Klusās stundas jānorāda"),
        (QuietHoursCb(start=99_999, end=7 * 60).pack(), "Klusās stundas jānorāda"),
        (
            DigestTimeCb(minutes=5 * 60).pack(),
            "Kopsavilkuma laikam jābūt pilnā ceturtdaļstundā no 06:00 līdz 22:00.",
        ),
        (DigestTimeCb(minutes=18 * 60 + 10).pack(), "Kopsavilkuma laikam jābūt"),
        (DigestTimeCb(minutes=-(2**40)).pack(), "Kopsavilkuma laikam jābūt"),
    ):
        [answer] = await parent.press(data)
        assert answer.text.startswith(text), data
    for forged in ("sn:grades:off", "sn:mark:loud", "sq:abc:1", "set:secrets"):
        [answer] = await parent.press(forged)
        assert answer.text == "Šī poga vairs nav spēkā. Atveriet izvēlni ar /start.", forged
    assert await stored(core, PARENT) == ({}, None, None)
    assert await stored(core, TEACHER) == ({}, None, None)


async def test_a_button_changes_only_the_account_pressing_it(core: Core, chats: Chats) -> None:
    # There is no account in the payload: the same data pressed by another parent is theirs.
    data = NotifyCb(topic="mark", mode="off").pack()
    [saved] = await chats.user(OTHER_PARENT).press(data)
    assert "📊 Vērtējumi — neziņot" in saved.text
    assert await stored(core, OTHER_PARENT) == ({"notify": {"mark": "off"}}, None, None)
    assert await stored(core, PARENT) == ({}, None, None)


async def test_before_connecting_there_is_nothing_to_set(chats: Chats) -> None:
    stranger = chats.user(STRANGER, "en")
    [answer] = await stranger.send("/settings")
    assert answer.text.startswith("Settings are available once you are connected")
    [answer] = await stranger.press(DigestTimeCb(minutes=7 * 60).pack())
    assert answer.text.startswith("Settings are available once you are connected")


async def test_the_configured_defaults_are_what_the_screen_shows(core: Core, chats: Chats) -> None:
    class Configured(AppSettings):
        def notification_defaults(self) -> NotificationDefaults:
            return NotificationDefaults(
                modes={**DEFAULTS.modes, "news": "digest"},
                quiet_from=time(22, 0),
                quiet_to=time(6, 30),
                digest_at=time(19, 0),
            )

    bot, session = recording_bot()
    dp = build_dispatcher(core, Configured(), buckets=TokenBuckets(1000, 1000))
    configured = Chats(chats.world, dp, bot, session)
    [overview] = await configured.user(PARENT).send("/settings")
    assert "📰 Skolas ziņas — kopsavilkumā (skolas noklusējums)" in overview.text
    assert "🌙 Klusās stundas: 22:00–06:30 (skolas noklusējums)" in overview.text
    assert "🗞 Kopsavilkums: katru dienu plkst. 19:00 (skolas noklusējums)" in overview.text
