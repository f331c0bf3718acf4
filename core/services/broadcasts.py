"""Staff broadcasts (rules 1.4, 4.1; issue #10 parts 3-4): one message to an exact audience.

Staff pick an audience (``core.domain.broadcasts.Audience``), see a preview with the number of
recipients — people, each once however many of their children are in the audience, and how
many of them have a linked account — and send. Sending resolves the audience **once**: the
recipients' person ids are stored with the broadcast, with an audit entry and a
``broadcast.sent`` event, in one transaction; the notifications engine writes one delivery per
stored id (job ``broadcast:<id>``), so the number previewed, the number stored and the number of
deliveries are the same. The sender never receives their own broadcast.

Recipients may acknowledge a broadcast that asks for it ("I have read this"), once each. The
sender (and the school's managers) read a live report: delivered, not connected, blocked,
failed, still pending, acknowledged.

Pupils and parents never broadcast: every call refuses them (``broadcast.school_not_found``),
whatever the ids they send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.domain.access import TEACHING_ROLES, GroupFacts, Viewer, manages_school
from core.domain.broadcasts import (
    Audience,
    BroadcastRecord,
    BroadcastSent,
    Choice,
    Condition,
    Members,
    Scope,
    broadcast_text,
    check_audience,
    job_label,
    may_broadcast,
    may_send,
    may_send_urgent,
    week_start,
)
from core.domain.ids import possible_id
from core.domain.news import check_content, check_file
from core.domain.records import AuditRecord, SchoolRecord
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.ports import UnitOfWork
from core.services.guards import school_policy
from core.services.rosters import current_classes, school_today

# Outbox statuses as the report names them (notifications.records.Status values).
_DELIVERED, _NOT_CONNECTED, _UNREACHABLE, _FAILED = (
    "sent",
    "not_connected",
    "unreachable",
    "failed",
)
_EVERY_JUSTIFICATION = ("pending", "justified", "unjustified")
_UNEXCUSED = ("pending", "unjustified")


@dataclass(frozen=True, slots=True)
class BroadcastAttachment:
    """A file to send with a broadcast as the sender gave it: name, type and bytes."""

    filename: str | None
    mime_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """A file a preview names before its bytes are fetched: name, type and declared size."""

    filename: str | None
    mime_type: str | None
    size: int


@dataclass(frozen=True, slots=True)
class BroadcastTargets:
    """What the viewer may broadcast to in one school.

    Managers (``manager``): the school, any grade, class or group, all parents, all staff, the
    conditions school-wide, and ``urgent``. A class teacher: their classes; a teacher: their
    groups (both also with the conditions inside them).
    """

    school: SchoolRecord
    manager: bool
    grades: tuple[int, ...]
    classes: tuple[Choice, ...]
    groups: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class BroadcastPreview:
    """What sending would do: ``recipients`` people (each once), ``connected`` with an account.

    ``target_name`` names the class or group of the audience (None for the school or a grade).
    """

    school_id: int
    school_name: str
    audience: Audience
    target_name: str | None
    recipients: int
    connected: int
    text: str
    filename: str | None
    ask_ack: bool
    urgent: bool


@dataclass(frozen=True, slots=True)
class SentBroadcast:
    """A stored broadcast: its id and the people it goes to."""

    id: int
    school_id: int
    recipients: int
    connected: int


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    """How a broadcast's delivery stands (from the outbox rows and the acknowledgements).

    ``pending`` counts recipients whose message is not out yet (queued, being sent, or not yet
    written by the fan-out); ``unreachable`` ones blocked the bot or deleted their account.
    """

    broadcast_id: int
    school_id: int
    audience: Audience
    target_name: str | None
    created_at: datetime  # in the school's time zone
    ask_ack: bool
    urgent: bool
    recipients: int
    connected: int
    delivered: int
    not_connected: int
    unreachable: int
    failed: int
    pending: int
    acknowledged: int

    @property
    def done(self) -> bool:
        """Nothing is waiting any more: every recipient's message went out or gave up."""
        return self.pending == 0

    @property
    def processed(self) -> int:
        """Messages to connected recipients that are settled (delivered, blocked or failed)."""
        return self.delivered + self.unreachable + self.failed


@dataclass(frozen=True, slots=True)
class _Resolved:
    school: SchoolRecord
    target_name: str | None
    people: frozenset[int]


async def broadcast_targets(uow: UnitOfWork, viewer: Viewer) -> tuple[BroadcastTargets, ...]:
    """The schools where the viewer may broadcast, each with what they may send to (by id).

    Empty for pupils and parents, and for staff who neither manage, teach a group nor lead a
    class.
    """
    async with uow:
        if not viewer.active:
            return ()
        if viewer.operator:
            candidates = sorted(s.id for s in await uow.directory.schools())
        else:
            candidates = sorted(viewer.schools)
        found = []
        for school_id in candidates:
            school = await uow.directory.school(school_id)
            if school is None or not may_broadcast(viewer, school_id):
                continue
            today = school_today(uow, school)
            manager = manages_school(viewer, school_id)
            classes = await current_classes(uow, school, today)
            year = await uow.directory.school_year_on(school_id, today)
            teaches = bool(viewer.roles_in(school_id) & TEACHING_ROLES)
            groups: tuple[Choice, ...] = ()
            if year is not None and (manager or (teaches and viewer.person_id is not None)):
                teacher = None if manager else viewer.person_id
                groups = tuple(await uow.broadcasts.groups(year.id, teacher))
            own = [c for c in classes if manager or c.id in viewer.class_teacher_of]
            targets = BroadcastTargets(
                school=school,
                manager=manager,
                grades=tuple(sorted({c.grade for c in classes})) if manager else (),
                classes=tuple(Choice(c.id, c.name) for c in own),
                groups=groups,
            )
            if manager or targets.classes or targets.groups:
                found.append(targets)
        return tuple(found)


async def preview_broadcast(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    audience: Audience,
    text: str,
    attachment: BroadcastAttachment | AttachmentInfo | None = None,
    ask_ack: bool = False,
    urgent: bool = False,
) -> BroadcastPreview:
    """Who a broadcast would reach now, without sending anything.

    Raises:
        NotFound: ``broadcast.school_not_found`` for pupils, parents and anyone not staff of
            the school; ``broadcast.class_not_found`` / ``broadcast.group_not_found`` for a
            class or group not of that school.
        NotAllowed: ``broadcast.audience_not_allowed`` (a teacher asking for the school, a
            grade, another class or group), ``broadcast.urgent_not_allowed``.
        InvalidInput: ``broadcast.audience_invalid``, ``broadcast.text_*``, ``news.file_*``.
    """
    check_audience(audience)
    clean = broadcast_text(text)
    filename = None
    if attachment is not None:
        size = (
            len(attachment.data)
            if isinstance(attachment, BroadcastAttachment)
            else attachment.size
        )
        filename = check_file(attachment.filename, attachment.mime_type, size).filename
    async with uow:
        resolved = await _resolve(uow, viewer, school_id, audience)
        if urgent and not may_send_urgent(viewer, school_id):
            raise NotAllowed("broadcast.urgent_not_allowed")
        connected = await uow.roster.connected(resolved.people)
        return BroadcastPreview(
            school_id=resolved.school.id,
            school_name=resolved.school.name,
            audience=audience,
            target_name=resolved.target_name,
            recipients=len(resolved.people),
            connected=len(connected),
            text=clean,
            filename=filename,
            ask_ack=ask_ack,
            urgent=urgent,
        )


async def send_broadcast(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    audience: Audience,
    text: str,
    attachment: BroadcastAttachment | None = None,
    ask_ack: bool = False,
    urgent: bool = False,
    expected_recipients: int | None = None,
) -> SentBroadcast:
    """Store a broadcast for its audience as it is now; the engine delivers it.

    ``expected_recipients`` is the count the sender confirmed in the preview: if the audience
    changed since (a pupil enrolled, an absence recorded), nothing is sent and the sender sees
    the new count. ``urgent`` (managers only) ignores the recipients' quiet hours.

    Raises:
        NotFound, NotAllowed, InvalidInput: as ``preview_broadcast``; also
            ``broadcast.nobody`` (the audience names nobody) and ``news.file_mismatch``.
        Conflict: ``broadcast.audience_changed`` (``count``: the new number of recipients).
    """
    check_audience(audience)
    clean = broadcast_text(text)
    checked = None
    if attachment is not None:
        checked = check_file(attachment.filename, attachment.mime_type, len(attachment.data))
        check_content(checked, attachment.data)
    async with uow:
        resolved = await _resolve(uow, viewer, school_id, audience)
        if urgent and not may_send_urgent(viewer, school_id):
            raise NotAllowed("broadcast.urgent_not_allowed")
        people = resolved.people
        if not people:
            raise InvalidInput("broadcast.nobody")
        if expected_recipients is not None and expected_recipients != len(people):
            raise Conflict("broadcast.audience_changed", count=len(people))
        connected = len(await uow.roster.connected(people))
        now = uow.clock.now()
        file_id = None
        if checked is not None and attachment is not None:
            file_id = await uow.files.add(
                school_id=resolved.school.id,
                filename=checked.filename,
                mime_type=checked.mime_type,
                content=attachment.data,
                created_by=viewer.person_id,
                now=now,
            )
        broadcast_id = await uow.broadcasts.add(
            school_id=resolved.school.id,
            author_id=viewer.person_id,
            audience=audience,
            text=clean,
            file_id=file_id,
            ask_ack=ask_ack,
            urgent=urgent,
            recipient_ids=people,
            connected=connected,
            now=now,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="broadcast.send",
                entity="broadcast",
                entity_id=broadcast_id,
                school_id=resolved.school.id,
                after={
                    "audience": audience.to_json(),
                    "recipients": len(people),
                    "connected": connected,
                    "ask_ack": ask_ack,
                    "urgent": urgent,
                    "file": checked.filename if checked else None,
                    "length": len(clean),
                },
            ),
        )
        uow.record(
            BroadcastSent(
                broadcast_id=broadcast_id,
                school_id=resolved.school.id,
                recipients=len(people),
                urgent=urgent,
            ),
            school_id=resolved.school.id,
            actor_id=viewer.person_id,
        )
        await uow.commit()
        return SentBroadcast(broadcast_id, resolved.school.id, len(people), connected)


async def acknowledge(uow: UnitOfWork, viewer: Viewer, *, broadcast_id: int) -> bool:
    """A recipient confirms they read a broadcast that asked for it; True the first time only.

    Raises:
        NotFound: ``broadcast.not_found`` for anyone the broadcast did not go to, or one that
            asked for no acknowledgement.
    """
    async with uow:
        record = await _broadcast(uow, broadcast_id)
        if (
            record is None
            or not record.ask_ack
            or not viewer.active
            or viewer.person_id is None
            or viewer.person_id not in record.recipient_ids
        ):
            raise NotFound("broadcast.not_found")
        first = await uow.broadcasts.acknowledge(record.id, viewer.person_id, uow.clock.now())
        await uow.commit()
        return first


async def broadcast_report(
    uow: UnitOfWork, viewer: Viewer, *, broadcast_id: int
) -> BroadcastReport:
    """How a broadcast's delivery stands: for its sender and the school's managers.

    Raises:
        NotFound: ``broadcast.not_found`` for everyone else.
    """
    async with uow:
        record = await _broadcast(uow, broadcast_id)
        if record is None or not _may_follow(viewer, record):
            raise NotFound("broadcast.not_found")
        school = await uow.directory.school(record.school_id)
        if school is None:  # pragma: no cover - the broadcast's school cascades with it
            raise NotFound("broadcast.not_found")
        counts = await uow.broadcasts.delivery_counts(job_label(record.id))
        delivered = counts.get(_DELIVERED, 0)
        not_connected = counts.get(_NOT_CONNECTED, 0)
        unreachable = counts.get(_UNREACHABLE, 0)
        failed = counts.get(_FAILED, 0)
        settled = delivered + not_connected + unreachable + failed
        return BroadcastReport(
            broadcast_id=record.id,
            school_id=record.school_id,
            audience=record.audience,
            target_name=await _target_name(uow, record.audience),
            created_at=record.created_at.astimezone(ZoneInfo(school.time_zone)),
            ask_ack=record.ask_ack,
            urgent=record.urgent,
            recipients=record.recipients,
            connected=record.connected,
            delivered=delivered,
            not_connected=not_connected,
            unreachable=unreachable,
            failed=failed,
            pending=max(record.recipients - settled, 0),
            acknowledged=await uow.broadcasts.acknowledged(record.id),
        )


# ------------------------------------------------------------------------------------ helpers


async def _resolve(
    uow: UnitOfWork, viewer: Viewer, school_id: int, audience: Audience
) -> _Resolved:
    """The school, the target's name and the people the audience names now (never the viewer)."""
    school = await uow.directory.school(school_id) if possible_id(school_id) else None
    if school is None or not may_broadcast(viewer, school_id):
        raise NotFound("broadcast.school_not_found")
    today = school_today(uow, school)
    group: GroupFacts | None = None
    target_name = None
    if audience.scope is Scope.CLASS:
        klass = await uow.roster.class_record(audience.target)
        if klass is None or klass.school_id != school.id:
            raise NotFound("broadcast.class_not_found")
        target_name = klass.name
    elif audience.scope is Scope.GROUP:
        group = await uow.directory.group_facts(audience.target)
        record = await uow.directory.group(audience.target)
        if group is None or record is None or group.school_id != school.id:
            raise NotFound("broadcast.group_not_found")
        target_name = record.name
    if not may_send(viewer, school.id, audience, group):
        raise NotAllowed("broadcast.audience_not_allowed")
    people = await _people(uow, school, audience, today)
    if viewer.person_id is not None:
        people -= {viewer.person_id}
    return _Resolved(school, target_name, frozenset(people))


async def _people(
    uow: UnitOfWork, school: SchoolRecord, audience: Audience, today: date
) -> set[int]:
    """Active people the audience names on ``today``, each once."""
    repo = uow.broadcasts
    if audience.members is Members.STAFF:
        return set(await repo.staff(school.id))
    if audience.scope is Scope.SCHOOL:
        pupils = await repo.enrolled(school.id, today)
    elif audience.scope is Scope.GRADE:
        pupils = await repo.enrolled(school.id, today, grade=audience.target)
    elif audience.scope is Scope.CLASS:
        pupils = await repo.enrolled(school.id, today, class_id=audience.target)
    else:
        pupils = await repo.group_pupils(audience.target, today)
    if audience.condition is not Condition.NONE:
        policy = await school_policy(uow, school.id)
        codes = [c.code for c in policy.absence_codes if c.counts_as_absence]
        if audience.condition is Condition.ABSENT_TODAY:
            meeting = await repo.absent(
                school.id, today, today, codes=codes, justifications=_EVERY_JUSTIFICATION
            )
        else:
            meeting = await repo.absent(
                school.id, week_start(today), today, codes=codes, justifications=_UNEXCUSED
            )
        pupils = pupils & meeting
    if audience.members is Members.PUPILS:
        return set(pupils)
    parents = await repo.guardians(pupils)
    if audience.members is Members.PARENTS:
        return set(parents)
    people = set(pupils) | set(parents)
    if audience.scope is Scope.SCHOOL:
        people |= await repo.staff(school.id)
    return people


async def _broadcast(uow: UnitOfWork, broadcast_id: int) -> BroadcastRecord | None:
    if not possible_id(broadcast_id):
        return None
    return await uow.broadcasts.broadcast(broadcast_id)


def _may_follow(viewer: Viewer, record: BroadcastRecord) -> bool:
    """The sender (while still staff of the school) and the school's managers."""
    if manages_school(viewer, record.school_id):
        return True
    return (
        viewer.person_id is not None
        and viewer.person_id == record.author_id
        and may_broadcast(viewer, record.school_id)
    )


async def _target_name(uow: UnitOfWork, audience: Audience) -> str | None:
    if audience.scope is Scope.CLASS:
        klass = await uow.roster.class_record(audience.target)
        return None if klass is None else klass.name
    if audience.scope is Scope.GROUP:
        group = await uow.directory.group(audience.target)
        return None if group is None else group.name
    return None
