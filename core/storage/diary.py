"""SQL behind a pupil's diary and homework list: lessons held with their names, homework files.

A fixed handful of queries per call, never one per lesson. Never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.teacher_day import FileInfo
from core.ports import DiaryLessonRow, HomeworkFileRow
from core.storage import tables as t
from core.storage.journal import lesson_record


class SqlDiary:
    """Implements core.ports.DiaryRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def lessons(
        self,
        *,
        group_ids: Collection[int],
        lesson_ids: Collection[int],
        start: date,
        end: date,
    ) -> Sequence[DiaryLessonRow]:
        """Lessons held between two dates in these groups, and these lessons; by date, period."""
        if not group_ids and not lesson_ids:
            return []
        wanted = []
        if group_ids:
            wanted.append(t.Lesson.group_id.in_(sorted(group_ids)))
        if lesson_ids:
            wanted.append(t.Lesson.id.in_(sorted(lesson_ids)))
        query = _named().where(t.Lesson.on_date >= start, t.Lesson.on_date <= end, or_(*wanted))
        return await self._rows(query)

    async def homework_due(
        self, *, group_ids: Collection[int], start: date, end: date, purpose: str
    ) -> Sequence[DiaryLessonRow]:
        """Lessons of these groups whose homework (text or files of ``purpose``) is due then."""
        if not group_ids:
            return []
        files = exists().where(
            t.LessonFile.lesson_id == t.Lesson.id, t.LessonFile.purpose == purpose
        )
        query = _named().where(
            t.Lesson.group_id.in_(sorted(group_ids)),
            t.Lesson.homework_due_on >= start,
            t.Lesson.homework_due_on <= end,
            or_(and_(t.Lesson.homework.is_not(None), t.Lesson.homework != ""), files),
        )
        return await self._rows(query)

    async def lesson_files(
        self, lesson_ids: Collection[int], *, purpose: str
    ) -> Mapping[int, tuple[FileInfo, ...]]:
        """Lesson id → its files of ``purpose`` (no bytes), oldest first."""
        if not lesson_ids:
            return {}
        rows = await self._s.execute(
            select(
                t.LessonFile.lesson_id,
                t.StoredFile.id,
                t.StoredFile.filename,
                t.StoredFile.mime_type,
                t.StoredFile.size,
            )
            .join(t.StoredFile, t.StoredFile.id == t.LessonFile.file_id)
            .where(t.LessonFile.lesson_id.in_(sorted(lesson_ids)), t.LessonFile.purpose == purpose)
            .order_by(t.LessonFile.lesson_id, t.LessonFile.id)
        )
        found: dict[int, list[FileInfo]] = defaultdict(list)
        for lesson_id, file_id, name, mime, size in rows:
            found[int(lesson_id)].append(FileInfo(int(file_id), name, mime, int(size)))
        return {lesson_id: tuple(files) for lesson_id, files in found.items()}

    async def homework_file(self, file_id: int, *, purpose: str) -> HomeworkFileRow | None:
        """A file with its bytes and the lessons it is attached to for ``purpose``; else None."""
        links = list(
            await self._s.execute(
                select(t.Lesson.group_id, t.Lesson.on_date)
                .join(t.LessonFile, t.LessonFile.lesson_id == t.Lesson.id)
                .where(t.LessonFile.file_id == file_id, t.LessonFile.purpose == purpose)
                .order_by(t.Lesson.on_date, t.Lesson.id)
            )
        )
        if not links:
            return None
        row = await self._s.get(t.StoredFile, file_id)
        if row is None:  # pragma: no cover - the link's foreign key keeps the file
            return None
        return HomeworkFileRow(
            FileInfo(row.id, row.filename, row.mime_type, row.size, bytes(row.content)),
            tuple((int(group_id), on) for group_id, on in links),
        )

    async def _rows(self, query: Select[t.Lesson, str, str, str, str]) -> list[DiaryLessonRow]:
        rows = await self._s.execute(
            query.order_by(t.Lesson.on_date, t.Lesson.period, t.Lesson.id)
        )
        return [
            DiaryLessonRow(
                lesson=lesson_record(lesson),
                group_name=group_name,
                subject_name=subject_name,
                teacher_name=f"{given} {family}" if given is not None else None,
            )
            for lesson, group_name, subject_name, given, family in rows
        ]


def _named() -> Select[t.Lesson, str, str, str, str]:
    """Lessons with their group's and subject's names and the teacher who taught them."""
    return (
        select(
            t.Lesson,
            t.TeachingGroup.name,
            t.Subject.name,
            t.Person.given_name,
            t.Person.family_name,
        )
        .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
        .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
        .outerjoin(t.Person, t.Person.id == t.Lesson.teacher_id)
    )
