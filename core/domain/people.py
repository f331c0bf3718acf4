"""Owns the closed vocabularies of people data: staff roles and guardian relations.

Standard library only; parsers and services map their own spellings onto these values.
"""

from __future__ import annotations

from enum import StrEnum


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
