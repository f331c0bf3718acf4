"""Owns the superuser's people file (rule 3.1): classes, pupils, guardians and staff.

Parsed from CSV/XLSX and validated all-or-nothing. Pure: no storage; a service applies the result.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from core.domain.people import GuardianRelation, StaffRole, normalize_phone
from core.errors import ImportProblem, ImportRejected
from core.imports import tabular
from core.imports.problems import describe_char, echo

ROW_TYPE_UNKNOWN = "import.row.type_unknown"
ROW_REQUIRED = "import.row.required"
ROW_NOT_APPLICABLE = "import.row.not_applicable"
ROW_TOO_LONG = "import.row.too_long"
ROW_KEY_INVALID = "import.row.key_invalid"
ROW_KEY_IS_PERSONAL_CODE = "import.row.key_is_personal_code"
ROW_NAME_INVALID = "import.row.name_invalid"
ROW_PERSONAL_CODE_INVALID = "import.row.personal_code_invalid"
ROW_PHONE_INVALID = "import.row.phone_invalid"
ROW_EMAIL_INVALID = "import.row.email_invalid"
ROW_DATE_INVALID = "import.row.date_invalid"
ROW_GRADE_INVALID = "import.row.grade_invalid"
ROW_ROLE_UNKNOWN = "import.row.role_unknown"
ROW_RELATION_UNKNOWN = "import.row.relation_unknown"
ROW_DUPLICATE_KEY = "import.row.duplicate_key"
ROW_DUPLICATE_CLASS = "import.row.duplicate_class"
ROW_PUPIL_IN_TWO_CLASSES = "import.row.pupil_in_two_classes"
ROW_UNKNOWN_CLASS = "import.row.unknown_class"
ROW_UNKNOWN_CHILD = "import.row.unknown_child"
ROW_UNKNOWN_STAFF = "import.row.unknown_staff"
ROW_VALUE_INVALID = "import.row.value_invalid"  # fallback for a check without its own key

ROW_PROBLEM_KEYS: frozenset[str] = frozenset(
    {
        ROW_TYPE_UNKNOWN,
        ROW_REQUIRED,
        ROW_NOT_APPLICABLE,
        ROW_TOO_LONG,
        ROW_KEY_INVALID,
        ROW_KEY_IS_PERSONAL_CODE,
        ROW_NAME_INVALID,
        ROW_PERSONAL_CODE_INVALID,
        ROW_PHONE_INVALID,
        ROW_EMAIL_INVALID,
        ROW_DATE_INVALID,
        ROW_GRADE_INVALID,
        ROW_ROLE_UNKNOWN,
        ROW_RELATION_UNKNOWN,
        ROW_DUPLICATE_KEY,
        ROW_DUPLICATE_CLASS,
        ROW_PUPIL_IN_TWO_CLASSES,
        ROW_UNKNOWN_CLASS,
        ROW_UNKNOWN_CHILD,
        ROW_UNKNOWN_STAFF,
        ROW_VALUE_INVALID,
    }
)
PROBLEM_KEYS: frozenset[str] = tabular.PROBLEM_KEYS | ROW_PROBLEM_KEYS
"""Every problem key ``parse_people`` can report."""

MAX_KEY_LENGTH = 64
MAX_NAME_LENGTH = 100
MAX_CLASS_NAME_LENGTH = 32
MAX_EMAIL_LENGTH = 254


class RowType(StrEnum):
    """What one row of the people file describes."""

    CLASS = "class"
    PUPIL = "pupil"
    GUARDIAN = "guardian"
    STAFF = "staff"


COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "type": ("tips", "veids"),
    "key": ("id", "atslēga", "kods"),
    "given_name": ("first_name", "vārds"),
    "family_name": ("last_name", "surname", "uzvārds"),
    "personal_code": ("personas_kods",),
    "class": ("class_name", "klase"),
    "grade": ("grade_level", "klase_līmenis", "klases_līmenis", "klašu_grupa"),
    "class_teacher": ("form_teacher", "audzinātājs", "klases_audzinātājs"),
    "children": ("bērni",),
    "relation": ("radniecība",),
    "roles": ("role", "lomas", "loma"),
    "phone": ("tālrunis", "telefons"),
    "email": ("e-mail", "e-pasts"),
    "birth_date": ("date_of_birth", "dzimšanas_datums"),
}
"""Canonical column → accepted aliases; matched case- and diacritic-insensitively."""

_TYPE_NAMES: Mapping[RowType, tuple[str, ...]] = {
    RowType.CLASS: ("klase",),
    RowType.PUPIL: ("student", "skolēns"),
    RowType.GUARDIAN: ("parent", "vecāks", "likumiskais_pārstāvis"),
    RowType.STAFF: ("employee", "darbinieks"),
}
_ROLE_NAMES: Mapping[StaffRole, tuple[str, ...]] = {
    StaffRole.TEACHER: ("skolotājs", "priekšmeta_skolotājs", "subject_teacher"),
    StaffRole.INTEREST_TEACHER: ("interešu_izglītības_skolotājs", "interešu_skolotājs"),
    StaffRole.DEPUTY_DIRECTOR: ("direktora_vietnieks", "deputy_head"),
    StaffRole.DIRECTOR: ("direktors", "head"),
}
_RELATION_NAMES: Mapping[GuardianRelation, tuple[str, ...]] = {
    GuardianRelation.MOTHER: ("māte",),
    GuardianRelation.FATHER: ("tēvs",),
    GuardianRelation.GUARDIAN: ("aizbildnis", "aizbildne"),
    GuardianRelation.OTHER: ("cits", "cita"),
}

_E = TypeVar("_E", bound=StrEnum)


def _lookup(names: Mapping[_E, tuple[str, ...]]) -> dict[str, _E]:
    return {
        tabular.fold(alias): value
        for value, aliases in names.items()
        for alias in (str(value), *aliases)
    }


_TYPES = _lookup(_TYPE_NAMES)
_ROLES = _lookup(_ROLE_NAMES)
_RELATIONS = _lookup(_RELATION_NAMES)

# ---------------------------------------------------------------- cell checks
# Each check raises PydanticCustomError whose type is our problem key and whose context
# holds the problem's params; the parser turns them into ImportProblems one to one.

_T = TypeVar("_T")
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_NAME_PUNCTUATION = frozenset(" -'’ʼ.‐")
_PERSONAL_CODE_SHAPE = re.compile(r"\d{6}-?\d{5}")
_CODE_WEIGHTS = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_LV_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\.?")
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;.][^@\s,;]*\.[^@\s,;]+")
_DIGITS = re.compile(r"[0-9]+")
# A run of space separators (Unicode Zs: space, no-break space, ...): whitespace that is not a
# tab, line break or other control character, which a name must not contain.
_SPACE_RUN = re.compile(r"[^\S\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]+")


def _fail(key: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(key, key, context or None)


def _clean(value: object) -> str:
    """Text as stored: NFC, any space character as a plain space, runs collapsed, trimmed."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE


def _limit(text: str, maximum: int) -> str:
    if len(text) > maximum:
        raise _fail(ROW_TOO_LONG, max=maximum, length=len(text))
    return text


def _required_text(value: object) -> str:
    text = _clean(value)
    if not text:
        raise _fail(ROW_REQUIRED)
    return text


def _optional(check: Callable[[object], _T]) -> Callable[[object], _T | None]:
    def validate(value: object) -> _T | None:
        if value is None or (isinstance(value, str) and not _clean(value)):
            return None
        return check(value)

    return validate


def _split(text: str) -> list[str]:
    """A ``;``- or ``,``-separated list: items cleaned, empties and repeats dropped."""
    items = (_clean(item) for item in re.split(r"[;,]", text))
    return list(dict.fromkeys(item for item in items if item))


def _key(value: object) -> str:
    text = _limit(_required_text(value), MAX_KEY_LENGTH)
    if _PERSONAL_CODE_SHAPE.fullmatch(text):
        raise _fail(ROW_KEY_IS_PERSONAL_CODE)
    bad = next((ch for ch in text if ch in ";," or _invisible(ch)), None)
    if bad is not None:
        raise _fail(ROW_KEY_INVALID, char=describe_char(bad))
    return text


def _person_name(value: object) -> str:
    text = _limit(_required_text(value), MAX_NAME_LENGTH)
    for ch in text:
        if unicodedata.category(ch)[0] not in "LM" and ch not in _NAME_PUNCTUATION:
            raise _fail(ROW_NAME_INVALID, char=describe_char(ch))
    return text


def _class_name(value: object) -> str:
    text = _limit(_required_text(value), MAX_CLASS_NAME_LENGTH)
    bad = next((ch for ch in text if _invisible(ch)), None)
    if bad is not None:
        raise _fail(ROW_NAME_INVALID, char=describe_char(bad))
    return text


def _grade(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = _required_text(value)
        if not re.fullmatch(r"[0-9]{1,2}", text):
            raise _fail(ROW_GRADE_INVALID, value=echo(text))
        number = int(text)
    if not 1 <= number <= 12:
        raise _fail(ROW_GRADE_INVALID, value=echo(str(number)))
    return number


def personal_code_is_valid(digits: str) -> bool:
    """Whether 11 digits form a Latvian personas kods (new "32…" format or dated with checksum)."""
    if len(digits) != 11 or not _DIGITS.fullmatch(digits):
        return False
    if digits.startswith("32"):
        return True
    century = "012".find(digits[6])  # 0: 1800s, 1: 1900s, 2: 2000s
    if century < 0:
        return False
    try:
        date(1800 + 100 * century + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        return False
    total = sum(w * int(d) for w, d in zip(_CODE_WEIGHTS, digits[:10], strict=True))
    check = (1101 - total) % 11
    return check != 10 and check == int(digits[10])


def _personal_code(value: object) -> str:
    # The value itself never goes into the problem: only the row and column are named.
    text = _clean(value).replace(" ", "")
    if re.fullmatch(r"[0-9]{10}", text):
        text = "0" + text  # a number cell dropped the leading zero of day 01-09
    match = re.fullmatch(r"([0-9]{6})-?([0-9]{5})", text)
    digits = match.group(1) + match.group(2) if match else ""
    if not personal_code_is_valid(digits):
        raise _fail(ROW_PERSONAL_CODE_INVALID)
    return f"{digits[:6]}-{digits[6:]}"


def _phone(value: object) -> str:
    raw = _clean(value)
    phone = normalize_phone(raw)
    if phone is None:
        raise _fail(ROW_PHONE_INVALID, value=echo(raw))
    return phone


def _email(value: object) -> str:
    text = _limit(_clean(value), MAX_EMAIL_LENGTH)
    local, _, domain = text.rpartition("@")
    if (
        not _EMAIL.fullmatch(text)
        or len(local) > 64
        or ".." in text
        or any(_invisible(ch) for ch in text)
        or domain.endswith((".", "-"))
    ):
        raise _fail(ROW_EMAIL_INVALID, value=echo(text))
    return f"{local}@{domain.lower()}"


def _birth_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _clean(value)
    if iso := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in iso.groups())
    elif lv := _LV_DATE.fullmatch(text):
        day, month, year = (int(part) for part in lv.groups())
    else:
        raise _fail(ROW_DATE_INVALID, value=echo(text))
    try:
        result = date(year, month, day)
    except ValueError:
        raise _fail(ROW_DATE_INVALID, value=echo(text)) from None
    if result.year < 1900:
        raise _fail(ROW_DATE_INVALID, value=echo(text))
    return result


def _items(value: object) -> list[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(dict.fromkeys(text for item in value if (text := _clean(item))))
    return _split(_clean(value))


def _roles(value: object) -> frozenset[StaffRole]:
    items = _items(value)
    if not items:
        raise _fail(ROW_REQUIRED)
    unknown = [item for item in items if tabular.fold(item) not in _ROLES]
    if unknown:
        raise _fail(ROW_ROLE_UNKNOWN, value=echo(", ".join(unknown)))
    return frozenset(_ROLES[tabular.fold(item)] for item in items)


def _relation(value: object) -> GuardianRelation:
    text = _clean(value)
    relation = _RELATIONS.get(tabular.fold(text))
    if relation is None:
        raise _fail(ROW_RELATION_UNKNOWN, value=echo(text))
    return relation


def _child_keys(value: object) -> tuple[str, ...]:
    items = _items(value)
    if not items:
        raise _fail(ROW_REQUIRED)
    return tuple(_key(item) for item in items)


Key = Annotated[str, BeforeValidator(_key)]
PersonName = Annotated[str, BeforeValidator(_person_name)]
ClassName = Annotated[str, BeforeValidator(_class_name)]
Grade = Annotated[int, BeforeValidator(_grade)]
OptionalKey = Annotated[str | None, BeforeValidator(_optional(_key))]
PersonalCode = Annotated[str | None, BeforeValidator(_optional(_personal_code))]
Phone = Annotated[str | None, BeforeValidator(_optional(_phone))]
Email = Annotated[str | None, BeforeValidator(_optional(_email))]
BirthDate = Annotated[date | None, BeforeValidator(_optional(_birth_date))]
Relation = Annotated[GuardianRelation | None, BeforeValidator(_optional(_relation))]
Roles = Annotated[frozenset[StaffRole], BeforeValidator(_roles)]
ChildKeys = Annotated[tuple[str, ...], BeforeValidator(_child_keys)]

# ---------------------------------------------------------------- rows


class _Row(BaseModel):
    """One validated row; ``row`` is its number as the spreadsheet shows it (header = 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int


class ClassRow(_Row):
    """A class group ("7.b") with its grade level and, optionally, its form teacher's key."""

    name: ClassName
    grade: Grade
    class_teacher_key: OptionalKey = None


class _PersonRow(_Row):
    """Fields every person row has; ``key`` is the records office's stable id."""

    key: Key
    given_name: PersonName
    family_name: PersonName
    personal_code: PersonalCode = Field(default=None, repr=False)
    phone: Phone = None
    email: Email = None
    birth_date: BirthDate = Field(default=None, repr=False)


class PupilRow(_PersonRow):
    """A pupil and the class they are enrolled in (spelled as the class row or journal has it)."""

    class_name: ClassName


class GuardianRow(_PersonRow):
    """A guardian and the keys of their children (pupils)."""

    children_keys: ChildKeys
    relation: Relation = None


class StaffRow(_PersonRow):
    """A staff member and their roles."""

    roles: Roles


class PeopleFile(BaseModel):
    """A people file that passed every check, rows in file order per kind.

    ``columns`` names the canonical columns the file has, so that a column left out of the file
    (keep the journal's value) can be told from an empty cell (no value).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    classes: list[ClassRow]
    pupils: list[PupilRow]
    guardians: list[GuardianRow]
    staff: list[StaffRow]
    columns: frozenset[str]


_PERSON_FIELDS = {
    "key": "key",
    "given_name": "given_name",
    "family_name": "family_name",
    "personal_code": "personal_code",
    "phone": "phone",
    "email": "email",
    "birth_date": "birth_date",
}
# Row type → its model and which column fills which field. Other filled columns are a problem.
_LAYOUT: Mapping[RowType, tuple[type[_Row], Mapping[str, str]]] = {
    RowType.CLASS: (
        ClassRow,
        {"class": "name", "grade": "grade", "class_teacher": "class_teacher_key"},
    ),
    RowType.PUPIL: (PupilRow, {**_PERSON_FIELDS, "class": "class_name"}),
    RowType.GUARDIAN: (
        GuardianRow,
        {**_PERSON_FIELDS, "children": "children_keys", "relation": "relation"},
    ),
    RowType.STAFF: (StaffRow, {**_PERSON_FIELDS, "roles": "roles"}),
}
REQUIRED_COLUMNS: Mapping[RowType, tuple[str, ...]] = {
    RowType.CLASS: ("class", "grade"),
    RowType.PUPIL: ("key", "given_name", "family_name", "class"),
    RowType.GUARDIAN: ("key", "given_name", "family_name", "children"),
    RowType.STAFF: ("key", "given_name", "family_name", "roles"),
}
"""Columns the header must have when the file holds at least one row of that type."""


@dataclass(frozen=True, slots=True)
class _Entry:
    """A row whose type is known: its number, type, the type cell as written and its cells."""

    number: int
    type: RowType
    type_text: str
    cells: Mapping[str, str]


# ---------------------------------------------------------------- parsing


def parse_people(
    data: bytes,
    filename: str,
    *,
    known_classes: Collection[str] = (),
    known_pupil_keys: Collection[str] = (),
    known_staff_keys: Collection[str] = (),
) -> PeopleFile:
    """Read and check a people file; every problem in it is reported at once.

    ``known_*`` name what the journal already holds, so a file may refer to classes, pupils
    and staff that it does not define itself (e.g. a file of guardians only).

    Raises:
        ImportRejected: with every problem found; nothing in the file may then be applied.
    """
    table = tabular.read_table(data, filename)
    columns, problems = tabular.resolve_columns(table, COLUMN_ALIASES)
    if "type" not in columns:
        problems.insert(0, ImportProblem(0, tabular.COLUMN_MISSING, column="type"))
        raise ImportRejected(_ordered(problems, columns))

    entries: list[_Entry] = []
    for row in table.rows:
        cells = {name: row.get(position) for name, position in columns.index.items()}
        type_text = _clean(cells["type"])
        row_type = _TYPES.get(tabular.fold(type_text))
        type_column = columns.header["type"]
        if not type_text:
            problems.append(ImportProblem(row.number, ROW_REQUIRED, column=type_column))
        elif row_type is None:
            problems.append(
                ImportProblem(
                    row.number, ROW_TYPE_UNKNOWN, column=type_column, value=echo(type_text)
                )
            )
        else:
            entries.append(_Entry(row.number, row_type, type_text, cells))

    present = {entry.type for entry in entries}
    required = dict.fromkeys(
        name for row_type in RowType if row_type in present for name in REQUIRED_COLUMNS[row_type]
    )
    problems.extend(
        ImportProblem(0, tabular.COLUMN_MISSING, column=name) for name in columns.missing(required)
    )

    parsed: list[_Row] = []
    for entry in entries:
        model, row_problems = _validate(entry, columns)
        problems.extend(row_problems)
        if model is not None:
            parsed.append(model)

    problems.extend(_duplicates(entries, columns))
    flagged = {(problem.row, problem.column) for problem in problems}
    references = _References(
        entries,
        known_classes=known_classes,
        known_pupil_keys=known_pupil_keys,
        known_staff_keys=known_staff_keys,
    )
    class_names: dict[int, str] = {}
    for entry in entries:
        problems.extend(references.check(entry, columns, flagged, class_names))
    if problems:
        raise ImportRejected(_ordered(problems, columns))
    return PeopleFile(
        classes=[row for row in parsed if isinstance(row, ClassRow)],
        pupils=[
            row.model_copy(update={"class_name": class_names[row.row]})
            for row in parsed
            if isinstance(row, PupilRow)
        ],
        guardians=[row for row in parsed if isinstance(row, GuardianRow)],
        staff=[row for row in parsed if isinstance(row, StaffRow)],
        columns=frozenset(columns.index),
    )


def _validate(entry: _Entry, columns: tabular.Columns) -> tuple[_Row | None, list[ImportProblem]]:
    """The row's model, or None and the row's problems (one per bad cell)."""
    model_type, fields = _LAYOUT[entry.type]
    problems = [
        ImportProblem(
            entry.number,
            ROW_NOT_APPLICABLE,
            column=columns.header[name],
            type=echo(entry.type_text),
        )
        for name, text in entry.cells.items()
        if text and name != "type" and name not in fields
    ]
    payload: dict[str, object] = {"row": entry.number}
    payload.update({field: entry.cells[name] for name, field in fields.items() if name in columns})
    column_of = {field: name for name, field in fields.items()}
    try:
        model = model_type.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            name = column_of.get(str(error["loc"][0])) if error["loc"] else None
            if name is not None and name not in columns:
                continue  # a required column is absent: reported once, for the whole file
            known = error["type"] in ROW_PROBLEM_KEYS
            problems.append(
                ImportProblem(
                    entry.number,
                    error["type"] if known else ROW_VALUE_INVALID,
                    column=columns.header[name] if name is not None else None,
                    **(error.get("ctx", {}) if known else {}),
                )
            )
        return None, problems
    return (None if problems else model), problems


def _class_fold(name: str) -> str:
    """Class names compare without case and spaces: "7.B", "7. b" and "7.b" are one class."""
    return "".join(_clean(name).casefold().split())


def _duplicates(entries: Iterable[_Entry], columns: tabular.Columns) -> list[ImportProblem]:
    """Second and later uses of a class name or a key (a pupil's second class said as such)."""
    header = columns.header
    problems: list[ImportProblem] = []
    classes: dict[str, int] = {}
    first_rows: dict[str, _Entry] = {}
    for entry in entries:
        if entry.type is RowType.CLASS:
            name = _clean(entry.cells.get("class"))
            first_class_row = classes.setdefault(_class_fold(name), entry.number)
            if name and first_class_row != entry.number:  # an empty name is reported as required
                problems.append(
                    ImportProblem(
                        entry.number,
                        ROW_DUPLICATE_CLASS,
                        column=header["class"],
                        class_name=echo(name),
                        first_row=first_class_row,
                    )
                )
            continue
        key = _clean(entry.cells.get("key"))
        first = first_rows.setdefault(key, entry)
        if not key or first is entry:
            continue
        class_name = _clean(entry.cells.get("class"))
        other_class = _clean(first.cells.get("class"))
        if (
            entry.type is first.type is RowType.PUPIL
            and class_name
            and other_class
            and _class_fold(class_name) != _class_fold(other_class)
        ):
            problems.append(
                ImportProblem(
                    entry.number,
                    ROW_PUPIL_IN_TWO_CLASSES,
                    column=header["class"],
                    value=echo(key),
                    class_name=echo(class_name),
                    other_class=echo(other_class),
                    first_row=first.number,
                )
            )
        else:
            problems.append(
                ImportProblem(
                    entry.number,
                    ROW_DUPLICATE_KEY,
                    column=header["key"],
                    value=echo(key),
                    first_row=first.number,
                )
            )
    return problems


_REFERENCE_COLUMN: Mapping[RowType, str] = {
    RowType.CLASS: "class_teacher",
    RowType.PUPIL: "class",
    RowType.GUARDIAN: "children",
}


class _References:
    """What rows may point at: classes, pupils and staff of the file plus those of the journal."""

    def __init__(
        self,
        entries: Iterable[_Entry],
        *,
        known_classes: Collection[str],
        known_pupil_keys: Collection[str],
        known_staff_keys: Collection[str],
    ) -> None:
        self.classes = {_class_fold(name): _clean(name) for name in known_classes}
        self.pupils = {_clean(key) for key in known_pupil_keys}
        self.staff = {_clean(key) for key in known_staff_keys}
        file_classes: dict[str, str] = {}
        for entry in entries:
            name = _clean(entry.cells.get("class" if entry.type is RowType.CLASS else "key"))
            if not name:
                continue
            if entry.type is RowType.CLASS:
                file_classes.setdefault(_class_fold(name), name)  # the first class row's spelling
            elif entry.type is RowType.PUPIL:
                self.pupils.add(name)
            elif entry.type is RowType.STAFF:
                self.staff.add(name)
        self.classes.update(file_classes)  # the file's spelling wins over the journal's

    def check(
        self,
        entry: _Entry,
        columns: tabular.Columns,
        flagged: Collection[tuple[int, str | None]],
        class_names: dict[int, str],
    ) -> list[ImportProblem]:
        """Problems with the row's references; records a pupil's class as spelled by its class."""
        target = _REFERENCE_COLUMN.get(entry.type)
        text = _clean(entry.cells.get(target)) if target else ""
        if not target or not text or (entry.number, columns.header[target]) in flagged:
            return []
        column = columns.header[target]
        if entry.type is RowType.PUPIL:
            name = self.classes.get(_class_fold(text))
            if name is not None:
                class_names[entry.number] = name
                return []
            return [ImportProblem(entry.number, ROW_UNKNOWN_CLASS, column, class_name=echo(text))]
        if entry.type is RowType.GUARDIAN:
            return [
                ImportProblem(entry.number, ROW_UNKNOWN_CHILD, column, value=echo(child))
                for child in _split(text)
                if child not in self.pupils
            ]
        if text in self.staff:
            return []
        return [ImportProblem(entry.number, ROW_UNKNOWN_STAFF, column, value=echo(text))]


def _ordered(problems: list[ImportProblem], columns: tabular.Columns) -> list[ImportProblem]:
    """Problems as a reader meets them: the file first, then row by row, left to right."""
    positions = {columns.header[name]: position for name, position in columns.index.items()}

    def place(problem: ImportProblem) -> tuple[int, int]:
        column = positions.get(problem.column, -1) if problem.column is not None else -1
        return problem.row, column

    return sorted(problems, key=place)
