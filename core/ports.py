"""Ports: what services need from storage, as Protocols. core.storage implements them.

Services depend on these and never on SQLAlchemy. A unit of work is single-use: a service enters
it, works, and calls ``commit()``; leaving without commit rolls everything back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from types import TracebackType
from typing import Any, Protocol, Self

from core.clock import Clock
from core.domain.access import GroupFacts, PupilFacts, Viewer
from core.domain.broadcasts import Audience, BroadcastRecord, Choice
from core.domain.calendar import BellSchedule, SchoolCalendar
from core.domain.events import Event
from core.domain.group_lists import (
    GroupListRecord,
    ListGroupInfo,
    Membership,
    MembershipPlan,
    SubmissionStatus,
)
from core.domain.mail import (
    InboxRow,
    MailPerson,
    MessageRow,
    PupilPlace,
    RecipientRow,
    ReportRow,
    StaffMember,
    SuspensionRow,
    ThreadRow,
)
from core.domain.marks import MarkValue
from core.domain.news import FileContent, NewsRow
from core.domain.records import (
    AccountRecord,
    AssessmentRecord,
    AttendanceRow,
    AuditRecord,
    ClassRecord,
    EnrolledPupil,
    GroupRecord,
    GuardianLink,
    InviteRecord,
    LessonRecord,
    MarkRecord,
    MarkRow,
    PersonRecord,
    PupilSummary,
    SchoolRecord,
    SchoolYearRecord,
    TermRecord,
)
from core.domain.teacher_day import (
    DayChange,
    FileInfo,
    GroupInfo,
    PlannedSlot,
    RecordedLesson,
)
from core.domain.timetable import (
    GroupShape,
    SlotData,
    StaffRef,
    SubjectRef,
    TermRef,
)


@dataclass(frozen=True, slots=True)
class PersonData:
    """Every stored field of a person: what an import compares and writes."""

    given_name: str
    family_name: str
    personal_code: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None


class DirectoryRepository(Protocol):
    """Schools, people and the facts the access policy needs."""

    async def school(self, school_id: int) -> SchoolRecord | None:
        """A school by id."""
        ...

    async def school_by_code(self, code: str) -> SchoolRecord | None:
        """A school by its short code."""
        ...

    async def schools(self) -> Sequence[SchoolRecord]:
        """Every school, by code."""
        ...

    async def add_school(
        self, *, code: str, name: str, time_zone: str, locale: str, now: datetime
    ) -> SchoolRecord:
        """Create a school."""
        ...

    async def add_school_year(
        self, school_id: int, name: str, calendar: SchoolCalendar
    ) -> SchoolYearRecord:
        """Create a school year with its terms and days off."""
        ...

    async def add_bell_schedule(
        self, school_id: int, schedule: BellSchedule, *, is_default: bool
    ) -> None:
        """Store a named bell schedule."""
        ...

    async def school_policy(self, school_id: int) -> Mapping[str, Any]:
        """The school's stored policy settings (validated by the caller)."""
        ...

    async def set_school_policy(self, school_id: int, settings: Mapping[str, Any]) -> None:
        """Store a school's (already validated) policy settings."""
        ...

    async def term_on(self, school_id: int, on: date) -> TermRecord | None:
        """The semester containing ``on``, else the latest one that started before it."""
        ...

    async def pupil_summaries(self, pupil_ids: Collection[int]) -> Sequence[PupilSummary]:
        """Names and current classes of pupils (pupils without an enrolment are left out)."""
        ...

    async def school_year_on(self, school_id: int, on: date) -> SchoolYearRecord | None:
        """The school year that contains a date, else the latest one that started before it."""
        ...

    async def viewer(self, person_id: int) -> Viewer | None:
        """The roles and links of a person, or None if there is no such person."""
        ...

    async def pupil_facts(self, pupil_id: int) -> PupilFacts | None:
        """Schools, classes and teachers of a pupil; None if the person is no pupil."""
        ...

    async def group_facts(self, group_id: int) -> GroupFacts | None:
        """School, teachers and classes of a teaching group."""
        ...

    async def group(self, group_id: int) -> GroupRecord | None:
        """A teaching group."""
        ...

    async def person(self, person_id: int) -> PersonRecord | None:
        """A person."""
        ...

    async def counts(self) -> Mapping[str, int]:
        """Entity counts for the whole deployment."""
        ...

    async def sample_people(self, school_id: int) -> Mapping[str, int]:
        """One person per demo role in a school, by role name.

        Roles: parent_of_two, pupil, subject_teacher, class_teacher, superuser, director; a role
        the school lacks is left out.
        """
        ...


class PeopleRepository(Protocol):
    """Writes and look-ups for the people import (rule 3.1)."""

    async def keys(self, school_id: int) -> Mapping[str, int]:
        """External key → person id for one school."""
        ...

    async def person_data(self, person_id: int) -> PersonData:
        """Every stored field of a person."""
        ...

    async def find_by_personal_code(self, personal_code: str) -> int | None:
        """A person with this personal code, in any school."""
        ...

    async def add_person(self, data: PersonData, *, now: datetime) -> int:
        """Create a person; returns the id."""
        ...

    async def update_person(self, person_id: int, data: PersonData, *, now: datetime) -> None:
        """Overwrite a person's fields."""
        ...

    async def add_key(self, school_id: int, key: str, person_id: int) -> None:
        """Remember a records-office key for a person in a school."""
        ...

    async def classes(self, school_year_id: int) -> Mapping[str, ClassRecord]:
        """Classes of a school year by name."""
        ...

    async def add_class(
        self, *, school_id: int, school_year_id: int, name: str, grade: int, teacher_id: int | None
    ) -> ClassRecord:
        """Create a class."""
        ...

    async def update_class(self, class_id: int, *, grade: int, teacher_id: int | None) -> None:
        """Change a class's grade or class teacher."""
        ...

    async def enrolment(self, pupil_id: int, school_year_id: int) -> tuple[int, int] | None:
        """(enrolment id, class id) of a pupil in a school year."""
        ...

    async def enrol(
        self, *, school_id: int, class_id: int, pupil_id: int, starts_on: date
    ) -> None:
        """Enrol a pupil in a class."""
        ...

    async def move_enrolment(self, enrolment_id: int, class_id: int) -> None:
        """Move a pupil's enrolment to another class of the same year."""
        ...

    async def staff_roles(self, school_id: int, person_id: int) -> frozenset[str]:
        """Staff roles of a person in a school."""
        ...

    async def add_staff_role(self, school_id: int, person_id: int, role: str) -> None:
        """Give a person a staff role in a school."""
        ...

    async def guardianship(self, guardian_id: int, pupil_id: int) -> str | None:
        """The relation of a guardian to a pupil, or None if not linked."""
        ...

    async def link_guardian(self, guardian_id: int, pupil_id: int, relation: str) -> None:
        """Link a guardian to a pupil."""
        ...

    async def set_relation(self, guardian_id: int, pupil_id: int, relation: str) -> None:
        """Change the recorded relation of a guardian to a pupil."""
        ...


class JournalRepository(Protocol):
    """Lessons, attendance, assessments and marks."""

    async def lesson(self, lesson_id: int) -> LessonRecord | None:
        """A lesson by id."""
        ...

    async def lesson_at(self, group_id: int, on: date, period: int) -> LessonRecord | None:
        """The lesson of a group in a period of a day."""
        ...

    async def save_lesson(
        self,
        *,
        school_id: int,
        group_id: int,
        on: date,
        period: int,
        teacher_id: int | None,
        topic: str | None,
        homework: str | None,
        homework_due_on: date | None,
        now: datetime,
    ) -> LessonRecord:
        """Create or update the lesson of (group, day, period)."""
        ...

    async def group_members(self, group_id: int, on: date) -> frozenset[int]:
        """Pupils in a group on a day."""
        ...

    async def lesson_attendance(self, lesson_id: int) -> Mapping[int, str]:
        """Pupil id → code for the lesson's non-present marks."""
        ...

    async def set_attendance(
        self,
        *,
        lesson: LessonRecord,
        pupil_id: int,
        code: str | None,
        actor_id: int | None,
        now: datetime,
    ) -> int | None:
        """Store (or clear, with None) a pupil's mark; returns the attendance id if stored."""
        ...

    async def mark_attendance_taken(self, lesson_id: int, now: datetime) -> None:
        """Record that the lesson's attendance was taken."""
        ...

    async def pupil_attendance(
        self, pupil_id: int, start: date, end: date, group_ids: frozenset[int] | None
    ) -> Sequence[AttendanceRow]:
        """A pupil's non-present marks in a date range (optionally only some groups)."""
        ...

    async def assessment(self, assessment_id: int) -> AssessmentRecord | None:
        """An assessment by id."""
        ...

    async def add_assessment(
        self,
        *,
        school_id: int,
        group_id: int,
        on: date,
        title: str,
        kind: str,
        scale: str,
        actor_id: int | None,
        now: datetime,
    ) -> AssessmentRecord:
        """Create an assessment."""
        ...

    async def mark(self, assessment_id: int, pupil_id: int) -> MarkRecord | None:
        """A pupil's current mark in an assessment."""
        ...

    async def save_mark(
        self,
        *,
        assessment: AssessmentRecord,
        pupil_id: int,
        value: MarkValue,
        comment: str | None,
        actor_id: int | None,
        now: datetime,
    ) -> MarkRecord:
        """Record or correct a mark, appending a revision."""
        ...

    async def pupil_marks(
        self, pupil_id: int, start: date, end: date, group_ids: frozenset[int] | None
    ) -> Sequence[MarkRow]:
        """A pupil's marks in a date range (optionally only some groups), oldest first."""
        ...

    async def mark_history(self, mark_id: int) -> Sequence[MarkRecord]:
        """Every revision of a mark, oldest first (empty if there is no such mark)."""
        ...

    async def teacher_groups_of_pupil(self, pupil_id: int, teacher_id: int) -> Sequence[int]:
        """Groups the pupil belongs to that the teacher teaches."""
        ...

    async def group_assessments(
        self, group_id: int, *, on: date | None, limit: int
    ) -> Sequence[AssessmentRecord]:
        """A group's assessments (of one day, or any), newest first, at most ``limit``."""
        ...

    async def assessment_marks(self, assessment_id: int) -> Sequence[MarkRecord]:
        """The current marks of an assessment, one per pupil."""
        ...

    async def marked_counts(self, assessment_ids: Collection[int]) -> Mapping[int, int]:
        """Assessment id → how many pupils have a mark or "nv" in it (absent when none)."""
        ...


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """An account's notification settings as stored (``preferences`` JSON and quiet hours)."""

    account_id: int
    person_id: int
    status: str
    language: str
    preferences: Mapping[str, Any]
    quiet_from: time | None
    quiet_to: time | None


class AccountsRepository(Protocol):
    """Telegram accounts linked to people."""

    async def by_telegram_user(self, telegram_user_id: int) -> AccountRecord | None:
        """The account of a Telegram user (any status)."""
        ...

    async def by_person(self, person_id: int) -> Sequence[AccountRecord]:
        """Accounts linked to a person."""
        ...

    async def link(
        self, *, person_id: int, telegram_user_id: int, chat_id: int, language: str, now: datetime
    ) -> AccountRecord:
        """Link (or re-link) a Telegram user to a person."""
        ...

    async def set_language(self, account_id: int, language: str) -> None:
        """Remember the account's UI language."""
        ...

    async def set_reachable(self, telegram_user_id: int, *, reachable: bool) -> bool:
        """Active again (True) or unreachable (False); linked accounts only. Whether it changed."""
        ...

    async def touch(self, account_id: int, now: datetime) -> None:
        """Record that the account was seen."""
        ...

    async def unlink(self, account_id: int) -> None:
        """Disconnect the account from its person (the row stays, with status "unlinked")."""
        ...

    async def settings(self, account_id: int, *, lock: bool = False) -> AccountSettings | None:
        """An account's notification settings; ``lock`` holds the row until the end."""
        ...

    async def set_preferences(self, account_id: int, preferences: Mapping[str, Any]) -> None:
        """Replace the account's ``preferences`` JSON."""
        ...

    async def set_quiet_hours(self, account_id: int, start: time | None, end: time | None) -> None:
        """Store the account's quiet hours (both None: the school default)."""
        ...


class InvitesRepository(Protocol):
    """Invitations (stored as code hashes only) and the ledger of attempts to connect."""

    async def add(
        self,
        *,
        code_hash: str,
        school_id: int,
        person_id: int,
        purpose: str,
        pupil_id: int | None,
        issued_by: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> InviteRecord:
        """Store a new invitation."""
        ...

    async def by_hash(self, code_hash: str) -> InviteRecord | None:
        """The invitation whose code has this hash."""
        ...

    async def pending(
        self,
        *,
        now: datetime,
        person_ids: Collection[int] | None = None,
        purpose: str | None = None,
        issued_by: int | None = None,
        pupil_id: int | None = None,
    ) -> Sequence[InviteRecord]:
        """Unused, unrevoked, unexpired invitations matching every filter given."""
        ...

    async def revoke(self, invite_ids: Collection[int], now: datetime) -> None:
        """Revoke invitations (already used or revoked ones are left as they are)."""
        ...

    async def mark_used(self, invite_id: int, *, account_id: int, now: datetime) -> None:
        """Record that an invitation connected an account."""
        ...

    async def failures_since(self, telegram_user_id: int, since: datetime) -> int:
        """Failed attempts of a Telegram user after ``since`` (the brute-force count)."""
        ...

    async def record_attempt(
        self, telegram_user_id: int, *, method: str, outcome: str, at: datetime
    ) -> None:
        """Append an attempt to the ledger (and prune the user's rows older than a day)."""
        ...


class RosterRepository(Protocol):
    """Who belongs where now: class lists, guardians, staff, connections, activation."""

    async def class_record(self, class_id: int) -> ClassRecord | None:
        """A class by id."""
        ...

    async def enrolled(
        self, class_ids: Collection[int], on: date, *, active_only: bool = True
    ) -> Sequence[EnrolledPupil]:
        """Pupils enrolled in these classes whose enrolment has not ended by ``on``.

        Only active pupils unless ``active_only`` is False.
        """
        ...

    async def guardians_of(self, pupil_ids: Collection[int]) -> Sequence[GuardianLink]:
        """Active guardians (read-only carers included) of these pupils."""
        ...

    async def staff(self, school_id: int) -> Sequence[PersonRecord]:
        """Active people holding an active staff role in a school."""
        ...

    async def school_people(self, school_ids: Collection[int]) -> Sequence[PersonRecord]:
        """Everyone tied to these schools: records-office key, staff role, enrolment, or child."""
        ...

    async def person_schools(self, person_id: int) -> frozenset[int]:
        """Schools a person is tied to (by key, staff role, enrolment or a child's enrolment)."""
        ...

    async def person_by_key(self, school_id: int, key: str) -> int | None:
        """The person with this records-office key in a school."""
        ...

    async def connected(self, person_ids: Collection[int]) -> frozenset[int]:
        """Those of these people who have a linked Telegram account."""
        ...

    async def by_phone(self, phone: str) -> Sequence[int]:
        """Active people whose recorded phone is exactly ``phone`` (normalized)."""
        ...

    async def set_active(self, person_id: int, active: bool, now: datetime) -> None:
        """Activate or deactivate a person."""
        ...

    async def add_guardianship(
        self, *, guardian_id: int, pupil_id: int, relation: str, read_only: bool, granted_by: int
    ) -> None:
        """Link a guardian or carer to a pupil."""
        ...

    async def remove_guardianship(self, guardian_id: int, pupil_id: int) -> None:
        """Remove a guardian's or carer's link to a pupil."""
        ...


class SeedWriter(Protocol):
    """Bulk writes for generated data (the demo school)."""

    async def demo(
        self,
        *,
        seed: int,
        today: date,
        schools: int,
        classes_per_grade: int,
        pupils_per_class: int | None,
    ) -> Mapping[str, int]:
        """Generate and write deterministic demo schools; returns rows written per table."""
        ...


class TimetableRepository(Protocol):
    """The semester timetable: terms, subjects, teaching groups and weekly slots."""

    async def terms(self, school_year_id: int) -> Sequence[TermRef]:
        """The semesters of a school year, in order."""
        ...

    async def calendar(self, school_year_id: int) -> SchoolCalendar:
        """A school year's calendar: terms, days off, school weekdays and week cycle."""
        ...

    async def default_bells(self, school_id: int) -> BellSchedule | None:
        """The school's default bell schedule, if any."""
        ...

    async def subjects(self, school_id: int) -> Sequence[SubjectRef]:
        """The school's subjects."""
        ...

    async def add_subject(self, school_id: int, short_name: str, name: str) -> int:
        """Create a subject; its id."""
        ...

    async def staff(self, school_id: int) -> Sequence[StaffRef]:
        """Active staff of the school with their names and records-office keys."""
        ...

    async def groups(self, school_year_id: int) -> Sequence[GroupShape]:
        """Teaching groups of a school year with their classes and teachers."""
        ...

    async def add_group(
        self,
        *,
        school_id: int,
        school_year_id: int,
        subject_id: int,
        name: str,
        kind: str,
        grade: int,
        class_ids: Collection[int],
    ) -> int:
        """Create a teaching group drawing from these classes; its id."""
        ...

    async def add_group_teachers(self, group_id: int, teacher_ids: Collection[int]) -> None:
        """Add teachers to a group."""
        ...

    async def add_group_members(
        self, group_id: int, pupil_ids: Collection[int], starts_on: date
    ) -> None:
        """Add pupils to a group from a date."""
        ...

    async def group_members(self, group_id: int) -> frozenset[int]:
        """Pupils ever added to a group."""
        ...

    async def slots(self, term_id: int) -> Sequence[SlotData]:
        """A term's weekly slots."""
        ...

    async def replace_slots(
        self, *, school_id: int, term_id: int, slots: Collection[SlotData]
    ) -> None:
        """Delete a term's slots and store these instead."""
        ...

    async def pupil_groups(self, pupil_id: int, start: date, end: date) -> frozenset[int]:
        """Groups whose timetable a pupil follows between two dates.

        The groups the pupil is a member of, and the part groups of the pupil's class that
        have no pupil list yet (the pupil may be in any of them until the list is made).
        """
        ...


@dataclass(frozen=True, slots=True)
class SlotRow:
    """One stored weekly timetable row (a lesson with two teachers has two rows)."""

    id: int
    term_id: int
    weekday: int
    period: int
    week: int | None
    group_id: int
    teacher_id: int | None
    teacher_name: str | None
    room: str | None


@dataclass(frozen=True, slots=True)
class GroupDetails:
    """A teaching group with what a change or a timetable line names: subject, classes."""

    id: int
    school_id: int
    school_year_id: int
    name: str
    kind: str
    grade: int
    subject_id: int | None
    subject_name: str | None
    class_ids: tuple[int, ...]
    class_names: tuple[str, ...]
    teacher_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A stored timetable change of one date (``slot_id`` None for an extra lesson)."""

    id: int
    school_id: int
    on: date
    kind: str
    status: str
    slot_id: int | None
    group_id: int
    period: int
    teacher_id: int | None
    room: str | None
    new_date: date | None
    new_period: int | None
    note: str | None
    created_by: int | None
    published_at: datetime | None


class ChangesRepository(Protocol):
    """Daily timetable changes and the timetable rows, groups and people they name."""

    async def slot_rows(
        self,
        *,
        term_id: int | None = None,
        weekdays: Collection[int] | None = None,
        group_ids: Collection[int] | None = None,
        teacher_id: int | None = None,
        lessons_of: Collection[int] | None = None,
    ) -> Sequence[SlotRow]:
        """Timetable rows matching every filter given, by id.

        ``teacher_id`` keeps the rows of groups the teacher teaches in the term; ``lessons_of``
        keeps every row of the same lesson (term, weekday, period, week, group) as these ids.
        """
        ...

    async def group_details(
        self, *, group_ids: Collection[int] | None = None, school_year_id: int | None = None
    ) -> Sequence[GroupDetails]:
        """Teaching groups by id or of a school year, with subject, classes and teachers."""
        ...

    async def teaching_staff(self, school_id: int, school_year_id: int) -> Sequence[PersonRecord]:
        """Active staff who teach: a teaching role, or a group of the year and any staff role."""
        ...

    async def people(self, person_ids: Collection[int]) -> Sequence[PersonRecord]:
        """These people (active or not), by id."""
        ...

    async def members(self, group_ids: Collection[int], on: date) -> Mapping[int, frozenset[int]]:
        """Active pupils listed in each group on a date (groups without a list are left out)."""
        ...

    async def changes(
        self,
        school_id: int,
        start: date,
        end: date,
        *,
        moved_in: bool = True,
        published_only: bool = False,
    ) -> Sequence[ChangeRecord]:
        """Changes dated between two dates (and, with ``moved_in``, moves into them), by id."""
        ...

    async def change(self, change_id: int) -> ChangeRecord | None:
        """A change by id."""
        ...

    async def add_change(
        self,
        *,
        school_id: int,
        on: date,
        kind: str,
        slot_id: int | None,
        group_id: int,
        period: int,
        teacher_id: int | None,
        room: str | None,
        new_date: date | None,
        new_period: int | None,
        note: str | None,
        created_by: int | None,
        now: datetime,
    ) -> int:
        """Store a draft change; its id."""
        ...

    async def delete_changes(self, change_ids: Collection[int]) -> None:
        """Delete changes."""
        ...

    async def publish(self, change_ids: Collection[int], now: datetime) -> None:
        """Mark changes published at ``now``."""
        ...


class FilesRepository(Protocol):
    """Stored files (attachments, note photos, documents): bytes with size and SHA-256."""

    async def add(
        self,
        *,
        school_id: int | None,
        filename: str,
        mime_type: str,
        content: bytes,
        created_by: int | None,
        now: datetime,
        reuse: bool = False,
    ) -> int:
        """Store the bytes; the new row's id (with ``reuse``, an earlier row of the same bytes)."""
        ...


class NewsRepository(Protocol):
    """School news posts (timetable bulletins too) and their attachments."""

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
        """Store a post (``published_at`` None keeps it out of the feed); its id."""
        ...

    async def posts(
        self, school_ids: Collection[int], *, until: datetime, offset: int, limit: int
    ) -> Sequence[NewsRow]:
        """Posts of these schools published by ``until``, newest first."""
        ...

    async def post(self, post_id: int) -> NewsRow | None:
        """One post (published or not)."""
        ...

    async def attachment(self, post_id: int) -> FileContent | None:
        """The bytes of a post's attachment, if it has one."""
        ...

    async def delete(self, post_id: int) -> None:
        """Delete a post and its attachment."""
        ...

    async def audience(self, school_id: int, on: date) -> frozenset[int]:
        """Active people of a school with a linked Telegram account.

        Staff with an active role, pupils enrolled on ``on``, and their guardians and carers.
        """
        ...


class GroupListsRepository(Protocol):
    """Teachers' pupil lists of part, combined and club groups (rule 3.4); group memberships."""

    async def list_group(self, group_id: int) -> ListGroupInfo | None:
        """A teaching group with its subject and the classes it draws from (by class name)."""
        ...

    async def teacher_list_groups(
        self, teacher_id: int, school_year_ids: Collection[int]
    ) -> Sequence[ListGroupInfo]:
        """Part, combined and club groups of these school years that the person teaches."""
        ...

    async def memberships(self, group_id: int) -> Sequence[Membership]:
        """Every stored membership row of a group (ended ones too)."""
        ...

    async def apply_plan(self, group_id: int, plan: MembershipPlan) -> None:
        """Change a group's membership rows as the plan says."""
        ...

    async def add(
        self,
        *,
        school_id: int,
        group_id: int,
        submitted_by: int | None,
        pupil_ids: Sequence[int],
        note: str | None,
        now: datetime,
    ) -> GroupListRecord:
        """Store a new pending submission."""
        ...

    async def submission(self, submission_id: int) -> GroupListRecord | None:
        """A submission by id."""
        ...

    async def pending(
        self, *, school_id: int | None = None, group_id: int | None = None
    ) -> Sequence[GroupListRecord]:
        """Pending submissions of a school or of a group, oldest first."""
        ...

    async def latest(self, group_ids: Collection[int]) -> Mapping[int, GroupListRecord]:
        """The newest submission of each of these groups that has one."""
        ...

    async def set_status(
        self,
        submission_ids: Collection[int],
        status: SubmissionStatus,
        *,
        decided_by: int | None = None,
        decided_at: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        """Record a decision (or that newer lists superseded these)."""
        ...


class TeacherDayRepository(Protocol):
    """A date's slots and published changes, lesson states, lesson files (a teacher's day)."""

    async def slots_on(
        self, term_id: int, weekday: int, week: int, *, group_id: int | None = None
    ) -> Sequence[PlannedSlot]:
        """The term's slots of a weekday in that cycle week, one per (group, period)."""
        ...

    async def changes_between(
        self, school_id: int, start: date, end: date, *, group_id: int | None = None
    ) -> Sequence[DayChange]:
        """Published changes whose date, or whose move target date, lies in ``start..end``."""
        ...

    async def groups(self, group_ids: Collection[int]) -> Mapping[int, GroupInfo]:
        """Teaching groups by id with subject, classes (by name) and teachers."""
        ...

    async def recorded_lessons(
        self, group_ids: Collection[int], on: date
    ) -> Sequence[RecordedLesson]:
        """Lesson rows of these groups on a date, with attendance codes and file counts."""
        ...

    async def marks_on(self, group_ids: Collection[int], on: date) -> Mapping[int, int]:
        """Group id → marks recorded in the group's assessments of that date."""
        ...

    async def assigned(self, teacher_id: int, group_id: int, on: date, period: int) -> bool:
        """Whether a published substitution or extra lesson gives this lesson to the teacher."""
        ...

    async def set_lesson_teacher(
        self, lesson_id: int, teacher_id: int | None, *, is_substitution: bool, now: datetime
    ) -> None:
        """Record who taught the lesson and whether it was a substitution."""
        ...

    async def attach_file(self, lesson_id: int, file_id: int, purpose: str) -> None:
        """Attach a stored file to a lesson."""
        ...

    async def lesson_files(
        self, lesson_id: int, *, purpose: str, content: bool = False
    ) -> Sequence[FileInfo]:
        """Files attached to a lesson for a purpose, oldest first (bytes only if asked)."""
        ...

    async def teaching_staff(self, school_id: int) -> Sequence[PersonRecord]:
        """Active people holding an active teaching role in a school."""
        ...


@dataclass(frozen=True, slots=True)
class AbsenceNoteRecord:
    """An absence note as stored; the attachment's bytes stay apart (``NoteFile``)."""

    id: int
    school_id: int
    pupil_id: int
    starts_on: date
    ends_on: date
    reason: str
    reason_text: str | None
    file_id: int | None
    channel: str
    submitted_by: int | None
    submitted_at: datetime
    status: str
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None


@dataclass(frozen=True, slots=True)
class NoteFile:
    """A note's attachment with its bytes."""

    id: int
    filename: str
    mime_type: str
    size: int
    content: bytes


@dataclass(frozen=True, slots=True)
class AbsenceEntry:
    """An attendance row with what justifying it needs: lesson, subject, note and decision."""

    attendance_id: int
    school_id: int
    pupil_id: int
    lesson_id: int
    on_date: date
    period: int
    subject_name: str
    code: str
    justification: str
    note_id: int | None
    note_status: str | None
    reason: str | None


class AbsenceNotesRepository(Protocol):
    """Absence notes (rule 3.6), their attachments, and the attendance rows they cover."""

    async def file(self, file_id: int) -> NoteFile | None:
        """A stored file with its bytes."""
        ...

    async def add(
        self,
        *,
        school_id: int,
        pupil_id: int,
        starts_on: date,
        ends_on: date,
        reason: str,
        reason_text: str | None,
        file_id: int | None,
        channel: str,
        submitted_by: int | None,
        now: datetime,
    ) -> AbsenceNoteRecord:
        """Store a submitted note."""
        ...

    async def note(self, note_id: int, *, lock: bool = False) -> AbsenceNoteRecord | None:
        """A note by id; ``lock`` holds its row until the transaction ends."""
        ...

    async def pupil_notes(self, pupil_id: int, limit: int) -> Sequence[AbsenceNoteRecord]:
        """A pupil's latest notes, newest first."""
        ...

    async def overlapping(
        self,
        pupil_id: int,
        starts_on: date,
        ends_on: date,
        statuses: Collection[str],
        *,
        exclude: int | None = None,
    ) -> Sequence[AbsenceNoteRecord]:
        """The pupil's notes in these statuses sharing a day with the range."""
        ...

    async def covering(self, pupil_id: int, on: date) -> AbsenceNoteRecord | None:
        """The accepted (else submitted) note covering the pupil's day."""
        ...

    async def submitted(self, pupil_ids: Collection[int]) -> Sequence[AbsenceNoteRecord]:
        """Notes of these pupils waiting for a decision, oldest first."""
        ...

    async def decide(
        self,
        note_id: int,
        *,
        status: str,
        decided_by: int | None,
        reason: str | None,
        now: datetime,
    ) -> AbsenceNoteRecord:
        """Record the decision on a note; the note as it is now."""
        ...

    async def delete(self, note_id: int) -> None:
        """Delete a note and its attachment; the absences it covered lose the link."""
        ...

    async def pupil_class(self, pupil_id: int, on: date) -> ClassRecord | None:
        """The pupil's class on a day, else the class of their latest enrolment."""
        ...

    async def absence(self, attendance_id: int) -> AbsenceEntry | None:
        """One attendance row."""
        ...

    async def absences(
        self, pupil_ids: Collection[int], start: date, end: date
    ) -> Sequence[AbsenceEntry]:
        """Every attendance row of these pupils in a date range, oldest first."""
        ...

    async def note_absences(self, note_ids: Collection[int]) -> Sequence[AbsenceEntry]:
        """The attendance rows linked to these notes, oldest first."""
        ...

    async def undecided(
        self, pupil_ids: Collection[int], codes: Collection[str], since: date
    ) -> Sequence[AbsenceEntry]:
        """Pending absences (these codes) of these pupils with no note, oldest first."""
        ...

    async def link(
        self,
        attendance_ids: Collection[int],
        *,
        note_id: int | None,
        justification: str,
        now: datetime,
    ) -> None:
        """Tie attendance rows to a note (or none) with a justification."""
        ...

    async def justify(
        self,
        attendance_ids: Collection[int],
        *,
        justification: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Set the justification (and its reason) of absences without a note."""
        ...


@dataclass(frozen=True, slots=True)
class CalendarFeedRecord:
    """A personal calendar feed link: its owner, the pupil it shows, its state; never the token."""

    id: int
    person_id: int
    pupil_id: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class HomeworkDue:
    """Homework set in a lesson of a group, with its due date and the group's subject."""

    lesson_id: int
    group_id: int
    on: date  # the lesson the homework was set in
    due_on: date
    subject: str  # the subject's name, else the group's name
    text: str


class CalendarFeedRepository(Protocol):
    """Calendar feed links (token hashes only) and what a feed shows beyond the timetable."""

    async def add(
        self, *, person_id: int, pupil_id: int, token_hash: str, now: datetime
    ) -> CalendarFeedRecord:
        """Store a new live feed."""
        ...

    async def feed(self, feed_id: int) -> CalendarFeedRecord | None:
        """A feed by id (live or revoked)."""
        ...

    async def by_hash(self, token_hash: str) -> CalendarFeedRecord | None:
        """The feed whose token has this SHA-256 hash (live or revoked)."""
        ...

    async def live(self, person_id: int, pupil_id: int) -> Sequence[CalendarFeedRecord]:
        """A person's unrevoked feeds of one pupil, oldest first."""
        ...

    async def revoke(self, feed_id: int, now: datetime) -> None:
        """Revoke a feed that is still live."""
        ...

    async def touch(self, feed_id: int, now: datetime) -> None:
        """Record that the feed was fetched."""
        ...

    async def homework_due(
        self, group_ids: Collection[int], start: date, end: date
    ) -> Sequence[HomeworkDue]:
        """Homework of the groups' lessons due between two dates (inclusive), by due date."""
        ...

    async def language(self, person_id: int) -> str | None:
        """The language of the person's linked account (the latest linked), if any."""
        ...


@dataclass(frozen=True, slots=True)
class AuditChange:
    """One audit entry about a pupil's journal, joined with what it was about.

    ``group_id``, ``subject``, ``on_date``, ``period``, ``title`` and ``scale`` describe the lesson
    or assessment (None when the entry is not about one, or it is gone); ``starts_on``/``ends_on``
    an absence note's days. ``before``/``after`` are the entry's stored values, unfiltered: the
    service picks what may be shown.
    """

    entry_id: int
    occurred_at: datetime
    action: str
    actor_id: int | None
    actor_role: str
    actor_given_name: str | None
    actor_family_name: str | None
    group_id: int | None
    subject: str | None
    on_date: date | None
    period: int | None
    title: str | None
    scale: str | None
    starts_on: date | None
    ends_on: date | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


class HistoryRepository(Protocol):
    """Reads of the audit log for a pupil's change history."""

    async def pupil_entries(
        self, pupil_id: int, actions: Collection[str], since: datetime
    ) -> Sequence[AuditChange]:
        """Entries about the pupil (``subject_person_id``) with these actions since an instant."""
        ...

    async def group_lesson_entries(
        self, pupil_id: int, action: str, since: datetime
    ) -> Sequence[AuditChange]:
        """Entries of an action on lessons of groups the pupil belonged to on the lesson's day."""
        ...


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit entry as the console shows it, with the names of its actor and subject."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_role: str
    school_code: str | None
    action: str
    entity: str
    entity_id: int | None
    subject_person_id: int | None
    subject_name: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class DisclosureRow:
    """A recorded lawful disclosure (rule 6.4)."""

    id: int
    created_at: datetime
    school_id: int | None
    person_id: int | None
    person_name: str | None
    disclosed_by_name: str | None
    actor_role: str
    basis: str
    requester: str
    file_name: str
    sha256: str
    rows: int


class AuditRepository(Protocol):
    """Reads of the audit trail and the disclosures register; the export of a person's data."""

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
        ...

    async def access_entries(self, pupil_id: int, since: datetime) -> Sequence[AuditRow]:
        """Reads of the pupil's data by anyone but the pupil, and disclosures, newest first."""
        ...

    async def person_by_code(self, personal_code: str) -> int | None:
        """The person with this personal code."""
        ...

    async def person_schools(self, person_id: int) -> frozenset[int]:
        """Schools the person is known in: enrolled, staff, a records-office key, a child's."""
        ...

    async def person_data(self, person_id: int) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Every stored row about the person, table by table, as JSON values (no secrets)."""
        ...

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
        ...

    async def disclosures(self, school_id: int | None, limit: int) -> Sequence[DisclosureRow]:
        """Disclosures (of one school, or all), newest first."""
        ...


@dataclass(frozen=True, slots=True)
class DiaryLessonRow:
    """A lesson held, as a pupil's diary shows it: the journal's row with its names filled in.

    ``teacher_name`` is who taught it (the lesson's teacher), None when nobody is recorded.
    """

    lesson: LessonRecord
    group_name: str
    subject_name: str | None
    teacher_name: str | None


@dataclass(frozen=True, slots=True)
class HomeworkFileRow:
    """A stored file with its bytes and the lessons (group, date) whose homework it belongs to."""

    file: FileInfo
    lessons: tuple[tuple[int, date], ...]


class DiaryRepository(Protocol):
    """What a pupil's diary and homework list read from the journal (lessons held, files)."""

    async def lessons(
        self,
        *,
        group_ids: Collection[int],
        lesson_ids: Collection[int],
        start: date,
        end: date,
    ) -> Sequence[DiaryLessonRow]:
        """Lessons held between two dates in these groups, and these lessons; by date, period."""
        ...

    async def homework_due(
        self, *, group_ids: Collection[int], start: date, end: date, purpose: str
    ) -> Sequence[DiaryLessonRow]:
        """Lessons of these groups whose homework (text or files of ``purpose``) is due then."""
        ...

    async def lesson_files(
        self, lesson_ids: Collection[int], *, purpose: str
    ) -> Mapping[int, tuple[FileInfo, ...]]:
        """Lesson id → its files of ``purpose`` (no bytes), oldest first."""
        ...

    async def homework_file(self, file_id: int, *, purpose: str) -> HomeworkFileRow | None:
        """A file with its bytes and the lessons it is attached to for ``purpose``; else None."""
        ...


@dataclass(frozen=True, slots=True)
class PeriodMarkRecord:
    """A stored semester or year mark (``term_id`` None for a year mark).

    ``value`` is canonical like a mark's (``"8"``, ``"A"``, ``"pass"``, ``"85"``) or ``"nv"``;
    ``proposed_value`` is what the rules proposed when the teacher confirmed it.
    """

    id: int
    school_id: int
    group_id: int
    pupil_id: int
    kind: str  # semester | year
    term_id: int | None
    scale: str
    proposed_value: str | None
    value: str | None
    status: str  # proposed | confirmed
    confirmed_by: int | None
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class GroupMarkRow:
    """A current mark in one of a group's assessments."""

    assessment_id: int
    pupil_id: int
    kind: str
    scale: str
    on_date: date
    status: str
    value: str | None


@dataclass(frozen=True, slots=True)
class GroupLessonRow:
    """A lesson of a group with the name of the teacher who taught it (None: nobody recorded)."""

    lesson: LessonRecord
    teacher_name: str | None


@dataclass(frozen=True, slots=True)
class AbsenceMarkRow:
    """A non-present attendance mark with its lesson's group, date and period."""

    lesson_id: int
    group_id: int
    pupil_id: int
    on_date: date
    period: int
    code: str
    justification: str


@dataclass(frozen=True, slots=True)
class PupilGroupRow:
    """A teaching group a pupil belonged to in a school year, with its subject's name."""

    group_id: int
    name: str
    kind: str
    grade: int
    scale: str | None
    subject_name: str | None
    subject_short: str | None


@dataclass(frozen=True, slots=True)
class ClassMarkCount:
    """How many current marks of one value a class has in one subject (for mark statistics)."""

    class_id: int
    class_name: str
    grade: int
    subject: str
    scale: str
    kind: str
    status: str
    value: str | None
    count: int


class ReportsRepository(Protocol):
    """What period marks, report cards and teacher reports read and write."""

    async def school_year(self, school_year_id: int) -> SchoolYearRecord | None:
        """A school year by id."""
        ...

    async def period_marks(
        self, group_id: int, kind: str, term_id: int | None
    ) -> Sequence[PeriodMarkRecord]:
        """A group's period marks of one kind (and semester), one per pupil."""
        ...

    async def save_period_mark(
        self,
        *,
        school_id: int,
        group_id: int,
        pupil_id: int,
        kind: str,
        term_id: int | None,
        scale: str,
        proposed_value: str | None,
        value: str,
        actor_id: int | None,
        now: datetime,
    ) -> PeriodMarkRecord:
        """Confirm a pupil's period mark (created, or the stored one overwritten)."""
        ...

    async def pupil_period_marks(
        self, pupil_id: int, school_year_id: int
    ) -> Sequence[PeriodMarkRecord]:
        """A pupil's period marks in the groups of a school year (any status)."""
        ...

    async def group_marks(self, group_id: int, start: date, end: date) -> Sequence[GroupMarkRow]:
        """The current marks of a group's assessments dated between two days, oldest first."""
        ...

    async def group_assessments_between(
        self, group_id: int, start: date, end: date
    ) -> Sequence[AssessmentRecord]:
        """A group's assessments dated between two days, oldest first."""
        ...

    async def group_lessons(
        self, group_id: int, start: date, end: date
    ) -> Sequence[GroupLessonRow]:
        """A group's lessons held between two days, by date and period."""
        ...

    async def members_between(self, group_id: int, start: date, end: date) -> frozenset[int]:
        """Pupils who were in a group at some time between two days."""
        ...

    async def group_absences(
        self, group_id: int, start: date, end: date
    ) -> Sequence[AbsenceMarkRow]:
        """The non-present marks in a group's lessons between two days."""
        ...

    async def pupils_absences(
        self, pupil_ids: Collection[int], start: date, end: date
    ) -> Sequence[AbsenceMarkRow]:
        """The non-present marks of these pupils in any lesson between two days."""
        ...

    async def pupil_groups(
        self, pupil_id: int, school_year_id: int, start: date, end: date
    ) -> Sequence[PupilGroupRow]:
        """The year's groups the pupil was a member of at some time between two days."""
        ...

    async def lesson_counts(
        self, group_ids: Collection[int], start: date, end: date
    ) -> Mapping[int, int]:
        """Group id → lessons held between two days (absent when none)."""
        ...

    async def class_pupils(self, class_id: int, start: date, end: date) -> Sequence[PersonRecord]:
        """Pupils enrolled in a class at some time between two days."""
        ...

    async def pupil_class(self, pupil_id: int, school_year_id: int) -> ClassRecord | None:
        """The pupil's class in a school year (the latest enrolment)."""
        ...

    async def class_groups(self, class_id: int) -> Sequence[GroupRecord]:
        """The teaching groups that draw pupils from a class."""
        ...

    async def mark_counts(
        self, school_year_id: int, start: date, end: date, class_id: int | None
    ) -> Sequence[ClassMarkCount]:
        """Marks dated between two days counted per pupil's class, subject, scale, kind, value."""
        ...

    async def staff_with_role(self, school_id: int, role: str) -> Sequence[PersonRecord]:
        """Active people holding an active staff role in a school, by family name."""
        ...


@dataclass(frozen=True, slots=True)
class ExtractPupil:
    """A pupil of a school in a period, with the class of their latest enrolment in it."""

    pupil_id: int
    given_name: str
    family_name: str
    class_id: int
    class_name: str
    grade: int
    class_teacher: str | None  # the class teacher's given and family name


@dataclass(frozen=True, slots=True)
class ExtractGroup:
    """A teaching group a pupil belonged to in a period; ``subject_name`` else the group's."""

    pupil_id: int
    group_id: int
    subject_name: str
    kind: str


class ExtractsRepository(Protocol):
    """Bulk reads behind progress extracts (rule 5.1): a whole school in a handful of queries.

    ``pupil_ids`` None means every pupil of the school (the monthly push, the benchmark).
    """

    async def pupils(
        self,
        school_id: int,
        start: date,
        end: date,
        *,
        pupil_ids: Collection[int] | None = None,
        class_ids: Collection[int] | None = None,
        active_only: bool = True,
    ) -> Sequence[ExtractPupil]:
        """Pupils enrolled in the school some time in ``start..end``, each once, by id."""
        ...

    async def groups(
        self, school_id: int, start: date, end: date, pupil_ids: Collection[int] | None
    ) -> Sequence[ExtractGroup]:
        """The teaching groups of the school the pupils belonged to some time in the range."""
        ...

    async def marks(
        self, school_id: int, start: date, end: date, pupil_ids: Collection[int] | None
    ) -> Sequence[MarkRow]:
        """The pupils' current marks of the school dated in the range, by pupil, date and id."""
        ...

    async def absences(
        self, school_id: int, start: date, end: date, pupil_ids: Collection[int] | None
    ) -> Sequence[AttendanceRow]:
        """The pupils' non-present attendance marks of the school in the range, in order."""
        ...

    async def reachable(self, person_ids: Collection[int]) -> frozenset[int]:
        """Those of these people with an account the bot can reach now (status active)."""
        ...


class BroadcastsRepository(Protocol):
    """Staff broadcasts: audiences resolved to active people, broadcasts, acknowledgements."""

    async def enrolled(
        self, school_id: int, on: date, *, grade: int | None = None, class_id: int | None = None
    ) -> frozenset[int]:
        """Active pupils enrolled in the school on the date (of a grade's classes, or a class)."""
        ...

    async def group_pupils(self, group_id: int, on: date) -> frozenset[int]:
        """Active pupils on a teaching group's list on the date."""
        ...

    async def guardians(self, pupil_ids: Collection[int]) -> frozenset[int]:
        """Active guardians and read-only carers of these pupils, each once."""
        ...

    async def staff(self, school_id: int) -> frozenset[int]:
        """Active people holding an active staff role in the school."""
        ...

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
        ...

    async def groups(self, school_year_id: int, teacher_id: int | None) -> Sequence[Choice]:
        """A school year's teaching groups (those a teacher teaches), by name."""
        ...

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
        """Store a broadcast with its resolved recipients; its id."""
        ...

    async def broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        """One broadcast."""
        ...

    async def acknowledge(self, broadcast_id: int, person_id: int, at: datetime) -> bool:
        """Record a recipient's acknowledgement; False when they had already acknowledged."""
        ...

    async def acknowledged(self, broadcast_id: int) -> int:
        """How many recipients acknowledged a broadcast."""
        ...

    async def delivery_counts(self, job: str) -> Mapping[str, int]:
        """The outbox rows of a job label by status (``broadcast:<id>``)."""
        ...


class MailRepository(Protocol):
    """Journal mail: threads, messages, read marks, reports, suspensions, contact facts."""

    async def staff_members(self, school_id: int) -> Sequence[StaffMember]:
        """Active people with their active staff roles in a school, by id."""
        ...

    async def pupil_place(self, pupil_id: int, on: date) -> PupilPlace | None:
        """An active pupil's current class and who teaches them what; None if not enrolled."""
        ...

    async def taught_pupils(self, teacher_id: int, school_id: int, on: date) -> frozenset[int]:
        """Pupils in the teacher's groups of a school on a date."""
        ...

    async def people(self, person_ids: Collection[int]) -> Mapping[int, MailPerson]:
        """Names of people by id."""
        ...

    async def active_people(self, person_ids: Collection[int]) -> frozenset[int]:
        """Those of these people who are active."""
        ...

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
        ...

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
        """Store a message and its (unread) recipients; its id."""
        ...

    async def mark_read(self, person_id: int, message_ids: Collection[int], now: datetime) -> None:
        """Record that the person read these messages (earlier reads keep their time)."""
        ...

    async def thread(self, thread_id: int) -> ThreadRow | None:
        """A thread by id."""
        ...

    async def message(self, message_id: int) -> MessageRow | None:
        """A message with its thread and sender."""
        ...

    async def thread_messages(self, thread_id: int) -> Sequence[MessageRow]:
        """A thread's messages, oldest first."""
        ...

    async def recipients(
        self, message_ids: Collection[int]
    ) -> Mapping[int, tuple[RecipientRow, ...]]:
        """Message id → its recipients and when they read it."""
        ...

    async def participants(self, thread_id: int) -> frozenset[int]:
        """Everyone who sent or received a message of the thread."""
        ...

    async def unread(self, person_id: int, thread_id: int) -> Sequence[int]:
        """The person's unread messages of a thread, oldest first."""
        ...

    async def inbox(self, person_id: int, *, offset: int, limit: int) -> Sequence[InboxRow]:
        """The person's threads (never one about themself), latest activity first."""
        ...

    async def unread_total(self, person_id: int) -> int:
        """How many messages the person has not read."""
        ...

    async def thread_people(self, thread_ids: Collection[int]) -> Mapping[int, frozenset[int]]:
        """Thread id → everyone who sent or received one of its messages."""
        ...

    async def attachment(self, message_id: int) -> FileContent | None:
        """The bytes of a message's attachment."""
        ...

    async def chat_message(self, chat_id: int, telegram_message_id: int) -> tuple[int, int] | None:
        """(mail message id, recipient person id) a Telegram message in a chat carried."""
        ...

    async def reported(self, message_id: int, reporter_id: int) -> bool:
        """Whether the person already reported the message."""
        ...

    async def add_report(
        self, *, school_id: int, message_id: int, reporter_id: int, reason: str, now: datetime
    ) -> int:
        """Store a report; its id."""
        ...

    async def report(self, report_id: int) -> ReportRow | None:
        """A report by id."""
        ...

    async def suspensions(
        self, school_ids: Collection[int], now: datetime, *, person_id: int | None = None
    ) -> Sequence[SuspensionRow]:
        """Suspensions holding now in these schools (of one person, or everyone)."""
        ...

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
        ...

    async def lift(
        self, suspension_ids: Collection[int], *, by: int | None, now: datetime
    ) -> None:
        """End suspensions now."""
        ...


@dataclass(frozen=True, slots=True)
class AccessRequestRecord:
    """A data access request: ``person_id`` asks for the data of ``pupil_id`` (maybe themself)."""

    id: int
    school_id: int
    person_id: int
    pupil_id: int
    requested_at: datetime
    status: str  # pending | approved | rejected | delivered
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class RetentionYear:
    """One school's school year as retention sees it, with its verified archive (if any)."""

    school_id: int
    school_code: str
    year_id: int
    name: str
    starts_on: date
    ends_on: date
    time_zone: str
    verified_at: datetime | None


class PrivacyRepository(Protocol):
    """Archives on record, data access requests, a person's data, and retention's deletions."""

    async def record_archive(
        self, *, school_id: int, year_id: int, sha256: str, now: datetime, verified: bool
    ) -> None:
        """Note an archive written (``verified``: or checked) for a school year."""
        ...

    async def find_year(self, school_code: str, year_name: str) -> tuple[int, int] | None:
        """(school id, year id) of a school's year by the school's code and the year's name."""
        ...

    async def years(self) -> Sequence[RetentionYear]:
        """Every school's school years, oldest first, with the latest archive verification."""
        ...

    async def add_request(
        self, *, school_id: int, person_id: int, pupil_id: int, now: datetime
    ) -> AccessRequestRecord:
        """Store a new pending request."""
        ...

    async def request(self, request_id: int) -> AccessRequestRecord | None:
        """A request by id."""
        ...

    async def open_request(self, person_id: int, pupil_id: int) -> AccessRequestRecord | None:
        """The person's request for the pupil that is pending or approved but not delivered."""
        ...

    async def requests(
        self, school_id: int, *, status: str | None = None
    ) -> Sequence[AccessRequestRecord]:
        """A school's requests (optionally of one status), oldest first."""
        ...

    async def set_status(
        self,
        request_id: int,
        *,
        status: str,
        decided_by: int | None = None,
        now: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        """Move a request on (the decision's fields are written when given)."""
        ...

    async def person_data(self, person_id: int) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Every stored row that names the person, table by table (secrets and bytes left out)."""
        ...

    async def expired_rows(self, year: RetentionYear, kind: str, *, delete: bool) -> int:
        """Count (and with ``delete``, delete or anonymize) one kind of a school year's data."""
        ...

    async def expired_before(self, kind: str, before: datetime, *, delete: bool) -> int:
        """Count (and delete) rows of a kind kept by days (deliveries, link attempts)."""
        ...


class UnitOfWork(Protocol):
    """One transaction with everything a service needs in it."""

    clock: Clock
    files: FilesRepository
    mail: MailRepository
    directory: DirectoryRepository
    people: PeopleRepository
    journal: JournalRepository
    accounts: AccountsRepository
    invites: InvitesRepository
    roster: RosterRepository
    seed: SeedWriter
    timetable: TimetableRepository
    news: NewsRepository
    changes: ChangesRepository
    group_lists: GroupListsRepository
    teacher_day: TeacherDayRepository
    absence_notes: AbsenceNotesRepository
    diary: DiaryRepository
    calendar_feeds: CalendarFeedRepository
    history: HistoryRepository
    extracts: ExtractsRepository
    reports: ReportsRepository
    broadcasts: BroadcastsRepository
    audit_trail: AuditRepository
    privacy: PrivacyRepository

    async def __aenter__(self) -> Self:
        """Begin the transaction."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back unless committed."""
        ...

    async def commit(self) -> None:
        """Make every change of this unit of work durable, at once."""
        ...

    def audit(self, viewer: Viewer, entry: AuditRecord) -> None:
        """Append an audit entry (written with the transaction)."""
        ...

    def record(self, event: Event, *, school_id: int | None, actor_id: int | None) -> None:
        """Record a domain event (written with the transaction)."""
        ...
