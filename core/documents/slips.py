"""Owns the invitation slips: an A4 PDF of cut-out slips (name, QR code, link, expiry, how-to).

Pure rendering of service results: the font is DejaVu Sans, embedded from matplotlib's package
data (ReportLab's own fonts lack the Latvian letters); nothing is fetched at run time. The slip's
text is in the school's language (Latvian by default), from the core catalogs.
"""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from core.domain.invites import Purpose, deep_link
from core.i18n import Catalogs
from core.services.invites import IssuedInvite

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
COLUMNS, ROWS = 2, 4  # eight slips per A4 page
PAD = 14.0  # points inside each slip
QR_SIZE = 96.0  # points (about 34 mm): phones read it at arm's length
GREY = Color(0.45, 0.45, 0.45)
CUT = Color(0.7, 0.7, 0.7)


class FontMissing(RuntimeError):
    """The packaged DejaVu Sans font was not found (matplotlib is a runtime dependency)."""


@dataclass(frozen=True, slots=True)
class Slip:
    """One cut-out slip, every line ready to print."""

    heading: str  # the school
    name: str  # whom it is for
    detail: str  # the child (parents, carers), the class (pupils), or "staff"
    link: str  # the deep link, also in the QR code
    valid_until: str
    instructions: tuple[str, str]


def font_dir() -> Path:
    """Where matplotlib keeps its bundled TTF fonts (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FontMissing("matplotlib is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


@functools.cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) with ReportLab once per process."""
    folder = font_dir()
    for name, file in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        path = folder / file
        if not path.is_file():
            raise FontMissing(str(path))
        pdfmetrics.registerFont(TTFont(name, str(path)))


def invite_slips(
    invites: Sequence[IssuedInvite],
    *,
    school_name: str,
    bot_username: str,
    catalogs: Catalogs,
    lang: str,
) -> tuple[Slip, ...]:
    """The slips of issued invitations: each person's name, whom it is about, link and expiry."""

    def t(key: str, **params: object) -> str:
        return catalogs.text(key, lang, **params)

    slips = []
    for invite in invites:
        labels = ", ".join(
            f"{p.full_name} ({p.class_name})" if p.class_name else p.full_name
            for p in invite.pupils
        )
        if invite.purpose is Purpose.PUPIL:
            classes = ", ".join(p.class_name for p in invite.pupils if p.class_name)
            detail = t("slip.pupil", class_name=classes)
        elif invite.purpose is Purpose.STAFF:
            detail = t("slip.staff")
        elif invite.purpose is Purpose.CAREGIVER:
            detail = t("slip.carer", children=labels)
        else:
            detail = t("slip.parent", children=labels)
        slips.append(
            Slip(
                heading=school_name,
                name=invite.full_name,
                detail=detail,
                link=deep_link(bot_username, invite.code),
                valid_until=t("slip.valid_until", date=invite.last_day.strftime("%d.%m.%Y")),
                instructions=(t("slip.instruction_1"), t("slip.instruction_2")),
            )
        )
    return tuple(slips)


def render_slips(slips: Sequence[Slip], *, title: str) -> bytes:
    """An A4 PDF with eight slips per page and dashed cutting lines."""
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("ejournal")
    page_w, page_h = A4
    cell_w, cell_h = page_w / COLUMNS, page_h / ROWS
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(slips), 1), per_page):
        _cut_lines(canvas, page_w, page_h, cell_w, cell_h)
        for index, slip in enumerate(slips[start : start + per_page]):
            column, row = index % COLUMNS, index // COLUMNS
            box = (column * cell_w, page_h - (row + 1) * cell_h, cell_w, cell_h)
            _draw_slip(canvas, slip, box)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _cut_lines(canvas: Canvas, page_w: float, page_h: float, cell_w: float, cell_h: float) -> None:
    canvas.saveState()
    canvas.setStrokeColor(CUT)
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    for column in range(1, COLUMNS):
        canvas.line(column * cell_w, 0, column * cell_w, page_h)
    for row in range(1, ROWS):
        canvas.line(0, row * cell_h, page_w, row * cell_h)
    canvas.restoreState()


def _draw_slip(canvas: Canvas, slip: Slip, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    left, right, top = x + PAD, x + w - PAD, y + h - PAD
    width = right - left
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 8)
    canvas.drawString(left, top - 8, _fit(slip.heading, FONT, 8, width))
    canvas.setFillColor(black)
    size = _shrink(slip.name, BOLD, 13, width)
    canvas.setFont(BOLD, size)
    canvas.drawString(left, top - 26, slip.name)
    cursor = top - 40
    canvas.setFont(FONT, 9)
    for line in simpleSplit(slip.detail, FONT, 9, width)[:2]:
        canvas.drawString(left, cursor, line)
        cursor -= 11
    qr_top = cursor - 2
    _draw_qr(canvas, slip.link, left, qr_top - QR_SIZE, QR_SIZE)
    text_left = left + QR_SIZE + 10
    text_width = right - text_left
    canvas.setFont(BOLD, 9)
    line_y = qr_top - 10
    for line in simpleSplit(slip.valid_until, BOLD, 9, text_width):
        canvas.drawString(text_left, line_y, line)
        line_y -= 11
    line_y -= 4
    canvas.setFont(FONT, 8)
    for number, instruction in enumerate(slip.instructions, start=1):
        for line in simpleSplit(f"{number}. {instruction}", FONT, 8, text_width):
            canvas.drawString(text_left, line_y, line)
            line_y -= 10
        line_y -= 2
    link_size = _shrink(slip.link, FONT, 7.5, width)
    canvas.setFont(FONT, link_size)
    canvas.drawString(left, y + PAD - 2, slip.link)


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (crisp at any print size), with a white quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    module = size / len(matrix)
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for r, cells in enumerate(matrix):
        for c, dark in enumerate(cells):
            if dark:
                path.rect(x + c * module, y + size - (r + 1) * module, module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _shrink(text: str, font: str, size: float, width: float, smallest: float = 6.0) -> float:
    """The largest size up to ``size`` (not below ``smallest``) at which ``text`` fits."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
