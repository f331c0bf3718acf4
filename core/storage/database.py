"""Engines and migrations: SQLite (WAL, foreign keys on) by default, PostgreSQL via asyncpg."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = "core.storage:migrations"


def database_url(url: str, password: str | None = None) -> URL:
    """The URL to connect with; a separately configured password is filled in here only."""
    parsed = make_url(url)
    if password:
        parsed = parsed.set(password=password)
    return parsed


def is_sqlite(url: URL | str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: URL | str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """An async engine; for SQLite the file's folder is created and the pragmas are set."""
    parsed = make_url(url)
    # A database error's text carries the statement's parameters (names, phone numbers) unless
    # hidden; a logged traceback must not. Only `echo` (local debugging) shows them.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": not echo}
    if is_sqlite(parsed):
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    engine = create_async_engine(parsed, **kwargs)
    if is_sqlite(parsed):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


# The table a data-changing statement writes to (ORM flushes, Core DML and text() alike).
_WRITE = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)"?',
    re.IGNORECASE,
)


def written_table(statement: str) -> str | None:
    """The table (lower case) a data-changing SQL statement writes to; None for anything else."""
    found = _WRITE.match(statement)
    return found.group(1).lower() if found is not None else None


class TableWrites:
    """A version that moves whenever this process writes to one of ``tables``.

    Process-wide caches of data read from those tables keep the version they were loaded at and
    treat a different one as stale. The version moves when a writing statement is sent, and
    again when the transaction that sent it ends, so that nothing read between the statement
    and the end is kept as current. Two rules for that end, by what the cache reads:

    - caches read in other transactions (the bot's identities): the unit of work moves the
      version after its commit (``SqlUnitOfWork.commit``), when the write is visible to others;
    - caches that may be filled inside the writing transaction (``static_reads``: perhaps its
      own uncommitted rows): ``end_of_transaction=True`` moves it on the connection's commit
      or rollback as well.

    Writes from other processes are not seen: caches also expire. ``ignore`` lists statement
    beginnings that do not change what the caches hold.
    """

    def __init__(self, tables: Iterable[str], *, ignore: Iterable[str] = ()) -> None:
        self.tables = frozenset(name.lower() for name in tables)
        self.ignore = tuple(ignore)
        self.version = 0

    def bump(self) -> None:
        """Mark every cached read of the tables stale."""
        self.version += 1

    def saw(self, statement: str) -> bool:
        """Bump when ``statement`` writes to a watched table; whether it did."""
        if written_table(statement) in self.tables and not statement.lstrip().startswith(
            self.ignore
        ):
            self.version += 1
            return True
        return False


def watch_writes(
    engine: AsyncEngine | Engine,
    tables: Iterable[str],
    *,
    ignore: Iterable[str] = (),
    end_of_transaction: bool = False,
) -> TableWrites:
    """Count this engine's writes to ``tables`` (every statement it sends is looked at)."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    writes = TableWrites(tables, ignore=ignore)
    dirty = f"ejournal.writes.{id(writes)}"  # on the connection: its transaction wrote

    def before(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if writes.saw(statement) and end_of_transaction:
            conn.info[dirty] = True

    def ended(conn: Connection) -> None:
        if conn.info.pop(dirty, False):
            writes.bump()

    def reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        # A connection back in the pool ends its transaction without a Connection event.
        if record.info.pop(dirty, False):
            writes.bump()

    event.listen(sync_engine, "before_cursor_execute", before)
    if end_of_transaction:
        event.listen(sync_engine, "commit", ended)
        event.listen(sync_engine, "rollback", ended)
        event.listen(sync_engine.pool, "reset", reset)
    return writes


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (nothing is lazily reloaded)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def alembic_config() -> Config:
    """Alembic configuration without an ini file: migrations ship inside the package."""
    # Alembic (with Mako and Pygments, ~11 MB) loads only when a schema is migrated or checked.
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def _run(connection: Connection, revision: str, *, down: bool) -> None:
    from alembic import command  # noqa: PLC0415 (Alembic loads only to migrate)

    config = alembic_config()
    config.attributes["connection"] = connection
    if down:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, revision, down=False)


async def downgrade(engine: AsyncEngine, revision: str = "-1") -> None:
    """Step the schema down to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, revision, down=True)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema's revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 (only used here)

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_read)
