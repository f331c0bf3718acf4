"""Owns the monthly progress extracts (rule 5.1): the push, the class teachers' counts, the PDF.

- **The push** (a deadline job, ``extract``, on ``extract_day`` of a month at
  ``extract_time``, eager, delivered by ``extract_deadline``): for each school, core's
  ``class_extracts`` of the previous month; for every pupil whose month holds a mark or an
  absence, the pupil (when they have an account) and each guardian with full rights (per
  child) get ONE message: the PDF with a two-line summary as its caption. Keys
  ``extract:<person>:<pupil>:<YYYY-MM>``. A guardian without an account is recorded
  ``not_connected``, an unreachable account ``unreachable``, as everywhere.
- **The PDF is rendered when it is sent**, not stored: the payload carries a ``DocumentRef``
  (school, pupil, month) and the delivery worker asks ``extract_documents`` for the bytes. So the
  outbox and the ``files`` table never hold a copy of every pupil's record, each recipient gets
  the journal as it stands when the message goes, and a retry renders it again.
- **The counts** (``summarize``, every minute): once the run's last delivery went out (or at
  the deadline), each class teacher gets one message: per class, how many extracts were sent
  and how many recipients are unreachable or not connected, and how many pupils' families
  nobody can reach, with a button that prints those as one PDF (the bot's
  ``/extract missing``). Key ``extract-summary:<teacher>:<YYYY-MM>``.

Writes deliveries only; it never sends or schedules.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.documents.extract_labels import (
    DocumentTexts,
    extract_filename,
    month_label,
    number,
)
from core.errors import DomainError
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.extracts import (
    ClassReach,
    ExtractData,
    Month,
    class_extracts,
    extract_reach,
)
from notifications.jobs import DeadlineJob, enqueue_run, job_key, job_label, local_at
from notifications.messages import (
    DocumentRef,
    DocumentSource,
    InlineButton,
    OutboundMessage,
)
from notifications.outbox import Outbox
from notifications.policy import Rules, direct
from notifications.records import Account, NewDelivery, SchoolFacts, Status

log = logging.getLogger("ejournal.notifications.extracts")

EXTRACT = "extract"
SUMMARY = "extract-summary"
DOCUMENT = "extract"  # DocumentRef.kind of a progress extract
_BATCH = 500

ExtractsOf = Callable[[int, date, date], Awaitable[Sequence[ExtractData]]]
ReachOf = Callable[[int, date, date], Awaitable[Sequence[ClassReach]]]


def extracts_from(core_uow: Callable[[], UnitOfWork]) -> ExtractsOf:
    """Core's ``class_extracts`` of a school's period, on a fresh unit of work per read."""

    async def read(school_id: int, start: date, end: date) -> Sequence[ExtractData]:
        return await class_extracts(core_uow(), school_id=school_id, start=start, end=end)

    return read


def reach_from(core_uow: Callable[[], UnitOfWork]) -> ReachOf:
    """Core's ``extract_reach`` (classes, class teachers, unreachable families)."""

    async def read(school_id: int, start: date, end: date) -> Sequence[ClassReach]:
        return await extract_reach(core_uow(), school_id=school_id, start=start, end=end)

    return read


def extract_documents(core_uow: Callable[[], UnitOfWork], catalogs: Catalogs) -> DocumentSource:
    """The delivery worker's renderer of ``extract`` documents, in the school's language.

    None (nothing to send) for another kind, a bad month, or a pupil no longer active in the
    school; the PDF is drawn in a thread so that sending goes on meanwhile.
    """

    async def render(ref: DocumentRef) -> tuple[str, bytes] | None:
        if ref.kind != DOCUMENT:
            return None
        try:
            month = Month.parse(ref.period)
            found = await class_extracts(
                core_uow(),
                school_id=ref.school_id,
                start=month.start,
                end=month.end,
                pupil_ids=[ref.pupil_id],
            )
        except DomainError:
            return None
        if not found:
            return None
        # ReportLab and qrcode (~10 MB) load on the first PDF, not at the process's start.
        from core.documents.extracts import render_extract  # noqa: PLC0415

        t = DocumentTexts(catalogs, found[0].language)
        pdf = await asyncio.to_thread(render_extract, found[0], t)
        return extract_filename(found[0], t), pdf

    return render


def extract_key(person_id: int, pupil_id: int, month: Month) -> str:
    """``extract:<person>:<pupil>:<YYYY-MM>``: one extract per recipient, child and month."""
    return job_key(EXTRACT, f"{person_id}:{pupil_id}", month.iso)


def summary_key(teacher_id: int, month: Month) -> str:
    """``extract-summary:<teacher>:<YYYY-MM>``: one count per class teacher and month."""
    return job_key(SUMMARY, teacher_id, month.iso)


def missing_callback(class_id: int, month: Month) -> str:
    """The bot's ``ExtractCb(action="missing", ref=class_id, month=…)``, packed.

    Written out here because notifications never import the bot; a test keeps both equal.
    """
    return f"ex:missing:{class_id}:{month.ordinal}"


def _pupil_of(key: str) -> int | None:
    parts = key.split(":")
    if len(parts) == 4 and parts[0] == EXTRACT and parts[2].isdigit():
        return int(parts[2])
    return None


@dataclass(frozen=True, slots=True)
class _ClassCount:
    """One class's share of a teacher's count message."""

    class_id: int
    name: str
    outcomes: Counter[Status]
    missing: int


class MonthlyExtracts:
    """The monthly extract push and the class teachers' counts after it.

    Args:
        outbox: The outbox (schools, guardians, accounts; deliveries; run bookkeeping).
        catalogs: Texts (core's month names plus this package's messages).
        extracts: A school's extracts of a period (core's system read).
        reach: A school's classes, class teachers and unreachable families (core).
        rules: Quiet hours (respected; preferences and digests do not apply).
        clock: The time.
        zone: The zone the scheduler runs in (the push moment is local there).
        day: The day of the month of the push (1-28).
        at: The push time (local).
        deadline: When the push's messages must have gone out (local); the counts go then at
            the latest.
    """

    name = EXTRACT

    def __init__(
        self,
        outbox: Outbox,
        catalogs: Catalogs,
        extracts: ExtractsOf,
        *,
        reach: ReachOf,
        rules: Rules,
        clock: Clock,
        zone: ZoneInfo,
        day: int,
        at: time,
        deadline: time,
    ) -> None:
        self.outbox = outbox
        self.catalogs = catalogs
        self.extracts = extracts
        self.reach = reach
        self.rules = rules
        self.clock = clock
        self.zone = zone
        self.day = day
        self.at = at
        self.deadline = deadline

    def runs_on(self, day: date) -> bool:
        """Whether ``day`` is the push's day of its month."""
        return day.day == self.day

    @staticmethod
    def month_of(run_day: date) -> Month:
        """The month a run covers: the one before the run's day."""
        return Month.of(run_day).previous()

    def deadline_job(self) -> DeadlineJob:
        """The push as a deadline job: ready at the push time, one day a month.

        It starts at once (``eager``): the month is over, so waiting would only make families
        wait; the plan still tells whether it can finish by the deadline.
        """
        return DeadlineJob(
            self.name,
            self.at,
            self.deadline,
            self.count,
            self.batches,
            eager=True,
            runs_on=self.runs_on,
        )

    # ------------------------------------------------------------------ the push

    async def count(self, period: str) -> int:
        """How many deliveries the run of ``period`` (the run's day, ISO) writes."""
        total = 0
        async for batch in self._batches(date.fromisoformat(period)):
            total += len(batch)
        return total

    def batches(self, period: str) -> AsyncIterator[Sequence[NewDelivery]]:
        """The run's deliveries, school by school, in batches (each its own transaction)."""
        return self._batches(date.fromisoformat(period))

    async def run(self, day: date) -> int:
        """Enqueue the push of ``day`` now (the scheduler plans it; tests and catch-up)."""
        if not self.runs_on(day):
            return 0
        return await enqueue_run(
            self.outbox,
            name=self.name,
            period=day.isoformat(),
            batches=self._batches(day),
            clock=self.clock,
        )

    async def _batches(self, run_day: date) -> AsyncIterator[Sequence[NewDelivery]]:
        if not self.runs_on(run_day):
            return
        month = self.month_of(run_day)
        async with self.outbox.transaction() as tx:
            schools = await tx.schools()
        for school in schools:
            rows = await self._school_rows(school, month)
            for start in range(0, len(rows), _BATCH):
                yield rows[start : start + _BATCH]

    async def _school_rows(self, school: SchoolFacts, month: Month) -> list[NewDelivery]:
        try:
            found = [
                e
                for e in await self.extracts(school.school_id, month.start, month.end)
                if e.has_entries
            ]
        except DomainError:
            log.exception("school %s: extracts could not be read", school.school_id)
            return []
        if not found:
            return []
        pupils = [e.pupil_id for e in found]
        async with self.outbox.transaction() as tx:
            links = [g for g in await tx.guardians(pupils) if g.active and not g.read_only]
            accounts = await tx.accounts(sorted(set(pupils) | {g.guardian_id for g in links}))
        guardians: dict[int, list[int]] = {}
        for link in links:
            guardians.setdefault(link.pupil_id, []).append(link.guardian_id)
        now = self.clock.now()
        rows = []
        for extract in found:
            own = accounts.get(extract.pupil_id)
            if own is not None and own.status != "unlinked":  # pupils with an account only
                rows.append(
                    self._delivery(
                        extract, extract.pupil_id, account=own, school=school, month=month, now=now
                    )
                )
            for guardian in guardians.get(extract.pupil_id, ()):
                account = accounts.get(guardian)
                rows.append(
                    self._delivery(
                        extract, guardian, account=account, school=school, month=month, now=now
                    )
                )
        return rows

    def _delivery(
        self,
        extract: ExtractData,
        person_id: int,
        *,
        account: Account | None,
        school: SchoolFacts,
        month: Month,
        now: datetime,
    ) -> NewDelivery:
        language = account.language if account is not None else school.locale
        status, due = direct(account, self.rules, zone=ZoneInfo(school.time_zone), now=now)
        own = person_id == extract.pupil_id
        message = OutboundMessage(
            caption=self.caption(extract, language, own=own),
            language=language,
            document=DocumentRef(
                kind=DOCUMENT,
                school_id=extract.school_id,
                pupil_id=extract.pupil_id,
                period=month.iso,
            ),
        )
        return NewDelivery(
            key=extract_key(person_id, extract.pupil_id, month),
            kind=EXTRACT,
            payload=message.model_dump(exclude_defaults=True),
            not_before=due,
            status=status,
            recipient_id=person_id,
            chat_id=None if account is None else account.chat_id,
        )

    def caption(self, extract: ExtractData, language: str, *, own: bool) -> str:
        """Two lines: whose extract of which month; marks, average and absences."""

        def t(key: str, **params: object) -> str:
            return self.catalogs.text(key, language, **params)

        month = extract.month or Month.of(extract.start)
        when = month_label(month, DocumentTexts(self.catalogs, language))
        head = (
            t("notify.extract.own", month=when)
            if own
            else t(
                "notify.extract.guardian",
                pupil=html.escape(extract.given_name, quote=False),
                month=when,
            )
        )
        facts = [t("notify.extract.marks", count=extract.mark_count)]
        if extract.average is not None:
            facts.append(t("notify.extract.average", average=number(extract.average, language)))
        absences = t(
            "notify.extract.absences",
            absent=extract.absences.absent_lessons,
            justified=extract.absences.justified,
        )
        return f"{head}\n{', '.join(facts)}; {absences}"

    # ------------------------------------------------------------------ the counts

    async def summarize(self) -> int:
        """The class teachers' counts of today's push, once it is over (every minute).

        Written once per push: after its last delivery went out, or at the deadline if some
        are still waiting (quiet hours, retries). Returns the deliveries written.
        """
        now = self.clock.now()
        today = now.astimezone(self.zone).date()
        if not self.runs_on(today):
            return 0
        period = today.isoformat()
        run = await self.outbox.job_run(EXTRACT, period)
        if run is None or await self.outbox.job_run(SUMMARY, period) is not None:
            return 0
        if run.last_sent_at is None and now < local_at(today, self.deadline, self.zone):
            return 0
        return await enqueue_run(
            self.outbox,
            name=SUMMARY,
            period=period,
            batches=self._summaries(today),
            clock=self.clock,
        )

    async def _summaries(self, run_day: date) -> AsyncIterator[Sequence[NewDelivery]]:
        month = self.month_of(run_day)
        outcomes: dict[int, Counter[Status]] = {}
        for key, status in await self.outbox.job_outcomes(job_label(EXTRACT, run_day.isoformat())):
            pupil = _pupil_of(key)
            if pupil is not None:
                outcomes.setdefault(pupil, Counter())[status] += 1
        async with self.outbox.transaction() as tx:
            schools = await tx.schools()
        owed: dict[int, list[_ClassCount]] = {}
        first_school: dict[int, SchoolFacts] = {}
        for school in schools:
            try:
                extracts = await self.extracts(school.school_id, month.start, month.end)
                classes = await self.reach(school.school_id, month.start, month.end)
            except DomainError:
                log.exception("school %s: extract counts could not be read", school.school_id)
                continue
            pushed = {e.pupil_id for e in extracts if e.has_entries}
            for klass in classes:
                pupils = [p for p in klass.pupil_ids if p in pushed]
                if not pupils or klass.class_teacher_id is None:
                    continue
                counts: Counter[Status] = Counter()
                for pupil in pupils:
                    counts.update(outcomes.get(pupil, Counter()))
                missing = sum(1 for p in klass.unreached if p in pushed)
                teacher = klass.class_teacher_id
                owed.setdefault(teacher, []).append(
                    _ClassCount(klass.class_id, klass.class_name, counts, missing)
                )
                first_school.setdefault(teacher, school)
        if not owed:
            yield []
            return
        async with self.outbox.transaction() as tx:
            teachers = sorted(owed)
            active = await tx.active_people(teachers)
            accounts = await tx.accounts(teachers)
        now = self.clock.now()
        rows = []
        for teacher in teachers:
            if teacher not in active:
                continue
            school = first_school[teacher]
            account = accounts.get(teacher)
            language = account.language if account is not None else school.locale
            status, due = direct(account, self.rules, zone=ZoneInfo(school.time_zone), now=now)
            message = self._summary(owed[teacher], month, language)
            rows.append(
                NewDelivery(
                    key=summary_key(teacher, month),
                    kind=SUMMARY,
                    payload=message.model_dump(exclude_defaults=True),
                    not_before=due,
                    status=status,
                    recipient_id=teacher,
                    chat_id=None if account is None else account.chat_id,
                )
            )
        yield rows

    def _summary(
        self, classes: Sequence[_ClassCount], month: Month, language: str
    ) -> OutboundMessage:
        """The count message: per class sent, unreachable, not connected (and failed).

        Under each class, how many families nobody reached, with a button printing theirs.
        """

        def t(key: str, **params: object) -> str:
            return self.catalogs.text(key, language, **params)

        when = month_label(month, DocumentTexts(self.catalogs, language))
        lines = [t("notify.extract.summary.header", month=when)]
        buttons: list[tuple[InlineButton, ...]] = []
        for klass in classes:
            name = html.escape(klass.name, quote=False)
            counts = klass.outcomes
            line = t(
                "notify.extract.summary.class",
                class_name=name,
                sent=counts[Status.SENT],
                unreachable=counts[Status.UNREACHABLE],
                not_connected=counts[Status.NOT_CONNECTED],
            )
            failed = counts[Status.FAILED] + counts[Status.QUEUED] + counts[Status.SENDING]
            if failed:
                line += t("notify.extract.summary.failed", failed=failed)
            lines.append(line)
            if klass.missing:
                lines.append(t("notify.extract.summary.missing", count=klass.missing))
                buttons.append(
                    (
                        InlineButton(
                            text=t(
                                "notify.extract.summary.button",
                                class_name=klass.name,
                                count=klass.missing,
                            ),
                            callback_data=missing_callback(klass.class_id, month),
                        ),
                    )
                )
            else:
                lines.append(t("notify.extract.summary.all_reached"))
        return OutboundMessage(text="\n".join(lines), language=language, keyboard=tuple(buttons))
