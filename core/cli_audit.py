"""``ejournal audit`` and ``ejournal disclose [list]``: the audit trail and lawful disclosures.

Registered by ``core.cli.build_parser``. ``audit`` queries the append-only audit log (about a
person, by an actor, an action prefix, since a day, in a school), a page at a time, as a table
with localized headers or as JSON. ``disclose`` writes one person's data as a ZIP of JSON files
and records the disclosure with its legal basis and requester (rule 6.4); ``disclose list``
shows the register.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.domain.access import Viewer
from core.errors import InvalidInput
from core.ports import AuditRow, DisclosureRow
from core.services import audit, disclosure, schools

if TYPE_CHECKING:
    from core.cli import Console


async def _school_id(console: Console, code: str | None) -> int | None:
    if not code:
        return None
    school = await schools.find_school(console.core.uow(), Viewer.console(), code=code)
    return school.id


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("audit.since_invalid", value=value) from None


def _who(name: str | None, person_id: int | None) -> str:
    if person_id is None:
        return "—"
    return f"{name or '?'} (#{person_id})"


def _write_new(path: Path, content: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(content)


def _entry_json(row: AuditRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.occurred_at.isoformat(),
        "actor_id": row.actor_id,
        "actor": row.actor_name,
        "actor_role": row.actor_role,
        "school": row.school_code,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "person_id": row.subject_person_id,
        "person": row.subject_name,
        "before": row.before,
        "after": row.after,
    }


async def cmd_audit(console: Console, args: argparse.Namespace) -> int:
    """Query the audit log."""
    await console.require_schema()
    page = await audit.audit_log(
        console.core.uow(),
        Viewer.console(),
        person_id=args.person,
        actor_id=args.actor,
        action=args.action_prefix,
        since=_since(args.since),
        school_id=await _school_id(console, args.school),
        limit=args.limit,
        offset=args.offset,
    )
    if args.json:
        body = {
            "total": page.total,
            "offset": page.offset,
            "entries": [_entry_json(row) for row in page.entries],
        }
        console.emit(json.dumps(body, ensure_ascii=False, sort_keys=True))
        return 0
    if not page.entries:
        console.say("audit.cli.none")
        return 0
    console.say("audit.cli.header")
    for row in page.entries:
        entity = row.entity if row.entity_id is None else f"{row.entity} #{row.entity_id}"
        console.emit(
            "\t".join(
                (
                    row.occurred_at.isoformat(timespec="seconds"),
                    _who(row.actor_name, row.actor_id),
                    console.t(f"audit.role.{row.actor_role}")
                    if row.actor_role in _ROLES
                    else row.actor_role,
                    row.school_code or "—",
                    row.action,
                    entity,
                    _who(row.subject_name, row.subject_person_id),
                )
            )
        )
    console.say(
        "audit.cli.shown",
        first=page.offset + 1,
        last=page.offset + len(page.entries),
        total=page.total,
    )
    if page.more:
        console.say("audit.cli.more", offset=page.offset + len(page.entries))
    return 0


_ROLES = frozenset(
    {
        "console",
        "guardian",
        "caregiver",
        "pupil",
        "teacher",
        "interest_teacher",
        "class_teacher",
        "deputy_director",
        "director",
        "unknown",
    }
)


async def cmd_disclose(console: Console, args: argparse.Namespace) -> int:
    """Export one person's data and record the disclosure."""
    await console.require_schema()
    if (args.person is None) == (args.personal_code is None):
        raise InvalidInput("disclosure.person_required")
    if not args.basis or not args.requester or not args.out:
        raise InvalidInput("disclosure.cli.arguments")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InvalidInput("disclosure.out_folder_missing", path=str(out.parent))
    if await asyncio.to_thread(out.exists):
        raise InvalidInput("disclosure.out_exists", path=str(out))
    done = await disclosure.disclose(
        console.core.uow(),
        Viewer.console(),
        person_id=args.person,
        personal_code=args.personal_code,
        basis=args.basis,
        requester=args.requester,
        file_name=out.name,
    )
    await asyncio.to_thread(_write_new, out, done.content)
    console.say(
        "disclosure.cli.written",
        path=str(out),
        id=done.id,
        name=done.person_name,
        rows=done.rows,
        sha256=done.sha256,
    )
    return 0


def _disclosure_json(row: DisclosureRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.created_at.isoformat(),
        "person_id": row.person_id,
        "person": row.person_name,
        "disclosed_by": row.disclosed_by_name,
        "role": row.actor_role,
        "basis": row.basis,
        "requester": row.requester,
        "file": row.file_name,
        "sha256": row.sha256,
        "rows": row.rows,
    }


async def cmd_disclose_list(console: Console, args: argparse.Namespace) -> int:
    """The register of disclosures."""
    await console.require_schema()
    found = await disclosure.list_disclosures(
        console.core.uow(),
        Viewer.console(),
        school_id=await _school_id(console, args.school),
        limit=args.limit,
    )
    if args.json:
        body = [_disclosure_json(row) for row in found]
        console.emit(json.dumps(body, ensure_ascii=False, sort_keys=True))
        return 0
    if not found:
        console.say("disclosure.cli.none")
        return 0
    console.say("disclosure.cli.header")
    for row in found:
        console.emit(
            "\t".join(
                (
                    str(row.id),
                    row.created_at.isoformat(timespec="seconds"),
                    _who(row.person_name, row.person_id),
                    row.basis,
                    row.requester,
                    row.file_name,
                    row.sha256,
                )
            )
        )
    return 0


def add_audit_commands(sub: Any) -> None:
    """``audit`` and ``disclose [list]``."""
    query = sub.add_parser("audit", help="query the audit trail (who read or changed what)")
    who = query.add_mutually_exclusive_group()
    who.add_argument("--person", type=int, help="entries about this person (id)")
    who.add_argument("--actor", type=int, help="entries by this person (id)")
    query.add_argument("--action", dest="action_prefix", help="action prefix, e.g. read. or mark.")
    query.add_argument("--since", help="from this day, YYYY-MM-DD")
    query.add_argument("--school", help="school code")
    query.add_argument("--limit", type=int, default=audit.PAGE, help="entries per page")
    query.add_argument("--offset", type=int, default=0, help="skip this many (the next page)")
    query.add_argument("--json", action="store_true", help="one JSON object")
    query.set_defaults(handler=cmd_audit)

    disclose = sub.add_parser(
        "disclose", help="lawful disclosure of a person's data (rule 6.4), or `disclose list`"
    )
    person = disclose.add_mutually_exclusive_group()
    person.add_argument("--person", type=int, help="the person's id")
    person.add_argument("--personal-code", help="the person's personal code")
    disclose.add_argument("--basis", help="the legal basis of the request")
    disclose.add_argument("--requester", help="who lawfully requested the data")
    disclose.add_argument("--out", help="the ZIP file to write")
    disclose.set_defaults(handler=cmd_disclose)
    actions = disclose.add_subparsers(dest="disclose_action", metavar="list")
    listing = actions.add_parser("list", help="the register of disclosures")
    listing.add_argument("--school", help="school code (default: every school)")
    listing.add_argument("--limit", type=int, default=disclosure.LIST_LIMIT)
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(handler=cmd_disclose_list)
