"""SQL behind the semester timetable: terms, subjects, teaching groups and slots. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import delete, exists, insert, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.calendar import BellPeriod, BellSchedule, DayOff, SchoolCalendar, Term
from core.domain.timetable import GroupShape, SlotData, StaffRef, SubjectRef, TermRef
from core.storage import tables as t
from core.storage.static_reads import static_reads


class SqlTimetable:
    """Implements core.ports.TimetableRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def terms(self, school_year_id: int) -> Sequence[TermRef]:
        """The semesters of a school year, in order (cached: see ``static_reads``)."""
        cache = static_reads(self._s)
        key = ("terms", school_year_id)
        found: tuple[TermRef, ...] | None = cache.get(key) if cache else None
        if found is not None:
            return found
        version = cache.version if cache else 0
        rows = await self._s.execute(
            select(t.Term.id, t.Term.number, t.Term.starts_on, t.Term.ends_on)
            .where(t.Term.school_year_id == school_year_id)
            .order_by(t.Term.number)
        )
        terms = tuple(
            TermRef(term_id, school_year_id, number, starts_on, ends_on)
            for term_id, number, starts_on, ends_on in rows
        )
        return cache.put(key, terms, version) if cache else terms

    async def calendar(self, school_year_id: int) -> SchoolCalendar:
        """A school year's calendar: terms, days off, school weekdays and week cycle.

        Cached (see ``static_reads``): every hot read needs it and the rows change only when
        a year is set up or purged.
        """
        cache = static_reads(self._s)
        key = ("calendar", school_year_id)
        found: SchoolCalendar | None = cache.get(key) if cache else None
        if found is not None:
            return found
        version = cache.version if cache else 0
        calendar = await self._calendar(school_year_id)
        return cache.put(key, calendar, version) if cache else calendar

    async def _calendar(self, school_year_id: int) -> SchoolCalendar:
        year = await self._s.get_one(t.SchoolYear, school_year_id)
        terms = await self.terms(school_year_id)
        days_off = await self._s.scalars(
            select(t.DayOff).where(t.DayOff.school_year_id == school_year_id).order_by(t.DayOff.id)
        )
        return SchoolCalendar(
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            terms=tuple(Term(r.number, r.starts_on, r.ends_on) for r in terms),
            days_off=tuple(
                DayOff(
                    d.starts_on,
                    d.ends_on,
                    d.name,
                    frozenset(int(g) for g in d.grades.split(",") if g.strip())
                    if d.grades
                    else None,
                )
                for d in days_off
            ),
            school_weekdays=frozenset(
                int(day) for day in year.school_weekdays.split(",") if day.strip()
            ),
            cycle_weeks=year.cycle_weeks,
        )

    async def default_bells(self, school_id: int) -> BellSchedule | None:
        """The school's default bell schedule, if any (cached: see ``static_reads``)."""
        cache = static_reads(self._s)
        key = ("bells", school_id)
        found: tuple[BellSchedule | None] | None = cache.get(key) if cache else None
        if found is not None:
            return found[0]
        version = cache.version if cache else 0
        bells = await self._default_bells(school_id)
        return (cache.put(key, (bells,), version) if cache else (bells,))[0]

    async def _default_bells(self, school_id: int) -> BellSchedule | None:
        schedule = await self._s.scalar(
            select(t.BellSchedule)
            .where(t.BellSchedule.school_id == school_id, t.BellSchedule.is_default.is_(True))
            .order_by(t.BellSchedule.id)
            .limit(1)
        )
        if schedule is None:
            return None
        periods = await self._s.scalars(
            select(t.BellPeriod)
            .where(t.BellPeriod.bell_schedule_id == schedule.id)
            .order_by(t.BellPeriod.number)
        )
        return BellSchedule(
            schedule.name, tuple(BellPeriod(p.number, p.starts_at, p.ends_at) for p in periods)
        )

    async def subjects(self, school_id: int) -> Sequence[SubjectRef]:
        """The school's subjects."""
        rows = await self._s.scalars(
            select(t.Subject).where(t.Subject.school_id == school_id).order_by(t.Subject.id)
        )
        return [SubjectRef(r.id, r.short_name, r.name) for r in rows]

    async def add_subject(self, school_id: int, short_name: str, name: str) -> int:
        """Create a subject; its id."""
        row = t.Subject(school_id=school_id, short_name=short_name, name=name)
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def staff(self, school_id: int) -> Sequence[StaffRef]:
        """Active staff of the school with their names and records-office keys."""
        ids = (
            select(t.StaffRole.person_id)
            .where(t.StaffRole.school_id == school_id, t.StaffRole.is_active.is_(True))
            .distinct()
        )
        people = list(
            await self._s.scalars(
                select(t.Person)
                .where(t.Person.id.in_(ids), t.Person.is_active.is_(True))
                .order_by(t.Person.id)
            )
        )
        keys: dict[int, list[str]] = defaultdict(list)
        rows = await self._s.execute(
            select(t.PersonKey.person_id, t.PersonKey.external_key)
            .where(t.PersonKey.school_id == school_id)
            .order_by(t.PersonKey.id)
        )
        for person_id, key in rows:
            keys[person_id].append(key)
        return [
            StaffRef(p.id, p.given_name, p.family_name, tuple(keys.get(p.id, ()))) for p in people
        ]

    async def groups(self, school_year_id: int) -> Sequence[GroupShape]:
        """Teaching groups of a school year with their classes and teachers."""
        groups = list(
            await self._s.scalars(
                select(t.TeachingGroup)
                .where(t.TeachingGroup.school_year_id == school_year_id)
                .order_by(t.TeachingGroup.id)
            )
        )
        ids = [g.id for g in groups]
        classes: dict[int, set[int]] = defaultdict(set)
        teachers: dict[int, set[int]] = defaultdict(set)
        if ids:
            for group_id, class_id in await self._s.execute(
                select(t.GroupClass.group_id, t.GroupClass.class_id).where(
                    t.GroupClass.group_id.in_(ids)
                )
            ):
                classes[group_id].add(class_id)
            for group_id, teacher_id in await self._s.execute(
                select(t.GroupTeacher.group_id, t.GroupTeacher.teacher_id).where(
                    t.GroupTeacher.group_id.in_(ids)
                )
            ):
                teachers[group_id].add(teacher_id)
        return [
            GroupShape(
                g.id,
                g.subject_id,
                g.name,
                g.kind,
                g.grade,
                frozenset(classes.get(g.id, ())),
                frozenset(teachers.get(g.id, ())),
            )
            for g in groups
        ]

    async def add_group(
        self,
        *,
        school_id: int,
        school_year_id: int,
        subject_id: int,
        name: str,
        kind: str,
        grade: int,
        class_ids: Collection[int],
    ) -> int:
        """Create a teaching group drawing from these classes; its id."""
        row = t.TeachingGroup(
            school_id=school_id,
            school_year_id=school_year_id,
            subject_id=subject_id,
            name=name,
            kind=kind,
            grade=grade,
        )
        self._s.add(row)
        await self._s.flush()
        for class_id in sorted(class_ids):
            self._s.add(t.GroupClass(group_id=row.id, class_id=class_id))
        await self._s.flush()
        return row.id

    async def add_group_teachers(self, group_id: int, teacher_ids: Collection[int]) -> None:
        """Add teachers to a group."""
        for teacher_id in sorted(teacher_ids):
            self._s.add(t.GroupTeacher(group_id=group_id, teacher_id=teacher_id))
        await self._s.flush()

    async def add_group_members(
        self, group_id: int, pupil_ids: Collection[int], starts_on: date
    ) -> None:
        """Add pupils to a group from a date."""
        for pupil_id in sorted(pupil_ids):
            self._s.add(t.GroupMember(group_id=group_id, pupil_id=pupil_id, starts_on=starts_on))
        await self._s.flush()

    async def group_members(self, group_id: int) -> frozenset[int]:
        """Pupils ever added to a group."""
        rows = await self._s.scalars(
            select(t.GroupMember.pupil_id).where(t.GroupMember.group_id == group_id)
        )
        return frozenset(rows)

    async def slots(self, term_id: int) -> Sequence[SlotData]:
        """A term's weekly slots."""
        rows = await self._s.scalars(
            select(t.TimetableSlot).where(t.TimetableSlot.term_id == term_id)
        )
        return [
            SlotData(r.weekday, r.period, r.group_id, r.teacher_id, r.room, r.week) for r in rows
        ]

    async def replace_slots(
        self, *, school_id: int, term_id: int, slots: Collection[SlotData]
    ) -> None:
        """Delete a term's slots and store these instead."""
        await self._s.execute(delete(t.TimetableSlot).where(t.TimetableSlot.term_id == term_id))
        if slots:
            await self._s.execute(
                insert(t.TimetableSlot),
                [
                    {
                        "school_id": school_id,
                        "term_id": term_id,
                        "weekday": s.weekday,
                        "period": s.period,
                        "group_id": s.group_id,
                        "teacher_id": s.teacher_id,
                        "room": s.room,
                        "week": s.week,
                    }
                    for s in sorted(slots, key=SlotData.sort_key)
                ],
            )

    async def pupil_groups(self, pupil_id: int, start: date, end: date) -> frozenset[int]:
        """Groups whose timetable a pupil follows between two dates (members, open parts).

        One statement; "open" parts (no members listed yet) are found with a correlated NOT
        EXISTS on the group's members, not NOT IN over every member of every school.
        """
        member = select(t.GroupMember.group_id).where(
            t.GroupMember.pupil_id == pupil_id,
            t.GroupMember.starts_on <= end,
            or_(t.GroupMember.ends_on.is_(None), t.GroupMember.ends_on >= start),
        )
        classes = select(t.Enrolment.class_id).where(
            t.Enrolment.pupil_id == pupil_id,
            t.Enrolment.starts_on <= end,
            or_(t.Enrolment.ends_on.is_(None), t.Enrolment.ends_on >= start),
        )
        open_parts = (
            select(t.TeachingGroup.id)
            .join(t.GroupClass, t.GroupClass.group_id == t.TeachingGroup.id)
            .where(
                t.TeachingGroup.kind == "part",
                t.GroupClass.class_id.in_(classes),
                ~exists().where(t.GroupMember.group_id == t.TeachingGroup.id),
            )
        )
        return frozenset(await self._s.scalars(union(member, open_parts)))
