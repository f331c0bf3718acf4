"""SQL School news: posts (timetable bulletins too), their attachments, the school's audience.

Never commits. Attachments are ``files`` rows holding the bytes; a post owns its file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.access import Role
from core.domain.news import FileContent, NewsFile, NewsRow
from core.storage import tables as t
from core.storage.invites import utc

LINKED_STATUSES = ("active", "unreachable")  # an "unlinked" account no longer counts
_ROLES = frozenset(role.value for role in Role)


class SqlNews:
    """Implements core.ports.NewsRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self,
        *,
        school_id: int,
        author_id: int | None,
        kind: str,
        title: str,
        body: str,
        file_id: int | None,
        now: datetime,
        published_at: datetime | None,
    ) -> int:
        """Store a post; its id."""
        row = t.NewsPost(
            school_id=school_id,
            author_id=author_id,
            kind=kind,
            title=title,
            body=body,
            file_id=file_id,
            created_at=now,
            published_at=published_at,
        )
        self._s.add(row)
        await self._s.flush()
        return int(row.id)

    async def posts(
        self, school_ids: Collection[int], *, until: datetime, offset: int, limit: int
    ) -> Sequence[NewsRow]:
        """Posts of these schools published by ``until``, newest first (ties: newest id)."""
        if not school_ids or limit <= 0:
            return []
        query = (
            _rows()
            .where(
                t.NewsPost.school_id.in_(sorted(school_ids)),
                t.NewsPost.published_at.is_not(None),
                t.NewsPost.published_at <= until,
            )
            .order_by(t.NewsPost.published_at.desc(), t.NewsPost.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return await self._records(list(await self._s.execute(query)))

    async def post(self, post_id: int) -> NewsRow | None:
        """One post (published or not)."""
        rows = list(await self._s.execute(_rows().where(t.NewsPost.id == post_id)))
        found = await self._records(rows)
        return found[0] if found else None

    async def attachment(self, post_id: int) -> FileContent | None:
        """The bytes of a post's attachment."""
        row = (
            await self._s.execute(
                select(t.StoredFile.filename, t.StoredFile.mime_type, t.StoredFile.content)
                .join(t.NewsPost, t.NewsPost.file_id == t.StoredFile.id)
                .where(t.NewsPost.id == post_id)
            )
        ).one_or_none()
        if row is None:
            return None
        filename, mime_type, content = row
        return FileContent(filename, mime_type, bytes(content))

    async def delete(self, post_id: int) -> None:
        """Delete a post and the file it owned."""
        file_id = await self._s.scalar(select(t.NewsPost.file_id).where(t.NewsPost.id == post_id))
        await self._s.execute(delete(t.NewsPost).where(t.NewsPost.id == post_id))
        if file_id is not None:
            await self._s.execute(delete(t.StoredFile).where(t.StoredFile.id == file_id))

    async def audience(self, school_id: int, on: date) -> frozenset[int]:
        """Active people of a school with a linked account: staff, pupils, their guardians."""
        pupils = select(t.Enrolment.pupil_id).where(
            t.Enrolment.school_id == school_id,
            t.Enrolment.starts_on <= on,
            or_(t.Enrolment.ends_on.is_(None), t.Enrolment.ends_on >= on),
        )
        people = union(
            select(t.StaffRole.person_id).where(
                t.StaffRole.school_id == school_id, t.StaffRole.is_active.is_(True)
            ),
            pupils,
            select(t.Guardianship.guardian_id).where(t.Guardianship.pupil_id.in_(pupils)),
        ).subquery()
        rows = await self._s.scalars(
            select(t.Person.id)
            .join(t.Account, t.Account.person_id == t.Person.id)
            .where(
                t.Person.id.in_(select(people.c[0])),
                t.Person.is_active.is_(True),
                t.Account.status.in_(LINKED_STATUSES),
            )
            .distinct()
        )
        return frozenset(rows)

    async def _records(self, rows: list[Any]) -> list[NewsRow]:
        """Rows of ``_rows()`` → records, with each author's active staff roles in that school."""
        authors = {(row.school_id, row.author_id) for row in rows if row.author_id is not None}
        roles: dict[tuple[int, int], set[Role]] = {}
        if authors:
            found = await self._s.execute(
                select(t.StaffRole.school_id, t.StaffRole.person_id, t.StaffRole.role).where(
                    t.StaffRole.person_id.in_(sorted({a for _, a in authors})),
                    t.StaffRole.school_id.in_(sorted({s for s, _ in authors})),
                    t.StaffRole.is_active.is_(True),
                )
            )
            for school_id, person_id, role in found:
                if role in _ROLES:
                    roles.setdefault((school_id, person_id), set()).add(Role(role))
        return [
            NewsRow(
                id=row.id,
                school_id=row.school_id,
                school_name=row.school_name,
                time_zone=row.time_zone,
                kind=row.kind,
                title=row.title,
                body=row.body,
                author_id=row.author_id,
                author_roles=frozenset(roles.get((row.school_id, row.author_id), ())),
                published_at=utc(row.published_at) if row.published_at else None,
                attachment=(
                    NewsFile(row.filename, row.mime_type, row.size)
                    if row.filename is not None
                    else None
                ),
            )
            for row in rows
        ]


def _rows() -> Select[*tuple[Any, ...]]:
    """Posts with their school and attachment (no bytes)."""
    return (
        select(
            t.NewsPost.id,
            t.NewsPost.school_id,
            t.School.name.label("school_name"),
            t.School.time_zone,
            t.NewsPost.kind,
            t.NewsPost.title,
            t.NewsPost.body,
            t.NewsPost.author_id,
            t.NewsPost.published_at,
            t.StoredFile.filename,
            t.StoredFile.mime_type,
            t.StoredFile.size,
        )
        .join(t.School, t.School.id == t.NewsPost.school_id)
        .outerjoin(t.StoredFile, t.StoredFile.id == t.NewsPost.file_id)
    )
