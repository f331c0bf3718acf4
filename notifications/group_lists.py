"""Owns the pupil-list notices (rule 3.4): a list to approve, and the decision on it.

- ``group_list.submitted`` → every active deputy director (the superuser) of the school: "Māra
  Ozola submitted the pupil list of 7.ab angļu val. 1. grupa (pupils: 14) — /groups". A list
  superseded or decided before the fan-out saw it is not announced.
- ``group_list.decided`` → the submitting teacher: approved, or not approved with the reason.

Never the person who caused the event. Reads through the outbox, writes deliveries only; quiet
hours are respected, preferences and digests are not (``direct``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.access import Role
from core.domain.events import GroupListDecided, GroupListSubmitted
from core.i18n import Catalogs
from notifications.messages import OutboundMessage, esc
from notifications.outbox import OutboxTx
from notifications.policy import Rules, direct
from notifications.records import GroupListFacts, NewDelivery, StoredEvent

SUBMITTED = GroupListSubmitted.kind
DECIDED = GroupListDecided.kind


def list_key(submission_id: int, what: str, person_id: int) -> str:
    """``group-list:<submission>:<submitted|decided>:p<person>``."""
    return f"group-list:{submission_id}:{what}:p{person_id}"


class GroupListNotices:
    """Turns ``group_list.submitted`` and ``group_list.decided`` into deliveries.

    Args:
        catalogs: Texts.
        rules: Quiet hours.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules) -> None:
        self.catalogs = catalogs
        self.rules = rules

    async def on_submitted(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The school's deputy directors hear of a list waiting for their approval."""
        facts = await tx.group_list_facts(int(event.payload["submission_id"]))
        if facts is None or facts.status != "pending":
            return []
        managers = await tx.staff_with_role(facts.school_id, Role.DEPUTY_DIRECTOR.value)
        people = [person for person in managers if person != event.actor_id]
        return await self._deliveries(tx, facts, event, now, people=people, what="submitted")

    async def on_decided(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The teacher who submitted the list hears whether it was approved."""
        facts = await tx.group_list_facts(int(event.payload["submission_id"]))
        if facts is None or facts.submitted_by is None or facts.submitted_by == event.actor_id:
            return []
        people = sorted(await tx.active_people([facts.submitted_by]))
        return await self._deliveries(tx, facts, event, now, people=people, what="decided")

    async def _deliveries(
        self,
        tx: OutboxTx,
        facts: GroupListFacts,
        event: StoredEvent,
        now: datetime,
        *,
        people: Sequence[int],
        what: str,
    ) -> list[NewDelivery]:
        if not people:
            return []
        accounts = await tx.accounts(people)
        zone = ZoneInfo(facts.time_zone)
        rows = []
        for person in people:
            account = accounts.get(person)
            language = account.language if account is not None else facts.locale
            status, due = direct(account, self.rules, zone=zone, now=now)
            rows.append(
                NewDelivery(
                    key=list_key(facts.submission_id, what, person),
                    kind=event.kind,
                    payload=OutboundMessage(
                        text=self._text(facts, event, what, language), language=language
                    ).model_dump(exclude_defaults=True),
                    not_before=due,
                    status=status,
                    recipient_id=person,
                    chat_id=None if account is None else account.chat_id,
                    event_id=event.id,
                )
            )
        return rows

    def _text(self, facts: GroupListFacts, event: StoredEvent, what: str, language: str) -> str:
        group = esc(facts.group_name)
        if what == "submitted":
            return self.catalogs.text(
                "notify.group_list.submitted",
                language,
                teacher=esc(facts.submitter_name or "—"),
                group=group,
                pupils=facts.pupils,
            )
        if event.payload.get("approved") is True:
            return self.catalogs.text("notify.group_list.approved", language, group=group)
        return self.catalogs.text(
            "notify.group_list.rejected", language, group=group, reason=esc(facts.reason or "—")
        )
