"""Connecting families end to end: the real bot runtime against the sandbox, as people use it.

Invitation links, a second child, refused codes, the attempt limit, a shared phone, deactivation,
the slips PDF from the bot and the connection report, read back from the chat transcripts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.invites import Purpose
from core.services.accounts import identify
from core.services.invites import IssuedInvite, issue_invite
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox
from tests.builders import World, build_world, viewer
from tests.e2e.running import RunningBot, bot_settings, chat_log, exchange, link_user, press
from tests.slipcheck import all_text, read_slips

pytestmark = pytest.mark.e2e

TEACHER, SUPERUSER = 8002, 8003
LIGA, KARLIS, STRANGER = 8101, 8102, 8103
SANDBOX_BOT = "ejournal_sandbox_bot"


@pytest.fixture
async def world(core: Core, sandbox: RunningSandbox) -> World:
    """The builders' world; only the class teacher of 5.a and the superuser are connected."""
    world = await build_world(core)
    for person, user_id, language, name in (
        (world.a.math_teacher, TEACHER, "lv", "Māra"),
        (world.a.superuser, SUPERUSER, "en", "Inese"),
    ):
        await link_user(core, sandbox.client, person, user_id, name, language=language)
    await sandbox.client.create_user("Līga", user_id=LIGA, language_code="lv")
    await sandbox.client.create_user(
        "Kārlis", user_id=KARLIS, language_code="lv", phone="+371 29 000 002"
    )
    await sandbox.client.create_user("Svešinieks", user_id=STRANGER, language_code="lv")
    return world


@pytest.fixture
async def polling_bot(
    core: Core, sandbox: RunningSandbox, world: World
) -> AsyncIterator[RunningBot]:
    """The real runtime in polling mode (the invitation flow itself also runs in webhook mode).

    The anti-flood burst is raised: these conversations send more than five messages in a row.
    """
    settings = bot_settings(sandbox, "polling", flood_rate=100, flood_burst=100)
    running = await RunningBot(core, settings, "polling", None).started()
    yield running
    await running.stop()


async def invite(core: Core, issuer: int, person: int, purpose: Purpose) -> IssuedInvite:
    return await issue_invite(
        core.uow(), await viewer(core, issuer), purpose=purpose, person_id=person
    )


async def last_keyboard(client: SandboxClient, user_id: int) -> tuple[int, dict[str, str]]:
    """The latest bot message with inline buttons: its id and button text → callback data."""
    for message in reversed(await client.bot_messages(user_id)):
        markup = message["reply_markup"] or {}
        if "inline_keyboard" in markup:
            return message["message_id"], {
                b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row
            }
    raise AssertionError("no inline keyboard in the chat")


async def test_a_parent_opens_the_deep_link_and_a_second_code_attaches(
    core: Core,
    sandbox: RunningSandbox,
    running_bot: RunningBot,  # polling and webhook
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, client = world.a, sandbox.client
    caplog.set_level(logging.DEBUG)
    first = await invite(core, a.math_teacher, a.parent_5a, Purpose.GUARDIAN)
    welcome, menu = await exchange(client, LIGA, f"/start {first.code}", replies=2)
    assert welcome == (
        "✅ Gatavs! Šis Telegram konts tagad ir savienots ar skolas e-žurnālu: Līga Alfa-Bērziņa."
    )
    assert menu == "Sveiki, Līga!\n\nJūsu lomas: vecāks.\n\nIzvēlieties, ko apskatīt:"
    _, keyboard = await last_keyboard(client, LIGA)
    assert list(keyboard) == [
        "📖 Ērika: dienasgrāmata",
        "📘 Ērika: vērtējumi",
        "📅 Ērika: kavējumi",
        "📖 Jānis: dienasgrāmata",
        "📘 Jānis: vērtējumi",
        "📅 Jānis: kavējumi",
        "📰 Skolas ziņas",
        "✉️ Pasts",
        "👵 Aprūpētāji",
        "⚙️ Iestatījumi",
    ]
    scopes = [json.loads(c["params"]["scope"]) for c in await client.calls("setMyCommands")]
    assert {"type": "chat", "chat_id": LIGA} in scopes
    # The class teacher of the other child's class sends her a code too: same account.
    second = await invite(core, a.latvian_teacher, a.parent_5a, Purpose.GUARDIAN)
    again, _ = await exchange(client, LIGA, f"/start {second.code}", replies=2)
    assert again.startswith("✅ Šis Telegram konts jau bija savienots ar jums (Līga Alfa-Bērziņa)")
    identity = await identify(core.uow(), telegram_user_id=LIGA)
    assert identity is not None
    assert identity.viewer.children == {a.pupil_5a, a.pupil_2a}
    pressed = await press(client, LIGA, "📘 Jānis: vērtējumi")
    assert pressed[0]["text"].startswith("📘 Jānis Alfa-Bērziņš (5.a) — vērtējumi")
    assert first.code not in caplog.text
    assert second.code not in caplog.text


async def test_expired_used_and_unknown_codes_are_refused_clearly(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World, clock: FakeClock
) -> None:
    a, client = world.a, sandbox.client
    used = await invite(core, a.superuser, a.parent_5a_second, Purpose.GUARDIAN)
    await exchange(client, KARLIS, f"/start {used.code}", replies=2)
    expired = await invite(core, a.superuser, a.pupil_5a, Purpose.PUPIL)
    clock.advance(timedelta(days=15))
    [unknown_reply] = await exchange(client, STRANGER, "/start Zz9-NOT-A-REAL-CODE")
    [used_reply] = await exchange(client, STRANGER, f"/start {used.code}")
    [expired_reply] = await exchange(client, STRANGER, f"/start {expired.code}")
    assert unknown_reply.startswith("Šāda ielūguma nav.")
    assert used_reply.startswith("Šis ielūgums jau ir izmantots.")
    assert expired_reply == (
        "Šī ielūguma derīguma termiņš ir beidzies. Lūdziet skolai jaunu ielūgumu."
    )
    assert await identify(core.uow(), telegram_user_id=STRANGER) is None


async def test_the_sixth_wrong_code_within_an_hour_is_refused_without_being_checked(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World, clock: FakeClock
) -> None:
    a, client = world.a, sandbox.client
    valid = await invite(core, a.superuser, a.parent_5a_second, Purpose.GUARDIAN)
    for number in range(5):
        [reply] = await exchange(client, STRANGER, f"/start wrong{number}")
        assert reply.startswith("Šāda ielūguma nav.")
    [sixth] = await exchange(client, STRANGER, f"/start {valid.code}")
    assert sixth.startswith("Pārāk daudz neveiksmīgu mēģinājumu. Šis mēģinājums netika pārbaudīts")
    assert await identify(core.uow(), telegram_user_id=STRANGER) is None
    async with core.uow() as uow:  # the valid invitation was not even looked at: still open
        [still_open] = await uow.invites.pending(
            now=uow.clock.now(), person_ids=[a.parent_5a_second]
        )
    assert still_open.id == valid.invite_id
    clock.advance(timedelta(hours=1, seconds=1))
    welcome, _ = await exchange(client, STRANGER, f"/start {valid.code}", replies=2)
    assert "Kārlis Alfa-Kalniņš" in welcome


async def test_a_shared_own_contact_links_and_a_forwarded_one_is_refused(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World
) -> None:
    client = sandbox.client
    await exchange(client, KARLIS, "/start")
    keyboard = (await client.transcript(KARLIS))["reply_keyboard"]
    [[button]] = keyboard["keyboard"]
    assert button == {"text": "📱 Kopīgot manu tālruņa numuru", "request_contact": True}
    before = len(await client.bot_messages(KARLIS))
    await client.send_contact(KARLIS)  # the button: the user's own, verified number
    welcome, menu = [
        m["text"] for m in (await client.wait_for_bot_messages(KARLIS, before + 2))[before:]
    ]
    assert welcome.endswith("savienots ar skolas e-žurnālu: Kārlis Alfa-Kalniņš.")
    assert menu.startswith("Sveiki, Kārlis!")
    assert (await client.transcript(KARLIS))["reply_keyboard"] is None
    # Somebody else's contact (forwarded) is refused, even with a recorded number.
    await client.send_contact(
        STRANGER, phone_number="+37129000001", first_name="Līga", contact_user_id=LIGA
    )
    [refusal] = await client.wait_for_bot_messages(STRANGER, 1)
    assert refusal["text"].startswith("Pieņemam tikai jūsu pašu tālruņa numuru")
    assert await identify(core.uow(), telegram_user_id=STRANGER) is None


async def test_after_deactivation_the_next_message_gets_no_access_and_no_data(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World
) -> None:
    a, client = world.a, sandbox.client
    code = (await invite(core, a.superuser, a.parent_5a_second, Purpose.GUARDIAN)).code
    await exchange(client, KARLIS, f"/start {code}", replies=2)
    [found] = await exchange(client, SUPERUSER, "/people kalnins")
    assert "Kārlis Alfa-Kalniņš — parent of Anna (connected)" in found
    [question] = await press(client, SUPERUSER, "⛔ Kārlis Alfa-Kalniņš")
    assert question["text"].startswith("Deactivate Kārlis Alfa-Kalniņš?")
    [done] = await press(client, SUPERUSER, "⛔ Yes, deactivate")
    assert done["text"] == "⛔ Kārlis Alfa-Kalniņš: access ended, unused invitations revoked."
    [marks] = await exchange(client, KARLIS, "/marks")
    [menu] = await exchange(client, KARLIS, "/start")
    no_access = (
        "⛔ Jūsu piekļuve skolas e-žurnālam ir beigusies. Ja tā ir kļūda, sazinieties ar skolu."
    )
    assert marks == menu == no_access
    last = (await client.bot_messages(KARLIS))[-1]
    assert last["reply_markup"] is None
    assert "Anna" not in "".join((await chat_log(client, KARLIS))[-4:])


async def test_the_class_teacher_gets_slips_whose_qr_codes_link_each_person(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World
) -> None:
    a, client = world.a, sandbox.client
    await exchange(client, TEACHER, "/invites")
    [document] = await press(client, TEACHER, "5.a: vecākiem")
    assert document["caption"].startswith("🎟 2 ielūgumi 5.a klases vecākiem, derīgi līdz")
    assert document["document"]["file_name"] == "ielugumi-vecakiem-5.a.pdf"
    pdf = await client.download(document["document"]["url"])
    text = all_text(pdf)
    assert "Līga Alfa-Bērziņa" in text
    assert "Bērns: Jānis Alfa-Bērziņš (5.a)" in text
    slips = {("Līga" if "Līga" in s.text else "Kārlis"): s.codes for s in read_slips(pdf)}
    assert set(slips) == {"Līga", "Kārlis"}
    for name, user, person in (
        ("Līga", LIGA, a.parent_5a),
        ("Kārlis", KARLIS, a.parent_5a_second),
    ):
        [link] = slips[name]
        assert link.startswith(f"https://t.me/{SANDBOX_BOT}?start=")
        welcome, _ = await exchange(client, user, f"/start {link.rsplit('=', 1)[1]}", replies=2)
        assert name in welcome
        identity = await identify(core.uow(), telegram_user_id=user)
        assert identity is not None
        assert identity.person.id == person


async def test_the_connection_report_before_and_after_people_link(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World
) -> None:
    client = sandbox.client
    [before] = await exchange(client, TEACHER, "/connections")
    assert "Pievienoti: skolēni 0/2, vecāki 0/2" in before
    assert "• Līga Alfa-Bērziņa — bērni: Jānis Alfa-Bērziņš" in before
    code = (await invite(core, world.a.math_teacher, world.a.parent_5a, Purpose.GUARDIAN)).code
    await exchange(client, LIGA, f"/start {code}", replies=2)
    await client.send_contact(KARLIS)
    await client.wait_for_bot_messages(KARLIS, 2)
    [after] = await exchange(client, TEACHER, "/connections")
    assert "Pievienoti: skolēni 0/2, vecāki 2/2" in after
    assert "Līga" not in after
    assert "Nav pievienoti vecāki" not in after
    [school] = await exchange(client, SUPERUSER, "/connections")
    assert "Connected: pupils 0/3, parents 2/2" in school
    assert "Staff: 2/5" in school
