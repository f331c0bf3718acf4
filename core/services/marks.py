"""Assessments and marks: record and correct (teachers of the group), read (policy decides)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.domain.access import Viewer
from core.domain.collation import latvian_key
from core.domain.events import MarkRecorded
from core.domain.marks import MarkFact, MarkKind, MarkScale, MarkValue, average, parse_mark
from core.domain.records import AssessmentRecord, AuditRecord, MarkRecord, MarkRow, PupilSummary
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
        policy = await school_policy(uow, group.school_id)
        expected = (
            MarkScale(group.scale)
            if group.scale
            else policy.scale_for(group.grade, group.subject_short)
        )
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
        saved: list[MarkRecord] = []
        now = uow.clock.now()
        for pupil_id in sorted(parsed):
            value = parsed[pupil_id]
            comment = comments.get(pupil_id)
            before = await uow.journal.mark(assessment.id, pupil_id)
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
            uow.audit(
                viewer,
                AuditRecord(
                    action="mark.correct" if before else "mark.record",
                    entity="mark",
                    entity_id=mark.id,
                    school_id=group.school_id,
                    subject_person_id=pupil_id,
                    before={"status": before.status, "value": before.value} if before else None,
                    after={"status": mark.status, "value": mark.value},
                ),
            )
            uow.record(
                MarkRecorded(mark.id, pupil_id, group.id, assessment.id, mark.revision),
                school_id=group.school_id,
                actor_id=viewer.person_id,
            )
        await uow.commit()
        return tuple(saved)


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
