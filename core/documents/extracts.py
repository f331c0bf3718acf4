"""Owns the progress extract PDF (sekmju izraksts): A4, one pupil per document or many in one.

Pure rendering of ``core.services.extracts.ExtractData``: the header (school, pupil, class,
period, class teacher), a table per subject (every mark with its date and assessment, the
average by the school's rules, absences justified / unjustified), the totals, a small chart of
the marks over time, and signature lines. DejaVu Sans (embedded from matplotlib's package data,
see ``slips``) renders the Latvian letters; the chart is drawn with ReportLab's own canvas
primitives (matplotlib would cost more than the whole page). The text comes from the core
catalogs in the language of ``t`` (the school's: the caller passes it).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from core.documents.extract_labels import (
    DocumentTexts,
    Texts,
    date_text,
    extract_filename,
    extracts_filename,
    month_label,
    number,
    period_label,
)
from core.documents.slips import BOLD, FONT, register_fonts
from core.domain.attendance import AttendanceSummary
from core.domain.marks import LearningLevel, MarkScale, MarkValue, mark_label
from core.services.extracts import ExtractData, ExtractMark, ExtractSubject

# The labels and file names live in ``extract_labels`` (no ReportLab); re-exported here.
__all__ = [
    "DocumentTexts",
    "Texts",
    "extract_filename",
    "extracts_filename",
    "month_label",
    "number",
    "period_label",
    "render_extract",
    "render_extracts",
]

PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 42.0, PAGE_W - 42.0, PAGE_H - 40.0, 46.0
WIDTH = RIGHT - LEFT
SUBJECT_W, AVERAGE_W, ABSENCES_W = 104.0, 44.0, 58.0
MARKS_W = WIDTH - SUBJECT_W - AVERAGE_W - ABSENCES_W
PAD = 3.5
LINE = 9.6  # points between the lines of a table cell
SIZE = 7.9  # table text size
CHART_H = 84.0
CHART_W = WIDTH * 0.55  # the chart beside the totals, on the right
TEXT_W = WIDTH - CHART_W - 14  # the totals and signatures, on the left
SIGNATURES_H = 40.0  # one row of two signature lines under the block
GREY = Color(0.42, 0.42, 0.42)
RULE = Color(0.78, 0.78, 0.78)
SHADE = Color(0.93, 0.94, 0.96)
INK = Color(0.13, 0.35, 0.66)
_LEVEL_ORDER = tuple(LearningLevel)


def render_extract(data: ExtractData, t: Texts) -> bytes:
    """One pupil's extract as an A4 PDF (more pages when the marks need them)."""
    title = f"{t('extract.pdf.title')}: {data.full_name}, {period_label(data.start, data.end, t)}"
    return _render([data], t, title)


def render_extracts(datas: Sequence[ExtractData], t: Texts, *, title: str = "") -> bytes:
    """Many pupils' extracts in one PDF, each from a new page (a class's, to print)."""
    return _render(datas, t, title or t("extract.pdf.title"))


def _render(datas: Sequence[ExtractData], t: Texts, title: str) -> bytes:
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("ejournal")
    canvas.setLineWidth(0.5)
    for data in datas:
        _Page(canvas, data, t).draw()
    if not datas:
        canvas.setFont(FONT, 10)
        canvas.drawString(LEFT, TOP - 20, t("extract.pdf.nothing"))
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class _Row:
    subject: list[str]
    marks: list[str]
    average: str
    absences: str
    bold: bool = False

    @property
    def height(self) -> float:
        return max(len(self.subject), len(self.marks), 1) * LINE + 2 * PAD - 2


class _Page:
    """Draws one pupil's extract on the canvas, page after page."""

    def __init__(self, canvas: Canvas, data: ExtractData, t: Texts) -> None:
        self.c = canvas
        self.data = data
        self.t = t
        self.lang = t.lang
        self.y = TOP

    def draw(self) -> None:
        data, t = self.data, self.t
        self._header()
        self._table_header()
        for subject in data.subjects:
            self._row(self._subject_row(subject))
        self._row(
            _Row(
                [t("extract.pdf.total")],
                [],
                self._average(data.average),
                self._absences(data.absences),
                bold=True,
            )
        )
        self._bottom()
        self.c.showPage()

    # ------------------------------------------------------------------ header

    def _header(self) -> None:
        c, data, t = self.c, self.data, self.t
        c.setFillColor(GREY)
        c.setFont(FONT, 8.5)
        c.drawString(LEFT, self.y, data.school_name)
        c.drawRightString(
            RIGHT, self.y, f"{t('extract.pdf.generated')}: {date_text(data.generated_on)}"
        )
        c.setFillColor(black)
        c.setFont(BOLD, 15)
        self.y -= 22
        c.drawString(LEFT, self.y, t("extract.pdf.title"))
        self.y -= 18
        period = period_label(data.start, data.end, t)
        if data.month is not None:
            period += f" ({date_text(data.start)}–{date_text(data.end)})"
        lines = [
            (t("extract.pdf.pupil"), data.full_name, True),
            (t("extract.pdf.class"), data.class_name, False),
            (t("extract.pdf.period"), period, False),
        ]
        if data.class_teacher:
            lines.append((t("extract.pdf.class_teacher"), data.class_teacher, False))
        for label, value, strong in lines:
            c.setFont(FONT, 10)
            c.drawString(LEFT, self.y, f"{label}:")
            c.setFont(BOLD if strong else FONT, 10)
            c.drawString(LEFT + 112, self.y, value)
            self.y -= 13
        self.y -= 4

    def _continued(self) -> None:
        self.c.showPage()
        self.c.setLineWidth(0.5)
        self.y = TOP
        self.c.setFillColor(GREY)
        self.c.setFont(FONT, 8.5)
        self.c.drawString(LEFT, self.y, self.t("extract.pdf.continued", name=self.data.full_name))
        self.c.setFillColor(black)
        self.y -= 18

    # ------------------------------------------------------------------ the table

    def _columns(self) -> tuple[float, float, float, float]:
        x1 = LEFT + SUBJECT_W
        x2 = x1 + MARKS_W
        x3 = x2 + AVERAGE_W
        return LEFT, x1, x2, x3

    def _table_header(self) -> None:
        c, t = self.c, self.t
        x0, x1, _, x3 = self._columns()
        height = 2 * LINE + 2 * PAD
        c.setFillColor(SHADE)
        c.rect(LEFT, self.y - height, WIDTH, height, stroke=0, fill=1)
        c.setFillColor(black)
        c.setFont(BOLD, SIZE)
        top = self.y - PAD - SIZE
        c.drawString(x0 + PAD, top, t("extract.pdf.col.subject"))
        c.drawString(
            x1 + PAD, top, _fit(t("extract.pdf.col.marks"), BOLD, SIZE, MARKS_W - 2 * PAD)
        )
        c.drawRightString(x3 - PAD, top, _fit(t("extract.pdf.col.average"), BOLD, SIZE, AVERAGE_W))
        c.drawCentredString(x3 + ABSENCES_W / 2, top, t("extract.pdf.col.absences"))
        c.setFont(FONT, 7.2)
        c.setFillColor(GREY)
        c.drawCentredString(x3 + ABSENCES_W / 2, top - LINE, t("extract.pdf.col.absences_detail"))
        c.setFillColor(black)
        self.y -= height

    def _subject_row(self, subject: ExtractSubject) -> _Row:
        items = [self._mark(mark) for mark in subject.marks]
        return _Row(
            simpleSplit(subject.name, FONT, SIZE, SUBJECT_W - 2 * PAD) or [subject.name],
            _pack(items, FONT, SIZE, MARKS_W - 2 * PAD) or ["—"],
            self._average(subject.average),
            self._absences(subject.absences),
        )

    def _mark(self, mark: ExtractMark) -> str:
        return f"{mark.on:%d.%m.} {mark.title}: {mark.label(self.lang)}"

    def _average(self, value: Decimal | None) -> str:
        return "—" if value is None else number(value, self.lang)

    @staticmethod
    def _absences(summary: AttendanceSummary) -> str:
        if not summary.absent_lessons:
            return "—"
        return f"{summary.justified} / {summary.unexcused}"

    def _row(self, row: _Row) -> None:
        if self.y - row.height < BOTTOM:
            self._continued()
            self._table_header()
        c = self.c
        x0, x1, _, x3 = self._columns()
        top = self.y - PAD - SIZE + 1
        font = BOLD if row.bold else FONT
        c.setFont(font, SIZE)
        for index, line in enumerate(row.subject):
            c.drawString(x0 + PAD, top - index * LINE, line)
        c.setFont(FONT, SIZE)
        for index, line in enumerate(row.marks):
            c.drawString(x1 + PAD, top - index * LINE, line)
        c.setFont(font, SIZE)
        c.drawRightString(x3 - PAD, top, row.average)
        c.drawCentredString(x3 + ABSENCES_W / 2, top, row.absences)
        self.y -= row.height
        c.setStrokeColor(black if row.bold else RULE)
        c.line(LEFT, self.y, RIGHT, self.y)
        c.setStrokeColor(black)

    # ------------------------------------------------------------------ below the table

    def _bottom(self) -> None:
        """The totals and signature lines on the left, the chart on the right, side by side."""
        data, t = self.data, self.t
        summary = data.absences
        texts: list[tuple[str, float, Color]] = []
        if not data.has_entries:
            texts.append((t("extract.pdf.nothing"), 9.0, black))
        texts.append(
            (
                t(
                    "extract.pdf.absences",
                    absent=summary.absent_lessons,
                    justified=summary.justified,
                    unjustified=summary.unexcused,
                ),
                9.0,
                black,
            )
        )
        if summary.pending:
            texts.append((t("extract.pdf.pending", pending=summary.pending), 9.0, black))
        if summary.late:
            texts.append((t("extract.pdf.late", late=summary.late), 9.0, black))
        texts.append((t("extract.pdf.average_rule"), 7.2, GREY))
        points = self._points()
        width = TEXT_W if points is not None else WIDTH
        wrapped = [
            (simpleSplit(text, FONT, size, width), size, color) for text, size, color in texts
        ]
        text_h = sum(len(lines) * (size + 3) for lines, size, _ in wrapped)
        chart_h = CHART_H + 22 if points is not None else 0.0
        block = max(text_h, chart_h)
        if self.y - 8 - block - SIGNATURES_H < BOTTOM:
            self._continued()
        top = self.y - 8
        c = self.c
        y = top
        for lines, size, color in wrapped:
            c.setFillColor(color)
            c.setFont(FONT, size)
            for line in lines:
                y -= size + 3
                c.drawString(LEFT, y, line)
        c.setFillColor(black)
        if points is not None:
            self._chart(top, *points)
        self.y = top - block
        self._signatures(self.y - 26)
        self.y -= SIGNATURES_H

    def _signatures(self, y: float) -> None:
        """Two signature lines side by side: the class teacher's (named) and a parent's."""
        c, t = self.c, self.t
        half = WIDTH / 2
        for x, key in (
            (LEFT, "extract.pdf.signature.class_teacher"),
            (LEFT + half, "extract.pdf.signature.parent"),
        ):
            label = f"{t(key)}:"
            c.setFont(FONT, 9)
            c.drawString(x, y, label)
            start = x + stringWidth(label, FONT, 9) + 6
            c.line(start, y - 2, x + half - 16, y - 2)
        if self.data.class_teacher:
            label = f"{t('extract.pdf.signature.class_teacher')}:"
            c.setFillColor(GREY)
            c.setFont(FONT, 7.2)
            c.drawString(LEFT + stringWidth(label, FONT, 9) + 6, y - 11, self.data.class_teacher)
            c.setFillColor(black)

    # ------------------------------------------------------------------ the chart

    def _chart(self, top: float, values: list[tuple[date, float]], labels: list[str]) -> None:
        c, t = self.c, self.t
        left = RIGHT - CHART_W
        c.setFont(BOLD, 8.5)
        c.drawString(left, top - 9, t("extract.pdf.chart"))
        axis_w = 62.0 if len(labels) == len(_LEVEL_ORDER) else 14.0
        x0, x1 = left + axis_w, RIGHT - 6
        y1 = top - 20
        y0 = y1 - CHART_H + 12
        span = max((self.data.end - self.data.start).days, 1)
        steps = len(labels) - 1

        def at_x(day: date) -> float:
            return x0 + (x1 - x0) * (day - self.data.start).days / span

        def at_y(level: float) -> float:
            return y0 + (y1 - y0) * level / steps

        c.setStrokeColor(RULE)
        c.setFillColor(GREY)
        c.setFont(FONT, 6)
        grid = c.beginPath()
        for index, label in enumerate(labels):
            grid.moveTo(x0, at_y(index))
            grid.lineTo(x1, at_y(index))
            c.drawRightString(x0 - 3, at_y(index) - 2, label)
        ticks = _ticks(self.data.start, self.data.end)
        for index, tick in enumerate(ticks):
            label, x = f"{tick:%d.%m.}", at_x(tick)
            if index == 0:
                c.drawString(x, y0 - 9, label)
            elif index == len(ticks) - 1:
                c.drawRightString(x, y0 - 9, label)
            else:
                c.drawCentredString(x, y0 - 9, label)
        c.drawPath(grid, stroke=1, fill=0)
        average = self.data.average
        if average is not None and len(labels) == 10:
            level = float(average) - 1
            c.setStrokeColor(INK)
            c.setDash(3, 2)
            c.line(x0, at_y(level), x1, at_y(level))
            c.setDash()
            c.setFillColor(INK)
            legend = f"{t('extract.pdf.chart.average')} {number(average, self.lang)}"
            c.drawRightString(x1, y1 + 3, legend)
        c.setFillColor(INK)
        dots = c.beginPath()
        seen: dict[tuple[date, float], int] = {}
        for day, level in values:
            nth = seen.get((day, level), 0)
            seen[(day, level)] = nth + 1
            x, y = at_x(day) + nth * 2.6, at_y(level)
            dots.rect(x - 1.4, y - 1.4, 2.8, 2.8)
        c.drawPath(dots, stroke=0, fill=1)
        c.setFillColor(black)
        c.setStrokeColor(black)

    def _points(self) -> tuple[list[tuple[date, float]], list[str]] | None:
        """(date, level from 0) per charted mark and the axis labels; None: nothing to chart.

        Ten-point marks (and percent as NN/10) on a 1-10 axis; otherwise learning levels on
        their own four-step axis. Pass/fail and "nv" are not charted.
        """
        marks = [m for s in self.data.subjects for m in s.marks if not m.value.is_nv]
        ten: list[tuple[date, float]] = []
        levels: list[tuple[date, float]] = []
        for mark in marks:
            raw = mark.value.value or ""
            if mark.scale is MarkScale.TEN_POINT and raw.isdigit():
                ten.append((mark.on, min(max(int(raw), 1), 10) - 1.0))
            elif mark.scale is MarkScale.PERCENT and raw.isdigit():
                ten.append((mark.on, min(max(int(raw) / 10, 1.0), 10.0) - 1.0))
            elif mark.scale is MarkScale.LEVELS and raw in LearningLevel.__members__:
                levels.append((mark.on, float(LearningLevel(raw).rank)))
        if ten:
            return sorted(ten), [str(n) for n in range(1, 11)]
        if levels:
            words = [
                mark_label(MarkScale.LEVELS, MarkValue.mark(level.value), self.lang)
                for level in _LEVEL_ORDER
            ]
            return sorted(levels), words
        return None


def _ticks(start: date, end: date) -> list[date]:
    """Five dates from the first to the last day (fewer for a short range)."""
    span = (end - start).days
    count = min(4, span)
    if count <= 0:
        return [start]
    return [date.fromordinal(start.toordinal() + span * i // count) for i in range(count + 1)]


def _pack(items: Sequence[str], font: str, size: float, width: float) -> list[str]:
    """Items on lines of at most ``width``, never split across lines (cut with "…" if alone).

    Widths add up (no kerning), so each item is measured once.
    """
    lines: list[str] = []
    current, used = "", 0.0
    gap = "   "
    gap_w = stringWidth(gap, font, size)
    for text in items:
        item = _fit(text, font, size, width)
        item_w = stringWidth(item, font, size)
        if current and used + gap_w + item_w > width:
            lines.append(current)
            current, used = item, item_w
        elif current:
            current, used = f"{current}{gap}{item}", used + gap_w + item_w
        else:
            current, used = item, item_w
    if current:
        lines.append(current)
    return lines


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (the cut found by halving)."""
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle] + "…", font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"
