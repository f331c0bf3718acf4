"""Several bot processes on one Redis behave as one bot (``[redis] url``, issue #12).

Each "worker" here is a Dispatcher of its own with its own recording bot, as a separate process
would have; they share only the Redis server (and the database). A user's dialog, /changes
screens, previewed files, flood budget and webhook update ids are the same whichever worker
Telegram hands an update to.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import EditMessageReplyMarkup, SendMessage
from aiogram.types import Chat, Message, Update, User
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot.app import build_bot, build_dispatcher
from bot.middlewares import TokenBuckets
from bot.runtime import SECRET_HEADER, WebhookServer, register_webhook
from bot.settings import AppSettings
from bot.shared import (
    ExpiringMemoryStorage,
    RedisSeenUpdates,
    RedisTokenBuckets,
    SharedState,
    connect,
    in_redis,
)
from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from sandbox.server import running_sandbox
from sandbox.state import SandboxConfig
from tests.bot.harness import (
    SENT_AT,
    Chats,
    RecordingSession,
    TelegramUser,
    buttons,
    link,
    recording_bot,
)
from tests.bot.test_changes_dialogs import ABSENT, MONDAY_CSV, TO_DAY, ref_of
from tests.bot.test_today_dialogs import (
    FRIDAY,
    TEACHER,
    attendance_of,
    chats,  # noqa: F401 - the teacher's day, a fixture
    lesson_row,
    open_card,
)
from tests.builders import WEEK_TIMETABLE_CSV, build_world
from tests.e2e.running import SECRET, TOKEN, RunningBot, bot_settings, exchange, press

MANAGER = 9501
FAST = {"flood_rate": 1000.0, "flood_burst": 1000}


@dataclass
class Worker:
    """One bot process: its dispatcher and the Telegram calls it made."""

    dp: Dispatcher
    bot: Bot
    session: RecordingSession

    def user(self, user_id: int, language_code: str = "lv") -> TelegramUser:
        return TelegramUser(self.dp, self.bot, self.session, user_id, language_code=language_code)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = connect(redis_url)
    yield client
    await client.aclose()


def shared_settings(redis_url: str, prefix: str, **bot: Any) -> AppSettings:
    values: dict[str, Any] = {"redis": {"url": redis_url, "key_prefix": prefix}, "bot": bot}
    return AppSettings(**values)


def start_worker(core: Core, settings: AppSettings, redis: Redis) -> Worker:
    bot, session = recording_bot()
    dp = build_dispatcher(core, settings, shared=in_redis(settings, redis))
    return Worker(dp, bot, session)


@pytest.fixture
async def workers(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str
) -> tuple[Worker, Worker]:
    settings = shared_settings(redis_url, redis_prefix, **FAST)
    return start_worker(core, settings, redis), start_worker(core, settings, redis)


async def count(core: Core, table: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


# ---------------------------------------------------------------- dialogs


async def test_a_news_draft_begun_on_one_worker_is_published_through_the_other(
    core: Core, workers: tuple[Worker, Worker]
) -> None:
    world = await build_world(core)
    await link(core, world.a.superuser, MANAGER)
    one, two = workers[0].user(MANAGER), workers[1].user(MANAGER)

    [feed] = await one.send("/news")
    [ask] = await two.press(buttons(feed)["✍ Jauna ziņa"])
    assert ask.text.startswith("✍ Jauna ziņa: <b>Alfa pamatskola</b>")
    [preview] = await one.send("Ekskursija\nPiektdien dodamies uz muzeju.")
    assert preview.text.startswith("👁 <b>Priekšskatījums</b> (Alfa pamatskola).")
    assert await count(core, t.NewsPost) == 0
    [done] = await two.press(buttons(preview)["✅ Publicēt"])
    assert done.text.startswith("✅ Ziņa publicēta.")
    assert await count(core, t.NewsPost) == 1


async def test_changes_screens_are_shared_and_survive_a_command_on_the_other_worker(
    core: Core, workers: tuple[Worker, Worker]
) -> None:
    world = await build_world(core)
    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=MONDAY_CSV.format(a="Alfa").encode(),
        filename="monday.csv",
        apply=True,
    )
    await link(core, world.a.superuser, MANAGER)
    one, two = workers[0].user(MANAGER), workers[1].user(MANAGER)

    [day] = await one.send("/changes")
    [picker] = await two.press(buttons(day)[ABSENT])
    assert list(buttons(picker)) == ["Māra Alfa-Matemātiķe", "Ilze Alfa-Valodniece", TO_DAY]
    [lessons] = await one.press(buttons(picker)["Māra Alfa-Matemātiķe"])
    [first] = await two.press(buttons(lessons)["1. Matemātika"])
    # A command on the other worker closes dialogs, not the editor's screens.
    await one.send("/help")
    [after] = await two.press(buttons(first)["❌ Atcelt stundu"])
    assert list(buttons(after)) == ["1. Matemātika ❌✏️", "3. Matemātika", TO_DAY]
    assert await count(core, t.TimetableChange) == 1
    # Screen numbers come from one counter whichever worker drew the screen.
    refs = [ref_of(screen) for screen in (day, lessons, first, after)]
    assert refs == list(range(refs[0], refs[0] + 4))
    lessons = after
    # The room question asked on one worker is answered on the other.
    [third] = await one.press(buttons(lessons)["3. Matemātika"])
    [ask] = await one.press(buttons(third)["🚪 Mainīt kabinetu"])
    assert ask.text.startswith("Kurā kabinetā notiks stunda 3. Matemātika (5.a)?")
    [answered] = await two.send("204")
    assert "kabineta maiņa: 101 → 204" in answered.text
    assert await count(core, t.TimetableChange) == 2


async def test_a_timetable_file_previewed_on_one_worker_is_confirmed_on_the_other(
    core: Core, workers: tuple[Worker, Worker]
) -> None:
    world = await build_world(core)
    await link(core, world.a.superuser, MANAGER)
    one, two = workers[0].user(MANAGER), workers[1].user(MANAGER)

    [preview] = await one.send_document("week.csv", WEEK_TIMETABLE_CSV.format(a="Alfa").encode())
    assert set(buttons(preview)) == {"✅ Ielādēt", "Atcelt"}
    await two.send("/help")  # a command in between keeps the pending file
    assert await count(core, t.TimetableSlot) == 0
    [done] = await two.press(buttons(preview)["✅ Ielādēt"])
    assert done.text.startswith("Stundu saraksts 1. semestrim ielādēts:")
    assert await count(core, t.TimetableSlot) == 4
    [again] = await one.press(buttons(preview)["✅ Ielādēt"])  # taken: gone for both
    assert again.text.startswith("Šī priekšskatījuma fails vairs nav pieejams.")


@pytest.fixture
def teacher_day(chats: Chats) -> Chats:  # noqa: F811 - test_today_dialogs' fixture
    """The teacher's Friday of test_today_dialogs (lesson 3: 5.a mathematics)."""
    return chats


async def test_roster_taps_at_once_on_two_workers_are_all_kept(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str, teacher_day: Chats
) -> None:
    a = teacher_day.world.a
    settings = shared_settings(redis_url, redis_prefix, **FAST)
    workers = start_worker(core, settings, redis), start_worker(core, settings, redis)
    one, two = workers[0].user(TEACHER), workers[1].user(TEACHER)
    card = await open_card(one)
    [roster] = await two.press(buttons(card)["👥 Apmeklējums"])
    first, second = buttons(roster)["1. Alfa-Bērziņš J."], buttons(roster)["2. Alfa-Kalniņa A."]
    # Each tap reads and writes the roster in Redis: without per-chat ordering across the
    # workers, taps at once would overwrite one another.
    await asyncio.gather(one.press(first), two.press(second), two.press(first))
    edits = [c for w in workers for c in w.session.calls if isinstance(c, EditMessageReplyMarkup)]
    assert len(edits) == 3
    [saved] = await one.press(buttons(roster)["💾 Saglabāt"])
    assert saved.text.startswith("✅ Apmeklējums saglabāts: nav ieradušies: 1, kavējuši: 1.")
    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert await attendance_of(core, row.id) == {a.pupil_5a: "k", a.pupil_5a_second: "n"}


class SlowMemoryStorage(ExpiringMemoryStorage):
    """Memory that lets other tasks run on every read, as any storage with I/O does."""

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = await super().get_data(key)
        await asyncio.sleep(0.01)
        return data


async def test_in_one_process_a_chat_s_taps_run_one_after_another(
    core: Core, teacher_day: Chats
) -> None:
    a = teacher_day.world.a
    bot, session = recording_bot()
    shared = SharedState(SlowMemoryStorage(), SimpleEventIsolation(), TokenBuckets(1000, 1000))
    worker = Worker(build_dispatcher(core, AppSettings(), shared=shared), bot, session)
    teacher = worker.user(TEACHER)
    card = await open_card(teacher)
    [roster] = await teacher.press(buttons(card)["👥 Apmeklējums"])
    first, second = buttons(roster)["1. Alfa-Bērziņš J."], buttons(roster)["2. Alfa-Kalniņa A."]
    await asyncio.gather(teacher.press(first), teacher.press(second), teacher.press(first))
    [saved] = await teacher.press(buttons(roster)["💾 Saglabāt"])
    assert saved.text.startswith("✅ Apmeklējums saglabāts: nav ieradušies: 1, kavējuši: 1.")
    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert await attendance_of(core, row.id) == {a.pupil_5a: "k", a.pupil_5a_second: "n"}


# ---------------------------------------------------------------- flood control


async def test_one_user_on_two_workers_is_limited_once(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    world = await build_world(core)
    await link(core, world.a.superuser, MANAGER)
    settings = shared_settings(redis_url, redis_prefix, flood_rate=0.001, flood_burst=3)
    workers = start_worker(core, settings, redis), start_worker(core, settings, redis)
    one, two = workers[0].user(MANAGER), workers[1].user(MANAGER)
    assert len(await one.send("/help")) == 1
    assert len(await two.send("/help")) == 1
    assert len(await one.send("/help")) == 1
    [warned] = await two.send("/help")  # the fourth in a row, whichever worker: too fast
    assert warned.text == "Pārāk daudz ziņu pēc kārtas. Lūdzu, pagaidiet dažas sekundes."
    assert await one.send("/help") == []  # then silence until the bucket refills
    assert await two.send("/help") == []


async def test_shared_buckets_refill_at_the_configured_rate(
    redis: Redis, redis_prefix: str
) -> None:
    buckets = RedisTokenBuckets(redis, redis_prefix, rate=20.0, burst=2)
    other = RedisTokenBuckets(redis, redis_prefix, rate=20.0, burst=2)
    assert [await buckets.take(1), await other.take(1)] == ["pass", "pass"]
    assert [await other.take(1), await buckets.take(1)] == ["warn", "drop"]
    assert await buckets.take(2) == "pass"  # another user has a bucket of their own
    await asyncio.sleep(0.12)  # more than 1/20 s: one token back
    assert await other.take(1) == "pass"
    ttl = await redis.pttl(f"{redis_prefix}:flood:1")
    assert 0 < ttl <= 1100  # a full bucket needs no key: it goes after 2/20 s + 1 s


# ---------------------------------------------------------------- webhook update ids


async def test_redis_seen_updates_claim_finish_and_abandon(
    redis: Redis, redis_prefix: str
) -> None:
    one = RedisSeenUpdates(redis, redis_prefix, bot_id=42)
    two = RedisSeenUpdates(redis, redis_prefix, bot_id=42)
    assert await one.begin(1) == "new"
    assert await two.begin(1) == "busy"
    await one.finish(1)
    assert await two.begin(1) == "done"
    assert 23 * 3600 * 1000 < await redis.pttl(f"{redis_prefix}:update:42:1") <= 24 * 3600 * 1000
    assert await two.begin(2) == "new"
    await two.abandon(2)
    assert await one.begin(2) == "new"
    assert await RedisSeenUpdates(redis, redis_prefix, bot_id=43).begin(1) == "new"  # other bot


async def test_a_claim_of_a_worker_that_died_expires(redis: Redis, redis_prefix: str) -> None:
    dead = RedisSeenUpdates(redis, redis_prefix, bot_id=42, busy_seconds=0.2)
    alive = RedisSeenUpdates(redis, redis_prefix, bot_id=42)
    assert await dead.begin(7) == "new"
    assert await alive.begin(7) == "busy"
    await asyncio.sleep(0.3)
    assert await alive.begin(7) == "new"


def update_json(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    message = Message(
        message_id=1,
        date=SENT_AT,
        chat=Chat(id=user_id, type="private"),
        from_user=User(id=user_id, is_bot=False, first_name="Tests", language_code="lv"),
        text=text,
    )
    return Update(update_id=update_id, message=message).model_dump(mode="json", exclude_none=True)


@pytest.fixture
async def servers(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str
) -> AsyncIterator[list[tuple[WebhookServer, Worker]]]:
    settings = shared_settings(redis_url, redis_prefix, **FAST)
    started: list[tuple[WebhookServer, Worker]] = []
    for _ in range(2):
        worker = start_worker(core, settings, redis)
        seen = RedisSeenUpdates(redis, redis_prefix, bot_id=worker.bot.id)
        server = WebhookServer(
            worker.bot, worker.dp, secret=SECRET, path="/telegram", drain_seconds=5, seen=seen
        )
        await server.start("127.0.0.1", 0)
        started.append((server, worker))
    yield started
    for server, _ in started:
        await server.stop()


async def test_an_update_posted_to_both_workers_is_answered_once(
    core: Core, servers: list[tuple[WebhookServer, Worker]]
) -> None:
    world = await build_world(core)
    await link(core, world.a.superuser, MANAGER)
    body = update_json(880_001, MANAGER, "/help")
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http:

        async def post(server: WebhookServer) -> int:
            async with http.post(server.local_url, json=body, headers=headers) as response:
                return response.status

        first = await asyncio.gather(*(post(server) for server, _ in servers * 2))
        again = await asyncio.gather(*(post(server) for server, _ in servers))
    assert set(first) <= {200, 503}
    assert first.count(200) >= 1
    assert again == [200, 200]
    replies = [c for _, w in servers for c in w.session.calls if isinstance(c, SendMessage)]
    assert len(replies) == 1
    assert sum(server.handled for server, _ in servers) == 1


async def test_an_unreachable_redis_fails_the_update_for_redelivery(
    core: Core, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world(core)
    await link(core, world.a.superuser, MANAGER)
    settings = shared_settings("redis://127.0.0.1:1/0", redis_prefix, **FAST)
    gone = connect(settings.redis.url)
    worker = start_worker(core, settings, gone)
    server = WebhookServer(
        worker.bot,
        worker.dp,
        secret=SECRET,
        path="/telegram",
        drain_seconds=5,
        seen=RedisSeenUpdates(gone, redis_prefix, bot_id=worker.bot.id),
    )
    await server.start("127.0.0.1", 0)
    plain = WebhookServer(worker.bot, worker.dp, secret=SECRET, path="/telegram", drain_seconds=5)
    await plain.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            for target in (server, plain):  # the update ids' store, then the dialogs' store
                body = update_json(880_100 + target.port % 1000, MANAGER, "/help")
                async with http.post(
                    target.local_url, json=body, headers={SECRET_HEADER: SECRET}
                ) as response:
                    assert response.status == 500
            async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
                assert response.status == 200  # the process lives on
    finally:
        await server.stop()
        await plain.stop()
        await gone.aclose()
    assert worker.session.sent() == []
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures
    assert all("/help" not in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- one port, one webhook


async def test_workers_share_a_port_and_health_names_the_process(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    settings = shared_settings(redis_url, redis_prefix)
    worker = start_worker(core, settings, redis)
    first = WebhookServer(worker.bot, worker.dp, secret=SECRET, path="/t", drain_seconds=1)
    second = WebhookServer(worker.bot, worker.dp, secret=SECRET, path="/t", drain_seconds=1)
    await first.start("127.0.0.1", 0, reuse_port=True)
    try:
        await second.start("127.0.0.1", first.port, reuse_port=True)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{first.port}/healthz") as response,
        ):
            health = await response.json()
        assert health == {"status": "ok", "handled": 0, "pid": os.getpid()}
    finally:
        await second.stop()
        await first.stop()


async def test_a_worker_starting_beside_others_does_not_register_the_webhook_again(
    redis: Redis, redis_prefix: str
) -> None:
    config = SandboxConfig(token=TOKEN)
    async with running_sandbox(config=config) as sandbox:
        settings = AppSettings(bot={"token": TOKEN, "api_base": sandbox.api_url})  # type: ignore[arg-type]
        bot = build_bot(settings)
        try:
            url, allowed = "http://127.0.0.1:9/telegram", ["message", "callback_query"]
            args = {"redis": redis, "prefix": redis_prefix}
            assert await register_webhook(bot, url, SECRET, allowed, **args) is True
            info = await bot.get_webhook_info()
            assert (info.url, set(info.allowed_updates or ())) == (url, set(allowed))
            # The next workers find the same webhook and leave Telegram's deliveries alone.
            assert await register_webhook(bot, url, SECRET, allowed[::-1], **args) is False
            # A new secret, URL or set of updates (all workers restarted) registers again.
            assert await register_webhook(bot, url, "new_secret", allowed, **args) is True
            assert await register_webhook(bot, url, "new_secret", allowed, **args) is False
            assert await register_webhook(bot, url, "new_secret", ["message"], **args) is True
            # Workers starting together: one registers, the others find its webhook.
            moved = "http://127.0.0.1:10/telegram"
            together = await asyncio.gather(
                *(register_webhook(bot, moved, SECRET, allowed, **args) for _ in range(3))
            )
            assert sorted(together) == [False, False, True]
            # One process without Redis always registers (its secret may have changed).
            assert await register_webhook(bot, url, SECRET, allowed, redis=None, prefix="") is True
        finally:
            await bot.session.close()


async def test_serve_keeps_update_ids_and_dialogs_in_redis_when_configured(
    core: Core, redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    world = await build_world(core)
    await link(core, world.a.superuser, MANAGER)
    config = SandboxConfig(token=TOKEN, webhook_retry_delay=0.1, webhook_max_retry_delay=0.5)
    async with running_sandbox(config=config) as sandbox:
        await sandbox.client.create_user("Inese", user_id=MANAGER, language_code="lv")
        settings = bot_settings(sandbox, "webhook").model_copy(
            update={"redis": shared_settings(redis_url, redis_prefix).redis}
        )
        running = await RunningBot(core, settings, "webhook", None).started()
        try:
            [feed] = await exchange(sandbox.client, MANAGER, "/news")
            assert feed.startswith("📰 Skolas ziņas")
            await press(sandbox.client, MANAGER, "✍ Jauna ziņa")
        finally:
            await running.stop()
    done = [await redis.get(key) async for key in redis.scan_iter(f"{redis_prefix}:update:*")]
    assert done == [b"done", b"done"]
    states = [key async for key in redis.scan_iter(f"{redis_prefix}:fsm:*:state")]
    assert len(states) == 1  # the draft waits for its text, in Redis


# ---------------------------------------------------------------- one process


async def test_in_memory_records_go_like_redis_ones_when_unused() -> None:
    now = [0.0]
    storage = ExpiringMemoryStorage(ttl=100, sweep_every=10, clock=lambda: now[0])
    draft = StorageKey(bot_id=1, chat_id=5, user_id=5)
    upload = StorageKey(bot_id=1, chat_id=5, user_id=5, destiny="timetable_upload")
    other = StorageKey(bot_id=1, chat_id=6, user_id=6)
    await storage.set_data(upload, {"data": "x" * 1000})
    await storage.set_state(draft, "News:compose")
    assert await storage.get_state(other) is None  # aiogram keeps an empty record for a read
    now[0] = 5
    await storage.set_data(draft, {"text": "Sveiki"})
    assert set(storage.storage) == {draft, upload, other}  # not yet looked at
    now[0] = 50
    await storage.set_data(draft, {"text": "Sveiki!"})
    assert set(storage.storage) == {draft, upload}  # the empty record went
    now[0] = 130
    await storage.set_state(StorageKey(bot_id=1, chat_id=7, user_id=7), "Mail:compose")
    assert upload not in storage.storage  # unused for 130 s
    assert await storage.get_data(draft) == {"text": "Sveiki!"}  # used 80 s ago
    assert await storage.get_state(draft) == "News:compose"
