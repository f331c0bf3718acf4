"""build_core: the one place that wires settings, clock, engine and units of work together."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import Clock, SystemClock
from core.config import CoreSettings
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.storage.database import create_engine, create_session_factory, database_url
from core.storage.unit_of_work import SqlUnitOfWork


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

    def uow(self) -> UnitOfWork:
        """A fresh, single-use unit of work."""
        return SqlUnitOfWork(self._sessions, self.clock)

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
