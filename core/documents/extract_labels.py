"""Owns the progress extract's texts that need no PDF library: labels and file names.

The bot's screens and the notifications engine name months and files on every start, while
ReportLab (``core.documents.extracts``) loads only when a PDF is actually drawn.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from babel.numbers import format_decimal

from core.i18n import Catalogs
from core.services.extracts import ExtractData, Month


class Texts(Protocol):
    """Text in one language: ``t(key, **params)`` with the language it speaks."""

    @property
    def lang(self) -> str:
        """The language code (lv, en, ru)."""
        ...

    def __call__(self, key: str, /, **params: Any) -> str:
        """The text of ``key`` with ``params`` filled in."""
        ...


@dataclass(frozen=True, slots=True)
class DocumentTexts:
    """``Texts`` over the core catalogs (the console, the notifications engine, benchmarks)."""

    catalogs: Catalogs
    lang: str

    def __call__(self, key: str, /, **params: Any) -> str:
        """The text of ``key`` in ``lang``."""
        return self.catalogs.text(key, self.lang, **params)


def date_text(value: date) -> str:
    """'29.11.2026'."""
    return value.strftime("%d.%m.%Y")


def month_label(month: Month, t: Texts) -> str:
    """'2026. gada novembris', 'November 2026', 'ноябрь 2026'."""
    return t("extract.period.month", month=t(f"extract.month.{month.month}"), year=month.year)


def period_label(start: date, end: date, t: Texts) -> str:
    """The month's name when the range is a whole month, else the two dates."""
    month = Month.of(start)
    if (start, end) == (month.start, month.end):
        return month_label(month, t)
    return t("extract.period.range", start=date_text(start), end=date_text(end))


def number(value: Decimal, lang: str) -> str:
    """Two decimals in the language's notation: 7,40 (lv, ru) or 7.40 (en)."""
    return format_decimal(value, format="0.00", locale=lang)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._") else "-" for ch in bare)


def extract_filename(data: ExtractData, t: Texts) -> str:
    """'sekmju-izraksts-2026-11-Janis-Berzins.pdf' (ASCII: any device can save it)."""
    month = data.month
    period = month.iso if month is not None else f"{data.start:%Y%m%d}-{data.end:%Y%m%d}"
    name = _ascii(f"{data.given_name}-{data.family_name}").strip("-")
    return f"{t('extract.pdf.file')}-{period}-{name}.pdf"


def extracts_filename(class_name: str, start: date, end: date, t: Texts) -> str:
    """'sekmju-izraksti-5.a-2026-11.pdf'."""
    month = Month.of(start)
    period = month.iso if (start, end) == (month.start, month.end) else f"{start:%Y%m%d}"
    return f"{t('extract.pdf.file_many')}-{_ascii(class_name)}-{period}.pdf"
