"""Acceptance against the sandbox: 2,000 deliveries with injected 429s and 5xx, paced and exact."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from core.bootstrap import Core
from core.clock import SystemClock
from notifications.delivery import Backoff, DeliveryWorker, WorkerConfig
from notifications.outbox import Outbox
from notifications.rate_limit import Limits
from notifications.records import Status
from notifications.telegram_sender import TelegramSender
from sandbox.ratelimit import RateLimitConfig
from sandbox.server import running_sandbox
from sandbox.state import SandboxConfig

from .loadcheck import audit, enqueue_load, start_users

TOKEN = "4242:ACCEPTANCE-token"
LIMIT = 500  # the sandbox's and the worker's overall limit, raised from 25 so the test is quick
MESSAGES = 2000
USERS = 500  # four messages a chat: the per-chat limit is exercised too


def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        token=TOKEN,
        rate_limits=RateLimitConfig(
            enabled=True,
            global_per_second=LIMIT,
            global_burst=LIMIT // 10,
            private_per_second=1,
            private_burst=1,
        ),
    )


def worker_config() -> WorkerConfig:
    return WorkerConfig(
        limits=Limits(global_per_second=LIMIT, global_burst=10, private_per_second=1, guard=0.05),
        max_in_flight=64,
        claim_batch=400,
        lease_s=60,
        idle_poll_s=0.02,
        max_attempts=8,
        backoff=Backoff(0.05, 1.0),
    )


async def test_2000_deliveries_with_429s_and_5xx_arrive_once_within_the_limits(
    core: Core,
) -> None:
    clock = SystemClock()
    async with running_sandbox(config=sandbox_config()) as sb:
        users = start_users(sb, USERS)
        outbox = Outbox(core.engine)
        await enqueue_load(outbox, users, MESSAGES, clock.now())
        # 2% flood control (retry_after 0: each still pauses every send and requeues) and 1% 5xx.
        await sb.client.set_fault(
            "flood", method="sendMessage", probability=0.02, seed=4, retry_after=0
        )
        await sb.client.set_fault(
            "server_error", method="sendMessage", probability=0.01, seed=5, status=502
        )
        sender = TelegramSender(TOKEN, api_base=sb.api_url, timeout=10)
        worker = DeliveryWorker(outbox, sender, worker_config(), clock=clock, rng=random.Random(3))
        worker.start()
        try:
            async with asyncio.timeout(60):
                while (await outbox.status_counts()).get(Status.SENT, 0) < MESSAGES:
                    await asyncio.sleep(0.05)
        finally:
            await worker.stop()
            await sender.close()
        faults = {rule["kind"]: rule["fired"] for rule in await sb.client.faults()}
        result = audit(sb, MESSAGES)

    assert await outbox.status_counts() == {Status.SENT: MESSAGES}
    assert faults["flood"] > 20
    assert faults["server_error"] > 8
    assert result.lost == 0
    assert result.duplicates == 0
    assert result.delivered == MESSAGES
    # Telegram's view: never more than the limit in any one-second window, never two messages
    # to one chat within a second, and the sandbox's own flood control never had to refuse.
    assert result.max_per_window <= LIMIT
    assert result.min_chat_gap >= 1.0
    assert result.rate_limited == 0
    assert result.calls == MESSAGES + faults["flood"] + faults["server_error"]
    seconds = result.last_ok - result.first_call
    assert MESSAGES / seconds > 0.8 * LIMIT, seconds
    assert timedelta(seconds=seconds) < timedelta(seconds=10)
