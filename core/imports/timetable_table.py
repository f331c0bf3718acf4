"""Owns reading a semester timetable from a CSV or XLSX file (layout: docs/import-timetable.md).

One row is one placed period: weekday, period, class, group, subject, teacher_key, room, week.
Rows that teach the same subject to the same pupils by the same teachers form one lesson (its
periods a week are counted from its rows; an A or B week row counts one half). Every problem is
reported with its row at once (``import.timetable.*`` keys); nothing is half-read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from core.errors import ImportProblem, ImportRejected
from core.imports import tabular
from core.imports.problems import echo
from core.imports.timetable import Card, Lesson, Named, ParsedTimetable, Part, Period

ROW_REQUIRED = "import.timetable.required"
ROW_WEEKDAY = "import.timetable.weekday"
ROW_PERIOD = "import.timetable.period"
ROW_WEEK = "import.timetable.week"
ROW_TOO_LONG = "import.timetable.too_long"
ROW_GROUP_COMBINED = "import.timetable.group_combined"
PROBLEM_KEYS: frozenset[str] = frozenset(
    {ROW_REQUIRED, ROW_WEEKDAY, ROW_PERIOD, ROW_WEEK, ROW_TOO_LONG, ROW_GROUP_COMBINED}
)

COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "weekday": ("day", "diena", "nedēļas_diena", "день"),
    "period": ("lesson", "stunda", "stundas_nr", "урок"),
    "class": ("klase", "класс"),
    "group": ("grupa", "группа"),
    "subject": ("priekšmets", "mācību_priekšmets", "предмет"),
    "teacher_key": ("teacher", "skolotājs", "skolotāja_kods", "учитель"),
    "room": ("kabinets", "telpa", "кабинет"),
    "week": ("nedēļa", "неделя"),
}
"""Canonical column → accepted aliases; matched case- and diacritic-insensitively."""
REQUIRED_COLUMNS = ("weekday", "period", "class", "subject")

_WEEKDAYS: Mapping[str, int] = {
    tabular.fold(alias): number
    for number, aliases in enumerate(
        (
            ("1", "P", "Pr", "Pirmdiena", "Mon", "Monday", "Пн", "Понедельник"),
            ("2", "O", "Ot", "Otrdiena", "Tue", "Tuesday", "Вт", "Вторник"),
            ("3", "T", "Tr", "Trešdiena", "Wed", "Wednesday", "Ср", "Среда"),
            ("4", "C", "Ce", "Ceturtdiena", "Thu", "Thursday", "Чт", "Четверг"),
            ("5", "Pk", "Piektdiena", "Fri", "Friday", "Пт", "Пятница"),
            ("6", "S", "Se", "Sestdiena", "Sat", "Saturday", "Сб", "Суббота"),
        )
    )
    for alias in aliases
}
_WEEKS: Mapping[str, int | None] = {
    "": None,
    "ab": None,
    "a": 0,
    "1": 0,
    "b": 1,
    "2": 1,
}
_LIST = re.compile(r"\s*[+,;/]\s*")
_MAX = 120


def _fail(key: str, **context: object) -> PydanticCustomError:
    return PydanticCustomError(key, key, context or None)


def _text(value: object) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > _MAX:
        raise _fail(ROW_TOO_LONG, max=_MAX)
    return text


def _required(value: object) -> str:
    text = _text(value)
    if not text:
        raise _fail(ROW_REQUIRED)
    return text


def _weekday(value: object) -> int:
    text = _required(value)
    number = _WEEKDAYS.get(tabular.fold(text))
    if number is None:
        raise _fail(ROW_WEEKDAY, value=echo(text))
    return number


def _period(value: object) -> int:
    text = _required(value).rstrip(".")
    if not text.isdigit() or int(text) > 30:
        raise _fail(ROW_PERIOD, value=echo(text))
    return int(text)


def _week(value: object) -> int | None:
    text = tabular.fold(_text(value))
    if text not in _WEEKS:
        raise _fail(ROW_WEEK, value=echo(str(value)))
    return _WEEKS[text]


def _items(value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in _LIST.split(_text(value)) if item))


def _classes(value: object) -> tuple[str, ...]:
    _required(value)
    return _items(value)


class TimetableRow(BaseModel):
    """One validated row: one placed period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int
    weekday: Annotated[int, BeforeValidator(_weekday)]
    period: Annotated[int, BeforeValidator(_period)]
    classes: Annotated[tuple[str, ...], BeforeValidator(_classes)]
    group: Annotated[str, BeforeValidator(_text)] = ""
    subject: Annotated[str, BeforeValidator(_required)]
    teachers: Annotated[tuple[str, ...], BeforeValidator(_items)] = ()
    room: Annotated[str, BeforeValidator(_text)] = ""
    week: Annotated[int | None, BeforeValidator(_week)] = None


_FIELDS = {
    "weekday": "weekday",
    "period": "period",
    "class": "classes",
    "group": "group",
    "subject": "subject",
    "teacher_key": "teachers",
    "room": "room",
    "week": "week",
}


def parse_timetable_table(data: bytes, filename: str) -> ParsedTimetable:
    """Read a CSV/XLSX timetable.

    Raises:
        ImportRejected: with every problem found (file, column and row problems).
    """
    table = tabular.read_table(data, filename)
    columns, problems = tabular.resolve_columns(table, COLUMN_ALIASES)
    problems.extend(
        ImportProblem(0, tabular.COLUMN_MISSING, column=name)
        for name in columns.missing(REQUIRED_COLUMNS)
    )
    if problems:
        raise ImportRejected(problems)
    field_column = {
        field: columns.header[name] for name, field in _FIELDS.items() if name in columns
    }
    rows: list[TimetableRow] = []
    for raw in table.rows:
        payload: dict[str, object] = {"row": raw.number}
        payload.update(
            {_FIELDS[name]: raw.get(position) for name, position in columns.index.items()}
        )
        try:
            row = TimetableRow.model_validate(payload)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                field = str(error["loc"][0]) if error["loc"] else ""
                known = error["type"] in PROBLEM_KEYS
                problems.append(
                    ImportProblem(
                        raw.number,
                        error["type"] if known else ROW_REQUIRED,
                        column=field_column.get(field),
                        **(error.get("ctx", {}) if known else {}),
                    )
                )
            continue
        if row.group and len(row.classes) > 1:
            problems.append(
                ImportProblem(raw.number, ROW_GROUP_COMBINED, column=field_column.get("group"))
            )
            continue
        rows.append(row)
    if problems:
        raise ImportRejected(problems)
    return _timetable(rows)


def _timetable(rows: list[TimetableRow]) -> ParsedTimetable:
    lessons: dict[tuple[object, ...], int] = {}
    weights: dict[int, Fraction] = {}
    built: list[Lesson] = []
    cards: list[Card] = []
    for row in rows:
        subject = Named(row.subject, row.subject)
        parts = tuple(
            sorted(
                Part(Named(name, name), row.group, not row.group, 1 if row.group else 0)
                for name in row.classes
            )
        )
        teachers = tuple(Named(key, key) for key in row.teachers)
        key = (subject, parts, teachers)
        if key not in lessons:
            lessons[key] = len(built)
            built.append(Lesson(subject, parts, teachers, (), Fraction(0), 1))
        index = lessons[key]
        weights[index] = weights.get(index, Fraction(0)) + (
            Fraction(1) if row.week is None else Fraction(1, 2)
        )
        rooms = (Named(row.room, row.room),) if row.room else ()
        cards.append(Card(index, row.weekday, row.period, row.week, rooms))
    final = tuple(
        Lesson(
            lesson.subject,
            lesson.parts,
            lesson.teachers,
            lesson.rooms,
            weights[i],
            lesson.per_card,
        )
        for i, lesson in enumerate(built)
    )
    numbers = sorted({card.period for card in cards})
    return ParsedTimetable(
        source="table",
        periods=tuple(Period(n, str(n), None, None) for n in numbers),
        lessons=final,
        cards=tuple(cards),
        school_days=6 if any(card.weekday == 5 for card in cards) else 5,
        cycle_weeks=2 if any(card.week is not None for card in cards) else 1,
    )
