"""Notification preferences: what a person hears about, how, when, and when not (own account only).

Stored on the account, in the shape the notifications engine reads (``notifications.policy``):
``accounts.preferences`` = ``{"notify": {"mark": "instant"|"digest"|"off", ...}, "digest_at":
"HH:MM"}`` and ``accounts.quiet_from``/``quiet_to`` (both empty: the school default; equal: no
quiet hours). A key that is absent means "the school default" (``[notifications]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time
from typing import Any

from core.domain.access import Viewer
from core.domain.records import AuditRecord
from core.errors import InvalidInput, NotFound
from core.ports import AccountSettings, UnitOfWork

# Kinds of news a person may choose for, and how (``notifications.policy.Topic`` / ``Mode``).
MARK, ABSENCE, HOMEWORK, NEWS = "mark", "absence", "homework", "news"
TOPICS: tuple[str, ...] = (MARK, ABSENCE, HOMEWORK, NEWS)
INSTANT, DIGEST, OFF = "instant", "digest", "off"
MODES: tuple[str, ...] = (INSTANT, DIGEST, OFF)

# A digest time a person may choose: whole quarter hours from 06:00 to 22:00 (never 03:00-04:00,
# which DST days skip or repeat).
DIGEST_EARLIEST = time(6, 0)
DIGEST_LATEST = time(22, 0)
QUARTER = 15


@dataclass(frozen=True, slots=True)
class NotificationDefaults:
    """What the notifications engine does for people who chose nothing (``[notifications]``)."""

    modes: Mapping[str, str]
    quiet_from: time
    quiet_to: time
    digest_at: time


# The engine's shipped defaults (``notifications.settings``; a test keeps the two equal). The
# composition root hands in the configured ones.
DEFAULTS = NotificationDefaults(
    modes={MARK: INSTANT, ABSENCE: INSTANT, HOMEWORK: DIGEST, NEWS: INSTANT},
    quiet_from=time(21, 0),
    quiet_to=time(7, 0),
    digest_at=time(18, 0),
)


@dataclass(frozen=True, slots=True)
class TopicSetting:
    """How one kind of news reaches the person; ``chosen`` False: the school default applies."""

    topic: str
    mode: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """One account's notification settings, with the school defaults filled in.

    ``quiet`` is None when the person has no quiet hours; ``quiet_chosen`` and ``digest_chosen``
    are False when the school default applies.
    """

    account_id: int
    language: str
    topics: tuple[TopicSetting, ...]
    quiet: tuple[time, time] | None
    quiet_chosen: bool
    digest_at: time
    digest_chosen: bool

    def mode(self, topic: str) -> str | None:
        """The mode of one topic, None when the person cannot choose it."""
        return next((s.mode for s in self.topics if s.topic == topic), None)


def choosable_topics(viewer: Viewer) -> tuple[str, ...]:
    """The kinds of news this person hears about and may choose for.

    Guardians (and carers) hear of their children's marks, absences and homework; pupils of their
    own marks and homework (absence messages to pupils are the school's setting); everyone of a
    school hears its news. Timetable changes are duty messages: nobody turns them off.
    """
    topics: list[str] = []
    if viewer.children:
        topics += [MARK, ABSENCE, HOMEWORK]
    elif viewer.is_pupil:
        topics += [MARK, HOMEWORK]
    topics.append(NEWS)
    return tuple(topics)


async def notification_settings(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    account_id: int,
    defaults: NotificationDefaults = DEFAULTS,
) -> NotificationSettings:
    """The account's settings as the person sees them (only their own account)."""
    async with uow:
        account = await _own_account(uow, viewer, account_id, lock=False)
        await uow.commit()
    return _settings(account, viewer, defaults)


async def set_notification_mode(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    account_id: int,
    topic: str,
    mode: str,
    defaults: NotificationDefaults = DEFAULTS,
) -> NotificationSettings:
    """How the person hears about one kind of news: ``instant``, in the ``digest``, or ``off``."""
    if topic not in choosable_topics(viewer):
        raise InvalidInput("preferences.topic_unavailable")
    if mode not in MODES:
        raise InvalidInput("preferences.mode_invalid")
    async with uow:
        account = await _own_account(uow, viewer, account_id, lock=True)
        preferences = _copy(account.preferences)
        notify = preferences.setdefault("notify", {})
        before = notify.get(topic)
        if before != mode:
            notify[topic] = mode
            await uow.accounts.set_preferences(account.account_id, preferences)
            _audit(
                uow,
                viewer,
                account,
                "preferences.notify",
                before={topic: before},
                after={topic: mode},
            )
            account = replace(account, preferences=preferences)
        await uow.commit()
    return _settings(account, viewer, defaults)


async def set_quiet_hours(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    account_id: int,
    start: time | None,
    end: time | None,
    defaults: NotificationDefaults = DEFAULTS,
) -> NotificationSettings:
    """Quiet hours from ``start`` to ``end`` (across midnight when start is later).

    Both None: the school default; equal times: no quiet hours. Whole quarter hours only.
    """
    if (start is None) != (end is None):
        raise InvalidInput("preferences.quiet_invalid")
    if start is not None and end is not None and not (_quarter(start) and _quarter(end)):
        raise InvalidInput("preferences.quiet_invalid")
    async with uow:
        account = await _own_account(uow, viewer, account_id, lock=True)
        before = (account.quiet_from, account.quiet_to)
        if before != (start, end):
            await uow.accounts.set_quiet_hours(account.account_id, start, end)
            _audit(
                uow,
                viewer,
                account,
                "preferences.quiet_hours",
                before={"quiet": _span(*before)},
                after={"quiet": _span(start, end)},
            )
            account = replace(account, quiet_from=start, quiet_to=end)
        await uow.commit()
    return _settings(account, viewer, defaults)


async def set_digest_time(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    account_id: int,
    at: time | None,
    defaults: NotificationDefaults = DEFAULTS,
) -> NotificationSettings:
    """When the person's daily digest comes: a whole quarter hour from 06:00 to 22:00.

    None: the school's digest time.
    """
    if at is not None and not (_quarter(at) and DIGEST_EARLIEST <= at <= DIGEST_LATEST):
        raise InvalidInput(
            "preferences.digest_invalid",
            earliest=DIGEST_EARLIEST.strftime("%H:%M"),
            latest=DIGEST_LATEST.strftime("%H:%M"),
        )
    value = None if at is None else at.strftime("%H:%M")
    async with uow:
        account = await _own_account(uow, viewer, account_id, lock=True)
        preferences = _copy(account.preferences)
        before = preferences.get("digest_at")
        if before != value:
            if value is None:
                preferences.pop("digest_at", None)
            else:
                preferences["digest_at"] = value
            await uow.accounts.set_preferences(account.account_id, preferences)
            _audit(
                uow,
                viewer,
                account,
                "preferences.digest_time",
                before={"digest_at": before},
                after={"digest_at": value},
            )
            account = replace(account, preferences=preferences)
        await uow.commit()
    return _settings(account, viewer, defaults)


def stored_digest_time(preferences: Mapping[str, Any]) -> time | None:
    """The digest time stored in ``preferences["digest_at"]`` ("HH:MM"), None if absent or bad."""
    value = preferences.get("digest_at")
    if not isinstance(value, str):
        return None
    try:
        at = time.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(second=0, microsecond=0, tzinfo=None)


async def _own_account(
    uow: UnitOfWork, viewer: Viewer, account_id: int, *, lock: bool
) -> AccountSettings:
    """The account if it is the viewer's own and linked; else "not found" (no probing)."""
    if not viewer.active or viewer.person_id is None:
        raise NotFound("preferences.account_not_found")
    account = await uow.accounts.settings(account_id, lock=lock)
    if account is None or account.person_id != viewer.person_id or account.status == "unlinked":
        raise NotFound("preferences.account_not_found")
    return account


def _settings(
    account: AccountSettings, viewer: Viewer, defaults: NotificationDefaults
) -> NotificationSettings:
    notify = account.preferences.get("notify")
    chosen = notify if isinstance(notify, Mapping) else {}
    topics = []
    for topic in choosable_topics(viewer):
        mode = chosen.get(topic)
        if isinstance(mode, str) and mode in MODES:
            topics.append(TopicSetting(topic, mode, chosen=True))
        else:
            topics.append(TopicSetting(topic, defaults.modes[topic], chosen=False))
    quiet_chosen = account.quiet_from is not None and account.quiet_to is not None
    start, end = (
        (account.quiet_from, account.quiet_to)
        if quiet_chosen
        else (defaults.quiet_from, defaults.quiet_to)
    )
    digest = stored_digest_time(account.preferences)
    return NotificationSettings(
        account_id=account.account_id,
        language=account.language,
        topics=tuple(topics),
        quiet=None if start == end or start is None or end is None else (start, end),
        quiet_chosen=quiet_chosen,
        digest_at=digest or defaults.digest_at,
        digest_chosen=digest is not None,
    )


def _audit(
    uow: UnitOfWork,
    viewer: Viewer,
    account: AccountSettings,
    action: str,
    *,
    before: dict[str, object],
    after: dict[str, object],
) -> None:
    uow.audit(
        viewer,
        AuditRecord(
            action=action,
            entity="account",
            entity_id=account.account_id,
            school_id=None,
            subject_person_id=account.person_id,
            before=before,
            after=after,
        ),
    )


def _copy(preferences: Mapping[str, Any]) -> dict[str, Any]:
    """A copy deep enough to change ``notify`` without touching the stored mapping."""
    copied = dict(preferences)
    notify = copied.get("notify")
    copied["notify"] = dict(notify) if isinstance(notify, Mapping) else {}
    return copied


def _quarter(value: time) -> bool:
    return value.minute % QUARTER == 0 and value.second == 0 and value.microsecond == 0


def _span(start: time | None, end: time | None) -> str | None:
    if start is None or end is None:
        return None
    return f"{start.strftime('%H:%M')}-{end.strftime('%H:%M')}"
