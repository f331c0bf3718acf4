"""Owns the rules of journal mail (rules 1.4, 4.1-4.2): who may write to whom, what a message is.

Pure functions over plain values:

- **The contact matrix** (``MailMatrix``): for each kind of sender — a parent (``guardian``), a
  ``pupil``, a ``teacher``, the school's ``administration`` (director, deputy directors) — the
  audiences they may write to. Each school may override it (``[mail_contacts]`` in its policy).
- **Contacts** (``family_contacts``, ``staff_contacts``): the matrix applied to one school's
  facts, grouped the way a sender picks: class teacher, subject teachers, administration, a
  class's pupils, a class's parents, colleagues.
- **A message**: the subject (the first line) and the text, within Telegram's limits; an
  attachment is one image, PDF or office document of at most 10 MB whose bytes match its type.
- **How a sender is named** to a recipient (``sender_role``): "class teacher, 5.a", "mother —
  Jānis Bērziņš, 5.a", "subject teacher: Mathematics", "deputy director".
- **The events** the notifications engine turns into chat messages: ``mail.sent``,
  ``mail.read`` (the sender's read receipt) and ``mail.reported`` (to the administration).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from core.domain.access import MANAGER_ROLES, TEACHING_ROLES, Role
from core.domain.collation import latvian_key
from core.domain.events import Event
from core.domain.news import ALLOWED_TYPES, FileCheck, check_content, check_file
from core.errors import InvalidInput

MAX_SUBJECT = 200
MAX_BODY = 3500  # with the heading (sender, role, subject) under Telegram's 4096 characters
MAX_REASON = 500
MAX_FILE_BYTES = 10_000_000
# Images, PDF and office documents (plain text files are not mail attachments).
MAIL_FILE_TYPES = ALLOWED_TYPES - {"text/plain"}
_FILE_KEYS = {
    "news.file_empty": "mail.file_empty",
    "news.file_too_big": "mail.file_too_big",
    "news.file_type": "mail.file_type",
    "news.file_mismatch": "mail.file_mismatch",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ------------------------------------------------------------------------------ the matrix


class SenderKind(StrEnum):
    """What a sender writes as in a school (a person may be several: the matrix is a union)."""

    GUARDIAN = "guardian"  # a parent with full rights, writing about one child
    PUPIL = "pupil"
    TEACHER = "teacher"  # a subject, interest or class teacher
    ADMINISTRATION = "administration"  # the director and the deputy directors


class Audience(StrEnum):
    """Whom a kind of sender may write to, relative to the sender (or the child written about)."""

    CLASS_TEACHER = "class_teacher"  # the class teacher of the (child's) class
    SUBJECT_TEACHERS = "subject_teachers"  # the teachers of the (child's) teaching groups
    ADMINISTRATION = "administration"  # the school's director and deputy directors
    OWN_PUPILS = "own_pupils"  # pupils of the teacher's groups and of the class they lead
    OWN_PARENTS = "own_parents"  # the parents of those pupils
    COLLEAGUES = "colleagues"  # the school's staff
    PUPILS = "pupils"  # every pupil of the school
    PARENTS = "parents"  # every parent of the school's pupils


# The order contact groups are shown in; a person listed twice stays in the first group.
AUDIENCE_ORDER: tuple[Audience, ...] = tuple(Audience)
FAMILY_AUDIENCES = frozenset(
    {Audience.CLASS_TEACHER, Audience.SUBJECT_TEACHERS, Audience.ADMINISTRATION}
)
STAFF_AUDIENCES = frozenset(
    {
        Audience.CLASS_TEACHER,
        Audience.SUBJECT_TEACHERS,
        Audience.ADMINISTRATION,
        Audience.COLLEAGUES,
    }
)


@dataclass(frozen=True, slots=True)
class MailMatrix:
    """Who may write to whom in one school: the audiences of each kind of sender."""

    guardian: frozenset[Audience]
    pupil: frozenset[Audience]
    teacher: frozenset[Audience]
    administration: frozenset[Audience]

    def audiences(self, kind: SenderKind) -> frozenset[Audience]:
        """The audiences a kind of sender may write to."""
        by_kind: dict[SenderKind, frozenset[Audience]] = {
            SenderKind.GUARDIAN: self.guardian,
            SenderKind.PUPIL: self.pupil,
            SenderKind.TEACHER: self.teacher,
            SenderKind.ADMINISTRATION: self.administration,
        }
        return by_kind[kind]

    def overridden(self, changes: Mapping[SenderKind, Iterable[Audience]]) -> MailMatrix:
        """The matrix with some kinds' audiences replaced (a school's policy)."""
        values = {kind.value: self.audiences(kind) for kind in SenderKind}
        values.update({kind.value: frozenset(audiences) for kind, audiences in changes.items()})
        return MailMatrix(**values)


# Defaults (issue #10): a parent → their children's class teacher and subject teachers, and the
# administration; a pupil → their teachers; a teacher → the pupils and parents of their groups
# and class, and colleagues; the administration → anyone of the school.
DEFAULT_MAIL_MATRIX = MailMatrix(
    guardian=frozenset(
        {Audience.CLASS_TEACHER, Audience.SUBJECT_TEACHERS, Audience.ADMINISTRATION}
    ),
    pupil=frozenset({Audience.CLASS_TEACHER, Audience.SUBJECT_TEACHERS}),
    teacher=frozenset({Audience.OWN_PUPILS, Audience.OWN_PARENTS, Audience.COLLEAGUES}),
    administration=frozenset({Audience.PUPILS, Audience.PARENTS, Audience.COLLEAGUES}),
)


# ------------------------------------------------------------------------ facts and contacts


@dataclass(frozen=True, slots=True)
class MailPerson:
    """A person as mail names them."""

    person_id: int
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class MailClass:
    """A class of the school year running now, with its class teacher."""

    class_id: int
    name: str
    grade: int
    class_teacher_id: int | None


@dataclass(frozen=True, slots=True)
class MailPupil:
    """A pupil enrolled now, in one class."""

    person: MailPerson
    class_id: int


@dataclass(frozen=True, slots=True)
class MailGuardian:
    """A parent with full rights (never a read-only carer) of one pupil."""

    person: MailPerson
    pupil_id: int
    relation: str  # mother | father | guardian | other


@dataclass(frozen=True, slots=True)
class StaffMember:
    """An active staff member of the school with their active staff roles."""

    person: MailPerson
    roles: frozenset[Role]


@dataclass(frozen=True, slots=True)
class SchoolFacts:
    """What the contact rules need of one school now (loaded by the service)."""

    school_id: int
    school_name: str
    staff: tuple[StaffMember, ...]
    classes: tuple[MailClass, ...]
    pupils: tuple[MailPupil, ...] = ()  # the pupils the sender's audiences may reach
    guardians: tuple[MailGuardian, ...] = ()  # full guardians of those pupils

    def klass(self, class_id: int) -> MailClass | None:
        """A class of the school by id."""
        return next((c for c in self.classes if c.class_id == class_id), None)


@dataclass(frozen=True, slots=True)
class RoleLabel:
    """How mail names what a person is: a core catalog key (``mail.role.*``) and its values."""

    key: str
    params: tuple[tuple[str, str], ...] = ()

    def values(self) -> dict[str, str]:
        """The placeholders as a dictionary."""
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone the sender may write to.

    ``pupil_id`` is the child a parent is listed for (a parent of two children is listed once
    per child): a message to them is about that child.
    """

    person_id: int
    name: str
    role: RoleLabel
    pupil_id: int | None = None


@dataclass(frozen=True, slots=True)
class ContactGroup:
    """One way of picking a recipient: an audience (of one class, for pupils and parents)."""

    audience: Audience
    school_id: int
    school_name: str
    class_name: str | None
    contacts: tuple[Contact, ...]


@dataclass(frozen=True, slots=True)
class ChildContext:
    """The child a parent writes about (or a pupil writing themselves): class and teachers.

    ``teachers`` maps a teacher's person id to the subjects they teach the child.
    """

    pupil: MailPerson
    class_id: int | None
    teachers: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


def family_contacts(
    audiences: frozenset[Audience], school: SchoolFacts, child: ChildContext, *, sender_id: int
) -> list[ContactGroup]:
    """A parent's (about ``child``) or a pupil's (``child`` is the pupil) contact groups.

    Only ``class_teacher``, ``subject_teachers`` and ``administration`` apply to families.
    """
    staff = {member.person.person_id: member for member in school.staff}
    klass = school.klass(child.class_id) if child.class_id is not None else None
    groups: list[ContactGroup] = []
    if Audience.CLASS_TEACHER in audiences and klass is not None:
        teacher = staff.get(klass.class_teacher_id or 0)
        if teacher is not None:
            label = RoleLabel("mail.role.class_teacher", (("class_name", klass.name),))
            groups.append(_group(Audience.CLASS_TEACHER, school, [_contact(teacher, label)]))
    if Audience.SUBJECT_TEACHERS in audiences:
        found = [
            _contact(staff[teacher], _subjects_label(subjects))
            for teacher, subjects in child.teachers.items()
            if teacher in staff
        ]
        groups.append(_group(Audience.SUBJECT_TEACHERS, school, found))
    if Audience.ADMINISTRATION in audiences:
        groups.append(_group(Audience.ADMINISTRATION, school, _administration(school)))
    return _finish(groups, sender_id)


def staff_contacts(
    audiences: frozenset[Audience],
    school: SchoolFacts,
    *,
    sender_id: int,
    own_pupils: frozenset[int] = frozenset(),
) -> list[ContactGroup]:
    """A teacher's or the administration's contact groups in one school.

    ``own_pupils`` are the pupils of the teacher's groups and of the class they lead; the
    school's ``pupils`` and ``guardians`` must cover every pupil an audience reaches.
    """
    groups: list[ContactGroup] = []
    if Audience.ADMINISTRATION in audiences:
        groups.append(_group(Audience.ADMINISTRATION, school, _administration(school)))
    classes = sorted(school.classes, key=lambda c: (c.grade, latvian_key(c.name)))
    for audience, only in ((Audience.OWN_PUPILS, own_pupils), (Audience.PUPILS, None)):
        if audience in audiences:
            groups += _pupil_groups(audience, school, classes, only)
    for audience, only in ((Audience.OWN_PARENTS, own_pupils), (Audience.PARENTS, None)):
        if audience in audiences:
            groups += _parent_groups(audience, school, classes, only)
    if Audience.COLLEAGUES in audiences:
        colleagues = [_contact(m, staff_role(m.roles)) for m in school.staff]
        groups.append(_group(Audience.COLLEAGUES, school, colleagues))
    return _finish(groups, sender_id)


def merge_groups(groups: Iterable[ContactGroup]) -> list[ContactGroup]:
    """Groups in the matrix's order; a contact already listed earlier is left out; no empties."""
    ordered = sorted(
        groups,
        key=lambda g: (AUDIENCE_ORDER.index(g.audience), g.school_id),
    )
    seen: set[tuple[int, int | None]] = set()
    merged: list[ContactGroup] = []
    for group in ordered:
        kept = []
        for contact in group.contacts:
            key = (contact.person_id, contact.pupil_id)
            if key not in seen:
                seen.add(key)
                kept.append(contact)
        same = next(
            (
                g
                for g in merged
                if (g.audience, g.school_id, g.class_name)
                == (group.audience, group.school_id, group.class_name)
            ),
            None,
        )
        if same is not None:
            index = merged.index(same)
            merged[index] = ContactGroup(
                same.audience,
                same.school_id,
                same.school_name,
                same.class_name,
                same.contacts + tuple(kept),
            )
        elif kept:
            merged.append(
                ContactGroup(
                    group.audience,
                    group.school_id,
                    group.school_name,
                    group.class_name,
                    tuple(kept),
                )
            )
    return merged


def _pupil_groups(
    audience: Audience,
    school: SchoolFacts,
    classes: Sequence[MailClass],
    only: frozenset[int] | None,
) -> list[ContactGroup]:
    groups = []
    for klass in classes:
        pupils = [
            Contact(
                p.person.person_id,
                p.person.full_name,
                RoleLabel("mail.role.pupil", (("class_name", klass.name),)),
            )
            for p in school.pupils
            if p.class_id == klass.class_id and (only is None or p.person.person_id in only)
        ]
        if pupils:
            groups.append(_group(audience, school, pupils, klass.name))
    return groups


def _parent_groups(
    audience: Audience,
    school: SchoolFacts,
    classes: Sequence[MailClass],
    only: frozenset[int] | None,
) -> list[ContactGroup]:
    pupils = {p.person.person_id: p for p in school.pupils}
    groups = []
    for klass in classes:
        parents = []
        for link in school.guardians:
            pupil = pupils.get(link.pupil_id)
            if pupil is None or pupil.class_id != klass.class_id:
                continue
            if only is not None and link.pupil_id not in only:
                continue
            parents.append(
                Contact(
                    link.person.person_id,
                    link.person.full_name,
                    guardian_role(link.relation, pupil.person.full_name, klass.name),
                    pupil_id=link.pupil_id,
                )
            )
        if parents:
            groups.append(_group(audience, school, parents, klass.name))
    return groups


def _administration(school: SchoolFacts) -> list[Contact]:
    return [
        _contact(member, staff_role(member.roles))
        for member in school.staff
        if member.roles & MANAGER_ROLES
    ]


def _contact(member: StaffMember, role: RoleLabel) -> Contact:
    return Contact(member.person.person_id, member.person.full_name, role)


def _group(
    audience: Audience,
    school: SchoolFacts,
    contacts: Sequence[Contact],
    class_name: str | None = None,
) -> ContactGroup:
    return ContactGroup(
        audience, school.school_id, school.school_name, class_name, tuple(contacts)
    )


def _finish(groups: list[ContactGroup], sender_id: int) -> list[ContactGroup]:
    """Contacts by name in every group, never the sender, no empty groups."""
    done = []
    for group in groups:
        contacts = sorted(
            (c for c in group.contacts if c.person_id != sender_id),
            key=lambda c: (latvian_key(c.name), c.person_id, c.pupil_id or 0),
        )
        if contacts:
            done.append(
                ContactGroup(
                    group.audience,
                    group.school_id,
                    group.school_name,
                    group.class_name,
                    tuple(contacts),
                )
            )
    return done


# ------------------------------------------------------------------------ naming the sender


def staff_role(roles: frozenset[Role], class_name: str | None = None) -> RoleLabel:
    """A staff member as mail names them: director, deputy director, class teacher, teacher."""
    if Role.DIRECTOR in roles:
        return RoleLabel("mail.role.director")
    if Role.DEPUTY_DIRECTOR in roles:
        return RoleLabel("mail.role.deputy_director")
    if class_name is not None:
        return RoleLabel("mail.role.class_teacher", (("class_name", class_name),))
    if roles & TEACHING_ROLES or Role.CLASS_TEACHER in roles:
        return RoleLabel("mail.role.teacher")
    return RoleLabel("mail.role.staff")


def guardian_role(relation: str, pupil_name: str, class_name: str | None) -> RoleLabel:
    """'mother — Jānis Bērziņš, 5.a' (the relation as the records office gave it)."""
    known = relation if relation in {"mother", "father", "guardian"} else "other"
    params = (("pupil", pupil_name), ("class_name", class_name or "—"))
    return RoleLabel(f"mail.role.{known}", params)


def _subjects_label(subjects: Sequence[str]) -> RoleLabel:
    return RoleLabel("mail.role.subject_teacher", (("subjects", ", ".join(subjects)),))


@dataclass(frozen=True, slots=True)
class SenderFacts:
    """What naming a sender needs, relative to the pupil a message concerns (if any).

    ``context_pupil`` is the pupil the thread is about, else the recipient when a pupil.
    ``guardian_relation`` is the sender's relation to that pupil (None: not their parent);
    ``context_class`` is that pupil's class; ``subjects`` what the sender teaches them;
    ``class_teacher_of`` the current classes the sender leads.
    """

    staff_roles: frozenset[Role]
    class_teacher_of: tuple[str, ...] = ()
    context_pupil: MailPerson | None = None
    context_class: MailClass | None = None
    guardian_relation: str | None = None
    subjects: tuple[str, ...] = ()
    pupil_class: str | None = None  # the sender's own class, when a pupil


def sender_role(facts: SenderFacts) -> RoleLabel:  # noqa: PLR0911 - one answer per relation
    """How a recipient sees the sender: as the child's parent, class or subject teacher first."""
    pupil, klass = facts.context_pupil, facts.context_class
    if pupil is not None and facts.guardian_relation is not None:
        return guardian_role(
            facts.guardian_relation, pupil.full_name, klass.name if klass else None
        )
    if facts.staff_roles & MANAGER_ROLES:
        return staff_role(facts.staff_roles)
    if klass is not None and klass.name in facts.class_teacher_of:
        return RoleLabel("mail.role.class_teacher", (("class_name", klass.name),))
    if pupil is not None and facts.subjects:
        return _subjects_label(facts.subjects)
    if facts.class_teacher_of:
        return RoleLabel("mail.role.class_teacher", (("class_name", facts.class_teacher_of[0]),))
    if facts.staff_roles:
        return staff_role(facts.staff_roles)
    if facts.pupil_class is not None:
        return RoleLabel("mail.role.pupil", (("class_name", facts.pupil_class),))
    return RoleLabel("mail.role.parent")


# ------------------------------------------------------------------------------- a message


@dataclass(frozen=True, slots=True)
class MailDraft:
    """A new message's subject (its first line) and text (the rest; may be empty)."""

    subject: str
    body: str


def mail_draft(text: str) -> MailDraft:
    """The subject and body of a new message: the first line is the subject.

    Raises:
        InvalidInput: ``mail.text_empty``, ``mail.subject_too_long``, ``mail.body_too_long``.
    """
    whole = _clean_text(text)
    if not whole:
        raise InvalidInput("mail.text_empty")
    head, _, rest = whole.partition("\n")
    return new_message(head, rest)


def new_message(subject: str, body: str) -> MailDraft:
    """A new message's subject (one line, required) and text (may be empty), checked.

    Raises:
        InvalidInput: ``mail.subject_empty``, ``mail.subject_too_long``, ``mail.body_too_long``.
    """
    heading = " ".join(_CONTROL.sub(" ", subject).split())
    if not heading:
        raise InvalidInput("mail.subject_empty")
    if len(heading) > MAX_SUBJECT:
        raise InvalidInput("mail.subject_too_long", max=MAX_SUBJECT, length=len(heading))
    text = _clean_text(body)
    _check_body(text)
    return MailDraft(heading, text)


def reply_body(text: str | None, *, has_file: bool) -> str:
    """A reply's text: empty only when a file is attached.

    Raises:
        InvalidInput: ``mail.reply_empty``, ``mail.body_too_long``.
    """
    body = _clean_text(text or "")
    if not body and not has_file:
        raise InvalidInput("mail.reply_empty")
    _check_body(body)
    return body


def report_reason(text: str) -> str:
    """Why a recipient reports a message: one to 500 characters.

    Raises:
        InvalidInput: ``mail.reason_empty``, ``mail.reason_too_long``.
    """
    reason = " ".join(_CONTROL.sub(" ", text).split())
    if not reason:
        raise InvalidInput("mail.reason_empty")
    if len(reason) > MAX_REASON:
        raise InvalidInput("mail.reason_too_long", max=MAX_REASON, length=len(reason))
    return reason


def check_attachment(filename: str | None, mime_type: str | None, data: bytes) -> FileCheck:
    """An attachment's clean name and type: an image, PDF or office document, ≤ 10 MB.

    Raises:
        InvalidInput: ``mail.file_empty``, ``mail.file_too_big``, ``mail.file_type``,
            ``mail.file_mismatch``.
    """
    try:
        checked = check_file(filename, mime_type, len(data))
        if checked.mime_type not in MAIL_FILE_TYPES:
            raise InvalidInput("mail.file_type")
        check_content(checked, data)
    except InvalidInput as refused:
        raise InvalidInput(_FILE_KEYS.get(refused.key, refused.key), **refused.params) from None
    return checked


def _clean_text(text: str) -> str:
    clean = _CONTROL_BUT_NEWLINES.sub("", text.replace("\t", " "))
    return "\n".join(line.rstrip() for line in clean.splitlines()).strip()


def _check_body(body: str) -> None:
    if len(body) > MAX_BODY:
        raise InvalidInput("mail.body_too_long", max=MAX_BODY, length=len(body))


def suspended(until: datetime | None, lifted_at: datetime | None, now: datetime) -> bool:
    """Whether a suspension holds now (``until`` None: until it is lifted)."""
    return lifted_at is None and (until is None or now < until)


# ---------------------------------------------------------------------- stored records


@dataclass(frozen=True, slots=True)
class PupilPlace:
    """Where a pupil is now: the school, the class, and who teaches them what."""

    pupil: MailPerson
    school_id: int
    class_id: int
    teachers: Mapping[int, tuple[str, ...]]  # teacher person id → subjects


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """A conversation as stored."""

    thread_id: int
    school_id: int
    subject: str
    about_pupil_id: int | None
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MailFile:
    """An attachment as a reader sees it before opening it."""

    file_id: int
    filename: str
    mime_type: str
    size: int


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One stored message with its thread's facts and its sender (None: the person is gone)."""

    message_id: int
    thread: ThreadRow
    sender: MailPerson | None
    reply_to_id: int | None
    body: str
    file: MailFile | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """A recipient of a message and when they read it (None: not yet)."""

    person: MailPerson
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A thread in a person's inbox: its last activity and the person's unread messages."""

    thread: ThreadRow
    last_at: datetime
    messages: int
    unread: int


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A stored report of a message."""

    report_id: int
    school_id: int
    message_id: int
    reporter_id: int
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SuspensionRow:
    """A person's messaging suspension in a school (``until`` None: until lifted)."""

    suspension_id: int
    school_id: int
    person: MailPerson
    until: datetime | None
    created_at: datetime


# ----------------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class MailSent(Event):
    """A message (a new thread's first, or a reply) was sent to its recipients."""

    kind: ClassVar[str] = "mail.sent"
    message_id: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class MailRead(Event):
    """A recipient read messages of a thread: their senders get a read receipt."""

    kind: ClassVar[str] = "mail.read"
    thread_id: int
    reader_id: int
    message_ids: tuple[int, ...]

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields; ``message_ids`` as a list."""
        return {**Event.payload(self), "message_ids": list(self.message_ids)}


@dataclass(frozen=True, slots=True)
class MailReported(Event):
    """A recipient reported a message (rule 4.2): the school's deputy directors are told."""

    kind: ClassVar[str] = "mail.reported"
    report_id: int
    message_id: int
