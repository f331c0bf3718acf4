"""Domain errors with stable message keys. Never user-facing text: front ends localize by key."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. ``key`` is a stable message key; ``params`` fill the localized text."""

    key: str = "error.domain"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or type(self).key
        self.params: dict[str, Any] = params
        super().__init__(self.key, params)


class NotFound(DomainError):
    """The thing asked for does not exist, or the viewer may not know that it exists."""

    key = "error.not_found"


class NotAllowed(DomainError):
    """The viewer may not do this."""

    key = "error.not_allowed"


class InvalidInput(DomainError):
    """Input that breaks a rule: a mark off the scale, a date outside the school year, ..."""

    key = "error.invalid_input"


class InvalidMark(InvalidInput):
    """A mark value that its scale does not allow. ``params['valid']`` lists the valid options."""

    key = "mark.invalid_value"


class Conflict(DomainError):
    """The change collides with the current state (e.g. deciding an already decided note)."""

    key = "error.conflict"


class ImportRejected(DomainError):
    """An import file failed validation. ``problems`` holds one entry per bad row or column."""

    key = "import.rejected"

    def __init__(self, problems: list[ImportProblem], /) -> None:
        super().__init__(self.key, count=len(problems))
        self.problems = problems


class ImportProblem:
    """One problem found in an import file: the 1-based row (0 = whole file) and what is wrong."""

    __slots__ = ("column", "key", "params", "row")

    def __init__(self, row: int, key: str, column: str | None = None, **params: Any) -> None:
        self.row = row
        self.column = column
        self.key = key
        self.params: dict[str, Any] = params

    def __repr__(self) -> str:
        return f"ImportProblem(row={self.row}, column={self.column!r}, key={self.key!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImportProblem):
            return NotImplemented
        return (self.row, self.column, self.key, self.params) == (
            other.row,
            other.column,
            other.key,
            other.params,
        )

    def __hash__(self) -> int:
        return hash((self.row, self.column, self.key))
