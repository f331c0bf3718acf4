"""Calendar feeds over HTTP: the route, 404s without detail, no token in logs, the whole way."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.__main__ import main
from bot.calendar_server import CalendarSettings, calendar_beside
from bot.runtime import Mode
from core.bootstrap import Core
from core.services.calendar_feed import create_feed, revoke_feed
from sandbox.server import RunningSandbox
from tests.builders import World, build_timetable, viewer
from tests.e2e.conftest import PARENT
from tests.e2e.running import RunningBot, bot_settings, press

pytestmark = pytest.mark.e2e
TOKEN_SHAPE = re.compile(r"/calendar/([A-Za-z0-9_-]{43})\.ics")


@pytest.fixture
async def http(core: Core) -> AsyncIterator[Http]:
    """The feed server as ``ejournal run`` starts it (a free port), and a client session."""
    async with (
        calendar_beside(core, CalendarSettings(listen="127.0.0.1:0")) as server,
        aiohttp.ClientSession() as session,
    ):
        assert server is not None
        yield Http(server.local_base, session)


@dataclass(frozen=True)
class Http:
    base: str
    session: aiohttp.ClientSession

    def get(self, path: str) -> Any:
        return self.session.get(self.base + path)

    def request(self, method: str, path: str) -> Any:
        return self.session.request(method, self.base + path)


async def test_the_route_serves_the_feed_and_404s_without_detail(
    core: Core,
    world: World,
    http: Http,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await build_timetable(core, world)
    parent = await viewer(core, world.a.parent_5a)
    feed_id, token = await create_feed(core.uow(), parent, pupil_id=world.a.pupil_5a)

    async with http.get(f"/calendar/{token}.ics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert "private" in response.headers["Cache-Control"]
        body = await response.text()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "SUMMARY:Matemātika\r\n" in body
    assert body.endswith("END:VCALENDAR\r\n")
    async with http.request("HEAD", f"/calendar/{token}.ics") as head:
        assert head.status == 200

    wrong = [
        f"/calendar/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.ics",  # right shape, unknown
        f"/calendar/{token}",  # no suffix
        f"/calendar/{token}.ical",
        "/calendar/short.ics",
    ]
    for path in wrong:
        async with http.get(path) as refused:
            assert refused.status == 404, path
            assert await refused.text() == "Not found"
    async with http.request("POST", f"/calendar/{token}.ics") as posted:
        assert posted.status == 405

    await revoke_feed(core.uow(), parent, feed_id=feed_id)
    async with http.get(f"/calendar/{token}.ics") as gone:
        assert gone.status == 404
        assert await gone.text() == "Not found"  # the same answer as for a token never issued
    assert token not in caplog.text
    assert token[:20] not in caplog.text


async def test_a_parent_subscribes_through_the_running_bot(
    core: Core,
    sandbox: RunningSandbox,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await build_timetable(core, world)
    client = sandbox.client
    settings = CalendarSettings(listen="127.0.0.1:0")
    async with calendar_beside(core, settings) as server:
        assert server is not None
        mode: Mode = "polling"
        # The parent taps faster than a person: the anti-flood limit would rightly slow it down.
        app = bot_settings(sandbox, mode, flood_rate=100.0, flood_burst=100).model_copy(
            update={"calendar": settings.served_at(server.local_base)}
        )
        running = await RunningBot(core, app, mode, None).started()
        try:
            await client.send_text(PARENT, "/calendar")
            await client.wait_for_bot_messages(PARENT, 1, timeout=10)
            [screen] = await press(client, PARENT, "Jānis Alfa-Bērziņš (5.a)")
            assert screen["text"].startswith("📅 Jānis Alfa-Bērziņš (5.a) — kalendāra saite")
            [made] = await press(client, PARENT, "➕ Jauna saite")
            found = TOKEN_SHAPE.search(made["text"])
            assert found is not None
            token = found.group(1)
            url = f"{server.local_base}/calendar/{token}.ics"
            assert url in made["text"]  # the link names the running server
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                assert response.status == 200
                assert response.content_type == "text/calendar"
                assert "Jānis Alfa-Bērziņš (5.a)" in await response.text()
            # A stray log line with the path is scrubbed while the server runs.
            logging.getLogger("aiohttp.access").warning("GET /calendar/%s.ics 200", token)
            [listed] = await press(client, PARENT, "◀ Saites")
            assert "pēdējoreiz nolasīta" in listed["text"]
            await press(client, PARENT, "🗑 Atsaukt 1. saiti")
            [revoked] = await press(client, PARENT, "🗑 Jā, atsaukt")
            assert revoked["text"].startswith("✅ Saite atsaukta")
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                assert response.status == 404
        finally:
            await running.stop()
    assert "/calendar/***" in caplog.text
    assert token not in caplog.text


def free_port() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, sock.getsockname()[1]


def test_run_stops_with_a_clear_message_when_the_feed_port_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken, port = free_port()
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("EJOURNAL_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
        monkeypatch.setenv("EJOURNAL_BOT__TOKEN", "123456:calendar-port-test")
        monkeypatch.setenv("EJOURNAL_CALENDAR__LISTEN", f"127.0.0.1:{port}")
        assert main(["--lang", "en", "run"]) == 2
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert f"The calendar feed server cannot listen on 127.0.0.1:{port}" in err
    assert "[calendar] enabled = false" in err
