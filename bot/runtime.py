"""Owns running the bot: polling with a drain, or a webhook that answers after processing.

Shutdown (SIGTERM/SIGINT) lets updates in flight finish; webhook repeats are skipped by update_id.
With ``[redis] url`` set, dialogs, chat ordering, flood counters and the update ids seen live in
Redis (``bot.shared``), so several webhook workers on one port behave as one bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import signal
import socket
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal, Protocol

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from redis.asyncio import Redis

from bot.app import build_bot, build_dispatcher
from bot.commands import set_default_commands
from bot.errors import describe_traceback
from bot.i18n import load_catalogs
from bot.journal import JournalCore
from bot.presence import Heartbeat
from bot.settings import AppSettings
from bot.shared import RedisSeenUpdates, connect, in_process, in_redis

log = logging.getLogger("ejournal.bot")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Mode = Literal["polling", "webhook"]
Claim = Literal["new", "busy", "done"]
DAY = 24 * 3600.0  # Telegram keeps undelivered updates at most 24 hours


class Shutdown:
    """Stop requests: the first signal stops and drains, a second one stops waiting."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.hurry = asyncio.Event()

    def request(self) -> None:
        """Ask to stop (again: stop now)."""
        if self.stop.is_set():
            self.hurry.set()
        self.stop.set()

    def install_signal_handlers(self) -> Callable[[], None]:
        """SIGTERM and SIGINT call ``request``; returns a function that removes the handlers."""
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.request)
                installed.append(signum)

        def remove() -> None:
            for signum in installed:
                loop.remove_signal_handler(signum)

        return remove


async def process(bot: Bot, dp: Dispatcher, update: Update) -> None:
    """Feed one update to the dispatcher; failures are raised to the caller."""
    await dp.feed_update(bot, update)


class InFlight:
    """Handler tasks that are still running, by update id."""

    def __init__(self) -> None:
        self.tasks: dict[asyncio.Task[None], int] = {}

    def spawn(self, update_id: int, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in its own task and remember it until it ends."""
        task = asyncio.create_task(work, name=f"ejournal-update-{update_id}")
        self.tasks[task] = update_id
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self.tasks.pop(task, None)

    async def drain(self, seconds: float, hurry: asyncio.Event) -> set[int]:
        """Wait up to ``seconds`` (or until ``hurry``); cancel the rest, return their ids."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        hurried = asyncio.create_task(hurry.wait())
        try:
            while self.tasks and not hurry.is_set():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await asyncio.wait(
                    {*self.tasks, hurried}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
        finally:
            hurried.cancel()
        left = dict(self.tasks)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        return set(left.values())


class Poller:
    """Long polling that hands each update to a task and drains them on shutdown."""

    def __init__(
        self, bot: Bot, dp: Dispatcher, *, drain_seconds: float, poll_timeout: int = 25
    ) -> None:
        self.bot = bot
        self.dp = dp
        self.drain_seconds = drain_seconds
        self.poll_timeout = poll_timeout
        self.offset: int | None = None
        self.in_flight = InFlight()

    async def run(self, shutdown: Shutdown) -> None:
        """Poll until a stop is requested, then drain and confirm what was handled."""
        polling = asyncio.create_task(self._poll(), name="ejournal-poll")
        stopping = asyncio.create_task(shutdown.stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        polling.cancel()
        failure: BaseException | None = None
        try:
            await polling
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the token was refused, or the like: drain, then re-raise
            failure = exc
        unfinished = await self.in_flight.drain(self.drain_seconds, shutdown.hurry)
        if unfinished:
            log.warning("stopped %d unfinished updates: %s", len(unfinished), sorted(unfinished))
        await self._confirm(min(unfinished) if unfinished else self.offset)
        if failure is not None:
            raise failure

    async def _poll(self) -> None:
        allowed = self.dp.resolve_used_update_types()
        delay = 1.0
        while True:
            request = GetUpdates(
                offset=self.offset, timeout=self.poll_timeout, allowed_updates=allowed
            )
            try:
                updates = await self.bot(request, request_timeout=self.poll_timeout + 15)
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError, TelegramConflictError) as exc:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0f s", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            for update in updates:
                self.offset = update.update_id + 1
                self.in_flight.spawn(update.update_id, self._handle(update))

    async def _handle(self, update: Update) -> None:
        try:
            await process(self.bot, self.dp, update)
        except Exception as exc:  # Telegram failed while we answered: nobody to tell but the log
            log.error(
                "update %s failed: %s at %s",
                update.update_id,
                type(exc).__name__,
                describe_traceback(exc),
            )

    async def _confirm(self, offset: int | None) -> None:
        """Tell the server which updates are done, so a restart does not see them again."""
        if offset is None:
            return
        try:
            await self.bot(GetUpdates(offset=offset, limit=1, timeout=0), request_timeout=10)
        except Exception as exc:  # best effort: at worst the next start sees them again
            log.warning("could not confirm handled updates: %s", type(exc).__name__)


class SeenUpdates(Protocol):
    """Which update ids are being or have been handled (a shared store for several replicas)."""

    async def begin(self, update_id: int) -> Claim:
        """Claim an update: "new" (handle it), "busy" (someone is handling it) or "done"."""
        ...

    async def finish(self, update_id: int) -> None:
        """The update was handled."""
        ...

    async def abandon(self, update_id: int) -> None:
        """Handling failed: a redelivery may try again."""
        ...


class MemorySeenUpdates:
    """``SeenUpdates`` for one process: the most recent ids, each kept for 24 hours."""

    def __init__(
        self,
        *,
        keep_seconds: float = DAY,
        max_entries: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_seconds = keep_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[int, tuple[Claim, float]] = OrderedDict()

    async def begin(self, update_id: int) -> Claim:
        """Claim an update for handling."""
        now = self.clock()
        self._expire(now)
        entry = self._entries.get(update_id)
        if entry is not None:
            return "busy" if entry[0] == "new" else "done"
        self._entries[update_id] = ("new", now + self.keep_seconds)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return "new"

    async def finish(self, update_id: int) -> None:
        """Remember the update as handled."""
        self._entries[update_id] = ("done", self.clock() + self.keep_seconds)

    async def abandon(self, update_id: int) -> None:
        """Forget the claim so that the redelivery is handled."""
        self._entries.pop(update_id, None)

    def _expire(self, now: float) -> None:
        while self._entries:
            oldest = next(iter(self._entries))
            if self._entries[oldest][1] > now:
                break
            del self._entries[oldest]


class WebhookServer:
    """The aiohttp app Telegram posts updates to, plus ``GET /healthz``."""

    def __init__(
        self,
        bot: Bot,
        dp: Dispatcher,
        *,
        secret: str,
        path: str,
        drain_seconds: float,
        seen: SeenUpdates | None = None,
    ) -> None:
        self.bot = bot
        self.dp = dp
        self.path = path
        self.drain_seconds = drain_seconds
        self.seen: SeenUpdates = seen or MemorySeenUpdates()
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.handled = 0

    def app(self) -> web.Application:
        """The web application."""
        app = web.Application()
        app.router.add_post(self.path, self.receive)
        app.router.add_get("/healthz", self.health)
        return app

    @property
    def local_url(self) -> str:
        """``http://host:port/path`` of the bound socket."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> None:
        """Listen on ``host:port`` (0 = a free port; see ``port``).

        ``reuse_port``: several worker processes listen on the same port (``SO_REUSEPORT``; the
        kernel spreads connections among them).
        """
        self._runner = web.AppRunner(
            self.app(),
            access_log=None,
            handler_cancellation=False,  # a caller that gives up must not cancel our work
            shutdown_timeout=self.drain_seconds,
        )
        await self._runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            await self._runner.cleanup()
            raise
        self.host = host
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting requests; in-flight ones get up to ``drain_seconds`` to finish."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self, _request: web.Request) -> web.Response:
        """Liveness for load balancers and orchestrators (which worker answered: ``pid``)."""
        return web.json_response({"status": "ok", "handled": self.handled, "pid": os.getpid()})

    async def _claim(self, update_id: int) -> web.Response | None:
        """None when this update is ours to handle, else the answer (done, busy, no store)."""
        try:
            claim = await self.seen.begin(update_id)
        except Exception as exc:  # the shared store is unreachable: Telegram delivers it again
            log.error(
                "update %s not claimed, asking for redelivery: %s", update_id, type(exc).__name__
            )
            return web.json_response({"ok": False}, status=500)
        if claim == "done":
            return web.json_response({})
        if claim == "busy":
            return web.json_response({"ok": False}, status=503, headers={"Retry-After": "1"})
        return None

    async def receive(self, request: web.Request) -> web.Response:
        """One update: check the secret, skip repeats, process, then answer."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.json_response({"ok": False}, status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (ValueError, ValidationError):
            return web.json_response({"ok": False}, status=400)
        refused = await self._claim(update.update_id)
        if refused is not None:
            return refused
        try:
            await process(self.bot, self.dp, update)
        except Exception as exc:  # answer non-2xx so that Telegram delivers the update again
            with contextlib.suppress(Exception):  # an unreachable store lets the claim expire
                await self.seen.abandon(update.update_id)
            log.error(
                "update %s failed, asking for redelivery: %s at %s",
                update.update_id,
                type(exc).__name__,
                describe_traceback(exc),
            )
            return web.json_response({"ok": False}, status=500)
        try:
            await self.seen.finish(update.update_id)
        except Exception as exc:  # handled all the same; a repeat waits for the claim to expire
            log.warning(
                "update %s handled, not marked done: %s", update.update_id, type(exc).__name__
            )
        self.handled += 1
        return web.json_response({})


Companion = Callable[[AppSettings], AbstractAsyncContextManager[None]]
"""Something that runs beside the bot (the notifications engine), given the bot's settings."""


@asynccontextmanager
async def no_companion(_settings: AppSettings) -> AsyncIterator[None]:
    """Nothing runs beside the bot."""
    yield


async def serve(
    core: JournalCore,
    settings: AppSettings,
    *,
    mode: Mode,
    shutdown: Shutdown,
    bot: Bot | None = None,
    seen: SeenUpdates | None = None,
    ready: Callable[[str], None] | None = None,
    worker: int | None = None,
) -> None:
    """Run the bot until ``shutdown`` is requested; closes the bot session (not the core).

    ``ready`` is called with "polling" or the webhook URL once updates can flow. With
    ``[redis] url`` the process's one Redis client holds the shared state (closed on the way
    out) and the process's heartbeat (``bot.presence``: ``worker`` is its number under
    ``run --workers N``); ``seen`` overrides the update ids' store of the webhook.
    """
    bot = bot or build_bot(settings)
    catalogs = load_catalogs()
    redis = connect(settings.redis.url) if settings.redis.enabled else None
    shared = in_redis(settings, redis) if redis is not None else in_process(settings)
    dp = build_dispatcher(core, settings, catalogs=catalogs, shared=shared)
    if seen is None and redis is not None:
        seen = RedisSeenUpdates(redis, settings.redis.key_prefix, bot_id=bot.id)
    beating: Heartbeat | None = None
    try:
        if redis is not None:  # unreachable at start: fail now rather than on every update
            await redis.ping()  # type: ignore[misc]
        await set_default_commands(bot, catalogs)
        if redis is not None:
            beating = Heartbeat(redis, settings.redis.key_prefix, mode=mode, worker=worker)
            await beating.start()
        if mode == "polling":
            await bot.delete_webhook(drop_pending_updates=False)
            poller = Poller(bot, dp, drain_seconds=settings.bot.drain_seconds)
            log.info("bot %s: polling for updates", bot.id)
            if ready is not None:
                ready("polling")
            await poller.run(shutdown)
        else:
            await _serve_webhook(
                bot, dp, settings, shutdown=shutdown, seen=seen, ready=ready, redis=redis
            )
    finally:
        try:  # routers stop their own background work (a broadcast's status watchers)
            await dp.emit_shutdown(bot=bot)
        except Exception:
            log.exception("bot %s: a shutdown hook failed", bot.id)
        await bot.session.close()
        if beating is not None:  # a clean stop leaves the list of live processes at once
            await beating.stop()
        if redis is not None:
            await redis.aclose()
        log.info("bot %s: stopped", bot.id)


async def _serve_webhook(
    bot: Bot,
    dp: Dispatcher,
    settings: AppSettings,
    *,
    shutdown: Shutdown,
    seen: SeenUpdates | None,
    ready: Callable[[str], None] | None,
    redis: Redis | None = None,
) -> None:
    config = settings.bot
    secret = config.webhook_secret.get_secret_value() if config.webhook_secret else ""
    server = WebhookServer(
        bot,
        dp,
        secret=secret,
        path=config.webhook_path,
        drain_seconds=config.drain_seconds,
        seen=seen,
    )
    await server.start(config.listen_host, config.listen_port, reuse_port=config.workers > 1)
    try:
        url = config.webhook_url or server.local_url
        allowed = dp.resolve_used_update_types()
        await register_webhook(
            bot, url, secret, allowed, redis=redis, prefix=settings.redis.key_prefix
        )
        log.info("bot %s: webhook listening on %s", bot.id, server.local_url)
        if ready is not None:
            ready(url)
        await shutdown.stop.wait()
    finally:
        # The webhook stays registered: Telegram keeps updates while we restart.
        await server.stop()


async def register_webhook(
    bot: Bot,
    url: str,
    secret: str,
    allowed: list[str],
    *,
    redis: Redis | None,
    prefix: str,
) -> bool:
    """``setWebhook``, unless workers sharing ``redis`` already registered this very webhook.

    Every ``setWebhook`` makes Telegram abandon deliveries in flight, so a worker that starts
    beside running ones must not repeat it. Telegram does not tell the secret back: the workers
    keep a keyed digest of URL, secret and update types in Redis and compare it together with
    ``getWebhookInfo``'s URL and update types; workers starting together take turns (a Redis
    lock), so only the first registers. One process (no Redis) always registers.
    Returns whether it called ``setWebhook``.
    """
    if redis is None:
        await bot.set_webhook(
            url, secret_token=secret, allowed_updates=allowed, drop_pending_updates=False
        )
        return True
    wanted = "\n".join([url, secret, ",".join(sorted(allowed))])
    digest = hmac.new(bot.token.encode(), wanted.encode(), hashlib.sha256).hexdigest()
    key = f"{prefix}:webhook:{bot.id}"
    async with redis.lock(f"{key}:lock", timeout=60, blocking_timeout=60):
        info = await bot.get_webhook_info()
        same = info.url == url and set(info.allowed_updates or ()) == set(allowed)
        if same and await redis.get(key) == digest.encode():
            log.info("bot %s: webhook already registered by a worker", bot.id)
            return False
        await bot.set_webhook(
            url, secret_token=secret, allowed_updates=allowed, drop_pending_updates=False
        )
        await redis.set(key, digest)
    return True
