"""Owns what the bot needs from the journal core: the ``JournalCore`` shape and children's names.

The bot never imports ``core.bootstrap`` or storage: the composition root hands the core in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.clock import Clock
from core.domain.access import Viewer
from core.i18n import Catalogs
from core.ports import UnitOfWork


class JournalCore(Protocol):
    """The journal core of the process: units of work, the clock and the core catalogs."""

    @property
    def clock(self) -> Clock:
        """The process clock (a FakeClock in tests)."""
        ...

    @property
    def catalogs(self) -> Catalogs:
        """Core message catalogs."""
        ...

    def uow(self) -> UnitOfWork:
        """A fresh, single-use unit of work."""
        ...

    async def close(self) -> None:
        """Release the database."""
        ...


@dataclass(frozen=True, slots=True)
class Child:
    """A guardian's child as the menus name it."""

    pupil_id: int
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"


class ChildDirectory(Protocol):
    """Names of the viewer's own children (ids come from the viewer, never from the update)."""

    async def children(self, viewer: Viewer) -> tuple[Child, ...]:
        """The viewer's children, ordered by given name."""
        ...


class PortChildDirectory:
    """STOPGAP until core offers a service for a guardian's children (see docs/bot.md).

    Reads only people whose ids are already in ``viewer.children`` (computed by core from the
    guardianships), through the unit-of-work port: it cannot widen what the viewer may see.
    """

    def __init__(self, core: JournalCore) -> None:
        self._core = core

    async def children(self, viewer: Viewer) -> tuple[Child, ...]:
        """The viewer's children, ordered by given name."""
        if not viewer.children:
            return ()
        found: list[Child] = []
        async with self._core.uow() as uow:
            for pupil_id in sorted(viewer.children):
                person = await uow.directory.person(pupil_id)
                if person is not None:
                    found.append(Child(person.id, person.given_name, person.family_name))
        found.sort(key=lambda child: (child.given_name.casefold(), child.pupil_id))
        return tuple(found)
