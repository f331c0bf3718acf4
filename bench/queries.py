"""Hot-reads benchmark: the bot's four busiest reads on a generated multi-school database.

Seeds the deterministic demo generator (``ejournal seed-demo``'s) with a full school year of
lessons, attendance and marks for many schools (20 schools, ~8,300 pupils by default), then
times each read through the core service the bot calls, with a real authorized viewer, on
pupils, classes, teachers and dates drawn at random (fixed seed) across all schools:

- ``diary_week``: a parent opens a child's diary week (``pupil_diary``, /diary);
- ``semester_marks``: a parent opens a child's marks of one semester (``pupil_marks``, /marks);
- ``class_attendance_month``: a class teacher's attendance month of the class
  (``class_attendance``, the class teacher's report);
- ``teacher_day``: a teacher's day of lessons (``teacher_day``, /today).

Beside them, ``floor``: one row by primary key in a session and transaction of its own (a
pupil of a random school) — what any read costs on this stack before the journal asks anything.

Prints ONE JSON line: sizes, seeding seconds, p50/p99 per read and of the floor, max_p99_ms
(of the four reads) and the target.

    python bench/queries.py                       # SQLite, 20 schools, 500 samples per read
    python bench/queries.py --short               # CI: 2 schools, 60 samples per read
    python bench/queries.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test
    python bench/queries.py --backend both --database-url postgresql+asyncpg://...
    python bench/queries.py --reuse               # keep the generated database for the next run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, make_url, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from core.bootstrap import Core, build_core
from core.clock import FakeClock
from core.config import CoreSettings, DatabaseSettings
from core.domain.access import Role, Viewer
from core.services.diary import pupil_diary
from core.services.marks import pupil_marks
from core.services.schools import seed_demo
from core.services.teacher_day import teacher_day
from core.services.teacher_reports import class_attendance
from core.storage import tables as t
from core.storage.database import create_engine, upgrade

TARGET_P99_MS = 5.0  # issue #12: every hot read's p99 at most 5 ms on the 2-core machine
ZONE = ZoneInfo("Europe/Riga")
READS = ("diary_week", "semester_marks", "class_attendance_month", "teacher_day")
CACHE = Path(tempfile.gettempdir()) / "ejournal-bench-queries"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="2 schools, 60 samples: for CI")
    parser.add_argument("--schools", type=int, help="default 20 (--short: 2)")
    parser.add_argument("--classes-per-grade", type=int, default=2, help="default 2")
    parser.add_argument("--pupils-per-class", type=int, default=23, help="default 23")
    parser.add_argument("--samples", type=int, help="timed calls per read (500; --short: 60)")
    parser.add_argument("--warmup", type=int, help="untimed calls per read first (50; 10)")
    parser.add_argument("--seed", type=int, default=1, help="demo and sampling seed")
    parser.add_argument(
        "--today", default="2027-06-11", help="the last school day (default: the 2026/27 year's)"
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        help="default: postgresql when --database-url names one, else sqlite",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("EJOURNAL_BENCH_DATABASE_URL"),
        help="PostgreSQL: a scratch database is created next to the one named (and dropped "
        "afterwards unless --reuse)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"keep the generated database and reuse it next time (SQLite: under {CACHE}; "
        "PostgreSQL: a database named after the size and seed); migrations are still applied",
    )
    args = parser.parse_args(argv)
    short = {"schools": 2, "samples": 60, "warmup": 10}
    full = {"schools": 20, "samples": 500, "warmup": 50}
    for name, value in (short if args.short else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    postgres = args.database_url and make_url(args.database_url).get_backend_name() != "sqlite"
    args.backend = args.backend or ("postgresql" if postgres else "sqlite")
    if args.backend != "sqlite" and not postgres:
        parser.error("--backend postgresql/both needs a PostgreSQL --database-url")
    return args


def size_key(args: argparse.Namespace) -> str:
    """What the generated data depends on: a name for a reusable database."""
    return (
        f"s{args.seed}_{args.schools}x{args.classes_per_grade}x{args.pupils_per_class}_"
        f"{args.today.replace('-', '')}"
    )


# ------------------------------------------------------------------------------ databases


@contextlib.asynccontextmanager
async def sqlite_database(args: argparse.Namespace) -> AsyncIterator[tuple[str, bool]]:
    """A temporary SQLite file, or the cached one with ``--reuse``; and whether it is seeded."""
    if not args.reuse:
        with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as folder:
            yield f"sqlite+aiosqlite:///{folder}/queries.sqlite3", False
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    final = CACHE / f"{size_key(args)}.sqlite3"
    if final.exists():
        yield f"sqlite+aiosqlite:///{final}", True
        return
    building = CACHE / f"building-{uuid.uuid4().hex[:8]}.sqlite3"
    try:
        yield f"sqlite+aiosqlite:///{building}", False
        _keep(building, final)
    finally:
        _discard(building)


def _keep(building: Path, final: Path) -> None:
    """Cache a finished database file (its engine is disposed: the WAL is checkpointed)."""
    _discard(building, "-wal", "-shm")
    building.rename(final)


def _discard(path: Path, *suffixes: str) -> None:
    for suffix in suffixes or ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextlib.asynccontextmanager
async def postgres_database(args: argparse.Namespace, url: str) -> AsyncIterator[tuple[str, bool]]:
    """A scratch database next to ``url`` (kept and reused with ``--reuse``); whether seeded."""
    admin_url = make_url(url)
    name = (
        f"ejournal_bench_q_{size_key(args)}"
        if args.reuse
        else f"ejournal_bench_{uuid.uuid4().hex[:10]}"
    )
    target = admin_url.set(database=name).render_as_string(hide_password=False)
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                sql("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            seeded = bool(exists) and await _complete(target, args.schools)
            if exists and not seeded:
                await conn.execute(sql(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if not seeded:
                await conn.execute(sql(f'CREATE DATABASE "{name}"'))
        try:
            # The seed is one transaction: a kept database holds every school or none
            # (``_complete`` tells which next time).
            yield target, seeded
        finally:
            if not args.reuse:
                async with admin.connect() as conn:
                    await conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def _complete(url: str, schools: int) -> bool:
    """Whether a kept database holds the generated schools (a seed that finished)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return bool(await conn.scalar(select(func.count()).select_from(t.School)) == schools)
    except Exception:  # no tables yet: not complete
        return False
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------ samples


@dataclass(frozen=True, slots=True)
class Samples:
    """Who reads what: viewers and arguments drawn at random across all schools."""

    diary: list[tuple[Viewer, int, date]]
    marks: list[tuple[Viewer, int, date, date]]
    attendance: list[tuple[Viewer, int, int, int]]
    days: list[tuple[Viewer, date]]


async def draw(core: Core, rng: random.Random, n: int) -> Samples:
    """``n`` calls of each read, with the viewer the bot would have built for each person."""
    async with AsyncSession(core.engine) as session, core.uow() as uow:
        years = {
            row.school_id: row
            for row in (await session.execute(select(t.SchoolYear))).scalars().all()
        }
        terms = (await session.execute(select(t.Term))).scalars().all()
        terms_of: dict[int, list[t.Term]] = {}
        for term in terms:
            terms_of.setdefault(term.school_year_id, []).append(term)
        families = (
            await session.execute(
                select(t.Guardianship.guardian_id, t.Guardianship.pupil_id, t.Enrolment.school_id)
                .join(t.Enrolment, t.Enrolment.pupil_id == t.Guardianship.pupil_id)
                .where(t.Guardianship.read_only.is_(False))
                .order_by(t.Guardianship.id)
            )
        ).all()
        classes = (
            await session.execute(
                select(t.ClassGroup.class_teacher_id, t.ClassGroup.id, t.ClassGroup.school_id)
                .where(t.ClassGroup.class_teacher_id.is_not(None))
                .order_by(t.ClassGroup.id)
            )
        ).all()
        teachers = (
            await session.execute(
                select(t.StaffRole.person_id, t.StaffRole.school_id)
                .where(t.StaffRole.role == Role.TEACHER.value, t.StaffRole.is_active.is_(True))
                .order_by(t.StaffRole.id)
            )
        ).all()
        people = (
            {g for g, _, _ in families}
            | {c for c, _, _ in classes if c is not None}
            | {p for p, _ in teachers}
        )
        viewers: dict[int, Viewer] = {}
        for person in sorted(people):
            viewer = await uow.directory.viewer(person)
            assert viewer is not None
            viewers[person] = viewer

    def school_day(school_id: int) -> date:
        year = years[school_id]
        while True:
            day = year.starts_on + timedelta(
                days=rng.randrange((year.ends_on - year.starts_on).days)
            )
            if day.weekday() < 5:
                return day

    diary, marks, attendance, days = [], [], [], []
    for _ in range(n):
        guardian, pupil, school = rng.choice(families)
        diary.append((viewers[guardian], pupil, school_day(school)))
        guardian, pupil, school = rng.choice(families)
        term = rng.choice(terms_of[years[school].id])
        marks.append((viewers[guardian], pupil, term.starts_on, term.ends_on))
        teacher, class_id, school = rng.choice(classes)
        assert teacher is not None
        month = school_day(school)
        attendance.append((viewers[teacher], class_id, month.year, month.month))
        teacher, school = rng.choice(teachers)
        days.append((viewers[teacher], school_day(school)))
    return Samples(diary, marks, attendance, days)


# ------------------------------------------------------------------------------ timing


class StatementCounter:
    """Counts the SQL statements an engine sends (N+1 reads show up as a large average)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


async def timed(
    calls: list[Callable[[], Awaitable[object]]], warmup: int, counter: StatementCounter
) -> dict[str, float]:
    """Warm up on the first calls, then time each of the rest; p50, p99 and statements."""
    for call in calls[:warmup]:
        await call()
    elapsed: list[float] = []
    before, cpu = counter.count, time.process_time()
    for call in calls[warmup:]:
        started = time.perf_counter()
        await call()
        elapsed.append((time.perf_counter() - started) * 1000)
    cpu = time.process_time() - cpu
    elapsed.sort()
    n = len(elapsed)
    return {
        "p50_ms": round(elapsed[(n - 1) // 2], 2),
        "p99_ms": round(elapsed[max(0, math.ceil(n * 0.99) - 1)], 2),
        "max_ms": round(elapsed[-1], 2),
        # this process's CPU per call (SQLite's own work included: it runs in a thread here)
        "cpu_ms": round(cpu * 1000 / n, 2),
        "statements": round((counter.count - before) / n, 1),
    }


async def measure(args: argparse.Namespace, url: str, seeded: bool) -> dict[str, Any]:
    """Migrate, seed unless reused, then time the four reads."""
    today = date.fromisoformat(args.today)
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    # Late afternoon of the last school day: "today" is the same date in every school.
    clock = FakeClock(datetime.combine(today, clock_time(15, 0), tzinfo=ZONE).astimezone(UTC))
    core = build_core(CoreSettings(database=DatabaseSettings(url=url)), clock)
    try:
        seed_s = None
        if not seeded:
            started = time.perf_counter()
            await seed_demo(
                core.uow(),
                Viewer.console(),
                seed=args.seed,
                schools=args.schools,
                classes_per_grade=args.classes_per_grade,
                pupils_per_class=args.pupils_per_class,
                zone=ZONE,
                today=today,
            )
            seed_s = round(time.perf_counter() - started, 1)
        if core.engine.dialect.name == "postgresql":
            # Fresh statistics, as autovacuum would have them on a database in use.
            async with core.engine.begin() as conn:
                await conn.execute(sql("ANALYZE"))
        sizes = await _sizes(core)
        rng = random.Random(f"ejournal-bench-queries/{args.seed}")
        samples = await draw(core, rng, args.warmup + args.samples)
        counter = StatementCounter(core.engine)
        reads: dict[str, list[Callable[[], Awaitable[object]]]] = {
            "diary_week": [partial(_diary, core, v, p, d) for v, p, d in samples.diary],
            "semester_marks": [partial(_marks, core, v, p, s, e) for v, p, s, e in samples.marks],
            "class_attendance_month": [
                partial(_attendance, core, v, c, y, m) for v, c, y, m in samples.attendance
            ],
            "teacher_day": [partial(_day, core, v, d) for v, d in samples.days],
            "floor": [partial(_one_row, core, p) for _, p, _ in samples.diary],
        }
        results = {read: await timed(calls, args.warmup, counter) for read, calls in reads.items()}
    finally:
        await core.close()
    return {
        "backend": make_url(url).get_backend_name(),
        **sizes,
        "seed_s": seed_s,
        "samples": args.samples,
        **results,
        "max_p99_ms": max(float(results[read]["p99_ms"]) for read in READS),
        "target_p99_ms": TARGET_P99_MS,
    }


async def _one_row(core: Core, person_id: int) -> object:
    async with AsyncSession(core.engine) as session, session.begin():
        return await session.get(t.Person, person_id)


async def _diary(core: Core, viewer: Viewer, pupil_id: int, day: date) -> object:
    return await pupil_diary(core.uow(), viewer, pupil_id=pupil_id, week_of=day)


async def _marks(core: Core, viewer: Viewer, pupil_id: int, start: date, end: date) -> object:
    return await pupil_marks(core.uow(), viewer, pupil_id=pupil_id, start=start, end=end)


async def _attendance(core: Core, viewer: Viewer, class_id: int, year: int, month: int) -> object:
    return await class_attendance(core.uow(), viewer, class_id=class_id, year=year, month=month)


async def _day(core: Core, viewer: Viewer, day: date) -> object:
    return await teacher_day(core.uow(), viewer, on=day)


async def _sizes(core: Core) -> dict[str, int]:
    async with AsyncSession(core.engine) as session:

        async def count(table: type[t.Base], *where: Any) -> int:
            return int(
                await session.scalar(select(func.count()).select_from(table).where(*where)) or 0
            )

        return {
            "schools": await count(t.School),
            "pupils": await count(t.Enrolment),
            "lessons": await count(t.Lesson),
            "marks": await count(t.Mark),
            "attendance": await count(t.Attendance),
        }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """One backend's figures, or both side by side."""
    runs: list[dict[str, Any]] = []
    if args.backend in ("sqlite", "both"):
        async with sqlite_database(args) as (url, seeded):
            runs.append(await measure(args, url, seeded))
    if args.backend in ("postgresql", "both"):
        async with postgres_database(args, args.database_url) as (url, seeded):
            runs.append(await measure(args, url, seeded))
    if len(runs) == 1:
        return runs[0]
    return {
        **{r["backend"]: r for r in runs},
        "max_p99_ms": max(r["max_p99_ms"] for r in runs),
        "target_p99_ms": TARGET_P99_MS,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the one JSON line."""
    print(json.dumps(asyncio.run(run(parse(argv)))))


if __name__ == "__main__":
    main()
