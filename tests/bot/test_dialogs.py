"""Dialogs through the real Dispatcher with a recording session, on a real database."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from aiogram.types import BotCommandScopeChat, ReplyKeyboardMarkup

from bot.app import build_dispatcher
from bot.callbacks import (
    AbsencesCb,
    CarersCb,
    ConnectionsCb,
    DiaryCb,
    InvitesCb,
    LanguageCb,
    MailCb,
    MarksCb,
    MarksSubjectCb,
    MenuCb,
    NewsCb,
    NoteFormCb,
    SettingsCb,
    TodayCb,
)
from bot.journal import Child
from bot.middlewares import TokenBuckets
from bot.settings import AppSettings
from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.accounts import identify
from core.services.marks import create_assessment, record_marks
from tests.bot.harness import Chats, TelegramUser, buttons, link, open_chats, recording_bot
from tests.builders import World, build_world, viewer

PARENT, PUPIL, TEACHER, OTHER_PARENT, STRANGER = 9001, 9002, 9003, 9004, 9999
MARK_DAY = date(2026, 11, 20)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "lv"),
        (world.a.math_teacher, TEACHER, "en"),
        (world.a.parent_5a_second, OTHER_PARENT, "lv"),
    )
    return await open_chats(core, world, links)


async def give_marks(core: Core, world: World) -> None:
    math = await viewer(core, world.a.math_teacher)
    test = await create_assessment(
        core.uow(), math, group_id=world.a.math_group, on=MARK_DAY, title="Daļskaitļi"
    )
    await record_marks(
        core.uow(),
        math,
        assessment_id=test.id,
        entries={world.a.pupil_5a: "8", world.a.pupil_5a_second: "4"},
    )
    latvian = await viewer(core, world.a.latvian_teacher)
    levels = await create_assessment(
        core.uow(), latvian, group_id=world.a.latvian_group, on=MARK_DAY, title="Lasīšana"
    )
    await record_marks(
        core.uow(), latvian, assessment_id=levels.id, entries={world.a.pupil_2a: "A"}
    )


# ---------------------------------------------------------------- unlinked visitors


async def test_unlinked_user_is_told_how_to_connect_in_latvian(chats: Chats) -> None:
    [reply] = await chats.user(STRANGER, "lv").send("/start")
    assert "vēl nav savienots" in reply.text
    assert "klases audzinātājam vai skolas direktora vietniekam" in reply.text
    assert "Kopīgot manu tālruņa numuru" in reply.text
    assert isinstance(reply.reply_markup, ReplyKeyboardMarkup)
    [[share]] = reply.reply_markup.keyboard
    assert share.request_contact is True


async def test_unlinked_user_is_told_how_to_connect_in_english(chats: Chats) -> None:
    [reply] = await chats.user(STRANGER, "en").send("/start")
    assert "not connected to the school e-journal yet" in reply.text
    assert "ask your form teacher or the school's deputy director" in reply.text


async def test_unsupported_app_language_falls_back_to_latvian(chats: Chats) -> None:
    [reply] = await chats.user(STRANGER, "de").send("/start")
    assert "vēl nav savienots" in reply.text


async def test_an_unknown_invite_code_is_refused_without_echoing_it(chats: Chats) -> None:
    [reply] = await chats.user(STRANGER, "en").send("/start abc123")
    assert reply.text.startswith("There is no such invitation.")
    assert "abc123" not in reply.text


async def test_unlinked_help_and_language(chats: Chats) -> None:
    stranger = chats.user(STRANGER, "ru")
    [help_reply] = await stranger.send("/help")
    assert "Как подключиться" in help_reply.text
    [language] = await stranger.send("/language")
    assert "языке вашего приложения Telegram" in language.text


async def test_unlinked_buttons_show_nothing(chats: Chats) -> None:
    pupil = chats.world.a.pupil_5a
    [reply] = await chats.user(STRANGER).press(MarksCb(pupil_id=pupil).pack())
    assert "vairs nav spēkā" in reply.text
    assert "Matemātika" not in reply.text


# ---------------------------------------------------------------- linked people


async def test_parent_start_greets_by_name_with_a_row_per_child(chats: Chats) -> None:
    a = chats.world.a
    [menu] = await chats.user(PARENT).send("/start")
    assert menu.text.startswith("Sveiki, <b>Līga</b>!")
    assert "Jūsu lomas: vecāks." in menu.text
    assert buttons(menu) == {
        "📖 Jānis: dienasgrāmata": DiaryCb(view="w", pupil_id=a.pupil_5a, day=0).pack(),
        "📖 Ērika: dienasgrāmata": DiaryCb(view="w", pupil_id=a.pupil_2a, day=0).pack(),
        "📘 Jānis: vērtējumi": MarksCb(pupil_id=a.pupil_5a).pack(),
        "📅 Jānis: kavējumi": AbsencesCb(pupil_id=a.pupil_5a).pack(),
        "📘 Ērika: vērtējumi": MarksCb(pupil_id=a.pupil_2a).pack(),
        "📅 Ērika: kavējumi": AbsencesCb(pupil_id=a.pupil_2a).pack(),
        "📰 Skolas ziņas": NewsCb(action="page", ref=0).pack(),
        "✉️ Pasts": MailCb(action="inbox").pack(),
        "👵 Aprūpētāji": CarersCb(action="list", pupil_id=0).pack(),
        "⚙️ Iestatījumi": SettingsCb(view="menu").pack(),
    }
    chat_commands = [
        c
        for c in chats.session.calls
        if isinstance(c, SetMyCommands) and isinstance(c.scope, BotCommandScopeChat)
    ]
    assert [c.command for c in chat_commands[-1].commands] == [
        "start",
        "diary",
        "homework",
        "marks",
        "absences",
        "absent",
        "history",
        "extract",
        "timetable",
        "calendar",
        "news",
        "mail",
        "carers",
        "mydata",
        "settings",
        "language",
        "help",
        "logout",
    ]


async def test_class_teacher_menu_has_roles_and_onboarding_buttons_in_english(
    chats: Chats,
) -> None:
    [menu] = await chats.user(TEACHER, "lv").send("/start")  # the account says English
    assert menu.text.startswith("Hello, <b>Māra</b>!")
    assert "Your roles: subject teacher, form teacher." in menu.text
    assert buttons(menu) == {
        "📋 My lessons today": TodayCb(day=0).pack(),
        "📰 School news": NewsCb(action="page", ref=0).pack(),
        "✉️ Mail": MailCb(action="inbox").pack(),
        "🎟 Invitations": InvitesCb(audience="menu", target=0).pack(),
        "🔗 Connections": ConnectionsCb(class_id=0).pack(),
        "⚙️ Settings": SettingsCb(view="menu").pack(),
    }
    commands = [c for c in chats.session.calls if isinstance(c, SetMyCommands)][-1]
    assert [c.command for c in commands.commands] == [
        "start",
        "extract",
        "today",
        "grades",
        "timetable",
        "groups",
        "reports",
        "notes",
        "news",
        "mail",
        "broadcast",
        "invites",
        "connections",
        "settings",
        "language",
        "help",
        "logout",
    ]
    assert commands.commands[0].description == "Main menu"


async def test_help_by_role_in_latvian_and_english(chats: Chats) -> None:
    [parent_help] = await chats.user(PARENT).send("/help")
    assert "/marks — bērnu vērtējumi" in parent_help.text
    [teacher_help] = await chats.user(TEACHER).send("/help")
    assert "Your account is connected to the school e-journal." in teacher_help.text
    assert "/marks" not in teacher_help.text
    assert "🗓 /timetable — this week's timetable" in teacher_help.text
    assert "/timetable" in parent_help.text


async def test_parent_sees_the_marks_of_the_child_on_the_button(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await give_marks(core, chats.world)
    parent = chats.user(PARENT)
    [screen] = await parent.press(MarksCb(pupil_id=a.pupil_5a).pack())
    assert screen.text.splitlines()[:2] == [
        "📘 <b>Jānis Alfa-Bērziņš (5.a)</b> — vērtējumi",
        "1. semestris: 01.09.2026–27.11.2026",
    ]
    assert "<b>Matemātika</b>: 8 — vidēji 8,00" in screen.text
    assert "Latviešu valoda" not in screen.text
    [second] = await parent.press(MarksCb(pupil_id=a.pupil_2a).pack())
    assert "<b>Ērika Alfa-Bērziņa (2.a)</b>" in second.text
    assert "<b>Latviešu valoda</b>: apguvis" in second.text  # learning levels as words
    assert "vidēji" not in second.text  # levels are never averaged
    answers = [c for c in chats.session.calls if isinstance(c, AnswerCallbackQuery)]
    assert len(answers) == 2


async def test_a_subject_opens_every_mark_with_its_date_and_title(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    await give_marks(core, chats.world)
    parent = chats.user(PARENT)
    [screen] = await parent.press(MarksCb(pupil_id=a.pupil_5a).pack())
    [subject] = await parent.press(buttons(screen)["Matemātika"])
    assert subject.text.splitlines() == [
        "📘 <b>Jānis Alfa-Bērziņš (5.a)</b> — Matemātika",
        "1. semestris: 01.09.2026–27.11.2026",
        "",
        f"{MARK_DAY:%d.%m.} <b>8</b> — Daļskaitļi (Summatīvais)",
        "",
        "Vidējais: <b>8,00</b>",
    ]
    [back] = await parent.press(buttons(subject)["⬅️ Visi priekšmeti"])
    assert "<b>Matemātika</b>: 8" in back.text
    # Another parent's child, even with a group the two share: refused.
    [refusal] = await parent.press(
        MarksSubjectCb(pupil_id=a.pupil_5a_second, group_id=a.math_group).pack()
    )
    assert refusal.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    [other] = await parent.press(
        MarksSubjectCb(pupil_id=a.pupil_5a, group_id=a.latvian_group).pack()
    )
    assert other.text == "Šajā priekšmetā šajā semestrī vērtējumu vēl nav."


async def test_marks_command_asks_which_child(chats: Chats) -> None:
    [picker] = await chats.user(PARENT).send("/marks")
    assert picker.text == "Kura bērna vērtējumus parādīt?"
    assert set(buttons(picker)) == {"Jānis Alfa-Bērziņš (5.a)", "Ērika Alfa-Bērziņa (2.a)"}


async def test_pupil_sees_own_marks_directly(core: Core, chats: Chats) -> None:
    await give_marks(core, chats.world)
    [screen] = await chats.user(PUPIL).send("/marks")
    assert "<b>Jānis Alfa-Bērziņš (5.a)</b> — vērtējumi" in screen.text
    assert "<b>Matemātika</b>: 8" in screen.text


async def test_a_crafted_callback_for_another_pupil_is_refused(core: Core, chats: Chats) -> None:
    await give_marks(core, chats.world)
    foreign = chats.world.a.pupil_5a_second  # another parent's child, who has a 4
    parent = chats.user(PARENT)
    [refusal] = await parent.press(MarksCb(pupil_id=foreign).pack())
    assert refusal.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    assert refusal.reply_markup is None
    [refusal] = await parent.press(AbsencesCb(pupil_id=chats.world.b.pupil_5a).pack())
    assert "nav atrasts" in refusal.text
    [refusal] = await chats.user(TEACHER).press(MarksCb(pupil_id=chats.world.b.pupil_5a).pack())
    assert refusal.text == "Pupil not found, or you have no access to their data."


async def test_absences_screen_names_the_child(chats: Chats) -> None:
    a = chats.world.a
    [screen] = await chats.user(PARENT).press(AbsencesCb(pupil_id=a.pupil_2a).pack())
    assert "📅 <b>Ērika Alfa-Bērziņa (2.a)</b> — kavējumi" in screen.text
    assert "Šajā semestrī kavējumu nav." in screen.text
    assert set(buttons(screen).values()) == {
        MarksCb(pupil_id=a.pupil_2a).pack(),
        NoteFormCb(step="child", value=a.pupil_2a).pack(),  # report an absence
        MenuCb().pack(),
    }


async def test_language_switch(core: Core, chats: Chats) -> None:
    parent = chats.user(PARENT)
    [picker] = await parent.send("/language")
    assert picker.text == "Izvēlieties valodu:"
    assert buttons(picker) == {
        "✓ Latviešu": LanguageCb(language="lv").pack(),
        "English": LanguageCb(language="en").pack(),
        "Русский": LanguageCb(language="ru").pack(),
    }
    [done] = await parent.press(LanguageCb(language="en").pack())
    assert done.text == "From now on the bot speaks English."
    identity = await identify(core.uow(), telegram_user_id=PARENT)
    assert identity is not None
    assert identity.account.language == "en"
    [help_reply] = await parent.send("/help")
    assert "your children's marks" in help_reply.text
    commands = [c for c in chats.session.calls if isinstance(c, SetMyCommands)][-1]
    assert commands.commands[1].description == "the diary, week by week"
    assert commands.commands[3].description == "Marks this semester"


async def test_anything_else_gets_a_hint(chats: Chats) -> None:
    [hint] = await chats.user(PARENT).send("kas jauns?")
    assert hint.text == "To nesapratu. Ko bots prot, skatiet /help."


# ---------------------------------------------------------------- middlewares and errors


async def test_flooding_gets_one_warning_then_silence(core: Core) -> None:
    await build_world(core)
    bot, session = recording_bot()
    now = [0.0]
    buckets = TokenBuckets(1.0, 3, clock=lambda: now[0])
    dp = build_dispatcher(core, AppSettings(), buckets=buckets)
    user = TelegramUser(dp, bot, session, STRANGER, language_code="en")
    replies = [await user.send("hello") for _ in range(6)]
    texts = [r[0].text if r else None for r in replies]
    assert texts[:3] == ["I did not understand that. To see what the bot can do, send /help."] * 3
    assert texts[3] == "Too many messages in a row. Please wait a few seconds."
    assert texts[4:] == [None, None]
    now[0] += 1.0
    assert await user.send("hello")


class BrokenChildren:
    async def children(self, viewer: Viewer) -> tuple[Child, ...]:
        raise RuntimeError("Līga Alfa-Bērziņa +37129000001")


async def test_unexpected_errors_are_apologised_for_and_logged_without_personal_data(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT)
    bot, session = recording_bot()
    dp = build_dispatcher(core, AppSettings(), children=BrokenChildren())
    with caplog.at_level(logging.ERROR, logger="ejournal.bot"):
        [apology] = await TelegramUser(dp, bot, session, PARENT, language_code="en").send("/start")
    assert apology.text == "Sorry, something went wrong. Please try again in a moment."
    [record] = [r for r in caplog.records if r.name == "ejournal.bot"]
    assert "RuntimeError" in record.getMessage()
    assert "Līga" not in caplog.text
    assert "37129000001" not in caplog.text
    assert "/start" not in caplog.text
