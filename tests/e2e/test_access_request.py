"""Acceptance (issue 11, access requests): a parent asks in the bot for the data held about her
child; the school's superuser is told, approves in the bot; the parent receives the JSON
document and the PDF summary — the real bot and its notifications engine, through the sandbox."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from bot.__main__ import ProductSettings, notifications_beside
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services.accounts import link_account
from notifications.settings import NotificationsSettings
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox
from tests.builders import World
from tests.e2e.conftest import PARENT
from tests.e2e.running import RunningBot, bot_settings, exchange, press, until

pytestmark = pytest.mark.e2e

SUPERUSER = 8003


async def flowing(clock: FakeClock) -> None:
    """Let the frozen test clock run at real speed (the engine paces itself by it)."""
    while True:
        await asyncio.sleep(0.02)
        clock.advance(timedelta(seconds=0.02))


async def new_messages(
    client: SandboxClient, user_id: int, after: int, count: int
) -> list[dict[str, Any]]:
    """The bot's messages to ``user_id`` after the first ``after``, once ``count`` arrived."""

    async def arrived() -> bool:
        return len(await client.bot_messages(user_id)) >= after + count

    await until(arrived, seconds=15)
    return (await client.bot_messages(user_id))[after:]


async def test_a_parent_asks_the_superuser_approves_and_the_parent_receives_json_and_pdf(
    core: Core, clock: FakeClock, sandbox: RunningSandbox, world: World
) -> None:
    client = sandbox.client
    await link_account(
        core.uow(),
        Viewer.console(),
        person_id=world.a.superuser,
        telegram_user_id=SUPERUSER,
        chat_id=SUPERUSER,
        language="lv",
    )
    await client.create_user("Superlietotājs", user_id=SUPERUSER, language_code="lv")
    bot = bot_settings(sandbox, "polling", flood_rate=100.0, flood_burst=100)
    engine = NotificationsSettings(fanout_interval_s=0.05, idle_poll_s=0.05)
    settings = ProductSettings(bot=bot.bot, notifications=engine)
    running = await RunningBot(core, settings, "polling", None).started()
    time_flows = asyncio.create_task(flowing(clock))
    try:
        async with notifications_beside(core, settings)(settings):
            await exchange(client, SUPERUSER, "/start")
            # "📦 Mani dati" in /settings opens the same screen as /mydata.
            await exchange(client, PARENT, "/settings")
            [screen] = await press(client, PARENT, "📦 Mani dati")
            assert screen["text"].startswith("📦 Mani dati")
            superuser_seen = len(await client.bot_messages(SUPERUSER))
            [sent] = await press(client, PARENT, "📦 Pieprasīt datus: Jānis Alfa-Bērziņš")
            assert sent["text"].startswith("✅ Pieprasījums nosūtīts.")

            # The superuser is told, and reviews it in /mydata.
            [notice] = await new_messages(client, SUPERUSER, superuser_seen, 1)
            assert notice["text"].startswith("📦 Līga Alfa-Bērziņa pieprasa visus glabātos datus")
            assert "Jānis Alfa-Bērziņš" in notice["text"]
            [queue] = await exchange(client, SUPERUSER, "/mydata")
            assert "Datu pieprasījumi, kas gaida jūsu lēmumu: 1" in queue
            [review] = await press(client, SUPERUSER, "Līga Alfa-Bērziņa → Jānis Alfa-Bērziņš")
            assert "Datu subjekts: Jānis Alfa-Bērziņš" in review["text"]
            parent_seen = len(await client.bot_messages(PARENT))
            [approved] = await press(client, SUPERUSER, "✅ Apstiprināt")
            assert approved["text"].startswith("✅ Apstiprināts.")

            # The parent receives the JSON document and the PDF summary.
            documents = await new_messages(client, PARENT, parent_seen, 2)
            by_kind = {m["document"]["file_name"].rsplit(".", 1)[1]: m for m in documents}
            assert set(by_kind) == {"json", "pdf"}
            assert by_kind["json"]["caption"].startswith("📦 Jūsu pieprasītie dati")
            data = json.loads(await client.download(by_kind["json"]["document"]["url"]))
            assert data["subject"] == "Jānis Alfa-Bērziņš"
            assert data["tables"]["persons"][0]["id"] == world.a.pupil_5a
            pdf = await client.download(by_kind["pdf"]["document"]["url"])
            assert pdf.startswith(b"%PDF")
            assert by_kind["pdf"]["caption"].startswith("📄 Pārskats par glabātajiem datiem")

            # Decided: the queue is empty, and pressing "approve" again changes nothing.
            [empty] = await exchange(client, SUPERUSER, "/mydata")
            assert "Nav datu pieprasījumu, kas gaidītu lēmumu." in empty
            [again] = await press(client, SUPERUSER, "✅ Apstiprināt")
            assert again["text"] == "Par šo pieprasījumu jau ir lemts."
            await asyncio.sleep(0.3)
            assert len(await client.bot_messages(PARENT)) == parent_seen + 2

            # A request for her own data is rejected with a reason, which she receives.
            await exchange(client, PARENT, "/mydata")
            superuser_seen = len(await client.bot_messages(SUPERUSER))
            [sent] = await press(client, PARENT, "📦 Pieprasīt manus datus")
            assert sent["text"].startswith("✅ Pieprasījums nosūtīts.")
            await new_messages(client, SUPERUSER, superuser_seen, 1)  # the notice
            await exchange(client, SUPERUSER, "/mydata")
            await press(client, SUPERUSER, "Līga Alfa-Bērziņa → Līga Alfa-Bērziņa")
            [ask] = await press(client, SUPERUSER, "❌ Noraidīt")
            assert ask["text"].startswith("Uzrakstiet atteikuma iemeslu")
            parent_seen = len(await client.bot_messages(PARENT))
            [rejected] = await exchange(client, SUPERUSER, "Lūdzu, vērsieties skolas kancelejā.")
            assert rejected.startswith("Pieprasījums noraidīts")
            [reason] = await new_messages(client, PARENT, parent_seen, 1)
            assert reason["text"] == (
                "Jūsu datu pieprasījums noraidīts (datu subjekts: Līga Alfa-Bērziņa). "
                "Iemesls: Lūdzu, vērsieties skolas kancelejā."
            )
    finally:
        await running.stop()
        time_flows.cancel()
