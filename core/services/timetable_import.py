"""Semester timetable import (rule 3.2): an aSc XML export or a CSV/XLSX file into a term.

Preview first, then apply, all or nothing. Names are matched, never aSc ids (domain.md §8.1):
classes by name, teachers by records-office key, short name or full name, subjects by short name
or name. Anything unmatched is listed in the preview and blocks applying; only subjects may be
created, and only when asked (``create_subjects``). Applying creates the missing teaching groups
(a whole class, a part of a class, a combined cross-class group), adds missing group teachers and
whole-class members, and replaces the term's weekly slots; re-importing the same timetable (even
an export with other aSc ids) changes nothing. Never erases groups, teachers or members.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Literal
from zoneinfo import ZoneInfo

from core.domain.access import Viewer
from core.domain.records import AuditRecord, ClassRecord
from core.domain.timetable import GroupShape, SlotData, StaffRef, SubjectRef, TermRef
from core.errors import ImportProblem, ImportRejected, InvalidInput
from core.imports.asc_xml import looks_like_asc_xml, parse_asc_xml
from core.imports.tabular import fold
from core.imports.timetable import Card, Lesson, Named, ParsedTimetable, Part
from core.imports.timetable_table import parse_timetable_table
from core.ports import UnitOfWork
from core.services.guards import managed_school

Kind = Literal["subject", "teacher", "class"]

UNMATCHED: Mapping[Kind, str] = {
    "subject": "import.timetable.unmatched_subject",
    "teacher": "import.timetable.unmatched_teacher",
    "class": "import.timetable.unmatched_class",
}
AMBIGUOUS: Mapping[Kind, str] = {
    "subject": "import.timetable.ambiguous_subject",
    "teacher": "import.timetable.ambiguous_teacher",
    "class": "import.timetable.ambiguous_class",
}
WEEKDAY_NOT_SCHOOL_DAY = "import.timetable.not_school_day"
CYCLE_MISMATCH = "import.timetable.cycle_mismatch"
NO_TERM = "import.timetable.no_term"
PROBLEM_KEYS: frozenset[str] = frozenset(
    {*UNMATCHED.values(), *AMBIGUOUS.values(), WEEKDAY_NOT_SCHOOL_DAY, CYCLE_MISMATCH}
)
PREVIEW_KEYS: frozenset[str] = frozenset(
    {
        "timetable.preview.header",
        "timetable.preview.applied",
        "timetable.preview.lessons",
        "timetable.preview.slots",
        "timetable.preview.subjects_created",
        "timetable.preview.groups_created",
        "timetable.preview.groups_changed",
        "timetable.preview.members_added",
        "timetable.preview.unchanged",
        "timetable.preview.blocked",
    }
)
_SHOWN = 10  # names listed per line before "…"
ROOM_LENGTH = 32


@dataclass(frozen=True, slots=True, order=True)
class Unmatched:
    """A name in the file the school's records do not (uniquely) hold."""

    kind: Kind
    label: str
    name: str
    ambiguous: bool = False


@dataclass(slots=True)
class TimetablePreview:
    """What an import would do (or did, when ``applied``)."""

    applied: bool
    term_number: int
    source: str
    lessons: int = 0
    unplaced: int = 0
    slots: int = 0
    slots_added: int = 0
    slots_removed: int = 0
    subjects_created: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    groups_changed: list[str] = field(default_factory=list)
    members_added: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)
    calendar_problems: list[ImportProblem] = field(default_factory=list)

    @property
    def changes(self) -> int:
        """How many things the import changes (0: the stored timetable already matches)."""
        return (
            self.slots_added
            + self.slots_removed
            + len(self.subjects_created)
            + len(self.groups_created)
            + len(self.groups_changed)
            + self.members_added
        )

    def counts(self) -> dict[str, object]:
        """The numbers of the preview, for the audit entry."""
        return {
            "lessons": self.lessons,
            "unplaced": self.unplaced,
            "slots": self.slots,
            "slots_added": self.slots_added,
            "slots_removed": self.slots_removed,
            "subjects_created": len(self.subjects_created),
            "groups_created": len(self.groups_created),
            "groups_changed": len(self.groups_changed),
            "members_added": self.members_added,
        }

    @property
    def blocked(self) -> bool:
        """Whether the import may not be applied as it stands."""
        return bool(self.unmatched or self.calendar_problems)

    def problems(self) -> list[ImportProblem]:
        """The blocking problems as import problems (row 0: the whole file)."""
        return [
            *self.calendar_problems,
            *(
                ImportProblem(0, (AMBIGUOUS if u.ambiguous else UNMATCHED)[u.kind], value=u.label)
                for u in self.unmatched
            ),
        ]


def preview_lines(preview: TimetablePreview, text: Callable[..., str]) -> list[str]:
    """The preview as lines of text (``text(key, **params)`` translates); problems not included.

    Shared by the console and the bot so that both say the same.
    """
    lines = [
        text(
            "timetable.preview.applied" if preview.applied else "timetable.preview.header",
            term=preview.term_number,
        ),
        text("timetable.preview.lessons", lessons=preview.lessons, unplaced=preview.unplaced),
        text(
            "timetable.preview.slots",
            slots=preview.slots,
            added=preview.slots_added,
            removed=preview.slots_removed,
        ),
    ]
    for key, names in (
        ("timetable.preview.subjects_created", preview.subjects_created),
        ("timetable.preview.groups_created", preview.groups_created),
        ("timetable.preview.groups_changed", preview.groups_changed),
    ):
        if names:
            shown = ", ".join(names[:_SHOWN]) + (", …" if len(names) > _SHOWN else "")
            lines.append(text(key, count=len(names), names=shown))
    if preview.members_added:
        lines.append(text("timetable.preview.members_added", count=preview.members_added))
    if preview.blocked:
        lines.append(text("timetable.preview.blocked"))
    elif not preview.changes:
        lines.append(text("timetable.preview.unchanged"))
    return lines


def parse_timetable_file(data: bytes, filename: str) -> ParsedTimetable:
    """An aSc XML export (``.xml`` or XML content) or a CSV/XLSX file in our layout."""
    if PurePath(filename).suffix.casefold() == ".xml" or looks_like_asc_xml(data):
        return parse_asc_xml(data)
    return parse_timetable_table(data, filename)


async def import_timetable(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    data: bytes,
    filename: str,
    term_number: int | None = None,
    create_subjects: bool = False,
    apply: bool = False,
) -> TimetablePreview:
    """A school's manager previews (``apply=False``) or applies a semester timetable file.

    Raises:
        ImportRejected: the file cannot be read, or ``apply`` while the preview is blocked.
        InvalidInput: ``import.timetable.no_term`` when the school has no such semester.
        NotFound: the viewer does not manage the school.
    """
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        parsed = parse_timetable_file(data, filename)
        today = uow.clock.now().astimezone(ZoneInfo(school.time_zone)).date()
        year = await uow.directory.school_year_on(school.id, today)
        if year is None:
            raise InvalidInput(NO_TERM, number=term_number or 0)
        term = _pick_term(await uow.timetable.terms(year.id), term_number, today)
        calendar = await uow.timetable.calendar(year.id)
        preview = TimetablePreview(applied=False, term_number=term.number, source=parsed.source)
        preview.lessons = len(parsed.lessons)
        preview.unplaced = len(parsed.unplaced)
        preview.calendar_problems = _calendar_problems(
            parsed, calendar.school_weekdays, calendar.cycle_weeks
        )
        placed = _placed(parsed, term.number)
        matchers = _Matchers(
            _ClassMatcher((await uow.people.classes(year.id)).values()),
            _TeacherMatcher(await uow.timetable.staff(school.id)),
            _SubjectMatcher(await uow.timetable.subjects(school.id)),
        )
        lessons = [parsed.lessons[i] for i in sorted({card.lesson for card in placed})]
        preview.unmatched = matchers.match(lessons, create_subjects=create_subjects)
        preview.subjects_created = [s.label for s in matchers.subjects.planned]
        if preview.blocked:
            if apply:
                raise ImportRejected(preview.problems())
            return preview
        writer = _Writer(
            uow,
            school_id=school.id,
            year_id=year.id,
            term=term,
            matchers=matchers,
            preview=preview,
        )
        await writer.write(parsed, placed)
        if apply and preview.changes:
            uow.audit(
                viewer,
                AuditRecord(
                    action="timetable.import",
                    entity="term",
                    entity_id=term.id,
                    school_id=school.id,
                    after={"source": parsed.source, **preview.counts()},
                ),
            )
        if apply:
            await uow.commit()
            preview.applied = True
        return preview


@dataclass(frozen=True, slots=True)
class _Matchers:
    classes: _ClassMatcher
    teachers: _TeacherMatcher
    subjects: _SubjectMatcher

    def match(self, lessons: Iterable[Lesson], *, create_subjects: bool) -> list[Unmatched]:
        unmatched: set[Unmatched] = set()
        for lesson in lessons:
            for part in lesson.parts:
                self.classes.match(part.klass, unmatched)
            for teacher in lesson.teachers:
                self.teachers.match(teacher, unmatched)
            self.subjects.match(lesson.subject, unmatched, may_create=create_subjects)
        return sorted(unmatched)


class _Writer:
    """Applies a fully matched timetable inside the open unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        school_id: int,
        year_id: int,
        term: TermRef,
        matchers: _Matchers,
        preview: TimetablePreview,
    ) -> None:
        self._uow = uow
        self._school_id = school_id
        self._year_id = year_id
        self._term = term
        self._m = matchers
        self._preview = preview

    async def write(self, parsed: ParsedTimetable, placed: list[Card]) -> None:
        uow, preview = self._uow, self._preview
        for named in self._m.subjects.planned:
            short = (named.short or named.name)[:32]
            subject_id = await uow.timetable.add_subject(
                self._school_id, short, named.name or short
            )
            self._m.subjects.created(named, subject_id)
        names = {s.id: s.name for s in await uow.timetable.subjects(self._school_id)}
        groups = _Groups(await uow.timetable.groups(self._year_id), names)
        group_of: dict[int, int] = {}
        for index in sorted({card.lesson for card in placed}):
            lesson = parsed.lessons[index]
            parts = [(self._m.classes.resolved(p.klass), p) for p in lesson.parts]
            group_of[index] = await groups.ensure(
                uow,
                _GroupWanted(
                    self._school_id,
                    self._year_id,
                    self._m.subjects.resolved(lesson.subject),
                    parts,
                    [self._m.teachers.resolved(t) for t in lesson.teachers],
                ),
                preview,
            )
            if all(p.whole for p in lesson.parts):
                await _add_members(
                    uow, group_of[index], [c.id for c, _ in parts], self._term, preview
                )
        slots = {slot for card in placed for slot in self._slots(parsed, card, group_of)}
        stored = set(await uow.timetable.slots(self._term.id))
        preview.slots = len(slots)
        preview.slots_added = len(slots - stored)
        preview.slots_removed = len(stored - slots)
        if preview.slots_added or preview.slots_removed:
            await uow.timetable.replace_slots(
                school_id=self._school_id, term_id=self._term.id, slots=slots
            )

    def _slots(
        self, parsed: ParsedTimetable, card: Card, group_of: dict[int, int]
    ) -> list[SlotData]:
        """One slot per teacher of the card's lesson (one without a teacher if it has none)."""
        lesson = parsed.lessons[card.lesson]
        rooms = card.rooms or lesson.rooms
        room = ", ".join(r.label for r in rooms)[:ROOM_LENGTH] or None
        teacher_ids: list[int | None] = [self._m.teachers.resolved(t) for t in lesson.teachers]
        return [
            SlotData(
                weekday=card.weekday,
                period=card.period,
                group_id=group_of[card.lesson],
                teacher_id=teacher_id,
                room=room,
                week=card.week,
            )
            for teacher_id in teacher_ids or [None]
        ]


def _pick_term(terms: Sequence[TermRef], number: int | None, today: date) -> TermRef:
    if not terms:
        raise InvalidInput(NO_TERM, number=number or 0)
    if number is not None:
        for term in terms:
            if term.number == number:
                return term
        raise InvalidInput(NO_TERM, number=number)
    for term in terms:
        if term.starts_on <= today <= term.ends_on:
            return term
    upcoming = [term for term in terms if term.starts_on > today]
    return upcoming[0] if upcoming else terms[-1]


def _placed(parsed: ParsedTimetable, term_number: int) -> list[Card]:
    return [c for c in parsed.cards if c.terms is None or term_number in c.terms]


def _calendar_problems(
    parsed: ParsedTimetable, weekdays: frozenset[int], cycle_weeks: int
) -> list[ImportProblem]:
    problems = [
        ImportProblem(0, WEEKDAY_NOT_SCHOOL_DAY, day=day + 1)
        for day in sorted({card.weekday for card in parsed.cards} - weekdays)
    ]
    if any(card.week is not None for card in parsed.cards) and cycle_weeks != 2:
        problems.append(ImportProblem(0, CYCLE_MISMATCH, weeks=cycle_weeks))
    return problems


def _compact(text: str) -> str:
    return "".join(text.casefold().split())


class _ClassMatcher:
    def __init__(self, classes: Iterable[ClassRecord]) -> None:
        self._by_name: dict[str, list[ClassRecord]] = {}
        for record in classes:
            self._by_name.setdefault(_compact(record.name), []).append(record)
        self._found: dict[Named, ClassRecord] = {}

    def match(self, named: Named, unmatched: set[Unmatched]) -> None:
        ambiguous = False
        for text in (named.short, named.name):
            found = self._by_name.get(_compact(text), []) if text else []
            if len(found) == 1:
                self._found[named] = found[0]
                return
            ambiguous = ambiguous or len(found) > 1
        unmatched.add(Unmatched("class", named.label, named.name, ambiguous))

    def resolved(self, named: Named) -> ClassRecord:
        return self._found[named]


class _TeacherMatcher:
    def __init__(self, staff: Sequence[StaffRef]) -> None:
        self._keys: dict[str, set[int]] = {}
        self._names: dict[str, set[int]] = {}
        for person in staff:
            for key in person.keys:
                self._keys.setdefault(fold(key), set()).add(person.person_id)
            for full in (
                f"{person.given_name} {person.family_name}",
                f"{person.family_name} {person.given_name}",
            ):
                self._names.setdefault(fold(full), set()).add(person.person_id)
        self._found: dict[Named, int] = {}

    def match(self, named: Named, unmatched: set[Unmatched]) -> None:
        ambiguous = False
        for table, text in (
            (self._keys, named.short),
            (self._keys, named.name),
            (self._names, named.name),
            (self._names, named.short),
        ):
            found = table.get(fold(text), set()) if text else set()
            if len(found) == 1:
                self._found[named] = next(iter(found))
                return
            ambiguous = ambiguous or len(found) > 1
        unmatched.add(Unmatched("teacher", named.label, named.name, ambiguous))

    def resolved(self, named: Named) -> int:
        return self._found[named]


class _SubjectMatcher:
    def __init__(self, subjects: Sequence[SubjectRef]) -> None:
        self._short: dict[str, list[SubjectRef]] = {}
        self._name: dict[str, list[SubjectRef]] = {}
        for subject in subjects:
            self._short.setdefault(fold(subject.short_name), []).append(subject)
            self._name.setdefault(fold(subject.name), []).append(subject)
        self._found: dict[Named, int] = {}
        self._twins: dict[Named, Named] = {}
        self.planned: list[Named] = []

    def match(self, named: Named, unmatched: set[Unmatched], *, may_create: bool) -> None:
        """Find the subject; else plan to create it (if allowed and not ambiguous) or report it."""
        if named in self._found:
            return
        ambiguous = False
        for table, text in (
            (self._short, named.short),
            (self._name, named.name),
            (self._short, named.name),
            (self._name, named.short),
        ):
            found = table.get(fold(text), []) if text else []
            if len(found) == 1:
                self._found[named] = found[0].id
                return
            ambiguous = ambiguous or len(found) > 1
        if may_create and not ambiguous:
            self.plan(named)
        else:
            unmatched.add(Unmatched("subject", named.label, named.name, ambiguous))

    def plan(self, named: Named) -> None:
        short = fold((named.short or named.name)[:32])
        if named not in self.planned and all(
            fold((p.short or p.name)[:32]) != short for p in self.planned
        ):
            self.planned.append(named)
        elif named not in self.planned:
            # Same short name as a subject already planned: the same subject.
            twin = next(p for p in self.planned if fold((p.short or p.name)[:32]) == short)
            self._twins[named] = twin

    def created(self, named: Named, subject_id: int) -> None:
        self._found[named] = subject_id
        for twin, original in self._twins.items():
            if original == named:
                self._found[twin] = subject_id

    def resolved(self, named: Named) -> int:
        return self._found[named]


@dataclass(frozen=True, slots=True)
class _GroupWanted:
    school_id: int
    year_id: int
    subject_id: int
    parts: list[tuple[ClassRecord, Part]]
    teacher_ids: list[int]


class _Groups:
    """Finds or creates the teaching group of a lesson; keeps names deterministic."""

    def __init__(self, groups: Sequence[GroupShape], subject_names: dict[int, str]) -> None:
        self._groups = list(groups)
        self._subject_names = subject_names

    async def ensure(
        self, uow: UnitOfWork, wanted: _GroupWanted, preview: TimetablePreview
    ) -> int:
        parts = wanted.parts
        class_ids = frozenset(c.id for c, _ in parts)
        whole = all(p.whole for _, p in parts)
        kind = "combined" if len(class_ids) > 1 else "class" if whole else "part"
        name = _group_name(parts, subject_name=self._subject_names[wanted.subject_id])
        grade = min(c.grade for c, _ in parts)
        group = self._find(wanted.subject_id, class_ids, kind, name)
        if group is None:
            group_id = await uow.timetable.add_group(
                school_id=wanted.school_id,
                school_year_id=wanted.year_id,
                subject_id=wanted.subject_id,
                name=name,
                kind=kind,
                grade=grade,
                class_ids=class_ids,
            )
            group = GroupShape(
                group_id, wanted.subject_id, name, kind, grade, class_ids, frozenset()
            )
            self._groups.append(group)
            preview.groups_created.append(name)
        missing = frozenset(wanted.teacher_ids) - group.teacher_ids
        if missing:
            await uow.timetable.add_group_teachers(group.id, missing)
            updated = GroupShape(
                group.id,
                group.subject_id,
                group.name,
                group.kind,
                group.grade,
                group.class_ids,
                group.teacher_ids | missing,
            )
            self._groups[self._groups.index(group)] = updated
            if (
                group.name not in preview.groups_created
                and group.name not in preview.groups_changed
            ):
                preview.groups_changed.append(group.name)
        return group.id

    def _find(
        self, subject_id: int, class_ids: frozenset[int], kind: str, name: str
    ) -> GroupShape | None:
        for group in self._groups:
            if group.subject_id != subject_id or group.class_ids != class_ids:
                continue
            if group.kind != kind:
                continue
            if kind == "class" or fold(group.name) == fold(name):
                return group
        return None


def _group_name(parts: list[tuple[ClassRecord, Part]], *, subject_name: str) -> str:
    """A deterministic name: "5.a Matemātika", "7.a Angļu valoda (1. grupa)", "7.a, 7.b Sports"."""
    classes = ", ".join(sorted({c.name for c, _ in parts}, key=str.casefold))
    labels = sorted({p.name for _, p in parts if not p.whole and p.name})
    suffix = f" ({', '.join(labels)})" if labels else ""
    return f"{classes} {subject_name}{suffix}"[:120]


async def _add_members(
    uow: UnitOfWork,
    group_id: int,
    class_ids: list[int],
    term: TermRef,
    preview: TimetablePreview,
) -> None:
    """Whole-class groups draw every pupil enrolled in their classes during the term."""
    members = await uow.timetable.group_members(group_id)
    enrolled = await uow.roster.enrolled(class_ids, term.starts_on)
    by_start: dict[date, set[int]] = {}
    for pupil in enrolled:
        if pupil.person.id in members:
            continue
        by_start.setdefault(max(term.starts_on, pupil.enrolled_on), set()).add(pupil.person.id)
    for starts_on, pupils in sorted(by_start.items()):
        await uow.timetable.add_group_members(group_id, pupils, starts_on)
        preview.members_added += len(pupils)
