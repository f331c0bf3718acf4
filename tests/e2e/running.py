"""Running the real bot runtime against an in-process sandbox, and reading chats back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.runtime import Mode, SeenUpdates, Shutdown, serve
from bot.settings import AppSettings
from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.accounts import link_account
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox

TOKEN = "777001:E2E-token_secret-value"
SECRET = "e2e_webhook-secret"


def bot_settings(sandbox: RunningSandbox, mode: Mode, **bot: Any) -> AppSettings:
    values: dict[str, Any] = {
        "token": TOKEN,
        "api_base": sandbox.api_url,
        "mode": mode,
        "webhook_secret": SECRET,
        "listen_port": 0,
        "drain_seconds": 5,
    }
    values.update(bot)
    return AppSettings(bot=values)  # type: ignore[arg-type]


class RunningBot:
    """``serve()`` in a task; ``stop()`` asks it to shut down and waits for it."""

    def __init__(self, core: Core, settings: AppSettings, mode: Mode, seen: SeenUpdates | None):
        self.shutdown = Shutdown()
        self.ready = asyncio.Event()
        self.url = ""
        self.task = asyncio.create_task(
            serve(core, settings, mode=mode, shutdown=self.shutdown, seen=seen, ready=self._ready)
        )

    def _ready(self, url: str) -> None:
        self.url = url
        self.ready.set()

    async def started(self) -> RunningBot:
        async with asyncio.timeout(10):
            ready = asyncio.create_task(self.ready.wait())
            done, _ = await asyncio.wait({ready, self.task}, return_when=asyncio.FIRST_COMPLETED)
            if self.task in done:
                ready.cancel()
                self.task.result()  # raises what made the bot stop
        return self

    async def stop(self) -> None:
        self.shutdown.request()
        async with asyncio.timeout(15):
            await self.task


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait until ``check()`` holds (polling a state another task or process owns)."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the state lives in another task or process
            await asyncio.sleep(0.02)


async def chat_log(client: SandboxClient, user_id: int) -> list[str]:
    """The chat as lines "user: …" / "bot: …" (text as the user sees it, without markup)."""
    transcript = await client.transcript(user_id)
    return [f"{m['sender']}: {m['text']}" for m in transcript["messages"]]


async def exchange(client: SandboxClient, user_id: int, text: str, replies: int = 1) -> list[str]:
    """The user writes ``text``; returns the bot's texts once ``replies`` new ones arrived."""
    before = len(await client.bot_messages(user_id))
    await client.send_text(user_id, text)
    messages = await client.wait_for_bot_messages(user_id, before + replies, timeout=10)
    return [m["text"] for m in messages[before:]]


async def press(
    client: SandboxClient, user_id: int, label: str, *, replies: int = 1
) -> list[dict[str, Any]]:
    """Press the newest button labelled ``label`` in the chat; the bot's new messages.

    Strict: the sandbox refuses a button that is not on that message, as Telegram would.
    """
    messages = await client.bot_messages(user_id)
    for message in reversed(messages):
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    await client.press_button(
                        user_id, message["message_id"], button["callback_data"], strict=True
                    )
                    got = await client.wait_for_bot_messages(
                        user_id, len(messages) + replies, timeout=15
                    )
                    return got[len(messages) :]
    raise AssertionError(f"no button {label!r} in the chat")


async def link_user(
    core: Core,
    client: SandboxClient,
    person_id: int,
    user_id: int,
    name: str,
    *,
    language: str = "lv",
    client_language: str | None = None,
) -> None:
    """A sandbox user ``user_id`` whose account is linked to ``person_id`` (as the console links).

    ``language`` is the account's; the Telegram client's is ``client_language`` (default: same).
    """
    await link_account(
        core.uow(),
        Viewer.console(),
        person_id=person_id,
        telegram_user_id=user_id,
        chat_id=user_id,
        language=language,
    )
    await client.create_user(name, user_id=user_id, language_code=client_language or language)
