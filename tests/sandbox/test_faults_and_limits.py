"""Fault injection (429, 5xx, any error, slow, dropped connection) and rate-limit emulation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from sandbox.client import SandboxClient, SandboxError
from sandbox.server import RunningSandbox

from .conftest import BotCaller


async def test_flood_fault_for_next_k_calls(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_fault("flood", method="sendmessage", count=2, retry_after=7)
    for _ in range(2):
        status, body = await bot("sendMessage", chat_id=user["id"], text="x")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    await bot.ok("sendMessage", chat_id=user["id"], text="x")
    await bot.ok("getMe")
    faults = await client.faults()
    assert (faults[0]["fired"], faults[0]["active"]) == (2, False)
    # A refused send is not in the chat.
    assert [m["text"] for m in (await client.transcript(user["id"]))["messages"]] == [
        "/start",
        "x",
    ]


async def test_server_error_and_custom_error_faults(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_fault("server_error", status=502)
    status, body = await bot("getMe")
    assert (status, body["description"]) == (502, "Bad Gateway")
    await client.set_fault("server_error")
    status, body = await bot("getMe")
    assert (status, body["description"]) == (500, "Internal Server Error")
    await client.set_fault(
        "error",
        method="sendMessage",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1001234},
    )
    status, body = await bot("sendMessage", chat_id=user["id"], text="x")
    assert status == 400
    assert body["parameters"] == {"migrate_to_chat_id": -1001234}


async def test_slow_fault_delays_the_answer_but_the_send_happens(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_fault("slow", method="sendMessage", delay=0.3)
    started = time.monotonic()
    await bot.ok("sendMessage", chat_id=user["id"], text="slow")
    assert time.monotonic() - started >= 0.3


async def test_drop_fault_records_the_message_but_closes_the_connection(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_fault("drop", method="sendMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await bot("sendMessage", chat_id=user["id"], text="maybe lost")
    messages = (await client.transcript(user["id"]))["messages"]
    assert messages[-1]["text"] == "maybe lost"
    # A retry duplicates it, as it would with Telegram.
    await bot.ok("sendMessage", chat_id=user["id"], text="maybe lost")
    texts = [m["text"] for m in (await client.transcript(user["id"]))["messages"]]
    assert texts.count("maybe lost") == 2
    calls = await client.calls(method="sendMessage")
    assert calls[0]["fault"] == "drop"


async def test_probability_fault_is_deterministic_with_a_seed(
    bot: BotCaller, client: SandboxClient
) -> None:
    async def pattern() -> list[int]:
        await client.clear_faults()
        await client.set_fault("server_error", method="getMe", probability=0.5, seed=42)
        return [(await bot("getMe"))[0] for _ in range(20)]

    first = await pattern()
    assert set(first) == {200, 500}
    assert await pattern() == first


async def test_fault_validation(client: SandboxClient) -> None:
    with pytest.raises(SandboxError) as info:
        await client.set_fault("meteor")
    assert info.value.status == 400


async def test_private_chat_rate_limit(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_rate_limits(enabled=True)
    await bot.ok("sendMessage", chat_id=user["id"], text="1")
    status, body = await bot("sendMessage", chat_id=user["id"], text="2")
    assert status == 429
    assert body["description"] == "Too Many Requests: retry after 1"
    assert body["parameters"] == {"retry_after": 1}
    other = await client.create_user("Other")
    await client.send_text(other["id"], "/start")
    await bot.ok("sendMessage", chat_id=other["id"], text="other chats are not affected")
    await asyncio.sleep(1.05)
    await bot.ok("sendMessage", chat_id=user["id"], text="2")
    limits = await client.rate_limits()
    assert limits["rejections"] == 1
    calls = await client.calls(method="sendMessage")
    assert [c["rate_limited"] for c in calls] == [False, True, False, False]


async def test_private_burst_and_retry_after_rounding(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_rate_limits(enabled=True, private_per_second=0.25, private_burst=2)
    await bot.ok("sendMessage", chat_id=user["id"], text="1")
    await bot.ok("sendMessage", chat_id=user["id"], text="2")
    status, body = await bot("sendMessage", chat_id=user["id"], text="3")
    assert status == 429
    assert body["parameters"]["retry_after"] == 4


async def test_global_rate_limit(bot: BotCaller, client: SandboxClient) -> None:
    await client.set_rate_limits(enabled=True, global_per_second=3, global_burst=3)
    users = []
    for index in range(4):
        created = await client.create_user(f"U{index}")
        await client.send_text(created["id"], "/start")
        users.append(created["id"])
    statuses = [(await bot("sendMessage", chat_id=uid, text="x"))[0] for uid in users]
    assert statuses == [200, 200, 200, 429]


async def test_group_rate_limit_per_minute(bot: BotCaller, client: SandboxClient) -> None:
    member = await client.create_user("Member")
    group = await client.create_group("7.b vecāki", [member["id"]])
    assert group["type"] == "group"
    await client.set_rate_limits(enabled=True, group_per_minute=20, group_burst=3)
    statuses = [(await bot("sendMessage", chat_id=group["id"], text="x"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    _, body = await bot("sendMessage", chat_id=group["id"], text="x")
    assert body["parameters"]["retry_after"] == 3  # 20/min: a token every 3 s
    transcript = await client.chat_transcript(group["id"])
    assert len(transcript["messages"]) == 3


async def test_rate_limits_off_by_default_and_reset(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any], sandbox: RunningSandbox
) -> None:
    for _ in range(5):
        await bot.ok("sendMessage", chat_id=user["id"], text="fast")
    await client.set_rate_limits(enabled=True)
    await client.set_fault("flood")
    await client.reset()
    assert (await client.rate_limits())["enabled"] is False
    assert await client.faults() == []
    assert sandbox.state.users == {}
