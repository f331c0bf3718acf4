"""Helpers for notifications tests: accounts, a fast worker, waiting for the outbox to settle."""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select

from core.bootstrap import Core
from core.clock import Clock
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.delivery import Backoff, DeliveryWorker, WorkerConfig
from notifications.outbox import Outbox
from notifications.rate_limit import Limits
from notifications.records import Status
from notifications.sender import Sender


async def link(
    core: Core,
    person_id: int,
    chat_id: int,
    *,
    language: str = "lv",
    status: str = "active",
    preferences: Mapping[str, Any] | None = None,
    quiet: tuple[time, time] | None = None,
) -> int:
    """Give a person a Telegram account (chat id = Telegram user id)."""
    async with create_session_factory(core.engine)() as session, session.begin():
        account = t.Account(
            person_id=person_id,
            telegram_user_id=chat_id,
            chat_id=chat_id,
            language=language,
            status=status,
            preferences=dict(preferences or {}),
            quiet_from=quiet[0] if quiet else None,
            quiet_to=quiet[1] if quiet else None,
            linked_at=core.clock.now(),
        )
        session.add(account)
        await session.flush()
        return int(account.id)


async def deliveries(core: Core) -> list[t.Delivery]:
    """Every outbox row, oldest first."""
    async with create_session_factory(core.engine)() as session:
        return list((await session.scalars(select(t.Delivery).order_by(t.Delivery.id))).all())


async def account_status(core: Core, chat_id: int) -> str:
    async with create_session_factory(core.engine)() as session:
        value = await session.scalar(select(t.Account.status).where(t.Account.chat_id == chat_id))
        assert value is not None
        return value


def fast_config(**changes: Any) -> WorkerConfig:
    """A worker that never waits long: high limits, short polls, tiny backoff."""
    values: dict[str, Any] = {
        "limits": Limits(
            global_per_second=1000,
            global_burst=50,
            private_per_second=50,
            group_per_minute=3000,
            guard=0.0,
        ),
        "max_in_flight": 16,
        "claim_batch": 50,
        "lease_s": 30.0,
        "idle_poll_s": 0.01,
        "max_attempts": 3,
        "backoff": Backoff(0.0, 0.0),
    }
    values.update(changes)
    return WorkerConfig(**values)


def make_worker(
    core: Core, sender: Sender, clock: Clock | None = None, **changes: Any
) -> DeliveryWorker:
    return DeliveryWorker(
        Outbox(core.engine),
        sender,
        fast_config(**changes),
        clock=clock or core.clock,
        rng=random.Random(7),
    )


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], *, within: float = 10.0, every: float = 0.02
) -> None:
    """Poll until ``check`` holds: a database or another process has no event to wait on."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(every)


async def all_sent(outbox: Outbox, count: int) -> bool:
    """Whether ``count`` deliveries are sent."""
    return (await outbox.status_counts()).get(Status.SENT, 0) >= count


async def settle(
    outbox: Outbox,
    done: Callable[[dict[Status, int]], bool] | None = None,
    within: float = 10.0,
) -> dict[Status, int]:
    """Wait until nothing is being sent and ``done`` holds (default: nothing queued either)."""

    def idle(counts: dict[Status, int]) -> bool:
        return not counts.get(Status.QUEUED)

    wanted = done or idle
    counts: dict[Status, int] = {}

    async def check() -> bool:
        nonlocal counts
        counts = await outbox.status_counts()
        return wanted(counts) and not counts.get(Status.SENDING)

    await eventually(check, within=within, every=0.01)
    return counts


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
