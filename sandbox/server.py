"""Assembling and running the sandbox: the aiohttp app, a start/stop server and a test helper.

Owns wiring (state, Bot API, simulation API, webhook delivery, static page) and binding to
loopback only. ``running_sandbox`` is the entry point for tests and benchmarks.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from sandbox.botapi import BotApi
from sandbox.client import SandboxClient
from sandbox.simapi import SimApi
from sandbox.simulate import Simulator
from sandbox.state import MB, SandboxConfig, SandboxState
from sandbox.static import static_routes
from sandbox.webhook import WebhookDeliverer

STATE_KEY = web.AppKey("sandbox_state", SandboxState)
SIMULATOR_KEY = web.AppKey("sandbox_simulator", Simulator)


def build_app(config: SandboxConfig) -> web.Application:
    """Build the aiohttp application for one bot token."""
    state = SandboxState(config)
    simulator = Simulator(state)
    deliverer = WebhookDeliverer(state)
    bot_api = BotApi(state, deliverer)
    sim_api = SimApi(state, simulator, on_reset=deliverer.reconfigure)
    app = web.Application(
        client_max_size=config.max_upload_bytes + MB,
        middlewares=[sim_api.errors_middleware],
    )
    app[STATE_KEY] = state
    app[SIMULATOR_KEY] = simulator
    app.router.add_route("*", "/bot{token}/{method}", bot_api.handle)
    app.router.add_get("/file/bot{token}/{path:.+}", bot_api.handle_file)
    app.add_routes(sim_api.routes())
    app.add_routes(static_routes())

    async def webhook_delivery(_: web.Application) -> AsyncGenerator[None, None]:
        await deliverer.start()
        yield
        await deliverer.stop()

    app.cleanup_ctx.append(webhook_delivery)
    return app


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        msg = f"the sandbox binds to loopback addresses only, not {host!r}"
        raise ValueError(msg)


class SandboxServer:
    """A sandbox listening on a loopback port; ``start`` then ``stop``."""

    def __init__(
        self, config: SandboxConfig | None = None, *, shutdown_timeout: float = 0.5
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = "127.0.0.1"
        self.port = 0
        self._shutdown_timeout = shutdown_timeout
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve; ``port=0`` picks a free port (see ``port`` afterwards).

        Raises:
            ValueError: When ``host`` is not a loopback address.
        """
        _check_loopback(host)
        self._app = build_app(self.config)
        self._runner = web.AppRunner(
            self._app,
            handler_cancellation=True,
            access_log=None,
            shutdown_timeout=self._shutdown_timeout,
        )
        await self._runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            site = web.SockSite(self._runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await self._runner.cleanup()
            raise
        self.host = host
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def app(self) -> web.Application:
        """The running application."""
        if self._app is None:
            msg = "the sandbox is not started"
            raise RuntimeError(msg)
        return self._app

    @property
    def state(self) -> SandboxState:
        """The live state, for direct assertions."""
        return self.app[STATE_KEY]

    @property
    def simulator(self) -> Simulator:
        """Virtual-user actions without HTTP."""
        return self.app[SIMULATOR_KEY]

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the sandbox (the simulation API lives under ``/sim``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class RunningSandbox:
    """What ``running_sandbox`` yields: URLs, the state and a simulation client."""

    def __init__(self, server: SandboxServer, client: SandboxClient) -> None:
        self.server = server
        self.client = client

    @property
    def token(self) -> str:
        """The bot token the sandbox accepts."""
        return self.server.config.token

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.server.base_url

    @property
    def api_url(self) -> str:
        """Base for bots: aiogram ``TelegramAPIServer.from_base(api_url)``."""
        return self.server.base_url

    @property
    def bot_api_base(self) -> str:
        """``<api_url>/bot<token>``: append ``/<method>``."""
        return f"{self.server.base_url}/bot{self.token}"

    @property
    def state(self) -> SandboxState:
        """The live state."""
        return self.server.state

    @property
    def sim(self) -> Simulator:
        """Virtual-user actions without HTTP."""
        return self.server.simulator

    @property
    def config(self) -> SandboxConfig:
        """The configuration (runtime fields may be changed directly)."""
        return self.server.config


@asynccontextmanager
async def running_sandbox(
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    config: SandboxConfig | None = None,
    personas: list[dict[str, Any]] | None = None,
) -> AsyncIterator[RunningSandbox]:
    """Run a sandbox in this event loop for the duration of the block.

    Args:
        token: Bot token to accept (default: ``SandboxConfig().token``).
        host: Loopback address to bind.
        port: Port, 0 for a free one.
        config: Full configuration; ``token`` and ``personas`` override its fields.
        personas: Persona dicts served at ``/sim/personas``.

    Yields:
        The running sandbox with ``base_url``, ``api_url``, ``state``, ``sim`` and ``client``.
    """
    config = config or SandboxConfig()
    if token is not None:
        config.token = token
    if personas is not None:
        config.personas = personas
    server = SandboxServer(config)
    await server.start(host, port)
    try:
        async with SandboxClient(server.base_url) as client:
            yield RunningSandbox(server, client)
    finally:
        await server.stop()
