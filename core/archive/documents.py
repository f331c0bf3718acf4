"""Printable documents in the archive (journals, report cards): a registry of producers.

A producer is an async generator: given the archived school year it yields PDF documents, each
with a path under ``pdf/<producer name>/``. It reads through services with the console viewer,
like any other caller, and renders with ``core.documents``. Adding a document kind to every
archive is one line in ``PRODUCERS`` (the class journals and the report cards are there).

A producer must render the same bytes for the same data (ReportLab: ``invariant=1``), or two
archives of the same year stop being identical; it must yield each path once, and keep every
name within 64 characters (the CD's Joliet limit): ``short_name`` does both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import date

from core.documents.report_cards import class_file_name, class_report_cards_pdf
from core.documents.teacher_reports import journal_file_name, journal_pdf
from core.domain.access import Viewer
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.report_cards import class_report_cards
from core.services.teacher_reports import group_journal

_MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class DocumentContext:
    """What a producer is given: the year to print and how to read it."""

    uow: Callable[[], UnitOfWork]
    viewer: Viewer
    school_id: int
    year_id: int
    year_name: str
    first_day: date  # the year's first day
    last_day: date  # its last day, or the archive's day while the year runs
    class_ids: tuple[int, ...]  # the archived classes of the year
    group_ids: tuple[int, ...]  # the archived teaching groups (journals) of the year
    catalogs: Catalogs
    lang: str  # the school's language


@dataclass(frozen=True, slots=True)
class Document:
    """One printable document: its path under the producer's folder and its PDF bytes."""

    path: str
    content: bytes


Producer = Callable[[DocumentContext], AsyncIterator[Document]]


def short_name(name: str, taken: set[str], tag: int) -> str:
    """``name`` within 64 characters, its extension kept, made unique with ``tag`` if taken."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    candidate = stem[: _MAX_NAME - len(suffix)] + suffix
    if candidate in taken:
        mark = f"-{tag}"
        candidate = stem[: _MAX_NAME - len(suffix) - len(mark)] + mark + suffix
    taken.add(candidate)
    return candidate


async def journals(context: DocumentContext) -> AsyncIterator[Document]:
    """Every journal (teaching group) of the year for the whole year: marks, lessons, absences."""
    taken: set[str] = set()
    if context.last_day < context.first_day:  # a year that has not begun has no lessons yet
        return
    for group_id in context.group_ids:
        journal = await group_journal(
            context.uow(),
            context.viewer,
            group_id=group_id,
            start=context.first_day,
            end=context.last_day,
        )
        pdf = await asyncio.to_thread(
            journal_pdf, journal, catalogs=context.catalogs, lang=context.lang
        )
        name = journal_file_name(journal, context.catalogs, context.lang, "pdf")
        yield Document(short_name(name, taken, group_id), pdf)


async def report_cards(context: DocumentContext) -> AsyncIterator[Document]:
    """Every class's report cards, one PDF per class (a page per pupil)."""
    taken: set[str] = set()
    for class_id in context.class_ids:
        cards = await class_report_cards(context.uow(), context.viewer, class_id=class_id)
        pdf = await asyncio.to_thread(
            class_report_cards_pdf, cards, catalogs=context.catalogs, lang=context.lang
        )
        name = class_file_name(cards, context.catalogs, context.lang)
        yield Document(short_name(name, taken, class_id), pdf)


# The registered producers, by folder name under pdf/.
PRODUCERS: Mapping[str, Producer] = {"journals": journals, "report_cards": report_cards}
