"""The migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from core.bootstrap import Core
from core.storage import database
from core.storage.tables import Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(core: Core) -> None:
    assert await database.current_revision(core.engine) is not None
    async with core.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_downgrade_to_base_and_upgrade_again(core: Core) -> None:
    await database.downgrade(core.engine, "base")
    assert await database.current_revision(core.engine) is None
    async with core.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables <= {"alembic_version"}
    await database.upgrade(core.engine)
    async with core.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(core: Core) -> None:
    if core.engine.dialect.name != "sqlite":
        return
    async with core.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
