"""Teacher reports (rule 5.4): a group's class journal, a class's month of attendance, statistics.

- **The class journal** of a teaching group for a period: the pupils × assessments grid of
  current marks with each pupil's average by the school's rules, the lessons held with topics
  and homework, and the pupils × lessons attendance grid. The group's teachers, the class
  teachers of its classes and the school's managers read it (``may_read_group``).
- **A class's attendance for a month**: per pupil and school day the lessons missed and late,
  with the month's totals by justification. The class teacher and the school's managers.
- **Mark statistics** per class and subject for a period: counts per value, "nv", averages.
  The school's managers (whole school or one class) and a class teacher (their class).

Services return plain data; ``core.documents.teacher_reports`` renders PDF and XLSX.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.domain.access import (
    Viewer,
    manages_school,
)
from core.domain.attendance import AbsenceCode, AttendanceFact, AttendanceSummary, Justification
from core.domain.collation import latvian_key
from core.domain.mark_entry import RosterPupil
from core.domain.marks import MarkFact, MarkKind, MarkScale, MarkStatus, MarkValue, average
from core.domain.policy import SchoolPolicy
from core.domain.records import (
    AssessmentRecord,
    AuditRecord,
    ClassRecord,
    GroupRecord,
    SchoolRecord,
)
from core.errors import InvalidInput, NotFound
from core.ports import AbsenceMarkRow, ClassMarkCount, UnitOfWork
from core.services.guards import managed_school, readable_group, school_policy
from core.services.marks import taught_in
from core.services.period_marks import group_scale, numbered
from core.services.periods import resolve_period
from core.services.rosters import (
    ClassScope,
    managed_class,
    managed_schools,
    school_today,
    viewer_classes,
)

MAX_DAYS = 366  # a report covers at most a school year


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """A semester (``term``: its number) or the school year (``term`` None) of a report.

    ``end`` is the period's last day, or today while the period runs.
    """

    term: int | None
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class GroupChoice:
    """A teaching group (journal) to print."""

    group_id: int
    school_id: int
    name: str
    grade: int


@dataclass(frozen=True, slots=True)
class ReportChoices:
    """What the viewer may print: the groups they teach, the classes and schools they manage."""

    groups: tuple[GroupChoice, ...]
    classes: tuple[ClassScope, ...]
    schools: tuple[SchoolRecord, ...]

    @property
    def empty(self) -> bool:
        """Nothing to print (no group, class or school)."""
        return not (self.groups or self.classes or self.schools)


@dataclass(frozen=True, slots=True)
class JournalLesson:
    """A lesson held: date, period, topic, homework and who taught it (a substitute too)."""

    lesson_id: int
    on_date: date
    period: int
    topic: str | None
    homework: str | None
    homework_due_on: date | None
    teacher: str | None
    substitution: bool


@dataclass(frozen=True, slots=True)
class GroupJournal:
    """A teaching group's journal for a period.

    ``marks`` maps (pupil id, assessment id) to the current mark; ``absences`` maps (pupil id,
    lesson id) to the attendance code (present pupils have no entry).
    """

    school: SchoolRecord
    group: GroupRecord
    subject: str
    teachers: tuple[str, ...]
    classes: tuple[str, ...]
    start: date
    end: date
    scale: MarkScale
    pupils: tuple[RosterPupil, ...]
    assessments: tuple[AssessmentRecord, ...]
    marks: Mapping[tuple[int, int], MarkValue]
    averages: Mapping[int, Decimal | None]
    lessons: tuple[JournalLesson, ...]
    absences: Mapping[tuple[int, int], str]
    attendance: Mapping[int, AttendanceSummary]
    codes: tuple[AbsenceCode, ...]
    generated_on: date


@dataclass(frozen=True, slots=True)
class DayAbsence:
    """One pupil's day: lessons missed (``absent``) of which unexcused, and lessons late."""

    absent: int
    unexcused: int
    late: int


@dataclass(frozen=True, slots=True)
class PupilMonth:
    """One pupil's month: the days with an absence or lateness, and the month's totals."""

    pupil: RosterPupil
    days: Mapping[date, DayAbsence]
    summary: AttendanceSummary


@dataclass(frozen=True, slots=True)
class ClassAttendance:
    """A class's attendance for one month: the school days and a row per pupil."""

    school: SchoolRecord
    klass: ClassRecord
    start: date
    end: date
    days: tuple[date, ...]
    rows: tuple[PupilMonth, ...]
    total: AttendanceSummary
    codes: tuple[AbsenceCode, ...]
    generated_on: date


@dataclass(frozen=True, slots=True)
class StatisticsRow:
    """One class and subject: counts per value (the scale's order), "nv" and the average.

    ``average`` follows the school's rules (ten-point; percent too if it counts as points).
    """

    class_name: str
    grade: int
    subject: str
    scale: MarkScale
    counts: tuple[tuple[str, int], ...]
    nv: int
    average: Decimal | None

    @property
    def marks(self) -> int:
        """How many real marks (not "nv")."""
        return sum(count for _, count in self.counts)


@dataclass(frozen=True, slots=True)
class MarkStatistics:
    """Mark statistics of a school (or one class) for a period: the counted kinds only."""

    school: SchoolRecord
    class_name: str | None
    start: date
    end: date
    kinds: tuple[MarkKind, ...]
    rows: tuple[StatisticsRow, ...]
    generated_on: date

    def scales(self) -> tuple[MarkScale, ...]:
        """The scales that occur, in the scale enum's order."""
        present = {row.scale for row in self.rows}
        return tuple(scale for scale in MarkScale if scale in present)


# ------------------------------------------------------------------ choices


async def report_choices(uow: UnitOfWork, viewer: Viewer) -> ReportChoices:
    """The groups the viewer teaches this year, the classes and the schools they manage."""
    async with uow:
        groups = await _taught(uow, viewer)
        classes = await viewer_classes(uow, viewer)
        schools = await managed_schools(uow, viewer)
        await uow.commit()
    return ReportChoices(groups, classes, schools)


async def class_journals(
    uow: UnitOfWork, viewer: Viewer, *, class_id: int
) -> tuple[GroupChoice, ...]:
    """The journals (teaching groups) that draw from a class (its class teacher, managers)."""
    async with uow:
        scope = await managed_class(uow, viewer, class_id=class_id)
        groups = await uow.reports.class_groups(scope.klass.id)
        await uow.commit()
    return tuple(
        sorted(
            (GroupChoice(g.id, g.school_id, g.name, g.grade) for g in groups),
            key=lambda g: (latvian_key(g.name), g.group_id),
        )
    )


async def school_journals(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int
) -> tuple[GroupChoice, ...]:
    """Every journal (teaching group) of the school's current year (its managers)."""
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        year = await uow.directory.school_year_on(school.id, school_today(uow, school))
        shapes = await uow.timetable.groups(year.id) if year is not None else []
        await uow.commit()
    return tuple(
        sorted(
            (GroupChoice(g.id, school.id, g.name, g.grade) for g in shapes),
            key=lambda g: (g.grade, latvian_key(g.name), g.group_id),
        )
    )


@dataclass(frozen=True, slots=True)
class JournalRef:
    """A journal the viewer may read, with its school."""

    school: SchoolRecord
    group: GroupRecord


async def journal_ref(uow: UnitOfWork, viewer: Viewer, *, group_id: int) -> JournalRef:
    """A journal (teaching group) the viewer may read, and its school.

    Raises:
        NotFound: ``group.not_found``.
    """
    async with uow:
        facts = await readable_group(uow, viewer, group_id)
        school = await uow.directory.school(facts.school_id)
        group = await uow.directory.group(group_id)
        if school is None or group is None:
            raise NotFound("group.not_found")
        await uow.commit()
    return JournalRef(school, group)


async def find_class(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, class_name: str
) -> ClassScope:
    """A class of the school's current year by name ("5.a"), if the viewer may manage it.

    Raises:
        NotFound: ``class.not_found``.
    """
    async with uow:
        scope = await managed_class(uow, viewer, school_id=school_id, class_name=class_name)
        await uow.commit()
    return scope


async def report_periods(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int
) -> tuple[ReportPeriod, ...]:
    """The begun semesters of the school's current year, then the year (ends clipped to today).

    Raises:
        NotFound: ``school.not_found`` unless the viewer works at the school or manages it.
    """
    async with uow:
        school = await uow.directory.school(school_id)
        if school is None or not (viewer.roles_in(school_id) or manages_school(viewer, school_id)):
            raise NotFound("school.not_found")
        today = school_today(uow, school)
        year = await uow.directory.school_year_on(school_id, today)
        periods: list[ReportPeriod] = []
        if year is not None:
            terms = sorted(await uow.timetable.terms(year.id), key=lambda t: t.number)
            periods = [
                ReportPeriod(term.number, term.starts_on, min(term.ends_on, today))
                for term in terms
                if term.starts_on <= today
            ]
            periods.append(ReportPeriod(None, year.starts_on, min(year.ends_on, today)))
        await uow.commit()
    return tuple(p for p in periods if p.start <= p.end)


async def _taught(uow: UnitOfWork, viewer: Viewer) -> tuple[GroupChoice, ...]:
    taught = await taught_in(uow, viewer)
    return tuple(GroupChoice(g.group_id, g.school_id, g.name, g.grade) for g in taught)


# ------------------------------------------------------------------ the class journal


async def group_journal(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    start: date | None = None,
    end: date | None = None,
) -> GroupJournal:
    """A teaching group's journal for a period (default: this semester up to today).

    Raises:
        NotFound: ``group.not_found`` unless the viewer teaches the group, is the class teacher
            of one of its classes or manages the school.
        InvalidInput: ``period.reversed``, ``reports.range_too_long``.
    """
    async with uow:
        facts = await readable_group(uow, viewer, group_id)
        group = await uow.directory.group(group_id)
        school = await uow.directory.school(facts.school_id)
        if group is None or school is None:
            raise NotFound("group.not_found")
        period = await resolve_period(uow, school.id, start, end)
        _check_range(period.start, period.end)
        policy = await school_policy(uow, school.id)
        today = school_today(uow, school)
        members = await uow.reports.members_between(group.id, period.start, period.end)
        pupils = await numbered(uow, members)
        assessments = tuple(
            await uow.reports.group_assessments_between(group.id, period.start, period.end)
        )
        marks: dict[tuple[int, int], MarkValue] = {}
        facts_of: dict[int, list[MarkFact]] = {}
        for row in await uow.reports.group_marks(group.id, period.start, period.end):
            value = (
                MarkValue.nv() if row.status == MarkStatus.NV else MarkValue.mark(row.value or "")
            )
            marks[(row.pupil_id, row.assessment_id)] = value
            facts_of.setdefault(row.pupil_id, []).append(
                MarkFact(MarkKind(row.kind), MarkScale(row.scale), value, row.on_date)
            )
        lessons = tuple(
            JournalLesson(
                lesson_id=row.lesson.id,
                on_date=row.lesson.on_date,
                period=row.lesson.period,
                topic=row.lesson.topic,
                homework=row.lesson.homework,
                homework_due_on=row.lesson.homework_due_on,
                teacher=row.teacher_name,
                substitution=row.lesson.is_substitution,
            )
            for row in await uow.reports.group_lessons(group.id, period.start, period.end)
        )
        absence_rows = await uow.reports.group_absences(group.id, period.start, period.end)
        teachers = [
            person.full_name
            for person_id in sorted(facts.teacher_ids)
            if (person := await uow.directory.person(person_id)) is not None
        ]
        classes = [
            klass.name
            for class_id in sorted(facts.class_ids)
            if (klass := await uow.roster.class_record(class_id)) is not None
        ]
        subject = await _subject_name(uow, group)
        uow.audit(
            viewer,
            AuditRecord(
                action="read.group_journal",
                entity="group",
                entity_id=group.id,
                school_id=school.id,
                after={"from": period.start.isoformat(), "to": period.end.isoformat()},
            ),
        )
        await uow.commit()
    return GroupJournal(
        school=school,
        group=group,
        subject=subject,
        teachers=tuple(sorted(teachers, key=latvian_key)),
        classes=tuple(sorted(classes, key=latvian_key)),
        start=period.start,
        end=period.end,
        scale=group_scale(group, policy),
        pupils=pupils,
        assessments=assessments,
        marks=marks,
        averages={
            pupil.pupil_id: average(
                facts_of.get(pupil.pupil_id, ()),
                counted_kinds=policy.counted_kinds,
                percent_as_ten_point=policy.percent_as_ten_point,
            )
            for pupil in pupils
        },
        lessons=lessons,
        absences={(row.pupil_id, row.lesson_id): row.code for row in absence_rows},
        attendance=_summaries(absence_rows, policy),
        codes=policy.absence_codes,
        generated_on=today,
    )


async def _subject_name(uow: UnitOfWork, group: GroupRecord) -> str:
    if group.subject_id is None:
        return group.name
    for subject in await uow.timetable.subjects(group.school_id):
        if subject.id == group.subject_id:
            return subject.name
    return group.name


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("period.reversed")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput("reports.range_too_long", days=MAX_DAYS)


def _facts(rows: Iterable[AbsenceMarkRow], policy: SchoolPolicy) -> list[AttendanceFact]:
    known = {code.code for code in policy.absence_codes}
    return [
        AttendanceFact(row.on_date, row.code, Justification(row.justification))
        for row in rows
        if row.code in known
    ]


def _summaries(
    rows: Iterable[AbsenceMarkRow], policy: SchoolPolicy
) -> dict[int, AttendanceSummary]:
    by_pupil: dict[int, list[AbsenceMarkRow]] = {}
    for row in rows:
        by_pupil.setdefault(row.pupil_id, []).append(row)
    return {pupil: policy.summarize(_facts(found, policy)) for pupil, found in by_pupil.items()}


# ------------------------------------------------------------------ a class's month


async def class_attendance(
    uow: UnitOfWork, viewer: Viewer, *, class_id: int, year: int, month: int
) -> ClassAttendance:
    """A class's attendance in one month (the class teacher and the school's managers).

    Raises:
        NotFound: ``class.not_found`` for anyone else.
        InvalidInput: ``reports.month_invalid`` (no such month, or outside the class's year).
    """
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput("reports.month_invalid", month=f"{year}-{month:02d}")
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    async with uow:
        scope = await managed_class(uow, viewer, class_id=class_id)
        klass = scope.klass
        school_year = await uow.reports.school_year(klass.school_year_id)
        if school_year is None or last < school_year.starts_on or first > school_year.ends_on:
            raise InvalidInput("reports.month_invalid", month=f"{year}-{month:02d}")
        start, end = max(first, school_year.starts_on), min(last, school_year.ends_on)
        calendar = await uow.timetable.calendar(school_year.id)
        days = tuple(calendar.school_days(start, end, klass.grade))
        policy = await school_policy(uow, scope.school.id)
        people = await uow.reports.class_pupils(klass.id, start, end)
        pupils = await numbered(uow, frozenset(p.id for p in people))
        absences = await uow.reports.pupils_absences([p.pupil_id for p in pupils], start, end)
        uow.audit(
            viewer,
            AuditRecord(
                action="read.class_attendance",
                entity="class",
                entity_id=klass.id,
                school_id=scope.school.id,
                after={"month": f"{year}-{month:02d}"},
            ),
        )
        await uow.commit()
    codes = {code.code: code for code in policy.absence_codes}
    per_pupil: dict[int, list[AbsenceMarkRow]] = {}
    for row in absences:
        if row.code in codes:
            per_pupil.setdefault(row.pupil_id, []).append(row)
    rows = []
    for pupil in pupils:
        found = per_pupil.get(pupil.pupil_id, [])
        by_day: dict[date, DayAbsence] = {}
        for row in found:
            code = codes[row.code]
            before = by_day.get(row.on_date, DayAbsence(0, 0, 0))
            absent = code.counts_as_absence
            unexcused = absent and row.justification != Justification.JUSTIFIED
            by_day[row.on_date] = DayAbsence(
                before.absent + int(absent),
                before.unexcused + int(unexcused),
                before.late + int(code.is_late),
            )
        rows.append(PupilMonth(pupil, by_day, policy.summarize(_facts(found, policy))))
    total = policy.summarize(_facts((r for found in per_pupil.values() for r in found), policy))
    return ClassAttendance(
        scope.school,
        klass,
        start,
        end,
        days,
        tuple(rows),
        total,
        policy.absence_codes,
        scope.today,
    )


# ------------------------------------------------------------------ mark statistics


async def mark_statistics(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    class_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> MarkStatistics:
    """Marks per class and subject: counts per value, "nv" and averages, for a period.

    Only the kinds the school counts (summative by default). Default period: this semester up
    to today. A whole school is for its managers; one class also for its class teacher.

    Raises:
        NotFound: ``school.not_found`` / ``class.not_found``.
        InvalidInput: ``period.reversed``, ``reports.range_too_long``.
    """
    async with uow:
        if class_id is None:
            school = await managed_school(uow, viewer, school_id)
            class_name = None
        else:
            scope = await managed_class(uow, viewer, class_id=class_id)
            if scope.school.id != school_id:
                raise NotFound("class.not_found", name="")
            school, class_name = scope.school, scope.klass.name
        period = await resolve_period(uow, school.id, start, end)
        _check_range(period.start, period.end)
        today = school_today(uow, school)
        year = await uow.directory.school_year_on(school.id, period.end)
        policy = await school_policy(uow, school.id)
        counts = (
            await uow.reports.mark_counts(year.id, period.start, period.end, class_id)
            if year is not None
            else []
        )
        await uow.commit()
    cells: dict[tuple[int, str, MarkScale], list[ClassMarkCount]] = {}
    for row in counts:
        if MarkKind(row.kind) in policy.counted_kinds:
            cells.setdefault((row.class_id, row.subject, MarkScale(row.scale)), []).append(row)
    rows = [
        _statistics_row(subject, scale, found, policy)
        for (_, subject, scale), found in cells.items()
    ]
    rows.sort(
        key=lambda r: (r.grade, latvian_key(r.class_name), latvian_key(r.subject), r.scale.value)
    )
    kinds = tuple(kind for kind in MarkKind if kind in policy.counted_kinds)
    return MarkStatistics(school, class_name, period.start, period.end, kinds, tuple(rows), today)


def _statistics_row(
    subject: str, scale: MarkScale, found: list[ClassMarkCount], policy: SchoolPolicy
) -> StatisticsRow:
    counts: dict[str, int] = {}
    nv = 0
    facts: list[MarkFact] = []
    for row in found:
        if row.status == MarkStatus.NV or row.value is None:
            nv += row.count
            continue
        counts[row.value] = counts.get(row.value, 0) + row.count
        fact = MarkFact(MarkKind(row.kind), scale, MarkValue.mark(row.value), date.min)
        facts.extend([fact] * row.count)
    order = {value: i for i, value in enumerate(scale_values(scale))}
    ordered = tuple(sorted(counts.items(), key=lambda item: (order.get(item[0], 999), item[0])))
    mean = average(
        facts,
        counted_kinds=policy.counted_kinds,
        percent_as_ten_point=policy.percent_as_ten_point,
    )
    first = found[0]
    return StatisticsRow(first.class_name, first.grade, subject, scale, ordered, nv, mean)


def scale_values(scale: MarkScale) -> tuple[str, ...]:
    """The stored values of a scale in their natural order (percent: 0..100)."""
    if scale is MarkScale.TEN_POINT:
        return tuple(str(n) for n in range(1, 11))
    if scale is MarkScale.LEVELS:
        return ("S", "T", "A", "P")
    if scale is MarkScale.PASS_FAIL:
        return ("pass", "fail")
    return tuple(str(n) for n in range(101))
