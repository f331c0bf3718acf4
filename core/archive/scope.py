"""Which rows of each table belong to one school year's archive, as SQL conditions.

Every table of the schema has exactly one rule (a test keeps it so when tables are added):

- :class:`Chosen` rows are picked by a condition on the school, the year or the year's window;
- :class:`Referenced` rows (people, stored files) are those that archived rows point to, so the
  archive is closed: every reference inside it resolves, and it restores into an empty database;
- :class:`Excluded` tables are not part of the journal (Telegram accounts, invitations, the
  notifications engine's working state); the manifest lists them with the reason.

The rules are symmetric: applied to a database restored from an archive they choose exactly the
archived rows again, which is what makes a restored database export byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Table, and_, not_, or_, select, true, union

from core.storage.tables import Base

ARCHIVE_ACTIONS = "archive.%"  # the archive's own audit entries stay in the live database


@dataclass(frozen=True, slots=True)
class YearWindow:
    """One school's school year and the stretch of time it covers.

    The Education Law's school year runs from 1 September to 31 August; the window is that,
    widened when a year's own dates reach outside it. Rows stamped with an instant (news, the
    audit log) or spanning dates (absence notes) belong to the year whose window holds them.
    """

    school_id: int
    year_id: int
    first_day: date  # inclusive
    end_day: date  # exclusive
    zone: ZoneInfo

    @classmethod
    def of(
        cls, *, school_id: int, year_id: int, starts_on: date, ends_on: date, zone: ZoneInfo
    ) -> YearWindow:
        """The window of a year with these first and last days."""
        first = min(starts_on, date(starts_on.year, 9, 1))
        end = max(ends_on + timedelta(days=1), date(starts_on.year + 1, 9, 1))
        return cls(school_id=school_id, year_id=year_id, first_day=first, end_day=end, zone=zone)

    @property
    def start(self) -> datetime:
        """The window's first instant (midnight in the school's zone), in UTC."""
        return datetime.combine(self.first_day, time(), tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the window, in UTC."""
        return datetime.combine(self.end_day, time(), tzinfo=self.zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Chosen:
    """Rows picked by a condition over the table (and the other tables' selections)."""

    where: Callable[[Selection], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class Referenced:
    """Rows that archived rows of other tables point to (``ignore``: tables chosen through it)."""

    ignore: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Excluded:
    """A table that is not part of the journal; ``reason`` is a catalog key."""

    reason: str


Rule = Chosen | Referenced | Excluded


class Selection:
    """The conditions that choose one school year's rows, table by table."""

    window: YearWindow
    cutoff: datetime | None

    def __init__(
        self,
        window: YearWindow,
        *,
        cutoff: datetime | None = None,
        rules: Mapping[str, Rule] | None = None,
    ) -> None:
        self.window = window
        self.cutoff = cutoff  # the archive's creation: later audit entries are the archive's own
        self._rules = RULES if rules is None else rules
        self._building: list[str] = []

    def where(self, name: str) -> ColumnElement[bool]:
        """The condition choosing the archived rows of table ``name``."""
        rule = self._rules[name]
        if isinstance(rule, Excluded):
            raise ValueError(f"{name} is not archived")
        if name in self._building:
            raise RuntimeError(f"archive rules refer to each other: {' -> '.join(self._building)}")
        self._building.append(name)
        try:
            if isinstance(rule, Chosen):
                return rule.where(self)
            return self._referenced(name, rule)
        finally:
            self._building.pop()

    def ids(self, name: str) -> Select[Any]:
        """The ids of the archived rows of table ``name``."""
        table = _table(name)
        return select(table.c.id).where(self.where(name))

    def rows(self, table: Table) -> Select[*tuple[Any, ...]]:
        """The archived rows of a table, in primary-key order."""
        return select(table).where(self.where(table.name)).order_by(*table.primary_key.columns)

    def _referenced(self, name: str, rule: Referenced) -> ColumnElement[bool]:
        sources = [
            select(source.c[column]).where(self.where(source.name))
            for source in Base.metadata.sorted_tables
            if source.name != name
            and source.name not in rule.ignore
            and not isinstance(self._rules[source.name], Excluded)
            for column, target in references(source)
            if target == name
        ]
        table = _table(name)
        if not sources:
            return table.c.id.in_([])
        return table.c.id.in_(union(*sources))


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _c(table: str, column: str) -> ColumnElement[object]:
    return _table(table).c[column]


def _in(table: str, column: str, target: str) -> Callable[[Selection], ColumnElement[bool]]:
    """``table.column`` is the id of an archived ``target`` row."""
    return lambda s: _c(table, column).in_(s.ids(target))


def _school(table: str) -> Callable[[Selection], ColumnElement[bool]]:
    return lambda s: _c(table, "school_id") == s.window.school_id


def _year(table: str) -> Callable[[Selection], ColumnElement[bool]]:
    return lambda s: and_(
        _c(table, "school_id") == s.window.school_id,
        _c(table, "school_year_id") == s.window.year_id,
    )


def _stamped(table: str, column: str) -> Callable[[Selection], ColumnElement[bool]]:
    """School rows stamped with an instant inside the year's window."""
    return lambda s: and_(
        _c(table, "school_id") == s.window.school_id,
        _c(table, column) >= s.window.start,
        _c(table, column) < s.window.end,
    )


def _absence_notes(s: Selection) -> ColumnElement[bool]:
    """Notes overlapping the window, and any note an archived absence is justified by."""
    notes = _table("absence_notes")
    attendance = _table("attendance")
    return and_(
        notes.c.school_id == s.window.school_id,
        or_(
            and_(notes.c.starts_on < s.window.end_day, notes.c.ends_on >= s.window.first_day),
            notes.c.id.in_(select(attendance.c.absence_note_id).where(s.where("attendance"))),
        ),
    )


def _audit(s: Selection) -> ColumnElement[bool]:
    """The year's audit entries written before the archive (its own entries stay out)."""
    before = _c("audit_log", "occurred_at") < s.cutoff if s.cutoff is not None else true()
    return and_(
        _stamped("audit_log", "occurred_at")(s),
        not_(_c("audit_log", "action").like(ARCHIVE_ACTIONS)),
        before,
    )


def _guardianships(s: Selection) -> ColumnElement[bool]:
    """Every parent (and carer) of a pupil enrolled in the year."""
    enrolments = _table("enrolments")
    return _c("guardianships", "pupil_id").in_(
        select(enrolments.c.pupil_id).where(s.where("enrolments"))
    )


_NOT_JOURNAL = "archive.excluded.not_journal"
_CONNECTION = "archive.excluded.connection"
_ENGINE = "archive.excluded.engine"
_PRIVACY = "archive.excluded.privacy"  # core/locales/*/privacy.po

RULES: Mapping[str, Rule] = {
    # The school and its year.
    "schools": Chosen(lambda s: _c("schools", "id") == s.window.school_id),
    "school_years": Chosen(
        lambda s: and_(
            _c("school_years", "id") == s.window.year_id,
            _c("school_years", "school_id") == s.window.school_id,
        )
    ),
    "terms": Chosen(_in("terms", "school_year_id", "school_years")),
    "days_off": Chosen(_in("days_off", "school_year_id", "school_years")),
    "bell_schedules": Chosen(_school("bell_schedules")),
    "bell_periods": Chosen(_in("bell_periods", "bell_schedule_id", "bell_schedules")),
    "bell_days": Chosen(
        lambda s: and_(
            _c("bell_days", "school_id") == s.window.school_id,
            _c("bell_days", "on_date") >= s.window.first_day,
            _c("bell_days", "on_date") < s.window.end_day,
        )
    ),
    # People: everyone an archived row names, with their keys in this school.
    "persons": Referenced(ignore=frozenset({"person_keys"})),
    "person_keys": Chosen(
        lambda s: and_(_school("person_keys")(s), _in("person_keys", "person_id", "persons")(s))
    ),
    "staff_roles": Chosen(_school("staff_roles")),
    "classes": Chosen(_year("classes")),
    "enrolments": Chosen(_in("enrolments", "class_id", "classes")),
    "guardianships": Chosen(_guardianships),
    # Subjects and journals.
    "subjects": Chosen(_school("subjects")),
    "teaching_groups": Chosen(_year("teaching_groups")),
    "group_teachers": Chosen(_in("group_teachers", "group_id", "teaching_groups")),
    "group_classes": Chosen(_in("group_classes", "group_id", "teaching_groups")),
    "group_members": Chosen(_in("group_members", "group_id", "teaching_groups")),
    "group_list_submissions": Chosen(_in("group_list_submissions", "group_id", "teaching_groups")),
    # Timetable, lessons, attendance.
    "timetable_slots": Chosen(_in("timetable_slots", "term_id", "terms")),
    "timetable_changes": Chosen(_in("timetable_changes", "group_id", "teaching_groups")),
    "lessons": Chosen(_in("lessons", "group_id", "teaching_groups")),
    "files": Referenced(),
    "lesson_files": Chosen(_in("lesson_files", "lesson_id", "lessons")),
    "attendance": Chosen(_in("attendance", "lesson_id", "lessons")),
    "absence_notes": Chosen(_absence_notes),
    # Marks.
    "assessments": Chosen(_in("assessments", "group_id", "teaching_groups")),
    "marks": Chosen(_in("marks", "assessment_id", "assessments")),
    "mark_revisions": Chosen(_in("mark_revisions", "mark_id", "marks")),
    "period_marks": Chosen(_in("period_marks", "group_id", "teaching_groups")),
    # News, staff broadcasts (with who confirmed reading them) and the audit log of the year.
    "news_posts": Chosen(_stamped("news_posts", "created_at")),
    "broadcasts": Chosen(_stamped("broadcasts", "created_at")),
    "broadcast_acks": Chosen(_in("broadcast_acks", "broadcast_id", "broadcasts")),
    "audit_log": Chosen(_audit),
    # Not the journal.
    "mail_threads": Excluded(_NOT_JOURNAL),
    "mail_messages": Excluded(_NOT_JOURNAL),
    "mail_recipients": Excluded(_NOT_JOURNAL),
    "mail_reports": Excluded(_NOT_JOURNAL),
    "mail_suspensions": Excluded(_NOT_JOURNAL),
    "disclosures": Excluded(_NOT_JOURNAL),  # each is in the audit log (disclosure.create)
    "mail_chat_messages": Excluded(_CONNECTION),
    "accounts": Excluded(_CONNECTION),
    "invites": Excluded(_CONNECTION),
    "link_attempts": Excluded(_CONNECTION),
    "calendar_feeds": Excluded(_CONNECTION),
    "archives": Excluded(_PRIVACY),
    "access_requests": Excluded(_PRIVACY),
    "domain_events": Excluded(_ENGINE),
    "deliveries": Excluded(_ENGINE),
    "cursors": Excluded(_ENGINE),
}


class UnknownTable(RuntimeError):
    """A table of the schema has no archive rule: add one to ``RULES``."""


def archived_tables() -> list[Table]:
    """The archived tables, parents before children (the order to write and restore in)."""
    unruled = sorted(set(Base.metadata.tables) - set(RULES))
    if unruled:
        raise UnknownTable(f"no archive rule for: {', '.join(unruled)}")
    return [
        table
        for table in Base.metadata.sorted_tables
        if not isinstance(RULES[table.name], Excluded)
    ]


def excluded_tables() -> dict[str, str]:
    """Tables left out of every archive, with the reason's catalog key."""
    return {
        name: rule.reason for name, rule in sorted(RULES.items()) if isinstance(rule, Excluded)
    }


def references(table: Table) -> Iterator[tuple[str, str]]:
    """``(column, referenced table)`` for each foreign key of the table."""
    for key in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        yield key.parent.name, key.column.table.name
