"""The bot processes' heartbeat in Redis: there while ``serve()`` runs, gone after a clean stop."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.__main__ import EXTENSIONS, ProductSettings
from bot.presence import TTL_S, Heartbeat, live_processes, process_key
from bot.runtime import Mode, Shutdown, serve
from core.bootstrap import Core
from core.cli import Console, build_parser
from core.config import DatabaseSettings, RedisSettings
from sandbox.server import running_sandbox
from sandbox.state import SandboxConfig
from tests.e2e.running import TOKEN, bot_settings


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def status_text(core: Core, redis_url: str, prefix: str) -> str:
    settings = ProductSettings(
        database=DatabaseSettings(url=core.settings.database.url),
        redis=RedisSettings(url=redis_url, key_prefix=prefix),
    )
    args = build_parser(EXTENSIONS).parse_args(["--lang", "en", "status"])
    out = io.StringIO()
    console = Console(settings, "en", out)
    console._core = core
    await args.handler(console, args)
    return out.getvalue()


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_a_running_bot_reports_itself_and_leaves_when_stopped(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str, mode: Mode
) -> None:
    key = process_key(redis_prefix, socket.gethostname(), os.getpid())
    async with running_sandbox(config=SandboxConfig(token=TOKEN)) as sandbox:
        shared = RedisSettings(url=redis_url, key_prefix=redis_prefix)
        settings = bot_settings(sandbox, mode).model_copy(update={"redis": shared})
        shutdown, ready = Shutdown(), asyncio.Event()
        task = asyncio.create_task(
            serve(
                core, settings, mode=mode, shutdown=shutdown, ready=lambda _: ready.set(), worker=3
            )
        )
        try:
            async with asyncio.timeout(10):
                await ready.wait()
            record = json.loads(await redis.get(key))
            assert (record["pid"], record["worker"], record["mode"]) == (os.getpid(), 3, mode)
            assert record["host"] == socket.gethostname()
            assert 0 < await redis.ttl(key) <= TTL_S
            text = await status_text(core, redis_url, redis_prefix)
            assert f"worker 3 · pid {os.getpid()} · {socket.gethostname()} · {mode}" in text
        finally:
            shutdown.request()
            async with asyncio.timeout(15):
                await task
    assert await redis.exists(key) == 0
    assert "none has reported in the last 30 seconds" in await status_text(
        core, redis_url, redis_prefix
    )


async def test_each_beat_renews_the_record_s_lifetime(redis: Redis, redis_prefix: str) -> None:
    beat = Heartbeat(redis, redis_prefix, mode="polling", worker=None)
    assert await beat.beat() is True
    await redis.expire(beat.key, 2)  # as if the last beat were 28 seconds ago
    assert await redis.ttl(beat.key) <= 2
    assert await beat.beat() is True
    assert await redis.ttl(beat.key) > 2
    [record] = await live_processes(redis, redis_prefix)
    assert (record.worker, record.mode, record.pid) == (None, "polling", os.getpid())
    await beat.stop()
    assert await live_processes(redis, redis_prefix) == []


async def test_records_that_are_not_heartbeats_are_ignored(
    redis: Redis, redis_prefix: str
) -> None:
    await redis.set(f"{redis_prefix}:processes:elsewhere:1", "not json")
    await redis.set(f"{redis_prefix}:processes:elsewhere:2", json.dumps({"pid": 2}))
    beat = Heartbeat(redis, redis_prefix, mode="webhook", worker=1)
    await beat.beat()
    assert [r.worker for r in await live_processes(redis, redis_prefix)] == [1]
    await beat.stop()


async def test_a_heartbeat_without_redis_never_stops_the_bot() -> None:
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    beat = Heartbeat(down, "ejournal", mode="webhook", worker=1)
    try:
        assert await beat.beat() is False
        await beat.start()  # logs a warning, keeps trying at the next beat
        await beat.stop()
    finally:
        await down.aclose()
