"""Owns every inline-button payload: typed ``CallbackData`` within Telegram's 64 bytes.

Small integer ids and short enums only; untrusted input, so services decide access.
"""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

Language = Literal["lv", "en", "ru"]


class MenuCb(CallbackData, prefix="mn"):
    """Back to the main menu."""


class MarksCb(CallbackData, prefix="mk"):
    """A pupil's marks this semester."""

    pupil_id: int


class AbsencesCb(CallbackData, prefix="ab"):
    """A pupil's absences this semester."""

    pupil_id: int


class LanguageCb(CallbackData, prefix="lng"):
    """Pick the language the bot speaks."""

    language: Language


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (MenuCb, MarksCb, AbsencesCb, LanguageCb)
