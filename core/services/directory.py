"""Who is asking: turn a person id into a Viewer with their roles, children and classes."""

from __future__ import annotations

from core.domain.access import Viewer
from core.errors import NotFound
from core.ports import UnitOfWork


async def resolve_viewer(uow: UnitOfWork, person_id: int) -> Viewer:
    """The viewer for a person (front ends call this once per update)."""
    async with uow:
        viewer = await uow.directory.viewer(person_id)
        if viewer is None:
            raise NotFound("person.not_found")
        return viewer
