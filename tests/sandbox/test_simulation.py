"""The simulation API: users, contacts, files, replies, transcripts, waits, personas, the page."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from sandbox import errors
from sandbox.client import SandboxClient, SandboxError
from sandbox.media import tiny_png
from sandbox.server import RunningSandbox, running_sandbox

from .conftest import BotCaller, fast_config


async def test_create_user_auto_and_given_id(client: SandboxClient) -> None:
    auto = await client.create_user("Auto")
    given = await client.create_user(
        "Līga", user_id=5005, last_name="Ozola", username="liga", language_code="lv", phone="+371"
    )
    assert auto["id"] != given["id"]
    assert given == {
        "id": 5005,
        "is_bot": False,
        "first_name": "Līga",
        "last_name": "Ozola",
        "username": "liga",
        "language_code": "lv",
        "phone": "+371",
        "started": False,
        "blocked": False,
        "deactivated": False,
    }
    again = await client.create_user("Other name", user_id=5005)
    assert again["first_name"] == "Līga"
    assert {u["id"] for u in await client.users()} == {auto["id"], 5005}
    with pytest.raises(SandboxError) as info:
        await client.user(1)
    assert info.value.status == 404


async def test_start_payload_and_user_started_flag(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("Deep")
    sent = await client.send_text(user["id"], "/start inv_AbC-123")
    assert sent["update_id"] == 1
    assert sent["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert (await client.user(user["id"]))["started"] is True
    update = (await bot.ok("getUpdates"))[0]
    assert update["message"]["text"] == "/start inv_AbC-123"


async def test_own_and_foreign_contacts(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("Anna", last_name="Kalna", phone="+37129999999")
    await client.send_contact(user["id"])
    await client.send_contact(
        user["id"], phone_number="+37121111111", first_name="Cits", contact_user_id=999
    )
    await client.send_contact(user["id"], phone_number="+37122222222", first_name="Bez id")
    contacts = [u["message"]["contact"] for u in await bot.ok("getUpdates")]
    assert contacts == [
        {
            "phone_number": "+37129999999",
            "first_name": "Anna",
            "last_name": "Kalna",
            "user_id": user["id"],
        },
        {"phone_number": "+37121111111", "first_name": "Cits", "user_id": 999},
        {"phone_number": "+37122222222", "first_name": "Bez id"},
    ]
    no_phone = await client.create_user("NoPhone")
    with pytest.raises(SandboxError):
        await client.send_contact(no_phone["id"])


async def test_user_document_round_trip_through_get_file(
    bot: BotCaller, client: SandboxClient, http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    user = await client.create_user("Uploader")
    payload = "kavējuma zīme".encode()
    await client.send_document(
        user["id"], payload, "zime.txt", mime_type="text/plain", caption="Lūdzu"
    )
    message = (await bot.ok("getUpdates"))[0]["message"]
    assert message["caption"] == "Lūdzu"
    document = message["document"]
    assert document["file_name"] == "zime.txt"
    assert document["mime_type"] == "text/plain"
    assert document["file_size"] == len(payload)
    file = await bot.ok("getFile", file_id=document["file_id"])
    assert file["file_unique_id"] == document["file_unique_id"]
    async with http.get(f"{sandbox.api_url}/file/bot{sandbox.token}/{file['file_path']}") as resp:
        assert resp.status == 200
        assert await resp.read() == payload
    async with http.get(f"{sandbox.api_url}/file/bot1:bad/{file['file_path']}") as resp:
        assert resp.status == 401
    assert await bot.error("getFile", file_id="nope") == (400, errors.INVALID_FILE_ID)


async def test_user_photo(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("Photographer")
    await client.send_photo(user["id"], tiny_png(3, 2), caption="tāfele")
    message = (await bot.ok("getUpdates"))[0]["message"]
    assert message["photo"][0]["width"] == 3
    assert message["photo"][0]["height"] == 2
    with pytest.raises(SandboxError) as info:
        await client.send_photo(user["id"], b"not an image")
    assert info.value.status == 400


async def test_bot_upload_limits_and_file_id_reuse(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, client: SandboxClient, bot: BotCaller
) -> None:
    user = await client.create_user("R")
    await client.send_text(user["id"], "/start")
    await client.set_config(max_upload_bytes=1000)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user["id"]))
    form.add_field("document", b"x" * 1001, filename="big.pdf")
    async with http.post(f"{sandbox.bot_api_base}/sendDocument", data=form) as response:
        assert response.status == 413
        assert (await response.json())["description"] == "Request Entity Too Large"
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user["id"]))
    form.add_field("document", "attach://report")
    form.add_field("caption", "c" * 1025)
    form.add_field("report", b"%PDF-1.4", filename="report.pdf")
    async with http.post(f"{sandbox.bot_api_base}/sendDocument", data=form) as response:
        assert (await response.json())["description"] == "Bad Request: message caption is too long"
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user["id"]))
    form.add_field("document", "attach://report")
    form.add_field("report", b"%PDF-1.4", filename="report.pdf")
    async with http.post(f"{sandbox.bot_api_base}/sendDocument", data=form) as response:
        document = (await response.json())["result"]["document"]
    assert document["mime_type"] == "application/pdf"
    again = await bot.ok("sendDocument", chat_id=user["id"], document=document["file_id"])
    assert again["document"]["file_id"] == document["file_id"]
    assert await bot.error("sendDocument", chat_id=user["id"], document="unknown-id") == (
        400,
        errors.WRONG_FILE_ID,
    )
    assert await bot.error("sendDocument", chat_id=user["id"]) == (400, errors.NO_DOCUMENT)
    assert await bot.error("sendPhoto", chat_id=user["id"], photo=document["file_id"]) == (
        400,
        "Bad Request: can't use file of type Document as Photo",
    )
    transcript = await client.transcript(user["id"])
    last = transcript["messages"][-1]
    assert last["document"]["url"].startswith("/sim/files/")
    assert await client.download(last["document"]["url"]) == b"%PDF-1.4"


async def test_bot_photo_must_be_an_image(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, client: SandboxClient
) -> None:
    user = await client.create_user("P")
    await client.send_text(user["id"], "/start")
    for payload, expected in ((b"nope", False), (tiny_png(), True)):
        form = aiohttp.FormData()
        form.add_field("chat_id", str(user["id"]))
        form.add_field("photo", payload, filename="p.png")
        async with http.post(f"{sandbox.bot_api_base}/sendPhoto", data=form) as response:
            body = await response.json()
        assert body["ok"] is expected, body
    assert body["result"]["photo"][0]["width"] == 2


async def test_reply_to_bot_message(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("Replier")
    await client.send_text(user["id"], "/start")
    question = await bot.ok("sendMessage", chat_id=user["id"], text="Kāds iemesls?")
    await client.send_text(user["id"], "Slimība", reply_to_message_id=question["message_id"])
    update = (await bot.ok("getUpdates", offset=2))[0]
    assert update["message"]["reply_to_message"]["text"] == "Kāds iemesls?"
    assert update["message"]["reply_to_message"]["from"]["is_bot"] is True
    with pytest.raises(SandboxError):
        await client.send_text(user["id"], "x", reply_to_message_id=999)


async def test_transcript_contents(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("T")
    await client.send_text(user["id"], "/start")
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    sent = await bot.ok(
        "sendMessage",
        chat_id=user["id"],
        text="<b>Jauna</b> atzīme",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    press = await client.press_button(user["id"], sent["message_id"], "ok")
    await bot.ok("answerCallbackQuery", callback_query_id=press["id"], text="Saņemts")
    transcript = await client.transcript(user["id"])
    user_message, bot_message = transcript["messages"]
    assert (user_message["sender"], user_message["text"]) == ("user", "/start")
    assert bot_message["sender"] == "bot"
    assert bot_message["text"] == "Jauna atzīme"
    assert bot_message["raw_text"] == "<b>Jauna</b> atzīme"
    assert bot_message["parse_mode"] == "HTML"
    assert bot_message["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert bot_message["reply_markup"] == keyboard
    assert (bot_message["edited"], bot_message["deleted"]) == (False, False)
    assert bot_message["callbacks"][0]["answer"]["text"] == "Saņemts"
    assert transcript["callbacks"][0]["data"] == "ok"


async def test_strict_press_rejects_forged_data(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("S")
    await client.send_text(user["id"], "/start")
    sent = await bot.ok("sendMessage", chat_id=user["id"], text="x")
    with pytest.raises(SandboxError) as info:
        await client.press_button(user["id"], sent["message_id"], "forged", strict=True)
    assert info.value.status == 400
    with pytest.raises(SandboxError) as info:
        await client.press_button(user["id"], 999, "x")
    assert info.value.status == 404


async def test_blocked_user_cannot_write(client: SandboxClient) -> None:
    user = await client.create_user("B")
    await client.block(user["id"])
    with pytest.raises(SandboxError) as info:
        await client.send_text(user["id"], "hi")
    assert info.value.status == 409


async def test_wait_for_bot_messages(bot: BotCaller, client: SandboxClient) -> None:
    user = await client.create_user("W")
    await client.send_text(user["id"], "/start")

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        await bot.ok("sendMessage", chat_id=user["id"], text="first")
        await bot.ok("sendMessage", chat_id=user["id"], text="second")

    task = asyncio.create_task(reply_later())
    messages = await client.wait_for_bot_messages(user["id"], 2, timeout=5)
    await task
    assert [m["text"] for m in messages] == ["first", "second"]
    with pytest.raises(TimeoutError):
        await client.wait_for_bot_messages(user["id"], 3, timeout=0.2)


async def test_transcript_long_poll_by_version(
    bot: BotCaller, client: SandboxClient, http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    user = await client.create_user("V")
    await client.send_text(user["id"], "/start")
    version = (await client.transcript(user["id"]))["version"]

    async def poll() -> dict[str, Any]:
        url = f"{sandbox.base_url}/sim/users/{user['id']}/transcript"
        async with http.get(url, params={"wait": "5", "version": str(version)}) as response:
            result: dict[str, Any] = await response.json()
            return result

    task = asyncio.create_task(poll())
    await asyncio.sleep(0.1)
    assert not task.done()
    await bot.ok("sendMessage", chat_id=user["id"], text="news")
    transcript = await task
    assert transcript["version"] > version
    assert transcript["messages"][-1]["text"] == "news"


async def test_personas_info_and_demo_page(http: aiohttp.ClientSession) -> None:
    personas = [
        {"user_id": 7001, "name": "Ilze", "description": "Skolotāja", "language": "lv"},
        {"user_id": 7002, "name": "Oleg", "description": "Родитель", "language": "ru"},
    ]
    async with running_sandbox(config=fast_config(), personas=personas) as sandbox:
        assert await sandbox.client.personas() == personas
        info = await sandbox.client.info()
        assert info["bot_api_base"] == sandbox.bot_api_base
        async with http.get(sandbox.base_url + "/") as response:
            page = await response.text()
            assert response.content_type == "text/html"
        assert 'id="composer"' in page
        assert "/static/app.js" in page
        for asset in ("app.js", "style.css"):
            async with http.get(f"{sandbox.base_url}/static/{asset}") as response:
                assert response.status == 200
                body = await response.text()
        assert "http://" not in body  # no external resources
        assert "https://" not in body
        async with http.get(f"{sandbox.base_url}/static/..%2Fserver.py") as response:
            assert response.status == 404


async def test_demo_script_never_uses_inner_html(http: aiohttp.ClientSession) -> None:
    async with (
        running_sandbox(config=fast_config()) as sandbox,
        http.get(f"{sandbox.base_url}/static/app.js") as response,
    ):
        script = await response.text()
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "textContent" in script


async def test_reset_keep_users(client: SandboxClient, bot: BotCaller) -> None:
    user = await client.create_user("K", user_id=4242)
    await client.send_text(user["id"], "/start")
    await client.reset(keep_users=True)
    assert (await client.user(4242))["started"] is False
    assert await bot.ok("getUpdates") == []
    assert (await client.transcript(4242))["messages"] == []
    await client.send_text(4242, "/start")
    assert [u["update_id"] for u in await bot.ok("getUpdates")] == [1]


async def test_sim_errors_are_json(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
    async with http.post(f"{sandbox.base_url}/sim/users", data="not json") as response:
        assert response.status == 400
        assert json.loads(await response.text())["ok"] is False


async def test_direct_simulator_and_state_access(sandbox: RunningSandbox, bot: BotCaller) -> None:
    user = sandbox.sim.create_user(first_name="Direct", user_id=9001)
    sandbox.sim.send_text(user.id, "/start")
    await bot.ok("sendMessage", chat_id=9001, text="hi")
    chat = sandbox.state.chats[9001]
    assert [m.text for m in chat.bot_messages()] == ["hi"]


async def test_only_loopback_binding() -> None:
    with pytest.raises(ValueError, match="loopback"):
        async with running_sandbox(host="0.0.0.0"):
            pass
