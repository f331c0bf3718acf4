"""Journal mail (rules 1.4, 4.1-4.2): messages, threads, read marks, reports and suspensions.

- **Who may write to whom** comes from the school's policy (``mail_contacts``, defaults in
  ``core.domain.mail``): ``contacts`` lists them, and ``send_mail`` checks the recipient against
  the same list every time — an id from a button or a command grants nothing.
- **A thread** belongs to a school; its participants are everyone who sent or received one of
  its messages. A reply goes to the other participants. A thread about a pupil (a parent and a
  teacher talking about a child) is never shown to that pupil, and the pupil is never a
  participant of it.
- **Every message is stored and attributable** (rule 4.2): sender, time, text and attachment,
  an audit entry per write. Recipients can report a message; the school's deputy directors are
  told. The superuser can suspend a person's messaging: a suspended person cannot send.
- **Delivery** goes through the notifications outbox: a ``mail.sent`` event per message, a
  ``mail.read`` event when a recipient reads (the sender's read receipt), ``mail.reported`` for
  a report. ``delivery_notice``, ``read_notice`` and ``report_notice`` are the engine's system
  reads of what those messages say.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.domain.access import (
    MANAGER_ROLES,
    TEACHING_ROLES,
    ReadScope,
    Role,
    Viewer,
    manages_school,
    pupil_read_scope,
)
from core.domain.collation import latvian_key
from core.domain.ids import possible_id
from core.domain.mail import (
    STAFF_AUDIENCES,
    Audience,
    ChildContext,
    ContactGroup,
    MailClass,
    MailFile,
    MailGuardian,
    MailPerson,
    MailPupil,
    MailRead,
    MailReported,
    MailSent,
    MessageRow,
    PupilPlace,
    RoleLabel,
    SchoolFacts,
    SenderFacts,
    StaffMember,
    ThreadRow,
    check_attachment,
    family_contacts,
    merge_groups,
    new_message,
    reply_body,
    report_reason,
    sender_role,
    staff_contacts,
)
from core.domain.news import FileCheck
from core.domain.records import AuditRecord, SchoolRecord
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.ports import UnitOfWork
from core.services.guards import school_policy
from core.services.rosters import current_classes, managed_schools, school_today

PAGE_SIZE = 8
MAX_PAGE_SIZE = 20
MAX_OFFSET = 100_000


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A file to attach as the sender sent it: the name and type they gave, and the bytes."""

    filename: str | None
    mime_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class MailContacts:
    """Whom the viewer may write to, grouped; ``about`` is the child a parent writes about."""

    groups: tuple[ContactGroup, ...]
    about: MailPerson | None = None

    @property
    def schools(self) -> frozenset[int]:
        """The schools the groups belong to (a teacher of two schools sees both)."""
        return frozenset(group.school_id for group in self.groups)


@dataclass(frozen=True, slots=True)
class SentMail:
    """A message that went out (its delivery is queued through the outbox)."""

    thread_id: int
    message_id: int
    subject: str
    recipients: tuple[MailPerson, ...]
    about: MailPerson | None


@dataclass(frozen=True, slots=True)
class InboxThread:
    """A thread as the inbox lists it; ``last_at`` is in the school's time zone."""

    thread_id: int
    subject: str
    others: tuple[str, ...]  # the other participants' names
    about: str | None  # the child the thread is about (never shown to that child)
    last_at: datetime
    messages: int
    unread: int


@dataclass(frozen=True, slots=True)
class Inbox:
    """One page of the viewer's threads, latest activity first."""

    threads: tuple[InboxThread, ...]
    offset: int
    limit: int
    has_newer: bool
    has_older: bool
    unread: int  # the viewer's unread messages in every thread


@dataclass(frozen=True, slots=True)
class Receipt:
    """A recipient of the viewer's own message and when they read it (None: not yet)."""

    name: str
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message in a thread; times in the school's zone; receipts only on the viewer's own."""

    message_id: int
    sender: str
    mine: bool
    body: str
    created_at: datetime
    attachment: MailFile | None
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True, slots=True)
class ThreadView:
    """A thread with its messages, oldest first. ``reply_to`` is the message a reply answers."""

    thread_id: int
    subject: str
    school_name: str
    about: str | None
    others: tuple[str, ...]
    messages: tuple[MessageView, ...]
    reply_to: int


@dataclass(frozen=True, slots=True)
class ReportView:
    """A reported message as the school's managers see it."""

    report_id: int
    school_id: int
    message_id: int
    sender_id: int | None
    sender: str
    reporter: str
    subject: str
    body: str
    reason: str
    created_at: datetime
    sender_suspended: bool


@dataclass(frozen=True, slots=True)
class SuspensionView:
    """A person who may not send mail in a school, until when (None: until lifted)."""

    person_id: int
    name: str
    school_id: int
    until: datetime | None


@dataclass(frozen=True, slots=True)
class NoticeRecipient:
    """A recipient of a delivery and how the sender is named to them."""

    person_id: int
    sender_role: RoleLabel


@dataclass(frozen=True, slots=True)
class MailNotice:
    """What a ``mail.sent`` delivery says (the notifications engine's system read)."""

    message_id: int
    thread_id: int
    school_id: int
    time_zone: str
    locale: str
    subject: str
    body: str
    reply: bool
    sender_id: int | None
    sender: str
    file: MailFile | None
    recipients: tuple[NoticeRecipient, ...]


@dataclass(frozen=True, slots=True)
class ReadReceipt:
    """One sender's read receipt: their latest message the reader read, and when."""

    sender_id: int
    message_id: int
    subject: str
    read_at: datetime


@dataclass(frozen=True, slots=True)
class ReadNotice:
    """What ``mail.read`` deliveries say: who read, and each sender's receipt."""

    thread_id: int
    school_id: int
    time_zone: str
    locale: str
    reader: str
    receipts: tuple[ReadReceipt, ...]


@dataclass(frozen=True, slots=True)
class ReportNotice:
    """What a ``mail.reported`` delivery says, and to whom (the school's deputy directors)."""

    report_id: int
    school_id: int
    time_zone: str
    locale: str
    managers: tuple[int, ...]
    reporter: str
    sender: str
    sender_id: int | None
    subject: str
    body: str
    reason: str
    created_at: datetime


# ------------------------------------------------------------------------------ contacts


async def contacts(
    uow: UnitOfWork, viewer: Viewer, *, about_pupil_id: int | None = None
) -> MailContacts:
    """Whom the viewer may write to, grouped (class teacher, subject teachers, administration…).

    With ``about_pupil_id`` (a parent's own child, full rights only) the parent's contacts for
    that child; without it the viewer's contacts as a pupil, a teacher or the administration.

    Raises:
        NotFound: ``mail.pupil_not_found`` for a child that is not the viewer's (or a carer's).
    """
    async with uow:
        return await _contacts(uow, viewer, about_pupil_id)


async def _contacts(uow: UnitOfWork, viewer: Viewer, about: int | None) -> MailContacts:
    if not viewer.active or viewer.person_id is None:
        return MailContacts(())
    me = viewer.person_id
    if about is not None:
        place = await _own_child(uow, viewer, about)
        school = await _school(uow, place.school_id)
        facts = await _school_facts(uow, school, school_today(uow, school))
        matrix = (await school_policy(uow, school.id)).mail_contacts
        child = ChildContext(place.pupil, place.class_id, place.teachers)
        groups = family_contacts(matrix.guardian, facts, child, sender_id=me)
        return MailContacts(tuple(merge_groups(groups)), place.pupil)
    found: list[ContactGroup] = []
    for school_id in sorted(viewer.schools):
        record = await uow.directory.school(school_id)
        if record is not None:
            found += await _school_contacts(uow, viewer, record)
    return MailContacts(tuple(merge_groups(found)))


async def _school_contacts(
    uow: UnitOfWork, viewer: Viewer, school: SchoolRecord
) -> list[ContactGroup]:
    """The viewer's contacts in one school as a pupil, a teacher and the administration."""
    me = viewer.person_id
    if me is None:
        return []
    today = school_today(uow, school)
    matrix = (await school_policy(uow, school.id)).mail_contacts
    facts = await _school_facts(uow, school, today)
    groups: list[ContactGroup] = []
    if school.id in viewer.pupil_in_schools:
        place = await uow.mail.pupil_place(me, today)
        if place is not None and place.school_id == school.id:
            child = ChildContext(place.pupil, place.class_id, place.teachers)
            groups += family_contacts(matrix.pupil, facts, child, sender_id=me)
    roles = viewer.roles_in(school.id)
    audiences: set[Audience] = set()
    if roles & TEACHING_ROLES or Role.CLASS_TEACHER in roles:
        audiences |= matrix.teacher
    if roles & MANAGER_ROLES:
        audiences |= matrix.administration
    if not audiences:
        return groups
    own: frozenset[int] = frozenset()
    if audiences & {Audience.OWN_PUPILS, Audience.OWN_PARENTS}:
        own = await uow.mail.taught_pupils(me, school.id, today)
        led = [c.class_id for c in facts.classes if c.class_teacher_id == me]
        own |= {p.person.id for p in await uow.roster.enrolled(led, today)}
    wide = bool(audiences & {Audience.PUPILS, Audience.PARENTS})
    if wide or own:
        enrolled = await uow.roster.enrolled([c.class_id for c in facts.classes], today)
        pupils = tuple(
            MailPupil(
                MailPerson(p.person.id, p.person.given_name, p.person.family_name), p.class_id
            )
            for p in enrolled
            if wide or p.person.id in own
        )
        guardians: tuple[MailGuardian, ...] = ()
        if audiences & {Audience.OWN_PARENTS, Audience.PARENTS}:
            links = await uow.roster.guardians_of({p.person.person_id for p in pupils})
            guardians = tuple(
                MailGuardian(
                    MailPerson(
                        link.guardian.id, link.guardian.given_name, link.guardian.family_name
                    ),
                    link.pupil_id,
                    link.relation,
                )
                for link in links
                if not link.read_only
            )
        facts = replace(facts, pupils=pupils, guardians=guardians)
    groups += staff_contacts(frozenset(audiences), facts, sender_id=me, own_pupils=own)
    return groups


async def _school_facts(uow: UnitOfWork, school: SchoolRecord, today: date) -> SchoolFacts:
    staff = tuple(await uow.mail.staff_members(school.id))
    classes = tuple(
        MailClass(c.id, c.name, c.grade, c.class_teacher_id)
        for c in await current_classes(uow, school, today)
    )
    return SchoolFacts(school.id, school.name, staff, classes)


async def _own_child(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> PupilPlace:
    """The viewer's child (full rights) where they are enrolled now."""
    if (
        not possible_id(pupil_id)
        or pupil_id not in viewer.children
        or pupil_id in viewer.read_only_children
    ):
        raise NotFound("mail.pupil_not_found")
    place = await uow.mail.pupil_place(pupil_id, uow.clock.now().date())
    if place is None:
        raise NotFound("mail.pupil_not_found")
    school = await _school(uow, place.school_id)
    today = school_today(uow, school)
    if today != uow.clock.now().date():  # the school's date differs from UTC's: ask again
        place = await uow.mail.pupil_place(pupil_id, today)
        if place is None:
            raise NotFound("mail.pupil_not_found")
    return place


# ------------------------------------------------------------------------------ writing


@dataclass(frozen=True, slots=True)
class _Target:
    school: SchoolRecord
    person: MailPerson
    about: int | None


async def send_mail(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    to_person_id: int,
    subject: str,
    body: str,
    about_pupil_id: int | None = None,
    attachment: MailAttachment | None = None,
) -> SentMail:
    """Start a thread with a person the school's matrix lets the viewer write to.

    A parent writes about one of their children (``about_pupil_id``); a teacher's message to
    a parent is about the child the parent is listed for. Nothing is written unless the
    recipient, the text and the attachment (an image, PDF or office document of at most 10 MB)
    are all valid and the viewer's messaging is not suspended.

    Raises:
        NotFound: ``mail.recipient_not_found`` for anyone outside the viewer's contacts,
            ``mail.pupil_not_found`` for a child the thread cannot be about.
        InvalidInput: ``mail.subject_*``, ``mail.body_too_long``, ``mail.file_*``,
            ``mail.about_self``.
        NotAllowed: ``mail.suspended`` / ``mail.suspended_indefinitely``.
    """
    draft = new_message(subject, body)
    checked = _checked(attachment)
    if not possible_id(to_person_id):
        raise NotFound("mail.recipient_not_found")
    async with uow:
        if not viewer.active or viewer.person_id is None:
            raise NotFound("mail.recipient_not_found")
        if about_pupil_id is not None and about_pupil_id in (to_person_id, viewer.person_id):
            raise InvalidInput("mail.about_self")
        target = await _target(uow, viewer, to_person_id, about_pupil_id)
        await _not_suspended(uow, viewer, target.school)
        now = uow.clock.now()
        file_id = await _store_file(
            uow,
            viewer,
            school_id=target.school.id,
            checked=checked,
            attachment=attachment,
            now=now,
        )
        thread_id = await uow.mail.add_thread(
            school_id=target.school.id,
            subject=draft.subject,
            about_pupil_id=target.about,
            created_by=viewer.person_id,
            now=now,
        )
        message_id = await uow.mail.add_message(
            thread_id=thread_id,
            sender_id=viewer.person_id,
            reply_to_id=None,
            body=draft.body,
            file_id=file_id,
            recipients=[target.person.person_id],
            now=now,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="mail.send",
                entity="mail_message",
                entity_id=message_id,
                school_id=target.school.id,
                subject_person_id=target.about,
                after={
                    "thread_id": thread_id,
                    "to": [target.person.person_id],
                    "about_pupil_id": target.about,
                    "file": checked.filename if checked else None,
                },
            ),
        )
        uow.record(
            MailSent(message_id=message_id, thread_id=thread_id),
            school_id=target.school.id,
            actor_id=viewer.person_id,
        )
        about = (await uow.mail.people([target.about])).get(target.about) if target.about else None
        await uow.commit()
    return SentMail(thread_id, message_id, draft.subject, (target.person,), about)


async def _target(uow: UnitOfWork, viewer: Viewer, to: int, about: int | None) -> _Target:
    """The recipient among the viewer's contacts, the school, and what the thread is about."""
    if about is not None and about in viewer.children:
        found = await _contacts(uow, viewer, about)  # refuses a carer's child
        for group in found.groups:
            for contact in group.contacts:
                if contact.person_id == to:
                    school = await _school(uow, group.school_id)
                    return _Target(school, await _person(uow, to), about)
        raise NotFound("mail.recipient_not_found")
    found = await _contacts(uow, viewer, None)
    matches = [(g, c) for g in found.groups for c in g.contacts if c.person_id == to]
    if not matches:
        raise NotFound("mail.recipient_not_found")
    group = matches[0][0]
    if about is None:
        children = {c.pupil_id for _, c in matches}
        about = children.pop() if len(children) == 1 else None
    elif not any(c.pupil_id == about for _, c in matches):
        staff = [g for g, c in matches if c.pupil_id is None and g.audience in STAFF_AUDIENCES]
        facts = await uow.directory.pupil_facts(about) if possible_id(about) else None
        if (
            not staff
            or facts is None
            or staff[0].school_id not in facts.school_ids
            or pupil_read_scope(viewer, facts) is ReadScope.NONE
        ):
            raise NotFound("mail.pupil_not_found")
        group = staff[0]
    else:
        group = next(g for g, c in matches if c.pupil_id == about)
    school = await _school(uow, group.school_id)
    return _Target(school, await _person(uow, to), about)


async def reply_mail(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    message_id: int,
    body: str | None,
    attachment: MailAttachment | None = None,
) -> SentMail:
    """Answer a message of a thread the viewer takes part in; it goes to the other participants.

    Answering also marks the viewer's unread messages of the thread as read.

    Raises:
        NotFound: ``mail.not_found`` unless the viewer is a participant (never the pupil a
            thread is about).
        InvalidInput: ``mail.reply_empty``, ``mail.body_too_long``, ``mail.file_*``,
            ``mail.no_recipients`` (nobody else can receive it any more).
        NotAllowed: ``mail.suspended`` / ``mail.suspended_indefinitely``.
    """
    text = reply_body(body, has_file=attachment is not None)
    checked = _checked(attachment)
    async with uow:
        message = await _participant_message(uow, viewer, message_id)
        thread = message.thread
        school = await _school(uow, thread.school_id)
        await _not_suspended(uow, viewer, school)
        participants = await uow.mail.participants(thread.thread_id)
        others = await uow.mail.active_people(
            participants - {viewer.person_id, thread.about_pupil_id}
        )
        if not others:
            raise InvalidInput("mail.no_recipients")
        now = uow.clock.now()
        await _read_thread(uow, viewer, thread, now)
        file_id = await _store_file(
            uow, viewer, school_id=school.id, checked=checked, attachment=attachment, now=now
        )
        new_id = await uow.mail.add_message(
            thread_id=thread.thread_id,
            sender_id=viewer.person_id,
            reply_to_id=message.message_id,
            body=text,
            file_id=file_id,
            recipients=others,
            now=now,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="mail.reply",
                entity="mail_message",
                entity_id=new_id,
                school_id=school.id,
                subject_person_id=thread.about_pupil_id,
                after={
                    "thread_id": thread.thread_id,
                    "reply_to": message.message_id,
                    "to": sorted(others),
                    "file": checked.filename if checked else None,
                },
            ),
        )
        uow.record(
            MailSent(message_id=new_id, thread_id=thread.thread_id),
            school_id=school.id,
            actor_id=viewer.person_id,
        )
        people = await uow.mail.people([*others, *(_one(thread.about_pupil_id))])
        await uow.commit()
    recipients = tuple(sorted((people[p] for p in others if p in people), key=_name_key))
    about = people.get(thread.about_pupil_id) if thread.about_pupil_id else None
    return SentMail(thread.thread_id, new_id, thread.subject, recipients, about)


async def mark_read(uow: UnitOfWork, viewer: Viewer, *, message_id: int) -> bool:
    """The viewer (a recipient) has read the message: the sender gets a read receipt.

    Returns whether it was unread; reading again, or marking one's own message, changes nothing.

    Raises:
        NotFound: ``mail.not_found`` unless the viewer takes part in the thread.
    """
    async with uow:
        message = await _participant_message(uow, viewer, message_id)
        mine = [
            r
            for r in (await uow.mail.recipients([message_id])).get(message_id, ())
            if r.person.person_id == viewer.person_id
        ]
        if not mine or mine[0].read_at is not None or viewer.person_id is None:
            return False
        now = uow.clock.now()
        await uow.mail.mark_read(viewer.person_id, [message_id], now)
        _record_read(uow, viewer, message.thread, (message_id,))
        await uow.commit()
        return True


async def report_message(uow: UnitOfWork, viewer: Viewer, *, message_id: int, reason: str) -> int:
    """A recipient reports a message to the school's administration (rule 4.2); the report's id.

    The report is stored and the school's deputy directors are told (``mail.reported``).

    Raises:
        NotFound: ``mail.not_found`` unless the viewer takes part in the thread.
        NotAllowed: ``mail.report_not_recipient`` for a message the viewer did not receive.
        Conflict: ``mail.already_reported``.
        InvalidInput: ``mail.reason_empty``, ``mail.reason_too_long``.
    """
    text = report_reason(reason)
    async with uow:
        message = await _participant_message(uow, viewer, message_id)
        received = (await uow.mail.recipients([message_id])).get(message_id, ())
        if viewer.person_id is None or all(
            r.person.person_id != viewer.person_id for r in received
        ):
            raise NotAllowed("mail.report_not_recipient")
        if await uow.mail.reported(message_id, viewer.person_id):
            raise Conflict("mail.already_reported")
        now = uow.clock.now()
        school_id = message.thread.school_id
        report_id = await uow.mail.add_report(
            school_id=school_id,
            message_id=message_id,
            reporter_id=viewer.person_id,
            reason=text,
            now=now,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="mail.report",
                entity="mail_message",
                entity_id=message_id,
                school_id=school_id,
                subject_person_id=message.sender.person_id if message.sender else None,
                after={"report_id": report_id},
            ),
        )
        uow.record(
            MailReported(report_id=report_id, message_id=message_id),
            school_id=school_id,
            actor_id=viewer.person_id,
        )
        await uow.commit()
        return report_id


# ------------------------------------------------------------------------------ reading


async def inbox(
    uow: UnitOfWork, viewer: Viewer, *, offset: int = 0, limit: int = PAGE_SIZE
) -> Inbox:
    """A page of the viewer's threads (latest activity first) with their unread counts.

    Raises:
        InvalidInput: ``mail.page_invalid`` for a negative or absurd offset or page size.
    """
    if not (0 <= offset <= MAX_OFFSET and 1 <= limit <= MAX_PAGE_SIZE):
        raise InvalidInput("mail.page_invalid")
    async with uow:
        if not viewer.active or viewer.person_id is None:
            return Inbox((), offset, limit, has_newer=False, has_older=False, unread=0)
        me = viewer.person_id
        rows = await uow.mail.inbox(me, offset=offset, limit=limit + 1)
        shown = rows[:limit]
        people = await uow.mail.thread_people([row.thread.thread_id for row in shown])
        ids = {p for group in people.values() for p in group} | {
            row.thread.about_pupil_id for row in shown if row.thread.about_pupil_id
        }
        names = await uow.mail.people(ids)
        zones = await _zones(uow, {row.thread.school_id for row in shown})
        threads = tuple(
            InboxThread(
                thread_id=row.thread.thread_id,
                subject=row.thread.subject,
                others=_names(names, people.get(row.thread.thread_id, frozenset()) - {me}),
                about=_about(names, row.thread),
                last_at=row.last_at.astimezone(zones[row.thread.school_id]),
                messages=row.messages,
                unread=row.unread,
            )
            for row in shown
        )
        return Inbox(
            threads,
            offset,
            limit,
            has_newer=offset > 0,
            has_older=len(rows) > limit,
            unread=await uow.mail.unread_total(me),
        )


async def thread(uow: UnitOfWork, viewer: Viewer, *, thread_id: int) -> ThreadView:
    """A thread the viewer takes part in, with read marks on their own messages.

    Opening it marks the viewer's unread messages of it as read (their senders get a receipt).

    Raises:
        NotFound: ``mail.not_found`` unless the viewer is a participant; a thread about a pupil
            is never shown to that pupil.
    """
    async with uow:
        row = await uow.mail.thread(thread_id) if possible_id(thread_id) else None
        if row is None:
            raise NotFound("mail.not_found")
        participants = await _participants(uow, viewer, row)
        me = viewer.person_id
        now = uow.clock.now()
        read_now = await _read_thread(uow, viewer, row, now)
        messages = await uow.mail.thread_messages(row.thread_id)
        receipts = await uow.mail.recipients([m.message_id for m in messages])
        school = await _school(uow, row.school_id)
        zone = ZoneInfo(school.time_zone)
        names = await uow.mail.people(participants | set(_one(row.about_pupil_id)))
        views = tuple(
            MessageView(
                message_id=m.message_id,
                sender=m.sender.full_name if m.sender else "—",
                mine=m.sender is not None and m.sender.person_id == me,
                body=m.body,
                created_at=m.created_at.astimezone(zone),
                attachment=m.file,
                receipts=tuple(
                    Receipt(r.person.full_name, r.read_at.astimezone(zone) if r.read_at else None)
                    for r in receipts.get(m.message_id, ())
                )
                if m.sender is not None and m.sender.person_id == me
                else (),
            )
            for m in messages
        )
        received = [v.message_id for v in views if not v.mine]
        if read_now:
            await uow.commit()
        return ThreadView(
            thread_id=row.thread_id,
            subject=row.subject,
            school_name=school.name,
            about=_about(names, row),
            others=_names(names, participants - {me}),
            messages=views,
            reply_to=received[-1] if received else views[-1].message_id,
        )


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """A message a participant may answer or report: its thread's subject and its sender."""

    message_id: int
    thread_id: int
    subject: str
    sender: str


async def message_info(uow: UnitOfWork, viewer: Viewer, *, message_id: int) -> MessageInfo:
    """A message of a thread the viewer takes part in (what an answer or a report is about).

    Raises:
        NotFound: ``mail.not_found`` for anyone else.
    """
    async with uow:
        message = await _participant_message(uow, viewer, message_id)
        return MessageInfo(
            message.message_id,
            message.thread.thread_id,
            message.thread.subject,
            message.sender.full_name if message.sender else "—",
        )


async def mail_attachment(
    uow: UnitOfWork, viewer: Viewer, *, message_id: int
) -> tuple[str, str, bytes]:
    """A message's attachment for a participant of its thread: (file name, MIME type, bytes).

    Raises:
        NotFound: ``mail.not_found``, ``mail.no_attachment``.
    """
    async with uow:
        await _participant_message(uow, viewer, message_id)
        stored = await uow.mail.attachment(message_id)
        if stored is None:
            raise NotFound("mail.no_attachment")
        return stored.filename, stored.mime_type, stored.content


async def reply_target(
    uow: UnitOfWork, viewer: Viewer, *, chat_id: int, telegram_message_id: int
) -> int | None:
    """The mail message a Telegram message in the viewer's chat carried to them, if any.

    The bot asks this when a user answers a message with Telegram's reply; a message of
    another chat or another person is not theirs to answer (None).
    """
    if viewer.person_id is None or not viewer.active:
        return None
    async with uow:
        found = await uow.mail.chat_message(chat_id, telegram_message_id)
    if found is None or found[1] != viewer.person_id:
        return None
    return found[0]


async def unread_count(uow: UnitOfWork, viewer: Viewer) -> int:
    """How many messages the viewer has not read yet."""
    if viewer.person_id is None or not viewer.active:
        return 0
    async with uow:
        return await uow.mail.unread_total(viewer.person_id)


# ------------------------------------------------------------------------------ the superuser


async def suspend_messaging(
    uow: UnitOfWork, viewer: Viewer, *, person_id: int, until: datetime | None
) -> SuspensionView:
    """The superuser (or the director) stops a person sending mail in the schools they manage.

    ``until`` None suspends until lifted (``resume_messaging``); a new suspension replaces an
    earlier one. The person can still read and receive. Audited.

    Raises:
        NotFound: ``person.not_found`` for someone outside the schools the viewer manages.
        InvalidInput: ``mail.until_past``, ``mail.suspend_self``.
    """
    async with uow:
        now = uow.clock.now()
        schools, person = await _managed_person(uow, viewer, person_id)  # authorize first
        if until is not None and until <= now:
            raise InvalidInput("mail.until_past")
        if viewer.person_id is not None and person_id == viewer.person_id:
            raise InvalidInput("mail.suspend_self")
        for school_id in schools:
            earlier = await uow.mail.suspensions([school_id], now, person_id=person_id)
            await uow.mail.lift([s.suspension_id for s in earlier], by=viewer.person_id, now=now)
            suspension_id = await uow.mail.suspend(
                school_id=school_id,
                person_id=person_id,
                until=until,
                by=viewer.person_id,
                now=now,
            )
            uow.audit(
                viewer,
                AuditRecord(
                    action="mail.suspend",
                    entity="person",
                    entity_id=person_id,
                    school_id=school_id,
                    subject_person_id=person_id,
                    before={"suspension_ids": [s.suspension_id for s in earlier]},
                    after={
                        "suspension_id": suspension_id,
                        "until": until.isoformat() if until else None,
                    },
                ),
            )
        await uow.commit()
    return SuspensionView(person_id, person.full_name, min(schools), until)


async def resume_messaging(uow: UnitOfWork, viewer: Viewer, *, person_id: int) -> MailPerson:
    """Lift a person's suspension in the schools the viewer manages. Audited.

    Raises:
        NotFound: ``person.not_found``; ``mail.not_suspended`` when nothing holds.
    """
    async with uow:
        now = uow.clock.now()
        schools, person = await _managed_person(uow, viewer, person_id)
        holding = await uow.mail.suspensions(schools, now, person_id=person_id)
        if not holding:
            raise NotFound("mail.not_suspended")
        await uow.mail.lift([s.suspension_id for s in holding], by=viewer.person_id, now=now)
        for suspension in holding:
            uow.audit(
                viewer,
                AuditRecord(
                    action="mail.resume",
                    entity="person",
                    entity_id=person_id,
                    school_id=suspension.school_id,
                    subject_person_id=person_id,
                    before={"suspension_id": suspension.suspension_id},
                ),
            )
        await uow.commit()
    return person


async def suspensions(uow: UnitOfWork, viewer: Viewer) -> tuple[SuspensionView, ...]:
    """Suspensions holding now in the schools the viewer manages, newest first."""
    async with uow:
        schools = [s.id for s in await managed_schools(uow, viewer)]
        now = uow.clock.now()
        zones = await _zones(uow, set(schools))
        return tuple(
            SuspensionView(
                s.person.person_id,
                s.person.full_name,
                s.school_id,
                s.until.astimezone(zones[s.school_id]) if s.until else None,
            )
            for s in await uow.mail.suspensions(schools, now)
        )


async def report_view(uow: UnitOfWork, viewer: Viewer, *, report_id: int) -> ReportView:
    """A report and the reported message, for the managers of its school.

    Raises:
        NotFound: ``mail.report_not_found`` for anyone else.
    """
    async with uow:
        report = await uow.mail.report(report_id) if possible_id(report_id) else None
        if report is None or not manages_school(viewer, report.school_id):
            raise NotFound("mail.report_not_found")
        message = await uow.mail.message(report.message_id)
        if message is None:  # pragma: no cover - a report goes with its message
            raise NotFound("mail.report_not_found")
        school = await _school(uow, report.school_id)
        names = await uow.mail.people([report.reporter_id])
        sender_id = message.sender.person_id if message.sender else None
        held = (
            await uow.mail.suspensions([school.id], uow.clock.now(), person_id=sender_id)
            if sender_id is not None
            else []
        )
        return ReportView(
            report_id=report.report_id,
            school_id=report.school_id,
            message_id=report.message_id,
            sender_id=sender_id,
            sender=message.sender.full_name if message.sender else "—",
            reporter=names[report.reporter_id].full_name if report.reporter_id in names else "—",
            subject=message.thread.subject,
            body=message.body,
            reason=report.reason,
            created_at=report.created_at.astimezone(ZoneInfo(school.time_zone)),
            sender_suspended=bool(held),
        )


# ------------------------------------------------------------------------------ system reads


async def delivery_notice(uow: UnitOfWork, *, message_id: int) -> MailNotice | None:
    """What the notifications engine sends for ``mail.sent`` (a system read, no viewer).

    Each active recipient with how the sender is named to them ("class teacher, 5.a",
    "mother — Jānis Bērziņš, 5.a"); None when the message is gone.
    """
    async with uow:
        message = await uow.mail.message(message_id)
        if message is None:
            return None
        thread = message.thread
        school = await _school(uow, thread.school_id)
        today = school_today(uow, school)
        received = (await uow.mail.recipients([message_id])).get(message_id, ())
        active = await uow.mail.active_people([r.person.person_id for r in received])
        roles = _Roles(uow, school, today)
        sender_id = message.sender.person_id if message.sender else None
        recipients = []
        for recipient in received:
            person = recipient.person.person_id
            if person not in active:
                continue
            role = (
                await roles.of(sender_id, thread.about_pupil_id, person)
                if sender_id is not None
                else RoleLabel("mail.role.staff")
            )
            recipients.append(NoticeRecipient(person, role))
        return MailNotice(
            message_id=message.message_id,
            thread_id=thread.thread_id,
            school_id=school.id,
            time_zone=school.time_zone,
            locale=school.locale,
            subject=thread.subject,
            body=message.body,
            reply=message.reply_to_id is not None,
            sender_id=sender_id,
            sender=message.sender.full_name if message.sender else "—",
            file=message.file,
            recipients=tuple(recipients),
        )


async def read_notice(
    uow: UnitOfWork, *, thread_id: int, reader_id: int, message_ids: Sequence[int]
) -> ReadNotice | None:
    """What the read receipts of ``mail.read`` say (a system read): one per sender.

    Each sender (never the reader) hears of their latest message the reader read, and when.
    """
    async with uow:
        row = await uow.mail.thread(thread_id)
        if row is None:
            return None
        school = await _school(uow, row.school_id)
        received = await uow.mail.recipients(message_ids)
        latest: dict[int, ReadReceipt] = {}
        for message_id in sorted(set(message_ids)):
            message = await uow.mail.message(message_id)
            if message is None or message.thread.thread_id != thread_id or message.sender is None:
                continue
            sender = message.sender.person_id
            read_at = next(
                (
                    r.read_at
                    for r in received.get(message_id, ())
                    if r.person.person_id == reader_id
                ),
                None,
            )
            if sender == reader_id or read_at is None:
                continue
            latest[sender] = ReadReceipt(sender, message_id, row.subject, read_at)
        reader = (await uow.mail.people([reader_id])).get(reader_id)
        if reader is None or not latest:
            return None
        active = await uow.mail.active_people(latest)
        return ReadNotice(
            thread_id=thread_id,
            school_id=school.id,
            time_zone=school.time_zone,
            locale=school.locale,
            reader=reader.full_name,
            receipts=tuple(latest[s] for s in sorted(latest) if s in active),
        )


async def report_notice(uow: UnitOfWork, *, report_id: int) -> ReportNotice | None:
    """What a ``mail.reported`` delivery says and to whom (a system read).

    The school's active deputy directors (the superusers) hear of it, else its director;
    never the reported sender themself.
    """
    async with uow:
        report = await uow.mail.report(report_id)
        if report is None:
            return None
        message = await uow.mail.message(report.message_id)
        if message is None:
            return None
        school = await _school(uow, report.school_id)
        staff = await uow.mail.staff_members(school.id)
        sender_id = message.sender.person_id if message.sender else None
        managers = _managers(staff, Role.DEPUTY_DIRECTOR, sender_id) or _managers(
            staff, Role.DIRECTOR, sender_id
        )
        names = await uow.mail.people([report.reporter_id])
        return ReportNotice(
            report_id=report.report_id,
            school_id=school.id,
            time_zone=school.time_zone,
            locale=school.locale,
            managers=managers,
            reporter=names[report.reporter_id].full_name if report.reporter_id in names else "—",
            sender=message.sender.full_name if message.sender else "—",
            sender_id=sender_id,
            subject=message.thread.subject,
            body=message.body,
            reason=report.reason,
            created_at=report.created_at,
        )


def _managers(staff: Sequence[StaffMember], role: Role, sender_id: int | None) -> tuple[int, ...]:
    return tuple(
        m.person.person_id for m in staff if role in m.roles and m.person.person_id != sender_id
    )


class _Roles:
    """How senders are named to recipients in one school (facts read once per notice)."""

    def __init__(self, uow: UnitOfWork, school: SchoolRecord, today: date) -> None:
        self.uow = uow
        self.school = school
        self.today = today
        self._staff: dict[int, StaffMember] | None = None
        self._classes: tuple[MailClass, ...] | None = None

    async def of(self, sender: int, about: int | None, recipient: int) -> RoleLabel:
        uow = self.uow
        if self._staff is None:
            self._staff = {
                m.person.person_id: m for m in await uow.mail.staff_members(self.school.id)
            }
            facts = await _school_facts(uow, self.school, self.today)
            self._classes = facts.classes
        classes = self._classes or ()
        member = self._staff.get(sender)
        context = about
        if context is None and await self._place(recipient) is not None:
            context = recipient
        place = await self._place(context) if context is not None else None
        own = await self._place(sender)
        klass = next((c for c in classes if place and c.class_id == place.class_id), None)
        relation = await uow.people.guardianship(sender, context) if context is not None else None
        return sender_role(
            SenderFacts(
                staff_roles=member.roles if member else frozenset(),
                class_teacher_of=tuple(c.name for c in classes if c.class_teacher_id == sender),
                context_pupil=place.pupil if place else None,
                context_class=klass,
                guardian_relation=relation,
                subjects=place.teachers.get(sender, ()) if place else (),
                pupil_class=next(
                    (c.name for c in classes if own and c.class_id == own.class_id), None
                ),
            )
        )

    async def _place(self, person: int) -> PupilPlace | None:
        place = await self.uow.mail.pupil_place(person, self.today)
        return place if place is not None and place.school_id == self.school.id else None


# ------------------------------------------------------------------------------ helpers


async def _participant_message(uow: UnitOfWork, viewer: Viewer, message_id: int) -> MessageRow:
    """A message of a thread the viewer takes part in (NotFound for anyone else)."""
    message = await uow.mail.message(message_id) if possible_id(message_id) else None
    if message is None:
        raise NotFound("mail.not_found")
    await _participants(uow, viewer, message.thread)
    return message


async def _participants(uow: UnitOfWork, viewer: Viewer, row: ThreadRow) -> frozenset[int]:
    """The thread's participants, if the viewer is one (never the pupil it is about)."""
    if not viewer.active or viewer.person_id is None or viewer.person_id == row.about_pupil_id:
        raise NotFound("mail.not_found")
    participants = await uow.mail.participants(row.thread_id)
    if viewer.person_id not in participants:
        raise NotFound("mail.not_found")
    return participants


async def _read_thread(
    uow: UnitOfWork, viewer: Viewer, row: ThreadRow, now: datetime
) -> tuple[int, ...]:
    """Mark the viewer's unread messages of a thread read; their senders get a receipt."""
    if viewer.person_id is None:
        return ()
    unread = tuple(await uow.mail.unread(viewer.person_id, row.thread_id))
    if unread:
        await uow.mail.mark_read(viewer.person_id, unread, now)
        _record_read(uow, viewer, row, unread)
    return unread


def _record_read(uow: UnitOfWork, viewer: Viewer, row: ThreadRow, ids: tuple[int, ...]) -> None:
    if viewer.person_id is None:  # pragma: no cover - callers check
        return
    uow.audit(
        viewer,
        AuditRecord(
            action="mail.read",
            entity="mail_thread",
            entity_id=row.thread_id,
            school_id=row.school_id,
            after={"message_ids": list(ids)},
        ),
    )
    uow.record(
        MailRead(thread_id=row.thread_id, reader_id=viewer.person_id, message_ids=ids),
        school_id=row.school_id,
        actor_id=viewer.person_id,
    )


async def _not_suspended(uow: UnitOfWork, viewer: Viewer, school: SchoolRecord) -> None:
    if viewer.person_id is None:
        return
    held = await uow.mail.suspensions([school.id], uow.clock.now(), person_id=viewer.person_id)
    if not held:
        return
    ends = [s.until for s in held if s.until is not None]
    if len(ends) < len(held):
        raise NotAllowed("mail.suspended_indefinitely")
    local = max(ends).astimezone(ZoneInfo(school.time_zone))
    raise NotAllowed("mail.suspended", until=local.strftime("%d.%m.%Y %H:%M"))


async def _managed_person(
    uow: UnitOfWork, viewer: Viewer, person_id: int
) -> tuple[list[int], MailPerson]:
    """The schools the viewer manages that the person belongs to, and the person."""
    if not possible_id(person_id) or not viewer.active:
        raise NotFound("person.not_found")
    schools = [
        s for s in sorted(await uow.roster.person_schools(person_id)) if manages_school(viewer, s)
    ]
    person = (await uow.mail.people([person_id])).get(person_id)
    if not schools or person is None:
        raise NotFound("person.not_found")
    return schools, person


def _checked(attachment: MailAttachment | None) -> FileCheck | None:
    if attachment is None:
        return None
    return check_attachment(attachment.filename, attachment.mime_type, attachment.data)


async def _store_file(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    checked: FileCheck | None,
    attachment: MailAttachment | None,
    now: datetime,
) -> int | None:
    if checked is None or attachment is None:
        return None
    return await uow.files.add(
        school_id=school_id,
        filename=checked.filename,
        mime_type=checked.mime_type,
        content=attachment.data,
        created_by=viewer.person_id,
        now=now,
    )


async def _school(uow: UnitOfWork, school_id: int) -> SchoolRecord:
    school = await uow.directory.school(school_id)
    if school is None:  # pragma: no cover - rows keep their school
        raise NotFound("school.not_found")
    return school


async def _person(uow: UnitOfWork, person_id: int) -> MailPerson:
    person = (await uow.mail.people([person_id])).get(person_id)
    if person is None:  # pragma: no cover - contacts are people
        raise NotFound("mail.recipient_not_found")
    return person


async def _zones(uow: UnitOfWork, school_ids: set[int]) -> dict[int, ZoneInfo]:
    zones = {}
    for school_id in school_ids:
        zones[school_id] = ZoneInfo((await _school(uow, school_id)).time_zone)
    return zones


def _names(names: Mapping[int, MailPerson], people: Collection[int]) -> tuple[str, ...]:
    found = [names[p] for p in people if p in names]
    return tuple(person.full_name for person in sorted(found, key=_name_key))


def _about(names: Mapping[int, MailPerson], row: ThreadRow) -> str | None:
    if row.about_pupil_id is None:
        return None
    person = names.get(row.about_pupil_id)
    return person.full_name if person is not None else None


def _name_key(person: MailPerson) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    return (latvian_key(person.given_name), latvian_key(person.family_name), person.person_id)


def _one(value: int | None) -> tuple[int, ...]:
    return () if value is None else (value,)
