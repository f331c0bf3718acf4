"""Per-school policy: the stored settings (validated with pydantic) become a SchoolPolicy."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.domain.attendance import AbsenceCode
from core.domain.mail import Audience, SenderKind
from core.domain.marks import MarkKind, MarkScale
from core.domain.policy import ScaleRule, SchoolPolicy, default_policy
from core.errors import InvalidInput


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleRuleSettings(_Model):
    """``{scale = "pass_fail", grades = [4, 9], subjects = ["SP"]}``."""

    scale: MarkScale
    grades: tuple[int, int]
    subjects: list[str] | None = None


class AbsenceCodeSettings(_Model):
    """One attendance code with its labels."""

    code: str = Field(min_length=1, max_length=3)
    lv: str
    en: str
    ru: str
    counts_as_absence: bool = True
    is_late: bool = False
    justified_by_default: bool = False


class MailContactsSettings(_Model):
    """Journal mail: whom each kind of sender may write to (a kind left out keeps the default)."""

    guardian: list[Audience] | None = None
    pupil: list[Audience] | None = None
    teacher: list[Audience] | None = None
    administration: list[Audience] | None = None


class PrivacyPolicySettings(_Model):
    """``[privacy]``: how the school answers data access requests."""

    access_requests_need_approval: bool | None = None


class PolicySettings(_Model):
    """What a school may configure (domain.md §2.4); anything left out keeps the default."""

    scale_rules: list[ScaleRuleSettings] | None = None
    counted_kinds: list[MarkKind] | None = None
    percent_as_ten_point: bool | None = None
    absence_codes: list[AbsenceCodeSettings] | None = None
    attendance_cycle: list[str] | None = None
    unjustified_threshold: int | None = None
    note_max_days: int | None = None
    note_max_days_ahead: int | None = None
    note_max_days_back: int | None = None
    pupils_may_submit_notes: bool | None = None
    semester_marks_grades: list[int] | None = None
    nv_replace_days: int | None = None
    invite_days: int | None = None
    mail_contacts: MailContactsSettings | None = None
    privacy: PrivacyPolicySettings | None = None


def policy_from_settings(raw: Mapping[str, Any]) -> SchoolPolicy:
    """Build and validate a school's policy; bad settings raise ``policy.invalid``.

    Most requests read their school's policy: the same stored settings are validated once per
    process (the result is immutable; settings are told apart by their JSON text).
    """
    try:
        key = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON (never stored like this): validate as given
        return _policy_from_settings(raw)
    return _cached_policy(key)


@functools.lru_cache(maxsize=256)
def _cached_policy(key: str) -> SchoolPolicy:
    return _policy_from_settings(json.loads(key))


def _policy_from_settings(raw: Mapping[str, Any]) -> SchoolPolicy:
    try:
        settings = PolicySettings.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidInput("policy.invalid", detail=str(exc.errors()[0]["msg"])) from exc
    base = default_policy()
    changes: dict[str, Any] = {}
    if settings.scale_rules is not None:
        changes["scale_rules"] = tuple(
            ScaleRule(
                r.scale,
                r.grades[0],
                r.grades[1],
                frozenset(r.subjects) if r.subjects is not None else None,
            )
            for r in settings.scale_rules
        )
    if settings.counted_kinds is not None:
        changes["counted_kinds"] = frozenset(settings.counted_kinds)
    if settings.absence_codes is not None:
        changes["absence_codes"] = tuple(
            AbsenceCode.of(
                c.code,
                {"lv": c.lv, "en": c.en, "ru": c.ru},
                counts_as_absence=c.counts_as_absence,
                is_late=c.is_late,
                justified_by_default=c.justified_by_default,
            )
            for c in settings.absence_codes
        )
    if settings.attendance_cycle is not None:
        changes["attendance_cycle"] = tuple(settings.attendance_cycle)
    if settings.mail_contacts is not None:
        chosen = {
            kind: audiences
            for kind in SenderKind
            if (audiences := getattr(settings.mail_contacts, kind.value)) is not None
        }
        changes["mail_contacts"] = base.mail_contacts.overridden(chosen)
    if settings.privacy is not None and settings.privacy.access_requests_need_approval is not None:
        changes["access_requests_need_approval"] = settings.privacy.access_requests_need_approval
    if settings.semester_marks_grades is not None:
        changes["semester_marks_grades"] = frozenset(settings.semester_marks_grades)
    for name in (
        "percent_as_ten_point",
        "unjustified_threshold",
        "note_max_days",
        "note_max_days_ahead",
        "note_max_days_back",
        "pupils_may_submit_notes",
        "nv_replace_days",
        "invite_days",
    ):
        value = getattr(settings, name)
        if value is not None:
            changes[name] = value
    policy = _replace(base, changes)
    policy.validate()
    return policy


def normalized_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The settings as they will be stored: validated, defaults left out, JSON-ready."""
    policy_from_settings(raw)
    return PolicySettings.model_validate(dict(raw)).model_dump(mode="json", exclude_none=True)


def _replace(policy: SchoolPolicy, changes: Mapping[str, Any]) -> SchoolPolicy:
    from dataclasses import replace  # noqa: PLC0415 (keeps the module's public imports small)

    return replace(policy, **changes)
