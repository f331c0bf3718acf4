"""getUpdates: offset confirmation, negative offset, limit, long polling, allowed_updates, 409."""

from __future__ import annotations

import asyncio
import time

from sandbox import errors
from sandbox.client import SandboxClient

from .conftest import BotCaller


async def _user_writes(client: SandboxClient, *texts: str) -> int:
    user = await client.create_user("Pēteris")
    for text in texts:
        await client.send_text(user["id"], text)
    return int(user["id"])


async def test_offset_confirms_earlier_updates(bot: BotCaller, client: SandboxClient) -> None:
    await _user_writes(client, "/start", "a", "b")
    updates = await bot.ok("getUpdates")
    assert [u["update_id"] for u in updates] == [1, 2, 3]
    assert updates[0]["message"]["text"] == "/start"
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Without a higher offset nothing is confirmed: the same updates come again.
    assert [u["update_id"] for u in await bot.ok("getUpdates")] == [1, 2, 3]
    assert [u["update_id"] for u in await bot.ok("getUpdates", offset=2)] == [2, 3]
    assert [u["update_id"] for u in await bot.ok("getUpdates", offset=1)] == [2, 3]
    assert await bot.ok("getUpdates", offset=4) == []
    pending = await client.updates(pending=True)
    assert pending == []


async def test_negative_offset_and_limit(bot: BotCaller, client: SandboxClient) -> None:
    await _user_writes(client, "1", "2", "3", "4", "5")
    assert [u["update_id"] for u in await bot.ok("getUpdates", limit=2)] == [1, 2]
    assert [u["update_id"] for u in await bot.ok("getUpdates", offset=-2)] == [4, 5]
    # The earlier ones were forgotten.
    assert [u["update_id"] for u in await bot.ok("getUpdates")] == [4, 5]
    # limit is clamped to 1..100
    assert len(await bot.ok("getUpdates", limit=0)) == 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    bot: BotCaller, client: SandboxClient
) -> None:
    user = await client.create_user("Ilze")
    started = time.monotonic()
    poll = asyncio.create_task(bot.ok("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await client.send_text(user["id"], "hello")
    updates = await poll
    assert [u["message"]["text"] for u in updates] == ["hello"]
    assert time.monotonic() - started < 2


async def test_long_poll_times_out_empty(bot: BotCaller) -> None:
    started = time.monotonic()
    assert await bot.ok("getUpdates", timeout=0.3) == []
    assert time.monotonic() - started >= 0.25


async def test_overlapping_polls_conflict(bot: BotCaller) -> None:
    first = asyncio.create_task(bot("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot("getUpdates", timeout=0.2))
    status, body = await first
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    status, body = await second
    assert (status, body["result"]) == (200, [])


async def test_get_updates_conflicts_with_webhook(bot: BotCaller) -> None:
    await bot.ok("setWebhook", url="http://127.0.0.1:9/hook")
    assert await bot.error("getUpdates") == (409, errors.CONFLICT_WEBHOOK)
    await bot.ok("deleteWebhook")
    assert await bot.ok("getUpdates") == []


async def test_allowed_updates_are_kept_and_filter(bot: BotCaller, client: SandboxClient) -> None:
    user_id = await _user_writes(client, "/start")
    await bot.ok("getUpdates", offset=2, allowed_updates=["callback_query"])
    await client.send_text(user_id, "ignored")
    assert await bot.ok("getUpdates") == []  # the setting persisted
    await bot.ok("setWebhook", url="http://127.0.0.1:9/x", allowed_updates=["message"])
    info = await bot.ok("getWebhookInfo")
    assert info["allowed_updates"] == ["message"]
    await bot.ok("deleteWebhook", drop_pending_updates=True)
    await client.send_text(user_id, "seen")
    assert [u["message"]["text"] for u in await bot.ok("getUpdates")] == ["seen"]


async def test_my_chat_member_on_block_and_unblock(bot: BotCaller, client: SandboxClient) -> None:
    user_id = await _user_writes(client, "/start")
    await bot.ok("getUpdates", offset=2)
    await client.block(user_id)
    await client.unblock(user_id)
    updates = await bot.ok("getUpdates")
    assert [u["update_id"] for u in updates] == [2, 3]
    blocked = updates[0]["my_chat_member"]
    assert blocked["chat"]["id"] == user_id
    assert blocked["from"]["id"] == user_id
    assert blocked["old_chat_member"]["status"] == "member"
    assert blocked["new_chat_member"]["status"] == "kicked"
    assert blocked["new_chat_member"]["user"]["id"] == 424242
    unblocked = updates[1]["my_chat_member"]
    assert (unblocked["old_chat_member"]["status"], unblocked["new_chat_member"]["status"]) == (
        "kicked",
        "member",
    )


async def test_callback_query_update_with_forged_data(
    bot: BotCaller, client: SandboxClient
) -> None:
    user_id = await _user_writes(client, "/start")
    sent = await bot.ok(
        "sendMessage",
        chat_id=user_id,
        text="Izvēlies",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "pick:1"}]]},
    )
    forged = await client.press_button(user_id, sent["message_id"], "ban_user:42")
    assert forged["forged"] is True
    updates = await bot.ok("getUpdates", offset=2)
    query = updates[0]["callback_query"]
    assert query["id"] == forged["id"]
    assert query["data"] == "ban_user:42"
    assert query["from"]["id"] == user_id
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["chat_instance"]
