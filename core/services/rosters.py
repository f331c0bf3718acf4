"""Who is in a class or a school now: shared reads behind invitations and the connection report.

Helpers for services that already hold an open unit of work; they authorize what they return.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_class, manages_school
from core.domain.records import ClassRecord, EnrolledPupil, GuardianLink, SchoolRecord
from core.errors import NotFound
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class ClassScope:
    """A class the viewer may manage, with its school and the school's date today."""

    school: SchoolRecord
    klass: ClassRecord
    today: date


def school_today(uow: UnitOfWork, school: SchoolRecord) -> date:
    """Today's date in the school's time zone."""
    return uow.clock.now().astimezone(ZoneInfo(school.time_zone)).date()


async def current_classes(
    uow: UnitOfWork, school: SchoolRecord, today: date
) -> tuple[ClassRecord, ...]:
    """The classes of the school year running today (or the latest one), by grade and name."""
    year = await uow.directory.school_year_on(school.id, today)
    if year is None:
        return ()
    classes = await uow.people.classes(year.id)
    return tuple(sorted(classes.values(), key=lambda c: (c.grade, c.name)))


async def managed_class(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    class_id: int | None = None,
    school_id: int | None = None,
    class_name: str | None = None,
) -> ClassScope:
    """A class by id, or by name in the school's current year, if the viewer may manage it.

    Managers of the school and the class's class teacher may; for anyone else the class reads
    as "not found".
    """
    school: SchoolRecord | None = None
    klass: ClassRecord | None = None
    if class_id is not None:
        klass = await uow.roster.class_record(class_id)
        school = await uow.directory.school(klass.school_id) if klass else None
    elif school_id is not None and class_name is not None:
        school = await uow.directory.school(school_id)
        if school is not None:
            today = school_today(uow, school)
            wanted = class_name.strip().casefold()
            klass = next(
                (
                    c
                    for c in await current_classes(uow, school, today)
                    if c.name.casefold() == wanted
                ),
                None,
            )
    if school is None or klass is None or not manages_class(viewer, school.id, klass.id):
        raise NotFound("class.not_found", name=class_name or "")
    return ClassScope(school, klass, school_today(uow, school))


async def viewer_classes(uow: UnitOfWork, viewer: Viewer) -> tuple[ClassScope, ...]:
    """Every current class the viewer manages: all of a managed school's, a class teacher's own."""
    found: list[ClassScope] = []
    for school_id in sorted(viewer.schools):
        school = await uow.directory.school(school_id)
        if school is None:
            continue
        today = school_today(uow, school)
        manager = manages_school(viewer, school_id)
        found += [
            ClassScope(school, klass, today)
            for klass in await current_classes(uow, school, today)
            if manager or manages_class(viewer, school_id, klass.id)
        ]
    return tuple(found)


async def managed_schools(uow: UnitOfWork, viewer: Viewer) -> tuple[SchoolRecord, ...]:
    """The schools the viewer manages (the console operator: every school it may manage)."""
    candidates = (
        [s.id for s in await uow.directory.schools()] if viewer.operator else viewer.schools
    )
    schools = []
    for school_id in sorted(candidates):
        school = await uow.directory.school(school_id)
        if school is not None and manages_school(viewer, school_id):
            schools.append(school)
    return tuple(schools)


async def class_members(
    uow: UnitOfWork, class_ids: Collection[int], today: date
) -> tuple[Sequence[EnrolledPupil], Sequence[GuardianLink]]:
    """Pupils enrolled in the classes now and their guardians with full rights (not carers)."""
    pupils = await uow.roster.enrolled(class_ids, today)
    links = await uow.roster.guardians_of({p.person.id for p in pupils})
    return pupils, [link for link in links if not link.read_only]
