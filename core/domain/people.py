"""Owns the closed vocabularies of people data (staff roles, guardian relations) and phone form.

Standard library only; parsers and services map their own spellings onto these values.
"""

from __future__ import annotations

import re
from enum import StrEnum

_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s-]")


class StaffRole(StrEnum):
    """What a staff member does at school; a person may hold several roles."""

    TEACHER = "teacher"
    INTEREST_TEACHER = "interest_teacher"
    DEPUTY_DIRECTOR = "deputy_director"
    DIRECTOR = "director"


class GuardianRelation(StrEnum):
    """How a guardian is related to a pupil."""

    MOTHER = "mother"
    FATHER = "father"
    GUARDIAN = "guardian"
    OTHER = "other"


def normalize_phone(raw: str) -> str | None:
    """A Latvian phone number as ``+371XXXXXXXX``, or None when the text is not one.

    Accepts spaces and hyphens, ``+371``/``00371``/``371`` prefixes, or the eight national
    digits (starting with 2 for mobiles or 6 for landlines). One form for the people import and
    for the phone number a Telegram user shares, so that the two compare equal.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    international = compact.startswith(("+", "00"))
    digits = compact.removeprefix("+") if compact.startswith("+") else compact
    digits = digits.removeprefix("00") if international else digits
    national = ""
    if _DIGITS.fullmatch(digits):
        if digits.startswith("371") and len(digits) == 11:
            national = digits[3:]
        elif not international:
            national = digits
    if len(national) != 8 or national[0] not in "26":
        return None
    return "+371" + national
