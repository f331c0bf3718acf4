"""Faults: flood control on replies, a webhook that fails once or answers late, bad secrets."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiogram.exceptions import TelegramUnauthorizedError

from bot.runtime import MemorySeenUpdates, Mode
from core.bootstrap import Core
from sandbox.server import RunningSandbox
from tests.builders import World
from tests.e2e.conftest import PARENT
from tests.e2e.running import RunningBot, bot_settings, chat_log, exchange, press, until

pytestmark = pytest.mark.e2e
USER = 6001


async def test_a_429_on_the_reply_is_waited_out(
    sandbox: RunningSandbox, running_bot: RunningBot
) -> None:
    client = sandbox.client
    await client.create_user("Anna", user_id=USER, language_code="en")
    await client.set_fault("flood", method="sendMessage", retry_after=1, count=1)
    [reply] = await exchange(client, USER, "/help")
    assert reply.startswith("This is the school e-journal bot.")
    refused, sent = await client.calls("sendMessage")
    assert (refused["error_code"], refused["description"]) == (
        429,
        "Too Many Requests: retry after 1",
    )
    assert sent["ok"]
    assert sent["time"] - refused["time"] >= 0.95  # retry_after=1, give or take the clock


async def webhook_bot(core: Core, sandbox: RunningSandbox, seen: MemorySeenUpdates) -> RunningBot:
    mode: Mode = "webhook"
    return await RunningBot(core, bot_settings(sandbox, mode), mode, seen).started()


async def deliveries(sandbox: RunningSandbox, update_id: int) -> list[dict[str, object]]:
    webhook = await sandbox.client.webhook()
    return [d for d in webhook["deliveries"] if d["update_id"] == update_id]


async def test_a_failed_webhook_request_is_redelivered_and_handled_once(
    core: Core, sandbox: RunningSandbox, world: World
) -> None:
    running = await webhook_bot(core, sandbox, MemorySeenUpdates())
    client = sandbox.client
    await client.create_user("Ann", user_id=USER, language_code="en")
    # The reply fails with a 5xx: the bot answers the webhook with 500, Telegram tries again.
    await client.set_fault("server_error", method="sendMessage", status=502, count=1)
    sent = await client.send_text(USER, "/start")
    await client.wait_for_bot_messages(USER, 1, timeout=10)
    await until(lambda: _all_confirmed(sandbox))
    await running.stop()
    attempts = await deliveries(sandbox, sent["update_id"])
    assert [a["ok"] for a in attempts] == [False, True]
    assert attempts[0]["error"] == "Wrong response from the webhook: 500 Internal Server Error"
    log = await chat_log(client, USER)
    assert len(log) == 2
    assert log[1].startswith("bot: 👋 Hello!")


async def test_a_late_answer_is_redelivered_but_not_handled_twice(
    core: Core, sandbox: RunningSandbox, world: World
) -> None:
    seen = MemorySeenUpdates()
    running = await webhook_bot(core, sandbox, seen)
    client = sandbox.client
    await client.create_user("Ann", user_id=USER, language_code="en")
    # Telegram gives up waiting after 0.3 s and redelivers; our reply takes 1 s to be accepted.
    await client.set_config(webhook_timeout=0.3)
    await client.set_fault("slow", method="sendMessage", delay=1.0, count=1)
    sent = await client.send_text(USER, "/help")
    await until(lambda: _all_confirmed(sandbox))
    await running.stop()
    attempts = await deliveries(sandbox, sent["update_id"])
    assert len(attempts) >= 2
    assert attempts[0]["error"] == "Read timeout expired"
    assert attempts[-1]["ok"]
    assert len(await client.calls("sendMessage")) == 1
    assert len(await client.bot_messages(USER)) == 1
    assert await seen.begin(sent["update_id"]) == "done"


async def test_the_webhook_refuses_a_wrong_secret_and_reports_health(
    core: Core, sandbox: RunningSandbox, world: World
) -> None:
    running = await webhook_bot(core, sandbox, MemorySeenUpdates())
    update = {
        "update_id": 99,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(running.url, json=update, headers=headers) as response:
                assert response.status == 401
        health_url = running.url.rsplit("/", 1)[0] + "/healthz"
        async with http.get(health_url) as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
    await running.stop()
    assert await sandbox.client.calls("sendMessage") == []


async def test_a_stopping_webhook_finishes_the_update_in_flight(
    core: Core, sandbox: RunningSandbox, world: World
) -> None:
    running = await webhook_bot(core, sandbox, MemorySeenUpdates())
    client = sandbox.client
    await client.set_fault("slow", method="sendMessage", delay=1.0, count=1)
    await client.send_text(PARENT, "/start")
    await until(lambda: _has_calls(sandbox, "sendMessage"))
    await running.stop()  # while the reply is still being sent
    scopes = [c["params"].get("scope", "") for c in await client.calls("setMyCommands")]
    assert any('"chat"' in scope for scope in scopes), "the handler was cut short"
    [update] = [u for u in await client.updates() if u["chat_id"] == PARENT]
    assert update["confirmed"]


async def _all_confirmed(sandbox: RunningSandbox) -> bool:
    return not await sandbox.client.updates(pending=True)


async def _has_calls(sandbox: RunningSandbox, method: str) -> bool:
    return bool(await sandbox.client.calls(method))


async def test_a_refused_token_stops_the_bot(
    core: Core, sandbox: RunningSandbox, mode: Mode
) -> None:
    settings = bot_settings(sandbox, mode, token="1:not-the-sandbox-token")
    with pytest.raises(TelegramUnauthorizedError):
        await RunningBot(core, settings, mode, None).started()


async def test_a_press_answered_too_late_is_still_handled(
    sandbox: RunningSandbox, running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    # A busy morning, or presses queued while the bot restarted: Telegram no longer takes the
    # callback answer. The press must still do what it says (here: show the child's marks).
    client = sandbox.client
    await exchange(client, PARENT, "/start")
    await client.set_config(callback_answer_timeout=0.0)
    caplog.set_level(logging.INFO, logger="ejournal.bot")

    [marks] = await press(client, PARENT, "📘 Ērika: vērtējumi")

    assert marks["text"].startswith("📘 Ērika Alfa-Bērziņa (2.a) — vērtējumi")
    [refused] = await client.calls("answerCallbackQuery")
    assert refused["description"].startswith("Bad Request: query is too old")
    assert "answered too late; handling it anyway" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
