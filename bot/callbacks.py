"""Owns every inline-button payload: typed ``CallbackData`` within Telegram's 64 bytes.

Small integer ids and short enums only; untrusted input, so services decide access.
"""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

Language = Literal["lv", "en", "ru"]
CarerAction = Literal["list", "new", "ask_revoke", "revoke"]
PersonAction = Literal["ask_off", "ask_on", "off", "on"]
InvitePurpose = Literal["pupil", "guardian", "staff"]


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


class LogoutCb(CallbackData, prefix="lo"):
    """/logout: confirm (``yes``) or keep the connection (``no``)."""

    answer: Literal["yes", "no"]


class InvitesCb(CallbackData, prefix="iv"):
    """Invitation slips: the choice (``menu``, target 0) or one batch.

    ``target`` is a class id (parents, pupils) or a school id (staff); core checks both.
    """

    audience: Literal["menu", "parents", "pupils", "staff"]
    target: int


class ConnectionsCb(CallbackData, prefix="cn"):
    """The connection report: the overview (class 0) or one class."""

    class_id: int


class PersonCb(CallbackData, prefix="pp"):
    """A manager acts on a person found with /people: ask first, then do."""

    person_id: int
    action: PersonAction


class PersonInviteCb(CallbackData, prefix="pi"):
    """A manager issues one person's invitation."""

    person_id: int
    purpose: InvitePurpose


class CarersCb(CallbackData, prefix="cr"):
    """A parent's carers: the list (pupil 0), invite one, or revoke one (asked first)."""

    action: CarerAction
    pupil_id: int


class TimetableCb(CallbackData, prefix="tt"):
    """A week of a timetable: a pupil's (``p``) or a teacher's (``t``); ``day`` is an ordinal.

    Only ids and a date: core decides whether the person pressing may see that week.
    """

    whose: Literal["p", "t"]
    person_id: int
    day: int


class TimetableImportCb(CallbackData, prefix="ti"):
    """The superuser's answer to a timetable preview: apply the pending file, or drop it."""

    action: Literal["apply", "cancel"]


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (
    MenuCb,
    MarksCb,
    AbsencesCb,
    LanguageCb,
    LogoutCb,
    InvitesCb,
    ConnectionsCb,
    PersonCb,
    PersonInviteCb,
    CarersCb,
    TimetableCb,
    TimetableImportCb,
)
