"""SQL invitations and the attempt ledger: code hashes only, never codes. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.invites import FAILED_OUTCOMES
from core.domain.records import InviteRecord
from core.storage import tables as t

LEDGER_KEEP = timedelta(days=1)  # far longer than the counting window; the audit log keeps all


def utc(value: datetime) -> datetime:
    """An instant read back as aware UTC (SQLite returns stored UTC instants naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def invite_record(row: t.Invite) -> InviteRecord:
    """ORM row → record (the hash stays behind)."""
    return InviteRecord(
        row.id,
        row.school_id,
        row.person_id,
        row.purpose,
        row.pupil_id,
        row.issued_by,
        utc(row.created_at),
        utc(row.expires_at),
        utc(row.used_at) if row.used_at else None,
        utc(row.revoked_at) if row.revoked_at else None,
    )


class SqlInvites:
    """Implements core.ports.InvitesRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self,
        *,
        code_hash: str,
        school_id: int,
        person_id: int,
        purpose: str,
        pupil_id: int | None,
        issued_by: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> InviteRecord:
        """Store a new invitation."""
        row = t.Invite(
            code_hash=code_hash,
            school_id=school_id,
            person_id=person_id,
            purpose=purpose,
            pupil_id=pupil_id,
            issued_by=issued_by,
            created_at=now,
            expires_at=expires_at,
        )
        self._s.add(row)
        await self._s.flush()
        return invite_record(row)

    async def by_hash(self, code_hash: str) -> InviteRecord | None:
        """The invitation whose code has this hash."""
        row = await self._s.scalar(select(t.Invite).where(t.Invite.code_hash == code_hash))
        return invite_record(row) if row else None

    async def pending(
        self,
        *,
        now: datetime,
        person_ids: Collection[int] | None = None,
        purpose: str | None = None,
        issued_by: int | None = None,
        pupil_id: int | None = None,
    ) -> Sequence[InviteRecord]:
        """Unused, unrevoked, unexpired invitations matching every filter given."""
        query = select(t.Invite).where(
            t.Invite.used_at.is_(None), t.Invite.revoked_at.is_(None), t.Invite.expires_at > now
        )
        if person_ids is not None:
            if not person_ids:
                return []
            query = query.where(t.Invite.person_id.in_(sorted(person_ids)))
        if purpose is not None:
            query = query.where(t.Invite.purpose == purpose)
        if issued_by is not None:
            query = query.where(t.Invite.issued_by == issued_by)
        if pupil_id is not None:
            query = query.where(t.Invite.pupil_id == pupil_id)
        rows = await self._s.scalars(query.order_by(t.Invite.id))
        return [invite_record(r) for r in rows]

    async def revoke(self, invite_ids: Collection[int], now: datetime) -> None:
        """Revoke invitations that are still open."""
        if not invite_ids:
            return
        await self._s.execute(
            update(t.Invite)
            .where(
                t.Invite.id.in_(sorted(invite_ids)),
                t.Invite.used_at.is_(None),
                t.Invite.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    async def mark_used(self, invite_id: int, *, account_id: int, now: datetime) -> None:
        """Record that an invitation connected an account."""
        await self._s.execute(
            update(t.Invite)
            .where(t.Invite.id == invite_id)
            .values(used_at=now, used_by_account_id=account_id)
        )

    async def failures_since(self, telegram_user_id: int, since: datetime) -> int:
        """Failed attempts of a Telegram user after ``since``."""
        count = await self._s.scalar(
            select(func.count())
            .select_from(t.LinkAttempt)
            .where(
                t.LinkAttempt.telegram_user_id == telegram_user_id,
                t.LinkAttempt.at > since,
                t.LinkAttempt.outcome.in_(sorted(FAILED_OUTCOMES)),
            )
        )
        return int(count or 0)

    async def record_attempt(
        self, telegram_user_id: int, *, method: str, outcome: str, at: datetime
    ) -> None:
        """Append an attempt and prune the user's rows older than a day."""
        await self._s.execute(
            delete(t.LinkAttempt).where(
                t.LinkAttempt.telegram_user_id == telegram_user_id,
                t.LinkAttempt.at < at - LEDGER_KEEP,
            )
        )
        self._s.add(
            t.LinkAttempt(telegram_user_id=telegram_user_id, at=at, method=method, outcome=outcome)
        )
        await self._s.flush()
