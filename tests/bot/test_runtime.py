"""Runtime pieces without a network: the update-id memory, the drain, the shutdown switch."""

from __future__ import annotations

import asyncio

from bot.runtime import InFlight, MemorySeenUpdates, Shutdown


async def test_seen_updates_claim_finish_and_abandon() -> None:
    seen = MemorySeenUpdates()
    assert await seen.begin(1) == "new"
    assert await seen.begin(1) == "busy"
    await seen.finish(1)
    assert await seen.begin(1) == "done"
    assert await seen.begin(2) == "new"
    await seen.abandon(2)
    assert await seen.begin(2) == "new"


async def test_seen_updates_forget_after_a_day_and_stay_bounded() -> None:
    now = [0.0]
    seen = MemorySeenUpdates(keep_seconds=100, max_entries=3, clock=lambda: now[0])
    await seen.begin(1)
    await seen.finish(1)
    now[0] = 101
    assert await seen.begin(1) == "new"
    for update_id in (2, 3, 4):
        await seen.begin(update_id)
    assert await seen.begin(1) == "new"  # pushed out by newer ids


async def test_drain_waits_for_running_handlers() -> None:
    in_flight = InFlight()
    finished: list[int] = []

    async def handler(update_id: int, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(update_id)

    in_flight.spawn(1, handler(1, 0.05))
    in_flight.spawn(2, handler(2, 0.1))
    assert await in_flight.drain(5, asyncio.Event()) == set()
    assert finished == [1, 2]


async def test_drain_gives_up_after_its_budget_and_reports_what_it_cancelled() -> None:
    in_flight = InFlight()
    in_flight.spawn(7, asyncio.sleep(10))
    assert await in_flight.drain(0.05, asyncio.Event()) == {7}
    assert not in_flight.tasks


async def test_a_second_stop_request_hurries_the_drain() -> None:
    shutdown = Shutdown()
    in_flight = InFlight()
    in_flight.spawn(3, asyncio.sleep(10))
    shutdown.request()
    assert shutdown.stop.is_set()
    assert not shutdown.hurry.is_set()
    shutdown.request()
    assert await in_flight.drain(30, shutdown.hurry) == {3}
