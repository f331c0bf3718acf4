"""Acceptance (issue 10, mail): a parent writes to the class teacher in the bot; the teacher
answers with Telegram's reply; the parent sees the answer in the same thread; the parent's read
receipt reaches the teacher — the real bot and its notifications engine, through the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.__main__ import ProductSettings, notifications_beside
from core.bootstrap import Core
from core.clock import FakeClock
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.settings import NotificationsSettings
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox
from tests.builders import World
from tests.e2e.conftest import PARENT, TEACHER
from tests.e2e.running import RunningBot, bot_settings, exchange, press, until

pytestmark = pytest.mark.e2e


def product_settings(sandbox: RunningSandbox) -> ProductSettings:
    bot = bot_settings(sandbox, "polling", flood_rate=100.0, flood_burst=100)
    engine = NotificationsSettings(fanout_interval_s=0.05, idle_poll_s=0.05)
    return ProductSettings(bot=bot.bot, notifications=engine)


async def flowing(clock: FakeClock) -> None:
    """Let the frozen test clock run at real speed (the engine paces itself by it)."""
    while True:
        await asyncio.sleep(0.02)
        clock.advance(timedelta(seconds=0.02))


async def new_bot_message(
    client: SandboxClient, user_id: int, after: int, starts: str
) -> dict[str, Any]:
    """The first bot message after ``after`` whose text or caption starts with ``starts``."""

    async def found() -> bool:
        return _match(await client.bot_messages(user_id), after, starts) is not None

    await until(found, seconds=15)
    match = _match(await client.bot_messages(user_id), after, starts)
    assert match is not None
    return match


def _match(messages: list[dict[str, Any]], after: int, starts: str) -> dict[str, Any] | None:
    for message in messages[after:]:
        if (message.get("text") or message.get("caption") or "").startswith(starts):
            return message
    return None


async def carried(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.MailChatMessage)) or 0)


async def test_a_parent_and_the_class_teacher_talk_in_one_thread_with_read_receipts(
    core: Core, clock: FakeClock, sandbox: RunningSandbox, world: World
) -> None:
    settings = product_settings(sandbox)
    running = await RunningBot(core, settings, "polling", None).started()
    time_flows = asyncio.create_task(flowing(clock))
    client = sandbox.client
    try:
        async with notifications_beside(core, settings)(settings):
            await exchange(client, TEACHER, "/start")  # a bot cannot start a conversation
            # The parent writes to Jānis's class teacher in /mail.
            [inbox] = await exchange(client, PARENT, "/mail")
            assert inbox.startswith("📬 Pasts · neizlasītas: 0")
            await press(client, PARENT, "✍️ Jauna ziņa")
            await press(client, PARENT, "Jānis Alfa-Bērziņš (5.a)")
            await press(client, PARENT, "👩‍🏫 Klases audzinātājs")
            await press(client, PARENT, "Māra Alfa-Matemātiķe — klases audzinātājs, 5.a")
            await exchange(client, PARENT, "Ekskursija\nVai Jānis drīkst rīt ierasties vēlāk?")
            teacher_seen = len(await client.bot_messages(TEACHER))
            [done] = await press(client, PARENT, "📤 Sūtīt")
            assert done["text"].startswith("✅ Nosūtīts: Māra Alfa-Matemātiķe — „Ekskursija”.")

            # It reaches the teacher's chat (in her language), relayed by the bot.
            letter = await new_bot_message(client, TEACHER, teacher_seen, "✉️ Līga")
            assert letter["text"].startswith(
                "✉️ Līga Alfa-Bērziņa (mother — Jānis Alfa-Bērziņš, 5.a): Ekskursija\n\n"
                "Vai Jānis drīkst rīt ierasties vēlāk?"
            )
            labels = [b["text"] for row in letter["reply_markup"]["inline_keyboard"] for b in row]
            assert labels == ["↩️ Reply", "✓ Read", "🚩 Report"]
            await until(lambda: _at_least(carried(core), 1), seconds=10)

            # The teacher answers with Telegram's reply to that message.
            parent_seen = len(await client.bot_messages(PARENT))
            before = len(await client.bot_messages(TEACHER))
            await client.send_text(
                TEACHER, "Yes, of course.", reply_to_message_id=letter["message_id"]
            )
            confirmed = await new_bot_message(client, TEACHER, before, "✅ Sent to")
            assert confirmed["text"].startswith("✅ Sent to Līga Alfa-Bērziņa: “Ekskursija”.")

            # The answer reaches the parent, and she sees it in the same thread.
            answer = await new_bot_message(client, PARENT, parent_seen, "✉️ Māra")
            assert answer["text"].startswith(
                "✉️ Māra Alfa-Matemātiķe (klases audzinātājs, 5.a) atbildēja: Ekskursija\n\n"
                "Yes, of course."
            )
            [box] = await exchange(client, PARENT, "/mail")
            assert "🔵 Ekskursija · jaunas: 1" in box
            teacher_before = len(await client.bot_messages(TEACHER))
            [opened] = await press(client, PARENT, "🔵 Ekskursija")
            thread = opened["text"]
            assert thread.startswith("✉️ Ekskursija")
            assert thread.index("Vai Jānis drīkst rīt ierasties vēlāk?") < thread.index(
                "Yes, of course."
            )
            assert "✓✓ Māra Alfa-Matemātiķe izlasīja" in thread  # her read mark, too

            # Opening it was reading it: the teacher gets the parent's read receipt.
            receipt = await new_bot_message(client, TEACHER, teacher_before, "✓✓")
            assert receipt["text"].startswith(
                "✓✓ Līga Alfa-Bērziņa read your message “Ekskursija” at "
            )
            # The bot relayed everything: nobody's Telegram account was forwarded.
            assert await client.calls("forwardMessage") == []
    finally:
        await running.stop()
        time_flows.cancel()


async def _at_least(value: Any, wanted: int) -> bool:
    return int(await value) >= wanted
