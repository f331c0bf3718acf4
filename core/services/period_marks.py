"""Semester and year marks (period marks): the rules propose, the group's teacher confirms.

A proposal is computed from the group's current marks of the period by the school's rules
(``core.domain.marks.propose_period_mark``: counted kinds only, "nv" never counts); it is advice.
Only the group's teachers see proposals and confirm. Confirmed values are checked against the
group's scale ("nv" is allowed: no mark could be given); every confirmation and correction is
audited with the value before and after, so a correction keeps its history in the audit log.
Only confirmed marks reach report cards (``core.services.report_cards``).

Semester marks exist only for the grades the school lists in ``semester_marks_grades``; the
year mark (``term`` None) always does. A stored period mark's value is canonical like a mark's
(``"8"``, ``"A"``, ``"pass"``, ``"85"``) or ``"nv"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.domain.access import Viewer
from core.domain.mark_entry import RosterPupil, number_roster, parse_mark_lines
from core.domain.marks import (
    MarkFact,
    MarkKind,
    MarkScale,
    MarkValue,
    average,
    outstanding_nv,
    parse_mark,
    propose_period_mark,
)
from core.domain.policy import SchoolPolicy
from core.domain.records import AuditRecord, GroupRecord
from core.errors import InvalidInput, InvalidMark, NotFound
from core.ports import PeriodMarkRecord, UnitOfWork
from core.services.guards import school_policy, writable_group
from core.services.marks import MarkEntriesInvalid, MarkEntryError, MarkLinesInvalid
from core.services.rosters import school_today

SEMESTER = "semester"
YEAR = "year"
NV = "nv"


@dataclass(frozen=True, slots=True)
class MarkPeriod:
    """What a period mark is for: a semester (``term``: its number) or the year (``term`` None).

    ``start`` and ``end`` are the semester's or the school year's first and last day.
    """

    term: int | None
    start: date
    end: date
    term_id: int | None = None

    @property
    def kind(self) -> str:
        """``semester`` or ``year``, as stored."""
        return YEAR if self.term is None else SEMESTER


@dataclass(frozen=True, slots=True)
class PeriodMarkRow:
    """One pupil of the group: the proposal, what it rests on, and the confirmed mark.

    ``counted`` is how many marks count towards the proposal; ``nv`` the outstanding "nv"
    entries (they do not count, and a teacher may want them replaced first).
    """

    pupil: RosterPupil
    proposal: MarkValue | None
    average: Decimal | None
    counted: int
    nv: int
    confirmed: MarkValue | None


@dataclass(frozen=True, slots=True)
class PeriodMarkSheet:
    """A group's pupils (roster numbers, Latvian order) with proposals and confirmed marks."""

    group: GroupRecord
    period: MarkPeriod
    scale: MarkScale
    rows: tuple[PeriodMarkRow, ...]

    @property
    def confirmed(self) -> int:
        """How many pupils have a confirmed mark."""
        return sum(1 for row in self.rows if row.confirmed is not None)

    @property
    def open(self) -> tuple[PeriodMarkRow, ...]:
        """Pupils without a confirmed mark yet."""
        return tuple(row for row in self.rows if row.confirmed is None)


@dataclass(frozen=True, slots=True)
class PeriodMarksSaved:
    """A confirmation's outcome: what changed (new and corrected marks) and the sheet now."""

    changed: int
    corrected: int
    sheet: PeriodMarkSheet


@dataclass(frozen=True, slots=True)
class PeriodChoices:
    """The periods a group's teacher can give marks for now: begun semesters, then the year."""

    group: GroupRecord
    periods: tuple[MarkPeriod, ...]


def stored_value(value: MarkValue) -> str:
    """A value as the period-marks table keeps it (``"nv"`` for the no-mark status)."""
    return value.value if value.value is not None else NV


def read_value(text: str | None) -> MarkValue | None:
    """A stored period-mark value as a ``MarkValue`` (None when nothing is stored)."""
    if text is None:
        return None
    return MarkValue.nv() if text == NV else MarkValue.mark(text)


async def period_choices(uow: UnitOfWork, viewer: Viewer, *, group_id: int) -> PeriodChoices:
    """Which period marks the group's teacher may give now (semesters only where used)."""
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        policy = await school_policy(uow, group.school_id)
        today = await _today(uow, group)
        periods = [
            period
            for period in await _periods(uow, group, policy)
            if period.start <= today or period.term is None
        ]
        await uow.commit()
    return PeriodChoices(group, tuple(periods))


async def propose_period_marks(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, term: int | None
) -> PeriodMarkSheet:
    """The group's pupils with the rules' proposals and any confirmed marks (teachers only).

    ``term`` is the semester number, None for the year mark.

    Raises:
        InvalidInput: ``period_mark.no_semester_marks`` (the grade gets year marks only),
            ``period_mark.unknown_term``, ``period_mark.not_started``.
        NotFound / NotAllowed: the viewer does not teach the group.
    """
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        sheet = await _sheet(uow, group, term)
        await uow.commit()
        return sheet


async def confirm_period_marks(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    term: int | None,
    marks: Mapping[int, str],
) -> PeriodMarksSaved:
    """Confirm or correct period marks: pupil id → the value typed; all are saved, or none is.

    Raises:
        MarkEntriesInvalid: some values are not on the group's scale (nothing saved).
        InvalidInput: ``period_mark.pupil_not_in_group`` (a pupil is not on the roster), and
            the period errors of :func:`propose_period_marks`.
    """
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        sheet = await _sheet(uow, group, term)
        roster = {row.pupil.pupil_id for row in sheet.rows}
        strangers = set(marks) - roster
        if strangers:
            raise InvalidInput("period_mark.pupil_not_in_group", count=len(strangers))
        parsed: dict[int, MarkValue] = {}
        errors: list[MarkEntryError] = []
        for pupil_id, text in marks.items():
            try:
                parsed[pupil_id] = parse_mark(sheet.scale, text)
            except InvalidMark as exc:
                errors.append(MarkEntryError(pupil_id, text, str(exc.params.get("valid", ""))))
        if errors:
            raise MarkEntriesInvalid(tuple(errors))
        saved = await _save(uow, viewer, sheet, parsed)
        await uow.commit()
        return saved


async def confirm_period_mark_lines(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, term: int | None, text: str
) -> PeriodMarksSaved:
    """Confirm or correct period marks typed in one message (``1 8``, ``Bērziņš 7``).

    The format and its errors are those of a test's marks (``core.domain.mark_entry``), on the
    roster of the period mark sheet. All entries are saved, or none is.

    Raises:
        MarkLinesInvalid: some entries are invalid (one error per entry).
        InvalidInput: ``mark_entry.empty`` when the message holds no entry.
    """
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        sheet = await _sheet(uow, group, term)
        lines = parse_mark_lines(text, [row.pupil for row in sheet.rows], scale=sheet.scale)
        if lines.errors:
            raise MarkLinesInvalid(lines.errors)
        if not lines.entries:
            raise InvalidInput("mark_entry.empty")
        saved = await _save(uow, viewer, sheet, {e.pupil_id: e.value for e in lines.entries})
        await uow.commit()
        return saved


async def confirm_proposals(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, term: int | None
) -> PeriodMarksSaved:
    """Confirm all: every pupil without a confirmed mark gets the rules' proposal.

    Marks already confirmed (perhaps corrected by hand) stay; pupils without a proposal (no
    counted marks) stay open.
    """
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        sheet = await _sheet(uow, group, term)
        chosen = {
            row.pupil.pupil_id: row.proposal
            for row in sheet.rows
            if row.confirmed is None and row.proposal is not None
        }
        saved = await _save(uow, viewer, sheet, chosen)
        await uow.commit()
        return saved


# ------------------------------------------------------------------ inside a unit of work


async def _today(uow: UnitOfWork, group: GroupRecord) -> date:
    school = await uow.directory.school(group.school_id)
    if school is None:
        raise NotFound("group.not_found")
    return school_today(uow, school)


async def _periods(
    uow: UnitOfWork, group: GroupRecord, policy: SchoolPolicy
) -> tuple[MarkPeriod, ...]:
    """The group's semesters (where the grade gets semester marks), then the year."""
    year = await uow.reports.school_year(group.school_year_id)
    if year is None:
        raise NotFound("group.not_found")
    periods: list[MarkPeriod] = []
    if policy.has_semester_marks(group.grade):
        periods += [
            MarkPeriod(term.number, term.starts_on, term.ends_on, term.id)
            for term in sorted(await uow.timetable.terms(year.id), key=lambda t: t.number)
        ]
    periods.append(MarkPeriod(None, year.starts_on, year.ends_on))
    return tuple(periods)


async def _period(
    uow: UnitOfWork, group: GroupRecord, policy: SchoolPolicy, term: int | None, today: date
) -> MarkPeriod:
    if term is not None and not policy.has_semester_marks(group.grade):
        raise InvalidInput("period_mark.no_semester_marks", grade=group.grade)
    period = next((p for p in await _periods(uow, group, policy) if p.term == term), None)
    if period is None:
        raise InvalidInput("period_mark.unknown_term", term=term)
    if period.start > today:
        raise InvalidInput("period_mark.not_started", date=period.start.strftime("%d.%m.%Y"))
    return period


def group_scale(group: GroupRecord, policy: SchoolPolicy) -> MarkScale:
    """The scale of a group's marks: the group's own, else the school's rule for it."""
    if group.scale:
        return MarkScale(group.scale)
    return policy.scale_for(group.grade, group.subject_short)


async def numbered(uow: UnitOfWork, pupil_ids: frozenset[int]) -> tuple[RosterPupil, ...]:
    """Pupils numbered 1..n in Latvian alphabetical order (names of people without a class too)."""
    names = {
        p.pupil_id: (p.family_name, p.given_name)
        for p in await uow.directory.pupil_summaries(pupil_ids)
    }
    for pupil_id in sorted(pupil_ids - set(names)):
        person = await uow.directory.person(pupil_id)
        if person is not None:
            names[pupil_id] = (person.family_name, person.given_name)
    return number_roster((pupil_id, family, given) for pupil_id, (family, given) in names.items())


async def _sheet(uow: UnitOfWork, group: GroupRecord, term: int | None) -> PeriodMarkSheet:
    policy = await school_policy(uow, group.school_id)
    today = await _today(uow, group)
    period = await _period(uow, group, policy, term, today)
    scale = group_scale(group, policy)
    last = min(period.end, today)
    roster = await numbered(uow, await uow.journal.group_members(group.id, last))
    facts: dict[int, list[MarkFact]] = {}
    for mark in await uow.reports.group_marks(group.id, period.start, period.end):
        value = MarkValue.nv() if mark.status == NV else MarkValue.mark(mark.value or "")
        facts.setdefault(mark.pupil_id, []).append(
            MarkFact(MarkKind(mark.kind), MarkScale(mark.scale), value, mark.on_date)
        )
    stored = {
        row.pupil_id: row
        for row in await uow.reports.period_marks(group.id, period.kind, period.term_id)
    }
    rows = []
    for pupil in roster:
        marks = facts.get(pupil.pupil_id, [])
        counted = [m for m in marks if m.kind in policy.counted_kinds and not m.value.is_nv]
        held = stored.get(pupil.pupil_id)
        rows.append(
            PeriodMarkRow(
                pupil=pupil,
                proposal=propose_period_mark(
                    marks,
                    scale=scale,
                    counted_kinds=policy.counted_kinds,
                    percent_as_ten_point=policy.percent_as_ten_point,
                ),
                average=average(
                    marks,
                    counted_kinds=policy.counted_kinds,
                    percent_as_ten_point=policy.percent_as_ten_point,
                ),
                counted=len(counted),
                nv=len(outstanding_nv(marks)),
                confirmed=_confirmed(held),
            )
        )
    return PeriodMarkSheet(group, period, scale, tuple(rows))


def _confirmed(mark: PeriodMarkRecord | None) -> MarkValue | None:
    if mark is None or mark.status != "confirmed":
        return None
    return read_value(mark.value)


async def _save(
    uow: UnitOfWork,
    viewer: Viewer,
    sheet: PeriodMarkSheet,
    values: Mapping[int, MarkValue],
) -> PeriodMarksSaved:
    """Store the values that differ from the confirmed ones, each audited; the sheet after."""
    by_pupil = {row.pupil.pupil_id: row for row in sheet.rows}
    group, period = sheet.group, sheet.period
    changed = corrected = 0
    now = uow.clock.now()
    for pupil_id in sorted(values):
        value, row = values[pupil_id], by_pupil[pupil_id]
        if row.confirmed == value:
            continue
        saved = await uow.reports.save_period_mark(
            school_id=group.school_id,
            group_id=group.id,
            pupil_id=pupil_id,
            kind=period.kind,
            term_id=period.term_id,
            scale=sheet.scale.value,
            proposed_value=stored_value(row.proposal) if row.proposal is not None else None,
            value=stored_value(value),
            actor_id=viewer.person_id,
            now=now,
        )
        changed += 1
        corrected += 1 if row.confirmed is not None else 0
        uow.audit(
            viewer,
            AuditRecord(
                action="period_mark.correct" if row.confirmed else "period_mark.confirm",
                entity="period_mark",
                entity_id=saved.id,
                school_id=group.school_id,
                subject_person_id=pupil_id,
                before={"value": stored_value(row.confirmed)} if row.confirmed else None,
                after={
                    "value": saved.value,
                    "proposed": saved.proposed_value,
                    "kind": period.kind,
                    "term": period.term,
                    "group_id": group.id,
                },
            ),
        )
        by_pupil[pupil_id] = PeriodMarkRow(
            row.pupil, row.proposal, row.average, row.counted, row.nv, value
        )
    rows = tuple(by_pupil[row.pupil.pupil_id] for row in sheet.rows)
    return PeriodMarksSaved(changed, corrected, PeriodMarkSheet(group, period, sheet.scale, rows))
