"""Assessments and marks: record and correct (teachers of the group), read (policy decides)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.domain.access import TEACHING_ROLES, GroupFacts, Viewer, may_write_group
from core.domain.collation import latvian_key
from core.domain.events import MarkRecorded
from core.domain.mark_entry import (
    LineError,
    MarkLine,
    MarkTally,
    RosterPupil,
    number_roster,
    parse_mark_lines,
    tally,
)
from core.domain.marks import MarkFact, MarkKind, MarkScale, MarkValue, average, parse_mark
from core.domain.records import (
    AssessmentRecord,
    AuditRecord,
    GroupRecord,
    MarkRecord,
    MarkRow,
    PupilSummary,
)
from core.errors import InvalidInput, InvalidMark, NotFound
from core.ports import UnitOfWork
from core.services.guards import (
    audit_staff_read,
    own_groups_filter,
    pupil_scope,
    school_policy,
    writable_group,
)
from core.services.periods import resolve_period
from core.services.rosters import school_today

MAX_TITLE = 200
MAX_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class SubjectMarks:
    """A pupil's marks in one teaching group, with the average by the school's rules."""

    group_id: int
    subject_name: str
    marks: tuple[MarkRow, ...]
    average: Decimal | None


@dataclass(frozen=True, slots=True)
class PupilMarks:
    """A pupil's marks for a period, subject by subject (alphabetical).

    ``term`` is the semester number when the period is "this semester" (no dates asked for).
    """

    pupil: PupilSummary
    start: date
    end: date
    term: int | None
    subjects: tuple[SubjectMarks, ...]

    @property
    def pupil_id(self) -> int:
        """The pupil's person id."""
        return self.pupil.pupil_id


@dataclass(frozen=True, slots=True)
class MarkEntryError:
    """Why one pupil's entry in a batch was refused."""

    pupil_id: int
    text: str
    valid: str


class MarkEntriesInvalid(InvalidInput):
    """Some entries of a batch were invalid; nothing of the batch was saved."""

    key = "mark.entries_invalid"

    def __init__(self, errors: tuple[MarkEntryError, ...]) -> None:
        super().__init__(self.key, count=len(errors))
        self.errors = errors


async def create_assessment(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date,
    title: str,
    kind: MarkKind = MarkKind.SUMMATIVE,
    scale: MarkScale | None = None,
) -> AssessmentRecord:
    """A teacher announces something assessed in their group; the scale follows school rules."""
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise InvalidInput("assessment.title_invalid", max=MAX_TITLE)
        expected = await _group_scale(uow, group)
        if scale is not None and scale is not expected:
            raise InvalidInput(
                "assessment.scale_not_allowed", scale=scale.value, expected=expected.value
            )
        record = await uow.journal.add_assessment(
            school_id=group.school_id,
            group_id=group.id,
            on=on,
            title=title,
            kind=kind.value,
            scale=expected.value,
            actor_id=viewer.person_id,
            now=uow.clock.now(),
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="assessment.create",
                entity="assessment",
                entity_id=record.id,
                school_id=group.school_id,
                after={
                    "title": title,
                    "kind": kind.value,
                    "scale": expected.value,
                    "on": on.isoformat(),
                },
            ),
        )
        await uow.commit()
        return record


async def record_marks(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    assessment_id: int,
    entries: Mapping[int, str],
    comments: Mapping[int, str] | None = None,
) -> tuple[MarkRecord, ...]:
    """Record or correct marks of an assessment: all entries are saved, or none is.

    ``entries`` maps pupil id → the text typed ("8", "nv", "A"). An unchanged value is left as
    it is (no new revision). Corrections keep the full history.
    """
    comments = comments or {}
    async with uow:
        assessment = await uow.journal.assessment(assessment_id)
        if assessment is None:
            raise NotFound("assessment.not_found")
        group = await writable_group(uow, viewer, assessment.group_id)
        members = await uow.journal.group_members(group.id, assessment.on_date)
        strangers = sorted(set(entries) - members)
        if strangers:
            raise InvalidInput("mark.pupil_not_in_group", count=len(strangers))
        scale = MarkScale(assessment.scale)
        parsed: dict[int, MarkValue] = {}
        errors: list[MarkEntryError] = []
        for pupil_id, text in entries.items():
            try:
                parsed[pupil_id] = parse_mark(scale, text)
            except InvalidMark as exc:
                errors.append(MarkEntryError(pupil_id, text, str(exc.params.get("valid", ""))))
        if errors:
            raise MarkEntriesInvalid(tuple(errors))
        for note in comments.values():
            if len(note) > MAX_COMMENT:
                raise InvalidInput("mark.comment_too_long", max=MAX_COMMENT)
        stored = await _store_marks(uow, viewer, assessment, group, parsed, comments=comments)
        await uow.commit()
        return stored.saved


async def pupil_marks(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    pupil_id: int,
    start: date | None = None,
    end: date | None = None,
) -> PupilMarks:
    """A pupil's marks by subject with averages (default: this semester up to today).

    A subject teacher who is not the pupil's class teacher sees only their own groups.
    """
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        school_id = min(facts.school_ids)
        period = await resolve_period(uow, school_id, start, end)
        only = (
            await _own_groups(uow, viewer, facts.pupil_id)
            if own_groups_filter(viewer, facts)
            else None
        )
        rows = await uow.journal.pupil_marks(pupil_id, period.start, period.end, only)
        policy = await school_policy(uow, school_id)
        (pupil,) = await uow.directory.pupil_summaries([pupil_id])
        audit_staff_read(uow, viewer, facts, "marks")
        await uow.commit()
    by_group: dict[int, list[MarkRow]] = {}
    for row in rows:
        by_group.setdefault(row.group_id, []).append(row)
    subjects = [
        SubjectMarks(
            group_id=group_id,
            subject_name=marks[0].subject_name,
            marks=tuple(marks),
            average=average(
                (
                    MarkFact(MarkKind(m.kind), MarkScale(m.scale), _value(m), m.on_date)
                    for m in marks
                ),
                counted_kinds=policy.counted_kinds,
                percent_as_ten_point=policy.percent_as_ten_point,
            ),
        )
        for group_id, marks in by_group.items()
    ]
    subjects.sort(key=lambda s: (latvian_key(s.subject_name), s.group_id))
    return PupilMarks(pupil, period.start, period.end, period.term, tuple(subjects))


async def mark_history(
    uow: UnitOfWork, viewer: Viewer, *, mark_id: int, pupil_id: int
) -> tuple[MarkRecord, ...]:
    """Every version of a pupil's mark, oldest first (corrections keep their history)."""
    async with uow:
        facts = await pupil_scope(uow, viewer, pupil_id)
        history = await uow.journal.mark_history(mark_id)
        if not history or history[0].pupil_id != facts.pupil_id:
            raise NotFound("mark.not_found")
        await uow.commit()
        return tuple(history)


def _value(row: MarkRow) -> MarkValue:
    return MarkValue.nv() if row.status == "nv" else MarkValue.mark(row.value or "")


async def _own_groups(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> frozenset[int]:
    groups = await uow.journal.teacher_groups_of_pupil(pupil_id, viewer.person_id or 0)
    return frozenset(groups)


# ------------------------------------------------------------------ entering a class test's marks

MAX_RECENT_ASSESSMENTS = 20


@dataclass(frozen=True, slots=True)
class SheetRow:
    """A pupil of an assessment's roster with their current mark (None: nothing entered yet)."""

    pupil: RosterPupil
    mark: MarkRecord | None

    @property
    def value(self) -> MarkValue | None:
        """The current mark as a value, or None when nothing is entered."""
        if self.mark is None:
            return None
        return (
            MarkValue.nv() if self.mark.status == "nv" else MarkValue.mark(self.mark.value or "")
        )


@dataclass(frozen=True, slots=True)
class AssessmentSheet:
    """An assessment with its group's roster on the assessment's date and the current marks.

    Rows follow the roster numbers (Latvian alphabetical order); ``tally`` summarises them.
    """

    assessment: AssessmentRecord
    group: GroupRecord
    rows: tuple[SheetRow, ...]
    tally: MarkTally

    @property
    def scale(self) -> MarkScale:
        """The assessment's scale."""
        return MarkScale(self.assessment.scale)

    @property
    def kind(self) -> MarkKind:
        """The assessment's kind."""
        return MarkKind(self.assessment.kind)

    @property
    def missing(self) -> tuple[RosterPupil, ...]:
        """Pupils of the roster without a mark or "nv" yet."""
        return tuple(row.pupil for row in self.rows if row.mark is None)

    def position(self, pupil_id: int) -> int | None:
        """The row index of a pupil, or None when the pupil is not on the roster."""
        return next((i for i, row in enumerate(self.rows) if row.pupil.pupil_id == pupil_id), None)


@dataclass(frozen=True, slots=True)
class MarkLinesResult:
    """A message's marks after saving: its entries, what changed, and the sheet now.

    ``changed`` counts new and corrected marks (an unchanged value is not saved again);
    ``corrected`` counts the corrections among them.
    """

    entries: tuple[MarkLine, ...]
    changed: int
    corrected: int
    sheet: AssessmentSheet


class MarkLinesInvalid(InvalidInput):
    """Some entries of a marks message were invalid; nothing of the message was saved."""

    key = "mark_entry.lines_invalid"

    def __init__(self, errors: tuple[LineError, ...]) -> None:
        super().__init__(self.key, count=len(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class PupilMarkResult:
    """One pupil's mark after a tap: whether it changed (an equal value is not saved again)."""

    changed: bool
    sheet: AssessmentSheet


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    """An assessment of a list, with how many pupils have a mark or "nv" in it."""

    assessment: AssessmentRecord
    marked: int


@dataclass(frozen=True, slots=True)
class GroupAssessments:
    """A group's recent assessments (of one day when ``on`` is set), newest first.

    ``today`` is the school's date today; ``scale`` is the scale a new assessment of the group
    gets by the school's rules; ``pupils`` is the roster size on ``on`` (else today).
    """

    group: GroupRecord
    today: date
    on: date | None
    scale: MarkScale
    pupils: int
    assessments: tuple[AssessmentSummary, ...]


@dataclass(frozen=True, slots=True)
class TaughtGroup:
    """A teaching group (journal) the viewer teaches this school year."""

    group_id: int
    school_id: int
    name: str
    grade: int


async def record_mark_lines(
    uow: UnitOfWork, viewer: Viewer, *, assessment_id: int, text: str
) -> MarkLinesResult:
    """Record or correct marks typed in one message (format: ``core.domain.mark_entry``).

    Entries name pupils by roster number or family name on the group's roster of the
    assessment's date. All entries are saved, or none is; corrections keep their history and an
    existing mark's comment stays.

    Raises:
        MarkLinesInvalid: some entries are invalid (``errors``: one per entry, with its line).
        InvalidInput: ``mark_entry.empty`` when the message holds no entry.
        NotFound / NotAllowed: the viewer does not teach the group.
    """
    async with uow:
        assessment, group = await _writable_assessment(uow, viewer, assessment_id)
        roster = await _roster(uow, group.id, assessment.on_date)
        lines = parse_mark_lines(text, roster, scale=MarkScale(assessment.scale))
        if lines.errors:
            raise MarkLinesInvalid(lines.errors)
        if not lines.entries:
            raise InvalidInput("mark_entry.empty")
        parsed = {entry.pupil_id: entry.value for entry in lines.entries}
        stored = await _store_marks(uow, viewer, assessment, group, parsed, comments=None)
        sheet = await _sheet(uow, assessment, group, roster)
        await uow.commit()
        return MarkLinesResult(lines.entries, stored.changed, stored.corrected, sheet)


async def record_pupil_mark(
    uow: UnitOfWork, viewer: Viewer, *, assessment_id: int, pupil_id: int, value: str
) -> PupilMarkResult:
    """Record or correct one pupil's mark (a tap on the value keyboard); the sheet after it.

    Raises:
        InvalidMark: the value is not on the assessment's scale (``valid`` lists the options).
        InvalidInput: ``mark_entry.not_on_roster`` (the pupil is not in the group that day).
        NotFound / NotAllowed: the viewer does not teach the group.
    """
    async with uow:
        assessment, group = await _writable_assessment(uow, viewer, assessment_id)
        roster = await _roster(uow, group.id, assessment.on_date)
        if pupil_id not in {pupil.pupil_id for pupil in roster}:
            raise InvalidInput("mark_entry.not_on_roster")
        parsed = {pupil_id: parse_mark(MarkScale(assessment.scale), value)}
        stored = await _store_marks(uow, viewer, assessment, group, parsed, comments=None)
        sheet = await _sheet(uow, assessment, group, roster)
        await uow.commit()
        return PupilMarkResult(stored.changed > 0, sheet)


async def assessment_sheet(
    uow: UnitOfWork, viewer: Viewer, *, assessment_id: int
) -> AssessmentSheet:
    """The roster of an assessment with the current marks, for its teachers (entry, summary)."""
    async with uow:
        assessment, group = await _writable_assessment(uow, viewer, assessment_id)
        roster = await _roster(uow, group.id, assessment.on_date)
        sheet = await _sheet(uow, assessment, group, roster)
        await uow.commit()
        return sheet


async def group_assessments(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date | None = None,
    limit: int = 8,
) -> GroupAssessments:
    """A teacher's view of a group's assessments: of day ``on``, or the most recent ones."""
    limit = max(1, min(limit, MAX_RECENT_ASSESSMENTS))
    async with uow:
        group = await writable_group(uow, viewer, group_id)
        school = await uow.directory.school(group.school_id)
        if school is None:
            raise NotFound("group.not_found")
        today = school_today(uow, school)
        scale = await _group_scale(uow, group)
        found = await uow.journal.group_assessments(group.id, on=on, limit=limit)
        counts = await uow.journal.marked_counts([a.id for a in found])
        pupils = len(await uow.journal.group_members(group.id, on or today))
        await uow.commit()
    summaries = tuple(AssessmentSummary(a, counts.get(a.id, 0)) for a in found)
    return GroupAssessments(group, today, on, scale, pupils, summaries)


async def taught_groups(uow: UnitOfWork, viewer: Viewer) -> tuple[TaughtGroup, ...]:
    """The groups the viewer teaches in the school year running today, by grade and name."""
    async with uow:
        found = await taught_in(uow, viewer)
        await uow.commit()
    return found


async def taught_in(uow: UnitOfWork, viewer: Viewer) -> tuple[TaughtGroup, ...]:
    """``taught_groups`` inside a unit of work the caller has open."""
    found: list[TaughtGroup] = []
    teaching = {school for school, role in viewer.staff_roles if role in TEACHING_ROLES}
    for school_id in sorted(teaching):
        school = await uow.directory.school(school_id)
        if school is None:
            continue
        year = await uow.directory.school_year_on(school_id, school_today(uow, school))
        if year is None:
            continue
        for shape in await uow.timetable.groups(year.id):
            facts = GroupFacts(shape.id, school_id, shape.teacher_ids, shape.class_ids)
            if may_write_group(viewer, facts):
                found.append(TaughtGroup(shape.id, school_id, shape.name, shape.grade))
    found.sort(key=lambda g: (g.grade, latvian_key(g.name), g.group_id))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Stored:
    saved: tuple[MarkRecord, ...]
    changed: int
    corrected: int


async def _store_marks(
    uow: UnitOfWork,
    viewer: Viewer,
    assessment: AssessmentRecord,
    group: GroupRecord,
    parsed: Mapping[int, MarkValue],
    *,
    comments: Mapping[int, str] | None,
) -> _Stored:
    """Save parsed marks with audit entries and events; ``comments`` None keeps each comment."""
    saved: list[MarkRecord] = []
    trail: list[AuditRecord] = []
    events: list[MarkRecorded] = []
    changed = corrected = 0
    now = uow.clock.now()
    # Several pupils (a message of marks): the current marks in one read, not one per pupil.
    current: Mapping[int, MarkRecord] | None = None
    if len(parsed) > 1:
        current = {m.pupil_id: m for m in await uow.journal.assessment_marks(assessment.id)}
    for pupil_id in sorted(parsed):
        value = parsed[pupil_id]
        if current is None:
            before = await uow.journal.mark(assessment.id, pupil_id)
        else:
            before = current.get(pupil_id)
        if comments is None:
            comment = before.comment if before else None
        else:
            comment = comments.get(pupil_id)
        if before and (before.status, before.value, before.comment) == (
            value.status.value,
            value.value,
            comment,
        ):
            saved.append(before)
            continue
        mark = await uow.journal.save_mark(
            assessment=assessment,
            pupil_id=pupil_id,
            value=value,
            comment=comment,
            actor_id=viewer.person_id,
            now=now,
        )
        saved.append(mark)
        changed += 1
        corrected += 1 if before else 0
        trail.append(
            AuditRecord(
                action="mark.correct" if before else "mark.record",
                entity="mark",
                entity_id=mark.id,
                school_id=group.school_id,
                subject_person_id=pupil_id,
                before={"status": before.status, "value": before.value} if before else None,
                after={"status": mark.status, "value": mark.value},
            )
        )
        events.append(MarkRecorded(mark.id, pupil_id, group.id, assessment.id, mark.revision))
    # Added after the marks, so that the commit writes them in one batch per table (added
    # between two marks, each save's flush would write them one by one).
    for entry in trail:
        uow.audit(viewer, entry)
    for event in events:
        uow.record(event, school_id=group.school_id, actor_id=viewer.person_id)
    return _Stored(tuple(saved), changed, corrected)


async def _group_scale(uow: UnitOfWork, group: GroupRecord) -> MarkScale:
    """The scale of a group's marks: the group's own, else the school's rule for it."""
    if group.scale:
        return MarkScale(group.scale)
    policy = await school_policy(uow, group.school_id)
    return policy.scale_for(group.grade, group.subject_short)


async def _writable_assessment(
    uow: UnitOfWork, viewer: Viewer, assessment_id: int
) -> tuple[AssessmentRecord, GroupRecord]:
    assessment = await uow.journal.assessment(assessment_id)
    if assessment is None:
        raise NotFound("assessment.not_found")
    return assessment, await writable_group(uow, viewer, assessment.group_id)


async def _roster(uow: UnitOfWork, group_id: int, on: date) -> tuple[RosterPupil, ...]:
    """The group's pupils on a day, numbered in Latvian alphabetical order."""
    members = await uow.journal.group_members(group_id, on)
    names = {
        p.pupil_id: (p.family_name, p.given_name)
        for p in await uow.directory.pupil_summaries(members)
    }
    for pupil_id in sorted(members - set(names)):  # no current enrolment: the person's name
        person = await uow.directory.person(pupil_id)
        if person is not None:
            names[pupil_id] = (person.family_name, person.given_name)
    return number_roster((pupil_id, family, given) for pupil_id, (family, given) in names.items())


async def _sheet(
    uow: UnitOfWork,
    assessment: AssessmentRecord,
    group: GroupRecord,
    roster: tuple[RosterPupil, ...],
) -> AssessmentSheet:
    marks = {mark.pupil_id: mark for mark in await uow.journal.assessment_marks(assessment.id)}
    rows = tuple(SheetRow(pupil, marks.get(pupil.pupil_id)) for pupil in roster)
    values = [row.value for row in rows]
    return AssessmentSheet(
        assessment,
        group,
        rows,
        tally(MarkScale(assessment.scale), (v for v in values if v is not None)),
    )
