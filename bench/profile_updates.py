"""Per-update CPU of the bot: the real Dispatcher on the demo school, fed in-process, no network.

Seeds the deterministic demo school into a temporary SQLite file (seeding is not timed), links
parents and teachers to virtual Telegram users, builds the real Dispatcher
(``bot.app.build_dispatcher``) with a bot whose session records requests and answers them
without a network, and feeds it Updates through ``dp.feed_update``, one at a time, the journal
mix of issue #12: parents open the diary (``/diary``, week buttons) and marks (``/marks``, a
subject's marks), teachers open ``/today``, a lesson card, tap the attendance roster and save
it, and enter marks (``/grades``, a new assessment, one message with a mark for every pupil).

Prints ONE JSON line: updates, cpu_ms_per_update (all and per kind: this process's CPU time,
aiosqlite's thread included, around each ``feed_update``) and the wall-clock rate. With
``--profile`` a cProfile of the measured part goes to stderr (``--top`` lines, by cumulative
and by own time).

    python bench/profile_updates.py                  # 2 rounds of every persona's flow
    python bench/profile_updates.py --rounds 1 --profile --top 60
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from sqlalchemy import event, select

from bot.app import build_dispatcher
from bot.callbacks import DiaryCb, MarksCb
from bot.middlewares import TokenBuckets
from bot.settings import AppSettings
from core.bootstrap import Core, build_core
from core.clock import FakeClock
from core.config import CoreSettings, DatabaseSettings
from core.domain.access import Viewer
from core.services.accounts import link_account
from core.services.schools import seed_demo
from core.storage import tables as t
from core.storage.database import create_engine, upgrade

TODAY = date(2026, 11, 30)  # a Monday: the demo's journal is filled in up to this day
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # 11:30 in Riga, lessons under way
FIRST_USER = 800_000_001
SENT_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class OfflineSession(BaseSession):
    """Answers the Bot API calls the journal flows make, without a network."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.replies: list[SendMessage | EditMessageText] = []
        self._ids = itertools.count(10_000)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's BaseSession signature
    ) -> TelegramType:
        """Record the call and answer it as Telegram would."""
        self.calls += 1
        if isinstance(method, SendMessage | EditMessageText):
            self.replies.append(method)
            markup = method.reply_markup
            return Message(  # type: ignore[return-value]
                message_id=int(getattr(method, "message_id", None) or next(self._ids)),
                date=SENT_AT,
                chat=Chat(id=int(method.chat_id or 0), type="private"),
                from_user=User(id=bot.id, is_bot=True, first_name="eJournal"),
                text=method.text,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
        if isinstance(method, GetMe):
            return User(id=bot.id, is_bot=True, first_name="eJournal")  # type: ignore[return-value]
        if isinstance(method, AnswerCallbackQuery | SetMyCommands | EditMessageReplyMarkup):
            return True  # type: ignore[return-value]
        raise RuntimeError(f"unexpected Bot API call {type(method).__name__}")

    async def stream_content(
        self, url: str, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes, None]:
        """No file downloads in these flows."""
        raise RuntimeError("no downloads in this benchmark")
        yield b""  # pragma: no cover - makes this an async generator

    async def close(self) -> None:
        """Nothing to close."""


class Driver:
    """Feeds updates as Telegram users and measures the CPU of each by kind."""

    def __init__(self, dp: Dispatcher, bot: Bot, session: OfflineSession) -> None:
        self.dp, self.bot, self.session = dp, bot, session
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, int] = defaultdict(int)
        self.executed = 0  # SQL statements so far (an engine event counts them)
        self.measuring = False
        self.show = False
        self.trace: list[str] | None = None  # statements of the update being traced
        self.trace_kind: str | None = None
        self._ids = itertools.count(1)

    async def _feed(self, kind: str, update: Update) -> list[SendMessage | EditMessageText]:
        before, executed = len(self.session.replies), self.executed
        tracing = self.measuring and kind == self.trace_kind
        if tracing:
            self.trace = []
        started = time.process_time()
        await self.dp.feed_update(self.bot, update)
        if tracing and self.trace is not None:
            print(f"--- SQL of one {kind} update:", *self.trace, sep="\n  ", file=sys.stderr)
            self.trace, self.trace_kind = None, None
        if self.measuring:
            self.cpu[kind].append(time.process_time() - started)
            self.statements[kind] += self.executed - executed
        replies = self.session.replies[before:]
        if self.show:
            for reply in replies:
                first = (reply.text or "").replace("\n", " | ")[:150]
                print(f"{kind:>14}: {first}  {buttons([reply])[:6]}", file=sys.stderr)
        return replies

    def _user(self, user_id: int) -> tuple[User, Chat]:
        return User(id=user_id, is_bot=False, first_name="Bench", language_code="lv"), Chat(
            id=user_id, type="private"
        )

    async def send(
        self, kind: str, user_id: int, text: str
    ) -> list[SendMessage | EditMessageText]:
        """The user writes ``text``; returns the bot's messages and edits."""
        user, chat = self._user(user_id)
        entities = None
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            entities = [MessageEntity(type="bot_command", offset=0, length=length)]
        message = Message(
            message_id=next(self._ids),
            date=SENT_AT,
            chat=chat,
            from_user=user,
            text=text,
            entities=entities,
        )
        return await self._feed(kind, Update(update_id=next(self._ids), message=message))

    async def press(
        self, kind: str, user_id: int, data: str
    ) -> list[SendMessage | EditMessageText]:
        """The user presses a button with callback ``data``."""
        user, chat = self._user(user_id)
        shown = Message(
            message_id=next(self._ids),
            date=SENT_AT,
            chat=chat,
            from_user=User(id=self.bot.id, is_bot=True, first_name="eJournal"),
            text="…",
        )
        query = CallbackQuery(
            id=str(next(self._ids)), from_user=user, chat_instance="1", message=shown, data=data
        )
        return await self._feed(kind, Update(update_id=next(self._ids), callback_query=query))


def buttons(replies: list[SendMessage | EditMessageText]) -> list[str]:
    """Callback data of every button of the replies, in order."""
    found: list[str] = []
    for reply in replies:
        markup = reply.reply_markup
        if isinstance(markup, InlineKeyboardMarkup):
            found += [
                b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data
            ]
    return found


async def parent_flow(d: Driver, user_id: int, children: list[int]) -> None:
    """/diary, two week buttons, /marks, a child's marks, a subject's marks."""
    await d.send("diary", user_id, "/diary")
    for pupil in children[:1]:
        for week in (TODAY.toordinal() - 7, TODAY.toordinal() + 7):
            await d.press(
                "diary_week", user_id, DiaryCb(view="w", pupil_id=pupil, day=week).pack()
            )
    shown = await d.send("marks", user_id, "/marks")
    if len(children) > 1:
        shown = await d.press("marks", user_id, MarksCb(pupil_id=children[0]).pack())
    subjects = [b for b in buttons(shown) if b.startswith("mks:")]
    for data in subjects[:2]:
        await d.press("marks_subject", user_id, data)


async def teacher_flow(d: Driver, user_id: int) -> None:
    """/today, a lesson card, the roster: taps and save; /grades: a new assessment's marks."""
    day = await d.send("today", user_id, "/today")
    lessons = [b for b in buttons(day) if b.startswith("ls:open:")]
    if lessons:
        card = await d.press("lesson_card", user_id, lessons[0])
        roster_button = [b for b in buttons(card) if b.startswith("ls:attendance:")]
        if roster_button:
            roster = await d.press("roster_open", user_id, roster_button[0])
            taps = [b for b in buttons(roster) if b.startswith("rs:tap:")]
            for data in taps[:4]:
                await d.press("roster_tap", user_id, data)
            saves = [b for b in buttons(roster) if b.startswith("rs:save:")]
            if saves:
                await d.press("roster_save", user_id, saves[0])
    shown = await d.send("grades", user_id, "/grades")
    groups = [b for b in buttons(shown) if b.startswith("grd:group:")]
    if groups:
        shown = await d.press("grades", user_id, groups[0])
    new = [b for b in buttons(shown) if b.startswith("grd:new:")]
    if not new:
        return
    await d.press("grades", user_id, new[0])
    kinds = await d.send("grades", user_id, "Bench test")
    kind = [b for b in buttons(kinds) if b.startswith("grk:")]
    if not kind:
        return
    entry = await d.press("grades", user_id, kind[0])
    pupils = _count_pupils(entry)
    levels = "S, T, A, P" in "".join(reply.text or "" for reply in entry)
    values = ("S", "T", "A", "P") if levels else tuple(str(v) for v in range(4, 11))
    lines = "\n".join(f"{n} {values[n % len(values)]}" for n in range(1, pupils + 1))
    await d.send("grades_entry", user_id, lines)


def _count_pupils(replies: list[SendMessage | EditMessageText]) -> int:
    """Pupils numbered on the entry screen ("1. Name ...")."""
    numbered = 0
    for reply in replies:
        for line in (reply.text or "").splitlines():
            head = line.strip().split(".", 1)[0]
            if head.isdigit():
                numbered = max(numbered, int(head))
    return numbered or 20


async def _people(
    core: Core, parents: int, teachers: int
) -> tuple[dict[int, list[int]], list[int]]:
    """Guardians with their children, and teachers with lessons on TODAY."""
    async with core.uow() as uow:
        s = uow.session  # type: ignore[attr-defined]
        rows = await s.execute(
            select(t.Guardianship.guardian_id, t.Guardianship.pupil_id).order_by(
                t.Guardianship.guardian_id, t.Guardianship.pupil_id
            )
        )
        family: dict[int, list[int]] = defaultdict(list)
        for guardian, pupil in rows:
            family[guardian].append(pupil)
        teaching = await s.scalars(
            select(t.TimetableSlot.teacher_id)
            .where(
                t.TimetableSlot.weekday == TODAY.weekday(), t.TimetableSlot.teacher_id.is_not(None)
            )
            .distinct()
            .order_by(t.TimetableSlot.teacher_id)
        )
        teacher_ids = _spread([int(x) for x in teaching], teachers)
    chosen = _spread(sorted(family), parents)
    return {guardian: family[guardian] for guardian in chosen}, teacher_ids


def _spread(items: list[int], n: int) -> list[int]:
    """``n`` items spread evenly over the list (every grade, not only the first classes)."""
    if n >= len(items):
        return items
    return [items[i * len(items) // n] for i in range(n)]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=40, help="linked parents (default 40)")
    parser.add_argument("--teachers", type=int, default=20, help="linked teachers (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="measured rounds (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio", help="event loop"
    )
    parser.add_argument("--show", action="store_true", help="the warm-up's replies to stderr")
    parser.add_argument("--trace", metavar="KIND", help="SQL of one KIND update to stderr")
    parser.add_argument("--profile", action="store_true", help="cProfile to stderr")
    parser.add_argument("--top", type=int, default=40, help="lines of each profile list")
    parser.add_argument("--sort", default="cumulative,tottime", help="profile orders")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Seed, link, warm up one round, then measure ``--rounds`` rounds."""
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.sqlite3'}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        core = build_core(CoreSettings(database=DatabaseSettings(url=url)), FakeClock(NOW))
        try:
            return await _measure(core, args)
        finally:
            await core.close()


async def _measure(core: Core, args: argparse.Namespace) -> dict[str, object]:
    console = Viewer.console()
    await seed_demo(core.uow(), console, seed=args.seed, zone=ZoneInfo("Europe/Riga"), today=TODAY)
    family, teachers = await _people(core, args.parents, args.teachers)
    users = itertools.count(FIRST_USER)
    parents = []
    for person, children in family.items():
        user_id = next(users)
        await link_account(
            core.uow(), console, person_id=person, telegram_user_id=user_id, chat_id=user_id
        )
        parents.append((user_id, children))
    teacher_users = []
    for person in teachers:
        user_id = next(users)
        await link_account(
            core.uow(), console, person_id=person, telegram_user_id=user_id, chat_id=user_id
        )
        teacher_users.append(user_id)
    session = OfflineSession()
    bot = Bot("4242:BENCH-token", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dp = build_dispatcher(core, AppSettings(), buckets=TokenBuckets(1e9, 10**9))
    driver = Driver(dp, bot, session)
    driver.show = args.show

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        driver.executed += 1
        if driver.trace is not None:
            driver.trace.append(" ".join(statement.split())[:240])

    event.listen(core.engine.sync_engine, "before_cursor_execute", count)

    async def one_round() -> None:
        for n in range(max(len(parents), len(teacher_users))):
            if n < len(parents):
                await parent_flow(driver, *parents[n])
            if n < len(teacher_users):
                await teacher_flow(driver, teacher_users[n])

    await one_round()  # warm-up: caches, compiled statements, first screens
    driver.show = False
    driver.trace_kind = args.trace
    # The event loop's CPU only (waits for aiosqlite's thread are not CPU, and not counted).
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    driver.measuring = True
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(args.rounds):
        await one_round()
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        for order in args.sort.split(","):
            stats.sort_stats(order).print_stats(args.top)
    updates = sum(len(v) for v in driver.cpu.values())
    return {
        "updates": updates,
        "seconds": round(seconds, 3),
        "updates_per_s": round(updates / seconds, 1) if seconds else None,
        "cpu_ms_per_update": round(cpu * 1000 / updates, 3) if updates else None,
        "sql_per_update": round(sum(driver.statements.values()) / updates, 1) if updates else None,
        "kinds": {
            kind: {
                "n": len(values),
                "cpu_ms_mean": round(statistics.fmean(values) * 1000, 3),
                "cpu_ms_median": round(statistics.median(values) * 1000, 3),
                "sql_per_update": round(driver.statements[kind] / len(values), 1),
            }
            for kind, values in sorted(driver.cpu.items())
        },
        "bot_api_calls": session.calls,
        "parents": len(parents),
        "teachers": len(teacher_users),
        "rounds": args.rounds,
        "profiled": bool(profiler),
        "backend": "sqlite",
    }


def main(argv: list[str] | None = None) -> None:
    """Print the one JSON line."""
    args = parse(argv)
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional, only for this comparison

        result = uvloop.run(run(args))
    else:
        result = asyncio.run(run(args))
    print(json.dumps({**result, "loop": args.loop}))


if __name__ == "__main__":
    main()
