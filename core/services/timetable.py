"""Personal timetables: a pupil's (for the pupil, their parents and staff) or a teacher's week.

The semester timetable (timetable_slots of the term containing each day) with the published
daily changes applied and marked; drafts never show. The school's weekdays decide Mon–Fri or
Mon–Sat, ``week_in_cycle`` decides week A or B, and times come from the default bell schedule.
Days off and days outside every term show no lessons. A cancelled or moved-away lesson stays
listed (marked); a lesson moved in and an extra lesson appear; a teacher's week shows the lessons
they substitute and their own lessons someone else substitutes (marked, with who).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_school
from core.domain.calendar import BellPeriod, BellSchedule
from core.domain.timetable import TermRef
from core.errors import InvalidInput, NotFound
from core.ports import GroupDetails, SlotRow, UnitOfWork
from core.services.guards import audit_staff_read, pupil_scope
from core.services.timetable_changes import ChangeView, Lesson, change_views, lessons_on

_WEEK = 7
EntryChange = Literal["substituted", "cancelled", "room", "moved_away", "moved_here", "extra"]


@dataclass(frozen=True, slots=True)
class TimetableEntry:
    """One lesson of a day, after the published changes.

    ``teachers`` and ``room`` are who and where after the change; ``change`` marks it:
    ``substituted`` (``original_teachers`` the timetable's), ``cancelled``, ``room``
    (``original_room`` the timetable's), ``moved_away`` (to ``moved_to``: date and period),
    ``moved_here`` (from ``moved_from``), ``extra``. ``original_room`` is set whenever the room
    differs from the timetable's.
    """

    period: int
    starts_at: time | None
    ends_at: time | None
    subject: str
    group_name: str
    teachers: tuple[str, ...]
    room: str | None
    week: int | None
    change: EntryChange | None = None
    original_teachers: tuple[str, ...] = ()
    original_room: str | None = None
    moved_to: tuple[date, int] | None = None
    moved_from: tuple[date, int] | None = None
    note: str | None = None


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
        week = await read_week(
            uow,
            school_id=school_id,
            person_id=person_id,
            week_of=week_of,
            pupil_id=pupil_id,
            teacher_id=teacher_id,
        )
        await uow.commit()
        return week


async def read_week(
    uow: UnitOfWork,
    *,
    school_id: int,
    person_id: int,
    week_of: date | None,
    pupil_id: int | None = None,
    teacher_id: int | None = None,
) -> WeekTimetable:
    """The week of a pupil or teacher, read inside the caller's open unit of work.

    No access check: the caller has authorized the read (``week_timetable`` for a viewer, the
    calendar feed for its token's owner).

    Raises:
        NotFound: ``person.not_found`` when the person does not exist.
    """
    if week_of is None:
        school = await uow.directory.school(school_id)
        zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
        week_of = uow.clock.now().astimezone(zone).date()
    monday = week_of - timedelta(days=week_of.weekday())
    groups = (
        None
        if pupil_id is None
        else await uow.timetable.pupil_groups(pupil_id, monday, monday + timedelta(days=_WEEK - 1))
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
        week = _Week(
            views=await _week_changes(uow, school_id, monday, groups, teacher_id),
            bells=bells,
            teacher_id=teacher_id,
        )
        cache: dict[int, tuple[Sequence[SlotRow], dict[int, GroupDetails]]] = {}
        for weekday in sorted(calendar.school_weekdays):
            day = monday + timedelta(days=weekday)
            term = _term_of(terms, day)
            off = calendar.day_off_for(day)
            entries: tuple[TimetableEntry, ...] = ()
            if term is not None and off is None and calendar.is_school_day(day):
                if term.id not in cache:
                    rows = await uow.changes.slot_rows(
                        term_id=term.id, group_ids=groups, teacher_id=teacher_id
                    )
                    details = await uow.changes.group_details(group_ids={r.group_id for r in rows})
                    cache[term.id] = (rows, {g.id: g for g in details})
                rows, by_id = cache[term.id]
                lessons = [
                    lesson
                    for lesson in lessons_on(rows, by_id, calendar, day)
                    if teacher_id is None or teacher_id in lesson.teacher_ids
                ]
                entries = week.entries(day, lessons)
            days.append(TimetableDay(day, entries, off.name if off else None, term is not None))
    if person is None:
        raise NotFound("person.not_found")
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


async def _week_changes(
    uow: UnitOfWork,
    school_id: int,
    monday: date,
    groups: Collection[int] | None,
    teacher_id: int | None,
) -> list[ChangeView]:
    """The week's published changes (and lessons moved into it) that concern the person."""
    rows = await uow.changes.changes(
        school_id, monday, monday + timedelta(days=_WEEK - 1), published_only=True
    )
    if groups is not None:
        rows = [c for c in rows if c.group_id in groups]
    views = await change_views(uow, rows)
    if teacher_id is None:
        return views
    return [v for v in views if teacher_id in (*v.teacher_ids, *v.original_teacher_ids)]


@dataclass(frozen=True, slots=True)
class _Week:
    """Builds a day's entries from its lessons and the week's published changes."""

    views: Sequence[ChangeView]
    bells: BellSchedule | None
    teacher_id: int | None

    def entries(self, day: date, lessons: Sequence[Lesson]) -> tuple[TimetableEntry, ...]:
        """The day's lessons (each with its change), then lessons the changes bring in."""
        of_lesson = {
            v.slot_id: v for v in self.views if v.on == day and v.kind != "extra" and v.slot_id
        }
        shown = {lesson.key for lesson in lessons}
        entries = [self._lesson(lesson, of_lesson.get(lesson.key)) for lesson in lessons]
        for view in self.views:
            target = view.new_date or view.on
            if view.kind == "extra" and view.on == day:
                entries.append(self._brought(view, view.period, "extra"))
            elif view.kind == "move" and target == day and view.new_period is not None:
                entries.append(self._brought(view, view.new_period, "moved_here"))
            elif (
                view.kind == "substitution"
                and view.on == day
                and self.teacher_id is not None
                and view.slot_id not in shown
            ):
                entries.append(self._brought(view, view.period, "substituted"))
        return tuple(sorted(entries, key=lambda e: (e.period, e.group_name, e.change or "")))

    def _bell(self, period: int) -> BellPeriod | None:
        return self.bells.period(period) if self.bells else None

    def _lesson(self, lesson: Lesson, view: ChangeView | None) -> TimetableEntry:
        bell = self._bell(lesson.period)
        entry = TimetableEntry(
            period=lesson.period,
            starts_at=bell.starts_at if bell else None,
            ends_at=bell.ends_at if bell else None,
            subject=lesson.group.subject_name or lesson.group.name,
            group_name=lesson.group.name,
            teachers=lesson.teacher_names,
            room=lesson.room,
            week=lesson.week,
        )
        if view is None:
            return entry
        moved = view.room if view.room != lesson.room else None
        if view.kind == "substitution":
            return replace(
                entry,
                change="substituted",
                teachers=view.teacher_names,
                original_teachers=lesson.teacher_names,
                room=view.room,
                original_room=lesson.room if moved else None,
                note=view.note,
            )
        if view.kind == "room":
            return replace(
                entry, change="room", room=view.room, original_room=lesson.room, note=view.note
            )
        if view.kind == "cancel":
            return replace(entry, change="cancelled", note=view.note)
        target = (view.new_date or view.on, view.new_period or lesson.period)
        return replace(entry, change="moved_away", moved_to=target, note=view.note)

    def _brought(self, view: ChangeView, period: int, change: EntryChange) -> TimetableEntry:
        bell = self._bell(period)
        return TimetableEntry(
            period=period,
            starts_at=bell.starts_at if bell else None,
            ends_at=bell.ends_at if bell else None,
            subject=view.subject_name or view.group_name,
            group_name=view.group_name,
            teachers=view.teacher_names,
            room=view.room,
            week=None,
            change=change,
            original_teachers=view.original_teacher_names if change == "substituted" else (),
            original_room=(
                view.original_room
                if change != "extra" and view.room != view.original_room
                else None
            ),
            moved_from=(view.on, view.period) if change == "moved_here" else None,
            note=view.note,
        )
