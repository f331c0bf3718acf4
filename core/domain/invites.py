"""Owns the rules of connecting accounts: invitation codes and their state, attempts, deadlines.

Pure: codes take their randomness from ``secrets`` and only a SHA-256 hash of a code is ever kept.
Nothing here stores, sends or knows a Telegram library; a deep link is just a URL format.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

CODE_BYTES = 12
"""Random bytes per code: 96 bits, written as 16 URL-safe base64 characters."""

DEFAULT_INVITE_DAYS = 14
"""How many days an invitation stays valid when the school has not set ``invite_days``."""

MAX_FAILED_ATTEMPTS = 5
"""Failed attempts (wrong codes, unmatched phones) a Telegram user may make per window."""

ATTEMPT_WINDOW = timedelta(hours=1)
"""The sliding window in which failed attempts are counted."""

CONNECT_WITHIN = timedelta(days=7)
"""Rule 2.2: newly arrived pupils and their parents are connected within one week."""

# Telegram's deep-link payload: up to 64 characters of A-Z, a-z, 0-9, _ and -.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


class Purpose(StrEnum):
    """Whom an invitation connects: the person's role at the moment it was issued."""

    PUPIL = "pupil"
    GUARDIAN = "guardian"
    STAFF = "staff"
    CAREGIVER = "caregiver"  # a read-only carer named by a guardian


class InviteState(StrEnum):
    """Where an invitation stands."""

    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


class LinkOutcome(StrEnum):
    """What one attempt to connect a Telegram account came to (the brute-force ledger)."""

    LINKED = "linked"
    UNKNOWN = "unknown"  # no invitation has this code
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"  # revoked, replaced by a newer one, or the person was deactivated
    OTHER_PERSON = "other_person"  # the account is already linked to somebody else
    NOT_OWN_PHONE = "phone_not_own"  # a forwarded contact, not the sender's own
    NO_MATCH = "phone_no_match"
    AMBIGUOUS = "phone_ambiguous"  # the number is recorded for several people
    LIMITED = "limited"  # refused unchecked: too many failed attempts in the window

    @property
    def counts_as_failure(self) -> bool:
        """Whether the attempt counts toward the limit (checked and failed)."""
        return self not in (LinkOutcome.LINKED, LinkOutcome.LIMITED)


FAILED_OUTCOMES: frozenset[str] = frozenset(o.value for o in LinkOutcome if o.counts_as_failure)


def new_code() -> str:
    """A fresh, unguessable invitation code (96 bits), valid as a deep-link payload."""
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """The SHA-256 hex digest a code is stored as.

    No salt is needed: codes carry 96 random bits, so the hash cannot be reversed by guessing.
    """
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def clean_payload(text: str | None) -> str | None:
    """The payload of ``/start <payload>`` if it could be a code at all, else None."""
    if text is None:
        return None
    text = text.strip()
    return text if _PAYLOAD.fullmatch(text) else None


def invite_state(
    *,
    expires_at: datetime,
    used_at: datetime | None,
    revoked_at: datetime | None,
    now: datetime,
) -> InviteState:
    """The state of an invitation at ``now``: used and revoked win over expired."""
    if used_at is not None:
        return InviteState.USED
    if revoked_at is not None:
        return InviteState.REVOKED
    if now >= expires_at:
        return InviteState.EXPIRED
    return InviteState.VALID


def is_locked(failures_in_window: int) -> bool:
    """Whether the next attempt must be refused without being checked."""
    return failures_in_window >= MAX_FAILED_ATTEMPTS


def expiry(now: datetime, zone: ZoneInfo, days: int) -> tuple[datetime, date]:
    """When an invitation issued at ``now`` expires: the end of its last valid day.

    Returns the instant (the start of the following day in the school's zone, in UTC as every
    stored instant) and the last valid date, which is what a slip prints.
    """
    last_day = now.astimezone(zone).date() + timedelta(days=days)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    return end.astimezone(UTC), last_day


def last_valid_day(expires_at: datetime, zone: ZoneInfo) -> date:
    """The last date an invitation can be used, in the school's zone."""
    return (expires_at.astimezone(zone) - timedelta(microseconds=1)).date()


def valid_bot_username(name: str) -> bool:
    """Whether ``name`` (without @) is shaped like a Telegram bot username."""
    return bool(_BOT_USERNAME.fullmatch(name)) and name.lower().endswith("bot")


def deep_link(bot_username: str, code: str) -> str:
    """The link that opens the bot with ``/start <code>``."""
    return f"https://t.me/{bot_username}?start={code}"


def connection_due(enrolled_on: date, year_starts_on: date) -> date | None:
    """Rule 2.2's deadline for a pupil (and their parents), or None when it does not apply.

    Only newly arrived pupils have one: those whose enrolment began after the first day of the
    school year. Pupils enrolled from the start are connected under rule 2.1 (the class teacher
    introduces the journal at the start of the year).
    """
    if enrolled_on <= year_starts_on:
        return None
    return enrolled_on + CONNECT_WITHIN
