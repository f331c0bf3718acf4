"""Owns ``seed_demo``: writes whole demo schools into a session, ids after the stored maximum.

The caller commits. The same seed and ``today`` into fresh databases give identical rows.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Table, column, func, insert, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage import tables as t
from core.storage.demo import vocabulary as v
from core.storage.demo.journal import JournalBuilder
from core.storage.demo.model import Context, Ids, Tables
from core.storage.demo.school import SchoolBuilder
from core.storage.unit_of_work import SEED_ORDER

CODE_PREFIX = "demo"
_MAX_CODES = 10_000
_MAX_CLASSES_PER_GRADE = 26
_MAX_PUPILS_PER_CLASS = 40
_BATCH = 5000
_COPY_FROM = 1000  # PostgreSQL: tables with this many rows or more go through COPY


async def seed_demo(
    session: AsyncSession,
    *,
    seed: int = 1,
    today: date,
    schools: int = 1,
    classes_per_grade: int = 2,
    pupils_per_class: int | None = None,
    now: datetime,
) -> dict[str, int]:
    """Write ``schools`` demo basic schools (grades 1-9) with their current school year.

    Each school gets the next free code (``demo1``, ``demo2``...), staff, pupils and guardians,
    groups, a timetable per term, and the journal (lessons, attendance, marks) from the start of
    the school year containing ``today`` up to ``today``. Rows get explicit ids after each
    table's current maximum; on PostgreSQL the id sequences are moved past them. Nothing is
    committed.

    Args:
        session: an open session; the caller commits.
        seed: the random seed; with ``today`` it fixes every generated value.
        today: the school's current date (lessons up to and including it).
        schools: how many schools to add.
        classes_per_grade: classes in each grade (letters a, b, c...).
        pupils_per_class: pupils per class; None for a random 20-25 each.
        now: the current instant (timezone-aware); no timestamp is later.

    Returns:
        Rows written per table name.

    Raises:
        ValueError: a size is out of range, ``now`` is naive, or no free school code is left.
    """
    _check_arguments(schools, classes_per_grade, pupils_per_class, now)
    ids = Ids(await _first_free_ids(session))
    codes = set(await session.scalars(select(t.School.code)))
    names = set(await session.scalars(select(t.School.name)))
    phones = {
        phone
        for phone in await session.scalars(
            select(t.Person.phone).where(t.Person.phone.is_not(None))
        )
        if phone is not None
    }
    tables: Tables = {}
    for _ in range(schools):
        code = _free_code(codes)
        codes.add(code)
        name = _school_name(random.Random(f"ejournal-demo/{seed}/{code}/name"), names)
        names.add(name)
        built = build_school(
            rng=random.Random(f"ejournal-demo/{seed}/{code}"),
            ids=ids,
            code=code,
            name=name,
            today=today,
            now=now,
            classes_per_grade=classes_per_grade,
            pupils_per_class=pupils_per_class,
            used_phones=phones,
        )
        for table_name, rows in built.items():
            tables.setdefault(table_name, []).extend(rows)
    written = await _write(session, tables)
    if session.get_bind().dialect.name == "postgresql":
        await _advance_sequences(session, [name for name, count in written.items() if count])
    return dict(written)


def build_school(
    *,
    rng: random.Random,
    ids: Ids,
    code: str,
    name: str,
    today: date,
    now: datetime,
    classes_per_grade: int,
    pupils_per_class: int | None,
    used_phones: set[str],
) -> Tables:
    """Every row of one demo school and its current school year, without touching a database.

    Args:
        rng: the school's own seeded generator, the only source of randomness.
        ids: the next free id per table (shared by the schools of one run).
        code: the school's unique code.
        name: the school's display name.
        today: the last day with lessons; its school year is generated.
        now: the instant for timestamps; nothing is stamped later.
        classes_per_grade: classes in each of grades 1-9.
        pupils_per_class: pupils per class; None for 20-25 each.
        used_phones: phone numbers already taken; new ones are added to it.

    Returns:
        Rows per table name.
    """
    ctx = Context(rng=rng, ids=ids, code=code, today=today, now=now, used_phones=used_phones)
    roster = SchoolBuilder(ctx).build(name, classes_per_grade, pupils_per_class)
    JournalBuilder(ctx, roster).build()
    return ctx.tables


def _check_arguments(
    schools: int, classes_per_grade: int, pupils_per_class: int | None, now: datetime
) -> None:
    if schools < 1:
        raise ValueError("schools must be at least 1")
    if not 1 <= classes_per_grade <= _MAX_CLASSES_PER_GRADE:
        raise ValueError(f"classes per grade must be 1..{_MAX_CLASSES_PER_GRADE}")
    if pupils_per_class is not None and not 1 <= pupils_per_class <= _MAX_PUPILS_PER_CLASS:
        raise ValueError(f"pupils per class must be 1..{_MAX_PUPILS_PER_CLASS}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


async def _first_free_ids(session: AsyncSession) -> dict[str, int]:
    """Per seeded table, one more than its largest id (1 for an empty table)."""
    first: dict[str, int] = {}
    for model in SEED_ORDER:
        name = model.__tablename__
        largest = await session.scalar(select(func.max(column("id"))).select_from(table(name)))
        first[name] = int(largest or 0) + 1
    return first


def _free_code(taken: set[str]) -> str:
    """The first ``demoN`` code not taken yet.

    Raises:
        ValueError: every candidate code is taken.
    """
    for number in range(1, _MAX_CODES + 1):
        code = f"{CODE_PREFIX}{number}"
        if code not in taken:
            return code
    raise ValueError(f"no free demo school code left (tried {CODE_PREFIX}1..{_MAX_CODES})")


def _school_name(rng: random.Random, taken: set[str]) -> str:
    """A school name not used yet; numbered once the list runs out."""
    free = [name for name in v.SCHOOL_NAMES if name not in taken]
    if free:
        return rng.choice(free)
    base = rng.choice(v.SCHOOL_NAMES)
    number = 2
    while f"{base} ({number})" in taken:
        number += 1
    return f"{base} ({number})"


async def _write(session: AsyncSession, tables: Tables) -> dict[str, int]:
    """Batched executemany inserts, parents before children (``SEED_ORDER``).

    Core inserts on the tables: the ORM's bulk insert would split a batch wherever the set of
    NULL columns changes from one row to the next.
    """
    written: dict[str, int] = {}
    postgresql = session.get_bind().dialect.name == "postgresql"
    for model in SEED_ORDER:
        name = model.__tablename__
        target = t.Base.metadata.tables[name]
        rows = tables.get(name, [])
        columns = _copyable(target, rows) if postgresql else None
        if columns is not None:
            await _copy(session, name, columns, rows)
        else:
            for start in range(0, len(rows), _BATCH):
                await session.execute(insert(target), rows[start : start + _BATCH])
        written[name] = len(rows)
    return written


def _copyable(target: Table, rows: list[dict[str, Any]]) -> list[str] | None:
    """The columns to COPY ``rows`` with, or None when an INSERT must write them.

    COPY skips SQLAlchemy's parameter handling: it is used only when every row names the same
    columns, no JSON value needs encoding, and no omitted column has a Python-side default.
    """
    if len(rows) < _COPY_FROM:
        return None
    columns = list(rows[0])
    named = set(columns)
    for column_ in target.columns:
        if column_.name in named and isinstance(column_.type, JSON):
            return None
        if column_.name not in named and column_.default is not None:
            return None
    if any(row.keys() != named for row in rows):
        return None
    return columns


async def _copy(
    session: AsyncSession, name: str, columns: list[str], rows: list[dict[str, Any]]
) -> None:
    """PostgreSQL: the rows through the COPY protocol, in the session's transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # an open connection's asyncpg connection
    await driver.copy_records_to_table(
        name, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


async def _advance_sequences(session: AsyncSession, table_names: list[str]) -> None:
    """PostgreSQL: explicit ids do not move the serial sequences; move them past the rows."""
    for name in table_names:
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT max(id) FROM {name}))"
            )
        )
