"""Webhook delivery: POSTs pending updates to the bot's URL like Telegram does.

Owns the delivery loop: one update in flight per chat (strict order), chats in parallel up to
``max_connections``, the secret header, and redelivery of the same update after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from sandbox.state import SandboxState, UpdateEntry

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """Background task that drains ``state.pending`` to ``state.webhook.url``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._session: aiohttp.ClientSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._inflight: dict[int, asyncio.Task[None]] = {}

    async def start(self) -> None:
        """Open the HTTP session and start the scheduling loop."""
        self._session = aiohttp.ClientSession()
        self._loop_task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        """Cancel deliveries and close the HTTP session."""
        tasks = list(self._inflight.values())
        if self._loop_task is not None:
            tasks.append(self._loop_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._inflight.clear()
        self._loop_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reconfigure(self) -> None:
        """Call after setWebhook/deleteWebhook: abandon deliveries to the old URL."""
        for task in self._inflight.values():
            task.cancel()
        self._inflight.clear()
        self.state.notify()

    async def _run(self) -> None:
        while True:
            version = self.state.notifier.version
            self._schedule()
            await self.state.notifier.changed_since(version, 3600)

    def _schedule(self) -> None:
        webhook = self.state.webhook
        if not webhook.url:
            return
        seen: set[int] = set()
        for entry in list(self.state.pending):
            if entry.chat_key in seen:
                continue
            seen.add(entry.chat_key)
            if entry.chat_key in self._inflight:
                continue
            if len(self._inflight) >= webhook.max_connections:
                break
            if not self.state.update_allowed(entry.type):
                self.state.confirm(entry, "filtered")
                continue
            self._inflight[entry.chat_key] = asyncio.create_task(
                self._deliver(entry, webhook.generation),
                name=f"sandbox-webhook-{entry.update_id}",
            )

    async def _post(self, entry: UpdateEntry) -> str | None:
        """One delivery attempt; returns an error message, or ``None`` on a 2xx answer."""
        webhook = self.state.webhook
        if self._session is None:
            return "Webhook delivery is not running"
        headers = {}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.state.config.webhook_timeout)
        try:
            async with self._session.post(
                webhook.url, json=entry.payload, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {type(exc).__name__}"

    async def _deliver(self, entry: UpdateEntry, generation: int) -> None:
        state = self.state
        try:
            entry.attempts += 1
            started = time.time()
            error = await self._post(entry)
            record: dict[str, Any] = {
                "update_id": entry.update_id,
                "attempt": entry.attempts,
                "time": started,
                "duration": time.time() - started,
                "ok": error is None,
                "error": error,
            }
            state.webhook.deliveries.append(record)
            if generation != state.webhook.generation:
                return
            if error is None:
                state.confirm(entry, "webhook")
                return
            state.webhook.last_error_date = state.now_int()
            state.webhook.last_error_message = error
            delay = min(
                state.config.webhook_retry_delay * 2 ** (entry.attempts - 1),
                state.config.webhook_max_retry_delay,
            )
            await asyncio.sleep(delay)
        finally:
            if self._inflight.get(entry.chat_key) is asyncio.current_task():
                del self._inflight[entry.chat_key]
            state.notify()
