"""SQL journal mail: threads, messages, read marks, reports, suspensions, facts for contacts.

Never commits. A message's attachment is a ``files`` row holding the bytes. ``mail_chat_messages``
(written by the notifications engine once a delivery is sent) maps a Telegram message in a
recipient's chat back to the mail message it carried.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.access import Role
from core.domain.mail import (
    InboxRow,
    MailFile,
    MailPerson,
    MessageRow,
    PupilPlace,
    RecipientRow,
    ReportRow,
    StaffMember,
    SuspensionRow,
    ThreadRow,
)
from core.domain.news import FileContent
from core.storage import tables as t
from core.storage.invites import utc

_ROLES = {role.value: role for role in Role}


def _person(person_id: int, given: str, family: str) -> MailPerson:
    return MailPerson(int(person_id), given, family)


def _thread(row: t.MailThread) -> ThreadRow:
    return ThreadRow(
        thread_id=int(row.id),
        school_id=int(row.school_id),
        subject=row.subject,
        about_pupil_id=row.about_pupil_id,
        created_by=row.created_by,
        created_at=utc(row.created_at),
    )


class SqlMail:
    """Implements core.ports.MailRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # ------------------------------------------------------------------ facts for contacts

    async def staff_members(self, school_id: int) -> Sequence[StaffMember]:
        """Active people with their active staff roles in a school, by id."""
        p, r = t.Person, t.StaffRole
        rows = await self._s.execute(
            select(p.id, p.given_name, p.family_name, r.role)
            .join(r, r.person_id == p.id)
            .where(r.school_id == school_id, r.is_active.is_(True), p.is_active.is_(True))
            .order_by(p.id)
        )
        people: dict[int, MailPerson] = {}
        roles: dict[int, set[Role]] = {}
        for person_id, given, family, role in rows:
            people.setdefault(person_id, _person(person_id, given, family))
            if role in _ROLES:
                roles.setdefault(person_id, set()).add(_ROLES[role])
        return [StaffMember(people[pid], frozenset(roles.get(pid, ()))) for pid in people]

    async def pupil_place(self, pupil_id: int, on: date) -> PupilPlace | None:
        """The pupil's current class (the latest enrolment running on ``on``) and teachers."""
        p, e = t.Person, t.Enrolment
        row = (
            await self._s.execute(
                select(p.id, p.given_name, p.family_name, e.school_id, e.class_id)
                .join(e, e.pupil_id == p.id)
                .where(
                    p.id == pupil_id,
                    p.is_active.is_(True),
                    e.starts_on <= on,
                    or_(e.ends_on.is_(None), e.ends_on >= on),
                )
                .order_by(e.starts_on.desc(), e.id.desc())
                .limit(1)
            )
        ).one_or_none()
        if row is None:
            return None
        g, gm, gt, s = t.TeachingGroup, t.GroupMember, t.GroupTeacher, t.Subject
        taught = await self._s.execute(
            select(gt.teacher_id, func.coalesce(s.name, g.name))
            .join(g, g.id == gt.group_id)
            .join(gm, gm.group_id == g.id)
            .outerjoin(s, s.id == g.subject_id)
            .where(
                gm.pupil_id == pupil_id,
                g.school_id == row.school_id,
                gm.starts_on <= on,
                or_(gm.ends_on.is_(None), gm.ends_on >= on),
            )
            .order_by(gt.teacher_id, func.coalesce(s.name, g.name))
        )
        teachers: dict[int, list[str]] = {}
        for teacher_id, subject in taught:
            found = teachers.setdefault(int(teacher_id), [])
            if subject not in found:
                found.append(subject)
        return PupilPlace(
            pupil=_person(row.id, row.given_name, row.family_name),
            school_id=int(row.school_id),
            class_id=int(row.class_id),
            teachers={teacher: tuple(subjects) for teacher, subjects in teachers.items()},
        )

    async def taught_pupils(self, teacher_id: int, school_id: int, on: date) -> frozenset[int]:
        """Pupils in the teacher's groups of a school on a date."""
        g, gm, gt = t.TeachingGroup, t.GroupMember, t.GroupTeacher
        rows = await self._s.scalars(
            select(gm.pupil_id)
            .join(gt, gt.group_id == gm.group_id)
            .join(g, g.id == gm.group_id)
            .where(
                gt.teacher_id == teacher_id,
                g.school_id == school_id,
                gm.starts_on <= on,
                or_(gm.ends_on.is_(None), gm.ends_on >= on),
            )
            .distinct()
        )
        return frozenset(int(pupil) for pupil in rows)

    async def people(self, person_ids: Collection[int]) -> Mapping[int, MailPerson]:
        """Names of people by id (inactive people too)."""
        if not person_ids:
            return {}
        p = t.Person
        rows = await self._s.execute(
            select(p.id, p.given_name, p.family_name).where(p.id.in_(sorted(person_ids)))
        )
        return {int(pid): _person(pid, given, family) for pid, given, family in rows}

    async def active_people(self, person_ids: Collection[int]) -> frozenset[int]:
        """Those of these people who are active."""
        if not person_ids:
            return frozenset()
        rows = await self._s.scalars(
            select(t.Person.id).where(
                t.Person.id.in_(sorted(person_ids)), t.Person.is_active.is_(True)
            )
        )
        return frozenset(int(pid) for pid in rows)

    # ------------------------------------------------------------------ writing

    async def add_thread(
        self,
        *,
        school_id: int,
        subject: str,
        about_pupil_id: int | None,
        created_by: int | None,
        now: datetime,
    ) -> int:
        """Start a thread; its id."""
        row = t.MailThread(
            school_id=school_id,
            subject=subject,
            about_pupil_id=about_pupil_id,
            created_by=created_by,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return int(row.id)

    async def add_message(
        self,
        *,
        thread_id: int,
        sender_id: int | None,
        reply_to_id: int | None,
        body: str,
        file_id: int | None,
        recipients: Collection[int],
        now: datetime,
    ) -> int:
        """Store a message and its recipients (unread); its id."""
        row = t.MailMessage(
            thread_id=thread_id,
            sender_id=sender_id,
            reply_to_id=reply_to_id,
            body=body,
            file_id=file_id,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        self._s.add_all(
            t.MailRecipient(message_id=row.id, person_id=person, read_at=None)
            for person in sorted(set(recipients))
        )
        await self._s.flush()
        return int(row.id)

    async def mark_read(self, person_id: int, message_ids: Collection[int], now: datetime) -> None:
        """Record that the person read these messages (those already read keep their time)."""
        if not message_ids:
            return
        r = t.MailRecipient
        await self._s.execute(
            update(r)
            .where(
                r.person_id == person_id,
                r.message_id.in_(sorted(message_ids)),
                r.read_at.is_(None),
            )
            .values(read_at=now)
        )

    # ------------------------------------------------------------------ reading

    async def thread(self, thread_id: int) -> ThreadRow | None:
        """A thread by id."""
        row = await self._s.get(t.MailThread, thread_id)
        return _thread(row) if row is not None else None

    def _messages(self) -> Any:
        m, th, p, f = t.MailMessage, t.MailThread, t.Person, t.StoredFile
        return (
            select(
                m,
                th,
                p.given_name,
                p.family_name,
                f.filename,
                f.mime_type,
                f.size,
            )
            .join(th, th.id == m.thread_id)
            .outerjoin(p, p.id == m.sender_id)
            .outerjoin(f, f.id == m.file_id)
        )

    @staticmethod
    def _message(row: Any) -> MessageRow:
        message, thread, given, family, filename, mime, size = row
        sender = (
            _person(message.sender_id, given, family)
            if message.sender_id is not None and given is not None
            else None
        )
        file = (
            MailFile(int(message.file_id), filename, mime, int(size))
            if message.file_id is not None and filename is not None
            else None
        )
        return MessageRow(
            message_id=int(message.id),
            thread=_thread(thread),
            sender=sender,
            reply_to_id=message.reply_to_id,
            body=message.body,
            file=file,
            created_at=utc(message.created_at),
        )

    async def message(self, message_id: int) -> MessageRow | None:
        """A message with its thread and sender."""
        row = (
            await self._s.execute(self._messages().where(t.MailMessage.id == message_id))
        ).one_or_none()
        return self._message(row) if row is not None else None

    async def thread_messages(self, thread_id: int) -> Sequence[MessageRow]:
        """A thread's messages, oldest first."""
        m = t.MailMessage
        rows = await self._s.execute(
            self._messages().where(m.thread_id == thread_id).order_by(m.created_at, m.id)
        )
        return [self._message(row) for row in rows]

    async def recipients(
        self, message_ids: Collection[int]
    ) -> Mapping[int, tuple[RecipientRow, ...]]:
        """Message id → its recipients with their read times (by name order of id)."""
        if not message_ids:
            return {}
        r, p = t.MailRecipient, t.Person
        rows = await self._s.execute(
            select(r.message_id, r.read_at, p.id, p.given_name, p.family_name)
            .join(p, p.id == r.person_id)
            .where(r.message_id.in_(sorted(message_ids)))
            .order_by(r.message_id, p.id)
        )
        found: dict[int, list[RecipientRow]] = {}
        for message_id, read_at, pid, given, family in rows:
            found.setdefault(int(message_id), []).append(
                RecipientRow(
                    _person(pid, given, family), utc(read_at) if read_at is not None else None
                )
            )
        return {message: tuple(rows) for message, rows in found.items()}

    async def participants(self, thread_id: int) -> frozenset[int]:
        """Everyone who sent or received a message of the thread."""
        m, r = t.MailMessage, t.MailRecipient
        senders = select(m.sender_id.label("person_id")).where(
            m.thread_id == thread_id, m.sender_id.is_not(None)
        )
        receivers = (
            select(r.person_id.label("person_id"))
            .join(m, m.id == r.message_id)
            .where(m.thread_id == thread_id)
        )
        rows = await self._s.scalars(select(union(senders, receivers).subquery().c.person_id))
        return frozenset(int(pid) for pid in rows)

    async def unread(self, person_id: int, thread_id: int) -> Sequence[int]:
        """The person's unread messages of a thread, oldest first."""
        m, r = t.MailMessage, t.MailRecipient
        rows = await self._s.scalars(
            select(m.id)
            .join(r, r.message_id == m.id)
            .where(m.thread_id == thread_id, r.person_id == person_id, r.read_at.is_(None))
            .order_by(m.created_at, m.id)
        )
        return [int(mid) for mid in rows]

    def _involved(self, person_id: int) -> Any:
        """Threads where the person sent or received a message."""
        m, r = t.MailMessage, t.MailRecipient
        return union(
            select(m.thread_id).where(m.sender_id == person_id),
            select(m.thread_id).join(r, r.message_id == m.id).where(r.person_id == person_id),
        ).subquery()

    async def inbox(self, person_id: int, *, offset: int, limit: int) -> Sequence[InboxRow]:
        """The person's threads (never one about themself), latest activity first."""
        m, r, th = t.MailMessage, t.MailRecipient, t.MailThread
        involved = self._involved(person_id)
        unread = (
            select(m.thread_id, func.count().label("unread"))
            .join(r, r.message_id == m.id)
            .where(r.person_id == person_id, r.read_at.is_(None))
            .group_by(m.thread_id)
            .subquery()
        )
        activity = (
            select(
                m.thread_id,
                func.max(m.created_at).label("last_at"),
                func.count().label("messages"),
            )
            .group_by(m.thread_id)
            .subquery()
        )
        rows = await self._s.execute(
            select(th, activity.c.last_at, activity.c.messages, unread.c.unread)
            .join(activity, activity.c.thread_id == th.id)
            .outerjoin(unread, unread.c.thread_id == th.id)
            .where(
                th.id.in_(select(involved.c.thread_id)),
                or_(th.about_pupil_id.is_(None), th.about_pupil_id != person_id),
            )
            .order_by(activity.c.last_at.desc(), th.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            InboxRow(_thread(thread), utc(last_at), int(messages), int(unread or 0))
            for thread, last_at, messages, unread in rows
        ]

    async def unread_total(self, person_id: int) -> int:
        """How many messages the person has not read (threads about themself excluded)."""
        m, r, th = t.MailMessage, t.MailRecipient, t.MailThread
        count = await self._s.scalar(
            select(func.count())
            .select_from(r)
            .join(m, m.id == r.message_id)
            .join(th, th.id == m.thread_id)
            .where(
                r.person_id == person_id,
                r.read_at.is_(None),
                or_(th.about_pupil_id.is_(None), th.about_pupil_id != person_id),
            )
        )
        return int(count or 0)

    async def thread_people(self, thread_ids: Collection[int]) -> Mapping[int, frozenset[int]]:
        """Thread id → everyone who sent or received one of its messages."""
        if not thread_ids:
            return {}
        m, r = t.MailMessage, t.MailRecipient
        ids = sorted(thread_ids)
        senders = select(m.thread_id, m.sender_id.label("person_id")).where(
            m.thread_id.in_(ids), m.sender_id.is_not(None)
        )
        receivers = (
            select(m.thread_id, r.person_id.label("person_id"))
            .join(m, m.id == r.message_id)
            .where(m.thread_id.in_(ids))
        )
        both = union(senders, receivers).subquery()
        rows = await self._s.execute(select(both.c.thread_id, both.c.person_id))
        found: dict[int, set[int]] = {}
        for thread_id, person_id in rows:
            found.setdefault(int(thread_id), set()).add(int(person_id))
        return {thread: frozenset(people) for thread, people in found.items()}

    async def attachment(self, message_id: int) -> FileContent | None:
        """The bytes of a message's attachment."""
        f, m = t.StoredFile, t.MailMessage
        row = (
            await self._s.execute(
                select(f.filename, f.mime_type, f.content)
                .join(m, m.file_id == f.id)
                .where(m.id == message_id)
            )
        ).one_or_none()
        if row is None:
            return None
        filename, mime_type, content = row
        return FileContent(filename, mime_type, bytes(content))

    async def chat_message(self, chat_id: int, telegram_message_id: int) -> tuple[int, int] | None:
        """(mail message id, recipient person id) a Telegram message in a chat carried."""
        c = t.MailChatMessage
        row = (
            await self._s.execute(
                select(c.message_id, c.person_id).where(
                    c.chat_id == chat_id, c.telegram_message_id == telegram_message_id
                )
            )
        ).one_or_none()
        return None if row is None else (int(row.message_id), int(row.person_id))

    # ------------------------------------------------------------------ reports

    async def reported(self, message_id: int, reporter_id: int) -> bool:
        """Whether the person already reported the message."""
        found = await self._s.scalar(
            select(t.MailReport.id).where(
                t.MailReport.message_id == message_id, t.MailReport.reporter_id == reporter_id
            )
        )
        return found is not None

    async def add_report(
        self, *, school_id: int, message_id: int, reporter_id: int, reason: str, now: datetime
    ) -> int:
        """Store a report; its id."""
        row = t.MailReport(
            school_id=school_id,
            message_id=message_id,
            reporter_id=reporter_id,
            reason=reason,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return int(row.id)

    async def report(self, report_id: int) -> ReportRow | None:
        """A report by id."""
        row = await self._s.get(t.MailReport, report_id)
        if row is None:
            return None
        return ReportRow(
            report_id=int(row.id),
            school_id=int(row.school_id),
            message_id=int(row.message_id),
            reporter_id=int(row.reporter_id),
            reason=row.reason,
            created_at=utc(row.created_at),
        )

    # ------------------------------------------------------------------ suspensions

    async def suspensions(
        self, school_ids: Collection[int], now: datetime, *, person_id: int | None = None
    ) -> Sequence[SuspensionRow]:
        """Suspensions holding now in these schools (of one person, or everyone), newest first."""
        if not school_ids:
            return []
        s, p = t.MailSuspension, t.Person
        query = (
            select(s, p.given_name, p.family_name)
            .join(p, p.id == s.person_id)
            .where(
                s.school_id.in_(sorted(school_ids)),
                s.lifted_at.is_(None),
                or_(s.until.is_(None), s.until > now),
            )
            .order_by(s.created_at.desc(), s.id.desc())
        )
        if person_id is not None:
            query = query.where(s.person_id == person_id)
        rows = await self._s.execute(query)
        return [
            SuspensionRow(
                suspension_id=int(row.id),
                school_id=int(row.school_id),
                person=_person(row.person_id, given, family),
                until=utc(row.until) if row.until is not None else None,
                created_at=utc(row.created_at),
            )
            for row, given, family in rows
        ]

    async def suspend(
        self,
        *,
        school_id: int,
        person_id: int,
        until: datetime | None,
        by: int | None,
        now: datetime,
    ) -> int:
        """Store a suspension; its id."""
        row = t.MailSuspension(
            school_id=school_id,
            person_id=person_id,
            until=until,
            suspended_by=by,
            created_at=now,
            lifted_at=None,
            lifted_by=None,
        )
        self._s.add(row)
        await self._s.flush()
        return int(row.id)

    async def lift(
        self, suspension_ids: Collection[int], *, by: int | None, now: datetime
    ) -> None:
        """End suspensions now."""
        if not suspension_ids:
            return
        s = t.MailSuspension
        await self._s.execute(
            update(s)
            .where(and_(s.id.in_(sorted(suspension_ids)), s.lifted_at.is_(None)))
            .values(lifted_at=now, lifted_by=by)
        )
