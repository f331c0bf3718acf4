"""Who is asking and whom they follow: a person's Viewer, and the pupils they may open."""

from __future__ import annotations

from collections.abc import Iterable

from core.domain.access import Viewer
from core.domain.collation import latvian_key
from core.domain.records import PupilSummary
from core.errors import NotFound
from core.ports import UnitOfWork


async def resolve_viewer(uow: UnitOfWork, person_id: int) -> Viewer:
    """The viewer for a person (front ends call this once per update)."""
    async with uow:
        viewer = await uow.directory.viewer(person_id)
        if viewer is None:
            raise NotFound("person.not_found")
        return viewer


async def linked_pupils(uow: UnitOfWork, viewer: Viewer) -> tuple[PupilSummary, ...]:
    """The viewer's children and, for a pupil, the pupil: by given name, with their classes.

    Only ids the viewer already holds (computed by core from guardianships and enrolments) are
    looked up, so the answer can never name somebody else's child.
    """
    if not viewer.active:
        return ()
    own = set(viewer.children)
    if viewer.is_pupil and viewer.person_id is not None:
        own.add(viewer.person_id)
    async with uow:
        found = await uow.directory.pupil_summaries(own)
    return sort_pupils(found)


def sort_pupils(pupils: Iterable[PupilSummary]) -> tuple[PupilSummary, ...]:
    """Pupils in Latvian alphabetical order of given name, then family name."""
    return tuple(
        sorted(
            pupils,
            key=lambda p: (latvian_key(p.given_name), latvian_key(p.family_name), p.pupil_id),
        )
    )
