"""A teacher's day (rules 3.5-3.7): the day's lessons and their state, the lesson card, files.

The day is the semester timetable with the published changes applied (core.domain.teacher_day):
a lesson the teacher substitutes is theirs for that day, a cancelled or moved-away lesson is
not, a lesson moved in or added is. The group's teachers fill in their lessons; a teacher to
whom a published substitution or extra lesson is assigned fills in that lesson and nothing else
(``guards.writable_lesson``), and the lesson then records them as its substitute. A group's own
teacher may also record that a colleague taught a lesson when no published change says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import PurePosixPath, PureWindowsPath
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, may_read_group
from core.domain.attendance import AbsenceCode
from core.domain.calendar import BellSchedule, SchoolCalendar
from core.domain.collation import latvian_key
from core.domain.policy import SchoolPolicy
from core.domain.records import AuditRecord, LessonRecord, PersonRecord, SchoolYearRecord
from core.domain.teacher_day import (
    DayChange,
    FileInfo,
    GroupInfo,
    HeldLesson,
    Marker,
    PlannedSlot,
    RecordedLesson,
    lessons_on,
)
from core.domain.timetable import TermRef
from core.errors import InvalidInput, NotAllowed, NotFound
from core.ports import UnitOfWork
from core.services.attendance import write_attendance
from core.services.guards import LessonAccess, school_policy, writable_lesson
from core.services.lessons import (
    check_lesson_slot,
    lesson_texts,
    note_substitute,
    write_lesson,
)

HOMEWORK = "homework"  # lesson_files.purpose of homework attachments
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
MAX_FILENAME = 120
DUE_OPTIONS = 4  # the group's next lessons offered as due dates
LOOKAHEAD_DAYS = 35  # how far the next lessons are looked for
_WEEK = 7

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# Allowed homework file types and how their content starts (images, PDF, office documents).
FILE_SIGNATURES: Mapping[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/vnd.ms-powerpoint": _OLE,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ZIP,
    "application/vnd.oasis.opendocument.text": _ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": _ZIP,
    "application/vnd.oasis.opendocument.presentation": _ZIP,
}


@dataclass(frozen=True, slots=True)
class DayLesson:
    """One lesson of the teacher's day with its state.

    ``change`` marks a published change (``substitution``: someone substitutes; ``room``;
    ``moved_here``; ``extra``); ``substitute`` is True when the viewer fills in for another
    teacher. ``absences`` counts pupils recorded absent (lateness not included); ``marks``
    counts marks in the group's assessments of that date.
    """

    school_id: int
    group_id: int
    group_name: str
    subject: str
    class_names: tuple[str, ...]
    on: date
    period: int
    starts_at: time | None
    ends_at: time | None
    room: str | None
    change: Marker | None
    substitute: bool
    lesson_id: int | None
    topic_set: bool
    homework_set: bool
    attendance_taken: bool
    absences: int
    marks: int

    @property
    def done(self) -> bool:
        """Topic and attendance recorded: what the school's rules ask for on the day."""
        return self.topic_set and self.attendance_taken


@dataclass(frozen=True, slots=True)
class TeacherDay:
    """A teacher's lessons of one date, and the school days before and after it in its week."""

    person_id: int
    on: date
    is_school_day: bool
    day_off: str | None
    lessons: tuple[DayLesson, ...]
    previous: date | None
    next: date | None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A pupil on the lesson's roster: roster number (Latvian order), name and current code."""

    number: int
    pupil_id: int
    given_name: str
    family_name: str
    code: str | None

    @property
    def short_name(self) -> str:
        """Family name and initial, as a roster shows it: "Bērziņš J."."""
        initial = self.given_name[:1]
        return f"{self.family_name} {initial}." if initial else self.family_name


@dataclass(frozen=True, slots=True)
class Colleague:
    """A teacher of the school who may have taught the lesson instead."""

    person_id: int
    given_name: str
    family_name: str

    @property
    def short_name(self) -> str:
        """Family name and initial: "Ozols A."."""
        initial = self.given_name[:1]
        return f"{self.family_name} {initial}." if initial else self.family_name


@dataclass(frozen=True, slots=True)
class LessonCard:
    """Everything the lesson card shows and the roster keyboard needs.

    ``cycle`` is the school's tap order of codes (present → cycle[0] → … → present) and
    ``codes`` the school's absence codes. ``due_options`` are the group's next lesson dates
    (the first one, else the next school day, is ``default_due``). ``taught_by`` names the
    teacher recorded as substitute, if any; ``may_reassign`` is False for a substitute and for
    a lesson whose substitution the school published.
    """

    lesson: DayLesson
    topic: str | None
    homework: str | None
    homework_due_on: date | None
    files: tuple[FileInfo, ...]
    roster: tuple[RosterEntry, ...]
    cycle: tuple[str, ...]
    codes: tuple[AbsenceCode, ...]
    default_due: date | None
    due_options: tuple[date, ...]
    taught_by: str | None
    may_reassign: bool

    @property
    def absent(self) -> dict[int, str]:
        """Pupil id → code of everyone not present, as saved."""
        return {entry.pupil_id: entry.code for entry in self.roster if entry.code is not None}


@dataclass(frozen=True, slots=True)
class _Calendar:
    year: SchoolYearRecord
    calendar: SchoolCalendar
    terms: tuple[TermRef, ...]

    def term_of(self, day: date) -> TermRef | None:
        return next((t for t in self.terms if t.starts_on <= day <= t.ends_on), None)


@dataclass(frozen=True, slots=True)
class _Scope:
    """One lesson the viewer may write: access, the group, the lesson as held and as recorded."""

    access: LessonAccess
    group: GroupInfo
    held: HeldLesson | None
    recorded: LessonRecord | None
    on: date
    period: int
    cal: _Calendar | None = None  # the school year of ``on``, read once per request


# ---------------------------------------------------------------- the day


async def teacher_day(uow: UnitOfWork, viewer: Viewer, *, on: date | None = None) -> TeacherDay:
    """The viewer's lessons on ``on`` (default: today in the school's zone) with their state.

    Raises:
        NotAllowed: ``teacher_day.teachers_only`` for someone who holds no staff role.
    """
    schools = sorted({school for school, _ in viewer.staff_roles})
    if not viewer.active or viewer.person_id is None or not schools:
        raise NotAllowed("teacher_day.teachers_only")
    person_id = viewer.person_id
    async with uow:
        if on is None:
            school = await uow.directory.school(schools[0])
            zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
            on = uow.clock.now().astimezone(zone).date()
        lessons: list[DayLesson] = []
        day_off: str | None = None
        school_day = False
        previous: date | None = None
        following: date | None = None
        for school_id in schools:
            cal = await _calendar(uow, school_id, on)
            if cal is None:
                continue
            if not school_day:  # the first school with lessons that day names the day
                off = cal.calendar.day_off_for(on)
                day_off = off.name if off else None
                school_day = cal.calendar.is_school_day(on)
                previous, following = _week_neighbours(cal.calendar, on)
            held = await _held(uow, school_id, cal, on)
            mine = [lesson for lesson in held if person_id in lesson.teacher_ids]
            groups = await uow.teacher_day.groups({lesson.group_id for lesson in mine})
            mine = [
                lesson
                for lesson in mine
                if lesson.group_id in groups
                and cal.calendar.is_school_day(on, groups[lesson.group_id].grade)
            ]
            if mine:
                facts = await _day_facts(uow, school_id, on, {h.group_id for h in mine})
                lessons += [
                    _day_lesson(viewer, groups[h.group_id], h.period, h, facts) for h in mine
                ]
        await uow.commit()
    lessons.sort(key=lambda lesson: (lesson.period, latvian_key(lesson.group_name)))
    return TeacherDay(person_id, on, school_day, day_off, tuple(lessons), previous, following)


def _week_neighbours(calendar: SchoolCalendar, on: date) -> tuple[date | None, date | None]:
    """The school days before and after ``on`` in the same Monday-to-Sunday week."""
    monday = on - timedelta(days=on.weekday())
    days = [monday + timedelta(days=offset) for offset in range(_WEEK)]
    school_days = [day for day in days if calendar.is_school_day(day)]
    before = [day for day in school_days if day < on]
    after = [day for day in school_days if day > on]
    return (before[-1] if before else None, after[0] if after else None)


async def _calendar(uow: UnitOfWork, school_id: int, on: date) -> _Calendar | None:
    year = await uow.directory.school_year_on(school_id, on)
    if year is None or not year.starts_on <= on <= year.ends_on:
        return None
    calendar = await uow.timetable.calendar(year.id)
    terms = tuple(await uow.timetable.terms(year.id))
    return _Calendar(year, calendar, terms)


async def _held(
    uow: UnitOfWork,
    school_id: int,
    cal: _Calendar,
    on: date,
    *,
    group_id: int | None = None,
    changes: Sequence[DayChange] | None = None,
    cache: dict[tuple[int, int, int], Sequence[PlannedSlot]] | None = None,
) -> tuple[HeldLesson, ...]:
    """The lessons a date has (of one group, or of the whole school) after published changes."""
    term = cal.term_of(on)
    if term is None or not cal.calendar.is_school_day(on):
        return ()
    week = cal.calendar.week_in_cycle(on)
    key = (term.id, on.weekday(), week)
    slots = cache.get(key) if cache is not None else None
    if slots is None:
        slots = await uow.teacher_day.slots_on(term.id, on.weekday(), week, group_id=group_id)
        if cache is not None:
            cache[key] = slots
    if changes is None:
        changes = await uow.teacher_day.changes_between(school_id, on, on, group_id=group_id)
    touching = [c for c in changes if on in (c.on, c.new_date)]
    return lessons_on(on, slots, touching)


@dataclass(frozen=True, slots=True)
class _DayFacts:
    """What the state of a date's lessons is read from: lesson rows, marks, bells, codes."""

    on: date
    recorded: Mapping[tuple[int, int], RecordedLesson]
    marks: Mapping[int, int]
    bells: BellSchedule | None
    absent_codes: frozenset[str]
    policy: SchoolPolicy


async def _day_facts(uow: UnitOfWork, school_id: int, on: date, group_ids: set[int]) -> _DayFacts:
    """The state of these groups' lessons on a date (one query per kind, not per lesson)."""
    recorded = {
        (row.lesson.group_id, row.lesson.period): row
        for row in await uow.teacher_day.recorded_lessons(group_ids, on)
    }
    marks = await uow.teacher_day.marks_on(group_ids, on)
    bells = await uow.timetable.default_bells(school_id)
    policy = await school_policy(uow, school_id)
    absent = frozenset(code.code for code in policy.absence_codes if code.counts_as_absence)
    return _DayFacts(on, recorded, marks, bells, absent, policy)


def _day_lesson(
    viewer: Viewer, group: GroupInfo, period: int, held: HeldLesson | None, facts: _DayFacts
) -> DayLesson:
    bell = facts.bells.period(period) if facts.bells else None
    recorded = facts.recorded.get((group.id, period))
    row = recorded.lesson if recorded else None
    return DayLesson(
        school_id=group.school_id,
        group_id=group.id,
        group_name=group.name,
        subject=group.subject_name or group.name,
        class_names=group.class_names,
        on=facts.on,
        period=period,
        starts_at=bell.starts_at if bell else None,
        ends_at=bell.ends_at if bell else None,
        room=held.room if held else None,
        change=held.marker if held else None,
        substitute=viewer.person_id not in group.teacher_ids,
        lesson_id=row.id if row else None,
        topic_set=bool(row and row.topic),
        homework_set=bool(row and row.homework) or bool(recorded and recorded.files),
        attendance_taken=bool(row and row.attendance_taken_at),
        absences=sum(1 for code in recorded.codes if code in facts.absent_codes)
        if recorded
        else 0,
        marks=facts.marks.get(group.id, 0),
    )


# ---------------------------------------------------------------- the lesson card


async def lesson_card(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, on: date, period: int
) -> LessonCard:
    """The lesson's card: state, topic, homework with due date and files, the roster.

    Raises:
        NotFound: ``group.not_found`` / ``lesson.not_found`` (the viewer may not write this
            lesson, or the group has no such lesson that day).
        NotAllowed: ``group.not_your_group`` for a reader of the group who does not teach it.
    """
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        card = await _card(uow, viewer, scope)
        await uow.commit()
        return card


async def _scope(uow: UnitOfWork, viewer: Viewer, group_id: int, on: date, period: int) -> _Scope:
    """The lesson if the viewer may write it and the group has it that day (held or recorded)."""
    check_lesson_slot(on, period, None)
    access = await writable_lesson(uow, viewer, group_id, on, period)
    groups = await uow.teacher_day.groups({group_id})
    group = groups[group_id]
    cal = await _calendar(uow, group.school_id, on)
    held: tuple[HeldLesson, ...] = ()
    if cal is not None and cal.calendar.is_school_day(on, group.grade):
        held = await _held(uow, group.school_id, cal, on, group_id=group_id)
    lesson = next((h for h in held if h.period == period), None)
    recorded = await uow.journal.lesson_at(group_id, on, period)
    if lesson is None and recorded is None:
        raise NotFound("lesson.not_found")
    return _Scope(access, group, lesson, recorded, on, period, cal)


async def _card(uow: UnitOfWork, viewer: Viewer, scope: _Scope) -> LessonCard:
    group, on, period = scope.group, scope.on, scope.period
    facts = await _day_facts(uow, group.school_id, on, {group.id})
    lesson = _day_lesson(viewer, group, period, scope.held, facts)
    row = facts.recorded.get((group.id, period))
    record = row.lesson if row else None
    policy = facts.policy
    current = await uow.journal.lesson_attendance(record.id) if record else {}
    files = (
        tuple(await uow.teacher_day.lesson_files(record.id, purpose=HOMEWORK)) if record else ()
    )
    due_options = await _next_lessons(uow, group, on, scope.cal)
    default_due = (
        due_options[0] if due_options else await _next_school_day(uow, group, on, scope.cal)
    )
    taught_by = None
    if record and record.is_substitution and record.teacher_id is not None:
        person = await uow.directory.person(record.teacher_id)
        taught_by = person.full_name if person else None
    return LessonCard(
        lesson=lesson,
        topic=record.topic if record else None,
        homework=record.homework if record else None,
        homework_due_on=record.homework_due_on if record else None,
        files=files,
        roster=await _roster(uow, group.id, on, current),
        cycle=policy.attendance_cycle,
        codes=policy.absence_codes,
        default_due=default_due,
        due_options=due_options,
        taught_by=taught_by,
        may_reassign=not scope.access.substitute
        and not (scope.held is not None and scope.held.marker == "substitution"),
    )


async def _roster(
    uow: UnitOfWork, group_id: int, on: date, current: Mapping[int, str]
) -> tuple[RosterEntry, ...]:
    """The group's pupils that day in Latvian order (family, then given name), numbered."""
    members = await uow.journal.group_members(group_id, on)
    pupils = sorted(
        await uow.directory.pupil_summaries(members),
        key=lambda p: (latvian_key(p.family_name), latvian_key(p.given_name), p.pupil_id),
    )
    return tuple(
        RosterEntry(number, p.pupil_id, p.given_name, p.family_name, current.get(p.pupil_id))
        for number, p in enumerate(pupils, start=1)
    )


async def _next_lessons(
    uow: UnitOfWork, group: GroupInfo, on: date, cal: _Calendar | None = None
) -> tuple[date, ...]:
    """The group's next lesson dates after ``on`` (timetable with published changes).

    ``cal`` is the school year of ``on`` when the caller has read it already.
    """
    cal = cal or await _calendar(uow, group.school_id, on)
    if cal is None:
        return ()
    end = on + timedelta(days=LOOKAHEAD_DAYS)
    changes = await uow.teacher_day.changes_between(
        group.school_id, on + timedelta(days=1), end, group_id=group.id
    )
    cache: dict[tuple[int, int, int], Sequence[PlannedSlot]] = {}
    found: list[date] = []
    for day in cal.calendar.school_days(on + timedelta(days=1), end, group.grade):
        held = await _held(
            uow, group.school_id, cal, day, group_id=group.id, changes=changes, cache=cache
        )
        if held:
            found.append(day)
            if len(found) == DUE_OPTIONS:
                break
    return tuple(found)


async def _next_school_day(
    uow: UnitOfWork, group: GroupInfo, on: date, cal: _Calendar | None = None
) -> date | None:
    cal = cal or await _calendar(uow, group.school_id, on)
    return cal.calendar.next_school_day(on, group.grade) if cal else None


# ---------------------------------------------------------------- topic, homework, files


async def set_topic(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, on: date, period: int, topic: str
) -> LessonCard:
    """Set (or correct) the lesson's topic; homework stays as it is.

    Raises:
        InvalidInput: ``teacher_day.text_empty``, ``lesson.text_too_long``.
    """
    cleaned, _ = lesson_texts(topic, None)
    if cleaned is None:
        raise InvalidInput("teacher_day.text_empty")
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        before = scope.recorded
        await write_lesson(
            uow,
            viewer,
            scope.access,
            on=on,
            period=period,
            topic=cleaned,
            homework=before.homework if before else None,
            homework_due_on=before.homework_due_on if before else None,
        )
        card = await _card(uow, viewer, scope)
        await uow.commit()
        return card


async def set_homework(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date,
    period: int,
    homework: str,
    due_on: date | None = None,
) -> LessonCard:
    """Set the homework text, due on ``due_on``, else as already set, else the next lesson.

    Without ``due_on`` or an earlier due date, the homework is due at the group's next lesson
    (the next school day when the timetable has none).

    Raises:
        InvalidInput: ``teacher_day.text_empty``, ``lesson.text_too_long``,
            ``lesson.due_before_lesson``.
    """
    _, cleaned = lesson_texts(None, homework)
    if cleaned is None:
        raise InvalidInput("teacher_day.text_empty")
    check_lesson_slot(on, period, due_on)
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        before = scope.recorded
        due = due_on or (before.homework_due_on if before else None)
        if due is None:
            options = await _next_lessons(uow, scope.group, on)
            due = options[0] if options else await _next_school_day(uow, scope.group, on)
        await write_lesson(
            uow,
            viewer,
            scope.access,
            on=on,
            period=period,
            topic=before.topic if before else None,
            homework=cleaned,
            homework_due_on=due,
        )
        card = await _card(uow, viewer, scope)
        await uow.commit()
        return card


async def set_homework_due(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, on: date, period: int, due_on: date
) -> LessonCard:
    """Change the due date of the homework already set.

    Raises:
        InvalidInput: ``teacher_day.homework_missing``, ``lesson.due_before_lesson``.
    """
    check_lesson_slot(on, period, due_on)
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        before = scope.recorded
        if before is None or not before.homework:
            raise InvalidInput("teacher_day.homework_missing")
        await write_lesson(
            uow,
            viewer,
            scope.access,
            on=on,
            period=period,
            topic=before.topic,
            homework=before.homework,
            homework_due_on=due_on,
        )
        card = await _card(uow, viewer, scope)
        await uow.commit()
        return card


def image_type(data: bytes) -> str | None:
    """The type of an image by its first bytes (JPEG, PNG, GIF, WebP), None for anything else."""
    for mime in ("image/jpeg", "image/png", "image/gif", "image/webp"):
        if any(data.startswith(signature) for signature in FILE_SIGNATURES[mime]):
            if mime == "image/webp" and data[8:12] != b"WEBP":
                continue
            return mime
    return None


def check_homework_file(filename: str, mime: str, data: bytes) -> tuple[str, str]:
    """The file's clean name and type, or the reason it cannot be attached.

    Raises:
        InvalidInput: ``teacher_day.file_empty``, ``teacher_day.file_too_big`` (``max_mb``),
            ``teacher_day.file_type`` (an image, PDF or office document only) or
            ``teacher_day.file_content`` (the bytes are not what the type says).
    """
    mime = mime.split(";", 1)[0].strip().lower()
    if not data:
        raise InvalidInput("teacher_day.file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("teacher_day.file_too_big", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    signatures = FILE_SIGNATURES.get(mime)
    if signatures is None:
        raise InvalidInput("teacher_day.file_type")
    if not any(data.startswith(signature) for signature in signatures):
        raise InvalidInput("teacher_day.file_content")
    if mime == "image/webp" and data[8:12] != b"WEBP":
        raise InvalidInput("teacher_day.file_content")
    name = PureWindowsPath(PurePosixPath(filename).name).name.strip()
    name = "".join(ch for ch in name if ch.isprintable()) or "file"
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        keep = MAX_FILENAME - len(suffix) - 1
        name = f"{stem[:keep]}.{suffix}" if dot and 0 < len(suffix) < 10 else name[:MAX_FILENAME]
    return name, mime


async def attach_homework_file(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date,
    period: int,
    filename: str,
    mime: str,
    data: bytes,
) -> FileInfo:
    """Attach a photo or document to the lesson's homework (≤ 10 MB; one transaction).

    Raises:
        InvalidInput: see ``check_homework_file``; ``teacher_day.too_many_files`` (``max``).
    """
    name, mime = check_homework_file(filename, mime, data)
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        group = scope.group
        lesson = scope.recorded
        now = uow.clock.now()
        if lesson is None:
            lesson = await uow.journal.save_lesson(
                school_id=group.school_id,
                group_id=group.id,
                on=on,
                period=period,
                teacher_id=viewer.person_id,
                topic=None,
                homework=None,
                homework_due_on=None,
                now=now,
            )
        lesson = await note_substitute(uow, viewer, scope.access, lesson)
        attached = await uow.teacher_day.lesson_files(lesson.id, purpose=HOMEWORK)
        if len(attached) >= MAX_FILES:
            raise InvalidInput("teacher_day.too_many_files", max=MAX_FILES)
        file_id = await uow.files.add(
            school_id=group.school_id,
            filename=name,
            mime_type=mime,
            content=data,
            created_by=viewer.person_id,
            now=now,
        )
        await uow.teacher_day.attach_file(lesson.id, file_id, HOMEWORK)
        uow.audit(
            viewer,
            AuditRecord(
                action="lesson.file_attached",
                entity="lesson",
                entity_id=lesson.id,
                school_id=group.school_id,
                after={"file_id": file_id, "mime_type": mime, "size": len(data)},
            ),
        )
        await uow.commit()
        return FileInfo(file_id, name, mime, len(data))


async def homework_files(uow: UnitOfWork, viewer: Viewer, lesson_id: int) -> tuple[FileInfo, ...]:
    """A lesson's homework files with their bytes, for whoever may read the group's homework.

    The group's pupils (members on the lesson's date), their parents and carers, the group's
    teachers, the teacher who taught the lesson, class teachers of its classes and the school's
    managers; anyone else gets ``lesson.not_found``.
    """
    async with uow:
        lesson = await uow.journal.lesson(lesson_id)
        if lesson is None:
            raise NotFound("lesson.not_found")
        if not await _may_read_homework(uow, viewer, lesson):
            raise NotFound("lesson.not_found")
        files = tuple(
            await uow.teacher_day.lesson_files(lesson.id, purpose=HOMEWORK, content=True)
        )
        await uow.commit()
        return files


async def _may_read_homework(uow: UnitOfWork, viewer: Viewer, lesson: LessonRecord) -> bool:
    if not viewer.active:
        return False
    facts = await uow.directory.group_facts(lesson.group_id)
    if facts is None:
        return False
    if may_read_group(viewer, facts):
        return True
    if viewer.person_id is not None and viewer.person_id == lesson.teacher_id:
        return bool(viewer.roles_in(facts.school_id))
    members = await uow.journal.group_members(lesson.group_id, lesson.on_date)
    if viewer.person_id is not None and viewer.person_id in members:
        return True
    return bool(viewer.children & members)


# ---------------------------------------------------------------- attendance


async def save_attendance(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date,
    period: int,
    absent: Mapping[int, str],
) -> LessonCard:
    """Save the lesson's roster at once: ``absent`` maps pupil id → code, the rest are present.

    Creates the lesson record on first use; changes after a save are audited one by one.

    Raises:
        InvalidInput: ``attendance.unknown_code``, ``attendance.pupil_not_in_group``.
    """
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        lesson = scope.recorded
        if lesson is None:
            lesson = await uow.journal.save_lesson(
                school_id=scope.group.school_id,
                group_id=group_id,
                on=on,
                period=period,
                teacher_id=viewer.person_id,
                topic=None,
                homework=None,
                homework_due_on=None,
                now=uow.clock.now(),
            )
        await write_attendance(uow, viewer, scope.access, lesson, absent)
        card = await _card(uow, viewer, scope)
        await uow.commit()
        return card


# ---------------------------------------------------------------- who taught it


async def substitute_options(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, on: date, period: int
) -> tuple[Colleague, ...]:
    """The school's teachers (but the viewer) who may have taught the lesson, in Latvian order."""
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        _check_reassign(scope)
        staff = await uow.teacher_day.teaching_staff(scope.group.school_id)
        await uow.commit()
    return _colleagues(staff, viewer)


def _colleagues(staff: Sequence[PersonRecord], viewer: Viewer) -> tuple[Colleague, ...]:
    found = [
        Colleague(person.id, person.given_name, person.family_name)
        for person in staff
        if person.id != viewer.person_id
    ]
    found.sort(key=lambda c: (latvian_key(c.family_name), latvian_key(c.given_name), c.person_id))
    return tuple(found)


def _check_reassign(scope: _Scope) -> None:
    if scope.access.substitute:
        raise NotAllowed("teacher_day.not_for_substitutes")
    if scope.held is not None and scope.held.marker == "substitution":
        raise InvalidInput("teacher_day.substitution_published")


async def record_substitute(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date,
    period: int,
    teacher_id: int | None,
) -> LessonCard:
    """Record that a colleague taught the lesson (None: the viewer taught it after all).

    For the group's own teachers when no published change says who substitutes.

    Raises:
        NotAllowed: ``teacher_day.not_for_substitutes``.
        InvalidInput: ``teacher_day.substitution_published``, ``teacher_day.colleague_unknown``.
    """
    async with uow:
        scope = await _scope(uow, viewer, group_id, on, period)
        _check_reassign(scope)
        group = scope.group
        if teacher_id is not None:
            staff = await uow.teacher_day.teaching_staff(group.school_id)
            if teacher_id not in {c.person_id for c in _colleagues(staff, viewer)}:
                raise InvalidInput("teacher_day.colleague_unknown")
        now = uow.clock.now()
        lesson = scope.recorded
        if lesson is None:
            lesson = await uow.journal.save_lesson(
                school_id=group.school_id,
                group_id=group.id,
                on=on,
                period=period,
                teacher_id=viewer.person_id,
                topic=None,
                homework=None,
                homework_due_on=None,
                now=now,
            )
        taught_by = teacher_id if teacher_id is not None else viewer.person_id
        await uow.teacher_day.set_lesson_teacher(
            lesson.id, taught_by, is_substitution=teacher_id is not None, now=now
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="lesson.substitute",
                entity="lesson",
                entity_id=lesson.id,
                school_id=group.school_id,
                before={"teacher_id": lesson.teacher_id, "substitution": lesson.is_substitution},
                after={"teacher_id": taught_by, "substitution": teacher_id is not None},
            ),
        )
        card = await _card(uow, viewer, scope)
        await uow.commit()
        return card


# ---------------------------------------------------------------- lessons left unfinished


@dataclass(frozen=True, slots=True)
class TeacherBacklog:
    """A teacher's lessons of one date still missing a topic or attendance (the reminder).

    ``lessons`` are the lessons' states as the teacher's own day shows them, by period.
    """

    person_id: int
    school_id: int
    on: date
    lessons: tuple[DayLesson, ...]


async def unfinished_lessons(
    uow: UnitOfWork, *, school_id: int, on: date
) -> tuple[TeacherBacklog, ...]:
    """System read for the scheduler: each teacher's lessons of ``on`` not yet done.

    A lesson is done when its topic and attendance are recorded (``DayLesson.done``). The
    lessons are the school's timetable of that date with the published changes applied, by the
    rule the teacher's day uses: a substituted lesson is the substitute's (not the absent
    teacher's), a cancelled or moved-away lesson is nobody's, a lesson moved in or added is its
    teacher's, and grades with a day off have none. Only active staff of the school; teachers
    whose lessons are all done are left out. Sorted by person id. A fixed handful of queries
    for the whole school (plus one per changed timetable slot).

    Raises:
        NotFound: ``school.not_found``.
    """
    async with uow:
        if await uow.directory.school(school_id) is None:
            raise NotFound("school.not_found")
        cal = await _calendar(uow, school_id, on)
        held: tuple[HeldLesson, ...] = ()
        groups: Mapping[int, GroupInfo] = {}
        if cal is not None:
            held = await _held(uow, school_id, cal, on)
            groups = await uow.teacher_day.groups({lesson.group_id for lesson in held})
            held = tuple(
                lesson
                for lesson in held
                if lesson.group_id in groups
                and cal.calendar.is_school_day(on, groups[lesson.group_id].grade)
            )
        if not held:
            await uow.commit()
            return ()
        staff = {person.id for person in await uow.roster.staff(school_id)}
        facts = await _day_facts(uow, school_id, on, {lesson.group_id for lesson in held})
        await uow.commit()
    owed: dict[int, list[DayLesson]] = {}
    for lesson in held:
        for teacher_id in lesson.teacher_ids:
            if teacher_id not in staff:
                continue
            state = _day_lesson(
                Viewer(person_id=teacher_id), groups[lesson.group_id], lesson.period, lesson, facts
            )
            if not state.done:
                owed.setdefault(teacher_id, []).append(state)
    return tuple(
        TeacherBacklog(
            person_id,
            school_id,
            on,
            tuple(sorted(lessons, key=lambda x: (x.period, latvian_key(x.group_name)))),
        )
        for person_id, lessons in sorted(owed.items())
    )
