"""`ejournal demo` in a browser: pick the parent, /start, press a child's button, see marks.

Needs Debian's Chromium (``apt-get install chromium``): skipped without it, but failing in CI.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.running import until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PARENT_PERSONA = 700000001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def page_is_up(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url + "sim/personas") as response:
            return response.status == 200 and bool(await response.json())
    except aiohttp.ClientError:
        return False


async def test_demo_page_parent_start_and_button(tmp_path: Path) -> None:
    if not HAVE_CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (apt-get install chromium)")
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    from playwright.async_api import async_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EJOURNAL_DEMO__DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        str(port),
        "--no-browser",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await until(lambda: page_is_up(url), seconds=90)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            try:
                page = await browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                await page.goto(url)
                await page.click(f'[data-persona="{PARENT_PERSONA}"]')
                await page.fill("#composer input", "/start")
                await page.click("#send")
                menu = page.locator(".msg.bot", has_text="Izvēlieties, ko apskatīt")
                await menu.wait_for(timeout=15_000)
                marks_button = page.locator(".inline-keyboard .inline-btn", has_text="vērtējumi")
                marks_button = marks_button.first
                child = (await marks_button.inner_text()).split(":", 1)[0].lstrip("📘 ").strip()
                await marks_button.click()
                marks = page.locator(".msg.bot", has_text="— vērtējumi")
                await marks.wait_for(timeout=15_000)
                text = await marks.inner_text()
                assert child in text
                assert "1. semestris" in text or "2. semestris" in text
                assert errors == []
            finally:
                await browser.close()
    finally:
        if demo.returncode is None:
            demo.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            stdout, stderr = await demo.communicate()
    assert demo.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert "Warning" not in stderr.decode()
    assert url in stdout.decode()
