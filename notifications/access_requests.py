"""Owns the notices of data access requests (``core.services.access_requests``).

- ``access_request.submitted`` → every active deputy director (the superuser) of the school:
  who asks for whose data, and ``/mydata`` to review it.
- ``access_request.delivered`` → the requester: the JSON document and the PDF summary core
  stored, each by ``sendDocument`` with a one-line caption in the requester's language.
- ``access_request.rejected`` → the requester: the superuser's reason.

Quiet hours are respected, preferences and digests are not (``direct``): an answer to a legal
request is not a journal notice. The keys name the request, so a replay sends nothing twice.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.access import Role
from core.i18n import Catalogs
from core.services.access_requests import (
    AccessRequestDelivered,
    AccessRequestRejected,
    AccessRequestSubmitted,
)
from notifications.messages import OutboundMessage
from notifications.outbox import OutboxTx
from notifications.policy import Rules, direct
from notifications.records import NewDelivery, StoredEvent

SUBMITTED = AccessRequestSubmitted.kind
DELIVERED = AccessRequestDelivered.kind
REJECTED = AccessRequestRejected.kind


def request_key(request_id: int, what: str, person_id: int) -> str:
    """``access-request:<request>:<submitted|json|pdf|rejected>:p<person>``."""
    return f"access-request:{request_id}:{what}:p{person_id}"


def _e(value: object) -> str:
    return html.escape(str(value), quote=False)


class AccessRequestNotices:
    """Turns the three access-request events into deliveries.

    Args:
        catalogs: Texts (core's ``notify.access_request.*``).
        rules: Quiet hours.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules) -> None:
        self.catalogs = catalogs
        self.rules = rules

    async def on_submitted(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The school's superusers hear of a request waiting for them."""
        if event.school_id is None:
            return []
        managers = await tx.staff_with_role(event.school_id, Role.DEPUTY_DIRECTOR.value)
        people = [person for person in managers if person != event.actor_id]
        payload = event.payload
        return await self._deliveries(
            tx,
            event,
            now,
            people,
            what="submitted",
            texts=lambda language: [
                OutboundMessage(
                    text=self.catalogs.text(
                        "notify.access_request.submitted",
                        language,
                        requester=_e(payload.get("requester", "")),
                        subject=_e(payload.get("subject", "")),
                    ),
                    language=language,
                )
            ],
        )

    async def on_delivered(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The requester receives the JSON document and the PDF summary."""
        payload = event.payload
        subject = _e(payload.get("subject", ""))
        documents = (("json", int(payload["json_file_id"])), ("pdf", int(payload["pdf_file_id"])))
        return await self._deliveries(
            tx,
            event,
            now,
            [int(payload["person_id"])],
            what="",
            texts=lambda language: [
                OutboundMessage(
                    file_id=file_id,
                    caption=self.catalogs.text(
                        f"notify.access_request.{name}", language, subject=subject
                    ),
                    language=language,
                )
                for name, file_id in documents
            ],
            names=[name for name, _ in documents],
        )

    async def on_rejected(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The requester hears the reason."""
        payload = event.payload
        return await self._deliveries(
            tx,
            event,
            now,
            [int(payload["person_id"])],
            what="rejected",
            texts=lambda language: [
                OutboundMessage(
                    text=self.catalogs.text(
                        "notify.access_request.rejected",
                        language,
                        subject=_e(payload.get("subject", "")),
                        reason=_e(payload.get("reason", "")),
                    ),
                    language=language,
                )
            ],
        )

    async def _deliveries(
        self,
        tx: OutboxTx,
        event: StoredEvent,
        now: datetime,
        people: list[int],
        *,
        what: str,
        texts: Callable[[str], list[OutboundMessage]],
        names: list[str] | None = None,
    ) -> list[NewDelivery]:
        school = await tx.school(event.school_id) if event.school_id is not None else None
        active = await tx.active_people(people)
        people = [person for person in people if person in active]
        if school is None or not people:
            return []
        accounts = await tx.accounts(people)
        zone = ZoneInfo(school.time_zone)
        request_id = int(event.payload["request_id"])
        rows: list[NewDelivery] = []
        for person in people:
            account = accounts.get(person)
            language = account.language if account is not None else school.locale
            status, due = direct(account, self.rules, zone=zone, now=now)
            messages = texts(language)
            labels = names or [what] * len(messages)
            rows += [
                NewDelivery(
                    key=request_key(request_id, label, person),
                    kind=event.kind,
                    payload=message.model_dump(exclude_defaults=True),
                    not_before=due,
                    status=status,
                    recipient_id=person,
                    chat_id=account.chat_id if account is not None else None,
                    event_id=event.id,
                )
                for label, message in zip(labels, messages, strict=True)
            ]
        return rows
