"""SQL accounts: which Telegram user is which person. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.records import AccountRecord
from core.ports import AccountSettings
from core.storage import tables as t


def account_record(row: t.Account) -> AccountRecord:
    """ORM row → record."""
    return AccountRecord(
        row.id, row.person_id, row.telegram_user_id, row.chat_id, row.language, row.status
    )


class SqlAccounts:
    """Implements core.ports.AccountsRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def by_telegram_user(self, telegram_user_id: int) -> AccountRecord | None:
        """The account of a Telegram user."""
        row = await self._s.scalar(
            select(t.Account).where(t.Account.telegram_user_id == telegram_user_id)
        )
        return account_record(row) if row else None

    async def by_person(self, person_id: int) -> Sequence[AccountRecord]:
        """Accounts linked to a person."""
        rows = await self._s.scalars(
            select(t.Account).where(t.Account.person_id == person_id).order_by(t.Account.id)
        )
        return [account_record(r) for r in rows]

    async def link(
        self, *, person_id: int, telegram_user_id: int, chat_id: int, language: str, now: datetime
    ) -> AccountRecord:
        """Link (or re-link) a Telegram user to a person."""
        row = await self._s.scalar(
            select(t.Account).where(t.Account.telegram_user_id == telegram_user_id)
        )
        if row is None:
            row = t.Account(telegram_user_id=telegram_user_id, preferences={}, linked_at=now)
            self._s.add(row)
        row.person_id = person_id
        row.chat_id = chat_id
        row.language = language
        row.status = "active"
        row.linked_at = now
        await self._s.flush()
        return account_record(row)

    async def set_language(self, account_id: int, language: str) -> None:
        """Remember the account's UI language."""
        await self._s.execute(
            update(t.Account).where(t.Account.id == account_id).values(language=language)
        )

    async def set_reachable(self, telegram_user_id: int, *, reachable: bool) -> bool:
        """Active again (True) or unreachable (False); linked accounts only."""
        old, new = ("unreachable", "active") if reachable else ("active", "unreachable")
        result = await self._s.execute(
            update(t.Account)
            .where(t.Account.telegram_user_id == telegram_user_id, t.Account.status == old)
            .values(status=new)
        )
        return bool(getattr(result, "rowcount", 0))

    async def touch(self, account_id: int, now: datetime) -> None:
        """Record that the account was seen."""
        await self._s.execute(
            update(t.Account).where(t.Account.id == account_id).values(last_seen_at=now)
        )

    async def unlink(self, account_id: int) -> None:
        """Disconnect the account from its person (the row stays, status "unlinked")."""
        await self._s.execute(
            update(t.Account).where(t.Account.id == account_id).values(status="unlinked")
        )

    async def settings(self, account_id: int, *, lock: bool = False) -> AccountSettings | None:
        """An account's notification settings; ``lock`` holds the row (PostgreSQL)."""
        a = t.Account
        query = select(
            a.id, a.person_id, a.status, a.language, a.preferences, a.quiet_from, a.quiet_to
        ).where(a.id == account_id)
        if lock:
            query = query.with_for_update()
        row = (await self._s.execute(query)).one_or_none()
        if row is None:
            return None
        return AccountSettings(
            account_id=row.id,
            person_id=row.person_id,
            status=row.status,
            language=row.language,
            preferences=dict(row.preferences or {}),
            quiet_from=row.quiet_from,
            quiet_to=row.quiet_to,
        )

    async def set_preferences(self, account_id: int, preferences: Mapping[str, Any]) -> None:
        """Replace the account's ``preferences`` JSON."""
        await self._s.execute(
            update(t.Account)
            .where(t.Account.id == account_id)
            .values(preferences=dict(preferences))
        )

    async def set_quiet_hours(self, account_id: int, start: time | None, end: time | None) -> None:
        """Store the account's quiet hours (both None: the school default)."""
        await self._s.execute(
            update(t.Account)
            .where(t.Account.id == account_id)
            .values(quiet_from=start, quiet_to=end)
        )
