"""SQL calendar feeds: token hashes only, never tokens; homework due dates. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.ports import CalendarFeedRecord, HomeworkDue
from core.storage import tables as t


def _utc(value: datetime | None) -> datetime | None:
    """An instant read back as aware UTC (SQLite returns stored UTC instants naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def feed_record(row: t.CalendarFeed) -> CalendarFeedRecord:
    """ORM row → record (the hash stays behind)."""
    created = _utc(row.created_at)
    if created is None:  # pragma: no cover - the column is NOT NULL
        raise ValueError("calendar feed without created_at")
    return CalendarFeedRecord(
        id=row.id,
        person_id=row.person_id,
        pupil_id=row.pupil_id,
        created_at=created,
        revoked_at=_utc(row.revoked_at),
        last_used_at=_utc(row.last_used_at),
    )


class SqlCalendarFeeds:
    """Implements core.ports.CalendarFeedRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self, *, person_id: int, pupil_id: int, token_hash: str, now: datetime
    ) -> CalendarFeedRecord:
        """Store a new live feed."""
        row = t.CalendarFeed(
            person_id=person_id, pupil_id=pupil_id, token_hash=token_hash, created_at=now
        )
        self._s.add(row)
        await self._s.flush()
        return feed_record(row)

    async def feed(self, feed_id: int) -> CalendarFeedRecord | None:
        """A feed by id (live or revoked)."""
        row = await self._s.get(t.CalendarFeed, feed_id)
        return feed_record(row) if row else None

    async def by_hash(self, token_hash: str) -> CalendarFeedRecord | None:
        """The feed whose token has this hash (live or revoked)."""
        row = await self._s.scalar(
            select(t.CalendarFeed).where(t.CalendarFeed.token_hash == token_hash)
        )
        return feed_record(row) if row else None

    async def live(self, person_id: int, pupil_id: int) -> Sequence[CalendarFeedRecord]:
        """A person's unrevoked feeds of one pupil, oldest first."""
        rows = await self._s.scalars(
            select(t.CalendarFeed)
            .where(
                t.CalendarFeed.person_id == person_id,
                t.CalendarFeed.pupil_id == pupil_id,
                t.CalendarFeed.revoked_at.is_(None),
            )
            .order_by(t.CalendarFeed.created_at, t.CalendarFeed.id)
        )
        return [feed_record(row) for row in rows]

    async def revoke(self, feed_id: int, now: datetime) -> None:
        """Revoke a feed that is still live."""
        await self._s.execute(
            update(t.CalendarFeed)
            .where(t.CalendarFeed.id == feed_id, t.CalendarFeed.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def touch(self, feed_id: int, now: datetime) -> None:
        """Record that the feed was fetched."""
        await self._s.execute(
            update(t.CalendarFeed).where(t.CalendarFeed.id == feed_id).values(last_used_at=now)
        )

    async def homework_due(
        self, group_ids: Collection[int], start: date, end: date
    ) -> Sequence[HomeworkDue]:
        """Homework of the groups' lessons due between two dates (inclusive), by due date."""
        if not group_ids:
            return []
        subject = func.coalesce(t.Subject.name, t.TeachingGroup.name)
        rows = await self._s.execute(
            select(
                t.Lesson.id,
                t.Lesson.group_id,
                t.Lesson.on_date,
                t.Lesson.homework_due_on,
                subject,
                t.Lesson.homework,
            )
            .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
            .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
            .where(
                t.Lesson.group_id.in_(sorted(group_ids)),
                t.Lesson.homework.is_not(None),
                t.Lesson.homework_due_on.is_not(None),
                t.Lesson.homework_due_on >= start,
                t.Lesson.homework_due_on <= end,
            )
            .order_by(t.Lesson.homework_due_on, t.Lesson.on_date, t.Lesson.period, t.Lesson.id)
        )
        return [
            HomeworkDue(
                lesson_id=lesson_id,
                group_id=group_id,
                on=on,
                due_on=due_on,
                subject=name,
                text=text,
            )
            for lesson_id, group_id, on, due_on, name, text in rows
            if due_on is not None and text
        ]

    async def language(self, person_id: int) -> str | None:
        """The language of the person's linked account (the latest linked), if any."""
        return await self._s.scalar(
            select(t.Account.language)
            .where(t.Account.person_id == person_id, t.Account.status != "unlinked")
            .order_by(t.Account.linked_at.desc(), t.Account.id.desc())
            .limit(1)
        )
