"""The aiogram sender against the sandbox: each Telegram answer becomes the right outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram.exceptions import TelegramNetworkError

from notifications.sender import (
    ChatMigrated,
    Delivered,
    DocumentPart,
    Failed,
    RecipientGone,
    RetryAfter,
    TextPart,
    may_have_arrived,
)
from notifications.telegram_sender import TelegramSender, outcome_of
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import SandboxConfig

TOKEN = "6161:SENDER-token"


@pytest.fixture
async def sb() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(config=SandboxConfig(token=TOKEN)) as running:
        yield running


@pytest.fixture
async def sender(sb: RunningSandbox) -> AsyncIterator[TelegramSender]:
    telegram = TelegramSender(TOKEN, api_base=sb.api_url, timeout=1)
    yield telegram
    await telegram.close()


async def started(sb: RunningSandbox, user_id: int = 900_001) -> int:
    user = await sb.client.create_user("Anna", user_id=user_id)
    await sb.client.send_text(user["id"], "/start")
    return int(user["id"])


async def test_a_text_is_delivered_with_html(sb: RunningSandbox, sender: TelegramSender) -> None:
    chat = await started(sb)
    outcome = await sender.send(chat, TextPart("<b>Jauns</b> vērtējums"))
    assert isinstance(outcome, Delivered)
    [message] = await sb.client.bot_messages(chat)
    assert message["text"] == "Jauns vērtējums"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 5}]


async def test_a_document_goes_by_send_document(
    sb: RunningSandbox, sender: TelegramSender
) -> None:
    chat = await started(sb)
    part = DocumentPart(b"%PDF-1.4", "izraksts.pdf", caption="Novembris")
    assert isinstance(await sender.send(chat, part), Delivered)
    [message] = await sb.client.bot_messages(chat)
    assert message["caption"] == "Novembris"
    assert message["document"]["file_name"] == "izraksts.pdf"


async def test_flood_control_becomes_retry_after(
    sb: RunningSandbox, sender: TelegramSender
) -> None:
    chat = await started(sb)
    await sb.client.set_fault("flood", method="sendMessage", retry_after=3)
    assert await sender.send(chat, TextPart("x")) == RetryAfter(3.0)
    await sb.client.set_fault("flood", method="sendMessage", retry_after=0)
    assert await sender.send(chat, TextPart("x")) == RetryAfter(0.0)  # aiogram: bare API error


async def test_blocked_deactivated_and_never_started_are_gone(
    sb: RunningSandbox, sender: TelegramSender
) -> None:
    blocked = await started(sb, 900_002)
    await sb.client.block(blocked)
    deactivated = await started(sb, 900_003)
    await sb.client.deactivate(deactivated)
    stranger = (await sb.client.create_user("Nav", user_id=900_004))["id"]
    assert await sender.send(blocked, TextPart("x")) == RecipientGone(
        "Forbidden: bot was blocked by the user"
    )
    assert await sender.send(deactivated, TextPart("x")) == RecipientGone(
        "Forbidden: user is deactivated"
    )
    assert await sender.send(stranger, TextPart("x")) == RecipientGone(
        "Forbidden: bot can't initiate conversation with a user"
    )


async def test_migration_server_errors_and_bad_requests(
    sb: RunningSandbox, sender: TelegramSender
) -> None:
    chat = await started(sb)
    await sb.client.set_fault(
        "error",
        method="sendMessage",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -100123},
    )
    assert await sender.send(chat, TextPart("x")) == ChatMigrated(-100123)
    await sb.client.set_fault("server_error", method="sendMessage", status=502)
    assert await sender.send(chat, TextPart("x")) == Failed("Bad Gateway", transient=True)
    outcome = await sender.send(999_999_999, TextPart("x"))
    assert outcome == Failed("Bad Request: chat not found", transient=False)
    assert await sender.send(chat, TextPart("x" * 5000)) == Failed(
        "Bad Request: message is too long", transient=False
    )


async def test_a_lost_answer_is_an_ambiguous_transient_failure(
    sb: RunningSandbox, sender: TelegramSender
) -> None:
    chat = await started(sb)
    await sb.client.set_fault("drop", method="sendMessage")
    dropped = await sender.send(chat, TextPart("maybe"))
    assert isinstance(dropped, Failed)
    assert (dropped.transient, dropped.ambiguous) == (True, True)
    assert may_have_arrived(dropped)
    # The message did arrive: a retry after a lost answer is the one possible duplicate.
    assert [m["text"] for m in await sb.client.bot_messages(chat)] == ["maybe"]
    await sb.client.set_fault("slow", method="sendMessage", delay=3)
    started_at = time.monotonic()
    slow = await sender.send(chat, TextPart("slow"))
    assert time.monotonic() - started_at < 3
    assert isinstance(slow, Failed)
    assert slow.ambiguous


def test_refusals_never_count_as_arrived() -> None:
    assert not may_have_arrived(RetryAfter(1))
    assert not may_have_arrived(Failed("Bad Gateway"))
    assert not may_have_arrived(RecipientGone("blocked"))
    assert may_have_arrived(Delivered(1))


def test_unexpected_errors_are_not_swallowed() -> None:
    assert outcome_of(TimeoutError()) == Failed("TimeoutError", transient=True, ambiguous=True)
    assert isinstance(outcome_of(TelegramNetworkError(method=None, message="x")), Failed)  # type: ignore[arg-type]
    with pytest.raises(ZeroDivisionError):
        outcome_of(ZeroDivisionError())


async def test_cancellation_propagates(sb: RunningSandbox, sender: TelegramSender) -> None:
    chat = await started(sb)
    await sb.client.set_fault("slow", method="sendMessage", delay=1)
    task = asyncio.create_task(sender.send(chat, TextPart("x")))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
