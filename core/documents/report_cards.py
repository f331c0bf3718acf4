"""Owns the report card PDF (liecība): one pupil per A4 page, or a whole class in one file.

Pure rendering of ``core.services.report_cards`` results in the school's language (the caller
passes it): the school, "report card", the school year, the pupil and class; a table with each
subject's lessons held, confirmed semester marks (where the grade gets them) and the year mark
(labelled as the year mark, as IKVD asks), and lessons missed; the year's absences; the date and
the class teacher's and director's signature lines. Ten-point marks carry their name ("8 (ļoti
labi)"); learning levels and pass/fail are written as words. A mark not confirmed is "—".
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer

from core.documents.report_layout import (
    Progress,
    ProgressMark,
    day,
    esc,
    file_slug,
    grid,
    no_progress,
    paragraph,
    render_pdf,
    styles,
)
from core.documents.slips import BOLD
from core.domain.marks import MarkScale, MarkValue, mark_label, ten_point_name
from core.i18n import Catalogs
from core.services.report_cards import ClassReportCards, ReportCard

NOT_CONFIRMED = "—"


def mark_text(scale: MarkScale, value: MarkValue | None, lang: str) -> str:
    """A confirmed period mark as a report card writes it; "—" when not confirmed."""
    if value is None:
        return NOT_CONFIRMED
    label = mark_label(scale, value, lang)
    if scale is MarkScale.TEN_POINT and value.value is not None:
        return f"{label} ({ten_point_name(int(value.value), lang)})"
    return label


def report_card_pdf(card: ReportCard, *, catalogs: Catalogs, lang: str) -> bytes:
    """One pupil's report card."""
    story = _card(card, catalogs, lang)
    return render_pdf(
        story,
        title=catalogs.text("report_card.file_title", lang, name=card.pupil.full_name),
        footer=_footer(card, catalogs, lang),
    )


def class_report_cards_pdf(
    cards: ClassReportCards, *, catalogs: Catalogs, lang: str, progress: Progress = no_progress
) -> bytes:
    """Every card of a class in one PDF, a page each; ``progress`` hears of each page."""
    story: list[Flowable] = []
    total = len(cards.cards)
    for index, card in enumerate(cards.cards):
        if index:
            story.append(PageBreak())
        story += _card(card, catalogs, lang)
        story.append(ProgressMark(progress, index + 1, total))
    if not cards.cards:
        s = styles()
        story.append(
            paragraph(esc(catalogs.text("report_card.no_pupils", lang)), s.body),
        )
    title = catalogs.text(
        "report_card.class_title", lang, class_name=cards.klass.name, year=cards.year.name
    )
    pdf = render_pdf(story, title=title, footer=f"{cards.school.name} · {title}")
    progress(total, total)
    return pdf


def card_file_name(card: ReportCard, catalogs: Catalogs, lang: str) -> str:
    """``liecība-5.a-berzins-janis.pdf`` in plain ASCII."""
    prefix = catalogs.text("report_card.file", lang)
    person = card.pupil
    return f"{file_slug(prefix, card.klass.name, person.family_name, person.given_name)}.pdf"


def class_file_name(cards: ClassReportCards, catalogs: Catalogs, lang: str) -> str:
    """``liecibas-5.a-2026-2027.pdf`` in plain ASCII."""
    prefix = catalogs.text("report_card.class_file", lang)
    return f"{file_slug(prefix, cards.klass.name, cards.year.name)}.pdf"


def _footer(card: ReportCard, catalogs: Catalogs, lang: str) -> str:
    return catalogs.text(
        "report_card.footer", lang, school=card.school.name, name=card.pupil.full_name
    )


def _card(card: ReportCard, catalogs: Catalogs, lang: str) -> list[Flowable]:
    s = styles()

    def t(key: str, **params: object) -> str:
        return catalogs.text(key, lang, **params)

    story: list[Flowable] = [
        paragraph(esc(card.school.name), s.small),
        Spacer(1, 3 * mm),
        paragraph(esc(t("report_card.title")), s.title),
        paragraph(esc(t("report_card.year", year=card.year.name)), s.body),
        Spacer(1, 3 * mm),
        paragraph(esc(t("report_card.pupil", name=card.pupil.full_name)), s.heading),
        paragraph(
            esc(t("report_card.class", class_name=card.klass.name, grade=card.klass.grade)),
            s.body,
        ),
        Spacer(1, 4 * mm),
    ]
    if card.subjects:
        header = [
            t("report_card.col.subject"),
            t("report_card.col.lessons"),
            *(t("report_card.col.semester", number=number) for number in card.terms),
            t("report_card.col.year"),
            t("report_card.col.absences"),
        ]
        rows: list[list[object]] = [[paragraph(esc(text), s.body_bold) for text in header]]
        rows += [
            [
                paragraph(esc(line.subject), s.body),
                str(line.lessons),
                *(paragraph(esc(mark_text(line.scale, v, lang)), s.body) for v in line.semesters),
                paragraph(esc(mark_text(line.scale, line.year, lang)), s.body_bold),
                str(line.absences),
            ]
            for line in card.subjects
        ]
        marks_w = min(40 * mm, 98 * mm / (len(card.terms) + 1))  # 186 mm of A4 in all
        widths = [50 * mm, 18 * mm, *([marks_w] * len(card.terms)), marks_w, 20 * mm]
        story.append(grid(rows, widths=widths, font_size=9.5, align_from=1))
    else:
        story.append(paragraph(esc(t("report_card.no_subjects")), s.body))
    summary = card.attendance
    story += [
        Spacer(1, 3 * mm),
        paragraph(esc(t("report_card.lessons_note")), s.small),
        paragraph(esc(t("report_card.pending_note")), s.small),
        Spacer(1, 4 * mm),
        paragraph(
            esc(
                t(
                    "report_card.absences",
                    absent=summary.absent_lessons,
                    justified=summary.justified,
                    unexcused=summary.unexcused,
                    late=summary.late,
                )
            ),
            s.body,
        ),
        Spacer(1, 8 * mm),
        paragraph(esc(t("report_card.date", date=day(card.issued_on))), s.body),
        Spacer(1, 10 * mm),
    ]
    signatures = [
        (t("report_card.class_teacher"), card.class_teacher),
        (t("report_card.director"), card.director),
    ]
    lines: list[Flowable] = []
    for role, name in signatures:
        lines.append(
            paragraph(
                f'{esc(role)}: <font name="{BOLD}">{esc(name or "")}</font>'
                " &nbsp; ______________________ "
                f"<font size=7>{esc(t('report_card.signature'))}</font>",
                s.body,
            )
        )
        lines.append(Spacer(1, 8 * mm))
    story.append(KeepTogether(lines))
    return story
