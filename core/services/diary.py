"""A pupil's diary and homework (issue 8, parts 1, 3 and 10): what a paper diary showed, per day.

``pupil_diary`` is one week of a pupil: each school day of the school's week (a day off and a day
outside every semester are named and have no lessons) lists its lessons in period order: the
semester timetable with the school's published changes applied and marked (the rules of
``timetable.week_timetable``: a cancelled or moved-away lesson stays listed, marked; a lesson
moved in and an extra lesson appear), each with what the journal holds for it: topic, homework
with its due date and files, the marks the group's assessments of that day gave the pupil
(the first lesson of the group that day carries them) and the pupil's attendance mark. A
lesson the journal holds but the timetable does not (an extra lesson nobody published) is
listed too, marked extra. Marks of a day on which the group had no lesson are the day's
``other_marks``.

``pupil_homework`` is the homework due on the next school day ("tomorrow") and on the later days
of that school week, with files; ``homework_file`` hands out one homework file's bytes.

Who may read: the pupil, their parents and carers, and staff the policy lets read the pupil (a
subject teacher only their own groups); staff reads are audited. Any other viewer, and any id
that does not fit, gets "not found". A fixed handful of queries per call, never one per lesson.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from core.domain.access import Viewer
from core.domain.attendance import AbsenceCode
from core.domain.calendar import BellPeriod, BellSchedule, SchoolCalendar
from core.domain.ids import possible_id
from core.domain.marks import MarkScale, MarkStatus, MarkValue, mark_label
from core.domain.records import AttendanceRow, MarkRow, PupilSummary
from core.domain.teacher_day import FileInfo
from core.domain.timetable import TermRef
from core.errors import InvalidInput, InvalidMark, NotFound
from core.ports import DiaryLessonRow, GroupDetails, SlotRow, UnitOfWork
from core.services.guards import audit_staff_read, own_groups_filter, pupil_scope, school_policy
from core.services.teacher_day import HOMEWORK
from core.services.timetable_changes import ChangeView, Lesson, change_views, lessons_on

_WEEK = 7
MAX_FILE_ID = 2**63 - 1  # files.id is a 64-bit integer
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # dates a diary may be asked for
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
DiaryChange = Literal["substituted", "cancelled", "room", "moved_away", "moved_here", "extra"]
FileKind = Literal["image", "document"]
_OFF: frozenset[DiaryChange | None] = frozenset({"cancelled", "moved_away"})
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class DiaryFile:
    """A homework file: what a button needs to name it and ask for it (never the bytes)."""

    id: int
    name: str
    mime_type: str

    @property
    def kind(self) -> FileKind:
        """``image`` for pictures (a chat shows them as photos), else ``document``."""
        return "image" if self.mime_type in IMAGE_TYPES else "document"


@dataclass(frozen=True, slots=True)
class DiaryMark:
    """A mark of the pupil: the assessment's subject, title, kind and scale, and the value."""

    mark_id: int
    subject: str
    title: str
    kind: str
    scale: str
    status: str
    value: str | None

    def label(self, lang: str) -> str:
        """The value as the scale writes it in ``lang``: ``8``, ``apguvis``, ``85%``, ``nv``.

        A stored value outside its scale is shown as it is.
        """
        try:
            value = (
                MarkValue.nv()
                if self.status == MarkStatus.NV
                else MarkValue.mark(self.value or "")
            )
            return mark_label(MarkScale(self.scale), value, lang)
        except (InvalidMark, ValueError):
            return self.value or self.status


@dataclass(frozen=True, slots=True)
class DiaryAttendance:
    """The pupil's attendance mark in a lesson (present is not stored, so never shown)."""

    code: str
    justification: str


@dataclass(frozen=True, slots=True)
class DiaryLesson:
    """One lesson of a diary day: the timetable's (after published changes) and the journal's.

    ``teachers`` and ``room`` are who and where after the change; ``change`` marks it like the
    timetable does (``substituted`` with ``original_teachers``; ``cancelled``; ``room`` with
    ``original_room``; ``moved_away`` to ``moved_to``; ``moved_here`` from ``moved_from``;
    ``extra``: a published extra lesson, or one the journal holds outside the timetable).
    ``lesson_id`` is the journal's lesson, None when nothing is recorded for it yet.
    """

    period: int
    starts_at: time | None
    ends_at: time | None
    group_id: int
    subject: str
    room: str | None
    teachers: tuple[str, ...]
    change: DiaryChange | None = None
    original_teachers: tuple[str, ...] = ()
    original_room: str | None = None
    moved_to: tuple[date, int] | None = None
    moved_from: tuple[date, int] | None = None
    note: str | None = None
    lesson_id: int | None = None
    topic: str | None = None
    homework: str | None = None
    homework_due_on: date | None = None
    files: tuple[DiaryFile, ...] = ()
    marks: tuple[DiaryMark, ...] = ()
    attendance: DiaryAttendance | None = None

    @property
    def held(self) -> bool:
        """False for a lesson cancelled or moved to another period or day."""
        return self.change not in _OFF


@dataclass(frozen=True, slots=True)
class DiaryDay:
    """A school weekday of the week; ``day_off`` names a holiday, ``in_term`` is False outside.

    ``other_marks`` are the day's marks from a group that had no lesson listed that day.
    """

    on: date
    lessons: tuple[DiaryLesson, ...]
    day_off: str | None
    in_term: bool
    other_marks: tuple[DiaryMark, ...] = ()


@dataclass(frozen=True, slots=True)
class DiaryWeek:
    """A pupil's week: the days, today and the next school day in the school's time zone.

    ``cycle_week`` is 0 (A) or 1 (B) in a two-week cycle, else None; ``codes`` are the school's
    attendance codes with their labels. ``days`` is empty when the date is in no school year.
    """

    pupil: PupilSummary
    monday: date
    today: date
    next_school_day: date | None
    cycle_week: int | None
    days: tuple[DiaryDay, ...]
    codes: tuple[AbsenceCode, ...]

    @property
    def pupil_id(self) -> int:
        """The pupil's person id."""
        return self.pupil.pupil_id

    @property
    def previous_monday(self) -> date:
        """The Monday of the week before."""
        return self.monday - timedelta(days=_WEEK)

    @property
    def next_monday(self) -> date:
        """The Monday of the week after."""
        return self.monday + timedelta(days=_WEEK)

    def day(self, on: date) -> DiaryDay | None:
        """The diary day of a date, None when the date is not a weekday the school works."""
        return next((day for day in self.days if day.on == on), None)


@dataclass(frozen=True, slots=True)
class HomeworkItem:
    """Homework due on a date: set in a lesson (``given_on``) of a group, with its files.

    ``period`` is the group's lesson on the due date (after published changes), None when the
    timetable has none that day.
    """

    due_on: date
    period: int | None
    subject: str
    group_id: int
    given_on: date
    lesson_id: int
    text: str | None
    files: tuple[DiaryFile, ...]


@dataclass(frozen=True, slots=True)
class HomeworkList:
    """Homework due from ``tomorrow`` (the next school day) to ``until`` (that week's Sunday).

    Both are None when no school day follows ``today`` in the school year; ``items`` are sorted
    by due date, then period.
    """

    pupil: PupilSummary
    today: date
    tomorrow: date | None
    until: date | None
    items: tuple[HomeworkItem, ...]

    @property
    def pupil_id(self) -> int:
        """The pupil's person id."""
        return self.pupil.pupil_id


@dataclass(frozen=True, slots=True)
class HomeworkFile:
    """One homework file to hand out: its name, type and bytes."""

    filename: str
    mime_type: str
    data: bytes


# ---------------------------------------------------------------- the services


async def pupil_diary(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, week_of: date | None = None
) -> DiaryWeek:
    """The week containing ``week_of`` (default: today in the school's zone) of a pupil's diary.

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not read the pupil.
        InvalidInput: ``diary.date_invalid`` for a date before 1900 or after 2999.
    """
    _check_day(week_of)
    async with uow:
        scope = await _scope(uow, viewer, pupil_id, "diary")
        on = week_of or scope.today
        monday = on - timedelta(days=on.weekday())
        sunday = monday + timedelta(days=_WEEK - 1)
        year = await _year(uow, scope.school_id, sunday)
        days: tuple[DiaryDay, ...] = ()
        cycle_week: int | None = None
        if year is not None:
            groups = await scope.groups(uow, monday, sunday)
            planned = await _planned(uow, scope, year, groups, monday)
            journal = await _journal(uow, scope, groups, monday, sunday)
            days = tuple(_day(day, year, scope, planned, journal) for day in year.weekdays(monday))
            cycle_week = (
                year.calendar.week_in_cycle(monday) if year.calendar.cycle_weeks > 1 else None
            )
        following = await _next_school_day(uow, scope, year)
        policy = await school_policy(uow, scope.school_id)
        await uow.commit()
    return DiaryWeek(
        pupil=scope.pupil,
        monday=monday,
        today=scope.today,
        next_school_day=following,
        cycle_week=cycle_week,
        days=days,
        codes=policy.absence_codes,
    )


async def pupil_homework(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, on: date | None = None
) -> HomeworkList:
    """Homework due on the school day after ``on`` (default: today) and later that school week.

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not read the pupil.
        InvalidInput: ``diary.date_invalid`` for a date before 1900 or after 2999.
    """
    _check_day(on)
    async with uow:
        scope = await _scope(uow, viewer, pupil_id, "homework")
        today = on or scope.today
        year = await _year(uow, scope.school_id, today)
        tomorrow = year.calendar.next_school_day(today, scope.grade) if year else None
        until: date | None = None
        items: list[HomeworkItem] = []
        if year is not None and tomorrow is not None:
            monday = tomorrow - timedelta(days=tomorrow.weekday())
            until = monday + timedelta(days=_WEEK - 1)
            groups = await scope.groups(uow, tomorrow, until)
            rows = await uow.diary.homework_due(
                group_ids=groups, start=tomorrow, end=until, purpose=HOMEWORK
            )
            files = await uow.diary.lesson_files([r.lesson.id for r in rows], purpose=HOMEWORK)
            planned = await _planned(uow, scope, year, groups, monday) if rows else {}
            items = [_homework_item(row, files, planned) for row in rows]
        await uow.commit()
    items.sort(key=lambda i: (i.due_on, i.period is None, i.period or 0, i.subject, i.lesson_id))
    return HomeworkList(scope.pupil, today, tomorrow, until, tuple(items))


async def homework_file(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, file_id: int
) -> HomeworkFile:
    """A homework file of a lesson of a group the pupil was in on the lesson's day.

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not read the pupil;
            ``diary.file_not_found`` for a file that is not such homework (or not the viewer's
            to see: a subject teacher reads their own groups' files only).
    """
    async with uow:
        scope = await _scope(uow, viewer, pupil_id, "homework_file")
        found = (
            await uow.diary.homework_file(file_id, purpose=HOMEWORK)
            if 0 < file_id <= MAX_FILE_ID
            else None
        )
        if found is None:
            raise NotFound("diary.file_not_found")
        for group_id, on in found.lessons:
            if scope.only is not None and group_id not in scope.only:
                continue
            if group_id in await uow.timetable.pupil_groups(pupil_id, on, on):
                break
        else:
            raise NotFound("diary.file_not_found")
        await uow.commit()
    return HomeworkFile(found.file.filename, found.file.mime_type, found.file.data or b"")


# ---------------------------------------------------------------- whose and when


def _check_day(on: date | None) -> None:
    if on is not None and not FIRST_DAY <= on <= LAST_DAY:
        raise InvalidInput("diary.date_invalid")


@dataclass(frozen=True, slots=True)
class _Scope:
    """The pupil the viewer may read, the school, today there, and the groups the viewer sees.

    ``only`` is the viewer's own groups for a subject teacher (None: all the pupil's groups).
    """

    pupil: PupilSummary
    school_id: int
    today: date
    only: frozenset[int] | None

    @property
    def grade(self) -> int | None:
        return self.pupil.grade

    async def groups(self, uow: UnitOfWork, start: date, end: date) -> frozenset[int]:
        """The pupil's groups between two dates that the viewer may see."""
        groups = await uow.timetable.pupil_groups(self.pupil.pupil_id, start, end)
        return groups if self.only is None else groups & self.only


async def _scope(uow: UnitOfWork, viewer: Viewer, pupil_id: int, what: str) -> _Scope:
    if not possible_id(pupil_id):  # a crafted id no row can have: not found, no query
        raise NotFound("pupil.not_found")
    facts = await pupil_scope(uow, viewer, pupil_id)
    summaries = await uow.directory.pupil_summaries([pupil_id])
    if not summaries:  # pragma: no cover - pupil_scope found an enrolment
        raise NotFound("pupil.not_found")
    pupil = summaries[0]
    school = await uow.directory.school(pupil.school_id)
    zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
    only = (
        frozenset(await uow.journal.teacher_groups_of_pupil(pupil_id, viewer.person_id or 0))
        if own_groups_filter(viewer, facts)
        else None
    )
    audit_staff_read(uow, viewer, facts, what)
    return _Scope(pupil, pupil.school_id, uow.clock.now().astimezone(zone).date(), only)


@dataclass(frozen=True, slots=True)
class _Year:
    """A school year's calendar, semesters and default bells."""

    id: int
    calendar: SchoolCalendar
    terms: tuple[TermRef, ...]
    bells: BellSchedule | None
    starts_on: date
    ends_on: date

    def term_of(self, day: date) -> TermRef | None:
        return next((t for t in self.terms if t.starts_on <= day <= t.ends_on), None)

    def weekdays(self, monday: date) -> list[date]:
        """The days of the week the school works (Mon–Fri or Mon–Sat)."""
        return [monday + timedelta(days=d) for d in sorted(self.calendar.school_weekdays)]

    def bell(self, period: int) -> BellPeriod | None:
        return self.bells.period(period) if self.bells else None


async def _year(uow: UnitOfWork, school_id: int, on: date) -> _Year | None:
    year = await uow.directory.school_year_on(school_id, on)
    if year is None:
        return None
    return _Year(
        year.id,
        await uow.timetable.calendar(year.id),
        tuple(await uow.timetable.terms(year.id)),
        await uow.timetable.default_bells(school_id),
        year.starts_on,
        year.ends_on,
    )


async def _next_school_day(uow: UnitOfWork, scope: _Scope, shown: _Year | None) -> date | None:
    """The pupil's school day after today (the year shown is reused when it is today's)."""
    if shown is not None and shown.starts_on <= scope.today <= shown.ends_on:
        # School years do not overlap: the year containing today is the one found for today.
        return shown.calendar.next_school_day(scope.today, scope.grade)
    current = await uow.directory.school_year_on(scope.school_id, scope.today)
    if current is None:
        return None
    calendar = (
        shown.calendar
        if shown is not None and shown.id == current.id
        else await uow.timetable.calendar(current.id)
    )
    return calendar.next_school_day(scope.today, scope.grade)


# ---------------------------------------------------------------- the timetable's lessons


async def _planned(
    uow: UnitOfWork, scope: _Scope, year: _Year, groups: frozenset[int], monday: date
) -> dict[date, list[DiaryLesson]]:
    """Each school day's timetable lessons of these groups with the published changes applied."""
    if not groups:
        return {}
    sunday = monday + timedelta(days=_WEEK - 1)
    changes = await uow.changes.changes(scope.school_id, monday, sunday, published_only=True)
    views = await change_views(uow, [c for c in changes if c.group_id in groups])
    cache: dict[int, tuple[Sequence[SlotRow], dict[int, GroupDetails]]] = {}
    planned: dict[date, list[DiaryLesson]] = {}
    for day in year.weekdays(monday):
        term = year.term_of(day)
        if term is None or not year.calendar.is_school_day(day, scope.grade):
            continue
        if term.id not in cache:
            rows = await uow.changes.slot_rows(term_id=term.id, group_ids=groups)
            details = await uow.changes.group_details(group_ids={r.group_id for r in rows})
            cache[term.id] = (rows, {g.id: g for g in details})
        rows, by_id = cache[term.id]
        planned[day] = _entries(day, lessons_on(rows, by_id, year.calendar, day), views, year)
    return planned


def _entries(
    day: date, lessons: Sequence[Lesson], views: Sequence[ChangeView], year: _Year
) -> list[DiaryLesson]:
    """The day's lessons (each with its change), then the lessons the changes bring in."""
    of_lesson = {v.slot_id: v for v in views if v.on == day and v.kind != "extra" and v.slot_id}
    entries = [_scheduled(lesson, of_lesson.get(lesson.key), year) for lesson in lessons]
    for view in views:
        if view.kind == "extra" and view.on == day:
            entries.append(_brought(view, view.period, "extra", year))
        elif (
            view.kind == "move"
            and (view.new_date or view.on) == day
            and view.new_period is not None
        ):
            entries.append(_brought(view, view.new_period, "moved_here", year))
    return entries


def _scheduled(lesson: Lesson, view: ChangeView | None, year: _Year) -> DiaryLesson:
    bell = year.bell(lesson.period)
    entry = DiaryLesson(
        period=lesson.period,
        starts_at=bell.starts_at if bell else None,
        ends_at=bell.ends_at if bell else None,
        group_id=lesson.group.id,
        subject=lesson.group.subject_name or lesson.group.name,
        room=lesson.room,
        teachers=lesson.teacher_names,
    )
    if view is None:
        return entry
    if view.kind == "substitution":
        return replace(
            entry,
            change="substituted",
            teachers=view.teacher_names,
            original_teachers=lesson.teacher_names,
            room=view.room,
            original_room=lesson.room if view.room != lesson.room else None,
            note=view.note,
        )
    if view.kind == "room":
        return replace(
            entry, change="room", room=view.room, original_room=lesson.room, note=view.note
        )
    if view.kind == "cancel":
        return replace(entry, change="cancelled", note=view.note)
    target = (view.new_date or view.on, view.new_period or lesson.period)
    return replace(entry, change="moved_away", moved_to=target, note=view.note)


def _brought(view: ChangeView, period: int, change: DiaryChange, year: _Year) -> DiaryLesson:
    bell = year.bell(period)
    return DiaryLesson(
        period=period,
        starts_at=bell.starts_at if bell else None,
        ends_at=bell.ends_at if bell else None,
        group_id=view.group_id,
        subject=view.subject_name or view.group_name,
        room=view.room,
        teachers=view.teacher_names,
        change=change,
        original_room=(
            view.original_room if change != "extra" and view.room != view.original_room else None
        ),
        moved_from=(view.on, view.period) if change == "moved_here" else None,
        note=view.note,
    )


# ---------------------------------------------------------------- the journal's side


@dataclass(frozen=True, slots=True)
class _Journal:
    """The week's lessons held, their homework files, and the pupil's marks and absences."""

    held: Mapping[date, Sequence[DiaryLessonRow]]
    files: Mapping[int, tuple[FileInfo, ...]]
    marks: Mapping[date, Sequence[MarkRow]]
    absences: Mapping[tuple[int, int], AttendanceRow]  # by lesson id and pupil: one per lesson


async def _journal(
    uow: UnitOfWork, scope: _Scope, groups: frozenset[int], start: date, end: date
) -> _Journal:
    pupil_id = scope.pupil.pupil_id
    marks = await uow.journal.pupil_marks(pupil_id, start, end, scope.only)
    absences = await uow.journal.pupil_attendance(pupil_id, start, end, scope.only)
    rows = await uow.diary.lessons(
        group_ids=groups, lesson_ids={a.lesson_id for a in absences}, start=start, end=end
    )
    files = await uow.diary.lesson_files([r.lesson.id for r in rows], purpose=HOMEWORK)
    return _Journal(
        held=_by_day(rows, lambda r: r.lesson.on_date),
        files=files,
        marks=_by_day(marks, lambda m: m.on_date),
        absences={(a.lesson_id, a.pupil_id): a for a in absences},
    )


def _by_day(items: Iterable[_T], when: Callable[[_T], date]) -> dict[date, list[_T]]:
    found: dict[date, list[_T]] = defaultdict(list)
    for item in items:
        found[when(item)].append(item)
    return found


def _day(
    on: date,
    year: _Year,
    scope: _Scope,
    planned: Mapping[date, Sequence[DiaryLesson]],
    journal: _Journal,
) -> DiaryDay:
    """A day's timetable lessons with the journal laid over them."""
    off = year.calendar.day_off_for(on, scope.grade)
    lessons = list(planned.get(on, ()))
    for row in journal.held.get(on, ()):
        lesson = row.lesson
        absence = journal.absences.get((lesson.id, scope.pupil.pupil_id))
        found = _find(lessons, lesson.group_id, lesson.period)
        base = lessons[found] if found is not None else _unplanned(row, year)
        filled = _recorded(base, row, journal.files.get(lesson.id, ()), absence)
        if found is None:
            lessons.append(filled)
        else:
            lessons[found] = filled
    lessons.sort(key=lambda x: (x.period, not x.held, x.subject, x.group_id))
    others: list[DiaryMark] = []
    for given in journal.marks.get(on, ()):
        mark = _mark(given)
        target = _first_of_group(lessons, given.group_id)
        if target is None:
            others.append(mark)
        else:
            lessons[target] = replace(lessons[target], marks=(*lessons[target].marks, mark))
    return DiaryDay(
        on=on,
        lessons=tuple(lessons),
        day_off=off.name if off else None,
        in_term=year.term_of(on) is not None,
        other_marks=tuple(others),
    )


def _find(lessons: Sequence[DiaryLesson], group_id: int, period: int) -> int | None:
    """The listed lesson of a group in a period: a held one before a cancelled one."""
    matches = [i for i, x in enumerate(lessons) if x.group_id == group_id and x.period == period]
    matches.sort(key=lambda i: not lessons[i].held)
    return matches[0] if matches else None


def _first_of_group(lessons: Sequence[DiaryLesson], group_id: int) -> int | None:
    """Where a group's marks of the day go: its first lesson held, else its first listed."""
    mine = [i for i, x in enumerate(lessons) if x.group_id == group_id]
    held = [i for i in mine if lessons[i].held]
    first = held or mine
    return first[0] if first else None


def _unplanned(row: DiaryLessonRow, year: _Year) -> DiaryLesson:
    """A lesson the journal holds that the timetable (with its changes) does not list."""
    bell = year.bell(row.lesson.period)
    return DiaryLesson(
        period=row.lesson.period,
        starts_at=bell.starts_at if bell else None,
        ends_at=bell.ends_at if bell else None,
        group_id=row.lesson.group_id,
        subject=row.subject_name or row.group_name,
        room=None,
        teachers=(row.teacher_name,) if row.teacher_name else (),
        change="extra",
    )


def _recorded(
    base: DiaryLesson,
    row: DiaryLessonRow,
    files: Sequence[FileInfo],
    absence: AttendanceRow | None,
) -> DiaryLesson:
    """The listed lesson with the journal's topic, homework, files and attendance mark.

    A lesson the teacher recorded as taught by a colleague shows that colleague, marked as a
    substitution, when the timetable's changes did not already say so.
    """
    lesson = row.lesson
    entry = replace(
        base,
        lesson_id=lesson.id,
        topic=lesson.topic or None,
        homework=lesson.homework or None,
        homework_due_on=lesson.homework_due_on,
        files=tuple(_file(f) for f in files),
        attendance=(
            DiaryAttendance(absence.code, absence.justification) if absence is not None else None
        ),
    )
    if (
        lesson.is_substitution
        and row.teacher_name
        and base.change is None
        and (row.teacher_name,) != base.teachers
    ):
        entry = replace(
            entry,
            change="substituted",
            teachers=(row.teacher_name,),
            original_teachers=base.teachers,
        )
    return entry


def _file(info: FileInfo) -> DiaryFile:
    return DiaryFile(info.id, info.filename, info.mime_type)


def _mark(row: MarkRow) -> DiaryMark:
    return DiaryMark(
        mark_id=row.mark_id,
        subject=row.subject_name,
        title=row.assessment_title,
        kind=row.kind,
        scale=row.scale,
        status=row.status,
        value=row.value,
    )


def _homework_item(
    row: DiaryLessonRow,
    files: Mapping[int, tuple[FileInfo, ...]],
    planned: Mapping[date, Sequence[DiaryLesson]],
) -> HomeworkItem:
    lesson = row.lesson
    due = lesson.homework_due_on or lesson.on_date
    on_due = [x for x in planned.get(due, ()) if x.group_id == lesson.group_id and x.held]
    return HomeworkItem(
        due_on=due,
        period=min((x.period for x in on_due), default=None),
        subject=row.subject_name or row.group_name,
        group_id=lesson.group_id,
        given_on=lesson.on_date,
        lesson_id=lesson.id,
        text=lesson.homework or None,
        files=tuple(_file(f) for f in files.get(lesson.id, ())),
    )
