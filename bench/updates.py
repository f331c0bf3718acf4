"""Updates benchmark: demo-school users drive the bot (webhook mode) through the sandbox.

The bot runs in its own process: the real ``ejournal run --mode webhook`` (dispatcher,
middlewares, routers, core, the notifications engine beside it as in production) on a fresh
database seeded with the demo school, its clock pinned to a school morning. The sandbox and the
virtual users run in this process: updates are injected straight into the sandbox's state and
timed from there to the bot's reply. A bare aiogram echo bot (its own process, same harness,
same shapes of updates) gives the yardstick; a third bot, the "floor", is that echo bot plus the
one read every journal update needs at least (who is writing: one indexed row of ``accounts``
through the journal's own storage) — what the stack costs before the journal does anything.
Prints ONE JSON line: updates_per_s, p50_ms, p99_ms (closed loop, saturated), p50_ms_at_rate,
p99_ms_at_rate (open loop at --rate), the same for the echo bot and the floor, ratio_to_echo,
floor_ratio_to_echo, rss_idle_mb, rss_peak_mb, bot_cpu_ms_per_update...

    python bench/updates.py            # 150 parents + 30 teachers, 20 s + 20 s per bot
    python bench/updates.py --short    # CI: 60 + 12 users, 5 s + 5 s per bot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database  # bench/scratch.py
from sqlalchemy import bindparam, func, make_url, select

from core.bootstrap import build_core
from core.clock import FakeClock
from core.config import CoreSettings, DatabaseSettings
from core.domain.access import Viewer
from core.services.accounts import link_account
from core.services.schools import seed_demo
from core.storage import tables
from core.storage.database import create_engine, create_session_factory, upgrade
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.state import CallRecord, JsonDict, SandboxConfig, StoredMessage, UpdateEntry

TOKEN = "5252:BENCH-updates-token"
SECRET = "bench-updates-secret"
ZONE = ZoneInfo("Europe/Riga")
# A Wednesday of the demo's first semester: the bot's clock starts there at 10:00 in Riga, so
# that teachers have lessons "today" whatever day the benchmark runs.
SCHOOL_DAY = date(2026, 11, 25)
SCHOOL_HOUR = day_time(10, 0)
FIRST_PARENT = 810_000_001
FIRST_TEACHER = 820_000_001
CONTENT_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendDocument",
        "sendPhoto",
        "editMessageCaption",
    }
)
PAGE = 4096
PROFILE_ENV = "EJOURNAL_BENCH_PROFILE"  # a path: the bot process writes cProfile stats there
# Issue #12's targets on the 2-core machine: at least (updates_per_s, ratio_to_echo), at most
# (p99_ms_at_rate at 200 updates a second, rss_peak_mb under load).
AT_LEAST = {"updates_per_s": 400.0, "ratio_to_echo": 0.5}
AT_MOST = {"p99_ms_at_rate": 100.0, "rss_peak_mb": 200.0}


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    parents: int
    teachers: int
    seconds: float  # closed loop, per bot
    rate_seconds: float  # open loop, per bot
    classes_per_grade: int
    timeout: float = 30.0  # an update without a reply for this long is an error


SIZES = {
    "full": Size(
        parents=150,
        teachers=30,
        seconds=20.0,
        rate_seconds=20.0,
        classes_per_grade=2,
    ),
    "short": Size(parents=60, teachers=12, seconds=5.0, rate_seconds=5.0, classes_per_grade=2),
    "tiny": Size(parents=12, teachers=4, seconds=1.5, rate_seconds=1.5, classes_per_grade=1),
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--short", action="store_true", help="CI size (~40 s on a quiet machine)")
    size.add_argument("--tiny", action="store_true", help="the test's size (a few seconds)")
    parser.add_argument("--rate", type=float, help="open-loop updates per second (default 200)")
    parser.add_argument("--parents", type=int, help="virtual parents (default 150)")
    parser.add_argument("--teachers", type=int, help="virtual teachers (default 30)")
    parser.add_argument("--seconds", type=float, help="closed-loop seconds per bot (default 20)")
    parser.add_argument("--rate-seconds", type=float, help="open-loop seconds per bot")
    parser.add_argument(
        "--database-url",
        help="default: a temporary SQLite file; for PostgreSQL a scratch database is created "
        "next to the one named (and dropped afterwards)",
    )
    parser.add_argument("--redis-url", help="run the bot with [redis] url (scale-out state)")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo bot")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor bot")
    parser.add_argument(
        "--patience", type=float, default=30.0, help="seconds before an update counts as lost"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    base = SIZES["tiny" if args.tiny else "short" if args.short else "full"]
    args.size = Size(
        parents=args.parents if args.parents is not None else base.parents,
        teachers=args.teachers if args.teachers is not None else base.teachers,
        seconds=args.seconds if args.seconds is not None else base.seconds,
        rate_seconds=args.rate_seconds if args.rate_seconds is not None else base.rate_seconds,
        classes_per_grade=base.classes_per_grade,
        timeout=args.patience,
    )
    if args.rate is None:
        args.rate = 50.0 if args.tiny else 200.0
    return args


# ------------------------------------------------------------------------------ the school


@dataclass(frozen=True)
class School:
    """Who the virtual users are: linked parents (one child each) and teachers."""

    parents: tuple[int, ...]  # Telegram user ids
    teachers: tuple[int, ...]
    tappable: frozenset[int]  # pupils none of whose guardians is a virtual user


async def prepare_school(url: str, args: argparse.Namespace) -> School:
    """Migrate, seed the demo school and link the virtual users' Telegram accounts."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    clock = FakeClock(datetime.combine(SCHOOL_DAY, SCHOOL_HOUR, tzinfo=ZONE))
    core = build_core(CoreSettings(database=DatabaseSettings(url=url)), clock)
    console = Viewer.console()
    try:
        await seed_demo(
            core.uow(),
            console,
            seed=args.seed,
            classes_per_grade=args.size.classes_per_grade,
            zone=ZONE,
            today=SCHOOL_DAY,
        )
        async with core.engine.connect() as conn:
            guardians = (
                await conn.execute(
                    select(tables.Guardianship.guardian_id)
                    .group_by(tables.Guardianship.guardian_id)
                    .having(func.count() == 1)
                    .order_by(tables.Guardianship.guardian_id)
                )
            ).scalars()
            parents = list(guardians)[: args.size.parents]
            teachers = list(
                (
                    await conn.execute(
                        select(tables.GroupTeacher.teacher_id)
                        .distinct()
                        .order_by(tables.GroupTeacher.teacher_id)
                    )
                ).scalars()
            )[: args.size.teachers]
            pairs = (
                await conn.execute(
                    select(tables.Guardianship.pupil_id, tables.Guardianship.guardian_id)
                )
            ).all()
        linked = set(parents)
        watched = {pupil for pupil, guardian in pairs if guardian in linked}
        tappable = frozenset(pupil for pupil, _ in pairs if pupil not in watched)
        people = [(p, FIRST_PARENT + i) for i, p in enumerate(parents)]
        people += [(p, FIRST_TEACHER + i) for i, p in enumerate(teachers)]
        for person_id, user_id in people:
            await link_account(
                core.uow(), console, person_id=person_id, telegram_user_id=user_id, chat_id=user_id
            )
    finally:
        await core.close()
    return School(
        parents=tuple(FIRST_PARENT + i for i in range(len(parents))),
        teachers=tuple(FIRST_TEACHER + i for i in range(len(teachers))),
        tappable=tappable,
    )


# ------------------------------------------------------------------------------ the scripts


@dataclass(frozen=True)
class Text:
    """The user writes ``text``."""

    text: str


@dataclass(frozen=True)
class Press:
    """The user presses the button with ``data`` on the bot's message ``message_id``."""

    message_id: int
    data: str


Action = Text | Press
Script = Generator[Action, "Screen", None]


@dataclass(frozen=True)
class Screen:
    """The bot's newest message in the chat, as the user sees it after a reply."""

    message_id: int
    text: str
    buttons: tuple[str, ...]
    fake: bool = False  # the echo bot: every button a script looks for is "there"

    def find(self, prefix: str) -> list[str]:
        """Callback data of the buttons starting with ``prefix``."""
        if self.fake:
            return [f"{prefix}1"]
        return [data for data in self.buttons if data.startswith(prefix)]


def screen_of(message: StoredMessage | None, *, fake: bool) -> Screen:
    """What the user sees: the text and the callback data of the inline buttons."""
    if message is None:
        return Screen(0, "", (), fake)
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    buttons = tuple(str(b["callback_data"]) for row in rows for b in row if "callback_data" in b)
    return Screen(message.message_id, message.text or message.caption or "", buttons, fake)


def parent_script(rng: random.Random) -> Script:
    """A parent with one child: the diary (a day, last week), the marks (a subject, back)."""
    while True:
        screen = yield Text("/diary")
        days = screen.find("dy:d:")
        if days:
            screen = yield Press(screen.message_id, rng.choice(days))
        weeks = screen.find("dy:w:")
        if weeks:
            screen = yield Press(screen.message_id, weeks[0])  # the previous week
        screen = yield Text("/marks")
        subjects = screen.find("mks:")
        if subjects:
            screen = yield Press(screen.message_id, rng.choice(subjects))
            back = screen.find("mk:")
            if back:
                screen = yield Press(screen.message_id, back[0])


def teacher_script(rng: random.Random, tappable: frozenset[int]) -> Script:
    """A teacher: today, a lesson, its roster (two absences), save; then marks in one message."""
    while True:
        screen = yield Text("/today")
        lessons = screen.find("ls:open:")
        if lessons:
            screen = yield Press(screen.message_id, rng.choice(lessons))
            attendance = screen.find("ls:attendance:")
            if attendance:
                screen = yield Press(screen.message_id, attendance[0])
                taps = [d for d in screen.find("rs:tap:") if screen.fake or _pupil(d) in tappable]
                for data in rng.sample(taps, min(2, len(taps))):
                    screen = yield Press(screen.message_id, data)
                save = screen.find("rs:save:")
                if save:
                    screen = yield Press(screen.message_id, save[0])
        screen = yield Text("/grades")
        groups = screen.find("grd:group:")
        if groups:
            screen = yield Press(screen.message_id, rng.choice(groups))
        assessments = screen.find("gra:")
        if assessments:
            screen = yield Press(screen.message_id, assessments[0])
            yield Text(_marks(screen.text, rng))


def _pupil(data: str) -> int:
    """The pupil of a roster button ``rs:tap:<pupil>:<token>``."""
    parts = data.split(":")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0


_ROSTER_LINE = re.compile(r"^(\d+)\. ", re.MULTILINE)


def _marks(entry_screen: str, rng: random.Random) -> str:
    """Three marks in one message, ``<number> <value>`` on the scale the entry screen names."""
    if "S, T, A, P" in entry_screen:
        values = ["S", "T", "A", "P"]
    elif "(i, ni)" in entry_screen:
        values = ["i"]
    elif "0–100%" in entry_screen:
        values = [str(v) for v in range(40, 101, 5)]
    else:
        values = [str(v) for v in range(4, 11)]
    numbers = sorted({int(n) for n in _ROSTER_LINE.findall(entry_screen)}) or [1, 2, 3]
    chosen = sorted(rng.sample(numbers, min(3, len(numbers))))
    return "\n".join(f"{n} {rng.choice(values)}" for n in chosen)


# ------------------------------------------------------------------------------ the harness


@dataclass
class InFlight:
    """One injected update waiting for its reply."""

    chat_id: int
    kind: str  # "text" or "button"
    role: str
    sent: float
    done: asyncio.Future[None]
    reply_at: float | None = None  # first send/edit in the chat
    answer_at: float | None = None  # answerCallbackQuery


class Tracker:
    """Watches the sandbox: which call answers which update, and when each update is handled."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.by_chat: dict[int, InFlight] = {}
        self.by_update: dict[int, InFlight] = {}
        self.by_query: dict[str, InFlight] = {}
        self.stray = 0  # sends to a chat with no update in flight (e.g. a notification)
        state = sandbox.state
        record_call, confirm = state.record_call, state.confirm

        def recorded(method: str, params: JsonDict) -> CallRecord:
            self.on_call(method, params)
            return record_call(method, params)

        def confirmed(entry: UpdateEntry, via: str) -> None:
            confirm(entry, via)
            self.on_handled(entry.update_id)

        state.record_call = recorded  # type: ignore[method-assign]
        state.confirm = confirmed  # type: ignore[method-assign]

    def on_call(self, method: str, params: JsonDict) -> None:
        """A Bot API call arrived: the reply of the update in flight in that chat, if any."""
        now = time.perf_counter()
        if method == "answerCallbackQuery":
            flight = self.by_query.pop(str(params.get("callback_query_id")), None)
            if flight is not None and flight.answer_at is None:
                flight.answer_at = now
            return
        if method not in CONTENT_METHODS:
            return
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            return
        flight = self.by_chat.get(chat_id)
        if flight is None:
            self.stray += 1
        elif flight.reply_at is None:
            flight.reply_at = now

    def on_handled(self, update_id: int) -> None:
        """The bot answered the webhook: the update is done."""
        flight = self.by_update.pop(update_id, None)
        if flight is not None:
            self.by_chat.pop(flight.chat_id, None)
            if not flight.done.done():
                flight.done.set_result(None)

    def inject(self, user_id: int, role: str, action: Action) -> InFlight:
        """Put the user's action into the sandbox as an update and start its clock."""
        sim = self.sandbox.sim
        flight = InFlight(
            user_id,
            "text" if isinstance(action, Text) else "button",
            role,
            time.perf_counter(),
            asyncio.get_running_loop().create_future(),
        )
        self.by_chat[user_id] = flight
        if isinstance(action, Text):
            _, entry = sim.send_text(user_id, action.text)
            update_id = entry.update_id if entry is not None else None
        else:
            record = sim.press_button(user_id, action.message_id, action.data)
            self.by_query[record.id] = flight
            update_id = record.update_id
        if update_id is None:  # pragma: no cover - every kind used here is allowed
            raise RuntimeError("the sandbox filtered a benchmark update")
        self.by_update[update_id] = flight
        return flight

    def forget(self, flight: InFlight) -> None:
        """Drop an update that timed out (its chat may still be busy in the sandbox)."""
        if self.by_chat.get(flight.chat_id) is flight:
            del self.by_chat[flight.chat_id]
        for update_id in [k for k, v in self.by_update.items() if v is flight]:
            del self.by_update[update_id]
        for query_id in [k for k, v in self.by_query.items() if v is flight]:
            del self.by_query[query_id]


@dataclass
class Sample:
    """One finished update."""

    role: str
    kind: str
    sent: float
    latency: float | None  # None: no reply


class User:
    """A virtual user: a script, one update in flight at a time."""

    def __init__(self, user_id: int, role: str, script: Script, *, fake: bool) -> None:
        self.user_id = user_id
        self.role = role
        self.script = script
        self.fake = fake
        self.action: Action = next(script)

    def latest(self, sandbox: RunningSandbox) -> StoredMessage | None:
        """The bot's newest message in the user's chat."""
        chat = sandbox.state.chats.get(self.user_id)
        if chat is None:
            return None
        for message in reversed(chat.messages.values()):
            if message.from_bot:
                return message
        return None

    async def step(self, tracker: Tracker, patience: float) -> Sample:
        """Send the next update and wait until the bot has handled it."""
        action = self.action
        if isinstance(action, Press) and self.fake:  # the echo bot's newest message
            latest = self.latest(tracker.sandbox)
            action = Press(latest.message_id if latest else 1, action.data)
        flight = tracker.inject(self.user_id, self.role, action)
        try:
            await asyncio.wait_for(asyncio.shield(flight.done), patience)
        except TimeoutError:
            tracker.forget(flight)
            latency = None
        else:
            answered = flight.reply_at or flight.answer_at
            latency = answered - flight.sent if answered is not None else None
        screen = screen_of(self.latest(tracker.sandbox), fake=self.fake)
        self.action = self.script.send(screen)
        return Sample(self.role, flight.kind, flight.sent, latency)


def make_users(school: School, *, fake: bool, seed: int) -> list[User]:
    """Parents and teachers with their scripts (the echo bot's users: the same shapes)."""
    users = [
        User(uid, "parent", parent_script(random.Random(seed * 1_000_003 + uid)), fake=fake)
        for uid in school.parents
    ]
    users += [
        User(
            uid,
            "teacher",
            teacher_script(random.Random(seed * 1_000_003 + uid), school.tappable),
            fake=fake,
        )
        for uid in school.teachers
    ]
    random.Random(seed).shuffle(users)
    return users


async def warm_up(users: Sequence[User], tracker: Tracker, *, patience: float, steps: int) -> int:
    """Every user takes ``steps`` steps (caches, imports, connection pools); not measured."""
    errors = 0

    async def run(user: User) -> None:
        nonlocal errors
        for _ in range(steps):
            if (await user.step(tracker, patience)).latency is None:
                errors += 1

    await asyncio.gather(*(run(user) for user in users))
    return errors


async def closed_loop(
    users: Sequence[User], tracker: Tracker, *, seconds: float, patience: float
) -> tuple[list[Sample], float]:
    """Every user sends, waits for the reply, sends again; samples sent inside the window."""
    samples: list[Sample] = []
    started = time.perf_counter()
    end = started + seconds

    async def run(user: User) -> None:
        while time.perf_counter() < end:
            samples.append(await user.step(tracker, patience))

    await asyncio.gather(*(run(user) for user in users))
    return samples, time.perf_counter() - started


async def open_loop(
    users: Sequence[User],
    tracker: Tracker,
    *,
    rate: float,
    seconds: float,
    patience: float,
    seed: int,
) -> tuple[list[Sample], int]:
    """Updates arrive at ``rate`` a second (Poisson), each from a user who is not waiting."""
    rng = random.Random(seed)
    idle = deque(users)
    samples: list[Sample] = []
    missed = 0
    tasks: set[asyncio.Task[None]] = set()

    async def run(user: User) -> None:
        samples.append(await user.step(tracker, patience))
        idle.append(user)

    loop = asyncio.get_running_loop()
    start = loop.time()
    due = start
    while True:
        due += rng.expovariate(rate)
        if due - start >= seconds:
            break
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if not idle:
            missed += 1
            continue
        task = asyncio.create_task(run(idle.popleft()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return samples, missed


# ------------------------------------------------------------------------------ processes


def proc_status(pid: int, field_name: str) -> float:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu(pid: int, tid: int | None = None) -> float:
    """CPU seconds (user + system) of a process (or of one of its threads) so far."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a thread that has ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_config(path: Path, url: str, redis_url: str | None, redis_prefix: str) -> None:
    """The bot's config.toml: webhook mode, flood limits out of the way.

    The sandbox's URL is handed to the bot when it starts (``EJOURNAL_BOT__API_BASE``).
    """
    lines = [
        "[database]",
        f"url = {json.dumps(url)}",
        "[logging]",
        'level = "INFO"',
        "[bot]",
        'mode = "webhook"',
        'listen_host = "127.0.0.1"',
        "listen_port = 0",
        "drain_seconds = 5",
        # A virtual user sends several updates a second; people do not.
        "flood_rate = 1000.0",
        "flood_burst = 1000",
        "[calendar]",
        'listen = "127.0.0.1:0"',
        "[notifications]",
        "run_in_bot = true",
        # The 16:00 reminder would depend on the real hour the benchmark runs at.
        "teacher_reminders = false",
    ]
    if redis_url:
        lines += [
            "[redis]",
            f"url = {json.dumps(redis_url)}",
            f"key_prefix = {json.dumps(redis_prefix)}",
        ]
    path.write_text("\n".join(lines) + "\n")


class BotProcess:
    """A bot (``journal``, ``echo`` or ``floor``) in its own process.

    Spawned early, it imports everything and then waits for a line on stdin (the sandbox's
    URL) before it starts: the imports overlap the seeding.
    """

    def __init__(self, kind: str, folder: Path, config: Path) -> None:
        self.kind = kind
        self.log_path = folder / f"{kind}.log"
        env = dict(os.environ)
        env["EJOURNAL_BOT__TOKEN"] = TOKEN
        env["EJOURNAL_BOT__WEBHOOK_SECRET"] = SECRET
        if kind != "journal":
            env.pop(PROFILE_ENV, None)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(config)],
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    async def start(self, sandbox: RunningSandbox) -> None:
        """Let the bot start against ``sandbox``; returns once its webhook is set."""
        stdin = self.process.stdin
        if stdin is None:  # pragma: no cover - always a pipe
            raise RuntimeError("no stdin")
        sandbox.state.webhook.url = ""
        stdin.write(sandbox.api_url.encode() + b"\n")
        stdin.flush()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while not sandbox.state.webhook.url:  # set by the bot's setWebhook
            if self.process.poll() is not None or loop.time() > deadline:
                raise RuntimeError(f"the {self.kind} bot did not start:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def problems(self) -> list[str]:
        """The ERROR and CRITICAL lines the bot logged (an update that failed unexpectedly)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if " ERROR " in line or " CRITICAL " in line]

    def tail(self) -> str:
        """The end of the bot's output (its log)."""
        return self.log_path.read_text(errors="replace")[-3000:]

    async def stop(self) -> None:
        """SIGTERM (the bot drains and stops), SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        self._log.close()


# ------------------------------------------------------------------------------ measuring


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(share * len(ordered) + 0.999999) - 1))
    return round(ordered[rank] * 1000, 1)


async def measure_bot(
    bot: BotProcess,
    sandbox: RunningSandbox,
    tracker: Tracker,
    school: School,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Start one bot, warm it up, then the closed loop and the open loop; its figures."""
    size = args.size
    kind = bot.kind
    fake = kind != "journal"  # the echo and floor bots answer any press
    users = make_users(school, fake=fake, seed=args.seed)
    tracker.stray = 0
    process = bot.process
    try:
        await bot.start(sandbox)
        errors = await warm_up(users, tracker, patience=size.timeout, steps=4)
        await asyncio.sleep(1.0)
        rss_idle = proc_status(process.pid, "VmRSS")
        profiling = kind == "journal" and bool(os.environ.get(PROFILE_ENV))
        if profiling:
            process.send_signal(signal.SIGUSR1)
        cpu, harness = proc_cpu(process.pid), time.process_time()
        loop_cpu = proc_cpu(process.pid, process.pid)  # the main thread runs the event loop
        samples, seconds = await closed_loop(
            users, tracker, seconds=size.seconds, patience=size.timeout
        )
        cpu, harness = proc_cpu(process.pid) - cpu, time.process_time() - harness
        loop_cpu = proc_cpu(process.pid, process.pid) - loop_cpu
        if profiling:
            process.send_signal(signal.SIGUSR1)
        at_rate, missed = await open_loop(
            users,
            tracker,
            rate=args.rate,
            seconds=size.rate_seconds,
            patience=size.timeout,
            seed=args.seed,
        )
        rss_peak = proc_status(process.pid, "VmHWM")
        rss_end = proc_status(process.pid, "VmRSS")
    finally:
        await bot.stop()
    redelivered = sum(1 for d in sandbox.state.webhook.deliveries if not d["ok"])
    problems = bot.problems()
    for line in problems[:5]:  # stderr: stdout is the one JSON line
        print(f"{kind} bot: {line}", file=sys.stderr)
    replied = [s.latency for s in samples if s.latency is not None]
    replied_at_rate = [s.latency for s in at_rate if s.latency is not None]
    mix = Counter(f"{s.role}_{s.kind}" for s in samples)
    return {
        "updates_per_s": round(len(replied) / seconds, 1),
        "p50_ms": percentile(replied, 0.50),
        "p99_ms": percentile(replied, 0.99),
        "p50_ms_at_rate": percentile(replied_at_rate, 0.50),
        "p99_ms_at_rate": percentile(replied_at_rate, 0.99),
        "achieved_rate": round(len(at_rate) / size.rate_seconds, 1),
        "updates": len(samples) + len(at_rate),
        "errors": errors + sum(1 for s in samples + at_rate if s.latency is None),
        "missed_arrivals": missed,
        "stray_messages": tracker.stray,
        "webhook_failures": redelivered,
        "log_errors": len(problems),
        "cpu_ms_per_update": round(cpu * 1000 / max(len(samples), 1), 2),
        "loop_cpu_ms_per_update": round(loop_cpu * 1000 / max(len(samples), 1), 2),
        "harness_cpu_ms_per_update": round(harness * 1000 / max(len(samples), 1), 2),
        "rss_idle_mb": round(rss_idle, 1),
        "rss_peak_mb": round(rss_peak, 1),
        "rss_end_mb": round(rss_end, 1),
        "closed_loop_s": round(seconds, 2),
        "mix": {key: round(count / max(len(samples), 1), 3) for key, count in sorted(mix.items())},
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, then the journal bot and the echo bot on the same harness."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as name:
        folder = Path(name)
        config = folder / "config.toml"
        redis_prefix = f"ejbench{uuid.uuid4().hex[:10]}"  # this run's keys, deleted afterwards
        kinds = ["journal"] + ["echo"] * (not args.no_echo) + ["floor"] * (not args.no_floor)
        bots = [BotProcess(kind, folder, config) for kind in kinds]
        try:
            async with scratch_database(args.database_url) as url:
                school = await prepare_school(url, args)
                sandbox_config = SandboxConfig(
                    token=TOKEN,
                    webhook_timeout=args.size.timeout + 5,
                    webhook_retry_delay=0.1,
                    webhook_max_retry_delay=0.5,
                )
                async with running_sandbox(config=sandbox_config) as sandbox:
                    for user_id in school.parents + school.teachers:
                        sandbox.sim.create_user(
                            user_id=user_id, first_name="U", language_code="lv"
                        )
                    tracker = Tracker(sandbox)
                    write_config(config, url, args.redis_url, redis_prefix)
                    figures = {}
                    for bot in bots:
                        sandbox.state.reset(keep_users=True)
                        figures[bot.kind] = await measure_bot(bot, sandbox, tracker, school, args)
        finally:
            for bot in bots:
                await bot.stop()
            if args.redis_url:
                await forget_keys(args.redis_url, redis_prefix)
    return report(
        args,
        school=school,
        journal=figures["journal"],
        echo=figures.get("echo"),
        floor=figures.get("floor"),
        url=url,
        seconds=time.perf_counter() - started,
    )


async def forget_keys(url: str, prefix: str) -> None:
    """Delete the keys the bot left in Redis under this run's prefix."""
    from redis.asyncio import Redis  # noqa: PLC0415 - only with --redis-url

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def report(
    args: argparse.Namespace,
    *,
    school: School,
    journal: dict[str, Any],
    echo: dict[str, Any] | None,
    floor: dict[str, Any] | None,
    url: str,
    seconds: float,
) -> dict[str, Any]:
    """The one JSON object."""
    result: dict[str, Any] = {
        key: journal[key]
        for key in ("updates_per_s", "p50_ms", "p99_ms", "p50_ms_at_rate", "p99_ms_at_rate")
    }
    result["rate"] = args.rate
    if echo is not None:
        result["echo_updates_per_s"] = echo["updates_per_s"]
        result["echo_p50_ms"] = echo["p50_ms"]
        result["echo_p99_ms"] = echo["p99_ms"]
        result["echo_p50_ms_at_rate"] = echo["p50_ms_at_rate"]
        result["echo_p99_ms_at_rate"] = echo["p99_ms_at_rate"]
        result["ratio_to_echo"] = (
            round(journal["updates_per_s"] / echo["updates_per_s"], 3)
            if echo["updates_per_s"]
            else None
        )
    else:
        result["ratio_to_echo"] = None
    for key in ("updates_per_s", "p50_ms", "p99_ms", "p50_ms_at_rate", "p99_ms_at_rate"):
        result[f"floor_{key}"] = floor[key] if floor else None
    result["floor_ratio_to_echo"] = (
        round(floor["updates_per_s"] / echo["updates_per_s"], 3)
        if floor and echo and echo["updates_per_s"]
        else None
    )
    result |= {
        "rss_idle_mb": journal["rss_idle_mb"],
        "rss_peak_mb": journal["rss_peak_mb"],
        "echo_rss_idle_mb": echo["rss_idle_mb"] if echo else None,
        "echo_rss_peak_mb": echo["rss_peak_mb"] if echo else None,
        "bot_cpu_ms_per_update": journal["cpu_ms_per_update"],
        # of which the event loop's thread; the rest is mostly aiosqlite's (SQLite) thread
        "bot_loop_cpu_ms_per_update": journal["loop_cpu_ms_per_update"],
        "echo_cpu_ms_per_update": echo["cpu_ms_per_update"] if echo else None,
        "floor_cpu_ms_per_update": floor["cpu_ms_per_update"] if floor else None,
        "floor_rss_peak_mb": floor["rss_peak_mb"] if floor else None,
        "harness_cpu_ms_per_update": journal["harness_cpu_ms_per_update"],
        "users": len(school.parents) + len(school.teachers),
        "parents": len(school.parents),
        "teachers": len(school.teachers),
        "seconds": journal["closed_loop_s"],
        "rate_seconds": args.size.rate_seconds,
        "achieved_rate": journal["achieved_rate"],
        "updates": journal["updates"],
        "errors": journal["errors"] + sum(bot["errors"] for bot in (echo, floor) if bot),
        "missed_arrivals": journal["missed_arrivals"],
        "stray_messages": journal["stray_messages"],
        "webhook_failures": journal["webhook_failures"],
        "bot_log_errors": journal["log_errors"],
        "mix": journal["mix"],
        "notifications": "in the bot process",
        "backend": make_url(url).get_backend_name(),
        "redis": bool(args.redis_url),
        "python": platform.python_version(),
        "total_s": round(seconds, 1),
    }
    result["targets_met"] = targets_met(result)
    return result


def targets_met(result: dict[str, Any]) -> dict[str, bool | None]:
    """Each of issue #12's targets: met, missed, or None when not measured (``--no-echo``)."""
    verdicts: dict[str, bool | None] = {}
    for key, bar in AT_LEAST.items():
        verdicts[key] = None if result.get(key) is None else result[key] >= bar
    for key, bar in AT_MOST.items():
        verdicts[key] = None if result.get(key) is None else result[key] <= bar
    return verdicts


# ------------------------------------------------------------------------------ the bots


def child(argv: list[str]) -> None:
    """Run one bot process: ``journal``, ``echo`` or ``floor``, with the run's config.toml.

    With ``EJOURNAL_BENCH_PROFILE`` set, the journal bot profiles itself (cProfile, the event
    loop's thread) between the first and the second SIGUSR1 (the measured closed loop) and
    writes the stats to that path.
    """
    kind = argv[0]
    profile_path = os.environ.get(PROFILE_ENV) if kind == "journal" else None
    if profile_path:
        signal.signal(signal.SIGUSR1, _profiler(profile_path))
    if kind == "journal":
        from bot.__main__ import main as ejournal  # noqa: PLC0415 - the bot process only; imported while the school is seeded

        api_base = sys.stdin.readline().strip()
        if not api_base:  # the benchmark gave up before starting this bot
            return
        os.environ["EJOURNAL_BOT__API_BASE"] = api_base
        _pin_clock()
        sys.exit(ejournal(["--config", argv[1], "run", "--mode", "webhook"]))
    else:
        import aiogram.types  # noqa: PLC0415 - in the bot process only
        import aiogram.webhook.aiohttp_server  # noqa: F401, PLC0415 - imported before the start

        api_base = sys.stdin.readline().strip()
        if api_base:
            database = _database_url(Path(argv[1])) if kind == "floor" else None
            asyncio.run(_run_echo(api_base, database))


def _database_url(config: Path) -> str:
    """``[database] url`` of the run's config.toml (written before the bots start)."""
    with config.open("rb") as file:
        return str(tomllib.load(file)["database"]["url"])


def _who_is_writing(
    url: str,
) -> tuple[Callable[[int], Awaitable[object]], Callable[[], Awaitable[None]]]:
    """The floor's one read per update, through the journal's storage; and closing it."""
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    statement = select(tables.Account.language).where(
        tables.Account.telegram_user_id == bindparam("user")
    )

    async def lookup(user_id: int) -> object:
        async with sessions() as session:
            return (await session.execute(statement, {"user": user_id})).scalar_one_or_none()

    return lookup, engine.dispose


def _profiler(path: str) -> Callable[[int, object], None]:
    """A SIGUSR1 handler: the first signal starts profiling, the second writes ``path``.

    ``*.txt``: pyinstrument's sampled call tree of the event loop's thread, wall time (pyinstrument
    must be importable; it is not a dependency); anything else: cProfile stats (``pstats``) timed
    with the thread's CPU time, so that other processes on the machine do not blur them.
    """
    steps = iter(("start", "stop"))
    if path.endswith(".txt"):
        from pyinstrument import Profiler  # type: ignore[import-not-found]  # noqa: PLC0415

        sampler = Profiler(interval=0.0005, async_mode="disabled")

        def toggle_sampler(_signum: int, _frame: object) -> None:
            step = next(steps, None)
            if step == "start":
                sampler.start()
            elif step == "stop":
                sampler.stop()
                Path(path).write_text(sampler.output_text(unicode=True, show_all=False))

        return toggle_sampler
    import cProfile  # noqa: PLC0415 - in the bot process only

    profiler = cProfile.Profile(time.thread_time)  # CPU of the loop's thread, not wall time

    def toggle(_signum: int, _frame: object) -> None:
        step = next(steps, None)
        if step == "start":
            profiler.enable()
        elif step == "stop":
            profiler.disable()
            profiler.dump_stats(path)

    return toggle


def _pin_clock() -> None:
    """Shift the system clock (time still flows) so that it is ``SCHOOL_DAY``, 10:00 in Riga.

    The demo school's teachers then have lessons "today" on whatever day the benchmark runs,
    and the results do not depend on the hour (quiet hours, the evening digest).
    """
    from core import clock as clocks  # noqa: PLC0415 - in the bot process only

    offset = datetime.combine(SCHOOL_DAY, SCHOOL_HOUR, tzinfo=ZONE) - datetime.now(UTC)

    def now(_self: clocks.SystemClock) -> datetime:
        return datetime.now(UTC) + offset

    clocks.SystemClock.now = now  # type: ignore[method-assign, assignment]


async def _run_echo(api_base: str, database: str | None = None) -> None:
    """A bare aiogram bot on a webhook: echoes texts, answers button presses.

    With ``database`` (the floor bot) it first reads who is writing, as every journal update must.
    """
    from aiogram import Bot, Dispatcher  # noqa: PLC0415 - in the bot process only
    from aiogram.client.session.aiohttp import AiohttpSession  # noqa: PLC0415 - in the bot process only
    from aiogram.client.telegram import TelegramAPIServer  # noqa: PLC0415 - in the bot process only
    from aiogram.types import CallbackQuery, Message  # noqa: PLC0415 - in the bot process only
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler  # noqa: PLC0415 - in the bot process only
    from aiohttp import web  # noqa: PLC0415 - in the bot process only

    api = TelegramAPIServer.from_base(api_base)
    bot = Bot(os.environ["EJOURNAL_BOT__TOKEN"], session=AiohttpSession(api=api))
    dp = Dispatcher()
    lookup, close = _who_is_writing(database) if database else (None, None)

    @dp.message()
    async def echo(message: Message) -> None:
        if lookup is not None and message.from_user is not None:
            await lookup(message.from_user.id)
        await message.answer(message.text or "?")

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        if lookup is not None:
            await lookup(query.from_user.id)
        await query.answer()

    app = web.Application()
    secret = os.environ["EJOURNAL_BOT__WEBHOOK_SECRET"]
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=secret).register(
        app, path="/echo"
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await bot.set_webhook(f"http://127.0.0.1:{port}/echo", secret_token=secret)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await bot.session.close()
        if close is not None:
            await close()


def main(argv: list[str] | None = None) -> None:
    """Print the result as one JSON line (or, with ``--child``, be one of the bots)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return
    print(json.dumps(asyncio.run(run(parse(argv)))))


if __name__ == "__main__":
    main()
