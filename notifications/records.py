"""Owns the plain values the notifications modules pass around: statuses, recipients, deliveries.

Frozen dataclasses only; no I/O and no SQL (the outbox maps rows to these).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Where one delivery stands."""

    QUEUED = "queued"  # waiting for its ``not_before``, then for the sender
    SENDING = "sending"  # claimed by a worker under a lease
    SENT = "sent"
    FAILED = "failed"  # gave up after retries, or a permanent error
    UNREACHABLE = "unreachable"  # the recipient blocked the bot or deleted the account
    NOT_CONNECTED = "not_connected"  # the recipient has no linked account: counted, never sent
    DIGEST = "digest"  # held for the recipient's next digest
    MERGED = "merged"  # folded into a digest message


# Rows nobody is working on and nothing was sent for: a correction may still rewrite them.
REWRITABLE = (Status.QUEUED, Status.DIGEST, Status.NOT_CONNECTED, Status.UNREACHABLE)
FINAL = (Status.SENT, Status.FAILED, Status.UNREACHABLE, Status.NOT_CONNECTED, Status.MERGED)


@dataclass(frozen=True, slots=True)
class Account:
    """A recipient's linked Telegram account, as fan-out needs it."""

    account_id: int
    chat_id: int
    language: str
    status: str  # active | unreachable | unlinked
    preferences: Mapping[str, Any] = field(default_factory=dict)
    quiet_from: time | None = None
    quiet_to: time | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person who may hear about a pupil: a guardian (or carer) or the pupil."""

    person_id: int
    relation: str  # guardian | pupil
    active: bool
    account: Account | None
    read_only: bool = False  # a carer: reads the child's journal, never acts for the child


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A row of core's events table."""

    id: int
    kind: str
    occurred_at: datetime
    school_id: int | None
    actor_id: int | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to write; ``key`` makes writing it twice harmless."""

    key: str
    kind: str
    payload: Mapping[str, Any]
    not_before: datetime
    status: Status = Status.QUEUED
    recipient_id: int | None = None
    chat_id: int | None = None
    event_id: int | None = None
    job: str | None = None


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """A delivery as read back (for claims, rewrites and digests)."""

    id: int
    key: str
    kind: str
    status: Status
    chat_id: int | None
    recipient_id: int | None
    payload: Mapping[str, Any]
    attempts: int
    not_before: datetime
    job: str | None = None
    event_id: int | None = None  # the event it was written for (fan-out rows)


@dataclass(frozen=True, slots=True)
class MailCarried:
    """Telegram messages that carried a journal mail message into a recipient's chat.

    Stored with the outcome, so that a Telegram reply to any of them threads back to the mail
    message (``mail_chat_messages``).
    """

    mail_message_id: int
    person_id: int
    chat_id: int
    message_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Completion:
    """What a worker learnt about one claimed delivery, to be written back.

    ``status`` SENT (with ``sent_at``), QUEUED (retry at ``not_before``), FAILED, UNREACHABLE
    (the account is marked too), or SENDING for progress of a multi-part message
    (``payload`` holds the updated part counter; the lease stays).
    """

    delivery_id: int
    status: Status
    at: datetime
    not_before: datetime | None = None
    attempts: int | None = None
    last_error: str | None = None
    chat_id: int | None = None
    new_chat_id: int | None = None
    payload: Mapping[str, Any] | None = None
    mail: MailCarried | None = None  # a mail message's parts that went out (replies map back)


@dataclass(frozen=True, slots=True)
class JobRun:
    """Bookkeeping of one run of a scheduled job for one period."""

    name: str
    period: str
    enqueued: int
    finished_at: datetime
    last_sent_at: datetime | None = None
    sent: int | None = None


@dataclass(frozen=True, slots=True)
class ReportRow:
    """Delivery counts of one job run, broadcast or event kind."""

    name: str
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    not_connected: int = 0
    digest: int = 0
    first_sent_at: datetime | None = None
    last_sent_at: datetime | None = None
    finished_at: datetime | None = None  # a job run's last delivery went out (``finish_runs``)

    @property
    def total(self) -> int:
        """Every delivery counted in the row (items merged into digests excluded)."""
        return (
            self.queued
            + self.sending
            + self.sent
            + self.failed
            + self.unreachable
            + self.not_connected
            + self.digest
        )


@dataclass(frozen=True, slots=True)
class MarkFacts:
    """What a mark message may say: nothing the recipient could not see in the journal."""

    mark_id: int
    pupil_id: int
    pupil_name: str
    school_id: int
    time_zone: str
    subject: str
    scale: str
    status: str
    value: str | None
    on_date: date


@dataclass(frozen=True, slots=True)
class AbsenceFacts:
    """What an absence message may say."""

    attendance_id: int
    pupil_id: int
    pupil_name: str
    school_id: int
    time_zone: str
    subject: str
    on_date: date
    period: int
    code: str
    policy: Mapping[str, Any]
    justification: str = "pending"  # pending | justified | unjustified, as stored now


@dataclass(frozen=True, slots=True)
class SchoolFacts:
    """What a school-wide message needs of a school: its name, zone and default language."""

    school_id: int
    name: str
    time_zone: str
    locale: str


@dataclass(frozen=True, slots=True)
class NewsFacts:
    """A published School news post, as its notification may show it."""

    post_id: int
    school_id: int
    author_id: int | None
    kind: str
    title: str
    body: str
    published: bool


@dataclass(frozen=True, slots=True)
class ClassFacts:
    """A class as a notice names it, with its class teacher."""

    class_id: int
    name: str
    class_teacher_id: int | None


@dataclass(frozen=True, slots=True)
class NoteFacts:
    """An absence note as its notices may show it: never the reason or a health detail.

    ``decision_reason`` is the class teacher's reason for a rejection.
    """

    note_id: int
    school_id: int
    time_zone: str
    locale: str
    pupil_id: int
    pupil_given_name: str
    pupil_family_name: str
    starts_on: date
    ends_on: date
    status: str
    submitted_by: int | None
    decided_by: int | None
    decision_reason: str | None


@dataclass(frozen=True, slots=True)
class GroupListFacts:
    """A teacher's submitted pupil list as its notices name it."""

    submission_id: int
    school_id: int
    time_zone: str
    locale: str
    group_name: str
    pupils: int
    status: str
    submitted_by: int | None
    submitter_name: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class HomeworkFacts:
    """A lesson's homework as its notice may show it (what the diary shows)."""

    lesson_id: int
    group_id: int
    school_id: int
    time_zone: str
    subject: str
    on_date: date
    homework: str | None
    due_on: date | None


@dataclass(frozen=True, slots=True)
class BroadcastFacts:
    """A staff broadcast as its deliveries show it, with the recipients resolved when sent.

    ``author_name`` is the sender's full name (None: the school, e.g. the console).
    """

    broadcast_id: int
    school_id: int
    school_name: str
    time_zone: str
    locale: str
    author_name: str | None
    text: str
    file_id: int | None
    ask_ack: bool
    urgent: bool
    recipient_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GuardianFacts:
    """A guardianship as a job sees it: who follows which pupil, with what rights."""

    guardian_id: int
    pupil_id: int
    read_only: bool  # a carer: reads the child's journal, never acts for the child
    active: bool
