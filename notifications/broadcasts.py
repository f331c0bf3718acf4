"""Owns staff broadcasts' deliveries: one message per recipient the broadcast stored, once.

Fan-out of ``broadcast.sent`` (``core.services.broadcasts``): core resolved the audience when the
broadcast was sent and stored the person ids with it; this handler writes exactly one delivery
per stored id — key ``broadcast:<id>:p<person>``, job ``broadcast:<id>`` (so the delivery report
and core's ``broadcast_report`` group it) — and never resolves the audience again, so the
count the sender previewed is the count delivered and reported.

- No account (or an unlinked one), or a person deactivated since → ``not_connected``; an
  unreachable account → ``unreachable``: recorded, never sent, counted in the report.
- Broadcasts are school messages: the recipient's quiet hours hold them, unless the sender (a
  manager) marked the broadcast urgent; mark/absence/news preferences and digests do not apply.
- The message names the school and the sender (rule 4.2: senders answer for what they write),
  in the recipient's language; the text is HTML-escaped. An attachment goes as the document
  with the text as its caption (a long caption continues in text messages).
- With ``ask_ack`` the message's last part carries "✅ I have read this": the bot's
  ``BroadcastAckCb(broadcast_id=<id>).pack()`` = ``ba:<id>`` (written as a string:
  notifications never import the bot; a test keeps both equal). Core authorizes the press.

Reads through the outbox, writes deliveries only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.broadcasts import BroadcastSent, job_label
from core.i18n import Catalogs
from notifications.messages import InlineButton, InlineKeyboard, OutboundMessage, esc
from notifications.outbox import OutboxTx
from notifications.policy import Rules, direct
from notifications.records import Account, BroadcastFacts, NewDelivery, Status, StoredEvent

SENT = BroadcastSent.kind

# The bot's ``BroadcastAckCb(broadcast_id=<id>).pack()``. Notifications never import the bot;
# a test keeps the two equal.
ACK_CALLBACK = "ba:{broadcast_id}"


def broadcast_key(broadcast_id: int, person_id: int) -> str:
    """``broadcast:<id>:p<person>``: one message per broadcast and person, however replayed."""
    return f"broadcast:{int(broadcast_id)}:p{int(person_id)}"


def ack_callback(broadcast_id: int) -> str:
    """The callback data of the "I have read this" button."""
    return ACK_CALLBACK.format(broadcast_id=int(broadcast_id))


def ack_keyboard(catalogs: Catalogs, lang: str, broadcast_id: int) -> InlineKeyboard:
    """One button, "✅ I have read this", acknowledging the broadcast."""
    text = catalogs.text("notify.broadcast.ack_button", lang)
    return ((InlineButton(text=text, callback_data=ack_callback(broadcast_id)),),)


def broadcast_message(catalogs: Catalogs, lang: str, facts: BroadcastFacts) -> str:
    """The heading (school; urgent or not), the sender, the text, and the request to confirm."""
    header = "notify.broadcast.header_urgent" if facts.urgent else "notify.broadcast.header"
    sender = (
        catalogs.text("notify.broadcast.from", lang, author=esc(facts.author_name))
        if facts.author_name
        else catalogs.text("notify.broadcast.from_school", lang)
    )
    lines = [
        catalogs.text(header, lang, school=esc(facts.school_name)),
        f"<i>{sender}</i>",
        "",
        esc(facts.text),
    ]
    if facts.ask_ack:
        lines += ["", catalogs.text("notify.broadcast.ack_ask", lang)]
    return "\n".join(lines)


class BroadcastNotices:
    """Turns a ``broadcast.sent`` event into one delivery per stored recipient.

    Args:
        catalogs: Texts.
        rules: Quiet hours (a broadcast sent at night waits for the morning unless urgent).
    """

    def __init__(self, catalogs: Catalogs, rules: Rules) -> None:
        self.catalogs = catalogs
        self.rules = rules

    async def on_sent(self, tx: OutboxTx, event: StoredEvent, now: datetime) -> list[NewDelivery]:
        """The deliveries of one broadcast (none if it is gone)."""
        facts = await tx.broadcast_facts(int(event.payload["broadcast_id"]))
        if facts is None:
            return []
        people = list(facts.recipient_ids)
        accounts = await tx.accounts(people)
        active = await tx.active_people(people)
        zone = ZoneInfo(facts.time_zone)
        return [
            self._delivery(
                facts,
                event,
                now,
                person=person,
                account=accounts.get(person),
                active=person in active,
                zone=zone,
            )
            for person in people
        ]

    def _delivery(
        self,
        facts: BroadcastFacts,
        event: StoredEvent,
        now: datetime,
        *,
        person: int,
        account: Account | None,
        active: bool,
        zone: ZoneInfo,
    ) -> NewDelivery:
        status, due = direct(account, self.rules, zone=zone, now=now)
        if not active:
            status, due = Status.NOT_CONNECTED, now  # deactivated since: no access, not sent
        elif facts.urgent and status is Status.QUEUED:
            due = now  # urgent: past the quiet hours
        language = account.language if account is not None else facts.locale
        text = broadcast_message(self.catalogs, language, facts)
        keyboard = (
            ack_keyboard(self.catalogs, language, facts.broadcast_id) if facts.ask_ack else ()
        )
        message = (
            OutboundMessage(
                file_id=facts.file_id, caption=text, language=language, keyboard=keyboard
            )
            if facts.file_id is not None
            else OutboundMessage(text=text, language=language, keyboard=keyboard)
        )
        return NewDelivery(
            key=broadcast_key(facts.broadcast_id, person),
            kind=SENT,
            payload=message.model_dump(exclude_defaults=True),
            not_before=due,
            status=status,
            recipient_id=person,
            chat_id=None if account is None else account.chat_id,
            event_id=event.id,
            job=job_label(facts.broadcast_id),
        )
