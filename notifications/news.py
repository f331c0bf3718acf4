"""Owns School news notifications: a post published with "notify" reaches everyone of the school.

Fan-out of ``news.published``: one message per linked, active person of the post's school (staff,
enrolled pupils, their guardians and carers), the author excluded, quiet hours and each person's
news preference (instant, digest, off) respected. Reads through the outbox, writes deliveries only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.events import NewsPublished
from core.i18n import Catalogs
from notifications.messages import OutboundMessage, news_text
from notifications.outbox import OutboxTx
from notifications.policy import Rules, Topic, chosen
from notifications.records import NewDelivery, StoredEvent

PUBLISHED = NewsPublished.kind
# Timetable bulletins are news posts too; the timetable push tells the people they concern.
_PUSHED_ELSEWHERE = frozenset({"timetable"})


def news_key(post_id: int, person_id: int) -> str:
    """``news:<post>:p<person>``: one message per post and person, however often replayed."""
    return f"news:{post_id}:p{person_id}"


class NewsNotices:
    """Turns a ``news.published`` event with ``notify`` into one delivery per reader.

    Args:
        catalogs: Texts.
        rules: Quiet hours (a post published at night waits for the morning), the default
            news preference.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules) -> None:
        self.catalogs = catalogs
        self.rules = rules

    async def on_published(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The deliveries of one published post (none without ``notify``)."""
        if event.payload.get("notify") is not True:
            return []
        post = await tx.news_post(int(event.payload["news_post_id"]))
        if post is None or not post.published or post.kind in _PUSHED_ELSEWHERE:
            return []  # deleted since, a draft, or a bulletin the timetable push covers
        school = await tx.school(post.school_id)
        if school is None:
            return []
        zone = ZoneInfo(school.time_zone)
        people = await tx.school_people(post.school_id, now.astimezone(zone).date())
        accounts = await tx.accounts(people)
        excluded = {event.actor_id, post.author_id}
        rows: list[NewDelivery] = []
        for person in people:
            account = accounts.get(person)
            if person in excluded or account is None or account.status == "unlinked":
                continue  # the author, or nobody linked to tell
            decided = chosen(account, Topic.NEWS, self.rules, zone=zone, now=now)
            if decided is None:
                continue  # turned off in /settings
            status, due = decided
            text = news_text(self.catalogs, account.language, title=post.title, body=post.body)
            rows.append(
                NewDelivery(
                    key=news_key(post.post_id, person),
                    kind=PUBLISHED,
                    payload=OutboundMessage(text=text, language=account.language).model_dump(
                        exclude_defaults=True
                    ),
                    not_before=due,
                    status=status,
                    recipient_id=person,
                    chat_id=account.chat_id,
                    event_id=event.id,
                )
            )
        return rows
