"""Owns the timetable push (rule 3.3): the daily run, changes published after it, the reminder.

Who is affected comes from core (``personal_changes``); schools, calendars, accounts and the
rest come through the outbox. It writes deliveries only; it never sends or schedules.

- **The push** (a deadline job, ``timetable``): the run of day X covers, for each school where X
  is a school day, that school's next school day T; one message per person and child with the
  changes of T published by the push time (X at ``push_time``).
- **After the push** (fan-out of ``timetable.published``): changes published after T's push
  time (or after the push already ran) go out at once, each person and child once per event.
  Changes published earlier wait for the push, which includes them.
- **The reminder** (a daily job, ``timetable-reminder``): at the watch time, each school whose
  next school day has no published change yet reminds its superusers.
"""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.domain.access import Role
from core.domain.events import TimetablePublished
from core.errors import DomainError
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.timetable_changes import (
    ChangeView,
    PersonChanges,
    change_line,
    personal_changes,
)
from notifications.jobs import DeadlineJob, enqueue_run, job_key, local_at
from notifications.messages import OutboundMessage, reminder_text, timetable_text
from notifications.outbox import Outbox, OutboxTx, utc
from notifications.policy import Rules, direct
from notifications.records import Account, NewDelivery, SchoolFacts, StoredEvent

log = logging.getLogger("ejournal.notifications.timetable")

TIMETABLE = "timetable"
REMINDER = "timetable-reminder"
PUBLISHED = TimetablePublished.kind
_BATCH = 500

ChangesOf = Callable[[int, date, Sequence[int] | None], Awaitable[Sequence[PersonChanges]]]


def changes_from(core_uow: Callable[[], UnitOfWork]) -> ChangesOf:
    """Core's ``personal_changes`` on a fresh unit of work per read."""

    async def read(
        school_id: int, on: date, change_ids: Sequence[int] | None
    ) -> Sequence[PersonChanges]:
        return await personal_changes(
            core_uow(), school_id=school_id, on=on, change_ids=change_ids
        )

    return read


def push_key(person_id: int, pupil_id: int | None, on: date, event_id: int | None = None) -> str:
    """``timetable:<person>:<pupil or 0>:<date>``; ``…:e<event>`` for changes after the push."""
    key = job_key(TIMETABLE, f"{person_id}:{pupil_id or 0}", on.isoformat())
    return key if event_id is None else f"{key}:e{event_id}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """One school's share of a push run: the run's day, the day it covers, the push moment."""

    school: SchoolFacts
    run_day: date
    target: date
    push_at: datetime


class TimetablePush:
    """The timetable push, the changes published after it, and the superuser's reminder.

    Args:
        outbox: The outbox (schools, calendars, accounts; deliveries; run bookkeeping).
        catalogs: Texts (core's change lines plus this package's messages).
        changes: Who is affected by a school's published changes of a date (core).
        rules: Quiet hours (respected; preferences and digests are not: it is time-critical).
        clock: The time.
        zone: The zone the scheduler runs in (push moments are local times there).
        push_time: When a school day's push starts (local).
        deadline: When its messages must have gone out (local).
    """

    name = TIMETABLE

    def __init__(
        self,
        outbox: Outbox,
        catalogs: Catalogs,
        changes: ChangesOf,
        rules: Rules,
        clock: Clock,
        *,
        zone: ZoneInfo,
        push_time: time,
        deadline: time,
    ) -> None:
        self.outbox = outbox
        self.catalogs = catalogs
        self.changes = changes
        self.rules = rules
        self.clock = clock
        self.zone = zone
        self.push_time = push_time
        self.deadline = deadline

    # ------------------------------------------------------------------ which days

    def push_at(self, run_day: date) -> datetime:
        """The moment a run day's push takes its changes (local push time)."""
        return local_at(run_day, self.push_time, self.zone)

    async def coverage(self, run_day: date) -> list[Coverage]:
        """Each school that has lessons on ``run_day``, with its next school day."""
        covered: list[Coverage] = []
        async with self.outbox.transaction() as tx:
            for school in await tx.schools():
                calendar = await tx.calendar(school.school_id, run_day)
                if calendar is None or not calendar.is_school_day(run_day):
                    continue
                target = calendar.next_school_day(run_day)
                if target is not None:
                    covered.append(Coverage(school, run_day, target, self.push_at(run_day)))
        return covered

    @staticmethod
    async def run_day_of(tx: OutboxTx, school_id: int, target: date) -> date | None:
        """The school day whose push covers ``target`` (None: no push does)."""
        calendar = await tx.calendar(school_id, target)
        if calendar is None or not calendar.is_school_day(target):
            return None
        return calendar.previous_school_day(target)

    # ------------------------------------------------------------------ the push

    async def count(self, period: str) -> int:
        """How many messages the run of ``period`` (the run's day, ISO) will write."""
        total = 0
        for cover in await self.coverage(date.fromisoformat(period)):
            total += len(await self._pushed(cover))
        return total

    def batches(self, period: str) -> AsyncIterator[Sequence[NewDelivery]]:
        """The run's deliveries, school by school, in batches (each its own transaction)."""
        return self._batches(date.fromisoformat(period))

    def deadline_job(self) -> DeadlineJob:
        """The push as a deadline job: ready at the push time, delivered by the deadline.

        It starts at the push time (``eager``): its content is fixed at that moment (later
        changes go at once through the fan-out), so waiting for the latest safe start would
        only make people wait.
        """
        return DeadlineJob(
            self.name, self.push_time, self.deadline, self.count, self.batches, eager=True
        )

    async def _batches(self, run_day: date) -> AsyncIterator[Sequence[NewDelivery]]:
        for cover in await self.coverage(run_day):
            people = await self._pushed(cover)
            async with self.outbox.transaction() as tx:
                accounts = await tx.accounts(sorted({p.person_id for p, _ in people}))
                names = await tx.given_names(_children(p for p, _ in people))
            now = self.clock.now()
            rows = [
                self._delivery(
                    person,
                    changes,
                    account=accounts.get(person.person_id),
                    child=names.get(person.pupil_id or 0),
                    school=cover.school,
                    target=cover.target,
                    now=now,
                    key=push_key(person.person_id, person.pupil_id, cover.target),
                    update=False,
                )
                for person, changes in people
            ]
            for start in range(0, len(rows), _BATCH):
                yield rows[start : start + _BATCH]

    async def _pushed(self, cover: Coverage) -> list[tuple[PersonChanges, tuple[ChangeView, ...]]]:
        """Each affected person with their changes published by the push time."""
        try:
            found = await self.changes(cover.school.school_id, cover.target, None)
        except DomainError:
            log.exception("school %s: timetable changes could not be read", cover.school.school_id)
            return []
        people = []
        for person in found:
            kept = tuple(
                change
                for change in person.changes
                if change.published_at is None or utc(change.published_at) <= cover.push_at
            )
            if kept:
                people.append((person, kept))
        return people

    # ------------------------------------------------------------------ after the push

    async def on_published(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """Fan-out of ``timetable.published``: at once if the push is past, else nothing.

        Changes published after the push moment of their day (or after that day's push ran)
        go out now to the people they concern; earlier ones wait for the push, which takes
        every change published by its moment (both sides compare the change's own
        ``published_at``, so none is sent twice or skipped). Past days get nothing.
        """
        school_id = int(event.payload["school_id"])
        target = date.fromisoformat(str(event.payload["on"]))
        change_ids = [int(i) for i in event.payload.get("change_ids") or ()]
        if not change_ids or target < now.astimezone(self.zone).date():
            return []
        school = await tx.school(school_id)
        if school is None:
            return []
        run_day = await self.run_day_of(tx, school_id, target)
        run = None if run_day is None else await tx.job_run(TIMETABLE, run_day.isoformat())
        if run_day is not None and run is None and event.occurred_at <= self.push_at(run_day):
            return []  # published before the push moment: the push takes these changes

        def late(change: ChangeView) -> bool:
            if run_day is None:
                return True  # no push covers the day (the first school day of a year)
            published = event.occurred_at if change.published_at is None else change.published_at
            published = utc(published)
            return published > self.push_at(run_day) or (
                run is not None and published > run.finished_at
            )

        try:
            found = await self.changes(school_id, target, change_ids)
        except DomainError:
            log.exception("event %s: timetable changes could not be read", event.id)
            return []
        people = [(p, tuple(c for c in p.changes if late(c))) for p in found]
        people = [(p, kept) for p, kept in people if kept]
        accounts = await tx.accounts(sorted({p.person_id for p, _ in people}))
        names = await tx.given_names(_children(p for p, _ in people))
        return [
            self._delivery(
                person,
                kept,
                account=accounts.get(person.person_id),
                child=names.get(person.pupil_id or 0),
                school=school,
                target=target,
                now=now,
                key=push_key(person.person_id, person.pupil_id, target, event.id),
                update=run_day is not None,
                event_id=event.id,
            )
            for person, kept in people
        ]

    # ------------------------------------------------------------------ the reminder

    async def remind(self, day: date) -> int:
        """The watch-time reminder of ``day`` (once per day; returns the deliveries written)."""
        return await enqueue_run(
            self.outbox,
            name=REMINDER,
            period=day.isoformat(),
            batches=self._reminders(day),
            clock=self.clock,
        )

    async def _reminders(self, day: date) -> AsyncIterator[Sequence[NewDelivery]]:
        covered = await self.coverage(day)
        rows: list[NewDelivery] = []
        now = self.clock.now()
        async with self.outbox.transaction() as tx:
            for cover in covered:
                school = cover.school
                if await tx.published_changes(school.school_id, cover.target):
                    continue
                managers = await tx.staff_with_role(school.school_id, Role.DEPUTY_DIRECTOR.value)
                accounts = await tx.accounts(managers)
                for person in managers:
                    account = accounts.get(person)
                    language = account.language if account is not None else school.locale
                    text = reminder_text(
                        self.catalogs,
                        language,
                        school=school.name,
                        on=cover.target,
                        deadline=self.deadline,
                    )
                    status, due = direct(
                        account, self.rules, zone=ZoneInfo(school.time_zone), now=now
                    )
                    rows.append(
                        NewDelivery(
                            key=job_key(REMINDER, person, cover.target.isoformat()),
                            kind=REMINDER,
                            payload=_message(text, language),
                            not_before=due,
                            status=status,
                            recipient_id=person,
                            chat_id=None if account is None else account.chat_id,
                        )
                    )
        yield rows

    # ------------------------------------------------------------------ messages

    def _delivery(
        self,
        person: PersonChanges,
        changes: Sequence[ChangeView],
        *,
        account: Account | None,
        child: str | None,
        school: SchoolFacts,
        target: date,
        now: datetime,
        key: str,
        update: bool,
        event_id: int | None = None,
    ) -> NewDelivery:
        language = account.language if account is not None else school.locale
        status, due = direct(account, self.rules, zone=ZoneInfo(school.time_zone), now=now)
        text = timetable_text(
            self.catalogs,
            language,
            on=target,
            lines=[self.line(change, language) for change in changes],
            pupil=(child or person.pupil_name or "") if person.role == "guardian" else None,
            update=update,
        )
        return NewDelivery(
            key=key,
            kind=TIMETABLE if event_id is None else PUBLISHED,
            payload=_message(text, language),
            not_before=due,
            status=status,
            recipient_id=person.person_id,
            chat_id=None if account is None else account.chat_id,
            event_id=event_id,
        )

    def line(self, change: ChangeView, language: str) -> str:
        """One change in the recipient's language, HTML-escaped."""

        def t(key: str, **params: Any) -> str:
            return self.catalogs.text(key, language, **params)

        return html.escape(change_line(change, t), quote=False)


def _children(people: Iterable[PersonChanges]) -> list[int]:
    """The children named in guardians' messages."""
    return sorted({p.pupil_id for p in people if p.role == "guardian" and p.pupil_id is not None})


def _message(text: str, language: str) -> dict[str, object]:
    return OutboundMessage(text=text, language=language).model_dump(exclude_defaults=True)
