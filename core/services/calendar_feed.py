"""Personal iCalendar feeds: a secret, revocable URL with a pupil's lessons and homework due dates.

A pupil, or a guardian with full rights, creates a link for the pupil; the link carries a random
token (32 bytes, URL-safe) that is shown once and never stored: only its SHA-256 hash is kept.
Calendar apps fetch ``render_feed`` by the token (a system read: no viewer). Every fetch checks
that the feed is live and that its owner still may follow the pupil (a guardian whose rights
ended, a deactivated person or a revoked link all read as "not found").

The feed is RFC 5545 text written here: lessons from the week two weeks back to the week four
weeks ahead (the semester timetable with the published changes: a cancelled or moved-away lesson
stays as STATUS:CANCELLED, substitutions and room changes in the description, the room as
LOCATION, times from the school's bells converted to UTC), and homework as all-day events on the
day it is due. UIDs depend on the pupil, the date, the period and the group (lessons) or the
lesson (homework), so calendar apps update events in place.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from core.domain.access import Viewer, may_write_to_pupil
from core.domain.records import AuditRecord, PupilSummary
from core.errors import Conflict, NotAllowed, NotFound
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogs
from core.ports import CalendarFeedRecord, HomeworkDue, UnitOfWork
from core.services.guards import pupil_scope
from core.services.timetable import TimetableEntry, WeekTimetable, read_week

MAX_LIVE_FEEDS = 5
"""Live links one person may hold for one pupil (a phone, a computer, a tablet, ...)."""

TOKEN_BYTES = 32
"""Random bytes per token: written as 43 URL-safe base64 characters."""

TOUCH_EVERY = timedelta(hours=1)
"""``last_used_at`` is written at most this often (calendar apps poll every few minutes)."""

WEEKS_BACK = 2
WEEKS_AHEAD = 4
FOLD_AT = 75  # octets per content line, CRLF excluded (RFC 5545 §3.1)
SUMMARY_HOMEWORK_CHARS = 80
PRODID = "-//ejournal//Calendar feed 1.0//LV"

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

Translate = Callable[..., str]


class CreatedFeed(NamedTuple):
    """A new feed: its id and the token, shown once (only its hash is stored)."""

    feed_id: int
    token: str


@dataclass(frozen=True, slots=True)
class FeedLink:
    """One live link as its owner sees it: when it was made and when a calendar last read it."""

    feed_id: int
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class PupilFeeds:
    """The viewer's live links for one pupil; ``time_zone`` is the school's (to show dates)."""

    pupil: PupilSummary
    links: tuple[FeedLink, ...]
    time_zone: str
    max_links: int = MAX_LIVE_FEEDS

    @property
    def can_add(self) -> bool:
        """Whether another link may be made."""
        return len(self.links) < self.max_links


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a token: all that is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh, unguessable token (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


async def create_feed(uow: UnitOfWork, viewer: Viewer, *, pupil_id: int) -> CreatedFeed:
    """A new feed link of a pupil for the viewer: the pupil themselves or a full guardian.

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not see the pupil.
        NotAllowed: ``calendar.read_only`` (a carer), ``calendar.family_only`` (staff).
        Conflict: ``calendar.too_many`` with ``MAX_LIVE_FEEDS`` links already live.
    """
    async with uow:
        owner, school_id = await _subscriber(uow, viewer, pupil_id)
        live = await uow.calendar_feeds.live(owner, pupil_id)
        if len(live) >= MAX_LIVE_FEEDS:
            raise Conflict("calendar.too_many", max=MAX_LIVE_FEEDS)
        token = new_token()
        feed = await uow.calendar_feeds.add(
            person_id=owner, pupil_id=pupil_id, token_hash=token_hash(token), now=uow.clock.now()
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="calendar.create",
                entity="calendar_feed",
                entity_id=feed.id,
                school_id=school_id,
                subject_person_id=pupil_id,
            ),
        )
        await uow.commit()
        return CreatedFeed(feed.id, token)


async def revoke_feed(uow: UnitOfWork, viewer: Viewer, *, feed_id: int) -> CalendarFeedRecord:
    """End one of the viewer's own links at once: calendars reading it get "not found".

    Raises:
        NotFound: ``calendar.feed_not_found`` for someone else's link, an unknown id or a link
            already revoked.
    """
    async with uow:
        feed = await uow.calendar_feeds.feed(feed_id)
        if (
            feed is None
            or feed.revoked_at is not None
            or not viewer.active
            or viewer.person_id is None
            or feed.person_id != viewer.person_id
        ):
            raise NotFound("calendar.feed_not_found")
        now = uow.clock.now()
        await uow.calendar_feeds.revoke(feed.id, now)
        summaries = await uow.directory.pupil_summaries([feed.pupil_id])
        uow.audit(
            viewer,
            AuditRecord(
                action="calendar.revoke",
                entity="calendar_feed",
                entity_id=feed.id,
                school_id=summaries[0].school_id if summaries else None,
                subject_person_id=feed.pupil_id,
            ),
        )
        await uow.commit()
        return CalendarFeedRecord(
            id=feed.id,
            person_id=feed.person_id,
            pupil_id=feed.pupil_id,
            created_at=feed.created_at,
            revoked_at=now,
            last_used_at=feed.last_used_at,
        )


async def my_feeds(uow: UnitOfWork, viewer: Viewer, *, pupil_id: int) -> PupilFeeds:
    """The viewer's live links for a pupil they may subscribe to (the same rule as creating).

    Raises:
        NotFound: ``pupil.not_found`` when the viewer may not see the pupil.
        NotAllowed: ``calendar.read_only``, ``calendar.family_only``.
    """
    async with uow:
        owner, school_id = await _subscriber(uow, viewer, pupil_id)
        live = await uow.calendar_feeds.live(owner, pupil_id)
        [pupil] = await uow.directory.pupil_summaries([pupil_id])
        school = await uow.directory.school(school_id)
        return PupilFeeds(
            pupil=pupil,
            links=tuple(FeedLink(f.id, f.created_at, f.last_used_at) for f in live),
            time_zone=school.time_zone if school else "Europe/Riga",
        )


async def render_feed(uow: UnitOfWork, *, token: str) -> bytes:
    """The iCalendar text (UTF-8) of the feed with this token; a system read by token.

    Records the fetch (``last_used_at``) at most once per ``TOUCH_EVERY``.

    Raises:
        NotFound: ``calendar.feed_not_found`` for a malformed, unknown or revoked token, when
            the owner may no longer follow the pupil, or when the pupil is deactivated.
    """
    if not _TOKEN.fullmatch(token):
        raise NotFound("calendar.feed_not_found")
    async with uow:
        feed = await uow.calendar_feeds.by_hash(token_hash(token))
        if feed is None or feed.revoked_at is not None:
            raise NotFound("calendar.feed_not_found")
        owner = await uow.directory.viewer(feed.person_id)
        facts = await uow.directory.pupil_facts(feed.pupil_id)
        pupil = await uow.directory.person(feed.pupil_id)
        if (
            owner is None
            or facts is None
            or pupil is None
            or not pupil.is_active  # a leaver's calendar ends for the family too
            or not facts.school_ids
            or _refusal(owner, facts.pupil_id, may_write_to_pupil(owner, facts)) is not None
        ):
            raise NotFound("calendar.feed_not_found")
        school_id = min(facts.school_ids)
        school = await uow.directory.school(school_id)
        zone = ZoneInfo(school.time_zone if school else "Europe/Riga")
        now = uow.clock.now()
        today = now.astimezone(zone).date()
        first = today - timedelta(days=today.weekday() + 7 * WEEKS_BACK)
        weeks = [
            await read_week(
                uow,
                school_id=school_id,
                person_id=feed.pupil_id,
                week_of=first + timedelta(weeks=n),
                pupil_id=feed.pupil_id,
            )
            for n in range(WEEKS_BACK + 1 + WEEKS_AHEAD)
        ]
        last = first + timedelta(weeks=WEEKS_BACK + 1 + WEEKS_AHEAD, days=-1)
        groups = await uow.timetable.pupil_groups(feed.pupil_id, first, last)
        homework = await uow.calendar_feeds.homework_due(groups, first, last)
        summaries = await uow.directory.pupil_summaries([feed.pupil_id])
        lang = await uow.calendar_feeds.language(feed.person_id)
        if lang not in LANGUAGES:
            lang = school.locale if school and school.locale in LANGUAGES else DEFAULT_LANGUAGE
        if feed.last_used_at is None or now - feed.last_used_at >= TOUCH_EVERY:
            await uow.calendar_feeds.touch(feed.id, now)
        await uow.commit()
    name = summaries[0].full_name if summaries else weeks[0].person_name
    class_name = summaries[0].class_name if summaries else None
    return calendar_text(
        _FeedContent(
            pupil_id=feed.pupil_id,
            name=name,
            class_name=class_name,
            zone=zone,
            weeks=tuple(weeks),
            homework=tuple(homework),
            stamp=now,
        ),
        _translator(lang),
    ).encode()


async def _subscriber(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> tuple[int, int]:
    """(the owner's person id, the pupil's school) when the viewer may hold a pupil's feed."""
    facts = await pupil_scope(uow, viewer, pupil_id)
    refusal = _refusal(viewer, pupil_id, may_write_to_pupil(viewer, facts))
    if refusal is not None:
        raise NotAllowed(refusal)
    if viewer.person_id is None or not facts.school_ids:  # pragma: no cover - refused above
        raise NotFound("pupil.not_found")
    return viewer.person_id, min(facts.school_ids)


def _refusal(viewer: Viewer, pupil_id: int, full_guardian: bool) -> str | None:
    """Why the viewer may not hold a feed of the pupil, or None: the pupil or a full guardian."""
    if not viewer.active or viewer.person_id is None:
        return "calendar.family_only"
    if viewer.person_id == pupil_id or full_guardian:
        return None
    if pupil_id in viewer.read_only_children:
        return "calendar.read_only"
    return "calendar.family_only"


# ------------------------------------------------------------------------------- the text


@dataclass(frozen=True, slots=True)
class _FeedContent:
    """Everything one feed shows."""

    pupil_id: int
    name: str
    class_name: str | None
    zone: ZoneInfo
    weeks: tuple[WeekTimetable, ...]
    homework: tuple[HomeworkDue, ...]
    stamp: datetime


@cache
def _catalogs() -> Catalogs:
    return Catalogs.load()


def _translator(lang: str) -> Translate:
    catalogs = _catalogs()

    def t(key: str, /, **params: object) -> str:
        return catalogs.text(key, lang, **params)

    return t


def calendar_text(content: _FeedContent, t: Translate) -> str:
    """The whole VCALENDAR: folded content lines joined with CRLF, ending with CRLF."""
    who = content.name + (f" ({content.class_name})" if content.class_name else "")
    title = t("calendar.ics.name", name=who)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(title)}",
        f"NAME:{escape_text(title)}",
        f"X-WR-CALDESC:{escape_text(t('calendar.ics.description', name=who))}",
        f"X-WR-TIMEZONE:{content.zone.key}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    stamp = _utc_stamp(content.stamp)
    for week in content.weeks:
        for day in week.days:
            for entry in day.entries:
                lines += _lesson_event(content, day.on, entry, stamp, t)
    for item in content.homework:
        lines += _homework_event(content, item, stamp, t)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _lesson_event(
    content: _FeedContent, on: date, entry: TimetableEntry, stamp: str, t: Translate
) -> list[str]:
    cancelled = entry.change in ("cancelled", "moved_away")
    summary = entry.subject
    if entry.change == "cancelled":
        summary = t("calendar.ics.cancelled", subject=entry.subject)
    elif entry.change == "moved_away":
        summary = t("calendar.ics.moved_away", subject=entry.subject)
    uid = _uid(f"lesson|{content.pupil_id}|{on.isoformat()}|{entry.period}|{entry.group_name}")
    event = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        *_when(on, entry.starts_at, entry.ends_at, content.zone),
        f"SUMMARY:{escape_text(summary)}",
    ]
    if entry.room:
        event.append(f"LOCATION:{escape_text(entry.room)}")
    event += [
        f"DESCRIPTION:{escape_text(chr(10).join(_lesson_details(entry, t)))}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return event


def _lesson_details(entry: TimetableEntry, t: Translate) -> list[str]:
    """The description: period, teachers and what changed, one fact per line."""
    lines = [t("calendar.ics.period", period=entry.period)]
    teachers = ", ".join(entry.teachers)
    if entry.change == "substituted":
        lines.append(
            t(
                "calendar.ics.substituted",
                teacher=teachers,
                original=", ".join(entry.original_teachers),
            )
        )
    elif teachers:
        lines.append(t("calendar.ics.teacher", teacher=teachers))
    if entry.original_room and entry.room and entry.original_room != entry.room:
        lines.append(t("calendar.ics.room_changed", original=entry.original_room, room=entry.room))
    if entry.change == "cancelled":
        lines.append(t("calendar.ics.cancelled_note"))
    elif entry.change == "moved_away" and entry.moved_to is not None:
        day, period = entry.moved_to
        lines.append(t("calendar.ics.moved_to", day=_dotted(day), period=period))
    elif entry.change == "moved_here" and entry.moved_from is not None:
        day, period = entry.moved_from
        lines.append(t("calendar.ics.moved_from", day=_dotted(day), period=period))
    elif entry.change == "extra":
        lines.append(t("calendar.ics.extra"))
    if entry.note:
        lines.append(t("calendar.ics.note", note=entry.note))
    return lines


def _homework_event(
    content: _FeedContent, item: HomeworkDue, stamp: str, t: Translate
) -> list[str]:
    first_line = " ".join(item.text.split())
    if len(first_line) > SUMMARY_HOMEWORK_CHARS:
        first_line = first_line[: SUMMARY_HOMEWORK_CHARS - 1].rstrip() + "…"
    summary = t("calendar.ics.homework", subject=item.subject, text=first_line)
    description = "\n".join(
        (item.text.strip(), t("calendar.ics.homework_set", day=_dotted(item.on)))
    )
    return [
        "BEGIN:VEVENT",
        f"UID:{_uid(f'homework|{content.pupil_id}|{item.lesson_id}')}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{item.due_on:%Y%m%d}",
        f"DTEND;VALUE=DATE:{item.due_on + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def _when(on: date, starts: time | None, ends: time | None, zone: ZoneInfo) -> list[str]:
    """DTSTART/DTEND in UTC from the bells; a lesson without bell times is an all-day event."""
    if starts is None or ends is None:
        return [
            f"DTSTART;VALUE=DATE:{on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{on + timedelta(days=1):%Y%m%d}",
        ]
    return [
        f"DTSTART:{_utc_stamp(datetime.combine(on, starts, tzinfo=zone))}",
        f"DTEND:{_utc_stamp(datetime.combine(on, ends, tzinfo=zone))}",
    ]


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uid(key: str) -> str:
    """A stable UID that names no person (a hash of what identifies the event)."""
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@ejournal"


def _dotted(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def escape_text(value: str) -> str:
    r"""A TEXT value (RFC 5545 §3.3.11): ``\`` ``;`` ``,`` escaped, newlines as ``\n``.

    Other control characters are dropped (content lines may not carry them).
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.

    Continuation lines start with one space, which counts toward their 75 octets.
    """
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, FOLD_AT
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, FOLD_AT - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)
