"""Reading invitation slips back: each slip's text and the QR codes decoded from its area."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

from core.documents.slips import COLUMNS, ROWS

SCALE = 3  # 216 dpi: a QR module is several pixels wide


@dataclass(frozen=True)
class ReadSlip:
    page: int
    text: str
    codes: tuple[str, ...]


def all_text(pdf: bytes) -> str:
    """The document's text as pypdf extracts it (fonts embedded, Unicode mapped)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def read_slips(pdf: bytes) -> list[ReadSlip]:
    """Every slip that has text: its text and what the QR code in its cell decodes to."""
    found = []
    document = pdfium.PdfDocument(pdf)
    try:
        for number in range(len(document)):
            page = document[number]
            width, height = page.get_size()
            image = page.render(scale=SCALE).to_pil()
            text_page = page.get_textpage()
            cell_w, cell_h = width / COLUMNS, height / ROWS
            for row in range(ROWS):
                for column in range(COLUMNS):
                    left, top = column * cell_w, height - row * cell_h
                    text = text_page.get_text_bounded(
                        left=left, bottom=top - cell_h, right=left + cell_w, top=top
                    )
                    if not text.strip():
                        continue
                    crop = image.crop(
                        (
                            int(left * SCALE),
                            int(row * cell_h * SCALE),
                            int((left + cell_w) * SCALE),
                            int((row + 1) * cell_h * SCALE),
                        )
                    )
                    codes = tuple(code.text for code in zxingcpp.read_barcodes(crop))
                    found.append(ReadSlip(number, text, codes))
    finally:
        document.close()
    return found
