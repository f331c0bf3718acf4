"""A scratch database for a benchmark run: a temporary SQLite file or a new PostgreSQL database.

Shared by the benchmark scripts (they run as ``python bench/<name>.py``, so this module is
imported by its plain name).
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import make_url
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import create_async_engine


@contextlib.asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    """A fresh database: a temporary SQLite file, or a new PostgreSQL database next to ``url``.

    The PostgreSQL database is dropped afterwards (``WITH (FORCE)``: the bot under test may
    still hold connections when a run fails).
    """
    if url is None or make_url(url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as folder:
            yield url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        return
    admin_url = make_url(url)
    name = f"ejournal_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sql(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
