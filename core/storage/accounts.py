"""SQL accounts: which Telegram user is which person. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.records import AccountRecord
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
