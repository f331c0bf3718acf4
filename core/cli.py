"""The ``ejournal`` console for school admins: config, database, schools, imports, demo, stats.

A composition root: it loads settings, builds the core, runs one service call per command and
prints the result in the configured language. Front ends add their own commands (``run``,
``demo``) through :func:`build_parser`'s ``extensions`` hook.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tomllib
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from core.bootstrap import Core, build_core
from core.config import CoreSettings, load_settings, masked
from core.domain.access import Viewer
from core.errors import DomainError, ImportRejected
from core.i18n import LANGUAGES, Catalogs
from core.imports.problems import format_problem
from core.logs import configure_logging
from core.services import people, schools
from core.storage import database

log = logging.getLogger("ejournal")

Handler = Callable[["Console", argparse.Namespace], Coroutine[Any, Any, int]]
Extension = Callable[[Any], None]  # receives the subcommands action (argparse has no public type)


class Console:
    """What a command needs: settings, the core (built on first use), text and output."""

    def __init__(self, settings: CoreSettings, lang: str, out: TextIO) -> None:
        self.settings = settings
        self.lang = lang
        self.out = out
        self.catalogs = Catalogs.load()
        self._core: Core | None = None

    @property
    def core(self) -> Core:
        """The journal core, connected lazily."""
        if self._core is None:
            self._core = build_core(self.settings)
        return self._core

    def t(self, key: str, **params: Any) -> str:
        """Localized text."""
        return self.catalogs.text(key, self.lang, **params)

    def say(self, key: str, **params: Any) -> None:
        """Print a localized line."""
        print(self.t(key, **params), file=self.out)

    def emit(self, text: str) -> None:
        """Print a ready line."""
        print(text, file=self.out)

    async def close(self) -> None:
        """Release the database."""
        if self._core is not None:
            await self._core.close()

    async def require_schema(self) -> None:
        """Refuse to run on a database that has not been upgraded."""
        revision = await database.current_revision(self.core.engine)
        if revision is None:
            raise DomainError("db.not_initialized")


# ------------------------------------------------------------------------------- commands


async def cmd_config_check(console: Console, _args: argparse.Namespace) -> int:
    """Validate and print the effective configuration (secrets masked)."""
    console.say("config.valid")
    console.emit(json.dumps(masked(console.settings), indent=2, ensure_ascii=False))
    return 0


async def cmd_db_upgrade(console: Console, args: argparse.Namespace) -> int:
    """Create or migrate the schema."""
    await database.upgrade(console.core.engine, args.revision)
    revision = await database.current_revision(console.core.engine)
    console.say("db.upgraded", revision=revision or "-")
    return 0


async def cmd_db_downgrade(console: Console, args: argparse.Namespace) -> int:
    """Step the schema down."""
    await database.downgrade(console.core.engine, args.revision)
    revision = await database.current_revision(console.core.engine)
    console.say("db.downgraded", revision=revision or "-")
    return 0


async def cmd_db_current(console: Console, _args: argparse.Namespace) -> int:
    """Print the schema revision."""
    revision = await database.current_revision(console.core.engine)
    console.say("db.current", revision=revision or "-")
    return 0


async def cmd_school_create(console: Console, args: argparse.Namespace) -> int:
    """Register a school with this year's Latvian calendar."""
    await console.require_schema()
    school = await schools.create_school(
        console.core.uow(),
        Viewer.console(),
        code=args.code,
        name=args.name,
        time_zone=args.time_zone or console.settings.school.time_zone,
        locale=args.locale or console.settings.school.locale,
    )
    console.say("school.created", code=school.code, name=school.name)
    return 0


async def cmd_school_list(console: Console, _args: argparse.Namespace) -> int:
    """List the schools."""
    await console.require_schema()
    for school in await schools.list_schools(console.core.uow(), Viewer.console()):
        console.emit(f"{school.code}\t{school.name}")
    return 0


async def cmd_school_policy(console: Console, args: argparse.Namespace) -> int:
    """Show a school's policy settings, or set them from a TOML file."""
    await console.require_schema()
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    if args.file:
        try:
            raw = tomllib.loads(await asyncio.to_thread(Path(args.file).read_text, "utf-8"))
        except (OSError, UnicodeDecodeError):
            console.say("import.file_not_readable", path=args.file)
            return 2
        except tomllib.TOMLDecodeError as exc:
            console.say("config.toml_invalid", path=args.file, detail=str(exc))
            return 2
        await schools.set_school_policy(
            console.core.uow(), Viewer.console(), school_id=school.id, settings=raw
        )
        console.say("school.policy_set", code=school.code)
    settings = await schools.school_policy_settings(
        console.core.uow(), Viewer.console(), school_id=school.id
    )
    if not settings:
        console.say("school.policy_defaults")
    console.emit(json.dumps(settings, indent=2, ensure_ascii=False, sort_keys=True))
    return 0


async def cmd_import_people(console: Console, args: argparse.Namespace) -> int:
    """Import classes, pupils, parents and staff from CSV or XLSX (rule 3.1)."""
    await console.require_schema()
    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError:
        console.say("import.file_not_readable", path=str(path))
        return 2
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    try:
        report = await people.import_people(
            console.core.uow(),
            Viewer.console(),
            school_id=school.id,
            data=data,
            filename=path.name,
            dry_run=args.dry_run,
        )
    except ImportRejected as rejected:
        console.say("import.summary_rejected", count=len(rejected.problems))
        for problem in rejected.problems:
            console.emit("  " + format_problem(problem, console.catalogs, console.lang))
        return 2
    console.say("import.dry_run" if args.dry_run else "import.applied")
    for kind, counts in report.as_rows():
        console.say(
            "import.report_row",
            kind=console.t(f"import.kind.{kind}"),
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
        )
    return 0


async def cmd_seed_demo(console: Console, args: argparse.Namespace) -> int:
    """Create the demo school(s); the schema is created first if needed."""
    await database.upgrade(console.core.engine)
    written = await schools.seed_demo(
        console.core.uow(),
        Viewer.console(),
        seed=args.seed,
        schools=args.schools,
        classes_per_grade=args.classes_per_grade,
        pupils_per_class=args.pupils_per_class,
        zone=console.settings.school.zone,
        today=args.today,
    )
    console.say("demo.seeded", rows=sum(written.values()))
    return 0


async def cmd_stats(console: Console, args: argparse.Namespace) -> int:
    """Entity counts (``--json`` for one JSON object)."""
    await console.require_schema()
    counts = await schools.entity_counts(console.core.uow(), Viewer.console())
    if args.json:
        console.emit(json.dumps(counts, sort_keys=True))
    else:
        for key, value in counts.items():
            console.emit(f"{key}\t{value}")
    return 0


# --------------------------------------------------------------------------------- parser


def build_parser(extensions: Sequence[Extension] = ()) -> argparse.ArgumentParser:
    """The argument parser; front ends may add subcommands through ``extensions``."""
    parser = argparse.ArgumentParser(
        prog="ejournal", description="ejournal: the school journal run from chat."
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    config = sub.add_parser("config", help="configuration").add_subparsers(
        dest="action", required=True
    )
    config.add_parser("check", help="validate and print the effective configuration").set_defaults(
        handler=cmd_config_check
    )

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    up = db.add_parser("upgrade", help="create or migrate the schema")
    up.add_argument("--revision", default="head")
    up.set_defaults(handler=cmd_db_upgrade)
    down = db.add_parser("downgrade", help="step the schema down")
    down.add_argument("--revision", default="-1")
    down.set_defaults(handler=cmd_db_downgrade)
    db.add_parser("current", help="print the schema revision").set_defaults(handler=cmd_db_current)

    school = sub.add_parser("school", help="schools").add_subparsers(dest="action", required=True)
    create = school.add_parser("create", help="register a school with this year's calendar")
    create.add_argument("--code", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--time-zone")
    create.add_argument("--locale", choices=LANGUAGES)
    create.set_defaults(handler=cmd_school_create)
    school.add_parser("list", help="list schools").set_defaults(handler=cmd_school_list)
    policy = school.add_parser("policy", help="show or set a school's assessment/attendance rules")
    policy.add_argument("--school", required=True, help="school code")
    policy.add_argument("--file", help="TOML settings (sample: docs/samples/policy.toml)")
    policy.set_defaults(handler=cmd_school_policy)

    imports = sub.add_parser("import", help="import files").add_subparsers(
        dest="action", required=True
    )
    ppl = imports.add_parser("people", help="classes, pupils, parents and staff (CSV/XLSX)")
    ppl.add_argument("file")
    ppl.add_argument("--school", required=True, help="school code")
    ppl.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")
    ppl.set_defaults(handler=cmd_import_people)

    seed = sub.add_parser("seed-demo", help="create a realistic demo school")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--schools", type=int, default=1)
    seed.add_argument("--classes-per-grade", type=int, default=2)
    seed.add_argument("--pupils-per-class", type=int)
    seed.add_argument(
        "--today",
        type=date.fromisoformat,
        help="fill the journal up to this date, YYYY-MM-DD (default: today)",
    )
    seed.set_defaults(handler=cmd_seed_demo)

    stats = sub.add_parser("stats", help="entity counts")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.set_defaults(handler=cmd_stats)

    for extend in extensions:
        extend(sub)
    return parser


async def _run(handler: Handler, console: Console, args: argparse.Namespace) -> int:
    try:
        return await handler(console, args)
    finally:
        await console.close()


def main(
    argv: Sequence[str] | None = None,
    *,
    extensions: Sequence[Extension] = (),
    settings_model: type[CoreSettings] = CoreSettings,
    secrets: Callable[[CoreSettings], Sequence[str]] = lambda _settings: (),
    out: TextIO | None = None,
) -> int:
    """Run one console command; returns the process exit code."""
    args = build_parser(extensions).parse_args(argv)
    out = out or sys.stdout
    catalogs = Catalogs.load()
    try:
        settings = load_settings(args.config, settings_model)
    except DomainError as error:
        print(catalogs.text(error.key, args.lang or "lv", **error.params), file=sys.stderr)  # noqa: T201
        return 2
    configure_logging(settings, secrets(settings))
    console = Console(settings, args.lang or settings.school.locale, out)
    try:
        return asyncio.run(_run(args.handler, console, args))
    except DomainError as error:
        print(console.t(error.key, **error.params), file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
