"""Webhook delivery: secret header, per-chat order, parallel chats, redelivery, info."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox

from .conftest import BotCaller

Reply = Callable[[dict[str, Any]], Awaitable[int]]


class Receiver:
    """A bot's webhook endpoint that records what arrives and answers per ``reply``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.arrived = asyncio.Event()
        self.reply: Reply = self._ok
        self.url = ""
        self._runner: web.AppRunner | None = None

    @staticmethod
    async def _ok(update: dict[str, Any]) -> int:
        return 200

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.received.append((update, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.arrived.set()
        status = await self.reply(update)
        return web.Response(status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def update_ids(self) -> list[int]:
        return [update["update_id"] for update, _ in self.received]

    async def wait_count(self, count: int, seconds: float = 5.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    await hook.start()
    yield hook
    await hook.stop()


async def _wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - polls state owned by another task
            await asyncio.sleep(0.01)


async def test_delivery_with_secret_header(
    bot: BotCaller, client: SandboxClient, receiver: Receiver, sandbox: RunningSandbox
) -> None:
    user = await client.create_user("Jānis")
    assert await bot.ok("setWebhook", url=receiver.url, secret_token="s3cr3t_-X") is True
    await client.send_text(user["id"], "/start")
    await receiver.wait_count(1)
    update, secret = receiver.received[0]
    assert secret == "s3cr3t_-X"
    assert update["message"]["text"] == "/start"
    assert update["message"]["from"]["id"] == user["id"]
    info = await bot.ok("getWebhookInfo")
    assert info["url"] == receiver.url
    assert info["max_connections"] == 40
    await _wait_until(lambda: not sandbox.state.pending)
    assert (await bot.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_no_secret_header_without_secret(
    bot: BotCaller, client: SandboxClient, receiver: Receiver
) -> None:
    user = await client.create_user("Jānis")
    await bot.ok("setWebhook", url=receiver.url)
    await client.send_text(user["id"], "hi")
    await receiver.wait_count(1)
    assert receiver.received[0][1] is None


async def test_invalid_secret_token_rejected(bot: BotCaller) -> None:
    code, description = await bot.error(
        "setWebhook", url="http://127.0.0.1:1/", secret_token="a b"
    )
    assert code == 400
    assert "secret token" in description


async def test_per_chat_order_and_parallel_chats(
    bot: BotCaller, client: SandboxClient, receiver: Receiver
) -> None:
    first = await client.create_user("A")
    second = await client.create_user("B")
    release = asyncio.Event()
    in_flight: dict[int, int] = {}
    max_per_chat = 0

    async def slow_for_first(update: dict[str, Any]) -> int:
        nonlocal max_per_chat
        chat = update["message"]["chat"]["id"]
        in_flight[chat] = in_flight.get(chat, 0) + 1
        max_per_chat = max(max_per_chat, in_flight[chat])
        if chat == first["id"]:
            await release.wait()
        in_flight[chat] -= 1
        return 200

    receiver.reply = slow_for_first
    for index in range(3):
        await client.send_text(first["id"], f"a{index}")
    for index in range(3):
        await client.send_text(second["id"], f"b{index}")
    await bot.ok("setWebhook", url=receiver.url)
    # Chat B is not held up by chat A's slow first update.
    await receiver.wait_count(4)
    texts = [update["message"]["text"] for update, _ in receiver.received]
    assert texts == ["a0", "b0", "b1", "b2"]
    release.set()
    await receiver.wait_count(6)
    texts = [update["message"]["text"] for update, _ in receiver.received]
    assert [t for t in texts if t.startswith("a")] == ["a0", "a1", "a2"]
    assert max_per_chat == 1


async def test_redelivery_after_non_2xx_keeps_update_id(
    bot: BotCaller, client: SandboxClient, receiver: Receiver, sandbox: RunningSandbox
) -> None:
    user = await client.create_user("C")
    answers = iter([500, 502, 200, 200])

    async def flaky(update: dict[str, Any]) -> int:
        return next(answers)

    receiver.reply = flaky
    await bot.ok("setWebhook", url=receiver.url)
    await client.send_text(user["id"], "one")
    await client.send_text(user["id"], "two")
    await receiver.wait_count(4)
    assert receiver.update_ids() == [1, 1, 1, 2]
    info = await bot.ok("getWebhookInfo")
    assert info["last_error_message"] == "Wrong response from the webhook: 502 Bad Gateway"
    assert isinstance(info["last_error_date"], int)
    await _wait_until(lambda: not sandbox.state.pending)
    deliveries = (await client.webhook())["deliveries"]
    assert [(d["update_id"], d["attempt"], d["ok"]) for d in deliveries] == [
        (1, 1, False),
        (1, 2, False),
        (1, 3, True),
        (2, 1, True),
    ]


async def test_redelivery_after_timeout(
    bot: BotCaller, client: SandboxClient, receiver: Receiver, sandbox: RunningSandbox
) -> None:
    await client.set_config(webhook_timeout=0.2)
    user = await client.create_user("D")
    calls = 0

    async def hang_once(update: dict[str, Any]) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(1)
        return 200

    receiver.reply = hang_once
    await bot.ok("setWebhook", url=receiver.url)
    await client.send_text(user["id"], "x")
    await receiver.wait_count(2)
    assert receiver.update_ids() == [1, 1]
    await _wait_until(lambda: not sandbox.state.pending)
    assert (await bot.ok("getWebhookInfo"))["last_error_message"] == "Read timeout expired"


async def test_connection_refused_is_recorded_and_pending(
    bot: BotCaller, client: SandboxClient, sandbox: RunningSandbox
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    user = await client.create_user("E")
    await bot.ok("setWebhook", url=f"http://127.0.0.1:{port}/hook")
    await client.send_text(user["id"], "x")
    await _wait_until(lambda: sandbox.state.webhook.last_error_message is not None)
    info = await bot.ok("getWebhookInfo")
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"


async def test_delete_webhook_stops_delivery_and_polling_takes_over(
    bot: BotCaller, client: SandboxClient, receiver: Receiver
) -> None:
    user = await client.create_user("F")
    await bot.ok("setWebhook", url=receiver.url)
    await client.send_text(user["id"], "via webhook")
    await receiver.wait_count(1)
    await bot.ok("deleteWebhook")
    await client.send_text(user["id"], "via polling")
    updates = await bot.ok("getUpdates")
    assert [u["message"]["text"] for u in updates] == ["via polling"]
    assert len(receiver.received) == 1
    assert (await bot.ok("getWebhookInfo"))["url"] == ""


async def test_drop_pending_updates(
    bot: BotCaller, client: SandboxClient, receiver: Receiver
) -> None:
    user = await client.create_user("G")
    await client.send_text(user["id"], "old")
    await bot.ok("setWebhook", url=receiver.url, drop_pending_updates=True)
    await client.send_text(user["id"], "new")
    await receiver.wait_count(1)
    await asyncio.sleep(0.05)
    assert [u["message"]["text"] for u, _ in receiver.received] == ["new"]


async def test_max_connections_bounds_parallel_chats(
    bot: BotCaller, client: SandboxClient, receiver: Receiver
) -> None:
    release = asyncio.Event()
    concurrent = 0
    peak = 0

    async def hold(update: dict[str, Any]) -> int:
        nonlocal concurrent, peak
        concurrent += 1
        peak = max(peak, concurrent)
        await release.wait()
        concurrent -= 1
        return 200

    receiver.reply = hold
    for index in range(5):
        user = await client.create_user(f"U{index}")
        await client.send_text(user["id"], "hi")
    await bot.ok("setWebhook", url=receiver.url, max_connections=2)
    await receiver.wait_count(2)
    await asyncio.sleep(0.1)
    assert len(receiver.received) == 2
    release.set()
    await receiver.wait_count(5)
    assert peak == 2
