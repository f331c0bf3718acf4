"""The delivery worker with a recording sender: outcomes, retries, pauses, parts, documents."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from core.bootstrap import Core
from core.clock import FakeClock
from core.services.accounts import record_reachability
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.delivery import Backoff
from notifications.outbox import Outbox
from notifications.records import NewDelivery, Status
from notifications.sender import (
    ChatMigrated,
    DocumentPart,
    Failed,
    Outcome,
    Part,
    RecipientGone,
    RecordingSender,
    RetryAfter,
    TextPart,
)
from tests.builders import build_world

from .conftest import account_status, deliveries, eventually, link, make_worker, settle


def message(key: str, chat: int, text: str | None = None, **payload: object) -> NewDelivery:
    return NewDelivery(
        key=key,
        kind="test",
        payload={"text": text if text is not None else key, **payload},
        not_before=NOW_PLACEHOLDER,
        chat_id=chat,
    )


NOW_PLACEHOLDER = datetime(2026, 11, 27, 8, tzinfo=UTC)


async def wait_for_row(core: Core, check: Callable[[t.Delivery], bool]) -> t.Delivery:
    found: list[t.Delivery] = []

    async def ready() -> bool:
        found[:] = await deliveries(core)
        return bool(found) and check(found[0]) and found[0].status != "sending"

    await eventually(ready, within=5)
    return found[0]


async def enqueue(core: Core, *items: NewDelivery) -> Outbox:
    outbox = Outbox(core.engine)
    await outbox.enqueue(list(items), core.clock.now())
    return outbox


async def test_every_delivery_is_sent_once(core: Core) -> None:
    items = [message(f"m{i}", 100 + i) for i in range(60)]
    items.append(message("again", 100))
    outbox = await enqueue(core, *items)
    sender = RecordingSender()
    worker = make_worker(core, sender)
    worker.start()
    try:
        counts = await settle(outbox)
    finally:
        await worker.stop()
    assert counts == {Status.SENT: 61}
    assert len(sender.calls) == 61
    # Per chat the order of the outbox is kept.
    assert sender.texts(100) == ["m0", "again"]


async def test_a_429_pauses_every_send_and_requeues(core: Core, clock: FakeClock) -> None:
    outbox = await enqueue(core, *(message(f"m{i}", 200 + i) for i in range(20)))
    stamps: list[tuple[float, int]] = []

    def script(chat: int, _part: Part, n: int) -> Outcome | None:
        stamps.append((time.monotonic(), chat))
        return RetryAfter(0.4) if n == 3 else None

    sender = RecordingSender(script=script)
    worker = make_worker(core, sender, max_in_flight=1)
    worker.start()
    try:
        counts = await settle(outbox, lambda c: c.get(Status.SENT) == 19)
        assert counts[Status.QUEUED] == 1  # waits for its retry_after (the frozen clock)
        clock.advance(timedelta(seconds=1))
        worker.wake()
        counts = await settle(outbox)
    finally:
        await worker.stop()
    assert counts == {Status.SENT: 20}
    refused_at = stamps[3][0]
    after = [at for at, _ in stamps[4:]]
    assert min(after) - refused_at >= 0.4  # nobody was sent to during the pause
    rows = {r.idempotency_key: r for r in await deliveries(core)}
    assert rows["m3"].last_error == "429: retry after 0.4"
    assert rows["m3"].attempts == 0  # flood control is no failure
    assert worker.stats.paused_s == pytest.approx(0.4)


async def test_a_403_marks_the_account_unreachable_until_the_person_returns(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, 300)
    outbox = await enqueue(core, message("a", 300), message("b", 300), message("c", 301))
    sender = RecordingSender(
        outcomes={300: [RecipientGone("Forbidden: bot was blocked by the user")]}
    )
    worker = make_worker(core, sender)
    worker.start()
    try:
        counts = await settle(outbox)
    finally:
        await worker.stop()
    assert counts == {Status.UNREACHABLE: 2, Status.SENT: 1}
    assert [c.chat_id for c in sender.calls] == [300, 301]  # no retries, "b" never tried
    assert await account_status(core, 300) == "unreachable"
    rows = {r.idempotency_key: r for r in await deliveries(core)}
    assert rows["a"].last_error == "Forbidden: bot was blocked by the user"
    assert await record_reachability(core.uow(), telegram_user_id=300, reachable=True)
    assert await account_status(core, 300) == "active"


async def test_server_errors_back_off_and_then_succeed(core: Core, clock: FakeClock) -> None:
    outbox = await enqueue(core, message("a", 400))
    sender = RecordingSender(
        outcomes={400: [Failed("Internal Server Error"), Failed("Bad Gateway")]}
    )
    worker = make_worker(core, sender, backoff=Backoff(10.0, 600.0), max_attempts=5)
    worker.start()
    try:
        for attempt in (1, 2):
            row = await wait_for_row(core, lambda r, n=attempt: r.attempts == n)
            assert row.status == "queued"
            wait = row.not_before.replace(tzinfo=None) - clock.now().replace(tzinfo=None)
            full = 10.0 * 2 ** (attempt - 1)
            assert full / 2 <= wait.total_seconds() <= full  # equal jitter
            clock.advance(wait)
            worker.wake()
        counts = await settle(outbox)
    finally:
        await worker.stop()
    assert counts == {Status.SENT: 1}
    assert len(sender.calls) == 3


async def test_give_up_after_n_tries_and_record_the_error(core: Core, clock: FakeClock) -> None:
    outbox = await enqueue(core, message("a", 401))
    sender = RecordingSender(script=lambda *_: Failed("Request timeout error"))
    worker = make_worker(core, sender, max_attempts=3)  # no backoff: retries are due at once
    worker.start()
    try:
        counts = await settle(outbox)
    finally:
        await worker.stop()
    assert counts == {Status.FAILED: 1}
    [row] = await deliveries(core)
    assert (row.attempts, row.last_error) == (3, "Request timeout error")
    assert len(sender.calls) == 3


async def test_a_bad_request_fails_at_once(core: Core) -> None:
    outbox = await enqueue(core, message("a", 402))
    sender = RecordingSender(
        outcomes={402: [Failed("Bad Request: chat not found", transient=False)]}
    )
    worker = make_worker(core, sender)
    worker.start()
    try:
        assert await settle(outbox) == {Status.FAILED: 1}
    finally:
        await worker.stop()


async def test_a_migrated_group_gets_its_new_id_and_the_message(core: Core) -> None:
    outbox = await enqueue(core, message("a", -500), message("b", -500))
    sender = RecordingSender(outcomes={-500: [ChatMigrated(-100500)]})
    worker = make_worker(core, sender)
    worker.start()
    try:
        assert await settle(outbox) == {Status.SENT: 2}
    finally:
        await worker.stop()
    assert [c.chat_id for c in sender.delivered()] == [-100500, -100500]
    assert {r.chat_id for r in await deliveries(core)} == {-100500}


async def test_long_texts_go_in_parts_and_resume_after_the_last_part_sent(
    core: Core, clock: FakeClock
) -> None:
    text = "\n\n".join(f"{i}. " + "x" * 3000 for i in range(3))
    outbox = await enqueue(core, message("long", 600, text))
    sender = RecordingSender(script=lambda _c, _p, n: RetryAfter(0.01) if n == 1 else None)
    worker = make_worker(core, sender)
    worker.start()
    try:
        row = await wait_for_row(core, lambda r: r.payload.get("parts_sent") == 1)
        assert row.status == "queued"
        clock.advance(timedelta(seconds=1))
        worker.wake()
        assert await settle(outbox) == {Status.SENT: 1}
    finally:
        await worker.stop()
    sent = sender.texts(600)
    assert [s[:2] for s in sent] == ["0.", "1.", "2."]  # part 0 was not sent twice


async def test_documents_go_by_send_document_with_the_caption_split(core: Core) -> None:
    await build_world(core)
    async with create_session_factory(core.engine)() as session, session.begin():
        stored = t.StoredFile(
            school_id=None,
            filename="izraksts.pdf",
            mime_type="application/pdf",
            size=4,
            sha256="0" * 64,
            content=b"%PDF",
            created_at=core.clock.now(),
        )
        session.add(stored)
        await session.flush()
        file_id = stored.id
    caption = "Sekmju izraksts. " * 100
    outbox = await enqueue(core, message("doc", 700, "", file_id=file_id, caption=caption))
    sender = RecordingSender()
    worker = make_worker(core, sender)
    worker.start()
    try:
        assert await settle(outbox) == {Status.SENT: 1}
    finally:
        await worker.stop()
    first, second = (call.part for call in sender.calls)
    assert isinstance(first, DocumentPart)
    assert (first.file_name, first.content) == ("izraksts.pdf", b"%PDF")
    assert first.caption is not None
    assert len(first.caption) <= 1024
    assert isinstance(second, TextPart)
    assert (first.caption + " " + second.text).split() == caption.split()


async def test_stop_drains_sends_in_flight_and_hands_back_the_rest(core: Core) -> None:
    outbox = await enqueue(core, *(message(f"m{i}", 800) for i in range(5)))
    gate = asyncio.Event()

    class SlowSender(RecordingSender):
        async def send(self, chat_id: int, part: Part) -> Outcome:
            await gate.wait()
            return await super().send(chat_id, part)

    sender = SlowSender()
    worker = make_worker(core, sender)
    worker.start()
    await eventually(lambda: worker.in_flight == 1 and worker.buffered == 4, within=5)
    asyncio.get_running_loop().call_later(0.05, gate.set)
    await worker.stop(drain_s=5)
    counts = await outbox.status_counts()
    assert counts == {Status.SENT: 1, Status.QUEUED: 4}  # one chat: the rest waited their turn


def test_backoff_doubles_up_to_its_cap_with_seeded_jitter() -> None:
    backoff = Backoff(2.0, 30.0)
    delays = [backoff.delay(n, random.Random(1)) for n in range(1, 7)]
    for attempt, delay in enumerate(delays, start=1):
        full = min(30.0, 2.0 * 2 ** (attempt - 1))
        assert full / 2 <= delay <= full
    assert delays == [backoff.delay(n, random.Random(1)) for n in range(1, 7)]


async def test_unknown_payloads_and_missing_chats_fail_without_sending(core: Core) -> None:
    outbox = Outbox(core.engine)
    now = core.clock.now()
    await outbox.enqueue(
        [
            NewDelivery("bad", "test", {"nonsense": 1}, now, chat_id=1),
            NewDelivery("nochat", "test", {"text": "x"}, now),
        ],
        now,
    )
    sender = RecordingSender()
    worker = make_worker(core, sender)
    worker.start()
    try:
        assert await settle(outbox) == {Status.FAILED: 2}
    finally:
        await worker.stop()
    assert sender.calls == []
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(update(t.Delivery).values(status="queued"))
