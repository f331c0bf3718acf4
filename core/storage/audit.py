"""SQL reads of the audit trail, the disclosures register and a person's data for a disclosure.

The audit log is append-only: this module (like every other) only inserts into it and reads it.
Never commits.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, insert, or_, select, union
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.ports import AuditRow, DisclosureRow
from core.storage import tables as t

# Reads of a pupil's data by others, and disclosures: what a family's access history shows.
ACCESS_PREFIXES = ("read.", "disclosure.")

# Columns never exported: Telegram identifiers and secrets' hashes.
_SECRET_COLUMNS: Mapping[str, frozenset[str]] = {
    "accounts": frozenset({"telegram_user_id", "chat_id"}),
    "calendar_feeds": frozenset({"token_hash"}),
}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_value(value: Any) -> Any:
    """A column value as JSON: instants in UTC ISO 8601, dates and times ISO, bytes base64."""
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _name(given: str | None, family: str | None) -> str | None:
    if given is None and family is None:
        return None
    return f"{given or ''} {family or ''}".strip()


class SqlAudit:
    """Implements core.ports.AuditRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def entries(
        self,
        *,
        person_id: int | None,
        actor_id: int | None,
        action_prefix: str | None,
        since: datetime | None,
        school_id: int | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[AuditRow], int]:
        """A page of entries matching every given filter, newest first, and how many match."""
        au = t.AuditEntry
        where: list[ColumnElement[bool]] = []
        if person_id is not None:
            where.append(au.subject_person_id == person_id)
        if actor_id is not None:
            where.append(au.actor_id == actor_id)
        if action_prefix:
            where.append(au.action.startswith(action_prefix, autoescape=True))
        if since is not None:
            where.append(au.occurred_at >= _utc(since))
        if school_id is not None:
            where.append(au.school_id == school_id)
        total = await self._s.scalar(select(func.count()).select_from(au).where(*where))
        query = _joined().where(*where).order_by(au.occurred_at.desc(), au.id.desc())
        rows = await self._s.execute(query.limit(limit).offset(offset))
        return [_row(row) for row in rows], int(total or 0)

    async def access_entries(self, pupil_id: int, since: datetime) -> Sequence[AuditRow]:
        """Reads of the pupil's data by anyone but the pupil, and disclosures, newest first."""
        au = t.AuditEntry
        query = _joined().where(
            au.subject_person_id == pupil_id,
            or_(*(au.action.startswith(prefix) for prefix in ACCESS_PREFIXES)),
            or_(au.actor_id.is_(None), au.actor_id != pupil_id),
            au.occurred_at >= _utc(since),
        )
        rows = await self._s.execute(query.order_by(au.occurred_at.desc(), au.id.desc()))
        return [_row(row) for row in rows]

    async def person_by_code(self, personal_code: str) -> int | None:
        """The person with this personal code."""
        found = await self._s.scalar(
            select(t.Person.id).where(t.Person.personal_code == personal_code)
        )
        return None if found is None else int(found)

    async def person_schools(self, person_id: int) -> frozenset[int]:
        """Schools the person is known in: enrolled, staff, a records-office key, a child's."""
        query = union(
            select(t.ClassGroup.school_id)
            .join(t.Enrolment, t.Enrolment.class_id == t.ClassGroup.id)
            .where(t.Enrolment.pupil_id == person_id),
            select(t.StaffRole.school_id).where(t.StaffRole.person_id == person_id),
            select(t.PersonKey.school_id).where(t.PersonKey.person_id == person_id),
            select(t.ClassGroup.school_id)
            .join(t.Enrolment, t.Enrolment.class_id == t.ClassGroup.id)
            .join(t.Guardianship, t.Guardianship.pupil_id == t.Enrolment.pupil_id)
            .where(t.Guardianship.guardian_id == person_id),
        )
        return frozenset(int(school) for school in (await self._s.scalars(query)))

    async def person_data(self, person_id: int) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Every stored row about the person, table by table, as JSON values (no secrets)."""
        tables = t.Base.metadata.tables
        marks = select(tables["marks"].c.id).where(tables["marks"].c.pupil_id == person_id)
        received = select(tables["mail_recipients"].c.message_id).where(
            tables["mail_recipients"].c.person_id == person_id
        )
        chosen: dict[str, ColumnElement[bool]] = {
            "persons": tables["persons"].c.id == person_id,
            "person_keys": tables["person_keys"].c.person_id == person_id,
            "staff_roles": tables["staff_roles"].c.person_id == person_id,
            "accounts": tables["accounts"].c.person_id == person_id,
            "enrolments": tables["enrolments"].c.pupil_id == person_id,
            "guardianships": or_(
                tables["guardianships"].c.pupil_id == person_id,
                tables["guardianships"].c.guardian_id == person_id,
            ),
            "group_members": tables["group_members"].c.pupil_id == person_id,
            "marks": tables["marks"].c.pupil_id == person_id,
            "mark_revisions": tables["mark_revisions"].c.mark_id.in_(marks),
            "period_marks": tables["period_marks"].c.pupil_id == person_id,
            "attendance": tables["attendance"].c.pupil_id == person_id,
            "absence_notes": tables["absence_notes"].c.pupil_id == person_id,
            "mail_messages": or_(
                tables["mail_messages"].c.sender_id == person_id,
                tables["mail_messages"].c.id.in_(received),
            ),
            "mail_recipients": tables["mail_recipients"].c.person_id == person_id,
            "calendar_feeds": or_(
                tables["calendar_feeds"].c.person_id == person_id,
                tables["calendar_feeds"].c.pupil_id == person_id,
            ),
            "broadcast_acks": tables["broadcast_acks"].c.person_id == person_id,
        }
        data: dict[str, list[dict[str, Any]]] = {}
        for name, where in chosen.items():
            data[name] = await self._rows(tables[name], where)
        return data

    async def _rows(self, table: Table, where: ColumnElement[bool]) -> list[dict[str, Any]]:
        hidden = _SECRET_COLUMNS.get(table.name, frozenset())
        columns = [column for column in table.columns if column.name not in hidden]
        query = select(*columns).where(where).order_by(*table.primary_key.columns)
        names = [column.name for column in columns]
        return [
            {name: _json_value(value) for name, value in zip(names, row, strict=True)}
            for row in await self._s.execute(query)
        ]

    async def add_disclosure(
        self,
        *,
        created_at: datetime,
        school_id: int | None,
        person_id: int,
        disclosed_by: int | None,
        actor_role: str,
        basis: str,
        requester: str,
        file_name: str,
        sha256: str,
        rows: int,
    ) -> int:
        """Record a disclosure; returns its id."""
        new_id = await self._s.scalar(
            insert(t.Disclosure)
            .values(
                created_at=created_at,
                school_id=school_id,
                person_id=person_id,
                disclosed_by=disclosed_by,
                actor_role=actor_role,
                basis=basis,
                requester=requester,
                file_name=file_name,
                sha256=sha256,
                rows=rows,
            )
            .returning(t.Disclosure.id)
        )
        return int(new_id or 0)

    async def disclosures(self, school_id: int | None, limit: int) -> Sequence[DisclosureRow]:
        """Disclosures (of one school, or all), newest first."""
        d = t.Disclosure
        person = aliased(t.Person, name="person")
        actor = aliased(t.Person, name="actor")
        query = (
            select(
                d,
                person.given_name.label("person_given"),
                person.family_name.label("person_family"),
                actor.given_name.label("actor_given"),
                actor.family_name.label("actor_family"),
            )
            .outerjoin(person, person.id == d.person_id)
            .outerjoin(actor, actor.id == d.disclosed_by)
            .order_by(d.created_at.desc(), d.id.desc())
            .limit(limit)
        )
        if school_id is not None:
            query = query.where(d.school_id == school_id)
        result = []
        for row in await self._s.execute(query):
            item: t.Disclosure = row[0]
            result.append(
                DisclosureRow(
                    id=int(item.id),
                    created_at=_utc(item.created_at),
                    school_id=item.school_id,
                    person_id=item.person_id,
                    person_name=_name(row.person_given, row.person_family),
                    disclosed_by_name=_name(row.actor_given, row.actor_family),
                    actor_role=item.actor_role,
                    basis=item.basis,
                    requester=item.requester,
                    file_name=item.file_name,
                    sha256=item.sha256,
                    rows=int(item.rows),
                )
            )
        return result


def _joined() -> Select[Any]:
    au = t.AuditEntry
    actor = aliased(t.Person, name="actor")
    subject = aliased(t.Person, name="subject")
    return (
        select(
            au.id,
            au.occurred_at,
            au.actor_id,
            au.actor_role,
            au.action,
            au.entity,
            au.entity_id,
            au.subject_person_id,
            au.before,
            au.after,
            t.School.code.label("school_code"),
            actor.given_name.label("actor_given"),
            actor.family_name.label("actor_family"),
            subject.given_name.label("subject_given"),
            subject.family_name.label("subject_family"),
        )
        .outerjoin(actor, actor.id == au.actor_id)
        .outerjoin(subject, subject.id == au.subject_person_id)
        .outerjoin(t.School, t.School.id == au.school_id)
    )


def _row(row: Row[Any]) -> AuditRow:
    return AuditRow(
        id=int(row.id),
        occurred_at=_utc(row.occurred_at),
        actor_id=row.actor_id,
        actor_name=_name(row.actor_given, row.actor_family),
        actor_role=row.actor_role,
        school_code=row.school_code,
        action=row.action,
        entity=row.entity,
        entity_id=None if row.entity_id is None else int(row.entity_id),
        subject_person_id=None if row.subject_person_id is None else int(row.subject_person_id),
        subject_name=_name(row.subject_given, row.subject_family),
        before=dict(row.before) if row.before is not None else None,
        after=dict(row.after) if row.after is not None else None,
    )
