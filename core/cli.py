"""The ``ejournal`` console for school admins: config, database, schools, people, invitations.

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

from core.archive.cli import add_archive_commands
from core.bootstrap import Core, build_core
from core.cli_audit import add_audit_commands
from core.cli_privacy import add_retention_commands
from core.cli_reports import add_report_commands
from core.config import CoreSettings, exposed_secrets_file, load_settings, masked
from core.domain.access import Viewer
from core.domain.invites import Purpose, deep_link, valid_bot_username
from core.errors import DomainError, ImportRejected
from core.i18n import LANGUAGES, Catalogs
from core.imports.problems import format_problem
from core.logs import configure_logging
from core.services import (
    connections,
    deactivation,
    group_lists,
    invites,
    people,
    schools,
    timetable_import,
)
from core.services.connections import ConnectionReport, Unconnected
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


async def _import_file(
    console: Console, args: argparse.Namespace
) -> tuple[bytes, str, int] | None:
    """The file's bytes and name and the school's id; None (after saying why) if unreadable."""
    await console.require_schema()
    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError:
        console.say("import.file_not_readable", path=str(path))
        return None
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    return data, path.name, school.id


def _say_rejected(console: Console, rejected: ImportRejected) -> int:
    """Every problem of a refused file, one per line; the exit code for a refusal."""
    console.say("import.summary_rejected", count=len(rejected.problems))
    for problem in rejected.problems:
        console.emit("  " + format_problem(problem, console.catalogs, console.lang))
    return 2


async def cmd_import_people(console: Console, args: argparse.Namespace) -> int:
    """Import classes, pupils, parents and staff from CSV or XLSX (rule 3.1)."""
    opened = await _import_file(console, args)
    if opened is None:
        return 2
    data, filename, school_id = opened
    try:
        report = await people.import_people(
            console.core.uow(),
            Viewer.console(),
            school_id=school_id,
            data=data,
            filename=filename,
            dry_run=args.dry_run,
        )
    except ImportRejected as rejected:
        return _say_rejected(console, rejected)
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


async def cmd_import_timetable(console: Console, args: argparse.Namespace) -> int:
    """Preview (or, with --apply, import) a semester timetable: aSc XML, CSV or XLSX (rule 3.2)."""
    opened = await _import_file(console, args)
    if opened is None:
        return 2
    data, filename, school_id = opened
    try:
        preview = await timetable_import.import_timetable(
            console.core.uow(),
            Viewer.console(),
            school_id=school_id,
            data=data,
            filename=filename,
            term_number=args.term,
            create_subjects=args.create_subjects,
            apply=args.apply,
        )
    except ImportRejected as rejected:
        return _say_rejected(console, rejected)
    for line in timetable_import.preview_lines(preview, console.t):
        console.emit(line)
    for problem in preview.problems():
        console.emit("  " + format_problem(problem, console.catalogs, console.lang))
    return 1 if preview.blocked else 0


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


async def cmd_invite_slips(console: Console, args: argparse.Namespace) -> int:
    """Issue invitations for a class's parents or pupils, or the staff, as a PDF of slips."""
    # ReportLab and qrcode (~10 MB) load when slips are made, not whenever the console starts.
    from core.documents.slips import invite_slips, render_slips  # noqa: PLC0415

    await console.require_schema()
    username = _bot_username(console, args)
    if username is None:
        return 2
    audience = invites.Audience(args.audience)
    if audience is not invites.Audience.STAFF and not args.class_name:
        console.say("invite.class_required")
        return 2
    out = Path(args.out)
    if not out.parent.is_dir():
        console.say("invite.out_folder_missing", path=str(out.parent))
        return 2
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    batch = await invites.issue_invites(
        console.core.uow(),
        Viewer.console(),
        audience=audience,
        school_id=school.id,
        class_name=None if audience is invites.Audience.STAFF else args.class_name,
        everyone=args.all,
    )
    if not batch.invites:
        console.say("invite.everyone_connected", count=batch.already_connected)
        return 0
    slips = invite_slips(
        batch.invites,
        school_name=school.name,
        bot_username=username,
        catalogs=console.catalogs,
        lang=school.locale,
    )
    title = console.catalogs.text(
        f"slip.title.{audience.value}", school.locale, class_name=batch.class_name or ""
    )
    pdf = await asyncio.to_thread(render_slips, slips, title=title)
    try:
        await asyncio.to_thread(out.write_bytes, pdf)
    except OSError:
        console.say("invite.out_not_writable", path=str(out))
        return 2
    console.say(
        "invite.slips_written",
        count=len(batch.invites),
        path=str(out),
        date=batch.last_day.strftime("%d.%m.%Y"),
        skipped=batch.already_connected,
    )
    return 0


async def cmd_invite_person(console: Console, args: argparse.Namespace) -> int:
    """Issue one person's invitation (by records-office key) and print its link."""
    await console.require_schema()
    username = _bot_username(console, args)
    if username is None:
        return 2
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    issued = await invites.issue_invite(
        console.core.uow(),
        Viewer.console(),
        purpose=Purpose(args.purpose),
        school_id=school.id,
        key=args.key,
    )
    console.say(
        "invite.person_issued",
        name=issued.full_name,
        link=deep_link(username, issued.code),
        date=issued.last_day.strftime("%d.%m.%Y"),
    )
    return 0


def _bot_username(console: Console, args: argparse.Namespace) -> str | None:
    """The bot's username for links: --bot-username, else [invites] bot_username."""
    name = (args.bot_username or console.settings.invites.bot_username).strip().removeprefix("@")
    if not name:
        console.say("invite.bot_username_missing")
        return None
    if not valid_bot_username(name):
        console.say("invite.bot_username_invalid", name=name)
        return None
    return name


async def cmd_people_switch(console: Console, args: argparse.Namespace) -> int:
    """Deactivate a person (access ends, invitations revoked) or activate them again."""
    await console.require_schema()
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    switch = deactivation.activate_person if args.active else deactivation.deactivate_person
    card = await switch(console.core.uow(), Viewer.console(), school_id=school.id, key=args.key)
    console.say("people.activated" if args.active else "people.deactivated", name=card.full_name)
    return 0


async def cmd_connections_report(console: Console, args: argparse.Namespace) -> int:
    """Who is not connected to the bot yet (rule 2.2), for a school or one class."""
    await console.require_schema()
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    report = await connections.connection_report(
        console.core.uow(), Viewer.console(), school_id=school.id, class_name=args.class_name
    )
    for line in report_lines(console, report):
        console.emit(line)
    return 0


def report_lines(console: Console, report: ConnectionReport) -> list[str]:
    """The connection report as console lines in the console's language."""
    t = console.t
    scope = (
        t("connections.scope_class", class_name=report.class_name)
        if report.class_name
        else t("connections.scope_school")
    )
    lines = [
        t("connections.heading", school=report.school.name, scope=scope, date=_day(report.on)),
        t(
            "connections.tally",
            pupils=report.pupils.connected,
            pupils_total=report.pupils.total,
            parents=report.parents.connected,
            parents_total=report.parents.total,
        ),
    ]
    if report.staff is not None:
        lines.append(
            t("connections.tally_staff", staff=report.staff.connected, total=report.staff.total)
        )
    if report.class_name is None:
        lines += [
            "  "
            + t(
                "connections.class_row",
                class_name=c.class_name,
                pupils=c.pupils.connected,
                pupils_total=c.pupils.total,
                parents=c.parents.connected,
                parents_total=c.parents.total,
            )
            for c in report.classes
        ]
    for key, rows in (
        ("connections.missing_pupils", report.missing_pupils),
        ("connections.missing_parents", report.missing_parents),
        ("connections.missing_staff", report.missing_staff),
    ):
        if rows:
            lines.append(t(key, count=len(rows)))
            lines += ["  " + _row(console, row) for row in rows]
    if not (report.missing_pupils or report.missing_parents or report.missing_staff):
        lines.append(t("connections.all_connected"))
    return lines


def _row(console: Console, row: Unconnected) -> str:
    t = console.t
    text = row.full_name
    if row.classes:
        text += f" ({', '.join(row.classes)})"
    if row.children:
        text += t("connections.children", names=", ".join(row.children))
    if row.due_on is not None and row.days_left is not None:
        if row.days_left < 0:
            text += t("connections.overdue", date=_day(row.due_on), days=-row.days_left)
        else:
            text += t("connections.due", date=_day(row.due_on), days=row.days_left)
    if row.invited_until is not None:
        text += t("connections.invited", date=_day(row.invited_until))
    return text


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


# --------------------------------------------------------------------------------- parser


def _add_timetable_import(imports: Any) -> None:
    """``import timetable FILE --school CODE [--term N] [--create-subjects] [--apply]``."""
    tt = imports.add_parser(
        "timetable", help="a semester timetable (aSc Timetables 2012 XML, CSV or XLSX)"
    )
    tt.add_argument("file")
    tt.add_argument("--school", required=True, help="school code")
    tt.add_argument("--term", type=int, help="semester number (default: the current one)")
    tt.add_argument(
        "--create-subjects", action="store_true", help="create subjects the journal lacks"
    )
    tt.add_argument("--apply", action="store_true", help="import (default: preview only)")
    tt.set_defaults(handler=cmd_import_timetable)


def _add_onboarding_commands(sub: Any) -> None:
    """``invite slips|person``, ``people deactivate|activate``, ``connections report``."""
    invite = sub.add_parser("invite", help="invitations to connect to the bot").add_subparsers(
        dest="action", required=True
    )
    slips = invite.add_parser("slips", help="a PDF of invitation slips for a class or the staff")
    slips.add_argument("--school", required=True, help="school code")
    slips.add_argument("--class", dest="class_name", help="class, e.g. 5.a (not for staff)")
    slips.add_argument(
        "--for", dest="audience", required=True, choices=[a.value for a in invites.Audience]
    )
    slips.add_argument("--out", required=True, help="the PDF file to write")
    slips.add_argument("--all", action="store_true", help="also people already connected")
    slips.add_argument("--bot-username", help="default: [invites] bot_username")
    slips.set_defaults(handler=cmd_invite_slips)
    person = invite.add_parser("person", help="one person's invitation link")
    person.add_argument("--school", required=True, help="school code")
    person.add_argument("--key", required=True, help="the person's records-office key")
    person.add_argument(
        "--for",
        dest="purpose",
        required=True,
        choices=[p.value for p in Purpose if p is not Purpose.CAREGIVER],
    )
    person.add_argument("--bot-username", help="default: [invites] bot_username")
    person.set_defaults(handler=cmd_invite_person)

    folk = sub.add_parser("people", help="people's access").add_subparsers(
        dest="action", required=True
    )
    for action, active, text in (
        ("deactivate", False, "end a person's access (a leaver); invitations revoked"),
        ("activate", True, "give a deactivated person their access back"),
    ):
        switch = folk.add_parser(action, help=text)
        switch.add_argument("--school", required=True, help="school code")
        switch.add_argument("--key", required=True, help="the person's records-office key")
        switch.set_defaults(handler=cmd_people_switch, active=active)

    report = sub.add_parser("connections", help="who is connected to the bot").add_subparsers(
        dest="action", required=True
    )
    conn = report.add_parser("report", help="who is not connected yet (rule 2.2)")
    conn.add_argument("--school", required=True, help="school code")
    conn.add_argument("--class", dest="class_name", help="only this class, e.g. 5.a")
    conn.set_defaults(handler=cmd_connections_report)


async def cmd_groups_pending(console: Console, args: argparse.Namespace) -> int:
    """The group pupil lists waiting for approval (rule 3.4), with the change each makes."""
    await console.require_schema()
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=args.school)
    views = await group_lists.pending_group_lists(console.core.uow(), Viewer.console(), school.id)
    if not views:
        console.say("group_list.cli.none")
    for view in views:
        console.say(
            "group_list.cli.item",
            id=view.id,
            group=view.group.name,
            classes=", ".join(view.group.class_names) or "-",
            teacher=view.submitted_by or "-",
            on=_day(view.submitted_on),
            count=len(view.pupils),
            added=len(view.added),
            removed=len(view.removed),
            kept=view.kept,
        )
        for sign, pupils in (("+", view.added), ("-", view.removed)):
            for pupil in pupils:
                console.emit(f"  {sign} {pupil.full_name} ({pupil.class_name or '-'})")
    return 0


async def cmd_groups_decide(console: Console, args: argparse.Namespace) -> int:
    """Approve or reject (with a reason) a submitted group pupil list."""
    await console.require_schema()
    decision = await group_lists.decide_group_list(
        console.core.uow(),
        Viewer.console(),
        submission_id=args.id,
        approve=args.approve,
        reason=getattr(args, "reason", None),
    )
    if decision.approved:
        console.say(
            "group_list.cli.approved",
            id=args.id,
            group=decision.submission.group.name,
            added=decision.added,
            removed=decision.removed,
        )
    else:
        console.say("group_list.cli.rejected", id=args.id)
    return 0


def _add_group_list_commands(sub: Any) -> None:
    groups = sub.add_parser("groups", help="group pupil lists (rule 3.4)").add_subparsers(
        dest="action", required=True
    )
    pending = groups.add_parser("pending", help="lists waiting for approval, with the changes")
    pending.add_argument("--school", required=True, help="school code")
    pending.set_defaults(handler=cmd_groups_pending)
    approve = groups.add_parser("approve", help="approve a list: the group changes from today")
    approve.add_argument("id", type=int, help="the list's number (see groups pending)")
    approve.set_defaults(handler=cmd_groups_decide, approve=True)
    reject = groups.add_parser("reject", help="reject a list, with the reason")
    reject.add_argument("id", type=int, help="the list's number (see groups pending)")
    reject.add_argument("--reason", required=True, help="why (the teacher reads it in the bot)")
    reject.set_defaults(handler=cmd_groups_decide, approve=False)


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
    _add_timetable_import(imports)

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

    _add_onboarding_commands(sub)
    _add_group_list_commands(sub)
    for add_commands in (add_report_commands, add_archive_commands, add_retention_commands):
        add_commands(sub)
    add_audit_commands(sub)

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
    exposed = exposed_secrets_file(args.config)
    if exposed is not None:  # every command, `run` and `config check` included
        print(console.t("security.config_readable", path=str(exposed)), file=sys.stderr)  # noqa: T201
    try:
        return asyncio.run(_run(args.handler, console, args))
    except DomainError as error:
        print(console.t(error.key, **error.params), file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
