"""Owns the teacher reports as PDF and XLSX: a group's class journal, a class's month, statistics.

Pure rendering of ``core.services.teacher_reports`` results in the school's language (the
caller passes it). PDFs are A4 landscape: grids of marks and attendance are cut into blocks of
columns that repeat the pupils' numbers and names, and every table repeats its header on each
page (long groups break across pages). XLSX workbooks (openpyxl) hold the same data with one
sheet per part: ten-point marks and counts are numbers, other marks the tokens teachers type
(``A``, ``i``/``ni``, ``85%``, ``nv``), dates real dates.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer

from core.documents.report_layout import (
    Progress,
    ProgressMark,
    column_blocks,
    day,
    esc,
    file_slug,
    grid,
    no_progress,
    number,
    paragraph,
    render_pdf,
    sheet_title,
    short_day,
    styles,
)

if TYPE_CHECKING:
    from openpyxl import Workbook
from core.domain.attendance import AbsenceCode, AttendanceSummary
from core.domain.mark_entry import RosterPupil
from core.domain.marks import MarkScale, MarkValue
from core.i18n import Catalogs
from core.services.teacher_reports import (
    ClassAttendance,
    DayAbsence,
    GroupJournal,
    MarkStatistics,
    StatisticsRow,
    scale_values,
)

MARK_COLUMNS = 18  # assessment columns per block of the marks grid (landscape A4)
LESSON_COLUMNS = 20  # lesson columns per block of the attendance grid
DAY_COLUMNS = 26  # school days per block of a month's attendance
NUMBER_W, NAME_W = 8 * mm, 46 * mm
MARK_W, LESSON_W, DAY_W, TOTAL_W = 11 * mm, 10.5 * mm, 8 * mm, 21 * mm
_TOKENS = {"pass": "i", "fail": "ni"}
XLSX_DATE = "DD.MM.YYYY"


def mark_token(scale: MarkScale, value: MarkValue) -> str:
    """A mark as teachers type it: ``8``, ``A``, ``i``/``ni``, ``85%`` or ``nv``."""
    if value.value is None:
        return "nv"
    if scale is MarkScale.PERCENT:
        return f"{value.value}%"
    return _TOKENS.get(value.value, value.value)


def _cell_value(scale: MarkScale, value: MarkValue) -> int | str:
    """A mark in a spreadsheet cell: ten-point marks as numbers, the rest as tokens."""
    if scale is MarkScale.TEN_POINT and value.value is not None:
        return int(value.value)
    return mark_token(scale, value)


class _Texts:
    def __init__(self, catalogs: Catalogs, lang: str) -> None:
        self.catalogs, self.lang = catalogs, lang

    def __call__(self, key: str, /, **params: Any) -> str:
        return self.catalogs.text(key, self.lang, **params)


def _pupil_cells(pupil: RosterPupil) -> list[object]:
    return [str(pupil.number), pupil.label]


def _generated(t: _Texts, on: date) -> str:
    return t("reports.generated", date=day(on))


# ------------------------------------------------------------------ the class journal


def journal_title(journal: GroupJournal, catalogs: Catalogs, lang: str) -> str:
    """The journal's title, e.g. "Klases žurnāls: 5.a Matemātika"."""
    return catalogs.text("reports.journal.title", lang, group=journal.group.name)


def journal_file_name(journal: GroupJournal, catalogs: Catalogs, lang: str, ext: str) -> str:
    """``zurnals-5.a-matematika-2026-09-01-2026-11-27.pdf`` in plain ASCII."""
    prefix = catalogs.text("reports.file.journal", lang)
    slug = file_slug(prefix, journal.group.name, str(journal.start), str(journal.end))
    return f"{slug}.{ext}"


def journal_pdf(
    journal: GroupJournal, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """The class journal: marks grid, assessments, lessons, attendance grid (landscape A4)."""
    t, s = _Texts(catalogs, lang), styles()
    title = journal_title(journal, catalogs, lang)
    mark_blocks = column_blocks(len(journal.assessments), MARK_COLUMNS)
    lesson_blocks = column_blocks(len(journal.lessons), LESSON_COLUMNS)
    total = len(mark_blocks) + 1 + len(lesson_blocks)
    done = 0
    story: list[Flowable] = [
        paragraph(esc(title), s.title),
        paragraph(
            esc(
                t(
                    "reports.journal.meta",
                    school=journal.school.name,
                    subject=journal.subject,
                    teachers=", ".join(journal.teachers) or "—",
                    classes=", ".join(journal.classes) or "—",
                    start=day(journal.start),
                    end=day(journal.end),
                )
            ),
            s.body,
        ),
        paragraph(esc(_generated(t, journal.generated_on)), s.small),
        Spacer(1, 3 * mm),
        paragraph(esc(t("reports.journal.marks")), s.heading),
    ]
    if not journal.pupils:
        story.append(paragraph(esc(t("reports.journal.no_pupils")), s.body))
    elif not journal.assessments:
        story.append(paragraph(esc(t("reports.journal.no_marks")), s.body))
    for position, block in enumerate(mark_blocks):
        if journal.pupils and journal.assessments:
            last = position == len(mark_blocks) - 1
            story += [_marks_grid(journal, block, t, average=last), Spacer(1, 3 * mm)]
        done += 1
        story.append(ProgressMark(progress, done, total))
    if journal.assessments:
        story.append(paragraph(esc(t("reports.journal.assessments")), s.heading))
        story += [
            paragraph(esc(_assessment_line(journal, index, t)), s.body)
            for index in range(len(journal.assessments))
        ]
    story += [PageBreak(), paragraph(esc(t("reports.journal.lessons")), s.heading)]
    story.append(
        _lessons_table(journal, t) if journal.lessons else _none(t, "reports.journal.no_lessons")
    )
    done += 1
    story += [ProgressMark(progress, done, total), PageBreak()]
    story.append(paragraph(esc(t("reports.journal.attendance")), s.heading))
    if not journal.lessons or not journal.pupils:
        story.append(_none(t, "reports.journal.no_lessons"))
    for block in lesson_blocks:
        if journal.lessons and journal.pupils:
            story += [_attendance_grid(journal, block, t), Spacer(1, 3 * mm)]
        done += 1
        story.append(ProgressMark(progress, done, total))
    story.append(paragraph(esc(_legend(journal.codes, t)), s.small))
    if journal.pupils:
        empty = AttendanceSummary(0, 0, 0, 0, 0)
        story += [
            paragraph(esc(t("reports.journal.totals")), s.heading),
            _totals_table(
                [(p, journal.attendance.get(p.pupil_id, empty)) for p in journal.pupils], t
            ),
        ]
    pdf = render_pdf(story, title=title, footer=f"{journal.school.name} · {title}", wide=True)
    progress(total, total)
    return pdf


def _legend(codes: Sequence[AbsenceCode], t: _Texts) -> str:
    """The school's attendance codes with their labels."""
    labels = "; ".join(f"{code.code} — {code.label(t.lang)}" for code in codes)
    return t("reports.legend.codes", codes=labels)


def _none(t: _Texts, key: str) -> Flowable:
    return paragraph(esc(t(key)), styles().body)


def _assessment_line(journal: GroupJournal, index: int, t: _Texts) -> str:
    item = journal.assessments[index]
    return t(
        "reports.journal.assessment_line",
        number=index + 1,
        date=day(item.on_date),
        title=item.title,
        kind=t(f"reports.kind.{item.kind}"),
    )


def _header_cells(cells: list[str]) -> list[object]:
    """A grid's header row: small bold text, line breaks kept; centred after the names."""
    s = styles()
    return [
        paragraph(esc(cell).replace("\n", "<br/>"), s.header if i < 2 else s.header_center)
        for i, cell in enumerate(cells)
    ]


def _marks_grid(journal: GroupJournal, block: range, t: _Texts, *, average: bool) -> Flowable:
    header = [t("reports.col.number"), t("reports.col.pupil")]
    header += [f"{short_day(journal.assessments[i].on_date)}\n({i + 1})" for i in block]
    if average:
        header.append(t("reports.col.average"))
    rows: list[list[object]] = [_header_cells(header)]
    for pupil in journal.pupils:
        row = _pupil_cells(pupil)
        for i in block:
            item = journal.assessments[i]
            value = journal.marks.get((pupil.pupil_id, item.id))
            row.append(mark_token(MarkScale(item.scale), value) if value is not None else "")
        if average:
            row.append(number(journal.averages.get(pupil.pupil_id), t.lang))
        rows.append(row)
    widths = [NUMBER_W, NAME_W, *([MARK_W] * len(block))]
    if average:
        widths.append(16 * mm)
    return grid(rows, widths=widths, align_from=2)


def _lessons_table(journal: GroupJournal, t: _Texts) -> Flowable:
    s = styles()
    header = [
        t("reports.col.date"),
        t("reports.col.period"),
        t("reports.col.topic"),
        t("reports.col.homework"),
        t("reports.col.teacher"),
    ]
    rows: list[list[object]] = [[paragraph(esc(text), s.cell_bold) for text in header]]
    for lesson in journal.lessons:
        homework = lesson.homework or ""
        if homework and lesson.homework_due_on is not None:
            homework += " " + t("reports.journal.due", date=day(lesson.homework_due_on))
        teacher = lesson.teacher or ""
        if lesson.substitution:
            teacher += " " + t("reports.journal.substitution")
        rows.append(
            [
                day(lesson.on_date),
                str(lesson.period),
                paragraph(esc(lesson.topic or ""), s.cell),
                paragraph(esc(homework), s.cell),
                paragraph(esc(teacher.strip()), s.cell),
            ]
        )
    widths = [20 * mm, 14 * mm, 94 * mm, 100 * mm, 45 * mm]
    return grid(rows, widths=widths)


def _attendance_grid(journal: GroupJournal, block: range, t: _Texts) -> Flowable:
    header = [t("reports.col.number"), t("reports.col.pupil")]
    header += [
        f"{short_day(journal.lessons[i].on_date)}\n{journal.lessons[i].period}" for i in block
    ]
    rows: list[list[object]] = [_header_cells(header)]
    for pupil in journal.pupils:
        row = _pupil_cells(pupil)
        row += [
            journal.absences.get((pupil.pupil_id, journal.lessons[i].lesson_id), "") for i in block
        ]
        rows.append(row)
    widths = [NUMBER_W, NAME_W, *([LESSON_W] * len(block))]
    return grid(rows, widths=widths, align_from=2)


def _totals_table(rows: Sequence[tuple[RosterPupil, AttendanceSummary]], t: _Texts) -> Flowable:
    """Per pupil: lessons missed by justification, and lateness."""
    table: list[list[object]] = [
        _header_cells([t("reports.col.number"), t("reports.col.pupil"), *_summary_header(t)])
    ]
    table += [
        [*_pupil_cells(pupil), *(str(n) for n in _summary_cells(summary))]
        for pupil, summary in rows
    ]
    return grid(table, widths=[NUMBER_W, NAME_W, *([TOTAL_W] * 5)], align_from=2)


def journal_xlsx(
    journal: GroupJournal, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """The class journal as a workbook: marks, lessons and attendance sheets."""
    t = _Texts(catalogs, lang)
    book = _workbook()
    marks = book.active
    marks.title = sheet_title(t("reports.journal.marks"))
    marks.append(
        [
            t("reports.col.number"),
            t("reports.col.pupil"),
            *(a.on_date for a in journal.assessments),
            t("reports.col.average"),
        ]
    )
    marks.append(["", "", *(a.title for a in journal.assessments), ""])
    for pupil in journal.pupils:
        cells: list[object] = [pupil.number, pupil.label]
        for item in journal.assessments:
            value = journal.marks.get((pupil.pupil_id, item.id))
            cells.append(_cell_value(MarkScale(item.scale), value) if value is not None else None)
        mean = journal.averages.get(pupil.pupil_id)
        cells.append(float(mean) if mean is not None else None)
        marks.append(cells)
    _dates(marks, row=1, first_column=3, count=len(journal.assessments))
    _finish(marks, freeze="C3")
    progress(1, 3)

    lessons = book.create_sheet(sheet_title(t("reports.journal.lessons")))
    lessons.append(
        [
            t("reports.col.date"),
            t("reports.col.period"),
            t("reports.col.topic"),
            t("reports.col.homework"),
            t("reports.col.due"),
            t("reports.col.teacher"),
            t("reports.col.substitution"),
        ]
    )
    for lesson in journal.lessons:
        lessons.append(
            [
                lesson.on_date,
                lesson.period,
                lesson.topic,
                lesson.homework,
                lesson.homework_due_on,
                lesson.teacher,
                t("reports.yes") if lesson.substitution else None,
            ]
        )
    for row in lessons.iter_rows(min_row=2):
        for column in (0, 4):
            row[column].number_format = XLSX_DATE
    _finish(lessons, freeze="A2")
    progress(2, 3)

    attendance = book.create_sheet(sheet_title(t("reports.journal.attendance")))
    attendance.append(
        [
            t("reports.col.number"),
            t("reports.col.pupil"),
            *(lesson.on_date for lesson in journal.lessons),
            *_summary_header(t),
        ]
    )
    attendance.append(["", "", *(lesson.period for lesson in journal.lessons)])
    empty = AttendanceSummary(0, 0, 0, 0, 0)
    for pupil in journal.pupils:
        summary = journal.attendance.get(pupil.pupil_id, empty)
        attendance.append(
            [
                pupil.number,
                pupil.label,
                *(
                    journal.absences.get((pupil.pupil_id, lesson.lesson_id))
                    for lesson in journal.lessons
                ),
                *_summary_cells(summary),
            ]
        )
    _dates(attendance, row=1, first_column=3, count=len(journal.lessons))
    _finish(attendance, freeze="C3")
    progress(3, 3)
    return _save(book)


# ------------------------------------------------------------------ a class's month


def attendance_title(report: ClassAttendance, catalogs: Catalogs, lang: str) -> str:
    """The month report's title, e.g. "Kavējumu pārskats: 5.a, novembris 2026"."""
    month = catalogs.text(f"reports.month.{report.start.month}", lang)
    return catalogs.text(
        "reports.attendance.title",
        lang,
        class_name=report.klass.name,
        month=month,
        year=report.start.year,
    )


def attendance_file_name(report: ClassAttendance, catalogs: Catalogs, lang: str, ext: str) -> str:
    """``kavejumi-5.a-2026-11.pdf`` in plain ASCII."""
    prefix = catalogs.text("reports.file.attendance", lang)
    month = report.start.strftime("%Y-%m")
    return f"{file_slug(prefix, report.klass.name, month)}.{ext}"


def _day_cell(absence: DayAbsence | None) -> str:
    if absence is None:
        return ""
    text = str(absence.absent) if absence.absent else ""
    if absence.unexcused:
        text += "*"
    if absence.late:
        text += "k"
    return text


def attendance_pdf(
    report: ClassAttendance, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """A class's month: pupils × school days (lessons missed), the month's totals."""
    t, s = _Texts(catalogs, lang), styles()
    title = attendance_title(report, catalogs, lang)
    blocks = column_blocks(len(report.days), DAY_COLUMNS)
    story: list[Flowable] = [
        paragraph(esc(title), s.title),
        paragraph(
            esc(
                t(
                    "reports.attendance.meta",
                    school=report.school.name,
                    start=day(report.start),
                    end=day(report.end),
                )
            ),
            s.body,
        ),
        paragraph(esc(_generated(t, report.generated_on)), s.small),
        Spacer(1, 3 * mm),
    ]
    if not report.rows:
        story.append(_none(t, "reports.journal.no_pupils"))
    for position, block in enumerate(blocks):
        if report.rows:
            story += [_month_grid(report, block, t), Spacer(1, 3 * mm)]
        story.append(ProgressMark(progress, position + 1, len(blocks)))
    if report.rows:
        story += [
            paragraph(esc(t("reports.journal.totals")), s.heading),
            _totals_table([(row.pupil, row.summary) for row in report.rows], t),
            Spacer(1, 3 * mm),
        ]
    total = report.total
    story += [
        paragraph(
            esc(
                t(
                    "reports.attendance.total",
                    absent=total.absent_lessons,
                    justified=total.justified,
                    unjustified=total.unjustified,
                    pending=total.pending,
                    late=total.late,
                )
            ),
            s.body,
        ),
        paragraph(esc(t("reports.attendance.legend")), s.small),
        paragraph(esc(_legend(report.codes, t)), s.small),
    ]
    pdf = render_pdf(story, title=title, footer=f"{report.school.name} · {title}", wide=True)
    progress(len(blocks), len(blocks))
    return pdf


def _month_grid(report: ClassAttendance, block: range, t: _Texts) -> Flowable:
    header = [t("reports.col.number"), t("reports.col.pupil")]
    header += [report.days[i].strftime("%d.") for i in block]
    rows: list[list[object]] = [_header_cells(header)]
    for row in report.rows:
        cells = _pupil_cells(row.pupil)
        cells += [_day_cell(row.days.get(report.days[i])) for i in block]
        rows.append(cells)
    widths = [NUMBER_W, NAME_W, *([DAY_W] * len(block))]
    return grid(rows, widths=widths, align_from=2)


def _summary_header(t: _Texts) -> list[str]:
    return [
        t("reports.col.absent"),
        t("reports.col.justified"),
        t("reports.col.unjustified"),
        t("reports.col.pending"),
        t("reports.col.late"),
    ]


def _summary_cells(summary: AttendanceSummary) -> list[int]:
    return [
        summary.absent_lessons,
        summary.justified,
        summary.unjustified,
        summary.pending,
        summary.late,
    ]


def attendance_xlsx(
    report: ClassAttendance, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """A class's month as a workbook: lessons missed per school day and the totals."""
    t = _Texts(catalogs, lang)
    book = _workbook()
    sheet = book.active
    sheet.title = sheet_title(attendance_title(report, catalogs, lang))
    sheet.append(
        [t("reports.col.number"), t("reports.col.pupil"), *report.days, *_summary_header(t)]
    )
    for row in report.rows:
        sheet.append(
            [
                row.pupil.number,
                row.pupil.label,
                *(_day_cell(row.days.get(on)) or None for on in report.days),
                *_summary_cells(row.summary),
            ]
        )
    _dates(sheet, row=1, first_column=3, count=len(report.days))
    _finish(sheet, freeze="C2")
    progress(1, 1)
    return _save(book)


# ------------------------------------------------------------------ mark statistics


def statistics_title(stats: MarkStatistics, catalogs: Catalogs, lang: str) -> str:
    """The statistics' title, e.g. "Vērtējumu statistika: Alfa pamatskola" (or a class)."""
    scope = stats.class_name or stats.school.name
    return catalogs.text("reports.stats.title", lang, scope=scope)


def statistics_file_name(stats: MarkStatistics, catalogs: Catalogs, lang: str, ext: str) -> str:
    """``statistika-alfa-5.a-2026-09-01-2026-11-27.xlsx`` in plain ASCII."""
    prefix = catalogs.text("reports.file.stats", lang)
    slug = file_slug(
        prefix, stats.school.code, stats.class_name or "", str(stats.start), str(stats.end)
    )
    return f"{slug}.{ext}"


def _value_columns(scale: MarkScale) -> tuple[str, ...]:
    """The per-value columns of a scale's table (percent has too many values: none)."""
    if scale is MarkScale.PERCENT:
        return ()
    return scale_values(scale)


def _statistics_header(scale: MarkScale, t: _Texts) -> list[str]:
    values = [mark_token(scale, MarkValue.mark(v)) for v in _value_columns(scale)]
    return [
        t("reports.col.class"),
        t("reports.col.subject"),
        *values,
        "nv",
        t("reports.col.count"),
        t("reports.col.average"),
    ]


def _statistics_cells(row: StatisticsRow, t: _Texts) -> list[object]:
    counts = dict(row.counts)
    return [
        row.class_name,
        row.subject,
        *(counts.get(v, 0) for v in _value_columns(row.scale)),
        row.nv,
        row.marks,
        row.average,
    ]


def statistics_pdf(
    stats: MarkStatistics, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """Counts per value, "nv" and averages per class and subject: a table per scale."""
    t, s = _Texts(catalogs, lang), styles()
    title = statistics_title(stats, catalogs, lang)
    kinds = ", ".join(t(f"reports.kind.{kind.value}") for kind in stats.kinds)
    story: list[Flowable] = [
        paragraph(esc(title), s.title),
        paragraph(
            esc(
                t(
                    "reports.stats.meta",
                    school=stats.school.name,
                    start=day(stats.start),
                    end=day(stats.end),
                    kinds=kinds,
                )
            ),
            s.body,
        ),
        paragraph(esc(_generated(t, stats.generated_on)), s.small),
        Spacer(1, 3 * mm),
    ]
    scales = stats.scales()
    if not scales:
        story.append(_none(t, "reports.stats.none"))
    for position, scale in enumerate(scales):
        story.append(paragraph(esc(t(f"reports.scale.{scale.value}")), s.heading))
        header = _statistics_header(scale, t)
        rows: list[list[object]] = [_header_cells(header)]
        for row in stats.rows:
            if row.scale is scale:
                cells = _statistics_cells(row, t)
                cells[-1] = number(row.average, lang) if row.average is not None else "—"
                rows.append(
                    [
                        paragraph(esc(cells[0]), s.cell),
                        paragraph(esc(cells[1]), s.cell),
                        *(str(c) for c in cells[2:]),
                    ]
                )
        values = len(header) - 5
        widths = [18 * mm, 55 * mm, *([12 * mm] * values), 12 * mm, 15 * mm, 17 * mm]
        story += [grid(rows, widths=widths, align_from=2), Spacer(1, 3 * mm)]
        story.append(ProgressMark(progress, position + 1, len(scales)))
    pdf = render_pdf(story, title=title, footer=f"{stats.school.name} · {title}", wide=True)
    progress(len(scales), len(scales))
    return pdf


def statistics_xlsx(
    stats: MarkStatistics, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """The statistics as a workbook: a sheet per scale, counts and averages as numbers."""
    t = _Texts(catalogs, lang)
    book = _workbook()
    scales = stats.scales()
    first = book.active
    if not scales:
        first.title = sheet_title(statistics_title(stats, catalogs, lang))
        first.append([t("reports.stats.none")])
    for position, scale in enumerate(scales):
        sheet = first if position == 0 else book.create_sheet()
        sheet.title = sheet_title(t(f"reports.scale.{scale.value}"))
        sheet.append(_statistics_header(scale, t))
        for row in stats.rows:
            if row.scale is scale:
                cells = _statistics_cells(row, t)
                cells[-1] = float(row.average) if isinstance(row.average, Decimal) else None
                sheet.append(cells)
        _finish(sheet, freeze="C2")
        progress(position + 1, len(scales))
    return _save(book)


# ------------------------------------------------------------------ workbook helpers


def _workbook() -> Workbook:
    # openpyxl (and numpy under it, ~18 MB) loads only when a workbook is written.
    from openpyxl import Workbook  # noqa: PLC0415

    return Workbook()


def _dates(sheet: Any, *, row: int, first_column: int, count: int) -> None:
    for column in range(first_column, first_column + count):
        sheet.cell(row=row, column=column).number_format = XLSX_DATE


def _finish(sheet: Any, *, freeze: str) -> None:
    """Bold header, frozen panes, readable column widths."""
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415 (see _workbook)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = freeze
    for index, column in enumerate(sheet.iter_cols(), start=1):
        width = max((len(_shown(cell.value)) for cell in column), default=4)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 5), 60)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return "00.00.0000"
    return str(value)


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
