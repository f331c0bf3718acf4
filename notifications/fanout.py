"""Owns turning core's events into deliveries: events past the cursor → policy → outbox rows.

Each batch's deliveries and the new cursor are one transaction; it never sends.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.domain.events import AbsenceRecorded, MarkRecorded
from core.errors import DomainError
from core.i18n import Catalogs
from notifications.homework import RECORDED as LESSON_RECORDED
from notifications.homework import HomeworkNotices
from notifications.messages import InlineKeyboard, OutboundMessage, absence_text, mark_text
from notifications.news import PUBLISHED as NEWS_PUBLISHED
from notifications.news import NewsNotices
from notifications.notes import may_report, report_keyboard, report_offered
from notifications.outbox import FANOUT_CURSOR, Outbox, OutboxTx
from notifications.policy import Cause, Decision, Rules, Topic, decide
from notifications.records import REWRITABLE, NewDelivery, StoredEvent

log = logging.getLogger("ejournal.notifications.fanout")

# A jump in ids this large is not a transaction in flight: do not wait for it.
_MAX_TRACKED_GAP = 10_000

# Turns one event of a kind into deliveries, inside the batch's transaction.
Handler = Callable[[OutboxTx, StoredEvent, datetime], Awaitable[Sequence[NewDelivery]]]


@dataclass
class _Progress:
    high: int  # highest event id handled by this process
    gaps: dict[int, datetime] = field(default_factory=dict)  # missing id -> first noticed


class FanOut:
    """Reads events past its cursor and writes one delivery per recipient.

    PostgreSQL can commit event ids out of order, so ids the cursor skipped are looked at again
    until they appear or time out (a rolled-back transaction never fills its id); the stored
    cursor stays below the oldest open gap. Replays are harmless: every delivery has a key.

    Args:
        outbox: The outbox.
        catalogs: Texts (core's plus this package's).
        rules: School-wide defaults (grace, quiet hours, who hears about what).
        clock: The time.
        batch: Events per transaction.
        gap_timeout_s: How long a missing event id is waited for.
        default_language: Language for people without an account.
        handlers: More event kinds and what they become (the timetable push's
            ``timetable.published``); ``news.published`` and ``lesson.recorded`` (homework)
            are always handled.
        report_button: Whether absence messages offer guardians "report the reason".
    """

    def __init__(
        self,
        outbox: Outbox,
        catalogs: Catalogs,
        rules: Rules,
        clock: Clock,
        *,
        batch: int = 500,
        gap_timeout_s: float = 120.0,
        default_language: str = "lv",
        handlers: Mapping[str, Handler] | None = None,
        report_button: bool = False,
    ) -> None:
        self.outbox = outbox
        self.catalogs = catalogs
        self.rules = rules
        self.clock = clock
        self.batch = batch
        self.gap_timeout_s = gap_timeout_s
        self.default_language = default_language
        self.report_button = report_button
        self._progress: _Progress | None = None
        self.handlers: dict[str, Handler] = {
            NEWS_PUBLISHED: NewsNotices(catalogs, rules).on_published,
            LESSON_RECORDED: HomeworkNotices(
                catalogs, rules, default_language=default_language
            ).on_recorded,
            **(handlers or {}),
        }

    async def run_once(self) -> int:
        """Handle one batch of events; returns how many events were looked at."""
        now = self.clock.now()
        async with self.outbox.transaction() as tx:
            stored = await tx.cursor(FANOUT_CURSOR, lock=True)
            progress = self._progress
            if progress is None or stored > progress.high:
                progress = _Progress(stored)
            fresh = await tx.events_after(progress.high, self.batch)
            late = await tx.events_by_id(progress.gaps)
            for event in sorted([*late, *fresh], key=lambda e: e.id):
                await self._handle(tx, event, now)
            nxt = self._advance(progress, fresh, late, now)
            position = min(nxt.gaps) - 1 if nxt.gaps else nxt.high
            await tx.set_cursor(FANOUT_CURSOR, position, now)
        self._progress = nxt
        return len(fresh) + len(late)

    def _advance(
        self,
        progress: _Progress,
        fresh: list[StoredEvent],
        late: list[StoredEvent],
        now: datetime,
    ) -> _Progress:
        found = {event.id for event in late}
        gaps = {gap: seen for gap, seen in progress.gaps.items() if gap not in found}
        high = progress.high
        if fresh:
            ids = {event.id for event in fresh}
            top = fresh[-1].id
            if top - high <= _MAX_TRACKED_GAP:
                gaps.update({i: now for i in range(high + 1, top) if i not in ids})
            high = top
        expired = [
            gap for gap, seen in gaps.items() if (now - seen).total_seconds() >= self.gap_timeout_s
        ]
        for gap in expired:
            del gaps[gap]
        return _Progress(high, gaps)

    async def _handle(self, tx: OutboxTx, event: StoredEvent, now: datetime) -> None:
        try:
            if event.kind == MarkRecorded.kind:
                await self._mark(tx, event, now)
            elif event.kind == AbsenceRecorded.kind:
                await self._absence(tx, event, now)
            elif (handler := self.handlers.get(event.kind)) is not None:
                await tx.enqueue(await handler(tx, event, now), now)
        except (KeyError, TypeError, ValueError, DomainError):
            log.exception("event %s (%s) has an unexpected payload; skipped", event.id, event.kind)

    async def _mark(self, tx: OutboxTx, event: StoredEvent, now: datetime) -> None:
        mark_id = int(event.payload["mark_id"])
        revision = int(event.payload.get("revision") or 1)
        facts = await tx.mark_facts(mark_id)
        if facts is None:
            return
        guardians, pupil = await tx.recipients_of_pupil(facts.pupil_id)
        cause = Cause(
            topic=Topic.MARK,
            event_id=event.id,
            ref=mark_id,
            pupil_id=facts.pupil_id,
            actor_id=event.actor_id,
            zone=ZoneInfo(facts.time_zone),
            version=revision,
        )
        writes: list[NewDelivery] = []
        for decision in decide(
            cause, guardians, pupil, self.rules, now=now, default_language=self.default_language
        ):
            relation = decision.recipient.relation
            corrected = False
            if decision.candidates:
                earlier = await tx.by_keys(decision.candidates)
                if any(int(row.payload.get("version") or 1) >= revision for row in earlier):
                    continue  # this correction (or a later one) is already in the outbox
                pending = [row for row in earlier if row.status in REWRITABLE]
                if pending:
                    text = mark_text(
                        self.catalogs, decision.language, facts, relation=relation, corrected=False
                    )
                    message = self._message(text, decision, revision)
                    if await tx.rewrite(pending[-1].id, message):
                        continue
                corrected = True
            text = mark_text(
                self.catalogs, decision.language, facts, relation=relation, corrected=corrected
            )
            writes.append(
                self._delivery(decision, MarkRecorded.kind, event, text, version=revision)
            )
        await tx.enqueue(writes, now)

    async def _absence(self, tx: OutboxTx, event: StoredEvent, now: datetime) -> None:
        attendance_id = int(event.payload["attendance_id"])
        facts = await tx.absence_facts(attendance_id)
        if facts is None or facts.code != event.payload.get("code", facts.code):
            return  # removed or changed since: a later event speaks for the current state
        guardians, pupil = await tx.recipients_of_pupil(facts.pupil_id)
        cause = Cause(
            topic=Topic.ABSENCE,
            event_id=event.id,
            ref=attendance_id,
            pupil_id=facts.pupil_id,
            actor_id=event.actor_id,
            zone=ZoneInfo(facts.time_zone),
        )
        button = self.report_button and await report_offered(tx, facts, now)
        writes = [
            self._delivery(
                decision,
                AbsenceRecorded.kind,
                event,
                absence_text(
                    self.catalogs, decision.language, facts, relation=decision.recipient.relation
                ),
                keyboard=report_keyboard(self.catalogs, decision.language, facts.pupil_id)
                if button and may_report(decision.recipient)
                else (),
            )
            for decision in decide(
                cause,
                guardians,
                pupil,
                self.rules,
                now=now,
                default_language=self.default_language,
            )
        ]
        await tx.enqueue(writes, now)

    @staticmethod
    def _message(
        text: str, decision: Decision, version: int | None = None, keyboard: InlineKeyboard = ()
    ) -> dict[str, object]:
        return OutboundMessage(
            text=text, version=version, language=decision.language, keyboard=keyboard
        ).model_dump(exclude_defaults=True)

    def _delivery(
        self,
        decision: Decision,
        kind: str,
        event: StoredEvent,
        text: str,
        *,
        version: int | None = None,
        keyboard: InlineKeyboard = (),
    ) -> NewDelivery:
        account = decision.recipient.account
        return NewDelivery(
            key=decision.key,
            kind=kind,
            payload=self._message(text, decision, version, keyboard),
            not_before=decision.not_before,
            status=decision.status,
            recipient_id=decision.recipient.person_id,
            chat_id=None if account is None else account.chat_id,
            event_id=event.id,
        )
