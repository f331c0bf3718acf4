"""Owns the shared layout of printed reports: fonts, styles, tables, pages, progress, files.

Report cards and teacher reports are ReportLab "platypus" documents in DejaVu Sans (registered
by ``core.documents.slips.register_fonts`` from matplotlib's package data: nothing is
downloaded). Tables repeat their header row on every page; wide grids are cut into column
blocks that each repeat the pupils' names. PDFs are rendered in ReportLab's invariant mode, so
the same content gives the same bytes (sending the same card twice is recognised). Long jobs
report progress through a ``Progress`` callback ``(done, total)``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from core.documents.slips import BOLD, FONT, register_fonts

Progress = Callable[[int, int], None]
"""Told ``(done, total)`` as a long job advances; may be called from a worker thread."""

GREY = colors.Color(0.45, 0.45, 0.45)
HEADER_FILL = colors.Color(0.9, 0.92, 0.95)
LINE = colors.Color(0.55, 0.55, 0.55)
MARGIN = 12 * mm


def no_progress(_done: int, _total: int) -> None:
    """The default ``Progress``: nobody is watching."""


@dataclass(frozen=True, slots=True)
class Styles:
    """The paragraph styles of every report."""

    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    body_bold: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    header: ParagraphStyle
    header_center: ParagraphStyle


def styles() -> Styles:
    """Paragraph styles in DejaVu Sans (registered on first use)."""
    register_fonts()
    return Styles(
        title=ParagraphStyle("title", fontName=BOLD, fontSize=15, leading=19, spaceAfter=4),
        heading=ParagraphStyle(
            "heading", fontName=BOLD, fontSize=11, leading=14, spaceBefore=6, spaceAfter=4
        ),
        body=ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5),
        body_bold=ParagraphStyle("body_bold", fontName=BOLD, fontSize=9.5, leading=12.5),
        small=ParagraphStyle("small", fontName=FONT, fontSize=8, leading=10, textColor=GREY),
        cell=ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9),
        cell_bold=ParagraphStyle("cell_bold", fontName=BOLD, fontSize=7.5, leading=9),
        header=ParagraphStyle("header", fontName=BOLD, fontSize=6.5, leading=8),
        header_center=ParagraphStyle(
            "header_center", fontName=BOLD, fontSize=6.5, leading=8, alignment=TA_CENTER
        ),
    )


def esc(text: object) -> str:
    """Text for a ``Paragraph`` (its mini-markup treats ``<`` and ``&`` specially)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def day(value: date) -> str:
    """27.11.2026, as Latvian documents write dates."""
    return value.strftime("%d.%m.%Y")


def short_day(value: date) -> str:
    """27.11."""
    return value.strftime("%d.%m.")


def number(value: Decimal | None, lang: str) -> str:
    """A two-decimal number in the language's notation (7,50 in lv and ru); "—" for None."""
    if value is None:
        return "—"
    return format_decimal(value, format="0.00", locale=lang)


def grid(
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[float] | None = None,
    header_rows: int = 1,
    font_size: float = 7.5,
    align_from: int | None = None,
) -> Table:
    """A ruled table whose header rows repeat on every page.

    Columns from ``align_from`` on are centred (grids of marks and codes).
    """
    register_fonts()
    table = Table(
        [list(row) for row in rows],
        colWidths=list(widths) if widths is not None else None,
        repeatRows=header_rows,
        hAlign="LEFT",
    )
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size + 1.5),
        ("GRID", (0, 0), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    if header_rows:
        commands += [
            ("FONTNAME", (0, 0), (-1, header_rows - 1), BOLD),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
        ]
    if align_from is not None:
        commands.append(("ALIGN", (align_from, 0), (-1, -1), "CENTER"))
    table.setStyle(TableStyle(commands))
    return table


def column_blocks(count: int, per_block: int) -> list[range]:
    """Column indexes ``0..count-1`` in blocks of at most ``per_block`` (at least one block)."""
    if count <= 0:
        return [range(0)]
    return [range(start, min(start + per_block, count)) for start in range(0, count, per_block)]


class ProgressMark(Flowable):
    """An invisible flowable: reports ``done`` of ``total`` when its page is laid out."""

    def __init__(self, progress: Progress, done: int, total: int) -> None:
        super().__init__()
        self.progress, self.done, self.total = progress, done, total
        self.width = self.height = 0

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        """Takes no room."""
        return 0, 0

    def draw(self) -> None:
        """Report the progress instead of drawing."""
        self.progress(self.done, self.total)


def render_pdf(
    story: list[Flowable],
    *,
    title: str,
    footer: str,
    wide: bool = False,
) -> bytes:
    """Lay out the story on A4 (landscape when ``wide``) with a footer and page numbers."""
    register_fonts()
    out = io.BytesIO()
    pagesize = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=title,
        author="ejournal",
        creator="ejournal",
        invariant=1,
    )

    def on_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, MARGIN - 2, footer)
        canvas.drawRightString(pagesize[0] - MARGIN, MARGIN - 2, str(document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of already escaped text."""
    return Paragraph(text, style)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_slug(*parts: str) -> str:
    """A file name part in plain ASCII: "Latviešu valoda 5.a" → "latviesu-valoda-5.a"."""
    text = "-".join(part for part in parts if part)
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _UNSAFE.sub("-", bare).strip("-") or "report"


def sheet_title(text: str) -> str:
    """An Excel sheet title: at most 31 characters, no brackets, colons, stars or slashes."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31] or "Sheet"
