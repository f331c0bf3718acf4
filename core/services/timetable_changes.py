"""Daily timetable changes (rules 3.2-3.3): drafts, the free-teacher suggestion, publishing.

Managers of a school (deputy director = superuser, director) enter changes for a date: a
substitution, a cancellation, a room change, a move to another period or date, an extra lesson.
Changes are drafts until published; a later change of the same lesson and date replaces its
draft, and publishing it supersedes the lesson's published change. Publishing turns every draft
of that date into a published change, writes a School news post (``kind = "timetable"``) listing
the day's changes and records a ``timetable.published`` event (payload: ``school_id``, ``on``
(ISO date), ``change_ids``, ``news_post_id``) in the same transaction. ``personal_changes`` is a
system read for the scheduler: who is affected by the published changes of a date and which
changes are theirs.

A lesson is one (term, weekday, period, week, group) of the semester timetable; its stored rows
(one per teacher) are merged and the lowest row id names the lesson (``slot_id``). "The changes of
a date" are the changes dated that day and the lessons moved into it from another day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, manages_school
from core.domain.calendar import SchoolCalendar
from core.domain.collation import latvian_key
from core.domain.events import TimetablePublished
from core.domain.records import AuditRecord, PersonRecord, SchoolRecord
from core.domain.timetable import TermRef
from core.errors import InvalidInput, NotFound
from core.i18n import Catalogs
from core.ports import ChangeRecord, GroupDetails, SlotRow, UnitOfWork
from core.services.guards import managed_school

ChangeKind = Literal["substitution", "cancel", "room", "move", "extra"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("substitution", "cancel", "room", "move", "extra")
ChangeStatus = Literal["draft", "published"]
Affected = Literal["pupil", "guardian", "teacher"]


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One change of one date, with the names a message or screen needs.

    ``teacher_*`` is who teaches after the change (the substitute; the extra lesson's teacher;
    unchanged otherwise); ``original_teacher_*`` who the timetable says. ``room`` is the room
    after the change, ``original_room`` the timetable's. A move takes the lesson from
    (``on``, ``period``) to (``new_date``, ``new_period``).
    """

    id: int
    school_id: int
    on: date
    kind: ChangeKind
    status: ChangeStatus
    slot_id: int | None
    group_id: int
    group_name: str
    subject_name: str | None
    class_names: tuple[str, ...]
    period: int
    teacher_ids: tuple[int, ...]
    teacher_names: tuple[str, ...]
    original_teacher_ids: tuple[int, ...]
    original_teacher_names: tuple[str, ...]
    room: str | None
    original_room: str | None
    new_date: date | None
    new_period: int | None
    note: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class PlannedLesson:
    """A lesson of a date from the semester timetable (or an extra one) and its change, if any."""

    slot_id: int | None
    on: date
    period: int
    group_id: int
    group_name: str
    subject_name: str | None
    class_names: tuple[str, ...]
    teacher_ids: tuple[int, ...]
    teacher_names: tuple[str, ...]
    room: str | None
    change: ChangeView | None


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A school's date as the change editor shows it."""

    school_id: int
    on: date
    is_school_day: bool
    day_off: str | None
    lessons: tuple[PlannedLesson, ...]  # by period, then class name
    drafts: int
    published: int


@dataclass(frozen=True, slots=True)
class TeacherOption:
    """A teacher the bot may suggest as a substitute (free in that period on that date)."""

    person_id: int
    name: str
    teaches_subject: bool  # teaches the lesson's subject somewhere: shown first


@dataclass(frozen=True, slots=True)
class PersonChanges:
    """The published changes of a date that concern one person.

    ``pupil_id`` is the child for a guardian (one ``PersonChanges`` per guardian and child), the
    pupil themself for a pupil, None for a teacher.
    """

    person_id: int
    role: Affected
    pupil_id: int | None
    pupil_name: str | None
    changes: tuple[ChangeView, ...]


MAX_PERIOD = 15
MAX_ROOM = 32
MAX_NOTE = 500
NEWS_KIND = "timetable"
WEEKDAY_KEYS = (
    "timetable.change.weekday.mon",
    "timetable.change.weekday.tue",
    "timetable.change.weekday.wed",
    "timetable.change.weekday.thu",
    "timetable.change.weekday.fri",
    "timetable.change.weekday.sat",
    "timetable.change.weekday.sun",
)
Translate = Callable[..., str]
_Key = tuple[date, int | None, int, int]  # (date, lesson) or (date, None, group, period): extra


# ------------------------------------------------------------------------------- the service


async def day_plan(uow: UnitOfWork, viewer: Viewer, *, school_id: int, on: date) -> DayPlan:
    """Every lesson of the date with its draft or published change (managers only)."""
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        day = await _day(uow, school, on)
        state = await _state(uow, day, drafts=True)
        rows = await uow.changes.changes(school.id, on, on, moved_in=False)
        await uow.commit()
        return DayPlan(
            school_id=school.id,
            on=on,
            is_school_day=day.school_day,
            day_off=day.day_off,
            lessons=tuple(state.planned(lambda _: True)),
            drafts=sum(1 for c in rows if c.status == "draft"),
            published=sum(1 for c in rows if c.status == "published"),
        )


async def teacher_lessons(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, on: date, teacher_id: int
) -> tuple[PlannedLesson, ...]:
    """A teacher's lessons of the date (to mark them absent and substitute each lesson).

    The timetable's lessons of the teacher (changed or not) and the lessons a draft or
    published change gives them (a substitution, an extra lesson).
    """
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        if not await uow.people.staff_roles(school.id, teacher_id):
            raise NotFound("person.not_found")
        day = await _day(uow, school, on)
        state = await _state(uow, day, drafts=True)
        await uow.commit()
        return tuple(
            state.planned(
                lambda p: (
                    teacher_id in p.teacher_ids
                    or (p.change is not None and teacher_id in p.change.teacher_ids)
                )
            )
        )


async def free_teachers(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, on: date, period: int, group_id: int
) -> tuple[TeacherOption, ...]:
    """Teachers of the school with no lesson in that period on that date, changes included.

    Never a teacher who has a lesson then (timetable, a substitution or extra lesson assigned
    to them, a lesson moved into that period); a teacher whose own lesson then is cancelled or
    moved away is free. Ordered: subject teachers first, then by Latvian alphabetical order.
    """
    _check_period(period)
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        day = await _day(uow, school, on)
        _check_school_day(day)
        state = await _state(uow, day, drafts=True)
        group = state.groups.get(group_id) or await _group(uow, school.id, group_id)
        options = await _free(uow, state, group, period, skip=None)
        await uow.commit()
        return options


async def add_change(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    on: date,
    kind: ChangeKind,
    slot_id: int | None = None,
    group_id: int | None = None,
    period: int | None = None,
    teacher_id: int | None = None,
    room: str | None = None,
    new_date: date | None = None,
    new_period: int | None = None,
    note: str | None = None,
) -> ChangeView:
    """Record a draft change (replacing a draft of the same lesson and date).

    ``slot_id`` names the timetable lesson for every kind but ``extra``, which names
    ``group_id`` and ``period`` instead. ``substitution`` needs ``teacher_id``; ``room`` needs
    ``room``; ``move`` needs ``new_date`` and/or ``new_period``; ``extra`` may have both.
    A substitution, a move and an extra lesson may name a room too.

    Raises:
        NotFound: unknown school, slot, group or teacher, or the viewer does not manage it.
        InvalidInput: ``timetable.change.*`` keys for a bad combination (no lesson on that
        date, a busy substitute, a past date, a day off).
    """
    if kind not in CHANGE_KINDS:
        raise InvalidInput("timetable.change.kind_unknown")
    room = _room(room, required=kind == "room")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput("timetable.change.note_too_long", max=MAX_NOTE)
    for number in (period, new_period):
        if number is not None:
            _check_period(number)
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        day = await _day(uow, school, on)
        _check_not_past(day, on)
        _check_school_day(day)
        state = await _state(uow, day, drafts=True)
        request = _Request(kind, slot_id, group_id, period, teacher_id, room, new_date, new_period)
        if kind == "extra":
            draft = await _extra(uow, state, request)
        else:
            draft = await _lesson_change(uow, state, request)
        replaced = [c.id for c in state.changes if c.status == "draft" and _key(c) == draft.key]
        await uow.changes.delete_changes(replaced)
        change_id = await uow.changes.add_change(
            school_id=school.id,
            on=on,
            kind=kind,
            slot_id=draft.slot_id,
            group_id=draft.group_id,
            period=draft.period,
            teacher_id=draft.teacher_id,
            room=draft.room,
            new_date=draft.new_date,
            new_period=draft.new_period,
            note=note,
            created_by=viewer.person_id,
            now=uow.clock.now(),
        )
        stored = await uow.changes.change(change_id)
        if stored is None:  # pragma: no cover - the row was just written in this transaction
            raise NotFound("timetable.change.not_found")
        [view] = await change_views(uow, [stored])
        uow.audit(
            viewer,
            AuditRecord(
                action="timetable.change.add",
                entity="timetable_change",
                entity_id=change_id,
                school_id=school.id,
                after=_audit_fields(stored),
            ),
        )
        await uow.commit()
        return view


async def remove_change(uow: UnitOfWork, viewer: Viewer, *, change_id: int) -> None:
    """Delete a draft change (a published one is corrected by a new draft and publishing).

    Raises:
        NotFound: ``timetable.change.not_found`` (also when the viewer does not manage it).
        InvalidInput: ``timetable.change.not_draft`` for a published change.
    """
    async with uow:
        change = await uow.changes.change(change_id)
        if change is None or not manages_school(viewer, change.school_id):
            raise NotFound("timetable.change.not_found")
        if change.status != "draft":
            raise InvalidInput("timetable.change.not_draft")
        await uow.changes.delete_changes([change.id])
        uow.audit(
            viewer,
            AuditRecord(
                action="timetable.change.remove",
                entity="timetable_change",
                entity_id=change.id,
                school_id=change.school_id,
                before=_audit_fields(change),
            ),
        )
        await uow.commit()


async def publish_changes(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, on: date
) -> tuple[ChangeView, ...]:
    """Publish the date's drafts, post the bulletin to School news, record the event.

    A published change of the same lesson is replaced by the new one. The news post, in the
    school's language, lists every published change of the date, by class and period.

    Raises:
        InvalidInput: ``timetable.change.nothing_to_publish`` when there are no drafts;
        ``timetable.change.past`` for a date before the school's today.
    """
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        day = await _day(uow, school, on)
        rows = await uow.changes.changes(school.id, on, on, moved_in=False)
        drafts = [c for c in rows if c.status == "draft"]
        if not drafts:
            raise InvalidInput("timetable.change.nothing_to_publish")
        _check_not_past(day, on)
        keys = {_key(c) for c in drafts}
        superseded = [c.id for c in rows if c.status == "published" and _key(c) in keys]
        await uow.changes.delete_changes(superseded)
        now = uow.clock.now()
        await uow.changes.publish([c.id for c in drafts], now)
        everything = await change_views(
            uow, await uow.changes.changes(school.id, on, on, published_only=True)
        )
        t = _translator(school.locale)
        post_id = await uow.news.add(
            school_id=school.id,
            author_id=viewer.person_id,
            kind=NEWS_KIND,
            title=bulletin_title(on, t),
            body="\n".join(change_line(view, t) for view in everything),
            file_id=None,
            now=now,
            published_at=now,
        )
        published_ids = {c.id for c in drafts}
        published = tuple(view for view in everything if view.id in published_ids)
        ids = tuple(sorted(published_ids))
        uow.audit(
            viewer,
            AuditRecord(
                action="timetable.publish",
                entity="news_post",
                entity_id=post_id,
                school_id=school.id,
                after={"on": on.isoformat(), "change_ids": list(ids), "superseded": superseded},
            ),
        )
        uow.record(
            TimetablePublished(school.id, on, ids, post_id),
            school_id=school.id,
            actor_id=viewer.person_id,
        )
        await uow.commit()
        return published


async def published_changes(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, on: date
) -> tuple[ChangeView, ...]:
    """The published changes of a date (anyone of the school may read them: it is news)."""
    async with uow:
        school = await uow.directory.school(school_id)
        if school is None or not await _of_school(uow, viewer, school.id):
            raise NotFound("school.not_found")
        rows = await uow.changes.changes(school.id, on, on, published_only=True)
        views = await change_views(uow, rows)
        await uow.commit()
        return tuple(views)


async def personal_changes(
    uow: UnitOfWork,
    *,
    school_id: int,
    on: date,
    change_ids: Sequence[int] | None = None,
) -> tuple[PersonChanges, ...]:
    """System read for the scheduler: every affected person and their published changes.

    Affected: the pupils of the lesson's group on that date, each pupil's guardians (one entry
    per guardian and child), the timetable teachers and the substitute or new teacher. Only
    active people. ``change_ids`` restricts to those changes (a publication after the push).
    Sorted by person id, then role (pupil, guardian, teacher), then child.
    """
    async with uow:
        school = await uow.directory.school(school_id)
        if school is None:
            raise NotFound("school.not_found")
        rows = await uow.changes.changes(school.id, on, on, published_only=True)
        if change_ids is not None:
            wanted = set(change_ids)
            rows = [c for c in rows if c.id in wanted]
        views = await change_views(uow, rows)
        groups = {
            g.id: g for g in await uow.changes.group_details(group_ids={c.group_id for c in rows})
        }
        pupils = await _group_pupils(uow, groups.values(), on)
        everyone = set().union(*pupils.values()) if pupils else set()
        guardians = await uow.roster.guardians_of(everyone)
        teacher_ids = {i for v in views for i in (*v.teacher_ids, *v.original_teacher_ids)}
        people = {p.id: p for p in await uow.changes.people(everyone | teacher_ids)}
        await uow.commit()
    found: dict[tuple[int, int, int | None], list[ChangeView]] = defaultdict(list)
    children: dict[int, list[int]] = defaultdict(list)
    for link in guardians:
        children[link.pupil_id].append(link.guardian.id)
    for view in views:
        for pupil_id in sorted(pupils.get(view.group_id, ())):
            found[(pupil_id, 0, pupil_id)].append(view)
            for guardian_id in children.get(pupil_id, ()):
                found[(guardian_id, 1, pupil_id)].append(view)
        for teacher_id in sorted(set(view.teacher_ids) | set(view.original_teacher_ids)):
            person = people.get(teacher_id)
            if person is not None and person.is_active:
                found[(teacher_id, 2, None)].append(view)
    roles: tuple[Affected, ...] = ("pupil", "guardian", "teacher")
    result = []
    for (person_id, role, child_id), changes in sorted(
        found.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0)
    ):
        child = people.get(child_id) if child_id is not None else None
        result.append(
            PersonChanges(
                person_id=person_id,
                role=roles[role],
                pupil_id=child_id,
                pupil_name=child.full_name if child else None,
                changes=tuple(dict.fromkeys(changes)),
            )
        )
    return tuple(result)


# ---------------------------------------------------------------------------- rendering


def change_line(change: ChangeView, t: Translate) -> str:
    """One line naming the lesson and what changes, in ``t``'s language (news, bot, messages).

    E.g. "5.a, 3. stunda: Matemātika — aizvietošana: vada Jānis Ozols (pēc saraksta Anna
    Bērziņa)". ``t`` is a ``(key, **params) -> str`` translator.
    """
    lesson = t(
        "timetable.change.line.lesson",
        classes=", ".join(change.class_names) or change.group_name,
        period=change.period,
        subject=_subject(change),
    )
    what = _what(change, t)
    moved_room = change.kind in ("substitution", "move", "extra")
    if moved_room and change.room and change.room != change.original_room:
        what += t("timetable.change.line.in_room", room=change.room)
    if change.note:
        what += t("timetable.change.line.note", note=change.note)
    return f"{lesson} — {what}"


def bulletin_title(on: date, t: Translate) -> str:
    """The School news title of a date's changes: "Stundu izmaiņas 30.11.2026 (pirmdiena)"."""
    return t(
        "timetable.change.title",
        date=_dotted(on),
        weekday=t(WEEKDAY_KEYS[on.weekday()]),
    )


def _what(change: ChangeView, t: Translate) -> str:
    teachers = ", ".join(change.teacher_names) or "—"
    if change.kind == "substitution":
        original = ", ".join(change.original_teacher_names)
        key = "timetable.change.line.substitution" if original else "timetable.change.line.plain"
        return t(key, teacher=teachers, original=original)
    if change.kind == "room":
        return t(
            "timetable.change.line.room",
            room=change.room or "—",
            original=change.original_room or "—",
        )
    if change.kind == "move":
        target = change.new_date or change.on
        period = change.new_period if change.new_period is not None else change.period
        if target == change.on:
            return t("timetable.change.line.move_period", period=period)
        return t("timetable.change.line.move_date", date=_dotted(target), period=period)
    key = (
        "timetable.change.line.cancel"
        if change.kind == "cancel"
        else "timetable.change.line.extra"
    )
    return t(key, teacher=teachers)


def _dotted(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _subject(change: ChangeView) -> str:
    """The subject, or the group's own name without the class prefix (a part group)."""
    prefix = ", ".join(change.class_names) + " "
    name = change.group_name
    if change.subject_name and name in (change.subject_name, prefix + change.subject_name):
        return change.subject_name
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else name


@cache
def _catalogs() -> Catalogs:
    return Catalogs.load()


def _translator(lang: str) -> Translate:
    catalogs = _catalogs()

    def t(key: str, /, **params: object) -> str:
        return catalogs.text(key, lang, **params)

    return t


# -------------------------------------------------------------------------- the day's model


@dataclass(frozen=True, slots=True)
class _Day:
    """A date of a school with its calendar facts."""

    school: SchoolRecord
    on: date
    today: date
    year_id: int | None
    calendar: SchoolCalendar | None
    term: TermRef | None

    @property
    def school_day(self) -> bool:
        return (
            self.term is not None
            and self.calendar is not None
            and self.calendar.is_school_day(self.on)
        )

    @property
    def day_off(self) -> str | None:
        off = self.calendar.day_off_for(self.on) if self.calendar else None
        return off.name if off else None


@dataclass(frozen=True, slots=True)
class Lesson:
    """A lesson of a date from the semester timetable (its rows merged, one per teacher)."""

    key: int  # the lowest row id: what changes name as ``slot_id``
    slot_ids: tuple[int, ...]
    on: date
    period: int
    week: int | None  # None every week, 0 = A, 1 = B
    group: GroupDetails
    teacher_ids: tuple[int, ...]
    teacher_names: tuple[str, ...]
    room: str | None


@dataclass(frozen=True, slots=True)
class _Busy:
    """Who and which group are taken in a period after the changes; ``origin`` names the lesson."""

    period: int
    group: GroupDetails
    teacher_ids: frozenset[int]
    origin: _Key


@dataclass(frozen=True, slots=True)
class _State:
    """A date's lessons and changes (drafts over published ones when ``drafts``)."""

    day: _Day
    lessons: tuple[Lesson, ...]
    changes: tuple[ChangeRecord, ...]  # every row dated that day or moved into it
    effective: Mapping[_Key, ChangeRecord]
    views: Mapping[int, ChangeView]
    groups: Mapping[int, GroupDetails]
    moved_in: Mapping[int, Lesson]  # change id → the lesson it moves into this date
    busy: tuple[_Busy, ...]

    def planned(self, keep: Callable[[PlannedLesson], bool]) -> list[PlannedLesson]:
        """The date's lessons (with their change), extra lessons and lessons moved in."""
        on = self.day.on
        planned = []
        for lesson in self.lessons:
            change = self.effective.get((on, lesson.key, 0, 0))
            planned.append(_planned(lesson, on, lesson.period, self.view(change)))
        for change in self.effective.values():
            view = self.views.get(change.id)
            if view is None:  # a change of another date, not moving anything here
                continue
            if change.kind == "extra" and change.on == on:
                group = self.groups[change.group_id]
                planned.append(
                    PlannedLesson(
                        slot_id=None,
                        on=on,
                        period=change.period,
                        group_id=group.id,
                        group_name=group.name,
                        subject_name=group.subject_name,
                        class_names=group.class_names,
                        teacher_ids=view.teacher_ids,
                        teacher_names=view.teacher_names,
                        room=view.room,
                        change=view,
                    )
                )
            elif change.id in self.moved_in:
                period = change.new_period if change.new_period is not None else change.period
                planned.append(_planned(self.moved_in[change.id], on, period, view))
        planned = [p for p in planned if keep(p)]
        return sorted(planned, key=_planned_order)

    def view(self, change: ChangeRecord | None) -> ChangeView | None:
        """The view of a change, if any."""
        return None if change is None else self.views[change.id]


def _planned(lesson: Lesson, on: date, period: int, view: ChangeView | None) -> PlannedLesson:
    return PlannedLesson(
        slot_id=lesson.key,
        on=on,
        period=period,
        group_id=lesson.group.id,
        group_name=lesson.group.name,
        subject_name=lesson.group.subject_name,
        class_names=lesson.group.class_names,
        teacher_ids=lesson.teacher_ids,
        teacher_names=lesson.teacher_names,
        room=lesson.room,
        change=view,
    )


def _planned_order(p: PlannedLesson) -> tuple[object, ...]:
    return (p.period, _class_order(p.class_names, p.group_name), p.slot_id or 0)


def _class_order(class_names: Sequence[str], group_name: str) -> tuple[object, ...]:
    """Classes in school order: "2.a" before "10.a", then Latvian alphabetical."""
    label = ", ".join(class_names) or group_name
    grade, _, rest = label.partition(".")
    return (int(grade) if grade.isdigit() else 99, latvian_key(rest), latvian_key(group_name))


def _key(change: ChangeRecord) -> _Key:
    if change.slot_id is not None:
        return (change.on, change.slot_id, 0, 0)
    return (change.on, None, change.group_id, change.period)


def resolve(changes: Iterable[ChangeRecord], *, drafts: bool) -> dict[_Key, ChangeRecord]:
    """The change in force per lesson and date: its draft (with ``drafts``), else published."""
    result: dict[_Key, ChangeRecord] = {}
    for change in sorted(changes, key=lambda c: (c.status == "draft", c.id)):
        if change.status == "draft" and not drafts:
            continue
        result[_key(change)] = change
    return result


def merge_lessons(
    rows: Iterable[SlotRow], groups: Mapping[int, GroupDetails], on: date
) -> list[Lesson]:
    """Rows of one (term, weekday, period, week, group) as one lesson, by period and class."""
    by_lesson: dict[tuple[int, int, int, int | None, int], list[SlotRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        by_lesson[(row.term_id, row.weekday, row.period, row.week, row.group_id)].append(row)
    lessons = []
    for (_, _, period, week, group_id), members in by_lesson.items():
        group = groups.get(group_id)
        if group is None:
            continue
        teachers = [r for r in members if r.teacher_id is not None]
        rooms = list(dict.fromkeys(r.room for r in members if r.room))
        lessons.append(
            Lesson(
                key=members[0].id,
                slot_ids=tuple(r.id for r in members),
                on=on,
                period=period,
                week=week,
                group=group,
                teacher_ids=tuple(dict.fromkeys(r.teacher_id for r in teachers if r.teacher_id)),
                teacher_names=tuple(dict.fromkeys(r.teacher_name or "" for r in teachers)),
                room=", ".join(rooms) or None,
            )
        )
    return sorted(
        lessons,
        key=lambda lesson: (
            lesson.period,
            _class_order(lesson.group.class_names, lesson.group.name),
            lesson.key,
        ),
    )


def lessons_on(
    rows: Iterable[SlotRow],
    groups: Mapping[int, GroupDetails],
    calendar: SchoolCalendar,
    on: date,
) -> list[Lesson]:
    """The lessons the rows give a school day: its weekday, its A/B week, its grades."""
    week = calendar.week_in_cycle(on)
    return [
        lesson
        for lesson in merge_lessons(
            (r for r in rows if r.weekday == on.weekday() and r.week in (None, week)),
            groups,
            on,
        )
        if calendar.day_off_for(on, lesson.group.grade) is None
    ]


async def change_views(uow: UnitOfWork, changes: Sequence[ChangeRecord]) -> list[ChangeView]:
    """Changes with their names filled in, by class and then period (inside a unit of work)."""
    if not changes:
        return []
    slot_ids = {c.slot_id for c in changes if c.slot_id is not None}
    rows = await uow.changes.slot_rows(lessons_of=slot_ids) if slot_ids else []
    groups = {
        g.id: g
        for g in await uow.changes.group_details(
            group_ids={c.group_id for c in changes} | {r.group_id for r in rows}
        )
    }
    lesson_of: dict[int, Lesson] = {}
    for lesson in merge_lessons(rows, groups, changes[0].on):
        for slot_id in lesson.slot_ids:
            lesson_of[slot_id] = lesson
    wanted = {c.teacher_id for c in changes if c.teacher_id is not None}
    wanted |= {i for c in changes if c.kind == "extra" for i in groups[c.group_id].teacher_ids}
    names = {p.id: p.full_name for p in await uow.changes.people(wanted)}
    views = []
    for change in changes:
        group = groups[change.group_id]
        origin = lesson_of.get(change.slot_id) if change.slot_id is not None else None
        original_ids = origin.teacher_ids if origin else ()
        original_names = origin.teacher_names if origin else ()
        original_room = origin.room if origin else None
        if change.kind == "substitution" and change.teacher_id is not None:
            teacher_ids: tuple[int, ...] = (change.teacher_id,)
        elif change.kind == "extra":
            teacher_ids = (change.teacher_id,) if change.teacher_id else group.teacher_ids
        else:
            teacher_ids = original_ids
        if teacher_ids == original_ids:
            teacher_names = original_names
        else:
            teacher_names = tuple(names.get(i, "") for i in teacher_ids)
        views.append(
            (
                (
                    _class_order(group.class_names, group.name),
                    change.on,
                    change.period,
                    change.id,
                ),
                ChangeView(
                    id=change.id,
                    school_id=change.school_id,
                    on=change.on,
                    kind=_kind(change.kind),
                    status="published" if change.status == "published" else "draft",
                    slot_id=change.slot_id,
                    group_id=group.id,
                    group_name=group.name,
                    subject_name=group.subject_name,
                    class_names=group.class_names,
                    period=change.period,
                    teacher_ids=teacher_ids,
                    teacher_names=teacher_names,
                    original_teacher_ids=original_ids,
                    original_teacher_names=original_names,
                    room=change.room or original_room,
                    original_room=original_room,
                    new_date=change.new_date,
                    new_period=change.new_period,
                    note=change.note,
                    published_at=change.published_at,
                ),
            )
        )
    return [view for _, view in sorted(views, key=lambda item: item[0])]


def _kind(value: str) -> ChangeKind:
    for kind in CHANGE_KINDS:
        if kind == value:
            return kind
    raise ValueError(value)  # pragma: no cover - the table only holds the five kinds


async def _day(uow: UnitOfWork, school: SchoolRecord, on: date) -> _Day:
    today = uow.clock.now().astimezone(ZoneInfo(school.time_zone)).date()
    year = await uow.directory.school_year_on(school.id, on)
    if year is None or not year.starts_on <= on <= year.ends_on:
        return _Day(school, on, today, None, None, None)
    calendar = await uow.timetable.calendar(year.id)
    term = next(
        (r for r in await uow.timetable.terms(year.id) if r.starts_on <= on <= r.ends_on), None
    )
    return _Day(school, on, today, year.id, calendar, term)


async def _state(uow: UnitOfWork, day: _Day, *, drafts: bool) -> _State:
    """Load a date: its lessons, the changes in force, who is busy when."""
    school_id, on = day.school.id, day.on
    groups: dict[int, GroupDetails] = {}
    lessons: list[Lesson] = []
    if day.year_id is not None:
        groups = {g.id: g for g in await uow.changes.group_details(school_year_id=day.year_id)}
    if day.school_day and day.term is not None and day.calendar is not None:
        rows = await uow.changes.slot_rows(term_id=day.term.id, weekdays=[on.weekday()])
        lessons = lessons_on(rows, groups, day.calendar, on)
    changes = list(await uow.changes.changes(school_id, on, on, moved_in=True))
    seen = {c.id for c in changes}
    for origin in sorted({c.on for c in changes if c.on != on}):
        for change in await uow.changes.changes(school_id, origin, origin, moved_in=False):
            if change.id not in seen:
                seen.add(change.id)
                changes.append(change)
    effective = resolve(changes, drafts=drafts)
    in_force = [
        c
        for c in effective.values()
        if c.on == on or (c.kind == "move" and (c.new_date or c.on) == on)
    ]
    views = {v.id: v for v in await change_views(uow, in_force)}
    missing = {c.group_id for c in in_force} - set(groups)
    if missing:
        groups |= {g.id: g for g in await uow.changes.group_details(group_ids=missing)}
    incoming = [c for c in in_force if c.on != on]
    moved_in: dict[int, Lesson] = {}
    if incoming:
        rows = await uow.changes.slot_rows(lessons_of={c.slot_id for c in incoming if c.slot_id})
        by_slot = {
            i: lesson for lesson in merge_lessons(rows, groups, on) for i in lesson.slot_ids
        }
        moved_in = {c.id: by_slot[c.slot_id] for c in incoming if c.slot_id in by_slot}
    busy = _busy(
        on=on, lessons=lessons, effective=effective, moved_in=moved_in, groups=groups, views=views
    )
    return _State(
        day=day,
        lessons=tuple(lessons),
        changes=tuple(changes),
        effective=effective,
        views=views,
        groups=groups,
        moved_in=moved_in,
        busy=tuple(busy),
    )


def _busy(
    *,
    on: date,
    lessons: Sequence[Lesson],
    effective: Mapping[_Key, ChangeRecord],
    moved_in: Mapping[int, Lesson],
    groups: Mapping[int, GroupDetails],
    views: Mapping[int, ChangeView],
) -> list[_Busy]:
    busy = []
    for lesson in lessons:
        origin: _Key = (on, lesson.key, 0, 0)
        change = effective.get(origin)
        teachers = frozenset(lesson.teacher_ids)
        if change is None or change.kind == "room":
            busy.append(_Busy(lesson.period, lesson.group, teachers, origin))
        elif change.kind == "substitution":
            busy.append(
                _Busy(lesson.period, lesson.group, frozenset(views[change.id].teacher_ids), origin)
            )
        elif change.kind == "move" and (change.new_date or on) == on:
            period = change.new_period if change.new_period is not None else lesson.period
            busy.append(_Busy(period, lesson.group, teachers, origin))
    for change in effective.values():
        if change.kind == "extra" and change.on == on:
            busy.append(
                _Busy(
                    change.period,
                    groups[change.group_id],
                    frozenset(views[change.id].teacher_ids),
                    _key(change),
                )
            )
        elif change.id in moved_in:
            lesson = moved_in[change.id]
            period = change.new_period if change.new_period is not None else change.period
            busy.append(_Busy(period, lesson.group, frozenset(lesson.teacher_ids), _key(change)))
    return busy


def _clash(a: GroupDetails, b: GroupDetails) -> bool:
    """Whether two groups share pupils: the same group, or a whole class and a group of it."""
    if a.id == b.id:
        return True
    return bool(set(a.class_ids) & set(b.class_ids)) and "class" in (a.kind, b.kind)


def _taken(state: _State, period: int, skip: _Key | None) -> list[_Busy]:
    return [b for b in state.busy if b.period == period and b.origin != skip]


async def _free(
    uow: UnitOfWork, state: _State, group: GroupDetails, period: int, skip: _Key | None
) -> tuple[TeacherOption, ...]:
    if state.day.year_id is None:
        return ()
    taken = _taken(state, period, skip)
    busy = {teacher for b in taken for teacher in b.teacher_ids}
    own = set(group.teacher_ids)
    for lesson in state.lessons:
        if lesson.group.id == group.id and lesson.period == period:
            own |= set(lesson.teacher_ids)
    subject_teachers = {
        teacher
        for g in state.groups.values()
        if group.subject_id is not None and g.subject_id == group.subject_id
        for teacher in g.teacher_ids
    }
    staff = await uow.changes.teaching_staff(state.day.school.id, state.day.year_id)
    options = [
        TeacherOption(p.id, p.full_name, p.id in subject_teachers)
        for p in staff
        if p.id not in busy and p.id not in own
    ]
    by_id = {p.id: p for p in staff}
    return tuple(
        sorted(
            options,
            key=lambda o: (
                not o.teaches_subject,
                latvian_key(by_id[o.person_id].family_name),
                latvian_key(by_id[o.person_id].given_name),
                o.person_id,
            ),
        )
    )


# ---------------------------------------------------------------------------- validation


@dataclass(frozen=True, slots=True)
class _Draft:
    """What ``add_change`` will store."""

    key: _Key
    slot_id: int | None
    group_id: int
    period: int
    teacher_id: int | None
    room: str | None
    new_date: date | None
    new_period: int | None


@dataclass(frozen=True, slots=True)
class _Request:
    """What ``add_change`` was asked for (texts already cleaned)."""

    kind: ChangeKind
    slot_id: int | None
    group_id: int | None
    period: int | None
    teacher_id: int | None
    room: str | None
    new_date: date | None
    new_period: int | None


async def _lesson_change(uow: UnitOfWork, state: _State, request: _Request) -> _Draft:
    slot_id = request.slot_id
    lesson = next(
        (x for x in state.lessons if slot_id is not None and slot_id in x.slot_ids), None
    )
    if lesson is None:
        if slot_id is None or not await uow.changes.slot_rows(lessons_of=[slot_id]):
            raise NotFound("timetable.change.lesson_not_found")
        raise InvalidInput("timetable.change.no_lesson")
    draft = _Draft(
        key=(state.day.on, lesson.key, 0, 0),
        slot_id=lesson.key,
        group_id=lesson.group.id,
        period=lesson.period,
        teacher_id=None,
        room=None,
        new_date=None,
        new_period=None,
    )
    if request.kind == "substitution":
        return await _substitution(uow, state, lesson, draft, request)
    if request.kind == "room":
        if request.room == lesson.room:
            raise InvalidInput("timetable.change.room_same")
        return replace(draft, room=request.room)
    if request.kind == "cancel":
        return draft
    return await _move(uow, state, lesson, draft, request)


async def _substitution(
    uow: UnitOfWork, state: _State, lesson: Lesson, draft: _Draft, request: _Request
) -> _Draft:
    teacher_id = request.teacher_id
    if teacher_id is None:
        raise InvalidInput("timetable.change.teacher_required")
    person = await _teacher(uow, state, teacher_id)
    if teacher_id in lesson.teacher_ids:
        raise InvalidInput("timetable.change.same_teacher")
    if any(teacher_id in b.teacher_ids for b in _taken(state, lesson.period, draft.key)):
        raise InvalidInput(
            "timetable.change.teacher_busy", name=person.full_name, period=lesson.period
        )
    return replace(draft, teacher_id=teacher_id, room=request.room)


async def _move(
    uow: UnitOfWork, state: _State, lesson: Lesson, draft: _Draft, request: _Request
) -> _Draft:
    on = state.day.on
    if request.new_date is None and request.new_period is None:
        raise InvalidInput("timetable.change.move_target_required")
    target_date = request.new_date or on
    target_period = request.new_period if request.new_period is not None else lesson.period
    if (target_date, target_period) == (on, lesson.period):
        raise InvalidInput("timetable.change.move_nowhere")
    target = state
    if target_date != on:
        target_day = await _day(uow, state.day.school, target_date)
        _check_not_past(target_day, target_date)
        _check_school_day(target_day)
        target = await _state(uow, target_day, drafts=True)
    await _check_free(
        uow,
        target,
        group=lesson.group,
        teachers=set(lesson.teacher_ids),
        period=target_period,
        skip=draft.key,
    )
    return replace(draft, room=request.room, new_date=target_date, new_period=target_period)


async def _extra(uow: UnitOfWork, state: _State, request: _Request) -> _Draft:
    if request.group_id is None or request.period is None:
        raise InvalidInput("timetable.change.extra_needs_group")
    group = state.groups.get(request.group_id)
    if group is None:
        raise NotFound("group.not_found")
    teachers = set(group.teacher_ids)
    if request.teacher_id is not None:
        await _teacher(uow, state, request.teacher_id)
        teachers = {request.teacher_id}
    key: _Key = (state.day.on, None, group.id, request.period)
    await _check_free(uow, state, group=group, teachers=teachers, period=request.period, skip=key)
    return _Draft(
        key=key,
        slot_id=None,
        group_id=group.id,
        period=request.period,
        teacher_id=request.teacher_id,
        room=request.room,
        new_date=None,
        new_period=None,
    )


async def _check_free(
    uow: UnitOfWork,
    state: _State,
    *,
    group: GroupDetails,
    teachers: set[int],
    period: int,
    skip: _Key,
) -> None:
    """The group (its grade's day, its pupils) and the teachers are free then; else refuse."""
    calendar = state.day.calendar
    if calendar is not None and calendar.day_off_for(state.day.on, group.grade):
        raise InvalidInput("timetable.change.not_school_day")
    taken = _taken(state, period, skip)
    if any(_clash(b.group, group) for b in taken):
        raise InvalidInput("timetable.change.group_busy", period=period)
    clashing = {teacher for b in taken for teacher in b.teacher_ids} & teachers
    if clashing:
        [person, *_] = await uow.changes.people(clashing)
        raise InvalidInput("timetable.change.teacher_busy", name=person.full_name, period=period)


async def _teacher(uow: UnitOfWork, state: _State, teacher_id: int) -> PersonRecord:
    """A teacher of the school (active, teaching); NotFound otherwise."""
    if state.day.year_id is not None:
        for person in await uow.changes.teaching_staff(state.day.school.id, state.day.year_id):
            if person.id == teacher_id:
                return person
    raise NotFound("person.not_found")


async def _group(uow: UnitOfWork, school_id: int, group_id: int) -> GroupDetails:
    found = await uow.changes.group_details(group_ids=[group_id])
    if not found or found[0].school_id != school_id:
        raise NotFound("group.not_found")
    return found[0]


def _room(room: str | None, *, required: bool) -> str | None:
    text = (room or "").strip() or None
    if text is None and required:
        raise InvalidInput("timetable.change.room_empty")
    if text is not None and len(text) > MAX_ROOM:
        raise InvalidInput("timetable.change.room_too_long", max=MAX_ROOM)
    return text


def _check_period(period: int) -> None:
    if not 0 <= period <= MAX_PERIOD:
        raise InvalidInput("timetable.change.period_invalid", max=MAX_PERIOD)


def _check_not_past(day: _Day, on: date) -> None:
    if on < day.today:
        raise InvalidInput("timetable.change.past")


def _check_school_day(day: _Day) -> None:
    if day.term is None:
        raise InvalidInput("timetable.change.outside_term")
    if not day.school_day:
        raise InvalidInput("timetable.change.not_school_day")


def _audit_fields(change: ChangeRecord) -> dict[str, object]:
    """What the audit log keeps of a change (ids and rooms; no names)."""
    return {
        "on": change.on.isoformat(),
        "kind": change.kind,
        "slot_id": change.slot_id,
        "group_id": change.group_id,
        "period": change.period,
        "teacher_id": change.teacher_id,
        "room": change.room,
        "new_date": change.new_date.isoformat() if change.new_date else None,
        "new_period": change.new_period,
    }


# --------------------------------------------------------------------------------- readers


async def _of_school(uow: UnitOfWork, viewer: Viewer, school_id: int) -> bool:
    """Staff, pupils and guardians of the school's pupils (and its managers)."""
    if manages_school(viewer, school_id):
        return True
    if not viewer.active:
        return False
    if school_id in viewer.schools:
        return True
    for child in sorted(viewer.children):
        facts = await uow.directory.pupil_facts(child)
        if facts is not None and school_id in facts.school_ids:
            return True
    return False


async def _group_pupils(
    uow: UnitOfWork, groups: Iterable[GroupDetails], on: date
) -> dict[int, frozenset[int]]:
    """Active pupils of each group on a date.

    The group's pupil list; for a whole-class group also everyone enrolled in the class; for a
    part group without a list yet, the class (the pupil may be in any part until it is made).
    """
    groups = list(groups)
    members = await uow.changes.members([g.id for g in groups], on)
    class_ids = {
        c
        for g in groups
        if g.kind == "class" or (g.kind == "part" and g.id not in members)
        for c in g.class_ids
    }
    enrolled: dict[int, set[int]] = defaultdict(set)
    for pupil in await uow.roster.enrolled(class_ids, on):
        enrolled[pupil.class_id].add(pupil.person.id)
    result = {}
    for group in groups:
        pupils = set(members.get(group.id, ()))
        if group.kind == "class" or (group.kind == "part" and group.id not in members):
            for class_id in group.class_ids:
                pupils |= enrolled.get(class_id, set())
        result[group.id] = frozenset(pupils)
    return result


# ------------------------------------------------------------- what the change editor offers

SCHOOL_DAYS_AHEAD = 5
FALLBACK_PERIODS = tuple(range(1, 9))  # a school without a bell schedule: lessons 1-8


@dataclass(frozen=True, slots=True)
class GroupChoice:
    """A teaching group a lesson may be added for."""

    group_id: int
    name: str
    subject_name: str | None
    class_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClassChoice:
    """A class of the school year with its teaching groups (whole-class groups first)."""

    class_id: int
    name: str
    groups: tuple[GroupChoice, ...]


@dataclass(frozen=True, slots=True)
class EditorChoices:
    """What the change editor offers around a date beyond its plan.

    ``today`` is the school's date; ``school_days`` the next school days after ``on`` (at most
    ``SCHOOL_DAYS_AHEAD``: where the editor opens, where a lesson may move); ``periods`` the
    lesson numbers of the default bell schedule; ``classes`` the classes of the date's school
    year, in school order, with their groups.
    """

    school_id: int
    school_name: str
    on: date
    today: date
    school_days: tuple[date, ...]
    periods: tuple[int, ...]
    classes: tuple[ClassChoice, ...]


async def editor_choices(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int, on: date | None = None
) -> EditorChoices:
    """The school's today, the school days after ``on`` (default today), periods, classes.

    Raises:
        NotFound: ``school.not_found`` unless the viewer manages the school.
    """
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        today = uow.clock.now().astimezone(ZoneInfo(school.time_zone)).date()
        day = await _day(uow, school, on or today)
        school_days: tuple[date, ...] = ()
        if day.calendar is not None:
            after = date.fromordinal(day.on.toordinal() + 1)
            ahead = day.calendar.school_days(after, day.calendar.ends_on)
            school_days = tuple(d for d, _ in zip(ahead, range(SCHOOL_DAYS_AHEAD), strict=False))
        bells = await uow.timetable.default_bells(school.id)
        periods = tuple(sorted(p.number for p in bells.periods)) if bells else FALLBACK_PERIODS
        classes: list[ClassChoice] = []
        if day.year_id is not None:
            groups = await uow.changes.group_details(school_year_id=day.year_id)
            for klass in sorted(
                (await uow.people.classes(day.year_id)).values(),
                key=lambda c: (c.grade, latvian_key(c.name)),
            ):
                own = sorted(
                    (g for g in groups if klass.id in g.class_ids),
                    key=lambda g: (g.kind != "class", latvian_key(g.name)),
                )
                classes.append(
                    ClassChoice(
                        klass.id,
                        klass.name,
                        tuple(
                            GroupChoice(g.id, g.name, g.subject_name, g.class_names) for g in own
                        ),
                    )
                )
        await uow.commit()
        return EditorChoices(
            school_id=school.id,
            school_name=school.name,
            on=day.on,
            today=today,
            school_days=school_days,
            periods=periods,
            classes=tuple(classes),
        )
