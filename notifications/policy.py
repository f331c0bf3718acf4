"""Owns who hears about what, and when: recipients, preferences, quiet hours, grace, keys.

Pure functions over frozen values: no I/O, no clock (``now`` arrives as an argument), no texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from notifications.records import Account, Recipient, Status
from notifications.settings import NotificationsSettings


class Mode(StrEnum):
    """How a person wants to hear about one kind of news."""

    INSTANT = "instant"
    DIGEST = "digest"
    OFF = "off"


class Topic(StrEnum):
    """Kinds of news a person can set a preference for (``preferences["notify"][topic]``)."""

    MARK = "mark"
    ABSENCE = "absence"
    HOMEWORK = "homework"
    NEWS = "news"


@dataclass(frozen=True, slots=True)
class Rules:
    """The school-wide defaults fan-out applies when a person chose nothing."""

    default_modes: Mapping[Topic, Mode]
    notify_pupils: Mapping[Topic, bool]
    quiet_from: time
    quiet_to: time
    grace: Mapping[Topic, timedelta]
    digest_at: time = time(18, 0)

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> Rules:
        """The rules configured in ``[notifications]``."""
        return cls(
            default_modes={
                Topic.MARK: Mode(settings.mark_mode),
                Topic.ABSENCE: Mode(settings.absence_mode),
                Topic.HOMEWORK: Mode(settings.homework_mode),
                Topic.NEWS: Mode(settings.news_mode),
            },
            notify_pupils={
                Topic.MARK: settings.notify_pupils_of_marks,
                Topic.ABSENCE: settings.notify_pupils_of_absences,
                Topic.HOMEWORK: settings.notify_pupils_of_homework,
                Topic.NEWS: True,
            },
            quiet_from=settings.quiet_from,
            quiet_to=settings.quiet_to,
            grace={
                Topic.MARK: timedelta(minutes=settings.mark_grace_minutes),
                Topic.ABSENCE: timedelta(0),
                Topic.HOMEWORK: timedelta(0),
                Topic.NEWS: timedelta(0),
            },
            digest_at=settings.digest_time,
        )


@dataclass(frozen=True, slots=True)
class Cause:
    """The event a delivery is about, reduced to what the policy needs.

    ``ref`` identifies the thing (a mark id, an attendance id); ``version`` orders corrections
    of the same thing (a mark's revision). Only versioned causes are replaceable.
    """

    topic: Topic
    event_id: int
    ref: int
    pupil_id: int
    actor_id: int | None
    zone: ZoneInfo
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One delivery to write, or a pending one to rewrite.

    ``key`` is the delivery's idempotency key. ``candidates`` lists keys of earlier versions of
    the same news for the same person: if one of them is still pending it is rewritten instead
    of writing ``key`` (the grace-period correction).
    """

    recipient: Recipient
    key: str
    status: Status
    not_before: datetime
    language: str
    candidates: tuple[str, ...] = ()


def preference(account: Account | None, topic: Topic, rules: Rules) -> Mode:
    """The person's own choice for ``topic``, else the school default."""
    chosen: Any = None
    if account is not None:
        notify = account.preferences.get("notify")
        if isinstance(notify, Mapping):
            chosen = notify.get(topic.value)
    try:
        return Mode(chosen) if chosen is not None else rules.default_modes[topic]
    except ValueError:
        return rules.default_modes[topic]


def digest_time(account: Account | None, rules: Rules) -> time:
    """When the person's daily digest comes: their ``preferences["digest_at"]``, else the default.

    A stored value that is not a time ("HH:MM") falls back to the default.
    """
    chosen = None if account is None else account.preferences.get("digest_at")
    if isinstance(chosen, str):
        try:
            return time.fromisoformat(chosen).replace(second=0, microsecond=0, tzinfo=None)
        except ValueError:
            pass
    return rules.digest_at


def quiet_window(account: Account | None, rules: Rules) -> tuple[time, time]:
    """The person's quiet hours, else the default; equal ends mean no quiet hours."""
    if account is not None and account.quiet_from is not None and account.quiet_to is not None:
        return account.quiet_from, account.quiet_to
    return rules.quiet_from, rules.quiet_to


def quiet_until(instant: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """When the quiet hours that hold ``instant`` end (UTC), or None outside quiet hours.

    Quiet hours run from ``start`` to ``end`` in ``zone``, across midnight when ``start`` is
    later than ``end`` (21:00-07:00).
    """
    if start == end:
        return None
    local = instant.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:
        if start <= now < end:
            return _at(day, end, zone)
        return None
    if now >= start:
        return _at(day + timedelta(days=1), end, zone)
    if now < end:
        return _at(day, end, zone)
    return None


def _at(day: Any, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def release_time(
    now: datetime, zone: ZoneInfo, grace: timedelta, window: tuple[time, time]
) -> datetime:
    """When an instant message may go: after the grace period and outside quiet hours."""
    due = now + grace
    return quiet_until(due, zone, *window) or due


def delivery_key(cause: Cause, person_id: int, version: int | None = None) -> str:
    """The idempotency key: the cause (and its version after the first) and the recipient."""
    base = f"{cause.topic.value}:{cause.ref}:p{person_id}"
    if cause.version is None:
        return f"{base}:e{cause.event_id}"
    version = cause.version if version is None else version
    return base if version <= 1 else f"{base}:r{version}"


def audience(
    cause: Cause, guardians: Sequence[Recipient], pupil: Recipient | None, rules: Rules
) -> list[Recipient]:
    """Who hears about the cause: the pupil's guardians, and the pupil if configured.

    Never the person who caused the event, never an inactive person, each person once.
    """
    people = list(guardians)
    if pupil is not None and rules.notify_pupils[cause.topic]:
        people.append(pupil)
    chosen: list[Recipient] = []
    seen: set[int] = set()
    for person in people:
        if person.person_id in seen or person.person_id == cause.actor_id or not person.active:
            continue
        seen.add(person.person_id)
        chosen.append(person)
    return chosen


def decide(
    cause: Cause,
    guardians: Sequence[Recipient],
    pupil: Recipient | None,
    rules: Rules,
    *,
    now: datetime,
    default_language: str = "lv",
) -> list[Decision]:
    """The deliveries one event causes, one per recipient (people who turned it off: none)."""
    decisions: list[Decision] = []
    for person in audience(cause, guardians, pupil, rules):
        account = person.account
        mode = preference(account, cause.topic, rules)
        if mode is Mode.OFF:
            continue
        if account is None or account.status == "unlinked":
            status, due = Status.NOT_CONNECTED, now
        elif account.status == "unreachable":
            status, due = Status.UNREACHABLE, now
        elif mode is Mode.DIGEST:
            status, due = Status.DIGEST, now
        else:
            window = quiet_window(account, rules)
            status = Status.QUEUED
            due = release_time(now, cause.zone, rules.grace[cause.topic], window)
        candidates: tuple[str, ...] = ()
        if cause.version is not None and cause.version > 1:
            candidates = tuple(
                delivery_key(cause, person.person_id, v) for v in range(1, cause.version + 1)
            )
        decisions.append(
            Decision(
                recipient=person,
                key=delivery_key(cause, person.person_id),
                status=status,
                not_before=due,
                language=account.language if account is not None else default_language,
                candidates=candidates,
            )
        )
    return decisions


def direct(
    account: Account | None, rules: Rules, *, zone: ZoneInfo, now: datetime
) -> tuple[Status, datetime]:
    """Status and release time of a message everyone concerned gets (no preference applies).

    The timetable push, its reminder and school news: no account → ``not_connected``, an
    unreachable account → ``unreachable`` (both recorded, never sent); otherwise queued now, or
    when the person's quiet hours end. Never held for a digest: these are time-critical.
    """
    if account is None or account.status == "unlinked":
        return Status.NOT_CONNECTED, now
    if account.status == "unreachable":
        return Status.UNREACHABLE, now
    return Status.QUEUED, quiet_until(now, zone, *quiet_window(account, rules)) or now


def chosen(
    account: Account | None, topic: Topic, rules: Rules, *, zone: ZoneInfo, now: datetime
) -> tuple[Status, datetime] | None:
    """Status and release time of a message to everyone concerned, by the person's preference.

    School news: like :func:`direct`, but a person who turned the topic off gets nothing (None)
    and one who chose the digest gets it held for their digest.
    """
    mode = preference(account, topic, rules)
    if mode is Mode.OFF:
        return None
    status, due = direct(account, rules, zone=zone, now=now)
    if status is Status.QUEUED and mode is Mode.DIGEST:
        return Status.DIGEST, now
    return status, due
