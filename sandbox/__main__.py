"""Command line: ``python -m sandbox --port 8081 --token 123:abc --personas personas.json``.

Owns argument parsing and running one sandbox until interrupted; logs, never prints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from pathlib import Path

from sandbox.server import SandboxServer
from sandbox.state import SandboxConfig

logger = logging.getLogger("sandbox")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command-line arguments."""
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Local stand-in for the Telegram Bot API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    parser.add_argument("--token", default=defaults.token, help="the bot token to accept")
    parser.add_argument("--bot-username", default=defaults.bot_username)
    parser.add_argument("--bot-name", default=defaults.bot_first_name)
    parser.add_argument(
        "--personas", type=Path, help="JSON file with a list of persona dicts for the demo page"
    )
    parser.add_argument(
        "--callback-timeout",
        type=float,
        default=defaults.callback_answer_timeout,
        help="seconds after which answerCallbackQuery is too late",
    )
    parser.add_argument(
        "--webhook-timeout",
        type=float,
        default=defaults.webhook_timeout,
        help="seconds to wait for a webhook answer before redelivering",
    )
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Build the configuration from parsed arguments."""
    personas = []
    if args.personas is not None:
        personas = json.loads(args.personas.read_text(encoding="utf-8"))
        if not isinstance(personas, list):
            msg = "the personas file must hold a JSON list"
            raise SystemExit(msg)
    return SandboxConfig(
        token=args.token,
        bot_username=args.bot_username,
        bot_first_name=args.bot_name,
        personas=personas,
        callback_answer_timeout=args.callback_timeout,
        webhook_timeout=args.webhook_timeout,
    )


async def serve(config: SandboxConfig, host: str, port: int) -> None:
    """Run until SIGINT or SIGTERM."""
    server = SandboxServer(config)
    await server.start(host, port)
    logger.info("sandbox listening on %s (token %s)", server.base_url, config.token)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m sandbox``."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(serve(config_from_args(args), args.host, args.port))
    except ValueError as exc:  # a non-loopback --host
        raise SystemExit(str(exc)) from exc


if __name__ == "__main__":
    main()
