"""Owns serving personal calendar feeds (``GET /calendar/{token}.ics``) and ``[calendar]``.

A small aiohttp server that ``ejournal run`` and ``ejournal demo`` start beside the bot. Each
request is one ``render_feed`` call; an unknown, malformed or revoked token is a bare 404 (the
same answer for all, with no detail). The token is a secret in the path: the server writes no
access log, never logs a path, and while it runs every log line of the process is scrubbed of
``/calendar/….ics`` paths as a last line of defence.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from pydantic import Field, field_validator

from bot.errors import describe_traceback
from bot.journal import JournalCore
from core.config import Section
from core.errors import NotFound
from core.services.calendar_feed import render_feed

log = logging.getLogger("ejournal.calendar")

FEED_ROUTE = "/calendar/{name}"
SUFFIX = ".ics"
_LISTEN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})")
_FEED_PATH = re.compile(r"/calendar/[^\s/\"'?#]+")
HEADERS = {
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Disposition": 'inline; filename="timetable.ics"',
}


class CalendarSettings(Section):
    """``[calendar]``: where the feed server listens and the public address links are built on."""

    enabled: bool = Field(default=True, description="Serve calendar feeds and offer /calendar")
    listen: str = Field(
        default="127.0.0.1:8082", description="host:port of the feed server (port 0: any free)"
    )
    public_url: str = Field(
        default="",
        description="Public base URL of the feeds, e.g. https://journal.example.lv; "
        "empty = http://<listen>",
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        value = value.strip()
        match = _LISTEN.fullmatch(value)
        if match is None or int(match["port"]) > 65535:
            raise ValueError("must be host:port, e.g. 127.0.0.1:8082 or [::1]:8082")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and (
            not value.startswith(("http://", "https://")) or any(c in value for c in "?# ")
        ):
            raise ValueError("must be an http:// or https:// URL without ? or # (or empty)")
        return value

    @property
    def host(self) -> str:
        """The host to bind (IPv6 without brackets)."""
        match = _LISTEN.fullmatch(self.listen)
        if match is None:  # pragma: no cover - validated
            raise ValueError(self.listen)
        return match["host"].strip("[]")

    @property
    def port(self) -> int:
        """The port to bind (0: any free port)."""
        match = _LISTEN.fullmatch(self.listen)
        if match is None:  # pragma: no cover - validated
            raise ValueError(self.listen)
        return int(match["port"])

    def feed_base(self) -> str:
        """The base that links are built on: ``public_url``, else ``http://<listen>``."""
        return self.public_url or f"http://{self.listen}"

    def served_at(self, local_base: str) -> CalendarSettings:
        """These settings with ``public_url`` set to the running server when none is configured."""
        if self.public_url:
            return self
        return self.model_copy(update={"public_url": local_base})


def feed_url(base: str, token: str) -> str:
    """The subscription URL of a token: ``<base>/calendar/<token>.ics``."""
    return f"{base}/calendar/{token}{SUFFIX}"


class FeedPathRedactor(logging.Filter):
    """Masks ``/calendar/<token>.ics`` paths in log records (a token must never reach a log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        message = record.getMessage()
        if "/calendar/" in message:
            record.msg = _FEED_PATH.sub("/calendar/***", message)
            record.args = None
        return True


def redact_feed_paths() -> Callable[[], None]:
    """Add the redactor to every root handler; returns an undo."""
    redactor = FeedPathRedactor()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(redactor)

    def undo() -> None:
        for handler in handlers:
            handler.removeFilter(redactor)

    return undo


class CalendarListenError(OSError):
    """The feed server cannot listen on ``address`` (in use, not allowed, not available)."""

    def __init__(self, address: str, error: OSError) -> None:
        super().__init__(error.errno, error.strerror or type(error).__name__)
        self.address = address


class CalendarServer:
    """The aiohttp app that serves feeds by token."""

    def __init__(self, core: JournalCore) -> None:
        self.core = core
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    def app(self) -> web.Application:
        """The web application (GET and HEAD of ``/calendar/{token}.ics``)."""
        app = web.Application()
        app.router.add_get(FEED_ROUTE, self.feed)
        return app

    @property
    def local_base(self) -> str:
        """``http://host:port`` of the bound socket."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def feed(self, request: web.Request) -> web.Response:
        """One feed: the iCalendar text, or a bare 404."""
        name = request.match_info["name"]
        if not name.endswith(SUFFIX):
            return _not_found()
        try:
            body = await render_feed(self.core.uow(), token=name[: -len(SUFFIX)])
        except NotFound:
            return _not_found()
        except Exception as exc:  # never the path or the message: they can carry the token
            log.error(
                "calendar feed failed: %s at %s", type(exc).__name__, describe_traceback(exc)
            )
            return web.Response(status=500, text="Internal error")
        return web.Response(
            body=body, content_type="text/calendar", charset="utf-8", headers=HEADERS
        )

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> None:
        """Listen on ``host:port`` (0: a free port; see ``port``).

        ``reuse_port``: several worker processes listen on the same address (SO_REUSEPORT).
        """
        self._runner = web.AppRunner(self.app(), access_log=None)
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
            self._runner = None
            raise
        self.host = host
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found")


@asynccontextmanager
async def calendar_beside(
    core: JournalCore, settings: CalendarSettings, *, reuse_port: bool = False
) -> AsyncIterator[CalendarServer | None]:
    """Serve feeds while the bot runs (None when ``[calendar] enabled`` is false).

    ``reuse_port``: every worker of ``ejournal run --workers N`` serves on the same address.

    Raises:
        CalendarListenError: the address cannot be bound (in use, not allowed, not available).
    """
    if not settings.enabled:
        yield None
        return
    server = CalendarServer(core)
    undo = redact_feed_paths()
    try:
        try:
            await server.start(settings.host, settings.port, reuse_port=reuse_port)
        except OSError as exc:
            raise CalendarListenError(settings.listen, exc) from exc
        log.info("calendar feeds: listening on %s", server.local_base)
        yield server
    finally:
        await server.stop()
        undo()
