"""Onboarding dialogs through the real Dispatcher: invitations, phone, carers, access, reports."""

from __future__ import annotations

import logging

import pytest
from aiogram.types import BufferedInputFile, ReplyKeyboardRemove

from bot.callbacks import (
    CarersCb,
    ConnectionsCb,
    InvitesCb,
    LogoutCb,
    MarksCb,
    MenuCb,
    PersonCb,
)
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.invites import Purpose
from core.services.accounts import identify, link_account
from core.services.invites import IssuedInvite, issue_invite
from core.storage import tables as t
from tests.bot.harness import BOT_USERNAME, Chats, buttons, open_chats
from tests.builders import build_world, insert, viewer
from tests.slipcheck import all_text, read_slips

NEWCOMER, SECOND, TEACHER, SUPERUSER, GRANDMA = 9101, 9102, 9103, 9104, 9105


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = ((world.a.math_teacher, TEACHER, "lv"), (world.a.superuser, SUPERUSER, "en"))
    # Conversations here are longer than the anti-flood burst allows: lift it.
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def invite(core: Core, issuer: int, person: int, purpose: Purpose) -> IssuedInvite:
    return await issue_invite(
        core.uow(), await viewer(core, issuer), purpose=purpose, person_id=person
    )


async def test_a_parent_opens_the_invitation_and_gets_the_parent_menu(
    core: Core, chats: Chats, caplog: pytest.LogCaptureFixture
) -> None:
    a = chats.world.a
    issued = await invite(core, a.math_teacher, a.parent_5a, Purpose.GUARDIAN)
    caplog.set_level(logging.DEBUG)
    welcome, menu = await chats.user(NEWCOMER).send(f"/start {issued.code}")
    assert welcome.text == (
        "✅ Gatavs! Šis Telegram konts tagad ir savienots ar skolas e-žurnālu: "
        "<b>Līga Alfa-Bērziņa</b>."
    )
    assert isinstance(welcome.reply_markup, ReplyKeyboardRemove)
    assert menu.text.startswith("Sveiki, <b>Līga</b>!")
    assert set(buttons(menu)) >= {"📘 Ērika: vērtējumi", "📘 Jānis: vērtējumi", "👵 Aprūpētāji"}
    assert chats.chat_commands(NEWCOMER) == [
        "start", "diary", "homework", "marks", "absences", "absent", "history", "extract",
        "timetable", "calendar", "news", "mail", "carers", "mydata", "settings", "language",
        "help", "logout",
    ]  # fmt: skip
    assert issued.code not in caplog.text
    [used] = await chats.user(SECOND).send(f"/start {issued.code}")
    assert used.text.startswith("Šis ielūgums jau ir izmantots.")
    assert issued.code not in used.text


async def test_a_code_for_somebody_else_and_a_second_code_for_the_same_person(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    mine = await invite(core, a.math_teacher, a.parent_5a, Purpose.GUARDIAN)
    parent = chats.user(NEWCOMER, "en")
    await parent.send(f"/start {mine.code}")
    other = await invite(core, a.superuser, a.parent_5a_second, Purpose.GUARDIAN)
    [refusal] = await parent.send(f"/start {other.code}")
    assert refusal.text.startswith("This Telegram account is already connected to another person")
    again = await invite(core, a.latvian_teacher, a.parent_5a, Purpose.GUARDIAN)
    welcome, menu = await parent.send(f"/start {again.code}")
    assert welcome.text.startswith("✅ This Telegram account was already connected to you")
    assert menu.text.startswith("Hello, <b>Līga</b>!")


async def test_sharing_the_own_phone_links_and_a_forwarded_contact_is_refused(
    chats: Chats,
) -> None:
    stranger = chats.user(NEWCOMER, "en")
    [refusal] = await stranger.share_contact("+37129000001", contact_user_id=SECOND)
    assert refusal.text.startswith("Only your own phone number is accepted")
    [unknown] = await stranger.share_contact("+37120000000")
    assert unknown.text.startswith("This phone number is not recorded in the e-journal")
    welcome, menu = await stranger.share_contact("37129000001")
    assert "<b>Līga Alfa-Bērziņa</b>" in welcome.text
    assert menu.text.startswith("Hello, <b>Līga</b>!")


async def test_a_deactivated_person_gets_no_access_and_no_data(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await link_account(
        core.uow(), Viewer.console(), person_id=a.parent_5a, telegram_user_id=NEWCOMER,
        chat_id=NEWCOMER,
    )  # fmt: skip
    superuser = chats.user(SUPERUSER, "en")
    [found] = await superuser.send("/people berzina")
    assert "Līga Alfa-Bērziņa" in found.text
    ask = PersonCb(person_id=a.parent_5a, action="ask_off").pack()
    assert ask in buttons(found).values()
    [question] = await superuser.press(ask)
    assert question.text.startswith("Deactivate <b>Līga Alfa-Bērziņa</b>?")
    assert set(buttons(question).values()) == {
        PersonCb(person_id=a.parent_5a, action="off").pack(),
        MenuCb().pack(),
    }
    [done] = await superuser.press(PersonCb(person_id=a.parent_5a, action="off").pack())
    assert done.text.startswith("⛔ Līga Alfa-Bērziņa: access ended")
    parent = chats.user(NEWCOMER)
    no_access = (
        "⛔ Jūsu piekļuve skolas e-žurnālam ir beigusies. Ja tā ir kļūda, sazinieties ar skolu."
    )
    for action in (parent.send("/start"), parent.send("/marks"), parent.send("sveiki")):
        [reply] = await action
        assert reply.text == no_access
        assert reply.reply_markup is None
    [reply] = await parent.press(MarksCb(pupil_id=a.pupil_5a).pack())
    assert reply.text == no_access
    [question] = await parent.send("/logout")  # leaving is still possible
    [bye] = await parent.press(LogoutCb(answer="yes").pack())
    assert bye.text.startswith("Konts ir atvienots.")
    assert await identify(core.uow(), telegram_user_id=NEWCOMER) is None


async def test_logout_asks_first_and_resets_the_command_list(core: Core, chats: Chats) -> None:
    teacher = chats.user(TEACHER)
    [question] = await teacher.send("/logout")
    assert set(buttons(question).values()) == {
        LogoutCb(answer="yes").pack(),
        LogoutCb(answer="no").pack(),
    }
    [kept] = await teacher.press(LogoutCb(answer="no").pack())
    assert kept.text == "Labi, konts paliek savienots."
    await teacher.press(LogoutCb(answer="yes").pack())
    assert await identify(core.uow(), telegram_user_id=TEACHER) is None
    assert chats.chat_commands(TEACHER) == ["start", "help", "language"]
    [not_linked] = await teacher.send("/logout")
    assert not_linked.text == "Šis Telegram konts nav savienots ar skolas e-žurnālu."


async def test_a_class_teacher_gets_the_slips_pdf_for_their_class(chats: Chats) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    [menu] = await teacher.send("/start")
    [choice] = await teacher.press(buttons(menu)["🎟 Ielūgumi"])
    assert buttons(choice) == {
        "5.a: vecākiem": InvitesCb(audience="parents", target=a.class_5a).pack(),
        "5.a: skolēniem": InvitesCb(audience="pupils", target=a.class_5a).pack(),
        "⬅️ Izvēlne": MenuCb().pack(),
    }
    await teacher.press(InvitesCb(audience="parents", target=a.class_5a).pack())
    [document] = chats.session.documents()
    assert document.caption is not None
    assert document.caption.startswith("🎟 2 ielūgumi 5.a klases vecākiem, derīgi līdz 11.12.2026.")
    assert isinstance(document.document, BufferedInputFile)
    assert document.document.filename == "ielugumi-vecakiem-5.a.pdf"
    pdf = document.document.data
    assert "Kārlis Alfa-Kalniņš" in all_text(pdf)
    links = [slip.codes for slip in read_slips(pdf)]
    assert len(links) == 2
    assert all(code[0].startswith(f"https://t.me/{BOT_USERNAME}?start=") for code in links)
    # A forged button for another class is refused by core: no document, a clear message.
    [refusal] = await teacher.press(InvitesCb(audience="parents", target=a.class_2a).pack())
    assert refusal.text == "Klase nav atrasta, vai jums nav tiesību to pārvaldīt."
    [staff] = await teacher.press(InvitesCb(audience="staff", target=a.school_id).pack())
    assert "nav atrasta" in staff.text
    assert len(chats.session.documents()) == 1


async def test_connection_reports_for_a_class_teacher_and_the_superuser(chats: Chats) -> None:
    a = chats.world.a
    [mine] = await chats.user(TEACHER).send("/connections")
    assert mine.text.startswith("🔗 <b>5.a klase</b> — Alfa pamatskola, 27.11.2026")
    assert "Pievienoti: skolēni 0/2, vecāki 0/2" in mine.text
    assert "• Līga Alfa-Bērziņa — bērni: Jānis Alfa-Bērziņš" in mine.text
    [school] = await chats.user(SUPERUSER).send("/connections")
    assert "Staff: 2/5" in school.text  # the teacher and the superuser are linked
    button = buttons(school)["2.a: pupils 0/1 · parents 0/1"]
    assert button == ConnectionsCb(class_id=a.class_2a).pack()
    [klass] = await chats.user(SUPERUSER).press(button)
    assert klass.text.startswith("🔗 <b>Class 2.a</b>")
    [refused] = await chats.user(NEWCOMER).send("/connections")
    assert refused.text == "To nesapratu. Ko bots prot, skatiet /help."  # not linked yet


async def test_a_parent_invites_a_carer_who_sees_the_child_read_only(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    await link_account(
        core.uow(), Viewer.console(), person_id=a.parent_5a, telegram_user_id=NEWCOMER,
        chat_id=NEWCOMER,
    )  # fmt: skip
    parent = chats.user(NEWCOMER)
    [carers] = await parent.send("/carers")
    assert "Jānis: nav aprūpētāja" in carers.text
    [question] = await parent.press(CarersCb(action="new", pupil_id=a.pupil_5a).pack())
    assert question.text.startswith("Uzrakstiet aprūpētāja vārdu un uzvārdu")
    [link] = await parent.send("Anna Ozola")
    assert link.text.startswith("Pārsūtiet šo saiti personai <b>Anna Ozola</b>:")
    code = link.text.split("?start=", 1)[1].split()[0]
    welcome, menu = await chats.user(GRANDMA).send(f"/start {code}")
    assert "Jānis" in welcome.text
    assert "tikai skatīšanās" in welcome.text
    assert set(buttons(menu)) == {
        "📖 Jānis: dienasgrāmata",
        "📘 Jānis: vērtējumi",
        "📅 Jānis: kavējumi",
        "📰 Skolas ziņas",
        "⚙️ Iestatījumi",
    }
    assert "Jūsu lomas: aprūpētājs (tikai skatīšanās)." in menu.text
    [screen] = await chats.user(GRANDMA).press(MarksCb(pupil_id=a.pupil_5a).pack())
    assert "Jānis Alfa-Bērziņš (5.a)" in screen.text
    # A forged "invite a carer" button: the bot asks for the name, core refuses the carer.
    [prompt] = await chats.user(GRANDMA).press(CarersCb(action="new", pupil_id=a.pupil_5a).pack())
    assert prompt.text.startswith("Uzrakstiet aprūpētāja vārdu")
    [refused] = await chats.user(GRANDMA).send("Cits Vārds")
    assert refused.text == "Aprūpētājus var uzaicināt tikai vecāki ar pilnām tiesībām."
    [ask] = await parent.press(CarersCb(action="ask_revoke", pupil_id=a.pupil_5a).pack())
    assert ask.text.startswith("Atsaukt aprūpētāja piekļuvi?")
    [revoked] = await parent.press(CarersCb(action="revoke", pupil_id=a.pupil_5a).pack())
    assert revoked.text == "Aprūpētāja piekļuve atsaukta: Anna Ozola."
    [gone] = await chats.user(GRANDMA).send("/start")
    assert gone.text.startswith("⛔")


async def test_a_teacher_who_is_also_a_parent_sees_both_menus(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await insert(
        core, t.Guardianship(guardian_id=a.math_teacher, pupil_id=a.pupil_2a, relation="mother")
    )
    [menu] = await chats.user(TEACHER).send("/start")
    assert "Jūsu lomas: priekšmeta skolotājs, klases audzinātājs, vecāks." in menu.text
    assert list(buttons(menu)) == [
        "📋 Manas stundas šodien",
        "📖 Ērika: dienasgrāmata",
        "📘 Ērika: vērtējumi",
        "📅 Ērika: kavējumi",
        "📰 Skolas ziņas",
        "✉️ Pasts",
        "👵 Aprūpētāji",
        "🎟 Ielūgumi",
        "🔗 Pievienošanās",
        "⚙️ Iestatījumi",
    ]
    assert chats.chat_commands(TEACHER) == [
        "start", "diary", "homework", "marks", "absences", "absent", "history", "extract",
        "today", "grades", "timetable", "calendar", "groups", "reports", "notes", "news", "mail",
        "broadcast", "carers", "invites", "connections", "mydata", "settings", "language", "help",
        "logout",
    ]  # fmt: skip
    [superuser] = await chats.user(SUPERUSER, "en").send("/start")
    assert chats.chat_commands(SUPERUSER) == [
        "start", "extract", "today", "grades", "timetable", "groups", "reports", "notes",
        "changes", "news", "mail", "broadcast", "invites", "connections", "people", "disclosures",
        "mydata", "settings", "language", "help", "logout",
    ]  # fmt: skip
    assert "🎟 Invitations" in buttons(superuser)
    [help_text] = await chats.user(SUPERUSER).send("/help")
    assert "/people" in help_text.text
    assert "/disclosures" in help_text.text
    assert "/invites" in help_text.text
