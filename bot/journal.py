"""Owns what the bot needs from the journal core: the ``JournalCore`` shape and children's names.

The bot never imports ``core.bootstrap`` or storage: the composition root hands the core in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from core.clock import Clock
from core.domain.access import Viewer
from core.domain.records import PupilSummary
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.directory import linked_pupils


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

    def identity_version(self) -> int:
        """Moves whenever this process writes accounts, people, roles, classes or enrolments."""
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
    class_name: str | None = None

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"

    @property
    def label(self) -> str:
        """The name with the class, e.g. "Jānis Bērziņš (5.a)", for buttons."""
        return f"{self.full_name} ({self.class_name})" if self.class_name else self.full_name


class ChildDirectory(Protocol):
    """Names of the viewer's own children (ids come from the viewer, never from the update)."""

    async def children(self, viewer: Viewer) -> tuple[Child, ...]:
        """The viewer's children, ordered by given name."""
        ...


def children_of(viewer: Viewer, pupils: Iterable[PupilSummary]) -> tuple[Child, ...]:
    """The viewer's children among pupils a service returned (never the viewer themselves)."""
    return tuple(
        Child(p.pupil_id, p.given_name, p.family_name, p.class_name)
        for p in pupils
        if p.pupil_id in viewer.children
    )


class CoreChildDirectory:
    """The viewer's children from core's ``linked_pupils`` service."""

    def __init__(self, core: JournalCore) -> None:
        self._core = core

    async def children(self, viewer: Viewer) -> tuple[Child, ...]:
        """The viewer's children (not the viewer themselves), ordered by given name."""
        if not viewer.children:
            return ()
        return children_of(viewer, await linked_pupils(self._core.uow(), viewer))
