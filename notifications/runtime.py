"""Owns the notifications engine of one process: delivery always, fan-out and jobs if leading.

``build_notifications_runtime`` wires it from a core and a sender; nothing runs at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.bootstrap import Core
from core.clock import Clock
from notifications.access_requests import DELIVERED as ACCESS_DELIVERED
from notifications.access_requests import REJECTED as ACCESS_REJECTED
from notifications.access_requests import SUBMITTED as ACCESS_SUBMITTED
from notifications.access_requests import AccessRequestNotices
from notifications.broadcasts import SENT as BROADCAST_SENT
from notifications.broadcasts import BroadcastNotices
from notifications.delivery import DeliveryWorker, SystemTicker, Ticker, WorkerConfig
from notifications.extracts import (
    MonthlyExtracts,
    extract_documents,
    extracts_from,
    reach_from,
)
from notifications.fanout import FanOut
from notifications.group_lists import DECIDED as LIST_DECIDED
from notifications.group_lists import SUBMITTED as LIST_SUBMITTED
from notifications.group_lists import GroupListNotices
from notifications.jobs import DeadlineJob, DigestJob, finish_runs
from notifications.mail import READ as MAIL_READ
from notifications.mail import REPORTED as MAIL_REPORTED
from notifications.mail import SENT as MAIL_SENT
from notifications.mail import MailNotices, mail_reads
from notifications.messages import load_catalogs
from notifications.notes import DECIDED as NOTE_DECIDED
from notifications.notes import SUBMITTED as NOTE_SUBMITTED
from notifications.notes import NoteNotices
from notifications.outbox import LeaderLock, Outbox
from notifications.policy import Rules
from notifications.records import ReportRow
from notifications.report_cards import ISSUED as REPORT_CARD_ISSUED
from notifications.report_cards import ReportCardNotices
from notifications.scheduler import DailyJob, JobScheduler
from notifications.sender import Sender
from notifications.settings import NotificationsSettings
from notifications.shared_limits import shared_pacer
from notifications.teacher import TeacherReminders, backlogs_from
from notifications.timetable import PUBLISHED as TIMETABLE_PUBLISHED
from notifications.timetable import REMINDER, TimetablePush, changes_from

log = logging.getLogger("ejournal.notifications")


class NotificationsRuntime:
    """The engine of one process; ``start()`` then ``stop()``."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        fanout: FanOut,
        worker: DeliveryWorker,
        scheduler: JobScheduler,
        leader: LeaderLock,
        settings: NotificationsSettings,
    ) -> None:
        self.outbox = outbox
        self.fanout = fanout
        self.worker = worker
        self.scheduler = scheduler
        self.leader = leader
        self.settings = settings
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def leading(self) -> bool:
        """Whether this process runs fan-out and the scheduler now."""
        return self.leader.held

    async def start(self) -> None:
        """Start delivering, and compete for leadership (fan-out and schedules)."""
        self._stop.clear()
        self.worker.start()
        self._tasks = [asyncio.create_task(self._lead(), name="notifications-leader")]

    async def stop(self, drain_s: float | None = None) -> None:
        """Stop scheduling and fan-out, drain sends in flight, release leadership."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.scheduler.shutdown()
        await self.worker.stop(self.settings.drain_s if drain_s is None else drain_s)
        await self.leader.release()
        await self.worker.sender.close()

    async def _lead(self) -> None:
        while not self._stop.is_set():
            try:
                if await self.leader.acquire():
                    await self._while_leading()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("leadership was lost or could not be taken; retrying")
            self.scheduler.shutdown()
            await self._pause(self.settings.leader_retry_s)

    async def _while_leading(self) -> None:
        log.info("leading: fan-out and the scheduler run in this process")
        if self.settings.run_scheduler:
            await self.scheduler.start()
        checked = asyncio.get_running_loop().time()
        while not self._stop.is_set():
            try:
                handled = await self.fanout.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fan-out failed; retrying")
                handled = 0
            if handled:
                self.worker.wake()
            now = asyncio.get_running_loop().time()
            if now - checked >= self.settings.leader_retry_s:
                checked = now
                if not await self.leader.alive():
                    log.warning("leadership lost")
                    return
            if not handled:
                await self._pause(self.settings.fanout_interval_s)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def report(self, *, job: str | None = None) -> list[ReportRow]:
        """Delivery counts per job run or event kind."""
        return await self.outbox.report(job=job)


def build_notifications_runtime(
    core: Core,
    settings: NotificationsSettings,
    bot_sender: Sender,
    *,
    clock: Clock | None = None,
    ticker: Ticker | None = None,
    rng: random.Random | None = None,
    deadline_jobs: Sequence[DeadlineJob] | None = None,
) -> NotificationsRuntime:
    """Wire the engine of one process on ``core``'s database, sending through ``bot_sender``.

    ``deadline_jobs`` defaults to the timetable push (read through ``core.uow()``) and
    (``monthly_extracts``) the monthly progress extracts, whose PDFs the worker renders when it
    sends them and whose class teachers' counts a periodic task writes after the push; the daily
    jobs are the timetable reminder and (``teacher_reminders``) the teachers'
    end-of-day reminder. Fan-out also tells of absence notes and pupil lists, and delivers
    staff broadcasts (one message per stored recipient). The digest runs every minute
    and writes each person's digest at their own time. With ``[redis] url`` set in core's
    settings the worker's pacing is shared with every other process (``shared_limits``).
    """
    clock = clock or core.clock
    zone = ZoneInfo(core.settings.school.time_zone)
    outbox = Outbox(core.engine)
    catalogs = load_catalogs()
    rules = Rules.from_settings(settings)
    timetable = TimetablePush(
        outbox,
        catalogs,
        changes_from(core.uow),
        rules,
        clock,
        zone=zone,
        push_time=settings.timetable_push_time,
        deadline=settings.timetable_deadline,
    )
    notes = NoteNotices(catalogs, rules)
    lists = GroupListNotices(catalogs, rules)
    access = AccessRequestNotices(catalogs, rules)
    mail = MailNotices(catalogs, rules, mail_reads(core.uow))
    fanout = FanOut(
        outbox,
        catalogs,
        rules,
        clock,
        batch=settings.fanout_batch,
        gap_timeout_s=settings.gap_timeout_s,
        default_language=core.settings.school.locale,
        handlers={
            TIMETABLE_PUBLISHED: timetable.on_published,
            NOTE_SUBMITTED: notes.on_submitted,
            NOTE_DECIDED: notes.on_decided,
            LIST_SUBMITTED: lists.on_submitted,
            LIST_DECIDED: lists.on_decided,
            MAIL_SENT: mail.on_sent,
            MAIL_READ: mail.on_read,
            MAIL_REPORTED: mail.on_reported,
            BROADCAST_SENT: BroadcastNotices(catalogs, rules).on_sent,
            REPORT_CARD_ISSUED: ReportCardNotices(catalogs, rules).on_issued,
            ACCESS_SUBMITTED: access.on_submitted,
            ACCESS_DELIVERED: access.on_delivered,
            ACCESS_REJECTED: access.on_rejected,
        },
        report_button=settings.absence_report_button,
    )
    config = WorkerConfig.from_settings(settings)
    # With [redis] url every process's worker spends one budget (global rate, 429 pauses, chats).
    pacer = shared_pacer(core.settings.redis, config.limits, in_flight_s=settings.lease_s)
    if pacer is not None:
        log.info("delivery pacing is shared with other processes through Redis")
    worker = DeliveryWorker(
        outbox,
        bot_sender,
        config,
        clock=clock,
        ticker=ticker or SystemTicker(),
        rng=rng or random.Random(settings.jitter_seed),
        documents=extract_documents(core.uow, catalogs),  # extract PDFs, rendered when sent
        pacer=pacer,
    )
    extracts = MonthlyExtracts(
        outbox,
        catalogs,
        extracts_from(core.uow),
        reach=reach_from(core.uow),
        rules=rules,
        clock=clock,
        zone=zone,
        day=settings.extract_day,
        at=settings.extract_time,
        deadline=settings.extract_deadline,
    )
    monthly = [extracts] if settings.monthly_extracts else []
    digest = DigestJob(
        outbox,
        catalogs,
        clock,
        rules=rules,
        zone=zone,
        late=_between(settings.digest_time, settings.digest_deadline),
    )
    reminders = TeacherReminders(
        outbox,
        catalogs,
        backlogs_from(core.uow),
        rules,
        clock,
        at=settings.teacher_reminder_time,
    )
    teacher_jobs = (
        [
            DailyJob(
                reminders.name,
                settings.teacher_reminder_time,
                settings.teacher_reminder_until,
                reminders.run,
            )
        ]
        if settings.teacher_reminders
        else []
    )
    scheduler = JobScheduler(
        outbox,
        jobs=[
            DailyJob(
                REMINDER,
                settings.timetable_watch_time,
                settings.timetable_deadline,
                timetable.remind,
            ),
            *teacher_jobs,
        ],
        deadline_jobs=(
            [timetable.deadline_job(), *(job.deadline_job() for job in monthly)]
            if deadline_jobs is None
            else deadline_jobs
        ),
        settings=settings,
        zone=zone,
        clock=clock,
        periodic=[
            lambda: finish_runs(outbox),
            digest.run,  # digests: each at its person's time
            *(job.summarize for job in monthly),  # class teachers' counts after the push
        ],
    )
    return NotificationsRuntime(
        outbox=outbox,
        fanout=fanout,
        worker=worker,
        scheduler=scheduler,
        leader=outbox.leader_lock(),
        settings=settings,
    )


def _between(start: time, end: time) -> timedelta:
    """How long from one time of day to a later one."""
    day = date(2000, 1, 1)
    return datetime.combine(day, end) - datetime.combine(day, start)
