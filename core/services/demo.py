"""Demo personas: pick one person per role in the demo school and link them to chat users."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.domain.access import Viewer
from core.errors import NotAllowed, NotFound
from core.ports import UnitOfWork

PERSONA_ORDER = (
    "parent_of_two",
    "pupil",
    "subject_teacher",
    "class_teacher",
    "superuser",
    "director",
)


@dataclass(frozen=True, slots=True)
class Persona:
    """Someone a visitor of the demo can be."""

    role: str  # one of PERSONA_ORDER
    person_id: int
    given_name: str
    family_name: str
    school_id: int
    school_name: str
    class_name: str | None = None  # the pupil persona's class


async def demo_personas(uow: UnitOfWork, viewer: Viewer, *, school_code: str) -> Sequence[Persona]:
    """One persona per role from a demo school, in a fixed order (console only)."""
    if not viewer.operator:
        raise NotAllowed("demo.console_only")
    async with uow:
        school = await uow.directory.school_by_code(school_code)
        if school is None:
            raise NotFound("school.not_found", code=school_code)
        people = await uow.directory.sample_people(school.id)
        personas = []
        for role in PERSONA_ORDER:
            if role not in people:
                continue
            person = await uow.directory.person(people[role])
            if person is None:
                continue
            class_name = None
            if role == "pupil":
                summaries = await uow.directory.pupil_summaries([person.id])
                class_name = summaries[0].class_name if summaries else None
            personas.append(
                Persona(
                    role,
                    person.id,
                    person.given_name,
                    person.family_name,
                    school.id,
                    school.name,
                    class_name,
                )
            )
        return personas
