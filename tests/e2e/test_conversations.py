"""The real bot, polling and webhook, against the sandbox: conversations as chat logs."""

from __future__ import annotations

import json
import logging

import pytest

from bot.runtime import Mode
from sandbox.server import RunningSandbox
from tests.builders import World
from tests.e2e.conftest import PARENT, TEACHER
from tests.e2e.running import TOKEN, RunningBot, chat_log, exchange

pytestmark = pytest.mark.e2e


async def test_unlinked_user_in_latvian_and_english(
    sandbox: RunningSandbox, running_bot: RunningBot
) -> None:
    client = sandbox.client
    await client.create_user("Anna", user_id=5001, language_code="lv")
    await client.create_user("Ann", user_id=5002, language_code="en")
    [lv] = await exchange(client, 5001, "/start")
    [en] = await exchange(client, 5002, "/start")
    [lv_help] = await exchange(client, 5001, "/help")
    [en_help] = await exchange(client, 5002, "/help")
    assert await chat_log(client, 5001) == [
        "user: /start",
        "bot: 👋 Sveiki! Šis Telegram konts vēl nav savienots ar skolas e-žurnālu.\n\n"
        "Kā pievienoties: palūdziet ielūguma saiti klases audzinātājam vai skolas direktora "
        "vietniekam un atveriet to šajā Telegram kontā.\n\nVecāki un darbinieki var arī nospiest "
        "pogu „📱 Kopīgot manu tālruņa numuru”: ja skola šo numuru ir reģistrējusi tieši jums, "
        "konts tiks savienots uzreiz.\n\nKo bots prot, skatiet /help.",
        "user: /help",
        f"bot: {lv_help}",
    ]
    assert lv.startswith("👋 Sveiki!")
    assert en.startswith("👋 Hello! This Telegram account is not connected")
    assert "How to connect: ask your form teacher" in en_help
    assert "Kā pievienoties" in lv_help


async def test_linked_people_get_their_menu_and_help(
    sandbox: RunningSandbox, running_bot: RunningBot, world: World
) -> None:
    client = sandbox.client
    [menu] = await exchange(client, PARENT, "/start")
    [help_lv] = await exchange(client, PARENT, "/help")
    [menu_en] = await exchange(client, TEACHER, "/start")
    [help_en] = await exchange(client, TEACHER, "/help")
    assert menu == "Sveiki, Līga!\n\nJūsu lomas: vecāks.\n\nIzvēlieties, ko apskatīt:"
    transcript = await client.transcript(PARENT)
    keyboard = transcript["messages"][1]["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [
        ["📖 Ērika: dienasgrāmata"],  # Latvian order: Ē before J
        ["📘 Ērika: vērtējumi", "📅 Ērika: kavējumi"],
        ["📖 Jānis: dienasgrāmata"],
        ["📘 Jānis: vērtējumi", "📅 Jānis: kavējumi"],
        ["📰 Skolas ziņas"],
        ["✉️ Pasts"],
        ["👵 Aprūpētāji"],
        ["⚙️ Iestatījumi"],
    ]
    assert "/marks — bērnu vērtējumi" in help_lv
    assert menu_en.startswith("Hello, Māra!\n\nYour roles: subject teacher, form teacher.")
    assert "Your account is connected to the school e-journal." in help_en
    # Pressing the child's button answers the callback and shows that child's marks.
    pressed = await client.press_button(
        PARENT, transcript["messages"][1]["message_id"], keyboard[1][0]["callback_data"]
    )
    messages = await client.wait_for_bot_messages(PARENT, 3, timeout=10)
    assert messages[2]["text"].startswith("📘 Ērika Alfa-Bērziņa (2.a) — vērtējumi")
    [callback] = [c for c in await client.callbacks() if c["id"] == pressed["id"]]
    assert callback["answered"]
    scopes = [json.loads(c["params"]["scope"]) for c in await client.calls("setMyCommands")]
    assert {"type": "chat", "chat_id": PARENT} in scopes


async def test_the_token_never_reaches_the_logs(
    sandbox: RunningSandbox, running_bot: RunningBot, caplog: pytest.LogCaptureFixture, mode: Mode
) -> None:
    caplog.set_level(logging.DEBUG)
    await sandbox.client.create_user("Anna", user_id=5003, language_code="en")
    await exchange(sandbox.client, 5003, "/start")
    await exchange(sandbox.client, 5003, "/nonsense")
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert TOKEN not in caplog.text
    assert TOKEN.split(":", 1)[1] not in caplog.text
