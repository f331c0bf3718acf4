"""Progress extracts (sekmju izraksts, rule 5.1): a pupil's marks and absences for a period.

``progress_extract`` is one pupil's, authorized like reading the pupil (staff reads audited);
``class_extracts`` is the system read of a whole school in a handful of queries (the monthly
push, the benchmark); ``missing_extracts`` gives a class teacher the extracts of the pupils whose
families the bot cannot reach, to print. The data is plain; ``core.documents.extracts`` renders
it as a PDF in the school's language.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.domain.access import ReadScope, Viewer, pupil_read_scope
from core.domain.attendance import (
    AbsenceCode,
    AttendanceFact,
    AttendanceSummary,
    Justification,
    summarize,
)
from core.domain.collation import latvian_key
from core.domain.marks import MarkFact, MarkKind, MarkScale, MarkValue, average, mark_label
from core.domain.policy import SchoolPolicy
from core.domain.records import (
    AttendanceRow,
    AuditRecord,
    ClassRecord,
    MarkRow,
    PupilSummary,
    SchoolRecord,
)
from core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.ports import ExtractGroup, ExtractPupil, UnitOfWork
from core.services.guards import audit_staff_read, pupil_scope, school_policy
from core.services.rosters import managed_class, school_today, viewer_classes

FIRST_YEAR, LAST_YEAR = 2000, 2100  # months outside these years are refused, not computed
MAX_DAYS = 366  # the longest period one extract covers (a school year)
_INTEREST = "interest"  # club groups appear only when they hold marks or absences


# ------------------------------------------------------------------------------ months


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month; ``ordinal`` (year × 12 + month − 1) is how buttons carry it."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (FIRST_YEAR <= self.year <= LAST_YEAR and 1 <= self.month <= 12):
            raise InvalidInput("extract.month_invalid")

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a date falls in."""
        return cls(day.year, day.month)

    @classmethod
    def from_ordinal(cls, ordinal: int) -> Month:
        """The month of a button's ordinal.

        Raises:
            InvalidInput: ``extract.month_invalid`` outside 2000–2100.
        """
        return cls(ordinal // 12, ordinal % 12 + 1)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``2026-11`` → November 2026.

        Raises:
            InvalidInput: ``extract.month_invalid``.
        """
        year, _, month = text.partition("-")
        if not (year.isdigit() and month.isdigit()):
            raise InvalidInput("extract.month_invalid")
        return cls(int(year), int(month))

    @property
    def ordinal(self) -> int:
        """Year × 12 + month − 1: consecutive months are consecutive numbers."""
        return self.year * 12 + self.month - 1

    @property
    def start(self) -> date:
        """The first day."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The last day."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Month:
        """The month after."""
        return Month(self.year + (self.month == 12), self.month % 12 + 1)

    def previous(self) -> Month:
        """The month before."""
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def iso(self) -> str:
        """``2026-11``."""
        return f"{self.year:04d}-{self.month:02d}"


def year_months(year_start: date, year_end: date, today: date) -> tuple[Month, ...]:
    """The months of a school year up to today (up to its end once it is over), newest first."""
    last = Month.of(min(today, year_end))
    first = Month.of(year_start)
    months = []
    month = last
    while month >= first:
        months.append(month)
        month = month.previous()
    return tuple(months) or (Month.of(today),)


# ------------------------------------------------------------------------------ data


@dataclass(frozen=True, slots=True)
class ExtractMark:
    """One mark as the extract lists it: date, assessment, kind and value on its scale."""

    on: date
    title: str
    kind: MarkKind
    scale: MarkScale
    value: MarkValue

    def label(self, lang: str) -> str:
        """``8``, ``apguvis``, ``ieskaitīts``, ``85%`` or ``nv`` (a stray value as stored)."""
        try:
            return mark_label(self.scale, self.value, lang)
        except DomainError:
            return self.value.value or "nv"


@dataclass(frozen=True, slots=True)
class ExtractSubject:
    """A subject (teaching group) of the extract: its marks, average and absences."""

    group_id: int
    name: str
    marks: tuple[ExtractMark, ...]
    average: Decimal | None
    absences: AttendanceSummary


@dataclass(frozen=True, slots=True)
class ExtractData:
    """Everything a progress extract shows; ``language`` is the school's (the document's)."""

    school_id: int
    school_name: str
    language: str
    pupil_id: int
    given_name: str
    family_name: str
    class_id: int
    class_name: str
    grade: int
    class_teacher: str | None
    start: date
    end: date
    subjects: tuple[ExtractSubject, ...]
    absences: AttendanceSummary
    average: Decimal | None
    generated_on: date

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"

    @property
    def mark_count(self) -> int:
        """Real marks of the period ("nv" is no mark)."""
        return sum(1 for s in self.subjects for m in s.marks if not m.value.is_nv)

    @property
    def has_entries(self) -> bool:
        """Whether the period holds any mark, "nv" or absence of the pupil."""
        return bool(self.absences.absent_lessons or self.absences.late) or any(
            s.marks for s in self.subjects
        )

    @property
    def month(self) -> Month | None:
        """The calendar month the extract covers exactly, if it does."""
        month = Month.of(self.start)
        return month if (self.start, self.end) == (month.start, month.end) else None


@dataclass(frozen=True, slots=True)
class ExtractMenu:
    """A pupil whose extract the viewer may get, and the months of their school year."""

    pupil: PupilSummary
    months: tuple[Month, ...]


@dataclass(frozen=True, slots=True)
class ClassExtractMenu:
    """A class whose extracts the viewer may print: its pupils now and its year's months.

    ``today`` is the school's date (the month before it is the one the monthly push covers).
    """

    school: SchoolRecord
    klass: ClassRecord
    pupils: tuple[PupilSummary, ...]
    months: tuple[Month, ...]
    today: date


@dataclass(frozen=True, slots=True)
class MissingExtracts:
    """The extracts of a class's pupils whose families the bot cannot reach, to print.

    ``pupils`` is how many pupils with entries the class has in the month; ``extracts`` those
    of them nobody in the family (the pupil, a guardian with full rights) can receive.
    """

    klass: ClassRecord
    month: Month
    pupils: int
    extracts: tuple[ExtractData, ...]


@dataclass(frozen=True, slots=True)
class ClassReach:
    """Who can receive a class's extracts: the class teacher and the unreachable families."""

    class_id: int
    class_name: str
    class_teacher_id: int | None
    pupil_ids: tuple[int, ...]
    unreached: tuple[int, ...]


# ------------------------------------------------------------------------------ services


async def progress_extract(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, start: date, end: date
) -> ExtractData:
    """A pupil's extract for ``start..end`` (at most a year), in their school's language.

    Families, the class teacher and the school's managers may; a subject teacher who sees only
    their own groups may not (an extract is the whole record). Staff reads are audited.

    Raises:
        NotFound: ``pupil.not_found`` (also for pupils the viewer may not read).
        NotAllowed: ``extract.whole_record_only`` for a teacher of only some of the subjects.
        InvalidInput: ``period.reversed``, ``extract.period_too_long``, or
            ``extract.month_invalid`` for a period that starts after today.
    """
    _check_period(start, end)
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        if pupil_read_scope(viewer, facts) is not ReadScope.ALL:
            raise NotAllowed("extract.whole_record_only")
        school_id = min(facts.school_ids)
        school = await uow.directory.school(school_id)
        if school is None or start > school_today(uow, school):
            raise InvalidInput("extract.month_invalid")
        found = await _extracts(uow, school_id, start, end, [pupil_id], active_only=False)
        if not found:
            raise NotFound("pupil.not_found")
        audit_staff_read(uow, viewer, facts, "extract")
        await uow.commit()
    return found[0]


async def extract_menu(uow: UnitOfWork, viewer: Viewer, *, pupil_id: int) -> ExtractMenu:
    """The pupil (named as menus name them) and the months of their school year, newest first.

    Raises:
        NotFound: ``pupil.not_found``.
        NotAllowed: ``extract.whole_record_only`` (see ``progress_extract``).
    """
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        if pupil_read_scope(viewer, facts) is not ReadScope.ALL:
            raise NotAllowed("extract.whole_record_only")
        summaries = await uow.directory.pupil_summaries([pupil_id])
        if not summaries:
            raise NotFound("pupil.not_found")
        months = await _months(uow, summaries[0].school_id)
        await uow.commit()
    return ExtractMenu(summaries[0], months)


async def extract_classes(uow: UnitOfWork, viewer: Viewer) -> tuple[ClassRecord, ...]:
    """The current classes whose extracts the viewer may print, by grade and name.

    A class teacher's own classes, and every class of a school the viewer manages.
    """
    async with uow:
        scopes = await viewer_classes(uow, viewer)
        await uow.commit()
    return tuple(scope.klass for scope in scopes)


async def class_extract_menu(
    uow: UnitOfWork, viewer: Viewer, *, class_id: int
) -> ClassExtractMenu:
    """A class's pupils now (Latvian alphabetical order) and the months of its school year.

    Raises:
        NotFound: ``class.not_found`` unless the viewer is its class teacher or a manager.
    """
    async with uow:
        scope = await managed_class(uow, viewer, class_id=class_id)
        enrolled = await uow.roster.enrolled([scope.klass.id], scope.today)
        months = await _months(uow, scope.school.id)
        await uow.commit()
    pupils = sorted(
        (
            PupilSummary(
                p.person.id,
                p.person.given_name,
                p.person.family_name,
                p.class_name,
                p.grade,
                scope.school.id,
            )
            for p in enrolled
        ),
        key=lambda p: (latvian_key(p.family_name), latvian_key(p.given_name), p.pupil_id),
    )
    return ClassExtractMenu(scope.school, scope.klass, tuple(pupils), months, scope.today)


async def missing_extracts(
    uow: UnitOfWork, viewer: Viewer, *, class_id: int, month: Month
) -> MissingExtracts:
    """The month's extracts of the class's pupils whose families the bot cannot reach.

    "Cannot reach": neither the pupil nor any guardian with full rights has a Telegram account
    the bot can send to now (never connected, or blocked). Only pupils with marks or absences
    in the month count (as the monthly push). Each printed extract is an audited read.

    Raises:
        NotFound: ``class.not_found`` unless the viewer is its class teacher or a manager.
        InvalidInput: ``extract.month_invalid`` for a month after this one.
    """
    async with uow:
        scope = await managed_class(uow, viewer, class_id=class_id)
        if month > Month.of(scope.today):
            raise InvalidInput("extract.month_invalid")
        pupils = await uow.extracts.pupils(
            scope.school.id, month.start, month.end, class_ids=[scope.klass.id]
        )
        extracts = await _extracts(
            uow, scope.school.id, month.start, month.end, [p.pupil_id for p in pupils]
        )
        with_entries = [e for e in extracts if e.has_entries]
        unreached = set(await _unreached(uow, [e.pupil_id for e in with_entries]))
        printed = tuple(e for e in with_entries if e.pupil_id in unreached)
        for extract in printed:
            uow.audit(
                viewer,
                AuditRecord(
                    action="read.extract",
                    entity="pupil",
                    entity_id=extract.pupil_id,
                    school_id=scope.school.id,
                    subject_person_id=extract.pupil_id,
                ),
            )
        await uow.commit()
    return MissingExtracts(scope.klass, month, len(with_entries), printed)


# ------------------------------------------------------------------------------ system reads


async def class_extracts(
    uow: UnitOfWork,
    *,
    school_id: int,
    start: date,
    end: date,
    pupil_ids: Collection[int] | None = None,
) -> tuple[ExtractData, ...]:
    """System read: the extracts of every active pupil of a school (or of these pupils).

    Six queries whatever the number of pupils; by class (grade, name), then family name.
    For the notifications engine and the benchmark, never for a person's request.

    Raises:
        NotFound: ``school.not_found``.
        InvalidInput: ``period.reversed`` or ``extract.period_too_long``.
    """
    _check_period(start, end)
    async with uow:
        found = await _extracts(uow, school_id, start, end, pupil_ids)
        await uow.commit()
    return found


async def extract_reach(
    uow: UnitOfWork, *, school_id: int, start: date, end: date
) -> tuple[ClassReach, ...]:
    """System read: the classes of a period's extracts and which families the bot cannot reach.

    Each class with its class teacher and the active pupils whose extract it holds (enrolled
    some time in ``start..end``, in the class of their latest enrolment then, as
    ``class_extracts``), and those of them none of whose family can receive a message now
    (see ``missing_extracts``).
    """
    async with uow:
        pupils = await uow.extracts.pupils(school_id, start, end)
        unreached = set(await _unreached(uow, [p.pupil_id for p in pupils]))
        classes: dict[int, list[ExtractPupil]] = {}
        for pupil in pupils:
            classes.setdefault(pupil.class_id, []).append(pupil)
        records = {
            class_id: await uow.roster.class_record(class_id) for class_id in sorted(classes)
        }
        await uow.commit()
    reach = []
    for class_id, members in classes.items():
        record = records[class_id]
        ids = tuple(p.pupil_id for p in members)
        reach.append(
            ClassReach(
                class_id=class_id,
                class_name=members[0].class_name,
                class_teacher_id=record.class_teacher_id if record else None,
                pupil_ids=ids,
                unreached=tuple(i for i in ids if i in unreached),
            )
        )
    reach.sort(key=lambda r: (latvian_key(r.class_name), r.class_id))
    return tuple(reach)


# ------------------------------------------------------------------------------ building


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("period.reversed")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("extract.period_too_long", days=MAX_DAYS)


async def _months(uow: UnitOfWork, school_id: int) -> tuple[Month, ...]:
    school = await uow.directory.school(school_id)
    if school is None:
        raise NotFound("school.not_found")
    today = school_today(uow, school)
    year = await uow.directory.school_year_on(school_id, today)
    if year is None:
        return (Month.of(today),)
    return year_months(year.starts_on, year.ends_on, today)


async def _unreached(uow: UnitOfWork, pupil_ids: Sequence[int]) -> list[int]:
    """The pupils none of whose family (themselves, guardians with full rights) can be reached."""
    links = [link for link in await uow.roster.guardians_of(pupil_ids) if not link.read_only]
    family: dict[int, set[int]] = {pupil: {pupil} for pupil in pupil_ids}
    for link in links:
        family.setdefault(link.pupil_id, {link.pupil_id}).add(link.guardian.id)
    reachable = await uow.extracts.reachable({p for people in family.values() for p in people})
    return [pupil for pupil in pupil_ids if not family[pupil] & reachable]


async def _extracts(
    uow: UnitOfWork,
    school_id: int,
    start: date,
    end: date,
    pupil_ids: Collection[int] | None,
    *,
    active_only: bool = True,
) -> tuple[ExtractData, ...]:
    """The extracts of a school's pupils (inside an open unit of work)."""
    school = await uow.directory.school(school_id)
    if school is None:
        raise NotFound("school.not_found")
    policy = await school_policy(uow, school_id)
    today = school_today(uow, school)
    pupils = await uow.extracts.pupils(
        school_id, start, end, pupil_ids=pupil_ids, active_only=active_only
    )
    if not pupils:
        return ()
    wanted = None if pupil_ids is None else [p.pupil_id for p in pupils]
    groups: dict[int, list[ExtractGroup]] = {}
    for group in await uow.extracts.groups(school_id, start, end, wanted):
        groups.setdefault(group.pupil_id, []).append(group)
    marks: dict[int, list[MarkRow]] = {}
    for mark in await uow.extracts.marks(school_id, start, end, wanted):
        marks.setdefault(mark.pupil_id, []).append(mark)
    absences: dict[int, list[AttendanceRow]] = {}
    for row in await uow.extracts.absences(school_id, start, end, wanted):
        absences.setdefault(row.pupil_id, []).append(row)
    built = [
        build_extract(
            school,
            policy,
            pupil,
            groups=groups.get(pupil.pupil_id, ()),
            marks=marks.get(pupil.pupil_id, ()),
            absences=absences.get(pupil.pupil_id, ()),
            start=start,
            end=end,
            today=today,
        )
        for pupil in pupils
    ]
    built.sort(
        key=lambda e: (
            e.grade,
            latvian_key(e.class_name),
            latvian_key(e.family_name),
            latvian_key(e.given_name),
            e.pupil_id,
        )
    )
    return tuple(built)


def build_extract(
    school: SchoolRecord,
    policy: SchoolPolicy,
    pupil: ExtractPupil,
    *,
    groups: Iterable[ExtractGroup],
    marks: Iterable[MarkRow],
    absences: Iterable[AttendanceRow],
    start: date,
    end: date,
    today: date,
) -> ExtractData:
    """One pupil's extract from the rows read for them (pure)."""
    names: dict[int, str] = {}
    listed: set[int] = set()
    for group in groups:
        names[group.group_id] = group.subject_name
        if group.kind != _INTEREST:
            listed.add(group.group_id)
    by_group: dict[int, list[ExtractMark]] = {}
    facts: dict[int, list[MarkFact]] = {}
    every_fact: list[MarkFact] = []
    for row in marks:
        names.setdefault(row.group_id, row.subject_name)
        mark = _mark(row)
        by_group.setdefault(row.group_id, []).append(mark)
        fact = MarkFact(mark.kind, mark.scale, mark.value, mark.on)
        facts.setdefault(row.group_id, []).append(fact)
        every_fact.append(fact)
    missed: dict[int, list[AttendanceRow]] = {}
    every_absence: list[AttendanceRow] = []
    for absence in absences:
        names.setdefault(absence.group_id, absence.subject_name)
        missed.setdefault(absence.group_id, []).append(absence)
        every_absence.append(absence)

    def mean(group_facts: Iterable[MarkFact]) -> Decimal | None:
        return average(
            group_facts,
            counted_kinds=policy.counted_kinds,
            percent_as_ten_point=policy.percent_as_ten_point,
        )

    shown = listed | set(by_group) | set(missed)
    subjects = [
        ExtractSubject(
            group_id=group_id,
            name=names[group_id],
            marks=tuple(by_group.get(group_id, ())),
            average=mean(facts.get(group_id, ())),
            absences=_summary(policy, missed.get(group_id, ())),
        )
        for group_id in shown
    ]
    subjects.sort(key=lambda s: (latvian_key(s.name), s.group_id))
    return ExtractData(
        school_id=school.id,
        school_name=school.name,
        language=school.locale,
        pupil_id=pupil.pupil_id,
        given_name=pupil.given_name,
        family_name=pupil.family_name,
        class_id=pupil.class_id,
        class_name=pupil.class_name,
        grade=pupil.grade,
        class_teacher=pupil.class_teacher,
        start=start,
        end=end,
        subjects=tuple(subjects),
        absences=_summary(policy, every_absence),
        average=mean(every_fact),
        generated_on=today,
    )


def _mark(row: MarkRow) -> ExtractMark:
    nv = row.status == "nv" or row.value is None
    value = MarkValue.nv() if nv else MarkValue.mark(str(row.value))
    try:
        kind, scale = MarkKind(row.kind), MarkScale(row.scale)
    except ValueError:  # a kind or scale this version does not know: listed, never averaged
        kind, scale = MarkKind.FORMATIVE, MarkScale.PASS_FAIL
    return ExtractMark(row.on_date, row.assessment_title, kind, scale, value)


def _summary(policy: SchoolPolicy, rows: Iterable[AttendanceRow]) -> AttendanceSummary:
    """Counts by the school's codes; a code the school has since removed counts as absent."""
    facts = [AttendanceFact(r.on_date, r.code, _justification(r.justification)) for r in rows]
    known = {code.code for code in policy.absence_codes}
    extra = tuple(
        AbsenceCode.of(code, {}, counts_as_absence=True)
        for code in sorted({f.code for f in facts} - known)
    )
    return summarize(facts, policy.absence_codes + extra)


def _justification(value: str) -> Justification:
    try:
        return Justification(value)
    except ValueError:
        return Justification.PENDING
