"""Owns the calendar link screens: whose links, a pupil's live links, the new link, revoking.

Pure functions over core's results. Every screen names the pupil; the new link's URL appears in
exactly one message (the token is not stored, so it cannot be shown again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton

from bot.callbacks import CalendarCb
from bot.i18n import Translator
from bot.journal import Child
from bot.views.common import Screen, day, esc, keyboard, menu_row
from core.services.accounts import Identity
from core.services.calendar_feed import FeedLink, PupilFeeds


@dataclass(frozen=True, slots=True)
class Target:
    """A pupil whose links the person may hold: themselves, or a child with full rights."""

    pupil_id: int
    label: str
    own: bool = False


def targets(identity: Identity, family: Sequence[Child]) -> tuple[Target, ...]:
    """The person's own calendar (a pupil) first, then each child they have full rights over.

    UX only: core decides on every call.
    """
    viewer = identity.viewer
    if not viewer.active:
        return ()
    found: list[Target] = []
    if viewer.is_pupil:
        found.append(Target(identity.person.id, identity.person.full_name, own=True))
    found += [
        Target(child.pupil_id, child.label)
        for child in family
        if child.pupil_id not in viewer.read_only_children
    ]
    return tuple(found)


def follows_calendar(identity: Identity) -> bool:
    """Whether /calendar has something for the person (a pupil, or a full guardian)."""
    viewer = identity.viewer
    return viewer.active and (viewer.is_pupil or bool(viewer.children - viewer.read_only_children))


def switched_off(t: Translator) -> Screen:
    """The feed server is off on this installation."""
    return Screen(t("calendar.off"))


def nobody(t: Translator) -> Screen:
    """A person with no calendar of their own and no child with full rights."""
    return Screen(t("calendar.nobody"))


def picker(found: Sequence[Target], t: Translator) -> Screen:
    """Whose links? The person's own first, then each child."""
    rows = [
        [
            InlineKeyboardButton(
                text=t("calendar.mine") if target.own else target.label,
                callback_data=CalendarCb(action="pupil", pupil_id=target.pupil_id).pack(),
            )
        ]
        for target in found
    ]
    return Screen(t("calendar.pick"), keyboard([*rows, menu_row(t)]))


def links_screen(feeds: PupilFeeds, t: Translator, *, notice: str | None = None) -> Screen:
    """The pupil's live links (made, last read) with "new link" and a revoke button per link."""
    zone = ZoneInfo(feeds.time_zone)
    lines = [t("calendar.title", name=esc(_label(feeds))), t("calendar.explain"), ""]
    if notice is not None:
        lines = [notice, "", *lines]
    if feeds.links:
        lines.append(t("calendar.links", count=len(feeds.links), max=feeds.max_links))
        lines += [_link_line(n, link, zone, t) for n, link in enumerate(feeds.links, 1)]
    else:
        lines.append(t("calendar.no_links"))
    if not feeds.can_add:
        lines += ["", t("calendar.full", max=feeds.max_links)]
    pupil_id = feeds.pupil.pupil_id
    rows: list[list[InlineKeyboardButton]] = []
    if feeds.can_add:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("calendar.new"),
                    callback_data=CalendarCb(action="new", pupil_id=pupil_id).pack(),
                )
            ]
        )
    rows += [
        [
            InlineKeyboardButton(
                text=t("calendar.revoke", number=number),
                callback_data=CalendarCb(
                    action="ask", pupil_id=pupil_id, feed_id=link.feed_id
                ).pack(),
            )
        ]
        for number, link in enumerate(feeds.links, 1)
    ]
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def created(url: str, feeds: PupilFeeds, t: Translator) -> Screen:
    """The new link, once, with how to add it to Google Calendar, an iPhone and Outlook."""
    pupil_id = feeds.pupil.pupil_id
    lines = [
        t("calendar.created_title", name=esc(_label(feeds))),
        "",
        t("calendar.url_intro"),
        f"<code>{esc(url)}</code>",
        "",
        t("calendar.once"),
        "",
        t("calendar.how_google"),
        t("calendar.how_iphone"),
        t("calendar.how_outlook"),
        "",
        t("calendar.refresh"),
    ]
    rows = [
        [
            InlineKeyboardButton(
                text=t("calendar.back"),
                callback_data=CalendarCb(action="pupil", pupil_id=pupil_id).pack(),
            )
        ],
        menu_row(t),
    ]
    return Screen("\n".join(lines), keyboard(rows))


def ask_revoke(feeds: PupilFeeds, feed_id: int, t: Translator) -> Screen | None:
    """Ask before revoking one of the listed links; None when it is not among them."""
    zone = ZoneInfo(feeds.time_zone)
    for number, link in enumerate(feeds.links, 1):
        if link.feed_id != feed_id:
            continue
        pupil_id = feeds.pupil.pupil_id
        rows = [
            [
                InlineKeyboardButton(
                    text=t("calendar.yes_revoke"),
                    callback_data=CalendarCb(
                        action="revoke", pupil_id=pupil_id, feed_id=feed_id
                    ).pack(),
                ),
                InlineKeyboardButton(
                    text=t("calendar.back"),
                    callback_data=CalendarCb(action="pupil", pupil_id=pupil_id).pack(),
                ),
            ]
        ]
        text = t(
            "calendar.ask_revoke",
            name=esc(_label(feeds)),
            number=number,
            created=day(_local(link.created_at, zone)),
        )
        return Screen(text, keyboard(rows))
    return None


def _label(feeds: PupilFeeds) -> str:
    pupil = feeds.pupil
    return f"{pupil.full_name} ({pupil.class_name})" if pupil.class_name else pupil.full_name


def _link_line(number: int, link: FeedLink, zone: ZoneInfo, t: Translator) -> str:
    if link.last_used_at is None:
        used = t("calendar.never_used")
    else:
        when = _local(link.last_used_at, zone)
        used = t("calendar.used", when=f"{day(when)} {when:%H:%M}")
    return t(
        "calendar.link_line", number=number, created=day(_local(link.created_at, zone)), used=used
    )


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)
