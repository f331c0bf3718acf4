"""Schools and their years: set up a school with the Latvian calendar and bell schedules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain.access import Viewer
from core.domain.calendar import latvian_calendar, shortened_bells, standard_bells
from core.domain.policy import SchoolPolicy
from core.domain.records import AuditRecord, SchoolRecord
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.i18n import LANGUAGES
from core.ports import UnitOfWork
from core.services.guards import managed_school
from core.services.policies import normalized_settings, policy_from_settings

MAX_CODE = 32


def school_year_start(on: date) -> int:
    """The calendar year in which the school year containing ``on`` began (1 September)."""
    return on.year if on.month >= 9 else on.year - 1


async def create_school(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    code: str,
    name: str,
    time_zone: str = "Europe/Riga",
    locale: str = "lv",
) -> SchoolRecord:
    """The console operator registers a school with this school year's calendar and bells."""
    if not viewer.operator:
        raise NotAllowed("school.create_console_only")
    code, name = code.strip(), name.strip()
    if not code or len(code) > MAX_CODE or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("school.code_invalid", max=MAX_CODE)
    if not name or len(name) > 200:
        raise InvalidInput("school.name_invalid")
    if locale not in LANGUAGES:
        raise InvalidInput("school.locale_invalid", locale=locale)
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("school.time_zone_invalid", time_zone=time_zone) from exc
    async with uow:
        if await uow.directory.school_by_code(code) is not None:
            raise Conflict("school.code_taken", code=code)
        school = await uow.directory.add_school(
            code=code, name=name, time_zone=time_zone, locale=locale, now=uow.clock.now()
        )
        start_year = school_year_start(uow.clock.now().astimezone(zone).date())
        await uow.directory.add_school_year(
            school.id, f"{start_year}/{start_year + 1}", latvian_calendar(start_year)
        )
        await uow.directory.add_bell_schedule(school.id, standard_bells(), is_default=True)
        await uow.directory.add_bell_schedule(school.id, shortened_bells(), is_default=False)
        uow.audit(
            viewer,
            AuditRecord(
                action="school.create",
                entity="school",
                entity_id=school.id,
                school_id=school.id,
                after={"code": code, "name": name},
            ),
        )
        await uow.commit()
        return school


async def set_school_policy(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, settings: Mapping[str, Any]
) -> SchoolPolicy:
    """The school's managers set its assessment and attendance rules (validated first)."""
    stored = normalized_settings(settings)
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        before = dict(await uow.directory.school_policy(school.id))
        await uow.directory.set_school_policy(school.id, stored)
        uow.audit(
            viewer,
            AuditRecord(
                action="school.policy",
                entity="school",
                entity_id=school.id,
                school_id=school.id,
                before=before,
                after=stored,
            ),
        )
        await uow.commit()
    return policy_from_settings(stored)


async def school_policy_settings(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int
) -> Mapping[str, Any]:
    """A school's stored policy settings (empty: every default applies)."""
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        return dict(await uow.directory.school_policy(school.id))


async def find_school(uow: UnitOfWork, viewer: Viewer, *, code: str) -> SchoolRecord:
    """A school the viewer manages, by code."""
    async with uow:
        school = await uow.directory.school_by_code(code)
        if school is None:
            raise NotFound("school.not_found", code=code)
        await managed_school(uow, viewer, school.id)
        return school


async def list_schools(uow: UnitOfWork, viewer: Viewer) -> Sequence[SchoolRecord]:
    """Schools the console operator may manage."""
    if not viewer.operator:
        raise NotAllowed("school.list_console_only")
    async with uow:
        return await uow.directory.schools()


async def entity_counts(uow: UnitOfWork, viewer: Viewer) -> Mapping[str, int]:
    """How many schools, classes, pupils, marks... the deployment holds (console only)."""
    if not viewer.operator:
        raise NotAllowed("stats.console_only")
    async with uow:
        return dict(await uow.directory.counts())


async def seed_demo(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    seed: int = 1,
    schools: int = 1,
    classes_per_grade: int = 2,
    pupils_per_class: int | None = None,
    zone: ZoneInfo,
    today: date | None = None,
) -> Mapping[str, int]:
    """Create deterministic demo schools with the journal filled in up to ``today``."""
    if not viewer.operator:
        raise NotAllowed("demo.console_only")
    if not 1 <= schools <= 50 or not 1 <= classes_per_grade <= 26:
        raise InvalidInput("demo.size_invalid")
    if pupils_per_class is not None and not 1 <= pupils_per_class <= 40:
        raise InvalidInput("demo.size_invalid")
    async with uow:
        written = await uow.seed.demo(
            seed=seed,
            today=today or uow.clock.now().astimezone(zone).date(),
            schools=schools,
            classes_per_grade=classes_per_grade,
            pupils_per_class=pupils_per_class,
        )
        await uow.commit()
        return written
