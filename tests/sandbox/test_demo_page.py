"""The demo chat page in Chromium: personas, chatting, formatting, buttons, edits, no XSS.

Skipped when Debian's Chromium is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from sandbox.server import running_sandbox

from .conftest import BotCaller, fast_config

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]

PERSONAS = [
    {
        "user_id": 7001,
        "name": "Ilze Kalniņa",
        "description": "Skolotāja <img src=x onerror=window.pwned=1>",
        "language": "lv",
        "phone": "+37120000001",
    },
    {"user_id": 7002, "name": "Oleg", "description": "Vecāks", "language": "ru"},
]
HOSTILE = (
    '<b>Sveiki</b> <i>Ilze</i> <a href="javascript:window.pwned=1">x</a> '
    "&lt;img src=x onerror=window.pwned=1&gt; <tg-spoiler>sp</tg-spoiler> <code>c</code>"
)


async def test_persona_chat_flow(http: aiohttp.ClientSession) -> None:
    from playwright.async_api import async_playwright

    async with (
        running_sandbox(config=fast_config(), personas=PERSONAS) as sandbox,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = await browser.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            await page.goto(sandbox.base_url + "/")
            await page.locator('[data-persona="7002"]').wait_for()
            assert await page.locator(".persona-card").count() == 2
            await page.click('[data-persona="7001"]')
            await page.fill("#composer input", "/start")
            await page.click("#send")
            await page.locator(".msg.user").wait_for()
            assert sandbox.state.users[7001].phone == "+37120000001"

            keyboard = {
                "inline_keyboard": [
                    [
                        {"text": "Atzīmes", "callback_data": "marks"},
                        {"text": "Web", "url": "https://example.com"},
                    ]
                ]
            }
            bot = BotCaller(http, sandbox)
            sent = await bot.ok(
                "sendMessage",
                chat_id=7001,
                text=HOSTILE,
                parse_mode="HTML",
                reply_markup=keyboard,
            )
            message_id = sent["message_id"]
            bubble = page.locator(f'.msg.bot[data-message-id="{message_id}"]')
            await bubble.wait_for()
            assert await bubble.locator("b").inner_text() == "Sveiki"
            assert await bubble.locator("i").inner_text() == "Ilze"
            assert await bubble.locator(".spoiler").count() == 1
            assert await bubble.locator("code").inner_text() == "c"
            assert await bubble.locator("img").count() == 0
            assert await bubble.locator("a").get_attribute("href") is None
            assert "<img src=x" in await bubble.inner_text()

            await page.click("button.inline-btn")
            assert await page.locator("a.inline-btn").get_attribute("href") == (
                "https://example.com"
            )
            for _ in range(50):
                if sandbox.state.callbacks:
                    break
                await page.wait_for_timeout(20)
            [query] = sandbox.state.callbacks.values()
            assert (query.data, query.user_id) == ("marks", 7001)

            await bot.ok("editMessageText", chat_id=7001, message_id=message_id, text="Rediģēts")
            await page.locator(".msg.bot.is-edited").wait_for()
            assert await bubble.locator(".text").inner_text() == "Rediģēts"
            assert await page.locator("button.inline-btn").count() == 0

            await bot.ok(
                "sendMessage",
                chat_id=7001,
                text="Numurs?",
                reply_markup={
                    "keyboard": [[{"text": "Dalīties", "request_contact": True}]],
                    "one_time_keyboard": True,
                },
            )
            await page.click("#reply-keyboard button.reply-btn")
            await page.locator(".msg.user .contact-card").wait_for()
            contact = sandbox.state.chats[7001].messages[4].contact
            assert contact == {
                "phone_number": "+37120000001",
                "first_name": "Ilze Kalniņa",
                "user_id": 7001,
            }
            await page.click("#back")
            await page.locator("#persona-view").wait_for()
            assert await page.evaluate("window.pwned === undefined")
            assert page_errors == []
        finally:
            await browser.close()
