"""Owns sending report cards to families: ``report_card.issued`` → the card PDF to each parent.

The superuser (or the director) sends a class's cards from the bot or the console
(``core.services.report_cards.issue_report_cards``); core stores each pupil's PDF and records
one event per pupil. Fan-out writes one document delivery per parent with full rights (never a
read-only carer, never an inactive person): the stored file goes by ``sendDocument`` with a
one-line caption in the parent's language. Quiet hours are respected; preferences and digests
are not (``direct``): a report card is a school document. A parent without a linked account
is recorded as ``not_connected`` (the school hands them paper). The same card (same bytes, so
the same stored file) sent twice reaches nobody twice: the key is the file and the person.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import Catalogs
from core.services.report_cards import ReportCardIssued
from notifications.messages import OutboundMessage
from notifications.outbox import OutboxTx
from notifications.policy import Rules, direct
from notifications.records import NewDelivery, StoredEvent

ISSUED = ReportCardIssued.kind


def card_key(file_id: int, person_id: int) -> str:
    """``report_card:<file>:p<person>``: one message per card and parent, however replayed."""
    return f"report_card:{file_id}:p{person_id}"


class ReportCardNotices:
    """Turns a ``report_card.issued`` event into one document delivery per parent.

    Args:
        catalogs: Texts (the caption, from core's ``report_card.caption``).
        rules: Quiet hours.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules) -> None:
        self.catalogs = catalogs
        self.rules = rules

    async def on_issued(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The deliveries of one pupil's card (none when the school is gone)."""
        payload = event.payload
        pupil_id, file_id = int(payload["pupil_id"]), int(payload["file_id"])
        school = await tx.school(event.school_id) if event.school_id is not None else None
        if school is None:
            return []
        zone = ZoneInfo(school.time_zone)
        guardians, _pupil = await tx.recipients_of_pupil(pupil_id)
        names = await tx.given_names([pupil_id])
        rows: list[NewDelivery] = []
        for recipient in guardians:
            if recipient.read_only or not recipient.active:
                continue  # carers read the journal; the card is for the parents
            account = recipient.account
            status, due = direct(account, self.rules, zone=zone, now=now)
            language = account.language if account is not None else school.locale
            caption = self.catalogs.text(
                "report_card.caption",
                language,
                pupil=html.escape(names.get(pupil_id, ""), quote=False),
                class_name=html.escape(str(payload.get("class_name", "")), quote=False),
                year=html.escape(str(payload.get("school_year", "")), quote=False),
            )
            message = OutboundMessage(file_id=file_id, caption=caption, language=language)
            rows.append(
                NewDelivery(
                    key=card_key(file_id, recipient.person_id),
                    kind=ISSUED,
                    payload=message.model_dump(exclude_defaults=True),
                    not_before=due,
                    status=status,
                    recipient_id=recipient.person_id,
                    chat_id=account.chat_id if account is not None else None,
                    event_id=event.id,
                )
            )
        return rows
