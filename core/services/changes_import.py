"""Timetable changes from a file (rule 3.3): a CSV or XLSX of changes becomes drafts.

Layout (docs/timetable-changes.md, sample docs/samples/changes.csv): one row per change with
``date``, ``class``, ``period``, ``kind`` (substitution, cancel, room, move, extra; Latvian and
Russian words too), ``subject`` (or the group's name), ``teacher``, ``room``, ``new_date``,
``new_period`` and an optional ``note``. A row names a lesson of the timetable by class and
period (the subject tells lessons of split groups apart); an extra lesson names the class's
group by subject or group name. Teachers are matched by records-office key or full name.

All or nothing. Every row goes through ``add_change`` itself (its checks and its write) inside
this import's one transaction, so a row that clashes with another row of the file is caught as
well. The transaction is committed only with ``apply`` and when no row has a problem; a preview
is the same run rolled back. Problems name the row and column (``import.changes.*`` keys, or
the ``timetable.change.*`` key ``add_change`` refused with).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Any, Self, cast

from core.domain.access import Viewer
from core.domain.records import AuditRecord
from core.domain.timetable import StaffRef
from core.errors import DomainError, ImportProblem, ImportRejected
from core.imports import tabular
from core.imports.problems import echo
from core.ports import UnitOfWork
from core.services.guards import managed_school
from core.services.timetable_changes import (
    MAX_PERIOD,
    ChangeKind,
    ChangeView,
    ClassChoice,
    DayPlan,
    EditorChoices,
    PlannedLesson,
    add_change,
    day_plan,
    editor_choices,
)

MAX_ROWS = 500
MAX_TEXT = 120

ROW_REQUIRED = "import.changes.required"
ROW_DATE = "import.changes.date"
ROW_PERIOD = "import.changes.period"
ROW_KIND = "import.changes.kind"
ROW_TOO_LONG = "import.changes.too_long"
ROW_OUTSIDE_YEAR = "import.changes.outside_year"
ROW_CLASS = "import.changes.class_unknown"
ROW_NO_LESSON = "import.changes.no_lesson"
ROW_SEVERAL = "import.changes.several_lessons"
ROW_GROUP = "import.changes.group_unknown"
ROW_GROUP_AMBIGUOUS = "import.changes.group_ambiguous"
ROW_TEACHER = "import.changes.teacher_unknown"
ROW_TEACHER_AMBIGUOUS = "import.changes.teacher_ambiguous"
ROW_DUPLICATE = "import.changes.duplicate"
PROBLEM_KEYS: frozenset[str] = frozenset(
    {
        ROW_REQUIRED,
        ROW_DATE,
        ROW_PERIOD,
        ROW_KIND,
        ROW_TOO_LONG,
        ROW_OUTSIDE_YEAR,
        ROW_CLASS,
        ROW_NO_LESSON,
        ROW_SEVERAL,
        ROW_GROUP,
        ROW_GROUP_AMBIGUOUS,
        ROW_TEACHER,
        ROW_TEACHER_AMBIGUOUS,
        ROW_DUPLICATE,
    }
)

COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "date": ("datums", "дата"),
    "class": ("klase", "класс"),
    "period": ("lesson", "stunda", "stundas_nr", "урок"),
    "kind": ("type", "change", "veids", "izmaiņa", "izmaiņas_veids", "вид", "изменение"),
    "subject": ("group", "priekšmets", "grupa", "mācību_priekšmets", "предмет", "группа"),
    "teacher": ("teacher_key", "skolotājs", "aizvietotājs", "учитель"),
    "room": ("kabinets", "telpa", "кабинет"),
    "new_date": ("jaunais_datums", "новая_дата"),
    "new_period": ("jaunā_stunda", "новый_урок"),
    "note": ("piezīme", "примечание"),
}
"""Canonical column → accepted aliases; matched case- and diacritic-insensitively."""
REQUIRED_COLUMNS = ("date", "class", "period", "kind")

_KIND_WORDS: tuple[tuple[ChangeKind, tuple[str, ...]], ...] = (
    ("substitution", ("substitution", "substitute", "aizvietošana", "aizvietot", "замена")),
    ("cancel", ("cancel", "cancelled", "atcelta", "atcelts", "atcelt", "отмена")),
    ("room", ("room", "kabinets", "kabineta maiņa", "telpa", "кабинет")),
    ("move", ("move", "moved", "pārcelta", "pārcelts", "pārcelt", "перенос")),
    ("extra", ("extra", "papildu", "papildstunda", "papildu stunda", "дополнительный")),
)
KINDS: Mapping[str, ChangeKind] = {
    tabular.fold(word): kind for kind, words in _KIND_WORDS for word in words
}
"""The ``kind`` cell's words (folded) → the change kind."""
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\.?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class ChangesPreview:
    """The drafts a file of changes creates (``applied``: created), in the file's order."""

    applied: bool
    changes: tuple[ChangeView, ...]


async def import_changes(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    data: bytes,
    filename: str,
    apply: bool,
) -> ChangesPreview:
    """A school's manager previews (``apply=False``) or creates the drafts of a file of changes.

    Raises:
        ImportRejected: the file cannot be read, or a row has a problem (every problem found;
            nothing is changed).
        NotFound: ``school.not_found`` when the viewer does not manage the school.
    """
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        rows = parse_changes(data, filename)
        inner = cast("UnitOfWork", _Inside(uow))
        run = _Run(inner, viewer, school.id, await uow.timetable.staff(school.id))
        created: list[ChangeView] = []
        for row in rows:
            view = await run.row(row)
            if view is not None:
                created.append(view)
        if run.problems:
            raise ImportRejected(run.problems)
        if not apply:
            return ChangesPreview(applied=False, changes=tuple(created))
        uow.audit(
            viewer,
            AuditRecord(
                action="timetable.changes.import",
                entity="school",
                entity_id=school.id,
                school_id=school.id,
                after={
                    "changes": len(created),
                    "dates": sorted({view.on.isoformat() for view in created}),
                },
            ),
        )
        await uow.commit()
        return ChangesPreview(applied=True, changes=tuple(created))


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One row of the file, read but not yet matched; ``columns`` spells its column names."""

    number: int
    on: date
    class_name: str
    period: int
    kind: ChangeKind
    subject: str
    teacher: str
    room: str
    new_date: date | None
    new_period: int | None
    note: str
    columns: Mapping[str, str]


def parse_changes(data: bytes, filename: str) -> list[ChangeRow]:
    """Read the rows of a file of changes.

    Raises:
        ImportRejected: with every file, column and cell problem found.
    """
    table = tabular.read_table(data, filename, max_rows=MAX_ROWS)
    columns, problems = tabular.resolve_columns(table, COLUMN_ALIASES)
    problems.extend(
        ImportProblem(0, tabular.COLUMN_MISSING, column=name)
        for name in columns.missing(REQUIRED_COLUMNS)
    )
    if problems:
        raise ImportRejected(problems)
    rows = []
    for raw in table.rows:
        cells = _Cells(raw, columns)
        row = ChangeRow(
            number=raw.number,
            on=cells.date("date", required=True) or date.min,
            class_name=cells.text("class", required=True),
            period=cells.period("period", required=True) or 0,
            kind=cells.kind(),
            subject=cells.text("subject"),
            teacher=cells.text("teacher"),
            room=cells.text("room"),
            new_date=cells.date("new_date"),
            new_period=cells.period("new_period"),
            note=cells.text("note", limit=500),
            columns=columns.header,
        )
        problems += cells.problems
        if not cells.problems:
            rows.append(row)
    if problems:
        raise ImportRejected(problems)
    return rows


class _Cells:
    """The cells of one row by canonical column, each read once; problems collected."""

    def __init__(self, raw: tabular.TableRow, columns: tabular.Columns) -> None:
        self._raw = raw
        self._columns = columns
        self.problems: list[ImportProblem] = []

    def _cell(self, name: str) -> str:
        position = self._columns.index.get(name)
        return "" if position is None else " ".join(self._raw.get(position).split())

    def _problem(self, name: str, key: str, **params: object) -> None:
        column = self._columns.header.get(name, name)
        self.problems.append(ImportProblem(self._raw.number, key, column=column, **params))

    def text(self, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
        value = self._cell(name)
        if required and not value:
            self._problem(name, ROW_REQUIRED)
        if len(value) > limit:
            self._problem(name, ROW_TOO_LONG, max=limit)
            return ""
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.text(name, required=required)
        if not value:
            return None
        found = parse_date(value)
        if found is None:
            self._problem(name, ROW_DATE, value=echo(value))
        return found

    def period(self, name: str, *, required: bool = False) -> int | None:
        value = self.text(name, required=required).rstrip(".")
        if not value:
            return None
        if not value.isdigit() or int(value) > MAX_PERIOD:
            self._problem(name, ROW_PERIOD, value=echo(value), max=MAX_PERIOD)
            return None
        return int(value)

    def kind(self) -> ChangeKind:
        value = self.text("kind", required=True)
        kind = KINDS.get(tabular.fold(value))
        if kind is None:
            if value:
                self._problem("kind", ROW_KIND, value=echo(value))
            return "cancel"
        return kind


def parse_date(text: str) -> date | None:
    """30.11.2026, 30.11.2026. or 2026-11-30 (how XLSX dates arrive); None otherwise."""
    dotted = _DOTTED.fullmatch(text)
    iso = _ISO.fullmatch(text)
    try:
        if dotted:
            return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class _Target:
    """What a row changes: a timetable lesson (``slot_id``), or an extra lesson's group, period."""

    slot_id: int | None
    group_id: int | None
    period: int | None


class _Run:
    """Matches rows to lessons, groups and teachers and records each through ``add_change``."""

    def __init__(
        self, uow: UnitOfWork, viewer: Viewer, school_id: int, staff: Sequence[StaffRef]
    ) -> None:
        self.uow = uow
        self.viewer = viewer
        self.school_id = school_id
        self.teachers = _Teachers(staff)
        self.problems: list[ImportProblem] = []
        self._choices: dict[date, EditorChoices] = {}
        self._plans: dict[date, DayPlan] = {}
        self._seen: dict[tuple[date, _Target], int] = {}

    def _problem(self, row: ChangeRow, key: str, name: str | None = None, **params: Any) -> None:
        column = row.columns.get(name, name) if name else None
        self.problems.append(ImportProblem(row.number, key, column=column, **params))

    async def row(self, row: ChangeRow) -> ChangeView | None:
        """Record one row's draft; None (and a problem) when it cannot be."""
        choices = await self._choices_on(row.on)
        if not choices.classes:
            self._problem(row, ROW_OUTSIDE_YEAR, "date", date=row.on.strftime("%d.%m.%Y"))
            return None
        klass = _class(choices.classes, row.class_name)
        if klass is None:
            self._problem(row, ROW_CLASS, "class", value=echo(row.class_name))
            return None
        teacher_id = None
        if row.teacher:
            teacher_id = self.teachers.match(row.teacher)
            if teacher_id is None or teacher_id < 0:
                key = ROW_TEACHER if teacher_id is None else ROW_TEACHER_AMBIGUOUS
                self._problem(row, key, "teacher", value=echo(row.teacher))
                return None
        target = await self._target(row, klass)
        if target is None:
            return None
        earlier = self._seen.setdefault((row.on, target), row.number)
        if earlier != row.number:
            self._problem(row, ROW_DUPLICATE, other=earlier)
            return None
        return await self._record(row, target, teacher_id)

    async def _record(
        self, row: ChangeRow, target: _Target, teacher_id: int | None
    ) -> ChangeView | None:
        """``add_change`` for the row; its refusal becomes the row's problem."""
        try:
            return await add_change(
                self.uow,
                self.viewer,
                school_id=self.school_id,
                on=row.on,
                kind=row.kind,
                slot_id=target.slot_id,
                group_id=target.group_id,
                period=target.period,
                teacher_id=teacher_id,
                room=row.room or None,
                new_date=row.new_date,
                new_period=row.new_period,
                note=row.note or None,
            )
        except DomainError as refused:
            params = {k: echo(str(v)) for k, v in refused.params.items()}
            self.problems.append(ImportProblem(row.number, refused.key, **params))
            return None

    async def _target(self, row: ChangeRow, klass: ClassChoice) -> _Target | None:
        """The lesson (``slot_id``) or, for an extra lesson, ``group_id`` and ``period``."""
        if row.kind == "extra":
            if not row.subject:
                self._problem(row, ROW_REQUIRED, "subject")
                return None
            groups = [g for g in klass.groups if _names_group(row.subject, g.name, g.subject_name)]
            if len(groups) != 1:
                key = ROW_GROUP if not groups else ROW_GROUP_AMBIGUOUS
                self._problem(row, key, "subject", value=echo(row.subject), klass=klass.name)
                return None
            return _Target(None, groups[0].group_id, row.period)
        lessons = [
            lesson
            for lesson in (await self._plan_on(row.on)).lessons
            if _of_class_then(lesson, klass.name, row)
            and (
                not row.subject
                or _names_group(row.subject, lesson.group_name, lesson.subject_name)
            )
        ]
        if len(lessons) != 1:
            if lessons:
                self._problem(row, ROW_SEVERAL, "subject", klass=klass.name, period=row.period)
            else:
                self._problem(row, ROW_NO_LESSON, "period", klass=klass.name, period=row.period)
            return None
        return _Target(lessons[0].slot_id, None, None)

    async def _choices_on(self, on: date) -> EditorChoices:
        if on not in self._choices:
            self._choices[on] = await editor_choices(
                self.uow, self.viewer, school_id=self.school_id, on=on
            )
        return self._choices[on]

    async def _plan_on(self, on: date) -> DayPlan:
        if on not in self._plans:
            self._plans[on] = await day_plan(
                self.uow, self.viewer, school_id=self.school_id, on=on
            )
        return self._plans[on]


def _compact(text: str) -> str:
    return "".join(tabular.fold(text).split("_"))


def _class(classes: Sequence[ClassChoice], name: str) -> ClassChoice | None:
    wanted = _compact(name)
    found = [klass for klass in classes if _compact(klass.name) == wanted]
    return found[0] if len(found) == 1 else None


def _of_class_then(lesson: PlannedLesson, class_name: str, row: ChangeRow) -> bool:
    """A timetable lesson of the class in the row's period on its own date (not moved in)."""
    own_date = lesson.change is None or lesson.change.on == row.on
    return (
        lesson.slot_id is not None
        and own_date
        and lesson.period == row.period
        and class_name in lesson.class_names
    )


def _names_group(text: str, group_name: str, subject_name: str | None) -> bool:
    """Whether the cell names the group.

    Its subject, its name (with or without the class), or the part in its name's brackets
    ("1. grupa" of "7.b Angļu valoda (1. grupa)").
    """
    wanted = tabular.fold(text)
    names = {tabular.fold(group_name), tabular.fold(group_name.split(" ", 1)[-1])}
    if subject_name:
        names.add(tabular.fold(subject_name))
    if group_name.endswith(")") and "(" in group_name:
        names.add(tabular.fold(group_name[group_name.rindex("(") + 1 : -1]))
    return wanted in names


class _Teachers:
    """Staff by records-office key and by full name (either order), folded."""

    def __init__(self, staff: Sequence[StaffRef]) -> None:
        self._keys: dict[str, set[int]] = {}
        self._names: dict[str, set[int]] = {}
        for person in staff:
            for key in person.keys:
                self._keys.setdefault(tabular.fold(key), set()).add(person.person_id)
            for full in (
                f"{person.given_name} {person.family_name}",
                f"{person.family_name} {person.given_name}",
            ):
                self._names.setdefault(tabular.fold(full), set()).add(person.person_id)

    def match(self, text: str) -> int | None:
        """The person id; None when nobody matches, -1 when several do."""
        folded = tabular.fold(text)
        ambiguous = False
        for table in (self._keys, self._names):
            found = table.get(folded, set())
            if len(found) == 1:
                return next(iter(found))
            ambiguous = ambiguous or len(found) > 1
        return -1 if ambiguous else None


class _Inside:
    """The import's open unit of work lent to a service: entering and committing do nothing.

    ``add_change``, ``day_plan`` and ``editor_choices`` then check and write inside the import's
    own transaction, which only ``import_changes`` commits (or rolls back).
    """

    def __init__(self, outer: UnitOfWork) -> None:
        self._outer = outer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._outer, name)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        """Nothing: the import commits."""
