"""``ejournal status``: the deployment at a glance, its JSON and its exit code."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from babel.messages.pofile import read_po
from redis.asyncio import Redis

from bot.__main__ import EXTENSIONS, ProductSettings
from bot.presence import Heartbeat
from core.bootstrap import Core
from core.cli import Console, build_parser
from core.cli_status import head_revisions
from core.config import DatabaseSettings
from core.i18n import LANGUAGES, Catalogs
from core.storage.database import create_engine, downgrade, upgrade
from notifications.outbox import Outbox
from notifications.records import NewDelivery, Status
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:status-test-token"


def settings_for(url: str, **values: Any) -> ProductSettings:
    return ProductSettings(database=DatabaseSettings(url=url), **values)


async def status(
    settings: ProductSettings, core: Core | None, *argv: str, lang: str = "en"
) -> tuple[int, str]:
    """Run ``ejournal status`` as the console does; the exit code and the output."""
    args = build_parser(EXTENSIONS).parse_args(["status", *argv])
    out = io.StringIO()
    console = Console(settings, lang, out)
    if core is not None:
        console._core = core  # the test's core: its frozen clock, its database
    try:
        code = await args.handler(console, args)
    finally:
        if core is None:
            await console.close()
    return code, out.getvalue()


# ---------------------------------------------------------------- the database


async def test_a_fresh_database_is_healthy_in_text_and_json(core: Core, database_url: str) -> None:
    settings = settings_for(database_url)
    [head] = head_revisions()

    code, text = await status(settings, core)
    assert code == 0
    assert f"schema: revision {head}, up to date" in text
    assert "Redis: not configured" in text
    assert "GET /healthz" in text  # without Redis the processes cannot be seen from here
    assert "waiting to be sent: 0" in text
    assert text.rstrip().endswith("All is well.")

    code, text = await status(settings, core, "--json")
    report = json.loads(text)
    assert code == 0
    assert report["healthy"] is True
    assert report["problems"] == []
    assert report["database"]["reachable"] is True
    assert report["database"]["revision"] == report["database"]["head"] == head
    assert report["database"]["pending_migrations"] == 0
    assert report["redis"] == {"configured": False}
    assert report["processes"]["visible"] is False
    assert report["notifications"]["pending"] == 0
    assert report["notifications"]["leader"] in ("sqlite", "none")

    code, text = await status(settings, core, lang="lv")
    assert (code, text.rstrip().splitlines()[-1]) == (0, "Viss kārtībā.")
    assert "aktuāla" in text


async def test_a_database_behind_the_head_names_the_pending_migrations(
    empty_database_url: str,
) -> None:
    settings = settings_for(empty_database_url)
    code, text = await status(settings, None)
    assert code == 1
    assert "The database has no schema: run `ejournal db upgrade`." in text

    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine)
        await downgrade(engine, "-1")
    finally:
        await engine.dispose()
    code, text = await status(settings, None)
    assert code == 1
    assert "migrations pending: 1" in text
    assert "Migrations pending: 1 — run `ejournal db upgrade`." in text
    code, text = await status(settings, None, "--json")
    report = json.loads(text)
    assert report["database"]["pending_migrations"] == 1
    assert [p["code"] for p in report["problems"]] == ["status.problem.db_pending"]


async def test_an_sqlite_file_that_does_not_exist_is_reported_not_created(tmp_path: Path) -> None:
    path = tmp_path / "data" / "journal.sqlite3"
    code, text = await status(settings_for(f"sqlite+aiosqlite:///{path}"), None)
    assert code == 1
    assert "does not exist yet" in text
    assert not path.parent.exists()  # not even its folder


async def test_unreachable_database_and_redis_are_named_without_their_passwords() -> None:
    settings = settings_for(
        "postgresql+asyncpg://ejournal:db-s3cret@127.0.0.1:1/journal",
        redis={"url": "redis://:redis-s3cret@127.0.0.1:1/0"},
    )
    code, text = await status(settings, None)
    assert code == 1
    assert "postgresql+asyncpg://ejournal:***@127.0.0.1:1/journal" in text
    assert "redis://:***@127.0.0.1:1/0" in text
    assert "does not answer" in text
    assert "s3cret" not in text

    code, text = await status(settings, None, "--json")
    report = json.loads(text)
    assert code == 1
    assert "s3cret" not in text
    assert report["healthy"] is False
    assert {p["code"] for p in report["problems"]} == {
        "status.problem.db_unreachable",
        "status.problem.redis_unreachable",
    }
    assert report["notifications"] == {"checked": False}


# ---------------------------------------------------------------- notifications


def delivery(key: str, *, not_before: Any, status: Status = Status.QUEUED) -> NewDelivery:
    return NewDelivery(key, "test", {"text": "x"}, not_before, status=status, chat_id=1)


async def test_a_message_due_for_long_is_a_problem_and_recent_ones_are_not(
    core: Core, database_url: str
) -> None:
    settings = settings_for(database_url)
    outbox = Outbox(core.engine)
    await outbox.enqueue(
        [
            delivery("recent", not_before=NOW - timedelta(minutes=3)),
            delivery("quiet-hours", not_before=NOW + timedelta(hours=10)),  # not due: not late
            delivery("gave-up", not_before=NOW, status=Status.FAILED),
            delivery("blocked", not_before=NOW, status=Status.UNREACHABLE),
        ],
        NOW - timedelta(hours=1),
    )
    await outbox.enqueue(  # failed yesterday morning: outside the last 24 hours
        [delivery("old-failure", not_before=NOW, status=Status.FAILED)], NOW - timedelta(hours=30)
    )
    code, text = await status(settings, core)
    assert code == 0
    assert "waiting to be sent: 2, due: 1; the oldest due has waited 3 min" in text
    assert "failed 1, undeliverable 1" in text

    await outbox.enqueue([delivery("stuck", not_before=NOW - timedelta(minutes=20))], NOW)
    code, text = await status(settings, core)
    assert code == 1
    assert "waiting to be sent: 3, due: 2; the oldest due has waited 20 min" in text
    assert "a due message has waited 20 min (more than 15)" in text
    code, text = await status(settings, core, "--json", "--max-wait", "30")
    report = json.loads(text)
    assert (code, report["healthy"]) == (0, True)
    assert report["notifications"]["oldest_due_minutes"] == 20
    assert report["notifications"]["due"] == 2


async def test_the_scheduler_leader_is_seen_on_postgresql(
    core: Core, database_url: str, backend: str
) -> None:
    settings = settings_for(database_url, bot={"token": TOKEN})
    if backend == "sqlite":  # one process by design: whoever runs the engine leads
        code, text = await status(settings, core)
        assert code == 0
        assert "scheduler leader: on SQLite" in text
        return
    code, text = await status(settings, core)
    assert code == 1
    assert "scheduler leader: nobody is leader" in text
    assert "Nobody is the scheduler leader" in text

    lock = Outbox(core.engine).leader_lock()
    assert await lock.acquire()
    try:
        code, text = await status(settings, core, "--json")
        assert json.loads(text)["notifications"]["leader"] == "held"
        code, text = await status(settings, core)
        assert code == 0
        assert "scheduler leader: held" in text
    finally:
        await lock.release()

    # Without a token nothing can send: no leader is then no problem.
    code, text = await status(settings_for(database_url), core)
    assert code == 0
    assert "nobody is leader" in text


# ---------------------------------------------------------------- processes


async def test_processes_reporting_to_redis_are_listed(
    core: Core, database_url: str, redis_url: str, redis_prefix: str
) -> None:
    settings = settings_for(database_url, redis={"url": redis_url, "key_prefix": redis_prefix})
    code, text = await status(settings, core)
    assert code == 1
    assert "none has reported in the last 30 seconds" in text
    assert "No bot process is running" in text

    redis = Redis.from_url(redis_url)
    beat = Heartbeat(redis, redis_prefix, mode="webhook", worker=2)
    try:
        await beat.start()
        code, text = await status(settings, core)
        assert code == 0
        assert f"Redis: {redis_url} answers." in text
        assert f"worker 2 · pid {beat.record.pid} · {beat.record.host} · webhook" in text
        code, text = await status(settings, core, "--json")
        [item] = json.loads(text)["processes"]["items"]
        assert (item["worker"], item["pid"], item["mode"]) == (2, beat.record.pid, "webhook")
        await beat.stop()
        code, text = await status(settings, core)
        assert code == 1
        assert "none has reported" in text
    finally:
        await beat.stop()
        await redis.aclose()


async def test_without_redis_the_webhook_s_healthz_is_asked(core: Core, database_url: str) -> None:
    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "handled": 7, "pid": 4242})

    app = web.Application()
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    settings = settings_for(database_url, bot={"mode": "webhook", "listen_port": port})
    try:
        code, text = await status(settings, core)
        assert code == 0
        assert f"http://127.0.0.1:{port}/healthz: pid 4242, updates handled: 7" in text
    finally:
        await runner.cleanup()
    code, text = await status(settings, core)
    assert code == 1
    assert f"The bot does not answer at http://127.0.0.1:{port}/healthz" in text


# ---------------------------------------------------------------- texts


def status_keys_in_code() -> set[str]:
    files = [
        "core/cli_status.py",
        "bot/status.py",
        "bot/__main__.py",
        "notifications/status.py",
    ]
    found: set[str] = set()
    for name in files:
        found |= set(re.findall(r'"(status\.[a-z_.]+)"', (ROOT / name).read_text("utf-8")))
    return found


def status_po(lang: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for package in ("core", "bot", "notifications"):
        path = ROOT / package / "locales" / lang / "LC_MESSAGES" / "status.po"
        with path.open("rb") as fh:
            for message in read_po(fh):
                if message.id and isinstance(message.id, str):
                    assert message.id not in texts, message.id
                    texts[message.id] = str(message.string)
    return texts


def test_every_status_text_exists_in_every_language_with_the_same_placeholders() -> None:
    used = status_keys_in_code()
    assert {"status.db.up_to_date", "status.problem.no_leader", "status.healthy"} <= used
    catalogs = {lang: status_po(lang) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert sorted(used - set(catalogs[lang])) == [], lang
        assert set(catalogs[lang]) == set(catalogs["lv"]), lang
    for key, text in catalogs["lv"].items():
        fields = set(re.findall(r"\{(\w+)\}", text))
        for lang in LANGUAGES:
            assert set(re.findall(r"\{(\w+)\}", catalogs[lang][key])) == fields, (key, lang)
    # And they load where they are read: each layer's catalogs.
    assert Catalogs.load().has("status.db.up_to_date", "ru")


def test_a_bad_max_wait_is_refused_like_any_bad_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser(EXTENSIONS).parse_args(["status", "--max-wait", "0"])
    assert exited.value.code == 2
    assert "--max-wait: must be 1-1440" in capsys.readouterr().err
