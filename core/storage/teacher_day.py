"""SQL behind a teacher's day: slots and published changes of a date, lesson states, files.

Never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.records import PersonRecord
from core.domain.teacher_day import (
    ChangeKind,
    DayChange,
    FileInfo,
    GroupInfo,
    PlannedSlot,
    RecordedLesson,
)
from core.storage import tables as t
from core.storage.directory import person_record
from core.storage.journal import lesson_record

_TEACHING = ("teacher", "interest_teacher")
_ASSIGNED = ("substitution", "extra")


class SqlTeacherDay:
    """Implements core.ports.TeacherDayRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def slots_on(
        self, term_id: int, weekday: int, week: int, *, group_id: int | None = None
    ) -> Sequence[PlannedSlot]:
        """The term's slots of a weekday in that cycle week, one per (group, period)."""
        query = (
            select(t.TimetableSlot)
            .where(
                t.TimetableSlot.term_id == term_id,
                t.TimetableSlot.weekday == weekday,
                or_(t.TimetableSlot.week.is_(None), t.TimetableSlot.week == week),
            )
            .order_by(t.TimetableSlot.id)
        )
        if group_id is not None:
            query = query.where(t.TimetableSlot.group_id == group_id)
        teachers: dict[tuple[int, int], list[int]] = defaultdict(list)
        rooms: dict[tuple[int, int], str | None] = {}
        for slot in await self._s.scalars(query):
            key = (slot.group_id, slot.period)
            if slot.teacher_id is not None and slot.teacher_id not in teachers[key]:
                teachers[key].append(slot.teacher_id)
            rooms[key] = rooms.get(key) or slot.room
        return [
            PlannedSlot(group, period, tuple(teachers[(group, period)]), rooms[(group, period)])
            for group, period in rooms
        ]

    async def changes_between(
        self, school_id: int, start: date, end: date, *, group_id: int | None = None
    ) -> Sequence[DayChange]:
        """Published changes whose date, or whose move target date, lies in ``start..end``."""
        query = (
            select(t.TimetableChange)
            .where(
                t.TimetableChange.school_id == school_id,
                t.TimetableChange.status == "published",
                or_(
                    and_(t.TimetableChange.on_date >= start, t.TimetableChange.on_date <= end),
                    and_(t.TimetableChange.new_date >= start, t.TimetableChange.new_date <= end),
                ),
            )
            .order_by(t.TimetableChange.id)
        )
        if group_id is not None:
            query = query.where(t.TimetableChange.group_id == group_id)
        rows = list(await self._s.scalars(query))
        slot_ids = {row.slot_id for row in rows if row.slot_id is not None}
        base = await self._slot_bases(slot_ids)
        group_teachers = await self._group_teachers({row.group_id for row in rows})
        changes = []
        for row in rows:
            teachers, room = base.get(row.slot_id or 0, ((), None))
            if row.slot_id is None:
                teachers = tuple(sorted(group_teachers.get(row.group_id, ())))
            changes.append(
                DayChange(
                    id=row.id,
                    kind=cast("ChangeKind", row.kind),
                    on=row.on_date,
                    group_id=row.group_id,
                    period=row.period,
                    teacher_id=row.teacher_id,
                    room=row.room,
                    new_date=row.new_date,
                    new_period=row.new_period,
                    base_teacher_ids=teachers,
                    base_room=room,
                )
            )
        return changes

    async def _slot_bases(
        self, slot_ids: Collection[int]
    ) -> Mapping[int, tuple[tuple[int, ...], str | None]]:
        """Slot id → (teachers, room) of its lesson (every slot row of that group and period)."""
        if not slot_ids:
            return {}
        slots = list(
            await self._s.scalars(select(t.TimetableSlot).where(t.TimetableSlot.id.in_(slot_ids)))
        )
        # Every slot row of the changed slots' groups in their terms, in one statement (not one
        # per changed lesson), sorted into (term, weekday, period, group) lessons here.
        lessons: dict[tuple[int, int, int, int], list[t.TimetableSlot]] = defaultdict(list)
        if slots:
            for row in await self._s.scalars(
                select(t.TimetableSlot)
                .where(
                    t.TimetableSlot.term_id.in_(sorted({s.term_id for s in slots})),
                    t.TimetableSlot.group_id.in_(sorted({s.group_id for s in slots})),
                )
                .order_by(t.TimetableSlot.id)
            ):
                lessons[(row.term_id, row.weekday, row.period, row.group_id)].append(row)
        bases: dict[int, tuple[tuple[int, ...], str | None]] = {}
        for slot in slots:
            siblings = lessons[(slot.term_id, slot.weekday, slot.period, slot.group_id)]
            teachers: list[int] = []
            room = slot.room
            for sibling in siblings:
                if sibling.week not in (None, slot.week) and slot.week is not None:
                    continue
                if sibling.teacher_id is not None and sibling.teacher_id not in teachers:
                    teachers.append(sibling.teacher_id)
                room = room or sibling.room
            bases[slot.id] = (tuple(teachers), room)
        return bases

    async def _group_teachers(self, group_ids: Collection[int]) -> Mapping[int, frozenset[int]]:
        if not group_ids:
            return {}
        found: dict[int, set[int]] = defaultdict(set)
        rows = await self._s.execute(
            select(t.GroupTeacher.group_id, t.GroupTeacher.teacher_id).where(
                t.GroupTeacher.group_id.in_(group_ids)
            )
        )
        for group_id, teacher_id in rows:
            found[group_id].add(teacher_id)
        return {group_id: frozenset(ids) for group_id, ids in found.items()}

    async def groups(self, group_ids: Collection[int]) -> Mapping[int, GroupInfo]:
        """Teaching groups by id with subject, classes (by name) and teachers."""
        if not group_ids:
            return {}
        rows = list(
            await self._s.execute(
                select(t.TeachingGroup, t.Subject.name)
                .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
                .where(t.TeachingGroup.id.in_(group_ids))
            )
        )
        classes: dict[int, list[str]] = defaultdict(list)
        for group_id, name in await self._s.execute(
            select(t.GroupClass.group_id, t.ClassGroup.name)
            .join(t.ClassGroup, t.ClassGroup.id == t.GroupClass.class_id)
            .where(t.GroupClass.group_id.in_(group_ids))
            .order_by(t.ClassGroup.grade, t.ClassGroup.name)
        ):
            classes[group_id].append(name)
        teachers = await self._group_teachers(group_ids)
        return {
            group.id: GroupInfo(
                id=group.id,
                school_id=group.school_id,
                name=group.name,
                subject_name=subject,
                class_names=tuple(classes.get(group.id, ())),
                grade=group.grade,
                teacher_ids=teachers.get(group.id, frozenset()),
            )
            for group, subject in rows
        }

    async def recorded_lessons(
        self, group_ids: Collection[int], on: date
    ) -> Sequence[RecordedLesson]:
        """Lesson rows of these groups on a date, with attendance codes and file counts."""
        if not group_ids:
            return []
        file_count = (
            select(func.count())
            .where(t.LessonFile.lesson_id == t.Lesson.id)
            .correlate(t.Lesson)
            .scalar_subquery()
        )
        lessons = list(
            await self._s.execute(
                select(t.Lesson, file_count)
                .where(t.Lesson.group_id.in_(group_ids), t.Lesson.on_date == on)
                .order_by(t.Lesson.period, t.Lesson.group_id)
            )
        )
        ids = [lesson.id for lesson, _ in lessons]
        codes: dict[int, list[str]] = defaultdict(list)
        if ids:
            for lesson_id, code in await self._s.execute(
                select(t.Attendance.lesson_id, t.Attendance.code).where(
                    t.Attendance.lesson_id.in_(ids)
                )
            ):
                codes[lesson_id].append(code)
        return [
            RecordedLesson(
                lesson_record(lesson),
                tuple(sorted(codes.get(lesson.id, ()))),
                int(files or 0),
            )
            for lesson, files in lessons
        ]

    async def marks_on(self, group_ids: Collection[int], on: date) -> Mapping[int, int]:
        """Group id → marks recorded in the group's assessments of that date."""
        if not group_ids:
            return {}
        rows = await self._s.execute(
            select(t.Assessment.group_id, func.count(t.Mark.id))
            .join(t.Mark, t.Mark.assessment_id == t.Assessment.id)
            .where(t.Assessment.group_id.in_(group_ids), t.Assessment.on_date == on)
            .group_by(t.Assessment.group_id)
        )
        return {group_id: int(count) for group_id, count in rows}

    async def assigned(self, teacher_id: int, group_id: int, on: date, period: int) -> bool:
        """Whether a published substitution or extra lesson gives this lesson to the teacher."""
        found = await self._s.scalar(
            select(t.TimetableChange.id)
            .where(
                t.TimetableChange.status == "published",
                t.TimetableChange.kind.in_(_ASSIGNED),
                t.TimetableChange.teacher_id == teacher_id,
                t.TimetableChange.group_id == group_id,
                t.TimetableChange.on_date == on,
                t.TimetableChange.period == period,
            )
            .limit(1)
        )
        return found is not None

    async def set_lesson_teacher(
        self, lesson_id: int, teacher_id: int | None, *, is_substitution: bool, now: datetime
    ) -> None:
        """Record who taught the lesson and whether it was a substitution."""
        await self._s.execute(
            update(t.Lesson)
            .where(t.Lesson.id == lesson_id)
            .values(teacher_id=teacher_id, is_substitution=is_substitution, updated_at=now)
        )

    async def attach_file(self, lesson_id: int, file_id: int, purpose: str) -> None:
        """Attach a stored file to a lesson."""
        self._s.add(t.LessonFile(lesson_id=lesson_id, file_id=file_id, purpose=purpose))
        await self._s.flush()

    async def lesson_files(
        self, lesson_id: int, *, purpose: str, content: bool = False
    ) -> Sequence[FileInfo]:
        """Files attached to a lesson for a purpose, oldest first (bytes only if asked)."""
        where = (t.LessonFile.lesson_id == lesson_id, t.LessonFile.purpose == purpose)
        joined = (t.LessonFile, t.LessonFile.file_id == t.StoredFile.id)
        if content:
            rows = await self._s.scalars(
                select(t.StoredFile).join(*joined).where(*where).order_by(t.LessonFile.id)
            )
            return [FileInfo(r.id, r.filename, r.mime_type, r.size, r.content) for r in rows]
        found = await self._s.execute(
            select(
                t.StoredFile.id, t.StoredFile.filename, t.StoredFile.mime_type, t.StoredFile.size
            )
            .join(*joined)
            .where(*where)
            .order_by(t.LessonFile.id)
        )
        return [FileInfo(file_id, name, mime, size) for file_id, name, mime, size in found]

    async def teaching_staff(self, school_id: int) -> Sequence[PersonRecord]:
        """Active people holding a teaching role in a school."""
        rows = await self._s.scalars(
            select(t.Person)
            .where(
                t.Person.is_active.is_(True),
                t.Person.id.in_(
                    select(t.StaffRole.person_id).where(
                        t.StaffRole.school_id == school_id,
                        t.StaffRole.role.in_(_TEACHING),
                        t.StaffRole.is_active.is_(True),
                    )
                ),
            )
            .order_by(t.Person.id)
        )
        return [person_record(p) for p in rows]
