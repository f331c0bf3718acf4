"""The SQL unit of work: one session, one transaction; audit entries and events ride along."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.domain.access import Role, Viewer
from core.domain.events import Event
from core.domain.records import AuditRecord
from core.ports import (
    AbsenceNotesRepository,
    AccountsRepository,
    AuditRepository,
    BroadcastsRepository,
    CalendarFeedRepository,
    ChangesRepository,
    DiaryRepository,
    DirectoryRepository,
    ExtractsRepository,
    FilesRepository,
    GroupListsRepository,
    HistoryRepository,
    InvitesRepository,
    JournalRepository,
    MailRepository,
    NewsRepository,
    PeopleRepository,
    PrivacyRepository,
    ReportsRepository,
    RosterRepository,
    SeedWriter,
    TeacherDayRepository,
    TimetableRepository,
)
from core.storage import tables as t
from core.storage.absence_notes import SqlAbsenceNotes
from core.storage.accounts import SqlAccounts
from core.storage.audit import SqlAudit
from core.storage.broadcasts import SqlBroadcasts
from core.storage.calendar_feed import SqlCalendarFeeds
from core.storage.changes import SqlChanges
from core.storage.database import TableWrites
from core.storage.diary import SqlDiary
from core.storage.directory import SqlDirectory
from core.storage.extracts import SqlExtracts
from core.storage.files import SqlFiles
from core.storage.group_lists import SqlGroupLists
from core.storage.history import SqlHistory
from core.storage.invites import SqlInvites
from core.storage.journal import SqlJournal
from core.storage.mail import SqlMail
from core.storage.news import SqlNews
from core.storage.people import SqlPeople
from core.storage.privacy import SqlPrivacy
from core.storage.reports import SqlReports
from core.storage.roster import SqlRoster
from core.storage.teacher_day import SqlTeacherDay
from core.storage.timetable import SqlTimetable

# Dependency order for bulk seeding: parents before children.
SEED_ORDER: tuple[type[t.Base], ...] = (
    t.School,
    t.SchoolYear,
    t.Term,
    t.DayOff,
    t.BellSchedule,
    t.BellPeriod,
    t.Person,
    t.PersonKey,
    t.StaffRole,
    t.ClassGroup,
    t.Enrolment,
    t.Guardianship,
    t.Subject,
    t.TeachingGroup,
    t.GroupTeacher,
    t.GroupClass,
    t.GroupMember,
    t.TimetableSlot,
    t.Lesson,
    t.Assessment,
    t.Mark,
    t.MarkRevision,
    t.Attendance,
    t.NewsPost,
)


class SqlSeedWriter:
    """Implements core.ports.SeedWriter: generated data written with batched inserts."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def demo(
        self,
        *,
        seed: int,
        today: date,
        schools: int,
        classes_per_grade: int,
        pupils_per_class: int | None,
    ) -> Mapping[str, int]:
        """Generate and write deterministic demo schools (core.storage.demo)."""
        from core.storage.demo import seed_demo  # noqa: PLC0415 (large; loaded only for seeding)

        return await seed_demo(
            self._s,
            seed=seed,
            today=today,
            schools=schools,
            classes_per_grade=classes_per_grade,
            pupils_per_class=pupils_per_class,
            now=self._clock.now(),
        )


class SqlUnitOfWork:
    """Implements core.ports.UnitOfWork. Single use: enter, work, commit (or roll back)."""

    mail: MailRepository
    directory: DirectoryRepository
    people: PeopleRepository
    journal: JournalRepository
    accounts: AccountsRepository
    invites: InvitesRepository
    roster: RosterRepository
    seed: SeedWriter
    timetable: TimetableRepository
    files: FilesRepository
    news: NewsRepository
    changes: ChangesRepository
    group_lists: GroupListsRepository
    teacher_day: TeacherDayRepository
    absence_notes: AbsenceNotesRepository
    history: HistoryRepository
    extracts: ExtractsRepository
    diary: DiaryRepository
    calendar_feeds: CalendarFeedRepository
    reports: ReportsRepository
    broadcasts: BroadcastsRepository
    audit_trail: AuditRepository
    privacy: PrivacyRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        writes: TableWrites | None = None,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self._session: AsyncSession | None = None
        self._committed = False
        self._writes = writes  # watched tables: see commit()
        self._writes_seen = 0
        # Audit entries and events wait for commit(): one multi-row INSERT per table (the ORM
        # would send one INSERT ... RETURNING per row, as SQLite cannot batch those in order).
        self._audit_rows: list[dict[str, Any]] = []
        self._event_rows: list[dict[str, Any]] = []

    @property
    def session(self) -> AsyncSession:
        """The open session (only inside ``async with``)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> Self:
        """Begin the transaction and wire the repositories to it."""
        if self._session is not None:
            raise RuntimeError("a unit of work is single-use")
        self._session = self._sessions()
        if self._writes is not None:
            self._writes_seen = self._writes.version
        await self._session.begin()
        self.directory = SqlDirectory(self._session)
        self.mail = SqlMail(self._session)
        self.people = SqlPeople(self._session)
        self.journal = SqlJournal(self._session)
        self.accounts = SqlAccounts(self._session)
        self.invites = SqlInvites(self._session)
        self.roster = SqlRoster(self._session)
        self.seed = SqlSeedWriter(self._session, self.clock)
        self.timetable = SqlTimetable(self._session)
        self.files = SqlFiles(self._session)
        self.news = SqlNews(self._session)
        self.changes = SqlChanges(self._session)
        self.group_lists = SqlGroupLists(self._session)
        self.teacher_day = SqlTeacherDay(self._session)
        self.absence_notes = SqlAbsenceNotes(self._session)
        self.history = SqlHistory(self._session)
        self.extracts = SqlExtracts(self._session)
        self.diary = SqlDiary(self._session)
        self.calendar_feeds = SqlCalendarFeeds(self._session)
        self.reports = SqlReports(self._session)
        self.broadcasts = SqlBroadcasts(self._session)
        self.audit_trail = SqlAudit(self._session)
        self.privacy = SqlPrivacy(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back unless committed; always close."""
        session = self.session
        try:
            if not self._committed:
                await session.rollback()
        finally:
            await session.close()

    async def commit(self) -> None:
        """Make every change durable at once."""
        session = self.session
        if self._audit_rows or self._event_rows:
            await session.flush()  # the rows they name first
        if self._audit_rows:
            await session.execute(insert(t.AuditEntry), self._audit_rows)
            self._audit_rows = []
        if self._event_rows:
            await session.execute(insert(t.DomainEvent), self._event_rows)
            self._event_rows = []
        await session.commit()
        self._committed = True
        # A watched table was written while this transaction ran (perhaps by it): move the
        # version again now that the write is visible, so nothing read before it stays cached.
        if self._writes is not None and self._writes.version != self._writes_seen:
            self._writes.bump()

    def audit(self, viewer: Viewer, entry: AuditRecord) -> None:
        """Append an audit entry to this transaction (written by ``commit``)."""
        self.session  # noqa: B018 - only inside ``async with``, like every other write
        self._audit_rows.append(
            {
                "occurred_at": self.clock.now(),
                "actor_id": viewer.person_id,
                "actor_role": _actor_role(viewer, entry.school_id),
                "school_id": entry.school_id,
                "action": entry.action,
                "entity": entry.entity,
                "entity_id": entry.entity_id,
                "subject_person_id": entry.subject_person_id,
                "before": entry.before,
                "after": entry.after,
            }
        )

    def record(self, event: Event, *, school_id: int | None, actor_id: int | None) -> None:
        """Record a domain event in this transaction (written by ``commit``)."""
        self.session  # noqa: B018 - only inside ``async with``, like every other write
        self._event_rows.append(
            {
                "occurred_at": self.clock.now(),
                "school_id": school_id,
                "kind": event.kind,
                "actor_id": actor_id,
                "payload": event.payload(),
            }
        )


def _actor_role(viewer: Viewer, school_id: int | None) -> str:
    if viewer.operator:
        return "console"
    if school_id is not None:
        roles = viewer.roles_in(school_id)
        for role in (Role.DIRECTOR, Role.DEPUTY_DIRECTOR, Role.CLASS_TEACHER, Role.TEACHER):
            if role in roles:
                return role.value
        if roles:
            return sorted(roles)[0].value
    if viewer.children:
        return Role.GUARDIAN.value
    if viewer.pupil_in_schools:
        return Role.PUPIL.value
    return "unknown"
