"""SQL absence notes: the notes, their attachments, and the absences they cover. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.records import ClassRecord
from core.ports import AbsenceEntry, AbsenceNoteRecord, NoteFile
from core.storage import tables as t
from core.storage.invites import utc
from core.storage.people import class_record


def note_record(row: t.AbsenceNote) -> AbsenceNoteRecord:
    """ORM row → record."""
    return AbsenceNoteRecord(
        id=row.id,
        school_id=row.school_id,
        pupil_id=row.pupil_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        reason=row.reason,
        reason_text=row.reason_text,
        file_id=row.file_id,
        channel=row.channel,
        submitted_by=row.submitted_by,
        submitted_at=utc(row.submitted_at),
        status=row.status,
        decided_by=row.decided_by,
        decided_at=utc(row.decided_at) if row.decided_at else None,
        decision_reason=row.decision_reason,
    )


def _entries() -> Select[*tuple[Any, ...]]:
    """Attendance rows with their lesson, subject and the status of the note they belong to."""
    return (
        select(
            t.Attendance.id,
            t.Attendance.school_id,
            t.Attendance.pupil_id,
            t.Attendance.lesson_id,
            t.Attendance.on_date,
            t.Lesson.period,
            t.TeachingGroup.name,
            t.Subject.name,
            t.Attendance.code,
            t.Attendance.justification,
            t.Attendance.absence_note_id,
            t.AbsenceNote.status,
            t.Attendance.reason,
        )
        .join(t.Lesson, t.Lesson.id == t.Attendance.lesson_id)
        .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
        .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
        .outerjoin(t.AbsenceNote, t.AbsenceNote.id == t.Attendance.absence_note_id)
        .order_by(t.Attendance.on_date, t.Lesson.period, t.Attendance.pupil_id, t.Attendance.id)
    )


def _entry(row: Any) -> AbsenceEntry:
    (
        attendance_id,
        school_id,
        pupil_id,
        lesson_id,
        on_date,
        period,
        group_name,
        subject,
        code,
        justification,
        note_id,
        note_status,
        reason,
    ) = row
    return AbsenceEntry(
        attendance_id=attendance_id,
        school_id=school_id,
        pupil_id=pupil_id,
        lesson_id=lesson_id,
        on_date=on_date,
        period=period,
        subject_name=subject or group_name,
        code=code,
        justification=justification,
        note_id=note_id,
        note_status=note_status,
        reason=reason,
    )


class SqlAbsenceNotes:
    """Implements core.ports.AbsenceNotesRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # ------------------------------------------------------------------ files

    async def file(self, file_id: int) -> NoteFile | None:
        """A stored file with its bytes."""
        row = await self._s.get(t.StoredFile, file_id)
        if row is None:
            return None
        return NoteFile(row.id, row.filename, row.mime_type, row.size, row.content)

    # ------------------------------------------------------------------ notes

    async def add(
        self,
        *,
        school_id: int,
        pupil_id: int,
        starts_on: date,
        ends_on: date,
        reason: str,
        reason_text: str | None,
        file_id: int | None,
        channel: str,
        submitted_by: int | None,
        now: datetime,
    ) -> AbsenceNoteRecord:
        """Store a submitted note."""
        row = t.AbsenceNote(
            school_id=school_id,
            pupil_id=pupil_id,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            reason_text=reason_text,
            file_id=file_id,
            channel=channel,
            submitted_by=submitted_by,
            submitted_at=now,
            status="submitted",
        )
        self._s.add(row)
        await self._s.flush()
        return note_record(row)

    async def note(self, note_id: int, *, lock: bool = False) -> AbsenceNoteRecord | None:
        """A note by id; ``lock`` holds its row until the transaction ends (PostgreSQL)."""
        stmt = select(t.AbsenceNote).where(t.AbsenceNote.id == note_id)
        if lock:
            stmt = stmt.with_for_update()
        row = await self._s.scalar(stmt)
        return note_record(row) if row else None

    async def pupil_notes(self, pupil_id: int, limit: int) -> Sequence[AbsenceNoteRecord]:
        """A pupil's latest notes, newest first."""
        rows = await self._s.scalars(
            select(t.AbsenceNote)
            .where(t.AbsenceNote.pupil_id == pupil_id)
            .order_by(t.AbsenceNote.starts_on.desc(), t.AbsenceNote.id.desc())
            .limit(limit)
        )
        return [note_record(r) for r in rows]

    async def overlapping(
        self,
        pupil_id: int,
        starts_on: date,
        ends_on: date,
        statuses: Collection[str],
        *,
        exclude: int | None = None,
    ) -> Sequence[AbsenceNoteRecord]:
        """The pupil's notes in these statuses sharing a day with the range, oldest first."""
        stmt = (
            select(t.AbsenceNote)
            .where(
                t.AbsenceNote.pupil_id == pupil_id,
                t.AbsenceNote.status.in_(sorted(statuses)),
                t.AbsenceNote.starts_on <= ends_on,
                t.AbsenceNote.ends_on >= starts_on,
            )
            .order_by(t.AbsenceNote.starts_on, t.AbsenceNote.id)
        )
        if exclude is not None:
            stmt = stmt.where(t.AbsenceNote.id != exclude)
        return [note_record(r) for r in await self._s.scalars(stmt)]

    async def covering(self, pupil_id: int, on: date) -> AbsenceNoteRecord | None:
        """The note covering the pupil's day: an accepted one before a submitted one."""
        row = await self._s.scalar(
            select(t.AbsenceNote)
            .where(
                t.AbsenceNote.pupil_id == pupil_id,
                t.AbsenceNote.starts_on <= on,
                t.AbsenceNote.ends_on >= on,
                t.AbsenceNote.status.in_(("accepted", "submitted")),
            )
            .order_by(
                case((t.AbsenceNote.status == "accepted", 0), else_=1),
                t.AbsenceNote.submitted_at.desc(),
                t.AbsenceNote.id.desc(),
            )
            .limit(1)
        )
        return note_record(row) if row else None

    async def submitted(self, pupil_ids: Collection[int]) -> Sequence[AbsenceNoteRecord]:
        """Notes of these pupils waiting for a decision, oldest first."""
        if not pupil_ids:
            return []
        rows = await self._s.scalars(
            select(t.AbsenceNote)
            .where(
                t.AbsenceNote.pupil_id.in_(sorted(pupil_ids)),
                t.AbsenceNote.status == "submitted",
            )
            .order_by(t.AbsenceNote.submitted_at, t.AbsenceNote.id)
        )
        return [note_record(r) for r in rows]

    async def decide(
        self,
        note_id: int,
        *,
        status: str,
        decided_by: int | None,
        reason: str | None,
        now: datetime,
    ) -> AbsenceNoteRecord:
        """Record the decision on a note; the note as it is now."""
        await self._s.execute(
            update(t.AbsenceNote)
            .where(t.AbsenceNote.id == note_id)
            .values(status=status, decided_by=decided_by, decided_at=now, decision_reason=reason)
        )
        row = await self._s.get_one(t.AbsenceNote, note_id, populate_existing=True)
        return note_record(row)

    async def delete(self, note_id: int) -> None:
        """Delete a note and its attachment; the absences it covered lose the link."""
        file_id = await self._s.scalar(
            select(t.AbsenceNote.file_id).where(t.AbsenceNote.id == note_id)
        )
        await self._s.execute(
            update(t.Attendance)
            .where(t.Attendance.absence_note_id == note_id)
            .values(absence_note_id=None)
        )
        await self._s.execute(delete(t.AbsenceNote).where(t.AbsenceNote.id == note_id))
        if file_id is not None:
            await self._s.execute(delete(t.StoredFile).where(t.StoredFile.id == file_id))

    # ------------------------------------------------------------------ pupils and absences

    async def pupil_class(self, pupil_id: int, on: date) -> ClassRecord | None:
        """The pupil's class on a day, else the class of their latest enrolment."""
        base = (
            select(t.ClassGroup)
            .join(t.Enrolment, t.Enrolment.class_id == t.ClassGroup.id)
            .where(t.Enrolment.pupil_id == pupil_id)
            .order_by(t.Enrolment.starts_on.desc(), t.Enrolment.id.desc())
            .limit(1)
        )
        row = await self._s.scalar(
            base.where(
                t.Enrolment.starts_on <= on,
                or_(t.Enrolment.ends_on.is_(None), t.Enrolment.ends_on >= on),
            )
        )
        if row is None:
            row = await self._s.scalar(base)
        return class_record(row) if row else None

    async def absence(self, attendance_id: int) -> AbsenceEntry | None:
        """One attendance row."""
        row = (await self._s.execute(_entries().where(t.Attendance.id == attendance_id))).first()
        return _entry(row) if row else None

    async def absences(
        self, pupil_ids: Collection[int], start: date, end: date
    ) -> Sequence[AbsenceEntry]:
        """Every attendance row of these pupils from ``start`` to ``end``, oldest first."""
        if not pupil_ids:
            return []
        rows = await self._s.execute(
            _entries().where(
                t.Attendance.pupil_id.in_(sorted(pupil_ids)),
                t.Attendance.on_date >= start,
                t.Attendance.on_date <= end,
            )
        )
        return [_entry(r) for r in rows]

    async def note_absences(self, note_ids: Collection[int]) -> Sequence[AbsenceEntry]:
        """The attendance rows linked to these notes, oldest first."""
        if not note_ids:
            return []
        rows = await self._s.execute(
            _entries().where(t.Attendance.absence_note_id.in_(sorted(note_ids)))
        )
        return [_entry(r) for r in rows]

    async def undecided(
        self, pupil_ids: Collection[int], codes: Collection[str], since: date
    ) -> Sequence[AbsenceEntry]:
        """Pending absences of these pupils with no note, from ``since``, oldest first."""
        if not pupil_ids or not codes:
            return []
        rows = await self._s.execute(
            _entries().where(
                t.Attendance.pupil_id.in_(sorted(pupil_ids)),
                t.Attendance.on_date >= since,
                t.Attendance.code.in_(sorted(codes)),
                t.Attendance.justification == "pending",
                t.Attendance.absence_note_id.is_(None),
            )
        )
        return [_entry(r) for r in rows]

    async def link(
        self,
        attendance_ids: Collection[int],
        *,
        note_id: int | None,
        justification: str,
        now: datetime,
    ) -> None:
        """Tie these attendance rows to a note (or none) with a justification."""
        if not attendance_ids:
            return
        await self._s.execute(
            update(t.Attendance)
            .where(t.Attendance.id.in_(sorted(attendance_ids)))
            .values(absence_note_id=note_id, justification=justification, updated_at=now)
        )

    async def justify(
        self,
        attendance_ids: Collection[int],
        *,
        justification: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """The class teacher's decision on absences without a note."""
        if not attendance_ids:
            return
        await self._s.execute(
            update(t.Attendance)
            .where(t.Attendance.id.in_(sorted(attendance_ids)))
            .values(justification=justification, reason=reason, updated_at=now)
        )
