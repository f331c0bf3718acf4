"""Owns the shared pieces of every screen: the Screen type, escaping, dates and numbers.

Pure functions only: no I/O, no aiogram calls beyond building markup objects.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from babel.numbers import format_decimal

from bot.callbacks import MenuCb
from bot.i18n import Translator

MAX_TEXT = 4096  # Telegram's limit for a message text, after entity parsing


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True, slots=True)
class Screen:
    """What a handler sends: HTML text and an optional keyboard.

    The keyboard is inline buttons, or the reply keyboard with the "share my phone number"
    button, or the removal of that keyboard.
    """

    text: str
    keyboard: Markup | None = None


def esc(value: object) -> str:
    """HTML-escape anything that came from data (names, subjects, titles)."""
    return html.escape(str(value), quote=False)


def day(value: date) -> str:
    """A date as Latvian documents write it: 27.11.2026."""
    return value.strftime("%d.%m.%Y")


def short_day(value: date) -> str:
    """A date without the year: 27.11."""
    return value.strftime("%d.%m.")


def decimal(value: Decimal, lang: str) -> str:
    """A two-decimal number in the language's notation (7,50 in lv/ru, 7.50 in en)."""
    return format_decimal(value, format="0.00", locale=lang)


def menu_row(t: Translator) -> list[InlineKeyboardButton]:
    """A row with the "main menu" button."""
    return [InlineKeyboardButton(text=t("menu.button"), callback_data=MenuCb().pack())]


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    """Markup from rows, or None when there are no buttons."""
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def fit(lines: list[str], more: str) -> str:
    """Join lines; trailing ones give way to ``more`` when the text is over the limit."""
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    kept: list[str] = []
    budget = MAX_TEXT - len(more) - 1
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > budget:
            break
        kept.append(line)
    return "\n".join([*kept, more])
