"""Progress of a long archive job, reported to whoever shows it (the console's progress bar)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Step = Literal["export", "documents", "pack", "verify", "restore"]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a job is: rows (export, restore) or files (documents, pack, verify) done of total."""

    step: Step
    done: int
    total: int
    tables_done: int = 0
    tables_total: int = 0
    table: str | None = None


ProgressCallback = Callable[[Progress], None]


def ignore(_progress: Progress) -> None:
    """The callback for jobs nobody watches."""
