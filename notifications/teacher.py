"""Owns the teachers' end-of-day reminder (rules 3.5-3.7): lessons still missing entries.

A daily job (``teacher-reminder``, at ``[notifications] teacher_reminder_time``, 16:00): for
each school, core's ``unfinished_lessons`` names the teachers whose lessons of the day (the
timetable with the published changes applied: a substitute's substituted lesson is theirs, not
the absent teacher's; cancelled lessons are nobody's) miss a topic or attendance. Each teacher
gets ONE message listing them ("3. 5.a Matemātika — nav tēmas, nav apmeklējuma"), whatever the
number of schools; nothing when everything is done or on a day without lessons. Lessons that
begin after the reminder time are left out (they are still to come). Writes deliveries only.
"""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.errors import DomainError
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.teacher_day import DayLesson, TeacherBacklog, unfinished_lessons
from notifications.jobs import enqueue_run, job_key
from notifications.messages import OutboundMessage, day_label
from notifications.outbox import Outbox
from notifications.policy import Rules, direct
from notifications.records import NewDelivery, SchoolFacts

log = logging.getLogger("ejournal.notifications.teacher")

REMINDER = "teacher-reminder"

BacklogsOf = Callable[[int, date], Awaitable[Sequence[TeacherBacklog]]]


def backlogs_from(core_uow: Callable[[], UnitOfWork]) -> BacklogsOf:
    """Core's ``unfinished_lessons`` on a fresh unit of work per school."""

    async def read(school_id: int, on: date) -> Sequence[TeacherBacklog]:
        return await unfinished_lessons(core_uow(), school_id=school_id, on=on)

    return read


def reminder_key(person_id: int, on: date) -> str:
    """``teacher-reminder:<person>:<date>``: one reminder per teacher and day."""
    return job_key(REMINDER, person_id, on.isoformat())


@dataclass(frozen=True, slots=True)
class _Owed:
    """A teacher's unfinished lessons in one school."""

    school: SchoolFacts
    lessons: tuple[DayLesson, ...]


class TeacherReminders:
    """The end-of-day reminder: one message per teacher with lessons still missing entries.

    Args:
        outbox: The outbox (schools, accounts; deliveries; run bookkeeping).
        catalogs: Texts.
        backlogs: Each teacher's unfinished lessons of a school's date (core).
        rules: Quiet hours (respected; preferences and digests do not apply).
        clock: The time.
        at: The reminder time (local): lessons beginning later are not listed yet.
    """

    name = REMINDER

    def __init__(
        self,
        outbox: Outbox,
        catalogs: Catalogs,
        backlogs: BacklogsOf,
        rules: Rules,
        clock: Clock,
        *,
        at: time,
    ) -> None:
        self.outbox = outbox
        self.catalogs = catalogs
        self.backlogs = backlogs
        self.rules = rules
        self.clock = clock
        self.at = at

    async def run(self, day: date) -> int:
        """The reminder of ``day`` (once per day; returns the deliveries written)."""
        return await enqueue_run(
            self.outbox,
            name=REMINDER,
            period=day.isoformat(),
            batches=self._batches(day),
            clock=self.clock,
        )

    async def _batches(self, day: date) -> AsyncIterator[Sequence[NewDelivery]]:
        async with self.outbox.transaction() as tx:
            schools = await tx.schools()
        owed: dict[int, list[_Owed]] = {}
        for school in schools:
            try:
                found = await self.backlogs(school.school_id, day)
            except DomainError:
                log.exception("school %s: unfinished lessons could not be read", school.school_id)
                continue
            for backlog in found:
                lessons = tuple(
                    lesson
                    for lesson in backlog.lessons
                    if lesson.starts_at is None or lesson.starts_at <= self.at
                )
                if lessons:
                    owed.setdefault(backlog.person_id, []).append(_Owed(school, lessons))
        if not owed:
            yield []
            return
        async with self.outbox.transaction() as tx:
            accounts = await tx.accounts(sorted(owed))
        now = self.clock.now()
        rows = []
        for person, items in sorted(owed.items()):
            account = accounts.get(person)
            first = items[0].school
            language = account.language if account is not None else first.locale
            status, due = direct(account, self.rules, zone=ZoneInfo(first.time_zone), now=now)
            rows.append(
                NewDelivery(
                    key=reminder_key(person, day),
                    kind=REMINDER,
                    payload=OutboundMessage(
                        text=self.text(language, day, items), language=language
                    ).model_dump(exclude_defaults=True),
                    not_before=due,
                    status=status,
                    recipient_id=person,
                    chat_id=None if account is None else account.chat_id,
                )
            )
        yield rows

    def text(self, language: str, day: date, owed: Sequence[_Owed]) -> str:
        """The header, one line per lesson (under each school's name if several), /today."""
        t = self.catalogs.text
        lines = [
            t(
                "notify.teacher_reminder.header",
                language,
                day=day_label(self.catalogs, language, day),
            )
        ]
        for item in owed:
            if len(owed) > 1:
                lines.append(
                    t(
                        "notify.teacher_reminder.school",
                        language,
                        school=html.escape(item.school.name, quote=False),
                    )
                )
            lines += [self.line(language, lesson) for lesson in item.lessons]
        lines += ["", t("notify.teacher_reminder.footer", language)]
        return "\n".join(lines)

    def line(self, language: str, lesson: DayLesson) -> str:
        """'3. 5.a Matemātika — nav tēmas, nav apmeklējuma'."""
        missing = []
        if not lesson.topic_set:
            missing.append(self.catalogs.text("notify.teacher_reminder.no_topic", language))
        if not lesson.attendance_taken:
            missing.append(self.catalogs.text("notify.teacher_reminder.no_attendance", language))
        classes = ", ".join(lesson.class_names)
        name = f"{classes} {lesson.subject}" if classes else lesson.group_name
        return self.catalogs.text(
            "notify.teacher_reminder.lesson",
            language,
            period=lesson.period,
            lesson=html.escape(name, quote=False),
            missing=", ".join(missing),
        )
