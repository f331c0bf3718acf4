"""Owns reading an aSc Timetables "aSc Timetables 2012 XML" export into a ``ParsedTimetable``.

Follows domain.md §8: every table's ``columns`` attribute is read and unknown tables, elements
and attributes are ignored; the declared encoding is honoured (expat decodes UTF-8, UTF-16 and
any single-byte codec such as windows-1251/-1252) and a BOM is tolerated; aSc ids link rows of
this one file only and are resolved to names here, so they never leave the parser.

Safety: the standard library's expat is driven directly and any DOCTYPE (hence any entity
declaration, internal or external) rejects the file before an entity could be expanded;
parameter-entity parsing is off. ``defusedxml`` is not needed for that.

Problems are ``ImportProblem`` with row 0 (the whole file) and keys ``import.asc.*``.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.errors import ImportProblem, ImportRejected
from core.imports.problems import echo
from core.imports.timetable import Card, Lesson, Named, ParsedTimetable, Part, Period

MAX_BYTES = 20_000_000
MAX_ELEMENTS = 500_000

NOT_XML = "import.asc.not_xml"
DOCTYPE = "import.asc.doctype"
NOT_ASC = "import.asc.not_asc"
HTML_FLAVOUR = "import.asc.html_flavour"
NO_COLUMNS = "import.asc.no_columns"
TABLE_MISSING = "import.asc.table_missing"
BAD_ROW = "import.asc.bad_row"
UNKNOWN_REF = "import.asc.unknown_ref"
BAD_DAYS = "import.asc.bad_days"
BAD_WEEKS = "import.asc.bad_weeks"
BAD_PERIOD = "import.asc.bad_period"
TOO_LARGE = "import.asc.too_large"
PROBLEM_KEYS: frozenset[str] = frozenset(
    {
        NOT_XML,
        DOCTYPE,
        NOT_ASC,
        HTML_FLAVOUR,
        NO_COLUMNS,
        TABLE_MISSING,
        BAD_ROW,
        UNKNOWN_REF,
        BAD_DAYS,
        BAD_WEEKS,
        BAD_PERIOD,
        TOO_LARGE,
    }
)

# Tables an import needs; every other table (breaks, buildings, students, supervisions…) is read
# only for its ``columns`` check or ignored.
_REQUIRED = ("periods", "subjects", "teachers", "classes", "groups", "lessons", "cards")
_ROW_OF = {
    "periods": "period",
    "subjects": "subject",
    "teachers": "teacher",
    "classrooms": "classroom",
    "classes": "class",
    "groups": "group",
    "lessons": "lesson",
    "cards": "card",
    "daysdefs": "daysdef",
    "weeksdefs": "weeksdef",
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_M = TypeVar("_M", bound="_Row")
_V = TypeVar("_V")


class _Rejected(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.problem = ImportProblem(0, key, **params)


# ---------------------------------------------------------------- reading the XML safely


@dataclass(slots=True)
class _Table:
    columns: tuple[str, ...] | None
    rows: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Document:
    root: str
    root_attrs: dict[str, str]
    tables: dict[str, _Table]


def _read(data: bytes) -> _Document:
    """One expat pass: the root, then each child table with its rows' attributes."""
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    count = 0
    root: list[tuple[str, dict[str, str]]] = []
    tables: dict[str, _Table] = {}
    current: list[_Table | None] = [None]

    def doctype(*_: object) -> None:
        raise _Rejected(DOCTYPE)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, count
        count += 1
        if count > MAX_ELEMENTS:
            raise _Rejected(TOO_LARGE)
        depth += 1
        if depth == 1:
            root.append((name, attrs))
        elif depth == 2:
            columns = attrs.get("columns")
            table = _Table(tuple(c.strip() for c in columns.split(",")) if columns else None)
            tables.setdefault(name, table)
            current[0] = tables[name] if tables[name] is table else None
        elif depth == 3 and current[0] is not None:
            current[0].rows.append({"": name, **attrs})

    def end(_: str) -> None:
        nonlocal depth
        if depth == 2:
            current[0] = None
        depth -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.ExternalEntityRefHandler = _no_external_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Rejected:
        raise
    except (xml.parsers.expat.ExpatError, ValueError, LookupError) as exc:
        raise _Rejected(NOT_XML, detail=echo(str(exc), 80)) from exc
    if not root:
        raise _Rejected(NOT_XML, detail="")
    return _Document(root[0][0], root[0][1], tables)


def _no_external_entity(
    context: str, base: str | None, system_id: str | None, public_id: str | None
) -> int:
    raise _Rejected(DOCTYPE)


# ---------------------------------------------------------------- rows at the edge


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


def _ids(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


class _PeriodRow(_Row):
    period: str
    name: str = ""
    short: str = ""
    starttime: str = ""
    endtime: str = ""

    @field_validator("period")
    @classmethod
    def _number(cls, value: str) -> str:
        if not value.isdigit() or int(value) > 30:
            raise ValueError(BAD_PERIOD)
        return value


class _EntityRow(_Row):
    id: str
    name: str = ""
    short: str = ""


class _TeacherRow(_EntityRow):
    firstname: str = ""
    lastname: str = ""


class _GroupRow(_Row):
    id: str
    classid: str
    name: str = ""
    entireclass: str = "0"
    divisiontag: str = "0"


class _LessonRow(_Row):
    id: str
    subjectid: str
    classids: str = ""
    groupids: str = ""
    teacherids: str = ""
    classroomids: str = ""
    periodspercard: str = "1"
    periodsperweek: str = "1"


class _CardRow(_Row):
    lessonid: str
    period: str
    days: str
    weeks: str = "1"
    terms: str = "1"
    classroomids: str = ""


class _DefRow(_Row):
    id: str
    days: str = ""
    weeks: str = ""


# ---------------------------------------------------------------- the parser


def parse_asc_xml(data: bytes) -> ParsedTimetable:
    """Read an aSc Timetables 2012 XML export.

    Raises:
        ImportRejected: with the problems found (file-level, row 0); nothing is half-read.
    """
    if len(data) > MAX_BYTES:
        raise ImportRejected([ImportProblem(0, TOO_LARGE)])
    try:
        return _Parser(_read(data)).parse()
    except _Rejected as rejected:
        raise ImportRejected([rejected.problem]) from None


def looks_like_asc_xml(data: bytes) -> bool:
    """Whether the bytes start like an XML document (a BOM and whitespace allowed)."""
    head = data[:200].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").replace(b"\x00", b"")
    return head.startswith(b"<")


@dataclass(frozen=True, slots=True)
class _Refs:
    """This file's ids → what they name (valid for this one file only)."""

    subjects: dict[str, Named]
    teachers: dict[str, Named]
    rooms: dict[str, Named]
    classes: dict[str, Named]
    groups: dict[str, _GroupRow]


class _Parser:
    def __init__(self, document: _Document) -> None:
        self._doc = document

    def parse(self) -> ParsedTimetable:
        doc = self._doc
        if doc.root != "timetable":
            raise _Rejected(NOT_ASC, root=echo(doc.root))
        if any(
            "htmlexportlink" in (table.columns or ())
            or (table.rows and "htmlexportlink" in table.rows[0])
            for table in doc.tables.values()
        ):
            raise _Rejected(HTML_FLAVOUR)
        for name in _REQUIRED:
            if name not in doc.tables:
                raise _Rejected(TABLE_MISSING, table=name)
        for name in (*_REQUIRED, "classrooms", "daysdefs", "weeksdefs"):
            table = doc.tables.get(name)
            if table is not None and table.columns is None:
                raise _Rejected(NO_COLUMNS, table=name)
        periods = self._periods()
        subjects = {r.id: Named(r.short, r.name) for r in self._rows("subjects", _EntityRow)}
        teachers = {r.id: self._teacher(r) for r in self._rows("teachers", _TeacherRow)}
        rooms = {r.id: Named(r.short, r.name) for r in self._rows("classrooms", _EntityRow)}
        classes = {r.id: Named(r.short, r.name) for r in self._rows("classes", _EntityRow)}
        groups: dict[str, _GroupRow] = {r.id: r for r in self._rows("groups", _GroupRow)}
        school_days, cycle_weeks = self._definitions()
        lessons: list[Lesson] = []
        index: dict[str, int] = {}
        for row in self._rows("lessons", _LessonRow):
            index[row.id] = len(lessons)
            lessons.append(self._lesson(row, _Refs(subjects, teachers, rooms, classes, groups)))
        cards: list[Card] = []
        numbers = {p.number for p in periods}
        for card_row in self._rows("cards", _CardRow):
            if card_row.lessonid not in index:
                raise _Rejected(UNKNOWN_REF, table="cards", ref=echo(card_row.lessonid))
            card = self._card(card_row, index[card_row.lessonid], rooms)
            if card.period not in numbers:
                raise _Rejected(UNKNOWN_REF, table="cards", ref=echo(card_row.period))
            school_days = max(school_days, len(card_row.days))
            cycle_weeks = max(cycle_weeks, len(card_row.weeks))
            cards.append(card)
        if cycle_weeks > 2:
            raise _Rejected(BAD_WEEKS, value=str(cycle_weeks))
        return ParsedTimetable(
            source="asc",
            periods=periods,
            lessons=tuple(lessons),
            cards=tuple(cards),
            school_days=max(school_days, 5),
            cycle_weeks=cycle_weeks,
        )

    def _rows(self, table: str, model: type[_M]) -> list[_M]:
        found = self._doc.tables.get(table)
        if found is None:
            return []
        element = _ROW_OF[table]
        rows: list[_M] = []
        for number, raw in enumerate(found.rows, start=1):
            if raw[""] != element:
                continue  # an unknown element inside a known table
            try:
                rows.append(model.model_validate(raw))
            except ValidationError as exc:
                first = exc.errors()[0]
                raise _Rejected(
                    BAD_ROW,
                    table=table,
                    number=number,
                    field=".".join(str(p) for p in first["loc"]),
                ) from None
        return rows

    def _periods(self) -> tuple[Period, ...]:
        periods: dict[int, Period] = {}
        for row in self._rows("periods", _PeriodRow):
            number = int(row.period)
            periods[number] = Period(
                number=number,
                label=row.short or row.name or row.period,
                starts_at=_time(row.starttime),
                ends_at=_time(row.endtime),
            )
        return tuple(periods[n] for n in sorted(periods))

    @staticmethod
    def _teacher(row: _TeacherRow) -> Named:
        name = row.name or " ".join(p for p in (row.firstname, row.lastname) if p)
        return Named(row.short, name)

    def _definitions(self) -> tuple[int, int]:
        """School days and weeks in the cycle declared by daysdefs/weeksdefs ("any day" lists)."""
        days = 0
        weeks = 1
        for row in self._rows("daysdefs", _DefRow):
            for mask in _ids(row.days):
                _mask(mask, BAD_DAYS)
                days = max(days, len(mask))
        for row in self._rows("weeksdefs", _DefRow):
            for mask in _ids(row.weeks):
                _mask(mask, BAD_WEEKS)
                weeks = max(weeks, len(mask))
        if days and days not in (5, 6, 7):
            raise _Rejected(BAD_DAYS, value=str(days))
        return days, weeks

    def _lesson(self, row: _LessonRow, refs: _Refs) -> Lesson:
        subjects, teachers, rooms, classes, groups = (
            refs.subjects,
            refs.teachers,
            refs.rooms,
            refs.classes,
            refs.groups,
        )
        subject = _ref(subjects, row.subjectid, "subjects")
        class_ids, group_ids = _ids(row.classids), _ids(row.groupids)
        parts: list[Part] = []
        if group_ids:
            for position, group_id in enumerate(group_ids):
                group = _ref(groups, group_id, "groups")
                if (
                    class_ids
                    and position < len(class_ids)
                    and class_ids[position] != group.classid
                ):
                    raise _Rejected(UNKNOWN_REF, table="lessons", ref=echo(group_id))
                parts.append(_part(group, _ref(classes, group.classid, "classes")))
        else:
            parts = [Part(_ref(classes, cid, "classes"), "", True, 0) for cid in class_ids]
        try:
            per_week = Fraction(Decimal(row.periodsperweek or "1"))
            per_card = int(Decimal(row.periodspercard or "1"))
        except (InvalidOperation, ValueError):
            raise _Rejected(BAD_ROW, table="lessons", number=0, field="periodsperweek") from None
        return Lesson(
            subject=subject,
            parts=tuple(sorted(set(parts))),
            teachers=tuple(_ref(teachers, t, "teachers") for t in _ids(row.teacherids)),
            rooms=tuple(_ref(rooms, r, "classrooms") for r in _ids(row.classroomids)),
            per_week=per_week,
            per_card=max(per_card, 1),
        )

    def _card(self, row: _CardRow, lesson: int, rooms: dict[str, Named]) -> Card:
        _mask(row.days, BAD_DAYS)
        if row.days.count("1") != 1 or len(row.days) > 7:
            raise _Rejected(BAD_DAYS, value=echo(row.days))
        _mask(row.weeks, BAD_WEEKS)
        if row.weeks.count("1") == 0 or len(row.weeks) > 2:
            raise _Rejected(BAD_WEEKS, value=echo(row.weeks))
        week = None if row.weeks.count("1") == len(row.weeks) else row.weeks.index("1")
        terms_mask = row.terms or "1"
        _mask(terms_mask, BAD_ROW)
        terms = (
            None
            if terms_mask.count("1") == len(terms_mask)
            else frozenset(i + 1 for i, ch in enumerate(terms_mask) if ch == "1")
        )
        if not row.period.isdigit():
            raise _Rejected(BAD_PERIOD, value=echo(row.period))
        return Card(
            lesson=lesson,
            weekday=row.days.index("1"),
            period=int(row.period),
            week=week,
            rooms=tuple(_ref(rooms, r, "classrooms") for r in _ids(row.classroomids)),
            terms=terms,
        )


def _part(group: _GroupRow, klass: Named) -> Part:
    whole = group.entireclass == "1"
    try:
        division = 0 if whole else int(group.divisiontag or "0")
    except ValueError:
        raise _Rejected(BAD_ROW, table="groups", number=0, field="divisiontag") from None
    return Part(klass, "" if whole else group.name, whole, division)


def _ref(values: dict[str, _V], key: str, table: str) -> _V:
    try:
        return values[key]
    except KeyError:
        raise _Rejected(UNKNOWN_REF, table=table, ref=echo(key)) from None


def _mask(mask: str, key: str) -> None:
    if not mask or set(mask) - {"0", "1"}:
        raise _Rejected(key, value=echo(mask))


def _time(text: str) -> time | None:
    match = _TIME.match(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)
