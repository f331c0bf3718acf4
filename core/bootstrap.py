"""build_core: the one place that wires settings, clock, engine and units of work together."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import Clock, SystemClock
from core.config import CoreSettings
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.storage.database import (
    create_engine,
    create_session_factory,
    database_url,
    watch_writes,
)
from core.storage.unit_of_work import SqlUnitOfWork

# What ``identify`` and the bot's children's names read: a write to any of these in this process
# makes cached identities stale (a deactivation, an unlink, a new role or class, a language).
IDENTITY_TABLES = (
    "accounts",
    "persons",
    "staff_roles",
    "guardianships",
    "classes",
    "enrolments",
    "school_years",
    "schools",
)
# identify's own "last seen" touch changes nothing an identity holds.
IDENTITY_WRITES_IGNORED = ("UPDATE accounts SET last_seen_at=",)


class Core:
    """The journal core of one process: hand ``uow()`` to services, ``close()`` at the end."""

    def __init__(
        self, *, settings: CoreSettings, clock: Clock, engine: AsyncEngine, catalogs: Catalogs
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = engine
        self.catalogs = catalogs
        self._sessions = create_session_factory(engine)
        self._identity_writes = watch_writes(
            engine, IDENTITY_TABLES, ignore=IDENTITY_WRITES_IGNORED
        )

    def uow(self) -> UnitOfWork:
        """A fresh, single-use unit of work."""
        return SqlUnitOfWork(self._sessions, self.clock, writes=self._identity_writes)

    def identity_version(self) -> int:
        """Moves whenever this process writes what an identity is made of (accounts, roles...).

        The bot caches identities (``bot.identities``) and drops those loaded at another version.
        """
        return self._identity_writes.version

    async def close(self) -> None:
        """Release database connections."""
        await self.engine.dispose()


def build_core(settings: CoreSettings, clock: Clock | None = None) -> Core:
    """Build the core from validated settings (nothing connects until first use)."""
    db = settings.database
    password = db.password.get_secret_value() if db.password else None
    engine = create_engine(database_url(db.url, password), echo=db.echo, pool_size=db.pool_size)
    return Core(
        settings=settings, clock=clock or SystemClock(), engine=engine, catalogs=Catalogs.load()
    )
