"""Absence notes (rule 3.6): a parent reports an absence; the class teacher decides.

A guardian with full rights submits a note for a date range with a reason (illness, family,
other + text) and optionally a photo or PDF of a doctor's note; pupils only where the school's
policy allows. Absences already marked on the note's days are linked to it and wait for the
decision; absences teachers mark later on those days are linked as they are recorded
(``settle_recorded_absence``, called by ``record_attendance``): an accepted note justifies them
at once. The class teacher of the pupil's class (or a manager) accepts or rejects (with a
reason) the notes in the class queue and decides absences nobody sent a note for. A decided
note is final for the class teacher and its submitter; only the school's managers may decide
it again. Every write is one transaction with its audit entries and events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_class, manages_school, may_write_to_pupil
from core.domain.attendance import (
    AbsenceCode,
    AttendanceFact,
    AttendanceSummary,
    Justification,
    NoteReason,
    NoteStatus,
    initial_justification,
    note_days,
    over_threshold,
    validate_note_range,
)
from core.domain.collation import latvian_key
from core.domain.events import AbsenceNoteDecided, AbsenceNoteSubmitted
from core.domain.policy import SchoolPolicy
from core.domain.records import AuditRecord, ClassRecord, PupilSummary, SchoolRecord
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.ports import AbsenceEntry, AbsenceNoteRecord, NoteFile, UnitOfWork
from core.services.guards import audit_staff_read, pupil_scope, school_policy
from core.services.rosters import managed_class, school_today, viewer_classes

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MB
MAX_TEXT = 500  # characters of a reason or a decision
MAX_FILENAME = 120
PUPIL_NOTES = 20  # notes on the family's list
LIVE = (NoteStatus.SUBMITTED.value, NoteStatus.ACCEPTED.value)

# What an attachment may be: the bytes decide, never the declared type or the file name.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class NoteAttachment:
    """A file to attach: a photo (JPEG, PNG) or a PDF, at most 10 MB; core checks the bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class NoteForm:
    """What a front end needs before asking for a note's days: whose, today, and the limits."""

    pupil: PupilSummary
    today: date
    max_days: int
    max_days_ahead: int
    max_days_back: int

    @property
    def earliest(self) -> date:
        """The first day a note may start on."""
        return self.today - timedelta(days=self.max_days_back)

    @property
    def latest(self) -> date:
        """The last day a note may start on."""
        return self.today + timedelta(days=self.max_days_ahead)


@dataclass(frozen=True, slots=True)
class SubmittedNote:
    """A note just submitted; ``linked`` absences already marked now wait for the decision."""

    note: AbsenceNoteRecord
    pupil: PupilSummary
    linked: int


@dataclass(frozen=True, slots=True)
class NoteView:
    """A note on the family's list; ``may_withdraw`` when the viewer submitted it, undecided."""

    note: AbsenceNoteRecord
    may_withdraw: bool


@dataclass(frozen=True, slots=True)
class PupilNotes:
    """A pupil's latest notes, newest first."""

    pupil: PupilSummary
    notes: tuple[NoteView, ...]


@dataclass(frozen=True, slots=True)
class NoteDetail:
    """One note with the absences it covers, for the class teacher or the family.

    ``submitter`` is the submitter's name; ``may_decide`` says whether the viewer may accept or
    reject it now (the class teacher while it waits, a manager always).
    """

    note: AbsenceNoteRecord
    pupil: PupilSummary
    class_id: int | None
    submitter: str | None
    absences: tuple[AbsenceEntry, ...]
    codes: tuple[AbsenceCode, ...]
    may_decide: bool
    may_withdraw: bool


@dataclass(frozen=True, slots=True)
class QueueNote:
    """A submitted note in the class queue with the absences already linked to it."""

    note: AbsenceNoteRecord
    pupil: PupilSummary
    absences: int


@dataclass(frozen=True, slots=True)
class QueueDay:
    """A pupil's day with absences nobody sent a note for, still undecided."""

    pupil: PupilSummary
    class_id: int | None
    on: date
    absences: tuple[AbsenceEntry, ...]
    codes: tuple[AbsenceCode, ...]


@dataclass(frozen=True, slots=True)
class ClassQueue:
    """What a class teacher has to decide, oldest first: notes, then days without a note."""

    school: SchoolRecord
    klass: ClassRecord
    today: date
    notes: tuple[QueueNote, ...]
    days: tuple[QueueDay, ...]


@dataclass(frozen=True, slots=True)
class QueueCount:
    """How much waits in one class's queue."""

    class_id: int
    class_name: str
    school_id: int
    notes: int
    days: int


@dataclass(frozen=True, slots=True)
class DecidedNote:
    """A note after the decision; ``absences`` counts the lessons it settled."""

    note: AbsenceNoteRecord
    pupil: PupilSummary
    class_id: int | None
    absences: int


@dataclass(frozen=True, slots=True)
class JustifiedAbsences:
    """Absences the class teacher decided: how many, and whether they are now justified."""

    pupil: PupilSummary
    class_id: int | None
    justified: bool
    absences: tuple[AbsenceEntry, ...]


@dataclass(frozen=True, slots=True)
class PupilAttendanceLine:
    """One pupil of the class summary: the period's counts and the semester's flag."""

    pupil: PupilSummary
    period: AttendanceSummary
    semester: AttendanceSummary
    over_threshold: bool


@dataclass(frozen=True, slots=True)
class ClassAttendanceSummary:
    """Per pupil of a class: justified, unjustified, pending and late lessons in a period.

    ``over_threshold`` on a line means more unexcused lessons (unjustified + undecided) in the
    semester (``semester_start``–``semester_end``) than the school's ``threshold``.
    """

    school: SchoolRecord
    klass: ClassRecord
    today: date
    start: date
    end: date
    term: int | None
    semester_start: date
    semester_end: date
    threshold: int
    pupils: tuple[PupilAttendanceLine, ...]

    @property
    def flagged(self) -> tuple[PupilAttendanceLine, ...]:
        """Pupils over the threshold."""
        return tuple(line for line in self.pupils if line.over_threshold)


@dataclass(frozen=True, slots=True)
class _PupilContext:
    """A pupil with their school, class and the school's policy and date."""

    pupil: PupilSummary
    school: SchoolRecord
    klass: ClassRecord | None
    policy: SchoolPolicy
    today: date


# ------------------------------------------------------------------ the family's side


async def note_form(uow: UnitOfWork, viewer: Viewer, *, pupil_id: int) -> NoteForm:
    """Whether the viewer may report this pupil's absence, with the limits for the dates."""
    async with uow:
        context = await _submitter_context(uow, viewer, pupil_id)
    return _form(context)


async def check_note_dates(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, starts_on: date, ends_on: date
) -> NoteForm:
    """Check a note's days before asking the rest (``submit_note`` checks them again)."""
    async with uow:
        context = await _submitter_context(uow, viewer, pupil_id)
        await _check_dates(uow, context, starts_on, ends_on)
    return _form(context)


async def submit_note(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    pupil_id: int,
    starts_on: date,
    ends_on: date,
    reason: str,
    reason_text: str | None = None,
    attachment: NoteAttachment | None = None,
) -> SubmittedNote:
    """Submit an absence note; absences already marked on its days wait for the decision.

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not see the pupil.
        NotAllowed: ``note.not_allowed`` (not a guardian with full rights) or
            ``note.pupils_may_not_submit``.
        InvalidInput: ``note.reason_invalid``, ``note.reason_text_required``,
            ``note.text_too_long``, ``note.attachment_type``, ``note.attachment_too_big``, the
            range rules (``note.range_reversed``, ``note.too_long``, ``note.too_far_ahead``,
            ``note.too_far_back``, ``note.no_school_days``).
        Conflict: ``note.overlaps`` when a submitted or accepted note covers one of the days.
    """
    async with uow:
        context = await _submitter_context(uow, viewer, pupil_id)
        why = _reason(reason)
        text = _text(reason_text)
        if why is NoteReason.OTHER and not text:
            raise InvalidInput("note.reason_text_required")
        checked = _checked_attachment(attachment) if attachment is not None else None
        await _check_dates(uow, context, starts_on, ends_on)
        now = uow.clock.now()
        file_id = None
        if checked is not None:
            filename, mime_type, content = checked
            file_id = await uow.files.add(
                school_id=context.school.id,
                filename=filename,
                mime_type=mime_type,
                content=content,
                created_by=viewer.person_id,
                now=now,
            )
        note = await uow.absence_notes.add(
            school_id=context.school.id,
            pupil_id=pupil_id,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=why.value,
            reason_text=text,
            file_id=file_id,
            channel="bot",
            submitted_by=viewer.person_id,
            now=now,
        )
        covered = _claimable(
            await uow.absence_notes.absences([pupil_id], starts_on, ends_on),
            note.id,
            context.policy,
        )
        await uow.absence_notes.link(
            [row.attendance_id for row in covered],
            note_id=note.id,
            justification=Justification.PENDING.value,
            now=now,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="absence_note.submitted",
                entity="absence_note",
                entity_id=note.id,
                school_id=context.school.id,
                subject_person_id=pupil_id,
                after={
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                    "reason": why.value,
                    "attachment": file_id is not None,
                    "absences": len(covered),
                },
            ),
        )
        uow.record(
            AbsenceNoteSubmitted(
                note.id,
                pupil_id,
                _class_id(context),
                starts_on,
                ends_on,
                why.value,
                len(covered),
            ),
            school_id=context.school.id,
            actor_id=viewer.person_id,
        )
        await uow.commit()
    return SubmittedNote(note, context.pupil, len(covered))


async def withdraw_note(uow: UnitOfWork, viewer: Viewer, *, note_id: int) -> AbsenceNoteRecord:
    """The submitter takes back a note nobody decided yet; its absences wait undecided again.

    Raises:
        NotFound: ``note.not_found``.
        NotAllowed: ``note.not_yours`` (somebody else submitted it).
        Conflict: ``note.withdraw_decided`` (it was already accepted or rejected).
    """
    async with uow:
        note = await uow.absence_notes.note(note_id, lock=True)
        if note is None:
            raise NotFound("note.not_found")
        await _reader_context(uow, viewer, note.pupil_id, missing="note.not_found")
        if viewer.person_id is None or note.submitted_by != viewer.person_id:
            raise NotAllowed("note.not_yours")
        if note.status != NoteStatus.SUBMITTED:
            raise Conflict("note.withdraw_decided")
        now = uow.clock.now()
        linked = await uow.absence_notes.note_absences([note.id])
        await uow.absence_notes.link(
            [row.attendance_id for row in linked],
            note_id=None,
            justification=Justification.PENDING.value,
            now=now,
        )
        await uow.absence_notes.delete(note.id)
        uow.audit(
            viewer,
            AuditRecord(
                action="absence_note.withdrawn",
                entity="absence_note",
                entity_id=note.id,
                school_id=note.school_id,
                subject_person_id=note.pupil_id,
                before={
                    "starts_on": note.starts_on.isoformat(),
                    "ends_on": note.ends_on.isoformat(),
                    "reason": note.reason,
                    "status": note.status,
                },
            ),
        )
        await uow.commit()
    return note


async def pupil_notes(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> PupilNotes:
    """A pupil's latest notes with their statuses (the family, the class teacher, managers)."""
    async with uow:
        context = await _reader_context(uow, viewer, pupil_id, missing="pupil.not_found")
        notes = await uow.absence_notes.pupil_notes(pupil_id, PUPIL_NOTES)
        await uow.commit()
    return PupilNotes(
        context.pupil,
        tuple(NoteView(note, _may_withdraw(viewer, note)) for note in notes),
    )


async def absence_note(uow: UnitOfWork, viewer: Viewer, *, note_id: int) -> NoteDetail:
    """One note with the absences it covers (the family, the class teacher, managers)."""
    async with uow:
        note = await uow.absence_notes.note(note_id)
        if note is None:
            raise NotFound("note.not_found")
        context = await _reader_context(uow, viewer, note.pupil_id, missing="note.not_found")
        absences = await uow.absence_notes.note_absences([note.id])
        submitter = await uow.directory.person(note.submitted_by) if note.submitted_by else None
        await uow.commit()
    decider = _decides(viewer, context)
    return NoteDetail(
        note=note,
        pupil=context.pupil,
        class_id=_class_id(context),
        submitter=submitter.full_name if submitter else None,
        absences=tuple(absences),
        codes=context.policy.absence_codes,
        may_decide=decider
        and (note.status == NoteStatus.SUBMITTED or manages_school(viewer, context.school.id)),
        may_withdraw=_may_withdraw(viewer, note),
    )


async def note_attachment(uow: UnitOfWork, viewer: Viewer, *, note_id: int) -> NoteFile:
    """The photo or PDF attached to a note.

    Raises:
        NotFound: ``note.not_found``, or ``note.no_attachment`` when it has none.
    """
    async with uow:
        note = await uow.absence_notes.note(note_id)
        if note is None:
            raise NotFound("note.not_found")
        await _reader_context(uow, viewer, note.pupil_id, missing="note.not_found")
        stored = await uow.absence_notes.file(note.file_id) if note.file_id else None
        if stored is None:
            raise NotFound("note.no_attachment")
        await uow.commit()
    return stored


# ------------------------------------------------------------------ the class teacher's side


async def queue_overview(uow: UnitOfWork, viewer: Viewer) -> tuple[QueueCount, ...]:
    """Each class the viewer answers for (their own; every class for managers), with counts.

    Raises:
        NotAllowed: ``note.no_classes`` when the viewer is no class teacher or manager.
    """
    async with uow:
        scopes = await viewer_classes(uow, viewer)
        if not scopes:
            raise NotAllowed("note.no_classes")
        counts = []
        for scope in scopes:
            queue = await _queue(uow, scope.school, scope.klass, scope.today)
            counts.append(
                QueueCount(
                    scope.klass.id,
                    scope.klass.name,
                    scope.school.id,
                    len(queue.notes),
                    len(queue.days),
                )
            )
    return tuple(counts)


async def class_queue(uow: UnitOfWork, viewer: Viewer, *, class_id: int) -> ClassQueue:
    """Submitted notes and undecided absences without a note in a class, oldest first.

    For the class's class teacher and the school's managers; anyone else gets
    ``class.not_found``.
    """
    async with uow:
        scope = await managed_class(uow, viewer, class_id=class_id)
        queue = await _queue(uow, scope.school, scope.klass, scope.today)
        uow.audit(
            viewer,
            AuditRecord(
                action="read.absence_queue",
                entity="class",
                entity_id=scope.klass.id,
                school_id=scope.school.id,
            ),
        )
        await uow.commit()
    return queue


async def decide_note(
    uow: UnitOfWork, viewer: Viewer, *, note_id: int, approve: bool, reason: str | None = None
) -> DecidedNote:
    """Accept (every covered absence becomes justified) or reject (with a reason) a note.

    Raises:
        NotFound: ``note.not_found`` (also for a note of a class the viewer does not manage).
        InvalidInput: ``note.rejection_reason_required``, ``note.text_too_long``.
        Conflict: ``note.already_decided`` (only managers decide again), ``note.overlaps``.
    """
    async with uow:
        note = await uow.absence_notes.note(note_id, lock=True)
        if note is None:
            raise NotFound("note.not_found")
        context = await _decider_context(uow, viewer, note.pupil_id, missing="note.not_found")
        manager = manages_school(viewer, context.school.id)
        if note.status != NoteStatus.SUBMITTED and not manager:
            raise Conflict("note.already_decided")
        text = _text(reason)
        if not approve and not text:
            raise InvalidInput("note.rejection_reason_required")
        status = NoteStatus.ACCEPTED if approve else NoteStatus.REJECTED
        if approve:
            await _no_overlap(uow, note.pupil_id, note.starts_on, note.ends_on, exclude=note.id)
        now = uow.clock.now()
        settled = _claimable(
            await uow.absence_notes.absences([note.pupil_id], note.starts_on, note.ends_on),
            note.id,
            context.policy,
        )
        justification = Justification.JUSTIFIED if approve else Justification.UNJUSTIFIED
        await uow.absence_notes.link(
            [row.attendance_id for row in settled],
            note_id=note.id,
            justification=justification.value,
            now=now,
        )
        decided = await uow.absence_notes.decide(
            note.id, status=status.value, decided_by=viewer.person_id, reason=text, now=now
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="absence_note.decided",
                entity="absence_note",
                entity_id=note.id,
                school_id=context.school.id,
                subject_person_id=note.pupil_id,
                before={"status": note.status},
                after={"status": status.value, "absences": len(settled)},
            ),
        )
        uow.record(
            AbsenceNoteDecided(
                note.id,
                note.pupil_id,
                note.submitted_by,
                status.value,
                note.starts_on,
                note.ends_on,
                len(settled),
            ),
            school_id=context.school.id,
            actor_id=viewer.person_id,
        )
        await uow.commit()
    return DecidedNote(decided, context.pupil, _class_id(context), len(settled))


async def absence_day(uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, on: date) -> QueueDay:
    """A pupil's undecided absences without a note on one day (for the class teacher)."""
    async with uow:
        context = await _decider_context(uow, viewer, pupil_id, missing="pupil.not_found")
        rows = _undecided(await uow.absence_notes.absences([pupil_id], on, on), context.policy)
        await uow.commit()
    return QueueDay(
        context.pupil, _class_id(context), on, tuple(rows), context.policy.absence_codes
    )


async def justify_absence(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    attendance_id: int,
    justified: bool,
    reason: str | None = None,
) -> JustifiedAbsences:
    """The class teacher justifies (with a reason) or keeps unjustified an absence.

    For absences without a note (or whose note was rejected): a waiting or accepted note
    decides its absences itself.

    Raises:
        NotFound: ``attendance.not_found``.
        InvalidInput: ``attendance.not_an_absence`` (a late mark),
            ``attendance.justify_reason_required``, ``note.text_too_long``.
        Conflict: ``attendance.has_note``.
    """
    async with uow:
        row = await uow.absence_notes.absence(attendance_id)
        if row is None:
            raise NotFound("attendance.not_found")
        context = await _decider_context(uow, viewer, row.pupil_id, missing="attendance.not_found")
        if not _counts(context.policy, row.code):
            raise InvalidInput("attendance.not_an_absence")
        if row.note_id is not None and row.note_status in LIVE:
            raise Conflict("attendance.has_note")
        result = await _justify(uow, viewer, context, [row], justified=justified, reason=reason)
        await uow.commit()
    return result


async def justify_day(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    pupil_id: int,
    on: date,
    justified: bool,
    reason: str | None = None,
) -> JustifiedAbsences:
    """``justify_absence`` for every undecided absence without a note of a pupil's day.

    Raises:
        NotFound: ``pupil.not_found``.
        Conflict: ``attendance.nothing_to_justify`` when none waits on that day.
    """
    async with uow:
        context = await _decider_context(uow, viewer, pupil_id, missing="pupil.not_found")
        rows = _undecided(await uow.absence_notes.absences([pupil_id], on, on), context.policy)
        if not rows:
            raise Conflict("attendance.nothing_to_justify", date=_day(on))
        result = await _justify(uow, viewer, context, rows, justified=justified, reason=reason)
        await uow.commit()
    return result


async def class_attendance_summary(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    class_id: int,
    start: date | None = None,
    end: date | None = None,
) -> ClassAttendanceSummary:
    """Per pupil of a class: justified, unjustified and late lessons from ``start`` to ``end``.

    Defaults: this semester up to today. Each line also carries the semester's counts and
    whether the pupil's unexcused lessons this semester are over the school's threshold.

    Raises:
        NotFound: ``class.not_found`` for anyone but the class teacher and managers.
        InvalidInput: ``period.reversed``.
    """
    async with uow:
        scope = await managed_class(uow, viewer, class_id=class_id)
        school, klass, today = scope.school, scope.klass, scope.today
        policy = await school_policy(uow, school.id)
        term = await uow.directory.term_on(school.id, today)
        semester_start = term.starts_on if term else today
        semester_end = max(semester_start, min(today, term.ends_on)) if term else today
        start = start or semester_start
        end = end or (semester_end if start == semester_start else max(start, today))
        if end < start:
            raise InvalidInput("period.reversed")
        enrolled = await uow.roster.enrolled([klass.id], today)
        pupils = [
            PupilSummary(
                p.person.id,
                p.person.given_name,
                p.person.family_name,
                p.class_name,
                p.grade,
                school.id,
            )
            for p in enrolled
        ]
        rows = await uow.absence_notes.absences(
            [p.pupil_id for p in pupils], min(start, semester_start), max(end, semester_end)
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="read.class_attendance",
                entity="class",
                entity_id=klass.id,
                school_id=school.id,
            ),
        )
        await uow.commit()
    by_pupil: dict[int, list[AbsenceEntry]] = defaultdict(list)
    for row in rows:
        by_pupil[row.pupil_id].append(row)
    lines = []
    for pupil in sorted(pupils, key=_pupil_order):
        own = by_pupil.get(pupil.pupil_id, [])
        semester = _summary(policy, own, semester_start, semester_end)
        lines.append(
            PupilAttendanceLine(
                pupil=pupil,
                period=_summary(policy, own, start, end),
                semester=semester,
                over_threshold=over_threshold(semester, policy.unjustified_threshold),
            )
        )
    return ClassAttendanceSummary(
        school=school,
        klass=klass,
        today=today,
        start=start,
        end=end,
        term=term.number if term else None,
        semester_start=semester_start,
        semester_end=semester_end,
        threshold=policy.unjustified_threshold,
        pupils=tuple(lines),
    )


# ------------------------------------------------------------------ recording absences


async def settle_recorded_absence(
    uow: UnitOfWork,
    policy: SchoolPolicy,
    *,
    attendance_id: int,
    pupil_id: int,
    on: date,
    code: str,
    new: bool,
) -> None:
    """Inside ``record_attendance``'s transaction: tie a just-marked absence to its note.

    An accepted note covering the day justifies it; a submitted one links it (it is decided
    with the note). Without a note a new absence starts as its code says (``ns``: justified).
    A late mark is no absence and is left as it is.
    """
    absence = policy.absence_code(code)
    if not absence.counts_as_absence:
        return
    now = uow.clock.now()
    note = await uow.absence_notes.covering(pupil_id, on)
    if note is not None:
        row = await uow.absence_notes.absence(attendance_id)
        accepted = note.status == NoteStatus.ACCEPTED
        if row is None or (row.justification == Justification.JUSTIFIED and not accepted):
            return  # a submitted note never undoes a justification already given
        justification = Justification.JUSTIFIED if accepted else Justification.PENDING
        await uow.absence_notes.link(
            [attendance_id], note_id=note.id, justification=justification.value, now=now
        )
        return
    if new and initial_justification(absence) is Justification.JUSTIFIED:
        await uow.absence_notes.link(
            [attendance_id], note_id=None, justification=Justification.JUSTIFIED.value, now=now
        )


# ------------------------------------------------------------------ helpers


async def _pupil_context(uow: UnitOfWork, pupil_id: int) -> _PupilContext | None:
    """The pupil's summary, school, class today and policy (None when there is no such pupil)."""
    facts = await uow.directory.pupil_facts(pupil_id)
    if facts is None:
        return None
    found = await uow.directory.pupil_summaries([pupil_id])
    if not found:
        return None
    summary = found[0]
    school = await uow.directory.school(summary.school_id)
    if school is None:
        return None
    today = uow.clock.now().astimezone(ZoneInfo(school.time_zone)).date()
    klass = await uow.absence_notes.pupil_class(pupil_id, today)
    if klass is not None and klass.school_id != school.id:
        school = await uow.directory.school(klass.school_id) or school
        today = school_today(uow, school)
    policy = await school_policy(uow, school.id)
    return _PupilContext(summary, school, klass, policy, today)


async def _submitter_context(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> _PupilContext:
    """The pupil if the viewer may submit notes for them (a guardian; a pupil if allowed)."""
    facts = await pupil_scope(uow, viewer, pupil_id)
    context = await _pupil_context(uow, pupil_id)
    if context is None:
        raise NotFound("pupil.not_found")
    if may_write_to_pupil(viewer, facts):
        return context
    if viewer.active and viewer.person_id == pupil_id:
        if context.policy.pupils_may_submit_notes:
            return context
        raise NotAllowed("note.pupils_may_not_submit")
    raise NotAllowed("note.not_allowed")


async def _reader_context(
    uow: UnitOfWork, viewer: Viewer, pupil_id: int, *, missing: str
) -> _PupilContext:
    """The pupil if the viewer is family, their class teacher or a manager; staff reads audited."""
    facts = await uow.directory.pupil_facts(pupil_id)
    context = await _pupil_context(uow, pupil_id)
    if facts is None or context is None or not viewer.active:
        raise NotFound(missing)
    family = viewer.person_id == pupil_id or pupil_id in viewer.children
    if not family and not _decides(viewer, context):
        raise NotFound(missing)
    audit_staff_read(uow, viewer, facts, "absence_notes")
    return context


async def _decider_context(
    uow: UnitOfWork, viewer: Viewer, pupil_id: int, *, missing: str
) -> _PupilContext:
    """The pupil if the viewer is their class teacher or the school's manager."""
    context = await _pupil_context(uow, pupil_id)
    if context is None or not _decides(viewer, context):
        raise NotFound(missing)
    return context


def _decides(viewer: Viewer, context: _PupilContext) -> bool:
    """The class teacher of the pupil's class, or a manager of the pupil's school."""
    if manages_school(viewer, context.school.id):
        return True
    klass = context.klass
    return klass is not None and manages_class(viewer, klass.school_id, klass.id)


def _class_id(context: _PupilContext) -> int | None:
    return context.klass.id if context.klass else None


def _form(context: _PupilContext) -> NoteForm:
    policy = context.policy
    return NoteForm(
        pupil=context.pupil,
        today=context.today,
        max_days=policy.note_max_days,
        max_days_ahead=policy.note_max_days_ahead,
        max_days_back=policy.note_max_days_back,
    )


async def _check_dates(
    uow: UnitOfWork, context: _PupilContext, starts_on: date, ends_on: date
) -> None:
    """The school's limits, school days in the range, and no other live note on those days."""
    policy = context.policy
    try:
        validate_note_range(
            starts_on,
            ends_on,
            today=context.today,
            max_days=policy.note_max_days,
            max_days_ahead=policy.note_max_days_ahead,
        )
    except InvalidInput as error:
        raise InvalidInput(error.key, **_dated(error.params)) from None
    earliest = context.today - timedelta(days=policy.note_max_days_back)
    if starts_on < earliest:
        raise InvalidInput("note.too_far_back", earliest=_day(earliest))
    year = await uow.directory.school_year_on(context.school.id, starts_on)
    if year is not None:
        calendar = await uow.timetable.calendar(year.id)
        grade = context.klass.grade if context.klass else context.pupil.grade
        if note_days(starts_on, ends_on, calendar=calendar, grade=grade) == 0:
            raise InvalidInput(
                "note.no_school_days", starts_on=_day(starts_on), ends_on=_day(ends_on)
            )
    await _no_overlap(uow, context.pupil.pupil_id, starts_on, ends_on, exclude=None)


async def _no_overlap(
    uow: UnitOfWork, pupil_id: int, starts_on: date, ends_on: date, *, exclude: int | None
) -> None:
    clash = await uow.absence_notes.overlapping(
        pupil_id, starts_on, ends_on, LIVE, exclude=exclude
    )
    if clash:
        raise Conflict(
            "note.overlaps", starts_on=_day(clash[0].starts_on), ends_on=_day(clash[0].ends_on)
        )


async def _queue(
    uow: UnitOfWork, school: SchoolRecord, klass: ClassRecord, today: date
) -> ClassQueue:
    enrolled = await uow.roster.enrolled([klass.id], today)
    pupils = {
        p.person.id: PupilSummary(
            p.person.id,
            p.person.given_name,
            p.person.family_name,
            p.class_name,
            p.grade,
            school.id,
        )
        for p in enrolled
    }
    policy = await school_policy(uow, school.id)
    notes = await uow.absence_notes.submitted(pupils)
    linked: dict[int, int] = defaultdict(int)
    for row in await uow.absence_notes.note_absences([n.id for n in notes]):
        if row.note_id is not None:
            linked[row.note_id] += 1
    year = await uow.directory.school_year_on(school.id, today)
    since = year.starts_on if year else today
    counting = [c.code for c in policy.absence_codes if c.counts_as_absence]
    undecided = await uow.absence_notes.undecided(pupils, counting, since)
    days: dict[tuple[int, date], list[AbsenceEntry]] = defaultdict(list)
    for row in undecided:
        days[row.pupil_id, row.on_date].append(row)
    return ClassQueue(
        school=school,
        klass=klass,
        today=today,
        notes=tuple(
            QueueNote(note, pupils[note.pupil_id], linked[note.id])
            for note in notes
            if note.pupil_id in pupils
        ),
        days=tuple(
            QueueDay(pupils[pupil_id], klass.id, on, tuple(rows), policy.absence_codes)
            for (pupil_id, on), rows in sorted(
                days.items(), key=lambda item: (item[0][1], _pupil_order(pupils[item[0][0]]))
            )
        ),
    )


async def _justify(
    uow: UnitOfWork,
    viewer: Viewer,
    context: _PupilContext,
    rows: Sequence[AbsenceEntry],
    *,
    justified: bool,
    reason: str | None,
) -> JustifiedAbsences:
    text = _text(reason)
    if justified and not text:
        raise InvalidInput("attendance.justify_reason_required")
    justification = Justification.JUSTIFIED if justified else Justification.UNJUSTIFIED
    await uow.absence_notes.justify(
        [row.attendance_id for row in rows],
        justification=justification.value,
        reason=text,
        now=uow.clock.now(),
    )
    for row in rows:
        uow.audit(
            viewer,
            AuditRecord(
                action="attendance.justified",
                entity="attendance",
                entity_id=row.attendance_id,
                school_id=context.school.id,
                subject_person_id=row.pupil_id,
                before={"justification": row.justification},
                after={"justification": justification.value},
            ),
        )
    return JustifiedAbsences(context.pupil, _class_id(context), justified, tuple(rows))


def _claimable(
    rows: Iterable[AbsenceEntry], note_id: int, policy: SchoolPolicy
) -> list[AbsenceEntry]:
    """The absences a note settles: its own, and undecided or refused ones nobody else holds."""
    return [
        row
        for row in rows
        if _counts(policy, row.code)
        and (
            row.note_id == note_id
            or (
                row.justification != Justification.JUSTIFIED
                and (row.note_id is None or row.note_status not in LIVE)
            )
        )
    ]


def _undecided(rows: Iterable[AbsenceEntry], policy: SchoolPolicy) -> list[AbsenceEntry]:
    return [
        row
        for row in rows
        if _counts(policy, row.code)
        and row.justification == Justification.PENDING
        and row.note_id is None
    ]


def _counts(policy: SchoolPolicy, code: str) -> bool:
    """Whether the code is an absence a note or a decision applies to (not lateness)."""
    return any(c.code == code and c.counts_as_absence for c in policy.absence_codes)


def _summary(
    policy: SchoolPolicy, rows: Iterable[AbsenceEntry], start: date, end: date
) -> AttendanceSummary:
    """Counts of the rows in the period; codes the school no longer has are left out."""
    known = {c.code for c in policy.absence_codes}
    return policy.summarize(
        AttendanceFact(row.on_date, row.code, Justification(row.justification))
        for row in rows
        if start <= row.on_date <= end and row.code in known
    )


def _may_withdraw(viewer: Viewer, note: AbsenceNoteRecord) -> bool:
    return (
        viewer.active
        and viewer.person_id is not None
        and note.submitted_by == viewer.person_id
        and note.status == NoteStatus.SUBMITTED
    )


def _reason(reason: str) -> NoteReason:
    try:
        return NoteReason(reason)
    except ValueError:
        raise InvalidInput("note.reason_invalid") from None


def _text(value: str | None) -> str | None:
    """Trimmed text (None when empty), at most ``MAX_TEXT`` characters."""
    text = " ".join((value or "").split())
    if len(text) > MAX_TEXT:
        raise InvalidInput("note.text_too_long", max=MAX_TEXT)
    return text or None


def _checked_attachment(attachment: NoteAttachment) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of an acceptable attachment: its bytes decide the type."""
    content = attachment.content
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("note.attachment_too_big", max=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    for magic, mime_type, extension in _SIGNATURES:
        if content.startswith(magic):
            return _filename(attachment.filename, extension), mime_type, content
    raise InvalidInput("note.attachment_type")


def _filename(name: str, extension: str) -> str:
    """The base name without control characters, with the extension the bytes call for."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "attachment"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem[: MAX_FILENAME - len(extension)] + extension


def _day(value: date) -> str:
    """A date as Latvian documents (and our screens) write it: 27.11.2026."""
    return value.strftime("%d.%m.%Y")


def _dated(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _day(v) if isinstance(v, date) else v for key, v in params.items()}


def _pupil_order(pupil: PupilSummary) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    return (latvian_key(pupil.family_name), latvian_key(pupil.given_name), pupil.pupil_id)
