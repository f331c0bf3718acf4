"""Retention: delete or anonymize personal data kept longer than the school's periods allow.

Kinds kept by school years (marks, attendance, the audit log, journal mail, news, access
requests) expire when ``years`` have passed since the end of the school year they belong to
(1 September of the next year, as the archive counts it). A school year is touched only when a
verified archive of it is on record (``ejournal archive create`` then ``archive verify``):
otherwise it is refused with the reason and nothing of it changes. Each school year is its own
transaction, audited as ``retention.run``. The audit log is anonymized (who and what values
are cleared, the fact that something happened stays); everything else is deleted.

Kinds kept by days (notification deliveries, account-linking attempts) are the engine's and
the connection's working data: never archived, so no archive is needed; they are pruned in one
transaction of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.domain.access import Viewer
from core.domain.records import AuditRecord
from core.errors import NotAllowed
from core.ports import RetentionYear, UnitOfWork

YEAR_KINDS = ("marks", "attendance", "audit_log", "mail", "news", "access_requests")
"""Kinds of data kept for a number of years after their school year, in the order shown."""

DAY_KINDS = ("deliveries", "link_attempts")
"""Kinds of working data kept for a number of days."""


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each kind is kept: ``years`` per year kind, ``days`` per day kind."""

    years: Mapping[str, int]
    days: Mapping[str, int]

    @classmethod
    def of(cls, settings: object) -> Periods:
        """From ``[retention]`` settings (``<kind>_years`` and ``<kind>_days`` attributes)."""
        return cls(
            years={kind: int(getattr(settings, f"{kind}_years")) for kind in YEAR_KINDS},
            days={kind: int(getattr(settings, f"{kind}_days")) for kind in DAY_KINDS},
        )


@dataclass(frozen=True, slots=True)
class YearOutcome:
    """One school year: rows per expired kind, and whether it was refused (no verified archive)."""

    school_code: str
    year: str
    counts: Mapping[str, int]
    archived: bool
    done: bool  # changed (a real run on an archived year)

    @property
    def refused(self) -> bool:
        """Expired data but no verified archive: nothing of the year was touched."""
        return not self.archived and any(self.counts.values())


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a run found (dry run) or did."""

    dry_run: bool
    years: tuple[YearOutcome, ...]
    days: Mapping[str, int] = field(default_factory=dict)

    @property
    def refused(self) -> tuple[YearOutcome, ...]:
        """The years left alone for want of a verified archive."""
        return tuple(outcome for outcome in self.years if outcome.refused)


def year_end(year: RetentionYear) -> date:
    """The first day after the school year as the archive counts it (1 September, or later)."""
    return max(year.ends_on + timedelta(days=1), date(year.starts_on.year + 1, 9, 1))


def expired_kinds(year: RetentionYear, periods: Periods, today: date) -> tuple[str, ...]:
    """The year kinds whose period has passed by ``today``."""
    end = year_end(year)
    return tuple(kind for kind in YEAR_KINDS if _add_years(end, periods.years[kind]) <= today)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def run_retention(
    uow_factory: Callable[[], UnitOfWork],
    viewer: Viewer,
    *,
    periods: Periods,
    dry_run: bool,
) -> RetentionReport:
    """List (``dry_run``) or delete and anonymize what has expired, one school year at a time.

    Raises:
        NotAllowed: ``retention.console_only`` for anyone but the console operator.
    """
    if not viewer.operator:
        raise NotAllowed("retention.console_only")
    async with uow_factory() as uow:
        years = list(await uow.privacy.years())
        now = uow.clock.now()
    outcomes = [
        await _one_year(uow_factory, viewer, year, periods=periods, now=now, dry_run=dry_run)
        for year in years
    ]
    days = await _day_kinds(uow_factory, viewer, periods, now, dry_run)
    return RetentionReport(dry_run=dry_run, years=tuple(outcomes), days=days)


async def _one_year(
    uow_factory: Callable[[], UnitOfWork],
    viewer: Viewer,
    year: RetentionYear,
    *,
    periods: Periods,
    now: datetime,
    dry_run: bool,
) -> YearOutcome:
    today = now.astimezone(ZoneInfo(year.time_zone)).date()
    kinds = expired_kinds(year, periods, today)
    archived = year.verified_at is not None
    async with uow_factory() as uow:
        counts = {kind: await uow.privacy.expired_rows(year, kind, delete=False) for kind in kinds}
        if dry_run or not archived or not any(counts.values()):
            return YearOutcome(year.school_code, year.name, counts, archived, done=False)
        done = {kind: await uow.privacy.expired_rows(year, kind, delete=True) for kind in kinds}
        uow.audit(
            viewer,
            AuditRecord(
                action="retention.run",
                entity="school_year",
                entity_id=year.year_id,
                school_id=year.school_id,
                after={kind: count for kind, count in done.items() if count},
            ),
        )
        await uow.commit()
    return YearOutcome(year.school_code, year.name, done, archived, done=True)


async def _day_kinds(
    uow_factory: Callable[[], UnitOfWork],
    viewer: Viewer,
    periods: Periods,
    now: datetime,
    dry_run: bool,
) -> dict[str, int]:
    async with uow_factory() as uow:
        counts = {
            kind: await uow.privacy.expired_before(
                kind, now - timedelta(days=periods.days[kind]), delete=not dry_run
            )
            for kind in DAY_KINDS
        }
        if not dry_run and any(counts.values()):
            uow.audit(
                viewer,
                AuditRecord(
                    action="retention.run",
                    entity="working_data",
                    entity_id=None,
                    school_id=None,
                    after={kind: count for kind, count in counts.items() if count},
                ),
            )
            await uow.commit()
    return counts


async def record_archive_verified(
    uow: UnitOfWork, viewer: Viewer, *, school_code: str, year_name: str, sha256: str
) -> bool:
    """Note that an archive of a school year was verified; False when the year is not here.

    Raises:
        NotAllowed: ``retention.console_only`` for anyone but the console operator.
    """
    if not viewer.operator:
        raise NotAllowed("retention.console_only")
    async with uow:
        found = await uow.privacy.find_year(school_code, year_name)
        if found is None:
            return False
        school_id, year_id = found
        await uow.privacy.record_archive(
            school_id=school_id, year_id=year_id, sha256=sha256, now=uow.clock.now(), verified=True
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="archive.verify",
                entity="school_year",
                entity_id=year_id,
                school_id=school_id,
                after={"sha256": sha256},
            ),
        )
        await uow.commit()
        return True
