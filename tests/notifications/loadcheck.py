"""Load helpers for the sandbox acceptance tests: virtual users, deliveries, and the audit.

The audit reads what the sandbox itself recorded (every Bot API call with its arrival time, and
every chat's messages), so it judges the worker from Telegram's side.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from notifications.outbox import Outbox
from notifications.records import NewDelivery
from sandbox.server import RunningSandbox

FIRST_USER = 700_000_001


def start_users(sb: RunningSandbox, count: int) -> list[int]:
    """Virtual users who have all pressed /start (so the bot may write to them)."""
    users = []
    for i in range(count):
        user = sb.sim.create_user(user_id=FIRST_USER + i, first_name=f"U{i}")
        sb.sim.send_text(user.id, "/start")
        users.append(user.id)
    return users


def marker(i: int) -> str:
    return f"Ziņa #{i:05d}"


async def enqueue_load(outbox: Outbox, users: list[int], count: int, now: datetime) -> None:
    """``count`` deliveries, round-robin over the users, each with a unique text."""
    rows = [
        NewDelivery(
            key=f"load:{i}",
            kind="load",
            payload={"text": marker(i), "parse_mode": None},
            not_before=now,
            chat_id=users[i % len(users)],
            job="load:run",
        )
        for i in range(count)
    ]
    for start in range(0, count, 500):
        await outbox.enqueue(rows[start : start + 500], now)


@dataclass(frozen=True)
class Audit:
    """What Telegram (the sandbox) saw."""

    expected: int
    delivered: int  # distinct markers that arrived
    lost: int
    duplicates: int  # arrivals beyond the first of a marker
    calls: int
    max_per_window: int  # most sendMessage calls in any one-second window
    min_chat_gap: float  # shortest time between two messages one chat received
    rate_limited: int  # calls the sandbox's own flood control refused
    first_call: float
    last_ok: float


def audit(sb: RunningSandbox, expected: int) -> Audit:
    seen: Counter[str] = Counter()
    for chat in sb.state.chats.values():
        for message in chat.bot_messages():
            if message.text:
                seen[message.text] += 1
    wanted = {marker(i) for i in range(expected)}
    calls = [c for c in sb.state.calls if c.method == "sendMessage"]
    times = sorted(c.time for c in calls)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for c in calls:
        if c.ok:  # what the chat received (a refused call brought it nothing)
            by_chat[int(c.params["chat_id"])].append(c.time)
    gaps = [
        b - a
        for stamps in by_chat.values()
        for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)
    ]
    window = max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
    ok = [c.time for c in calls if c.ok]
    return Audit(
        expected=expected,
        delivered=len(wanted & set(seen)),
        lost=len(wanted - set(seen)),
        duplicates=sum(n - 1 for text, n in seen.items() if text in wanted and n > 1),
        calls=len(calls),
        max_per_window=window,
        min_chat_gap=min(gaps, default=float("inf")),
        rate_limited=sum(1 for c in calls if c.rate_limited),
        first_call=times[0] if times else 0.0,
        last_ok=max(ok, default=0.0),
    )
