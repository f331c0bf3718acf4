"""The outbox on a real database: idempotent enqueue, claims under leases, crash recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.bootstrap import Core
from core.clock import FakeClock
from core.services.accounts import record_reachability
from notifications.outbox import Outbox
from notifications.records import Completion, NewDelivery, Status
from tests.builders import build_world

from .conftest import account_status, deliveries, link, utc


def new(key: str, chat: int = 100, *, due_in: float = 0, job: str | None = None, now=None):
    return NewDelivery(
        key=key,
        kind="test",
        payload={"text": key},
        not_before=(now or utc(2026, 11, 27, 8)) + timedelta(seconds=due_in),
        chat_id=chat,
        job=job,
    )


async def test_enqueue_is_idempotent_on_the_key(core: Core) -> None:
    outbox = Outbox(core.engine)
    now = core.clock.now()
    assert await outbox.enqueue([new("a"), new("b")], now) == 2
    assert await outbox.enqueue([new("b"), new("c"), new("a")], now) == 1
    assert [row.idempotency_key for row in await deliveries(core)] == ["a", "b", "c"]


async def test_claims_take_due_rows_in_order_and_lease_them(core: Core, clock: FakeClock) -> None:
    outbox = Outbox(core.engine)
    now = clock.now()
    await outbox.enqueue(
        [new("later", due_in=60, now=now), new("first", now=now), new("second", now=now)], now
    )
    lease = now + timedelta(seconds=30)
    claimed = await outbox.claim(now=now, limit=10, lease_until=lease)
    assert [d.key for d in claimed] == ["first", "second"]
    assert await outbox.claim(now=now, limit=10, lease_until=lease) == []
    rows = {row.idempotency_key: row for row in await deliveries(core)}
    assert rows["first"].status == "sending"
    assert rows["later"].status == "queued"


async def test_an_expired_lease_is_claimed_again_after_a_crash(
    core: Core, clock: FakeClock
) -> None:
    outbox = Outbox(core.engine)
    now = clock.now()
    await outbox.enqueue([new("a", now=now), new("b", now=now)], now)
    crashed = await outbox.claim(now=now, limit=10, lease_until=now + timedelta(seconds=30))
    assert len(crashed) == 2  # the worker dies holding both
    clock.advance(timedelta(seconds=29))
    assert await outbox.claim(now=clock.now(), limit=10, lease_until=clock.now()) == []
    clock.advance(timedelta(seconds=2))
    later = clock.now()
    again = await outbox.claim(now=later, limit=10, lease_until=later + timedelta(seconds=30))
    assert [d.key for d in again] == ["a", "b"]


async def test_concurrent_claims_never_share_a_row(core: Core) -> None:
    outbox = Outbox(core.engine)
    now = core.clock.now()
    await outbox.enqueue([new(f"k{i}", chat=i, now=now) for i in range(200)], now)
    lease = now + timedelta(seconds=30)

    async def worker() -> list[int]:
        got: list[int] = []
        while batch := await outbox.claim(now=now, limit=7, lease_until=lease):
            got.extend(d.id for d in batch)
        return got

    results = await asyncio.gather(*(worker() for _ in range(5)))
    ids = [i for batch in results for i in batch]
    assert len(ids) == 200
    assert len(set(ids)) == 200


async def test_release_hands_rows_back_unsent(core: Core) -> None:
    outbox = Outbox(core.engine)
    now = core.clock.now()
    await outbox.enqueue([new("a", now=now)], now)
    [claimed] = await outbox.claim(now=now, limit=1, lease_until=now + timedelta(seconds=30))
    assert await outbox.release([claimed.id], not_before=now) == 1
    assert [d.key for d in await outbox.claim(now=now, limit=1, lease_until=now)] == ["a"]


async def test_outcomes_are_written_back(core: Core) -> None:
    outbox = Outbox(core.engine)
    now = core.clock.now()
    await outbox.enqueue(
        [new("sent", 1), new("retry", 2), new("failed", 3), new("gone", 4), new("also-4", 4)], now
    )
    world = await build_world(core)
    await link(core, world.a.parent_5a, 4)
    claimed = {
        d.key: d
        for d in await outbox.claim(now=now, limit=4, lease_until=now + timedelta(seconds=30))
    }
    later = now + timedelta(seconds=9)
    await outbox.record(
        [
            Completion(claimed["sent"].id, Status.SENT, now),
            Completion(
                claimed["retry"].id,
                Status.QUEUED,
                now,
                not_before=later,
                attempts=1,
                last_error="Internal Server Error",
            ),
            Completion(claimed["failed"].id, Status.FAILED, now, attempts=3, last_error="x"),
            Completion(
                claimed["gone"].id, Status.UNREACHABLE, now, last_error="blocked", chat_id=4
            ),
        ]
    )
    rows = {row.idempotency_key: row for row in await deliveries(core)}
    assert rows["sent"].status == "sent"
    assert rows["sent"].sent_at is not None
    assert (rows["retry"].status, rows["retry"].attempts) == ("queued", 1)
    assert rows["retry"].last_error == "Internal Server Error"
    assert rows["failed"].status == "failed"
    # A 403 stops the chat: its other queued deliveries and its account become unreachable.
    assert rows["gone"].status == rows["also-4"].status == "unreachable"
    assert await account_status(core, 4) == "unreachable"
    assert await record_reachability(core.uow(), telegram_user_id=4, reachable=True)
    assert await account_status(core, 4) == "active"
    assert not await record_reachability(core.uow(), telegram_user_id=4, reachable=True)


async def test_report_counts_per_job_run_and_kind(core: Core, clock: FakeClock) -> None:
    outbox = Outbox(core.engine)
    now = clock.now()
    await outbox.enqueue(
        [
            new("d1", 1, job="digest:2026-11-27", now=now),
            new("d2", 2, job="digest:2026-11-27", now=now),
            new("d3", 3, job="digest:2026-11-26", now=now),
            new("m1", 4, now=now),
            NewDelivery("nc", "test", {}, now, status=Status.NOT_CONNECTED),
        ],
        now,
    )
    claimed = await outbox.claim(now=now, limit=1, lease_until=now + timedelta(seconds=5))
    await outbox.record([Completion(claimed[0].id, Status.SENT, now + timedelta(seconds=3))])
    rows = {r.name: r for r in await outbox.report()}
    assert set(rows) == {"digest:2026-11-27", "digest:2026-11-26", "test"}
    today = rows["digest:2026-11-27"]
    assert (today.sent, today.queued, today.total) == (1, 1, 2)
    assert today.first_sent_at == today.last_sent_at == now + timedelta(seconds=3)
    assert (rows["test"].queued, rows["test"].not_connected) == (1, 1)
    assert {r.name for r in await outbox.report(job="digest")} == {
        "digest:2026-11-27",
        "digest:2026-11-26",
    }
    assert [r.name for r in await outbox.report(job="digest:2026-11-26")] == ["digest:2026-11-26"]
    assert await outbox.report(since=now + timedelta(days=1)) == []
