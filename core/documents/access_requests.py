"""Owns the PDF summary of a data access request: who, when, and what kinds of data are held.

The full data travels beside it as JSON; the summary lists the data subject's personal details
and the number of records per kind of data, with the names of the kinds in the reader's language
(a table without a name of its own is shown by its technical name).
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from core.documents.report_layout import esc, grid, paragraph, render_pdf, styles
from core.i18n import Catalogs
from core.services.access_requests import AccessExport

_DETAILS = ("given_name", "family_name", "birth_date", "phone", "email")


def render_summary(export: AccessExport, catalogs: Catalogs, lang: str) -> bytes:
    """The summary PDF in ``lang``."""
    s = styles()

    def t(key: str, **params: object) -> str:
        return catalogs.text(key, lang, **params)

    zone = ZoneInfo(export.time_zone)
    when = export.generated_at.astimezone(UTC).astimezone(zone).strftime("%d.%m.%Y %H:%M")
    story: list[Flowable] = [
        paragraph(esc(t("access_pdf.title")), s.title),
        paragraph(esc(t("access_pdf.school", school=export.school_name)), s.body),
        paragraph(esc(t("access_pdf.subject", name=export.subject_name)), s.body),
        paragraph(esc(t("access_pdf.requester", name=export.requester_name)), s.body),
        paragraph(esc(t("access_pdf.generated", at=when)), s.body),
        Spacer(1, 6),
        paragraph(esc(t("access_pdf.details")), s.heading),
    ]
    person = next(iter(export.tables.get("persons", ())), {})
    details = [[t(f"access_pdf.field.{name}"), str(person.get(name) or "—")] for name in _DETAILS]
    story.append(grid(details, header_rows=0, font_size=9, widths=[60 * mm, 100 * mm]))
    story += [Spacer(1, 6), paragraph(esc(t("access_pdf.kinds")), s.heading)]
    rows: list[list[str]] = [[t("access_pdf.col.kind"), t("access_pdf.col.records")]]
    for name, count in sorted(export.counts.items()):
        key = f"access_pdf.table.{name}"
        label = t(key) if catalogs.has(key, lang) else name
        rows.append([label, str(count)])
    story.append(grid(rows, font_size=9, widths=[110 * mm, 30 * mm], align_from=1))
    story += [Spacer(1, 8), paragraph(esc(t("access_pdf.footnote")), s.small)]
    return render_pdf(story, title=t("access_pdf.title"), footer=t("access_pdf.footer"))
