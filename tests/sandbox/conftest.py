"""Fixtures for the sandbox tests: a running sandbox with fast timeouts and raw Bot API calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import SandboxConfig

TOKEN = "424242:TEST-token_abc"


def fast_config(**changes: Any) -> SandboxConfig:
    """A config with short webhook timeouts and backoff so tests never wait long."""
    values: dict[str, Any] = {
        "token": TOKEN,
        "webhook_timeout": 1.0,
        "webhook_retry_delay": 0.05,
        "webhook_max_retry_delay": 0.2,
    }
    values.update(changes)
    return SandboxConfig(**values)


class BotCaller:
    """Calls ``/bot<token>/<method>`` and returns (HTTP status, JSON body)."""

    def __init__(self, session: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
        self.session = session
        self.sandbox = sandbox

    async def __call__(
        self, method: str, *, token: str | None = None, form: bool = False, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        url = f"{self.sandbox.api_url}/bot{token or self.sandbox.token}/{method}"
        if form:
            data = {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in params.items()
            }
            response = await self.session.post(url, data=data)
        else:
            response = await self.session.post(url, json=params)
        async with response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        """Call and assert success; returns ``result``."""
        status, body = await self(method, **params)
        assert status == 200, body
        assert body["ok"] is True, body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        """Call and assert failure; returns (error_code, description)."""
        status, body = await self(method, **params)
        assert body["ok"] is False, body
        assert status == body["error_code"]
        return body["error_code"], body["description"]


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(config=fast_config()) as running:
        yield running


@pytest.fixture
def client(sandbox: RunningSandbox) -> SandboxClient:
    return sandbox.client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def bot(http: aiohttp.ClientSession, sandbox: RunningSandbox) -> BotCaller:
    return BotCaller(http, sandbox)


@pytest.fixture
async def user(client: SandboxClient) -> dict[str, Any]:
    """A virtual user who has started the bot (sent /start); its updates are confirmed."""
    created = await client.create_user("Anna", last_name="Bērziņa", phone="+37120000001")
    await client.send_text(created["id"], "/start")
    return created
