"""SQL for privacy: archives on record, access requests, a person's data, retention. Never commits.

Retention's kinds of data map to explicit statements here (children before parents, so the
counts are exact on both backends); ``core.services.retention`` decides which school years and
kinds have expired and refuses years without a verified archive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, delete, func, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import AccessRequestRecord, RetentionYear
from core.storage import tables as t

OPEN_STATUSES = ("pending", "approved")
FINAL_DELIVERY_STATUSES = ("sent", "failed", "unreachable", "not_connected", "merged")

# Columns never exported: credentials' hashes, file bytes, the outbox's rendered texts.
_SECRET_COLUMNS = frozenset({"token_hash", "code_hash", "content", "payload", "secret_hash"})
_SECRET_SUFFIXES = ("_hash",)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _request(row: t.AccessRequest) -> AccessRequestRecord:
    requested = _utc(row.requested_at)
    if requested is None:  # pragma: no cover - NOT NULL
        raise ValueError("access request without requested_at")
    return AccessRequestRecord(
        id=row.id,
        school_id=row.school_id,
        person_id=row.person_id,
        pupil_id=row.pupil_id,
        requested_at=requested,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=_utc(row.decided_at),
        reason=row.reason,
    )


def window(year: RetentionYear) -> tuple[date, date, datetime, datetime]:
    """The year's days (first inclusive, end exclusive) and the same as UTC instants.

    The same window the archive uses: 1 September to 31 August, widened to the year's own dates.
    """
    first = min(year.starts_on, date(year.starts_on.year, 9, 1))
    end = max(year.ends_on + timedelta(days=1), date(year.starts_on.year + 1, 9, 1))
    zone = ZoneInfo(year.time_zone)
    start_at = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    end_at = datetime.combine(end, time(), tzinfo=zone).astimezone(UTC)
    return first, end, start_at, end_at


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (_utc(value) or value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, int | float | str | bool | dict | list) or value is None:
        return value
    return str(value)


def _exported(column: str) -> bool:
    return column not in _SECRET_COLUMNS and not column.endswith(_SECRET_SUFFIXES)


class SqlPrivacy:
    """Implements core.ports.PrivacyRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # ------------------------------------------------------------------------------ archives

    async def record_archive(
        self, *, school_id: int, year_id: int, sha256: str, now: datetime, verified: bool
    ) -> None:
        """Note an archive written (``verified``: or checked) for a school year."""
        row = await self._s.scalar(
            select(t.YearArchive).where(
                t.YearArchive.school_id == school_id,
                t.YearArchive.school_year_id == year_id,
                t.YearArchive.sha256 == sha256,
            )
        )
        if row is None:
            row = t.YearArchive(
                school_id=school_id, school_year_id=year_id, sha256=sha256, created_at=now
            )
            self._s.add(row)
        if verified:
            row.verified_at = now
        await self._s.flush()

    async def find_year(self, school_code: str, year_name: str) -> tuple[int, int] | None:
        """(school id, year id) by the school's code and the year's name."""
        row = (
            await self._s.execute(
                select(t.School.id, t.SchoolYear.id)
                .join(t.SchoolYear, t.SchoolYear.school_id == t.School.id)
                .where(t.School.code == school_code, t.SchoolYear.name == year_name)
            )
        ).first()
        return (int(row[0]), int(row[1])) if row is not None else None

    async def years(self) -> Sequence[RetentionYear]:
        """Every school's years, oldest first, with the latest verification of an archive."""
        verified = (
            select(
                t.YearArchive.school_year_id.label("year_id"),
                func.max(t.YearArchive.verified_at).label("verified_at"),
            )
            .group_by(t.YearArchive.school_year_id)
            .subquery()
        )
        rows = await self._s.execute(
            select(
                t.School.id,
                t.School.code,
                t.SchoolYear.id,
                t.SchoolYear.name,
                t.SchoolYear.starts_on,
                t.SchoolYear.ends_on,
                t.School.time_zone,
                verified.c.verified_at,
            )
            .join(t.SchoolYear, t.SchoolYear.school_id == t.School.id)
            .outerjoin(verified, verified.c.year_id == t.SchoolYear.id)
            .order_by(t.SchoolYear.starts_on, t.School.code, t.SchoolYear.id)
        )
        return [
            RetentionYear(
                school_id=school_id,
                school_code=code,
                year_id=year_id,
                name=name,
                starts_on=starts_on,
                ends_on=ends_on,
                time_zone=zone,
                verified_at=_utc(verified_at),
            )
            for school_id, code, year_id, name, starts_on, ends_on, zone, verified_at in rows
        ]

    # ----------------------------------------------------------------------- access requests

    async def add_request(
        self, *, school_id: int, person_id: int, pupil_id: int, now: datetime
    ) -> AccessRequestRecord:
        """Store a new pending request."""
        row = t.AccessRequest(
            school_id=school_id,
            person_id=person_id,
            pupil_id=pupil_id,
            requested_at=now,
            status="pending",
        )
        self._s.add(row)
        await self._s.flush()
        return _request(row)

    async def request(self, request_id: int) -> AccessRequestRecord | None:
        """A request by id."""
        row = await self._s.get(t.AccessRequest, request_id)
        return _request(row) if row is not None else None

    async def open_request(self, person_id: int, pupil_id: int) -> AccessRequestRecord | None:
        """The person's pending (or approved, not yet delivered) request for the pupil."""
        row = await self._s.scalar(
            select(t.AccessRequest)
            .where(
                t.AccessRequest.person_id == person_id,
                t.AccessRequest.pupil_id == pupil_id,
                t.AccessRequest.status.in_(OPEN_STATUSES),
            )
            .order_by(t.AccessRequest.id)
            .limit(1)
        )
        return _request(row) if row is not None else None

    async def requests(
        self, school_id: int, *, status: str | None = None
    ) -> Sequence[AccessRequestRecord]:
        """A school's requests, oldest first."""
        query = select(t.AccessRequest).where(t.AccessRequest.school_id == school_id)
        if status is not None:
            query = query.where(t.AccessRequest.status == status)
        rows = await self._s.scalars(
            query.order_by(t.AccessRequest.requested_at, t.AccessRequest.id)
        )
        return [_request(row) for row in rows]

    async def set_status(
        self,
        request_id: int,
        *,
        status: str,
        decided_by: int | None = None,
        now: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        """Move a request on."""
        values: dict[str, Any] = {"status": status}
        if now is not None:
            values["decided_at"] = now
            values["decided_by"] = decided_by
        if reason is not None:
            values["reason"] = reason
        await self._s.execute(
            update(t.AccessRequest).where(t.AccessRequest.id == request_id).values(**values)
        )

    async def person_data(self, person_id: int) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Every row that names the person, table by table, in primary-key order."""
        result: dict[str, list[dict[str, Any]]] = {}
        for table in t.Base.metadata.sorted_tables:
            conditions: list[ColumnElement[bool]] = []
            if table.name == "persons":
                conditions.append(table.c.id == person_id)
            conditions.extend(
                key.parent == person_id
                for key in table.foreign_keys
                if key.column.table.name == "persons"
            )
            if table.name == "audit_log":
                conditions.append(table.c.subject_person_id == person_id)
            if not conditions:
                continue
            columns = [column for column in table.columns if _exported(column.name)]
            rows = await self._s.execute(
                select(*columns).where(or_(*conditions)).order_by(*table.primary_key.columns)
            )
            found = [
                {
                    column.name: _json_value(value)
                    for column, value in zip(columns, row, strict=True)
                }
                for row in rows
            ]
            if found:
                result[table.name] = found
        return result

    # ------------------------------------------------------------------------------ retention

    async def expired_rows(self, year: RetentionYear, kind: str, *, delete: bool) -> int:
        """Count (and with ``delete`` remove or anonymize) one kind of a school year's data."""
        statements = _year_statements(year, kind)
        total = 0
        for table, condition, anonymize in statements:
            count = await self._count(select(func.count()).select_from(table).where(condition))
            total += count
            if delete and count:
                if anonymize is not None:
                    await self._s.execute(update(table).where(condition).values(**anonymize))
                else:
                    await self._s.execute(_delete(table, condition))
        return total

    async def expired_before(self, kind: str, before: datetime, *, delete: bool) -> int:
        """Count (and delete) rows of a kind kept by days."""
        table: Any
        condition: ColumnElement[bool]
        if kind == "deliveries":
            table = t.Delivery.__table__
            condition = and_(
                t.Delivery.created_at < before,
                t.Delivery.status.in_(FINAL_DELIVERY_STATUSES),
            )
        elif kind == "link_attempts":
            table = t.LinkAttempt.__table__
            condition = t.LinkAttempt.at < before
        else:
            raise ValueError(f"unknown retention kind {kind!r}")
        count = await self._count(select(func.count()).select_from(table).where(condition))
        if delete and count:
            await self._s.execute(_delete(table, condition))
        return count

    async def _count(self, query: Select[Any]) -> int:
        return int(await self._s.scalar(query) or 0)


def _delete(table: Any, condition: ColumnElement[bool]) -> Any:
    return delete(table).where(condition).execution_options(synchronize_session=False)


Statement = tuple[Any, ColumnElement[bool], dict[str, Any] | None]


def _year_statements(year: RetentionYear, kind: str) -> list[Statement]:
    """The tables of one kind of a year's data, children first, with the rows' condition."""
    first, end, start_at, end_at = window(year)
    groups = select(t.TeachingGroup.id).where(
        t.TeachingGroup.school_id == year.school_id,
        t.TeachingGroup.school_year_id == year.year_id,
    )
    if kind == "marks":
        assessments = select(t.Assessment.id).where(t.Assessment.group_id.in_(groups))
        marks = select(t.Mark.id).where(t.Mark.assessment_id.in_(assessments))
        return [
            (t.MarkRevision.__table__, t.MarkRevision.mark_id.in_(marks), None),
            (t.Mark.__table__, t.Mark.assessment_id.in_(assessments), None),
            (t.Assessment.__table__, t.Assessment.group_id.in_(groups), None),
            (t.PeriodMark.__table__, t.PeriodMark.group_id.in_(groups), None),
        ]
    if kind == "attendance":
        lessons = select(t.Lesson.id).where(t.Lesson.group_id.in_(groups))
        notes = and_(
            t.AbsenceNote.school_id == year.school_id,
            t.AbsenceNote.starts_on < end,
            t.AbsenceNote.ends_on >= first,
        )
        return [
            (t.Attendance.__table__, t.Attendance.lesson_id.in_(lessons), None),
            (t.AbsenceNote.__table__, notes, None),
        ]
    if kind == "audit_log":
        personal = or_(
            t.AuditEntry.actor_id.is_not(None),
            t.AuditEntry.subject_person_id.is_not(None),
            t.AuditEntry.before.is_not(None),
            t.AuditEntry.after.is_not(None),
        )
        condition = and_(
            t.AuditEntry.school_id == year.school_id,
            t.AuditEntry.occurred_at >= start_at,
            t.AuditEntry.occurred_at < end_at,
            ~t.AuditEntry.action.like("archive.%"),
            ~t.AuditEntry.action.like("retention.%"),
            personal,
        )
        anonymous = {
            "actor_id": None,
            "subject_person_id": None,
            "before": null(),
            "after": null(),
        }
        return [(t.AuditEntry.__table__, condition, anonymous)]
    if kind == "mail":
        threads = select(t.MailThread.id).where(
            t.MailThread.school_id == year.school_id,
            t.MailThread.created_at >= start_at,
            t.MailThread.created_at < end_at,
        )
        messages = select(t.MailMessage.id).where(t.MailMessage.thread_id.in_(threads))
        return [
            (t.MailChatMessage.__table__, t.MailChatMessage.message_id.in_(messages), None),
            (t.MailReport.__table__, t.MailReport.message_id.in_(messages), None),
            (t.MailRecipient.__table__, t.MailRecipient.message_id.in_(messages), None),
            (t.MailMessage.__table__, t.MailMessage.thread_id.in_(threads), None),
            (t.MailThread.__table__, t.MailThread.id.in_(threads), None),
        ]
    if kind == "news":
        condition = and_(
            t.NewsPost.school_id == year.school_id,
            t.NewsPost.created_at >= start_at,
            t.NewsPost.created_at < end_at,
        )
        return [(t.NewsPost.__table__, condition, None)]
    if kind == "access_requests":
        condition = and_(
            t.AccessRequest.school_id == year.school_id,
            t.AccessRequest.requested_at >= start_at,
            t.AccessRequest.requested_at < end_at,
            t.AccessRequest.status.not_in(OPEN_STATUSES),
        )
        return [(t.AccessRequest.__table__, condition, None)]
    raise ValueError(f"unknown retention kind {kind!r}")
