"""Delivery benchmark: N deliveries through the real worker and sender against the sandbox.

The sandbox's flood control and the worker's limit are raised to the same value (500/s by
default), faults are injected (2% 429, 1% 5xx) and the sandbox's record of every call is the
judge. Prints ONE JSON line: achieved_per_s, limit_per_s, ratio, lost, duplicates, n, seconds...

    python bench/delivery.py            # 2,000 deliveries
    python bench/delivery.py --short    # 300, for CI
    python bench/delivery.py --workers 3 --redis-url redis://127.0.0.1:6379/0
                                        # 3 workers sharing one limit in Redis
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from typing import Any

from redis.asyncio import Redis
from scratch import scratch_database  # bench/scratch.py

from core.clock import SystemClock
from core.config import RedisSettings
from core.storage.database import create_engine, upgrade
from notifications.delivery import Backoff, DeliveryWorker, WorkerConfig
from notifications.outbox import Outbox
from notifications.rate_limit import Limits
from notifications.records import NewDelivery, Status
from notifications.shared_limits import RedisPacer
from notifications.telegram_sender import TelegramSender
from sandbox.ratelimit import RateLimitConfig
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import SandboxConfig

TOKEN = "5151:BENCH-token"
FIRST_USER = 800_000_001


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="deliveries (default 2000)")
    parser.add_argument("--short", action="store_true", help="300 deliveries, for CI")
    parser.add_argument("--limit", type=float, default=500.0, help="messages per second")
    parser.add_argument("--per-chat", type=int, default=1, help="messages per recipient")
    parser.add_argument("--flood", type=float, default=0.02, help="share of calls refused 429")
    parser.add_argument("--retry-after", type=int, default=0, help="retry_after of those 429s")
    parser.add_argument("--server-errors", type=float, default=0.01, help="share of 5xx")
    parser.add_argument(
        "--database-url",
        help="default: a temporary SQLite file; for PostgreSQL a scratch database is created "
        "next to the one named (and dropped afterwards)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="delivery workers (as in separate processes) sharing the limit; more than one "
        "needs --redis-url",
    )
    parser.add_argument(
        "--redis-url",
        help="pace through the shared limiter in this Redis (keys under a scratch prefix, "
        "deleted afterwards); default: the in-process limiter",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.short:
        args.n = 300
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.workers > 1 and not args.redis_url:
        parser.error("--workers above 1 needs --redis-url (workers pacing alone overrun it)")
    return args


def text(i: int) -> str:
    """The unique text of delivery ``i`` (how the audit recognises it)."""
    return f"Bench #{i:06d}"


def audit(sb: RunningSandbox, n: int) -> dict[str, Any]:
    """What the sandbox saw: lost, duplicated, faults, the busiest second, chat gaps."""
    calls = [c for c in sb.state.calls if c.method == "sendMessage"]
    arrived = Counter(str(c.params.get("text")) for c in calls if c.ok)
    wanted = {text(i) for i in range(n)}
    times = sorted(c.time for c in calls)
    window = max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for c in calls:
        if c.ok:
            per_chat[int(c.params["chat_id"])].append(c.time)
    gaps = [
        b - a
        for stamps in per_chat.values()
        for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)
    ]
    return {
        "lost": len(wanted - set(arrived)),
        "duplicates": sum(count - 1 for key, count in arrived.items() if key in wanted),
        "calls": len(calls),
        "flood_429": sum(1 for c in calls if c.fault == "flood"),
        "server_5xx": sum(1 for c in calls if c.fault == "server_error"),
        "sandbox_refusals": sum(1 for c in calls if c.rate_limited),
        "max_per_window": window,
        "min_chat_gap_s": round(min(gaps), 3) if gaps else None,
        "last_ok": max((c.time for c in calls if c.ok), default=0.0),
        "first_call": times[0] if times else 0.0,
        "ok_before_last_1pct": sorted(c.time for c in calls if c.ok)[max(0, int(n * 0.99) - 1)]
        if n
        else 0.0,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """A fresh database and sandbox, the worker until everything is sent, then the audit."""
    async with scratch_database(args.database_url) as url:
        return await measure(args, url)


async def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Enqueue, send and audit on the database at ``url``."""
    engine = create_engine(url)
    await upgrade(engine)
    clock = SystemClock()
    limit = args.limit
    burst = max(1, int(limit // 10))  # the sandbox's; the worker never bursts beyond it
    config = SandboxConfig(
        token=TOKEN,
        rate_limits=RateLimitConfig(
            enabled=True,
            global_per_second=limit,
            global_burst=burst,
            private_per_second=1,
            private_burst=1,
        ),
    )
    try:
        async with running_sandbox(config=config) as sb:
            users = max(1, args.n // args.per_chat)
            for i in range(users):
                sb.sim.create_user(user_id=FIRST_USER + i, first_name=f"U{i}")
                sb.sim.send_text(FIRST_USER + i, "/start")
            outbox = Outbox(engine)
            now = clock.now()
            rows = [
                NewDelivery(
                    key=f"bench:{i}",
                    kind="bench",
                    payload={"text": text(i), "parse_mode": None},
                    not_before=now,
                    chat_id=FIRST_USER + i % users,
                    job="bench:run",
                )
                for i in range(args.n)
            ]
            for start in range(0, len(rows), 1000):
                await outbox.enqueue(rows[start : start + 1000], now)
            if args.flood:
                await sb.client.set_fault(
                    "flood",
                    method="sendMessage",
                    probability=args.flood,
                    seed=args.seed,
                    retry_after=args.retry_after,
                )
            if args.server_errors:
                await sb.client.set_fault(
                    "server_error",
                    method="sendMessage",
                    probability=args.server_errors,
                    seed=args.seed + 1,
                    status=502,
                )
            limits = Limits(global_per_second=limit, global_burst=min(10, burst), guard=0.01)
            worker_config = WorkerConfig(
                limits=limits,
                max_in_flight=64,
                claim_batch=max(50, 400 // args.workers),
                lease_s=60,
                idle_poll_s=0.02,
                max_attempts=10,
                backoff=Backoff(0.05, 1.0),
            )
            prefix = f"bench{uuid.uuid4().hex[:10]}"
            workers = [
                DeliveryWorker(
                    Outbox(engine),
                    # Each worker as its own process: its own connections to Telegram and Redis.
                    TelegramSender(TOKEN, api_base=sb.api_url, timeout=10, connections=128),
                    worker_config,
                    clock=clock,
                    rng=random.Random(args.seed + k),
                    pacer=RedisPacer.connect(
                        RedisSettings(url=args.redis_url, key_prefix=prefix), limits
                    )
                    if args.redis_url
                    else None,
                )
                for k in range(args.workers)
            ]
            started = time.time()
            for worker in workers:
                worker.start()
            try:
                async with asyncio.timeout(args.timeout):
                    # Polling: the database has no event to wait on.
                    while (await outbox.status_counts()).get(Status.SENT, 0) < args.n:  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
            finally:
                for worker in workers:
                    await worker.stop()
                    await worker.sender.close()
                if args.redis_url:
                    await forget_keys(args.redis_url, prefix)
            result = audit(sb, args.n)
            result["sends_per_worker"] = [worker.stats.sends for worker in workers]
    finally:
        await engine.dispose()
    first = result.pop("first_call") - started
    p99 = result.pop("ok_before_last_1pct") - started
    seconds = max(result.pop("last_ok") - started, 1e-9)
    result["first_call_s"] = round(first, 3)
    result["p99_s"] = round(p99, 3)
    achieved = args.n / seconds
    return {
        "n": args.n,
        "seconds": round(seconds, 3),
        "achieved_per_s": round(achieved, 1),
        "limit_per_s": limit,
        "ratio": round(achieved / limit, 3),
        "lost": result.pop("lost"),
        "duplicates": result.pop("duplicates"),
        **result,
        "retry_after_s": args.retry_after,
        "backend": engine.dialect.name,
        "workers": args.workers,
        "pacing": "redis" if args.redis_url else "in-process",
    }


async def forget_keys(url: str, prefix: str) -> None:
    """Delete the run's limiter keys (they would expire by themselves within a minute)."""
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> None:
    """Print the result as one JSON line."""
    print(json.dumps(asyncio.run(run(parse(argv)))))


if __name__ == "__main__":
    main()
