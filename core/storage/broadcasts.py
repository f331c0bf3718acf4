"""SQL staff broadcasts: who an audience names, the broadcasts, acknowledgements, delivery counts.

Never commits. Every "who" read returns active people only, each once; the service composes
them into an audience (``core.services.broadcasts``). Delivery counts read the outbox rows the
notifications engine wrote under the broadcast's job label.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.broadcasts import Audience, BroadcastRecord, Choice
from core.storage import tables as t
from core.storage.invites import utc


class SqlBroadcasts:
    """Implements core.ports.BroadcastsRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # ------------------------------------------------------------------ who

    async def enrolled(
        self, school_id: int, on: date, *, grade: int | None = None, class_id: int | None = None
    ) -> frozenset[int]:
        """Active pupils enrolled in the school on the date (of a grade's classes, or a class)."""
        e = t.Enrolment
        query = (
            select(e.pupil_id)
            .join(t.Person, t.Person.id == e.pupil_id)
            .where(e.school_id == school_id, e.starts_on <= on)
            .where(or_(e.ends_on.is_(None), e.ends_on >= on))
            .where(t.Person.is_active.is_(True))
        )
        if class_id is not None:
            query = query.where(e.class_id == class_id)
        if grade is not None:
            query = query.join(t.ClassGroup, t.ClassGroup.id == e.class_id).where(
                t.ClassGroup.grade == grade
            )
        return await self._ids(query)

    async def group_pupils(self, group_id: int, on: date) -> frozenset[int]:
        """Active pupils on a teaching group's list on the date."""
        m = t.GroupMember
        return await self._ids(
            select(m.pupil_id)
            .join(t.Person, t.Person.id == m.pupil_id)
            .where(m.group_id == group_id, m.starts_on <= on)
            .where(or_(m.ends_on.is_(None), m.ends_on >= on))
            .where(t.Person.is_active.is_(True))
        )

    async def guardians(self, pupil_ids: Collection[int]) -> frozenset[int]:
        """Active guardians and read-only carers of these pupils, each once."""
        if not pupil_ids:
            return frozenset()
        g = t.Guardianship
        return await self._ids(
            select(g.guardian_id)
            .join(t.Person, t.Person.id == g.guardian_id)
            .where(g.pupil_id.in_(sorted(pupil_ids)), t.Person.is_active.is_(True))
        )

    async def staff(self, school_id: int) -> frozenset[int]:
        """Active people holding an active staff role in the school."""
        r = t.StaffRole
        return await self._ids(
            select(r.person_id)
            .join(t.Person, t.Person.id == r.person_id)
            .where(r.school_id == school_id, r.is_active.is_(True))
            .where(t.Person.is_active.is_(True))
        )

    async def absent(
        self,
        school_id: int,
        start: date,
        end: date,
        *,
        codes: Collection[str],
        justifications: Collection[str],
    ) -> frozenset[int]:
        """Pupils with an attendance mark of these codes and justifications in the date range."""
        if not codes or not justifications:
            return frozenset()
        a = t.Attendance
        return await self._ids(
            select(a.pupil_id).where(
                a.school_id == school_id,
                a.on_date >= start,
                a.on_date <= end,
                a.code.in_(sorted(codes)),
                a.justification.in_(sorted(justifications)),
            )
        )

    async def groups(self, school_year_id: int, teacher_id: int | None) -> Sequence[Choice]:
        """A school year's teaching groups (those a teacher teaches), by name."""
        g = t.TeachingGroup
        query = select(g.id, g.name).where(g.school_year_id == school_year_id)
        if teacher_id is not None:
            query = query.join(t.GroupTeacher, t.GroupTeacher.group_id == g.id).where(
                t.GroupTeacher.teacher_id == teacher_id
            )
        rows = (await self._s.execute(query.distinct())).all()
        return sorted(
            (Choice(int(row.id), row.name) for row in rows), key=lambda c: (c.name, c.id)
        )

    async def _ids(self, query: Select[Any]) -> frozenset[int]:
        return frozenset(int(person) for person in (await self._s.scalars(query.distinct())))

    # ------------------------------------------------------------------ broadcasts

    async def add(
        self,
        *,
        school_id: int,
        author_id: int | None,
        audience: Audience,
        text: str,
        file_id: int | None,
        ask_ack: bool,
        urgent: bool,
        recipient_ids: Collection[int],
        connected: int,
        now: datetime,
    ) -> int:
        """Store a broadcast with its resolved recipients (sorted ids); its id."""
        ids = sorted(set(recipient_ids))
        row = t.Broadcast(
            school_id=school_id,
            author_id=author_id,
            audience=audience.to_json(),
            text=text,
            file_id=file_id,
            ask_ack=ask_ack,
            urgent=urgent,
            recipients=len(ids),
            connected=connected,
            recipient_ids=ids,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return int(row.id)

    async def broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        """One broadcast."""
        row = await self._s.get(t.Broadcast, broadcast_id)
        if row is None:
            return None
        return BroadcastRecord(
            id=int(row.id),
            school_id=int(row.school_id),
            author_id=None if row.author_id is None else int(row.author_id),
            audience=Audience.from_json(row.audience),
            text=row.text,
            file_id=None if row.file_id is None else int(row.file_id),
            ask_ack=bool(row.ask_ack),
            urgent=bool(row.urgent),
            recipients=int(row.recipients),
            connected=int(row.connected),
            recipient_ids=frozenset(int(person) for person in row.recipient_ids or ()),
            created_at=utc(row.created_at),
        )

    async def acknowledge(self, broadcast_id: int, person_id: int, at: datetime) -> bool:
        """Record a recipient's acknowledgement; False when they had already acknowledged.

        Two presses at once cannot both count: the unique (broadcast, person) pair decides.
        """
        dialect = self._s.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(t.BroadcastAck)
            .values(broadcast_id=broadcast_id, person_id=person_id, at=at)
            .on_conflict_do_nothing(
                index_elements=[t.BroadcastAck.broadcast_id, t.BroadcastAck.person_id]
            )
            .returning(t.BroadcastAck.id)
        )
        return (await self._s.execute(stmt)).scalar_one_or_none() is not None

    async def acknowledged(self, broadcast_id: int) -> int:
        """How many recipients acknowledged a broadcast."""
        value = await self._s.scalar(
            select(func.count())
            .select_from(t.BroadcastAck)
            .where(t.BroadcastAck.broadcast_id == broadcast_id)
        )
        return int(value or 0)

    async def delivery_counts(self, job: str) -> Mapping[str, int]:
        """The outbox rows of a job label by status (``broadcast:<id>``)."""
        d = t.Delivery
        rows = await self._s.execute(
            select(d.status, func.count()).where(d.job == job).group_by(d.status)
        )
        return {str(status): int(count) for status, count in rows}
