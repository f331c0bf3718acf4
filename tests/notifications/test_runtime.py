"""The engine of one process: an event in core becomes a delivered message; stop drains."""

from __future__ import annotations

import io
from datetime import date

from core.bootstrap import Core
from core.cli import build_parser
from core.cli import main as console_main
from core.i18n import LANGUAGES, Catalogs
from core.services import marks
from notifications.__main__ import WorkerSettings
from notifications.cli import add_commands
from notifications.messages import MESSAGE_KEYS, NOTIFICATIONS_LOCALES, load_catalogs
from notifications.records import Status
from notifications.runtime import build_notifications_runtime
from notifications.sender import RecordingSender
from notifications.settings import NotificationsSettings
from tests.builders import build_world, viewer

from .conftest import eventually, link

FAST = NotificationsSettings(
    mark_grace_minutes=0,
    fanout_interval_s=0.02,
    idle_poll_s=0.02,
    global_per_second=100,
    leader_retry_s=0.05,
)


async def test_a_recorded_mark_reaches_the_parent_through_the_running_engine(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, 5001)
    sender = RecordingSender()
    runtime = build_notifications_runtime(core, FAST, sender)
    await runtime.start()
    try:
        teacher = await viewer(core, world.a.math_teacher)
        test = await marks.create_assessment(
            core.uow(), teacher, group_id=world.a.math_group, on=date(2026, 11, 26), title="Tests"
        )
        await marks.record_marks(
            core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "9"}
        )
        await eventually(lambda: bool(sender.delivered(5001)), within=10)
        assert runtime.leading
        assert runtime.scheduler.running
    finally:
        await runtime.stop(drain_s=2)
    assert sender.texts(5001) == [
        "<b>Jānis</b>: jauns vērtējums — Matemātika: <b>9</b> (26.11.2026)"
    ]
    assert sender.closed
    assert not runtime.scheduler.running
    rows = {row.name: row for row in await runtime.report()}
    assert rows["mark.recorded"].sent == 1
    assert rows["mark.recorded"].not_connected == 1  # the pupil has no account


async def test_console_report_command(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, 5001)
    runtime = build_notifications_runtime(core, FAST, RecordingSender())
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=date(2026, 11, 26), title="Tests"
    )
    await marks.record_marks(
        core.uow(), teacher, assessment_id=test.id, entries={world.a.pupil_5a: "9"}
    )
    await runtime.fanout.run_once()

    parser = build_parser(extensions=[add_commands])
    args = parser.parse_args(["deliveries", "report", "--since", "2026-11-27"])
    assert args.since == date(2026, 11, 27)
    from core.cli import Console

    out = io.StringIO()
    console = Console(core.settings, "en", out)
    console._core = core
    assert await args.handler(console, args) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split("\t")[:4] == ["job / kind", "queued", "sending", "sent"]
    assert lines[1].split("\t")[:8] == ["mark.recorded", "1", "0", "0", "0", "0", "1", "0"]

    out = io.StringIO()
    console = Console(core.settings, "lv", out)
    console._core = core
    args = parser.parse_args(["deliveries", "report", "--job", "digest"])
    assert await args.handler(console, args) == 0
    assert out.getvalue() == "Nav piegāžu.\n"


def test_the_ejournal_console_runs_the_extension(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no config.toml here: defaults plus the environment
    monkeypatch.setenv("EJOURNAL_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'j.sqlite3'}")
    out = io.StringIO()
    assert console_main(["db", "upgrade"], extensions=[add_commands], out=out) == 0
    out = io.StringIO()
    code = console_main(
        ["--lang", "en", "deliveries", "report", "--job", "digest"],
        extensions=[add_commands],
        out=out,
    )
    assert (code, out.getvalue()) == (0, "No deliveries.\n")


def test_every_message_key_has_text_in_every_language() -> None:
    catalogs = load_catalogs()
    for lang in LANGUAGES:
        missing = [key for key in MESSAGE_KEYS if not catalogs.has(key, lang)]
        assert missing == [], lang
    for key in _keys_in_code():  # a full key, or the prefix a key is built from
        assert key in MESSAGE_KEYS or any(k.startswith(key + ".") for k in MESSAGE_KEYS), key
    # Placeholders agree across languages.
    own = Catalogs.load(NOTIFICATIONS_LOCALES)
    for key in MESSAGE_KEYS:
        fields = {lang: _fields(own.text(key, lang)) for lang in LANGUAGES}
        assert len(set(map(frozenset, fields.values()))) == 1, (key, fields)


def _keys_in_code() -> set[str]:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "notifications"
    found: set[str] = set()
    for path in root.rglob("*.py"):
        found.update(re.findall(r'"((?:notify|report)\.[a-z_.]+)"', path.read_text("utf-8")))
    assert found, "the key scan found nothing: the pattern is broken"
    return found


def _fields(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_worker_settings_compose_core_notifications_and_the_bot_token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EJOURNAL_BOT__TOKEN", "123:abc")
    monkeypatch.setenv("EJOURNAL_NOTIFICATIONS__GLOBAL_PER_SECOND", "20")
    settings = WorkerSettings(
        notifications={"digest_time": "17:30"},
        bot={"api_base": "http://127.0.0.1:8081", "mode": "polling"},
        demo={"port": 8080},
    )
    assert settings.notifications.global_per_second == 20
    assert str(settings.notifications.digest_time) == "17:30:00"
    assert settings.bot.token is not None
    assert settings.bot.token.get_secret_value() == "123:abc"
    assert settings.bot.api_base == "http://127.0.0.1:8081"
    assert Status.SENT.value == "sent"


def test_the_example_config_documents_every_key_with_its_default() -> None:
    import re
    import tomllib
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text("utf-8")
    section = text.split("# [notifications]\n", 1)[1]
    values = "\n".join(
        line[2:] for line in section.splitlines() if re.match(r"# [a-z_]+ = ", line)
    )
    table = tomllib.loads(values)
    table.pop("jitter_seed")  # shown as an example; the default is unset
    assert set(table) | {"jitter_seed"} == set(NotificationsSettings.model_fields)
    assert NotificationsSettings.model_validate(table) == NotificationsSettings()


async def test_the_worker_refuses_to_start_without_a_token_or_a_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from notifications.__main__ import BotConnection, run_worker

    empty = {"url": f"sqlite+aiosqlite:///{tmp_path / 'none.sqlite3'}"}
    stop = asyncio.Event()
    stop.set()
    assert await run_worker(WorkerSettings(database=empty), stop) == 2
    with_token = WorkerSettings(database=empty, bot=BotConnection(token="123:abc"))
    assert await run_worker(with_token, stop) == 2  # no schema: `ejournal db upgrade` first


async def test_the_worker_process_runs_and_stops_cleanly(core: Core) -> None:
    import asyncio

    from notifications.__main__ import BotConnection, run_worker

    settings = WorkerSettings(
        database={"url": core.settings.database.url},
        bot=BotConnection(token="123:abc", api_base="http://127.0.0.1:9"),
        notifications=FAST,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, stop.set)
    assert await run_worker(settings, stop) == 0
