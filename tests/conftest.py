"""Shared fixtures: a clean database per test on SQLite and, when configured, on PostgreSQL.

Set ``EJOURNAL_TEST_DATABASE_URL=postgresql+asyncpg://user@host/db`` to run every database test
on PostgreSQL too: a scratch database is created next to the named one for the session.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

import bot  # noqa: F401 - first: aiogram's models built when used, as in production (core/lazy_models.py)
from core.bootstrap import Core, build_core
from core.clock import FakeClock
from core.config import CoreSettings, DatabaseSettings
from core.storage.database import create_engine, upgrade
from core.storage.tables import Base

# The log scan (tests/logscan.py): no secret or personal data in anything the bot, e2e and
# notifications suites log.
pytest_plugins = ["tests.logscan"]

PG_ENV = "EJOURNAL_TEST_DATABASE_URL"
# Redis for the scale-out tests (shared FSM, isolation, de-duplication, shared rate limits). When
# set, an unreachable server fails those tests (CI sets it); unset, they use the local default
# and are skipped only when nothing answers there.
REDIS_ENV = "EJOURNAL_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/15"
# A Friday in the first semester of 2026/2027, mid-morning in Riga.
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def backends() -> list[str]:
    """The database backends every db test runs on."""
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that touches the database once per backend."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(), scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a database carry the ``db`` marker."""
    for item in items:
        if "backend" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run session set-up in its own thread: it may be requested from inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the schema, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    _run(build())
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database with the schema, for this test session."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"ejournal_test_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(base)
    url = admin_url.set(database=name).render_as_string(hide_password=False)

    async def create() -> None:
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    async def drop() -> None:
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    _run(create())
    yield url
    _run(drop())


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A clean, migrated database for one test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "journal.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    yield url


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (a new SQLite file, or a new PostgreSQL database)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    base = os.environ.get(PG_ENV)
    assert base
    name = f"ejournal_empty_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(base)

    async def admin(sql: str) -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    _run(admin(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    _run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> FakeClock:
    """A frozen clock at NOW."""
    return FakeClock(NOW)


@pytest.fixture
async def core(database_url: str, clock: FakeClock) -> AsyncIterator[Core]:
    """The journal core on a clean database with a frozen clock."""
    settings = CoreSettings(database=DatabaseSettings(url=database_url))
    built = build_core(settings, clock)
    yield built
    await built.close()


@pytest.fixture
async def redis_url() -> str:
    """A reachable Redis (``EJOURNAL_TEST_REDIS_URL``, else the local default)."""
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    url = os.environ.get(REDIS_ENV) or REDIS_DEFAULT
    client = Redis.from_url(url)
    try:
        await client.ping()
    except (RedisConnectionError, OSError):
        if os.environ.get(REDIS_ENV):
            raise
        pytest.skip(f"no Redis at {url} ({REDIS_ENV} is not set)")
    finally:
        await client.aclose()
    return url


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    from redis.asyncio import Redis

    prefix = f"ejt{uuid.uuid4().hex[:12]}"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
