"""Personal timetables: a pupil's (for the pupil, their parents and staff) or a teacher's week.

The regular semester timetable only (timetable_slots of the term containing each day); the
school's weekdays decide Mon–Fri or Mon–Sat, ``week_in_cycle`` decides week A or B, and times
come from the default bell schedule. Days off and days outside every term show no lessons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_school
from core.domain.calendar import BellPeriod
from core.domain.timetable import SlotView, TermRef
from core.errors import InvalidInput, NotFound
from core.ports import UnitOfWork
from core.services.guards import audit_staff_read, pupil_scope

_WEEK = 7


@dataclass(frozen=True, slots=True)
class TimetableEntry:
    """One lesson of a day."""

    period: int
    starts_at: time | None
    ends_at: time | None
    subject: str
    group_name: str
    teachers: tuple[str, ...]
    room: str | None
    week: int | None


@dataclass(frozen=True, slots=True)
class TimetableDay:
    """A school weekday of the week; ``day_off`` names a holiday, ``in_term`` is False outside."""

    on: date
    entries: tuple[TimetableEntry, ...]
    day_off: str | None
    in_term: bool


@dataclass(frozen=True, slots=True)
class WeekTimetable:
    """Whose week it is, which week (A = 0, B = 1, None without a cycle) and its days."""

    person_id: int
    person_name: str
    is_teacher: bool
    monday: date
    cycle_week: int | None
    days: tuple[TimetableDay, ...]

    @property
    def previous_monday(self) -> date:
        """The Monday of the week before."""
        return self.monday - timedelta(days=_WEEK)

    @property
    def next_monday(self) -> date:
        """The Monday of the week after."""
        return self.monday + timedelta(days=_WEEK)


async def week_timetable(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    week_of: date | None = None,
    pupil_id: int | None = None,
    teacher_id: int | None = None,
) -> WeekTimetable:
    """The week containing ``week_of`` (default: today in the school's zone) of a pupil or teacher.

    A pupil's week is for the pupil, their parents and carers and staff who may read the pupil
    (the policy); a teacher's week is for the teacher and the managers of their school.

    Raises:
        NotFound: ``pupil.not_found`` / ``person.not_found`` when the viewer may not see it.
        InvalidInput: ``timetable.whose`` unless exactly one of the two ids is given.
    """
    if (pupil_id is None) == (teacher_id is None):
        raise InvalidInput("timetable.whose")
    async with uow:
        school_id, person_id = await _whose(uow, viewer, pupil_id, teacher_id)
        if week_of is None:
            school = await uow.directory.school(school_id)
            zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
            week_of = uow.clock.now().astimezone(zone).date()
        monday = week_of - timedelta(days=week_of.weekday())
        groups = (
            None
            if pupil_id is None
            else await uow.timetable.pupil_groups(
                pupil_id, monday, monday + timedelta(days=_WEEK - 1)
            )
        )
        person = await uow.directory.person(person_id)
        year = await uow.directory.school_year_on(school_id, week_of)
        days: list[TimetableDay] = []
        cycle_week: int | None = None
        if year is not None and person is not None:
            calendar = await uow.timetable.calendar(year.id)
            terms = await uow.timetable.terms(year.id)
            bells = await uow.timetable.default_bells(school_id)
            cycle_week = calendar.week_in_cycle(monday) if calendar.cycle_weeks > 1 else None
            cache: dict[int, list[SlotView]] = {}
            for weekday in sorted(calendar.school_weekdays):
                day = monday + timedelta(days=weekday)
                term = _term_of(terms, day)
                off = calendar.day_off_for(day)
                entries: tuple[TimetableEntry, ...] = ()
                if term is not None and off is None and calendar.is_school_day(day):
                    if term.id not in cache:
                        cache[term.id] = list(
                            await uow.timetable.week_slots(
                                term.id, group_ids=groups, teacher_id=teacher_id
                            )
                        )
                    week = calendar.week_in_cycle(day)
                    entries = tuple(
                        _entry(slot, bells.period(slot.period) if bells else None)
                        for slot in cache[term.id]
                        if slot.weekday == weekday and slot.week in (None, week)
                    )
                days.append(
                    TimetableDay(day, entries, off.name if off else None, term is not None)
                )
        if person is None:
            raise NotFound("person.not_found")
        await uow.commit()
        return WeekTimetable(
            person_id=person_id,
            person_name=person.full_name,
            is_teacher=teacher_id is not None,
            monday=monday,
            cycle_week=cycle_week,
            days=tuple(days),
        )


async def _whose(
    uow: UnitOfWork,
    viewer: Viewer,
    pupil_id: int | None,
    teacher_id: int | None,
) -> tuple[int, int]:
    """(school, person) once the viewer may see the pupil's or the teacher's week."""
    if pupil_id is None:
        if teacher_id is None:
            raise InvalidInput("timetable.whose")
        return await _teacher_school(uow, viewer, teacher_id), teacher_id
    facts = await pupil_scope(uow, viewer, pupil_id)
    if not facts.school_ids:
        raise NotFound("pupil.not_found")
    audit_staff_read(uow, viewer, facts, "timetable")
    return min(facts.school_ids), pupil_id


async def _teacher_school(uow: UnitOfWork, viewer: Viewer, teacher_id: int) -> int:
    """The school of a teacher's timetable the viewer may see: their own, or one they manage."""
    for school_id in sorted(await uow.roster.person_schools(teacher_id)):
        if not await uow.people.staff_roles(school_id, teacher_id):
            continue
        if (viewer.active and viewer.person_id == teacher_id) or manages_school(viewer, school_id):
            return school_id
    raise NotFound("person.not_found")


def _term_of(terms: Sequence[TermRef], day: date) -> TermRef | None:
    for term in terms:
        if term.starts_on <= day <= term.ends_on:
            return term
    return None


def _entry(slot: SlotView, bell: BellPeriod | None) -> TimetableEntry:
    return TimetableEntry(
        period=slot.period,
        starts_at=bell.starts_at if bell else None,
        ends_at=bell.ends_at if bell else None,
        subject=slot.subject_name or slot.group_name,
        group_name=slot.group_name,
        teachers=slot.teacher_names,
        room=slot.room,
        week=slot.week,
    )
