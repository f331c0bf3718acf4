"""Owns the outbox's SQL: deliveries, cursors, claims under leases, recipients, leader lock.

The only notifications module using SQLAlchemy and core's tables; it decides nothing, never sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.domain.calendar import DayOff, SchoolCalendar, Term
from core.storage import tables as t
from notifications.records import (
    REWRITABLE,
    AbsenceFacts,
    Account,
    BroadcastFacts,
    ClassFacts,
    Completion,
    GroupListFacts,
    GuardianFacts,
    HomeworkFacts,
    JobRun,
    MarkFacts,
    NewDelivery,
    NewsFacts,
    NoteFacts,
    Recipient,
    ReportRow,
    SchoolFacts,
    Status,
    StoredDelivery,
    StoredEvent,
)

D = t.Delivery
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FANOUT_CURSOR = "fanout"
# pg_try_advisory_lock key of the notifications leader ("ejournal" in ASCII, as a bigint).
LEADER_LOCK_KEY = 0x656A6F75726E616C
_ACCOUNT_ORDER = {"active": 0, "unreachable": 1, "unlinked": 2}
_DELIVERY_COLUMNS = (
    D.id,
    D.idempotency_key,
    D.kind,
    D.status,
    D.chat_id,
    D.recipient_id,
    D.payload,
    D.attempts,
    D.not_before,
    D.job,
    D.event_id,
)


_EVENT_COLUMNS = (
    t.DomainEvent.id,
    t.DomainEvent.kind,
    t.DomainEvent.occurred_at,
    t.DomainEvent.school_id,
    t.DomainEvent.actor_id,
    t.DomainEvent.payload,
)


def utc(value: datetime) -> datetime:
    """An instant as aware UTC (SQLite hands back naive UTC values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _delivery(row: Row[Any]) -> StoredDelivery:
    return StoredDelivery(
        id=int(row.id),
        key=str(row.idempotency_key),
        kind=str(row.kind),
        status=Status(row.status),
        chat_id=None if row.chat_id is None else int(row.chat_id),
        recipient_id=None if row.recipient_id is None else int(row.recipient_id),
        payload=dict(row.payload or {}),
        attempts=int(row.attempts),
        not_before=utc(row.not_before),
        job=row.job,
        event_id=None if row.event_id is None else int(row.event_id),
    )


def _class(row: Any) -> ClassFacts:
    teacher = row.class_teacher_id
    return ClassFacts(int(row.id), row.name, None if teacher is None else int(teacher))


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + ":%"


class OutboxTx:
    """The outbox inside one open transaction (fan-out and jobs write through it)."""

    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect

    # ------------------------------------------------------------------ cursors and job runs

    async def cursor(self, name: str, *, lock: bool = False) -> int:
        """A cursor's position (0 when new); ``lock`` holds it until the transaction ends."""
        query = select(t.Cursor.position).where(t.Cursor.name == name)
        if lock and self.dialect == "postgresql":
            await self._insert_cursor(name, 0, _EPOCH)
            query = query.with_for_update()
        position = (await self.conn.execute(query)).scalar_one_or_none()
        return int(position or 0)

    async def _insert_cursor(self, name: str, position: int, now: datetime) -> None:
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        await self.conn.execute(
            insert(t.Cursor)
            .values(name=name, position=position, updated_at=now)
            .on_conflict_do_nothing(index_elements=[t.Cursor.name])
        )

    async def set_cursor(self, name: str, position: int, now: datetime) -> None:
        """Move (or create) a cursor."""
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = insert(t.Cursor).values(name=name, position=position, updated_at=now)
        await self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.Cursor.name],
                set_={"position": stmt.excluded.position, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def job_run(self, name: str, period: str) -> JobRun | None:
        """The bookkeeping of a job's run for a period, if it finished enqueueing."""
        rows = (
            await self.conn.execute(
                select(t.Cursor.name, t.Cursor.position, t.Cursor.updated_at).where(
                    t.Cursor.name.in_([f"job:{name}:{period}", f"done:{name}:{period}"])
                )
            )
        ).all()
        found = {row.name.split(":", 1)[0]: row for row in rows}
        run = found.get("job")
        if run is None:
            return None
        done = found.get("done")
        return JobRun(
            name=name,
            period=period,
            enqueued=int(run.position),
            finished_at=utc(run.updated_at),
            last_sent_at=None if done is None else utc(done.updated_at),
            sent=None if done is None else int(done.position),
        )

    async def record_job_run(self, name: str, period: str, enqueued: int, now: datetime) -> None:
        """Note that a job finished enqueueing for a period."""
        await self.set_cursor(f"job:{name}:{period}", enqueued, now)

    async def add_job_run(self, name: str, period: str, enqueued: int, now: datetime) -> None:
        """Note more deliveries of a run that enqueues in several goes (the digest, per person).

        The count grows, and a run noted finished is open again, so that ``finish_runs`` notes
        when its new last delivery went out.
        """
        run = await self.job_run(name, period)
        await self.set_cursor(f"job:{name}:{period}", enqueued + (run.enqueued if run else 0), now)
        await self.conn.execute(delete(t.Cursor).where(t.Cursor.name == f"done:{name}:{period}"))

    # ------------------------------------------------------------------ events

    async def events_after(self, position: int, limit: int) -> list[StoredEvent]:
        """Events with an id above ``position``, oldest first."""
        e = t.DomainEvent
        rows = await self.conn.execute(
            select(*_EVENT_COLUMNS).where(e.id > position).order_by(e.id).limit(limit)
        )
        return [self._event(row) for row in rows]

    async def events_by_id(self, ids: Iterable[int]) -> list[StoredEvent]:
        """Events with these ids (those that exist)."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        e = t.DomainEvent
        rows = await self.conn.execute(
            select(*_EVENT_COLUMNS).where(e.id.in_(wanted)).order_by(e.id)
        )
        return [self._event(row) for row in rows]

    @staticmethod
    def _event(row: Row[Any]) -> StoredEvent:
        return StoredEvent(
            id=int(row.id),
            kind=row.kind,
            occurred_at=utc(row.occurred_at),
            school_id=row.school_id,
            actor_id=row.actor_id,
            payload=dict(row.payload or {}),
        )

    # ------------------------------------------------------------------ who and what

    async def recipients_of_pupil(self, pupil_id: int) -> tuple[list[Recipient], Recipient | None]:
        """The pupil's guardians (and carers), and the pupil, each with their best account."""
        g, p = t.Guardianship, t.Person
        guardians = (
            await self.conn.execute(
                select(g.guardian_id, g.read_only, p.is_active)
                .join(p, p.id == g.guardian_id)
                .where(g.pupil_id == pupil_id)
                .order_by(g.guardian_id)
            )
        ).all()
        pupil = (
            await self.conn.execute(select(p.id, p.is_active).where(p.id == pupil_id))
        ).one_or_none()
        people = [int(row.guardian_id) for row in guardians]
        if pupil is not None:
            people.append(pupil_id)
        accounts = await self._accounts(people)
        found = [
            Recipient(
                int(row.guardian_id),
                "guardian",
                bool(row.is_active),
                accounts.get(int(row.guardian_id)),
                read_only=bool(row.read_only),
            )
            for row in guardians
        ]
        me = (
            None
            if pupil is None
            else Recipient(pupil_id, "pupil", bool(pupil.is_active), accounts.get(pupil_id))
        )
        return found, me

    async def guardians(self, pupil_ids: Sequence[int]) -> list[GuardianFacts]:
        """Every guardianship of these pupils (carers too), by pupil and guardian."""
        if not pupil_ids:
            return []
        g, p = t.Guardianship, t.Person
        rows = await self.conn.execute(
            select(g.guardian_id, g.pupil_id, g.read_only, p.is_active)
            .join(p, p.id == g.guardian_id)
            .where(g.pupil_id.in_(sorted(set(pupil_ids))))
            .order_by(g.pupil_id, g.guardian_id)
        )
        return [
            GuardianFacts(
                int(row.guardian_id), int(row.pupil_id), bool(row.read_only), bool(row.is_active)
            )
            for row in rows
        ]

    async def accounts(self, person_ids: Sequence[int]) -> dict[int, Account]:
        """Each person's best account (active before unreachable before unlinked, newest first)."""
        return await self._accounts(person_ids)

    async def _accounts(self, person_ids: Sequence[int]) -> dict[int, Account]:
        if not person_ids:
            return {}
        a = t.Account
        rows = (
            await self.conn.execute(
                select(
                    a.id,
                    a.person_id,
                    a.chat_id,
                    a.language,
                    a.status,
                    a.preferences,
                    a.quiet_from,
                    a.quiet_to,
                    a.linked_at,
                ).where(a.person_id.in_(sorted(set(person_ids))))
            )
        ).all()
        best: dict[int, Row[Any]] = {}
        for row in rows:
            rank = (_ACCOUNT_ORDER.get(row.status, 3), -utc(row.linked_at).timestamp())
            held = best.get(row.person_id)
            if held is None or rank < (
                _ACCOUNT_ORDER.get(held.status, 3),
                -utc(held.linked_at).timestamp(),
            ):
                best[row.person_id] = row
        return {
            int(person): Account(
                account_id=int(row.id),
                chat_id=int(row.chat_id),
                language=row.language,
                status=row.status,
                preferences=dict(row.preferences or {}),
                quiet_from=row.quiet_from,
                quiet_to=row.quiet_to,
            )
            for person, row in best.items()
        }

    async def mark_facts(self, mark_id: int) -> MarkFacts | None:
        """The current state of a mark, with what its message may show."""
        m, a, g, s, p, sch = (
            t.Mark,
            t.Assessment,
            t.TeachingGroup,
            t.Subject,
            t.Person,
            t.School,
        )
        row = (
            await self.conn.execute(
                select(
                    m.id,
                    m.pupil_id,
                    m.status,
                    m.value,
                    m.school_id,
                    a.scale,
                    a.on_date,
                    func.coalesce(s.name, g.name).label("subject"),
                    p.given_name,
                    sch.time_zone,
                )
                .join(a, a.id == m.assessment_id)
                .join(g, g.id == a.group_id)
                .outerjoin(s, s.id == g.subject_id)
                .join(p, p.id == m.pupil_id)
                .join(sch, sch.id == m.school_id)
                .where(m.id == mark_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return MarkFacts(
            mark_id=int(row.id),
            pupil_id=int(row.pupil_id),
            pupil_name=row.given_name,
            school_id=int(row.school_id),
            time_zone=row.time_zone,
            subject=row.subject,
            scale=row.scale,
            status=row.status,
            value=row.value,
            on_date=row.on_date,
        )

    async def absence_facts(self, attendance_id: int) -> AbsenceFacts | None:
        """The current state of an attendance mark, with what its message may show."""
        at, les, g, s, p, sch = (
            t.Attendance,
            t.Lesson,
            t.TeachingGroup,
            t.Subject,
            t.Person,
            t.School,
        )
        row = (
            await self.conn.execute(
                select(
                    at.id,
                    at.pupil_id,
                    at.code,
                    at.justification,
                    at.on_date,
                    at.school_id,
                    les.period,
                    func.coalesce(s.name, g.name).label("subject"),
                    p.given_name,
                    sch.time_zone,
                    sch.policy,
                )
                .join(les, les.id == at.lesson_id)
                .join(g, g.id == les.group_id)
                .outerjoin(s, s.id == g.subject_id)
                .join(p, p.id == at.pupil_id)
                .join(sch, sch.id == at.school_id)
                .where(at.id == attendance_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return AbsenceFacts(
            attendance_id=int(row.id),
            pupil_id=int(row.pupil_id),
            pupil_name=row.given_name,
            school_id=int(row.school_id),
            time_zone=row.time_zone,
            subject=row.subject,
            on_date=row.on_date,
            period=int(row.period),
            code=row.code,
            policy=dict(row.policy or {}),
            justification=row.justification,
        )

    # ------------------------------------------------------------------ schools and news

    async def schools(self) -> list[SchoolFacts]:
        """Every school, by id."""
        s = t.School
        rows = await self.conn.execute(select(s.id, s.name, s.time_zone, s.locale).order_by(s.id))
        return [SchoolFacts(int(r.id), r.name, r.time_zone, r.locale) for r in rows]

    async def school(self, school_id: int) -> SchoolFacts | None:
        """One school."""
        s = t.School
        row = (
            await self.conn.execute(
                select(s.id, s.name, s.time_zone, s.locale).where(s.id == school_id)
            )
        ).one_or_none()
        return (
            None if row is None else SchoolFacts(int(row.id), row.name, row.time_zone, row.locale)
        )

    async def calendar(self, school_id: int, on: date) -> SchoolCalendar | None:
        """The calendar of the school's year that contains ``on`` (None outside every year)."""
        y = t.SchoolYear
        year = (
            await self.conn.execute(
                select(
                    y.id, y.starts_on, y.ends_on, y.school_weekdays, y.cycle_weeks, y.end_by_grade
                )
                .where(y.school_id == school_id, y.starts_on <= on, y.ends_on >= on)
                .order_by(y.starts_on.desc())
                .limit(1)
            )
        ).one_or_none()
        if year is None:
            return None
        terms = await self.conn.execute(
            select(t.Term.number, t.Term.starts_on, t.Term.ends_on)
            .where(t.Term.school_year_id == year.id)
            .order_by(t.Term.number)
        )
        days_off = await self.conn.execute(
            select(t.DayOff.starts_on, t.DayOff.ends_on, t.DayOff.name, t.DayOff.grades)
            .where(t.DayOff.school_year_id == year.id)
            .order_by(t.DayOff.id)
        )
        return SchoolCalendar(
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            terms=tuple(Term(int(r.number), r.starts_on, r.ends_on) for r in terms),
            days_off=tuple(
                DayOff(
                    r.starts_on,
                    r.ends_on,
                    r.name,
                    frozenset(int(g) for g in r.grades.split(",") if g.strip())
                    if r.grades
                    else None,
                )
                for r in days_off
            ),
            school_weekdays=frozenset(
                int(day) for day in str(year.school_weekdays).split(",") if day.strip()
            ),
            cycle_weeks=int(year.cycle_weeks),
            end_by_grade=tuple(
                sorted(
                    (int(g), date.fromisoformat(str(d)))
                    for g, d in (year.end_by_grade or {}).items()
                )
            ),
        )

    async def published_changes(self, school_id: int, on: date) -> int:
        """How many timetable changes of a school's date are published."""
        c = t.TimetableChange
        value = (
            await self.conn.execute(
                select(func.count()).where(
                    c.school_id == school_id, c.on_date == on, c.status == "published"
                )
            )
        ).scalar_one()
        return int(value or 0)

    async def staff_with_role(self, school_id: int, role: str) -> list[int]:
        """Active people holding an active staff role in a school, by id."""
        r, p = t.StaffRole, t.Person
        rows = await self.conn.execute(
            select(r.person_id)
            .join(p, p.id == r.person_id)
            .where(r.school_id == school_id, r.role == role, r.is_active.is_(True))
            .where(p.is_active.is_(True))
            .distinct()
            .order_by(r.person_id)
        )
        return [int(person) for person in rows.scalars()]

    async def school_people(self, school_id: int, on: date) -> list[int]:
        """Everyone of a school on a date: active staff, enrolled pupils and their guardians.

        Only active people, each once, by id.
        """
        r, e, g, p = t.StaffRole, t.Enrolment, t.Guardianship, t.Person
        enrolled = (
            select(e.pupil_id)
            .where(e.school_id == school_id, e.starts_on <= on)
            .where(or_(e.ends_on.is_(None), e.ends_on >= on))
        )
        staff = select(r.person_id.label("person_id")).where(
            r.school_id == school_id, r.is_active.is_(True)
        )
        pupils = enrolled.with_only_columns(e.pupil_id.label("person_id"))
        guardians = select(g.guardian_id.label("person_id")).where(
            g.pupil_id.in_(enrolled.scalar_subquery())
        )
        people = staff.union(pupils, guardians).subquery()
        rows = await self.conn.execute(
            select(people.c.person_id)
            .join(p, p.id == people.c.person_id)
            .where(p.is_active.is_(True))
            .order_by(people.c.person_id)
        )
        return [int(person) for person in rows.scalars()]

    async def given_names(self, person_ids: Sequence[int]) -> dict[int, str]:
        """People's given names (what a guardian's message calls the child)."""
        if not person_ids:
            return {}
        p = t.Person
        rows = await self.conn.execute(
            select(p.id, p.given_name).where(p.id.in_(sorted(set(person_ids))))
        )
        return {int(row.id): row.given_name for row in rows}

    async def news_post(self, post_id: int) -> NewsFacts | None:
        """A School news post."""
        n = t.NewsPost
        row = (
            await self.conn.execute(
                select(
                    n.id, n.school_id, n.author_id, n.kind, n.title, n.body, n.published_at
                ).where(n.id == post_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return NewsFacts(
            post_id=int(row.id),
            school_id=int(row.school_id),
            author_id=None if row.author_id is None else int(row.author_id),
            kind=row.kind,
            title=row.title,
            body=row.body,
            published=row.published_at is not None,
        )

    async def broadcast_facts(self, broadcast_id: int) -> BroadcastFacts | None:
        """A staff broadcast with its school, its sender's name and its stored recipients."""
        b, s, p = t.Broadcast, t.School, t.Person
        row = (
            await self.conn.execute(
                select(
                    b.id,
                    b.school_id,
                    b.text,
                    b.file_id,
                    b.ask_ack,
                    b.urgent,
                    b.recipient_ids,
                    s.name.label("school_name"),
                    s.time_zone,
                    s.locale,
                    p.given_name,
                    p.family_name,
                )
                .join(s, s.id == b.school_id)
                .outerjoin(p, p.id == b.author_id)
                .where(b.id == broadcast_id)
            )
        ).one_or_none()
        if row is None:
            return None
        author = None if row.given_name is None else f"{row.given_name} {row.family_name}"
        return BroadcastFacts(
            broadcast_id=int(row.id),
            school_id=int(row.school_id),
            school_name=row.school_name,
            time_zone=row.time_zone,
            locale=row.locale,
            author_name=author,
            text=row.text,
            file_id=None if row.file_id is None else int(row.file_id),
            ask_ack=bool(row.ask_ack),
            urgent=bool(row.urgent),
            recipient_ids=tuple(sorted({int(person) for person in row.recipient_ids or ()})),
        )

    # ------------------------------------------------------------------ homework

    async def homework_facts(self, lesson_id: int) -> HomeworkFacts | None:
        """A lesson's current homework with its subject and the school's zone."""
        les, g, s, sch = t.Lesson, t.TeachingGroup, t.Subject, t.School
        row = (
            await self.conn.execute(
                select(
                    les.id,
                    les.group_id,
                    les.school_id,
                    les.on_date,
                    les.homework,
                    les.homework_due_on,
                    func.coalesce(s.name, g.name).label("subject"),
                    sch.time_zone,
                )
                .join(g, g.id == les.group_id)
                .outerjoin(s, s.id == g.subject_id)
                .join(sch, sch.id == les.school_id)
                .where(les.id == lesson_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return HomeworkFacts(
            lesson_id=int(row.id),
            group_id=int(row.group_id),
            school_id=int(row.school_id),
            time_zone=row.time_zone,
            subject=row.subject,
            on_date=row.on_date,
            homework=row.homework,
            due_on=row.homework_due_on,
        )

    async def group_pupils(self, group_id: int, on: date) -> dict[int, str]:
        """The group's pupils on a date (its list), id → given name, by id."""
        gm, p = t.GroupMember, t.Person
        rows = await self.conn.execute(
            select(p.id, p.given_name)
            .join(gm, gm.pupil_id == p.id)
            .where(gm.group_id == group_id, gm.starts_on <= on)
            .where(or_(gm.ends_on.is_(None), gm.ends_on >= on))
            .order_by(p.id)
        )
        return {int(row.id): row.given_name for row in rows}

    # ------------------------------------------------------------------ notes and pupil lists

    async def note_covers(self, pupil_id: int, on: date) -> bool:
        """Whether a submitted or accepted absence note of the pupil covers the date."""
        n = t.AbsenceNote
        found = (
            await self.conn.execute(
                select(n.id)
                .where(n.pupil_id == pupil_id, n.starts_on <= on, n.ends_on >= on)
                .where(n.status.in_(("submitted", "accepted")))
                .limit(1)
            )
        ).scalar_one_or_none()
        return found is not None

    async def note_facts(self, note_id: int) -> NoteFacts | None:
        """An absence note with its pupil's names and its school (None once withdrawn)."""
        n, p, s = t.AbsenceNote, t.Person, t.School
        row = (
            await self.conn.execute(
                select(
                    n.id,
                    n.school_id,
                    n.pupil_id,
                    n.starts_on,
                    n.ends_on,
                    n.status,
                    n.submitted_by,
                    n.decided_by,
                    n.decision_reason,
                    p.given_name,
                    p.family_name,
                    s.time_zone,
                    s.locale,
                )
                .join(p, p.id == n.pupil_id)
                .join(s, s.id == n.school_id)
                .where(n.id == note_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return NoteFacts(
            note_id=int(row.id),
            school_id=int(row.school_id),
            time_zone=row.time_zone,
            locale=row.locale,
            pupil_id=int(row.pupil_id),
            pupil_given_name=row.given_name,
            pupil_family_name=row.family_name,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            status=row.status,
            submitted_by=None if row.submitted_by is None else int(row.submitted_by),
            decided_by=None if row.decided_by is None else int(row.decided_by),
            decision_reason=row.decision_reason,
        )

    async def class_facts(self, class_id: int) -> ClassFacts | None:
        """A class's name and class teacher."""
        c = t.ClassGroup
        row = (
            await self.conn.execute(
                select(c.id, c.name, c.class_teacher_id).where(c.id == class_id)
            )
        ).one_or_none()
        return None if row is None else _class(row)

    async def pupil_class(self, pupil_id: int, school_id: int, on: date) -> ClassFacts | None:
        """The class a pupil is enrolled in at a school on a date."""
        c, e = t.ClassGroup, t.Enrolment
        row = (
            await self.conn.execute(
                select(c.id, c.name, c.class_teacher_id)
                .join(e, e.class_id == c.id)
                .where(e.pupil_id == pupil_id, e.school_id == school_id, e.starts_on <= on)
                .where(or_(e.ends_on.is_(None), e.ends_on >= on))
                .order_by(e.starts_on.desc())
                .limit(1)
            )
        ).one_or_none()
        return None if row is None else _class(row)

    async def group_list_facts(self, submission_id: int) -> GroupListFacts | None:
        """A submitted pupil list with its group's and submitter's names."""
        gl, g, p, s = t.GroupListSubmission, t.TeachingGroup, t.Person, t.School
        row = (
            await self.conn.execute(
                select(
                    gl.id,
                    gl.school_id,
                    gl.pupil_ids,
                    gl.status,
                    gl.submitted_by,
                    gl.reason,
                    g.name.label("group_name"),
                    p.given_name,
                    p.family_name,
                    s.time_zone,
                    s.locale,
                )
                .join(g, g.id == gl.group_id)
                .join(s, s.id == gl.school_id)
                .outerjoin(p, p.id == gl.submitted_by)
                .where(gl.id == submission_id)
            )
        ).one_or_none()
        if row is None:
            return None
        submitter = (
            None if row.given_name is None else f"{row.given_name} {row.family_name}".strip()
        )
        return GroupListFacts(
            submission_id=int(row.id),
            school_id=int(row.school_id),
            time_zone=row.time_zone,
            locale=row.locale,
            group_name=row.group_name,
            pupils=len(row.pupil_ids or ()),
            status=row.status,
            submitted_by=None if row.submitted_by is None else int(row.submitted_by),
            submitter_name=submitter,
            reason=row.reason,
        )

    async def active_people(self, person_ids: Sequence[int]) -> set[int]:
        """Which of these people are active."""
        if not person_ids:
            return set()
        p = t.Person
        rows = await self.conn.execute(
            select(p.id).where(p.id.in_(sorted(set(person_ids))), p.is_active.is_(True))
        )
        return {int(person) for person in rows.scalars()}

    # ------------------------------------------------------------------ writing deliveries

    async def enqueue(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        """Write deliveries; a key already present is skipped. Returns how many were new."""
        if not deliveries:
            return 0
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        rows = [
            {
                "idempotency_key": d.key,
                "event_id": d.event_id,
                "job": d.job,
                "kind": d.kind,
                "recipient_id": d.recipient_id,
                "chat_id": d.chat_id,
                "payload": dict(d.payload),
                "status": d.status.value,
                "not_before": utc(d.not_before),
                "attempts": 0,
                "created_at": utc(now),
            }
            for d in deliveries
        ]
        stmt = insert(D).on_conflict_do_nothing(index_elements=[D.idempotency_key]).returning(D.id)
        result = await self.conn.execute(stmt, rows)
        return len(result.all())

    async def by_keys(self, keys: Sequence[str]) -> list[StoredDelivery]:
        """Deliveries with these idempotency keys."""
        if not keys:
            return []
        rows = await self.conn.execute(
            select(*_DELIVERY_COLUMNS).where(D.idempotency_key.in_(list(keys))).order_by(D.id)
        )
        return [_delivery(row) for row in rows]

    async def rewrite(self, delivery_id: int, payload: Mapping[str, Any]) -> bool:
        """Replace the payload of a delivery nobody has picked up yet; False if it is too late."""
        result = await self.conn.execute(
            update(D)
            .where(D.id == delivery_id, D.status.in_([s.value for s in REWRITABLE]))
            .values(payload=dict(payload))
        )
        return bool(getattr(result, "rowcount", 0))

    async def digest_items(self, until: datetime) -> list[StoredDelivery]:
        """Items waiting for a digest, by recipient and chat, oldest first."""
        rows = await self.conn.execute(
            select(*_DELIVERY_COLUMNS)
            .where(D.status == Status.DIGEST.value, D.not_before <= utc(until))
            .order_by(D.recipient_id, D.chat_id, D.id)
        )
        return [_delivery(row) for row in rows]

    async def merge(self, ids: Sequence[int]) -> int:
        """Mark digest items as folded into a digest message."""
        if not ids:
            return 0
        result = await self.conn.execute(
            update(D)
            .where(D.id.in_(list(ids)), D.status == Status.DIGEST.value)
            .values(status=Status.MERGED.value)
        )
        return int(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class JobProgress:
    """How a job run's deliveries stand."""

    pending: int
    sent: int
    last_sent_at: datetime | None


class LeaderLock:
    """Leadership among processes: a PostgreSQL advisory lock held on a dedicated connection.

    On SQLite there is one process by design, so it always leads.
    """

    def __init__(self, engine: AsyncEngine, key: int = LEADER_LOCK_KEY) -> None:
        self._engine = engine
        self._key = key - (1 << 64) if key >= (1 << 63) else key
        self._conn: AsyncConnection | None = None
        self.held = False

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    async def acquire(self) -> bool:
        """Try to become the leader (never waits)."""
        if not self._postgres:
            self.held = True
            return True
        if self.held:
            return await self.alive()
        if self._conn is None:
            conn = await self._engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = (
            await self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
        ).scalar_one()
        self.held = bool(got)
        return self.held

    async def alive(self) -> bool:
        """Whether the lock's connection still works (a lost connection loses the lock)."""
        if not self._postgres:
            return self.held
        if self._conn is None or not self.held:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
        except Exception:
            self.held = False
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        """Give up leadership and the connection."""
        if self._postgres and self._conn is not None and self.held:
            try:
                await self._conn.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
            except Exception:
                self.held = False
        self.held = False
        await self._drop()

    async def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()


class Outbox:
    """The outbox on one engine: each method is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[OutboxTx]:
        """One transaction, committed when the block ends without an error."""
        async with self.engine.begin() as conn:
            yield OutboxTx(conn, self.dialect)

    async def ready(self) -> bool:
        """Whether the database has the outbox tables (the schema was upgraded)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(select(D.id).limit(1))
        except Exception:
            return False
        return True

    def leader_lock(self, key: int = LEADER_LOCK_KEY) -> LeaderLock:
        """A leader lock on this database."""
        return LeaderLock(self.engine, key)

    async def enqueue(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        """Write deliveries in one transaction; returns how many were new."""
        async with self.transaction() as tx:
            return await tx.enqueue(deliveries, now)

    # ------------------------------------------------------------------ claims

    def _due(self, now: datetime, limit: int) -> Select[int]:
        due = (
            select(D.id)
            .where(
                or_(
                    and_(D.status == Status.QUEUED.value, D.not_before <= now),
                    and_(D.status == Status.SENDING.value, D.lease_until < now),
                )
            )
            .order_by(D.not_before, D.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        return due

    async def claim(
        self, *, now: datetime, limit: int, lease_until: datetime
    ) -> list[StoredDelivery]:
        """Claim up to ``limit`` due deliveries (or ones whose lease ran out) in one statement.

        PostgreSQL skips rows other workers hold (``FOR UPDATE SKIP LOCKED``); on SQLite the
        single ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)`` runs alone. Claimed rows are
        ``sending`` until ``lease_until``; after that anyone may claim them again.
        """
        now = utc(now)
        async with self.engine.begin() as conn:
            rows = await conn.execute(
                update(D)
                .where(D.id.in_(self._due(now, limit)))
                .values(status=Status.SENDING.value, lease_until=utc(lease_until))
                .returning(*_DELIVERY_COLUMNS)
            )
            claimed = [_delivery(row) for row in rows]
        claimed.sort(key=lambda d: (d.not_before, d.id))
        return claimed

    async def release(self, ids: Sequence[int], *, not_before: datetime) -> int:
        """Hand claimed deliveries back unsent (a stopping worker, a long per-chat wait)."""
        if not ids:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(D)
                .where(D.id.in_(list(ids)), D.status == Status.SENDING.value)
                .values(status=Status.QUEUED.value, lease_until=None, not_before=utc(not_before))
            )
            return int(getattr(result, "rowcount", 0))

    async def record(self, completions: Sequence[Completion]) -> None:
        """Write what workers learnt, all in one transaction (a group commit)."""
        if not completions:
            return
        async with self.engine.begin() as conn:
            sent = [c for c in completions if c.status is Status.SENT]
            if sent:
                await conn.execute(
                    update(D)
                    .where(
                        D.id == bindparam("b_id"),
                        # No IN (...) here: expanding parameters do not work with executemany.
                        or_(D.status == Status.SENDING.value, D.status == Status.QUEUED.value),
                    )
                    .values(status=Status.SENT.value, sent_at=bindparam("b_at"), lease_until=None),
                    [{"b_id": c.delivery_id, "b_at": utc(c.at)} for c in sent],
                )
            for c in completions:
                if c.status is not Status.SENT:
                    await self._apply(conn, c)
            await self._remember_mail(conn, completions)

    async def _remember_mail(
        self, conn: AsyncConnection, completions: Sequence[Completion]
    ) -> None:
        """Which Telegram messages carried which mail message: a reply to one maps back to it."""
        rows = [
            {
                "message_id": c.mail.mail_message_id,
                "person_id": c.mail.person_id,
                "chat_id": c.mail.chat_id,
                "telegram_message_id": telegram_id,
                "created_at": utc(c.at),
            }
            for c in completions
            if c.mail is not None
            for telegram_id in c.mail.message_ids
        ]
        if not rows:
            return
        m = t.MailChatMessage
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        await conn.execute(
            insert(m)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[m.chat_id, m.telegram_message_id])
        )

    async def _apply(self, conn: AsyncConnection, c: Completion) -> None:
        values: dict[str, Any] = {"status": c.status.value}
        if c.status is Status.SENDING:
            values = {} if c.not_before is None else {"lease_until": utc(c.not_before)}
        else:
            values["lease_until"] = None
        if c.not_before is not None and c.status is Status.QUEUED:
            values["not_before"] = utc(c.not_before)
        if c.attempts is not None:
            values["attempts"] = c.attempts
        if c.last_error is not None:
            values["last_error"] = c.last_error[:500]
        if c.payload is not None:
            values["payload"] = dict(c.payload)
        if c.new_chat_id is not None:
            values["chat_id"] = c.new_chat_id
        if values:
            await conn.execute(
                update(D)
                .where(D.id == c.delivery_id, D.status == Status.SENDING.value)
                .values(**values)
            )
        a = t.Account
        if c.status is Status.UNREACHABLE and c.chat_id is not None:
            await conn.execute(
                update(a)
                .where(a.chat_id == c.chat_id, a.status == "active")
                .values(status="unreachable")
            )
            # Stop: the rest of this chat's queue would only bounce off the same 403.
            await conn.execute(
                update(D)
                .where(D.chat_id == c.chat_id, D.status == Status.QUEUED.value)
                .values(status=Status.UNREACHABLE.value, last_error=(c.last_error or "")[:500])
            )
        if c.new_chat_id is not None and c.chat_id is not None:
            await conn.execute(
                update(a).where(a.chat_id == c.chat_id).values(chat_id=c.new_chat_id)
            )
            await conn.execute(
                update(D)
                .where(
                    D.chat_id == c.chat_id,
                    D.status.in_([Status.QUEUED.value, Status.SENDING.value]),
                )
                .values(chat_id=c.new_chat_id)
            )

    # ------------------------------------------------------------------ accounts and files

    async def file(self, file_id: int) -> tuple[str, bytes] | None:
        """A stored file's name and bytes (documents go by sendDocument)."""
        f = t.StoredFile
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(f.filename, f.content).where(f.id == file_id))
            ).one_or_none()
        return None if row is None else (row.filename, bytes(row.content))

    # ------------------------------------------------------------------ reports and job runs

    async def report(
        self, *, job: str | None = None, since: datetime | None = None
    ) -> list[ReportRow]:
        """Counts per job run (or per event kind when a delivery has no job)."""
        name = func.coalesce(D.job, D.kind).label("name")
        query = select(
            name,
            D.status,
            func.count().label("n"),
            func.min(D.sent_at).label("first"),
            func.max(D.sent_at).label("last"),
        ).group_by(name, D.status)
        if job is not None:
            query = query.where(or_(D.job == job, D.job.like(_like_prefix(job), escape="\\")))
        if since is not None:
            query = query.where(D.created_at >= utc(since))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            names = sorted({str(row.name) for row in rows})
            finished = {
                str(row.name).removeprefix("done:"): utc(row.updated_at)
                for row in await conn.execute(
                    select(t.Cursor.name, t.Cursor.updated_at).where(
                        t.Cursor.name.in_([f"done:{name}" for name in names])
                    )
                )
            }
        return _report_rows(rows, finished)

    async def job_run(self, name: str, period: str) -> JobRun | None:
        """A job run's bookkeeping."""
        async with self.transaction() as tx:
            return await tx.job_run(name, period)

    async def open_job_runs(self) -> list[tuple[str, str]]:
        """(job, period) of runs that enqueued but have not been seen finished."""
        c = t.Cursor
        async with self.engine.connect() as conn:
            names = (
                await conn.execute(
                    select(c.name).where(or_(c.name.like("job:%"), c.name.like("done:%")))
                )
            ).scalars()
            known = set(names)
        runs = []
        for cursor in sorted(known):
            kind, _, rest = cursor.partition(":")
            job, _, period = rest.rpartition(":")
            if kind == "job" and f"done:{rest}" not in known and job:
                runs.append((job, period))
        return runs

    async def job_progress(self, label: str) -> JobProgress:
        """Deliveries of one job run (``job`` column = ``<name>:<period>``) by state."""
        active = [Status.QUEUED.value, Status.SENDING.value]
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.count().filter(D.status.in_(active)).label("pending"),
                        func.count().filter(D.status == Status.SENT.value).label("sent"),
                        func.max(D.sent_at).label("last"),
                    ).where(D.job == label)
                )
            ).one()
        return JobProgress(int(row.pending or 0), int(row.sent or 0), _maybe_utc(row.last))

    async def job_outcomes(self, label: str) -> list[tuple[str, Status]]:
        """(idempotency key, status) of every delivery of one job run, by id."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(D.idempotency_key, D.status).where(D.job == label).order_by(D.id)
                )
            ).all()
        return [(str(row.idempotency_key), Status(row.status)) for row in rows]

    async def record_job_done(
        self, name: str, period: str, *, sent: int, last_sent_at: datetime
    ) -> None:
        """Note when a job run's last delivery went out."""
        async with self.transaction() as tx:
            await tx.set_cursor(f"done:{name}:{period}", sent, last_sent_at)

    async def status_counts(self, *, job: str | None = None) -> dict[Status, int]:
        """How many deliveries are in each state (all, or one job run)."""
        query = select(D.status, func.count()).group_by(D.status)
        if job is not None:
            query = query.where(D.job == job)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {Status(status): int(n) for status, n in rows}

    async def digest_pending(self, until: datetime) -> int:
        """How many people have items waiting for a digest."""
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(func.count(func.distinct(D.chat_id))).where(
                        D.status == Status.DIGEST.value, D.not_before <= utc(until)
                    )
                )
            ).scalar_one()
        return int(value or 0)

    # ------------------------------------------------------------------ status (ejournal status)

    async def backlog(self, *, now: datetime, since: datetime) -> Backlog:
        """What waits to be sent at ``now``, and what of the deliveries since ``since`` failed.

        Pending: queued or being sent. Due: pending whose ``not_before`` has come (one held for
        quiet hours or a pause is not late). Failures count deliveries created since ``since``.
        """
        now, since = utc(now), utc(since)
        pending = D.status.in_([Status.QUEUED.value, Status.SENDING.value])
        due = and_(pending, D.not_before <= now)
        recent = D.created_at >= since
        query = select(
            func.count().filter(pending).label("pending"),
            func.count().filter(due).label("due"),
            func.min(D.not_before).filter(due).label("oldest"),
            func.count().filter(recent, D.status == Status.FAILED.value).label("failed"),
            func.count().filter(recent, D.status == Status.UNREACHABLE.value).label("gone"),
        ).where(or_(pending, recent))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return Backlog(
            pending=int(row.pending or 0),
            due=int(row.due or 0),
            oldest_due=_maybe_utc(row.oldest),
            failed=int(row.failed or 0),
            unreachable=int(row.gone or 0),
        )

    async def leader_present(self, key: int = LEADER_LOCK_KEY) -> bool | None:
        """Whether some session holds the leader's advisory lock (``pg_locks``); None on SQLite.

        Reads only: the lock is never tried, so a leader election is not disturbed.
        """
        if self.dialect != "postgresql":
            return None
        unsigned = key & ((1 << 64) - 1)  # a bigint key is split into classid and objid
        query = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = :high AND objid = :low AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        async with self.engine.connect() as conn:
            held = (
                await conn.execute(query, {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF})
            ).scalar_one()
        return bool(held)


def _report_rows(rows: Sequence[Any], finished: Mapping[str, datetime]) -> list[ReportRow]:
    by_name: dict[str, dict[str, Any]] = {}
    for row in rows:
        status = Status(row.status)
        if status is Status.MERGED:
            continue
        entry = by_name.setdefault(row.name, {"name": row.name})
        entry[status.value] = entry.get(status.value, 0) + int(row.n)
        if status is Status.SENT:
            entry["first_sent_at"] = _maybe_utc(row.first)
            entry["last_sent_at"] = _maybe_utc(row.last)
    for name, entry in by_name.items():
        entry["finished_at"] = finished.get(name)
    return [ReportRow(**entry) for _, entry in sorted(by_name.items())]


def day_start(day: date, zone: Any) -> datetime:
    """Midnight of ``day`` in ``zone``, as UTC (for ``--since`` filters)."""
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Backlog:
    """The outbox at a glance (``Outbox.backlog``): for ``ejournal status``."""

    pending: int  # queued or being sent
    due: int  # pending whose time has come
    oldest_due: datetime | None  # the ``not_before`` of the longest-waiting due delivery
    failed: int  # since the given instant: gave up
    unreachable: int  # since the given instant: the recipient blocked the bot or left
