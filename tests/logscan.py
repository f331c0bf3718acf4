"""The log scan: nothing logged while the bot, e2e and notifications suites run holds a secret or
personal data.

A handler on the root logger keeps every record (all loggers, DEBUG and up) logged while a test in
``SCANNED`` runs. After each such test that had a database, the people in it (names, phone
numbers, personal codes, e-mail addresses) are read back and that test's records are searched for
them and for the bot tokens and webhook secrets the tests use. At the end of the session every
record is searched for the secrets once more, and the session fails, naming the test, the logger
and the kind of data found (never the data).

The database drivers' statement loggers are held at WARNING by ``core.logs`` exactly as
``configure_logging`` holds them in production (only ``[database] echo = true`` lets them through).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import bot.demo
from core.logs import hold_statement_loggers
from tests.e2e.running import SECRET, TOKEN

TESTS = Path(__file__).resolve().parent
SCANNED = tuple(TESTS / name for name in ("e2e", "bot", "notifications"))
# Secrets the suites configure; run-time ones (the demo's token) are added as they are made.
KNOWN_SECRETS = (TOKEN, SECRET)


@dataclass(frozen=True)
class Captured:
    """One formatted record: where it came from and everything it says."""

    test: str
    logger: str
    text: str


@dataclass(frozen=True)
class Leak:
    """A record that holds something it must not (described, never quoted)."""

    test: str
    logger: str
    kind: str


def secret_needles(secret: str) -> dict[str, str]:
    """A token and, for a bot token, its secret half (the bot id alone is public)."""
    needles = {secret: "secret"}
    _, colon, tail = secret.partition(":")
    if colon and len(tail) >= 8:
        needles[tail] = "secret"
    return needles


def person_needles(
    given: str, family: str, phone: str | None, code: str | None, email: str | None
) -> dict[str, str]:
    """What of one person must never be logged."""
    needles = {f"{given} {family}": "name", f"{family} {given}": "name"}
    if len(family) >= 4:
        needles[family] = "name"
    if phone:
        needles[phone] = "phone"
        digits = re.sub(r"\D", "", phone)
        if len(digits) >= 8:
            needles[digits] = "phone"
    if code:
        needles[code] = "personal code"
        needles[code.replace("-", "")] = "personal code"
    if email:
        needles[email] = "e-mail"
    return needles


def find_leaks(records: Iterable[Captured], needles: dict[str, str]) -> list[Leak]:
    """The records that contain a needle, one finding per (test, logger, kind)."""
    if not needles:
        return []
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))
    found: dict[tuple[str, str, str], Leak] = {}
    for record in records:
        for match in pattern.finditer(record.text):
            leak = Leak(record.test, record.logger, needles[match.group(0)])
            found.setdefault((leak.test, leak.logger, leak.kind), leak)
    return list(found.values())


class CaptureHandler(logging.Handler):
    """Keeps every record's message, arguments, exception and stack as text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.test = ""
        self.records: list[Captured] = []
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the record while a scanned test runs."""
        if not self.test:
            return
        try:
            parts = [record.getMessage()]
        except Exception:  # a broken format string: keep the raw parts
            parts = [str(record.msg), repr(record.args)]
        if record.exc_info:
            parts.append(self._formatter.formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        self.records.append(Captured(self.test, record.name, "\n".join(parts)))

    def take(self, test: str) -> list[Captured]:
        """The records of ``test``, forgotten by the handler."""
        mine = [r for r in self.records if r.test == test]
        self.records = [r for r in self.records if r.test != test]
        return mine


@dataclass
class LogScan:
    """The session's scan: the handler, the secrets seen, the findings."""

    handler: CaptureHandler = field(default_factory=CaptureHandler)
    secrets: set[str] = field(default_factory=lambda: set(KNOWN_SECRETS))
    people: dict[str, dict[str, str]] = field(default_factory=dict)
    leaks: list[Leak] = field(default_factory=list)
    scanned_records: int = 0

    def secret_needles(self) -> dict[str, str]:
        """Every secret to look for."""
        needles: dict[str, str] = {}
        for secret in self.secrets:
            needles.update(secret_needles(secret))
        return needles

    def check_test(self, test: str) -> None:
        """Scan one finished test's records for its people and every secret."""
        records = self.handler.take(test)
        self.scanned_records += len(records)
        people = self.people.pop(test, {})
        self.leaks.extend(find_leaks(records, {**self.secret_needles(), **people}))

    def finish(self) -> list[Leak]:
        """Scan what no test claimed for every secret; all findings."""
        rest, self.handler.records = self.handler.records, []
        self.scanned_records += len(rest)
        self.leaks.extend(find_leaks(rest, self.secret_needles()))
        return self.leaks


SCAN_KEY = pytest.StashKey[LogScan]()


def _scanned(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return any(path.is_relative_to(root) for root in SCANNED) and path != Path(__file__)


def pytest_configure(config: pytest.Config) -> None:
    """Attach the capturing handler for the whole session; remember the demo's tokens."""
    scan = LogScan()
    config.stash[SCAN_KEY] = scan
    logging.getLogger().addHandler(scan.handler)
    real_demo_token = bot.demo.demo_token

    def remembered_demo_token() -> str:
        token = real_demo_token()
        scan.secrets.add(token)
        return token

    bot.demo.demo_token = remembered_demo_token
    config.add_cleanup(lambda: setattr(bot.demo, "demo_token", real_demo_token))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """While a scanned test runs, everything from DEBUG up reaches the handler."""
    scan = item.config.stash[SCAN_KEY]
    if not _scanned(item):
        return (yield)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    hold_statement_loggers(logging.DEBUG)
    scan.handler.test = item.nodeid
    try:
        return (yield)
    finally:
        scan.handler.test = ""
        root.setLevel(level)
        scan.check_test(item.nodeid)


@pytest.fixture(autouse=True)
def _log_scan_people(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a scanned test with a database: the people in it, for the scan of its records."""
    scan = request.config.stash[SCAN_KEY]
    if not _scanned(request.node) or "database_url" not in request.fixturenames:
        yield
        return
    url: str = request.getfixturevalue("database_url")
    yield
    scan.people[request.node.nodeid] = _people_needles(url)


def _people_needles(url: str) -> dict[str, str]:
    async def read() -> dict[str, str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT given_name, family_name, phone, personal_code, email FROM persons"
                    )
                )
                needles: dict[str, str] = {}
                for row in rows:
                    needles.update(person_needles(*row))
                return needles
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when a record held a secret or personal data."""
    scan = session.config.stash.get(SCAN_KEY, None)
    if scan is None:
        return
    logging.getLogger().removeHandler(scan.handler)
    leaks = scan.finish()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not leaks:
        if reporter is not None and scan.scanned_records:
            reporter.write_sep("-", f"log scan: {scan.scanned_records} records, no leaks")
        return
    if reporter is not None:
        reporter.write_sep("=", "log scan FAILED", red=True)
        reporter.write_line(f"{len(leaks)} leak(s) of secrets or personal data in the logs:")
        for leak in leaks:
            reporter.write_line(f"  {leak.test}: logger {leak.logger!r} logged a {leak.kind}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
