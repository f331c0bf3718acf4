"""Lawful disclosure of a person's data (rule 6.4): the export, its record and the register.

Personal data may be disclosed only when necessary and lawfully requested (an important state or
public interest, court proceedings). ``disclose`` exports everything stored about one person —
the person record, enrolments, guardianships, group memberships, marks and their corrections,
semester and year marks, attendance, absence notes, journal mail they sent or received, their
accounts and calendar feeds without Telegram identifiers or secrets — as a ZIP of JSON files, and
in the same transaction records the disclosure (``disclosures``: legal basis, requester, the
file's SHA-256) and audits it (``disclosure.create``), so the family's access history shows it.
Only the school's managers (the superuser, the director) and the console operator may disclose
or list disclosures.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.access import Role, Viewer, manages_school
from core.domain.ids import possible_id
from core.domain.records import AuditRecord
from core.errors import InvalidInput, NotFound
from core.ports import DisclosureRow, UnitOfWork

MAX_TEXT = 2000
MAX_CODE = 32
LIST_LIMIT = 100
FORMAT = "ejournal-disclosure/1"


@dataclass(frozen=True, slots=True)
class Disclosed:
    """A recorded disclosure and its export (a ZIP of JSON files) to write out."""

    id: int
    person_id: int
    person_name: str
    created_at: datetime
    rows: int
    tables: Mapping[str, int]
    content: bytes
    sha256: str


async def disclose(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    person_id: int | None = None,
    personal_code: str | None = None,
    basis: str,
    requester: str,
    file_name: str,
) -> Disclosed:
    """Export one person's data and record the disclosure with its legal basis and requester.

    Give ``person_id`` or ``personal_code``. ``file_name`` is recorded as the export's name.

    Raises:
        InvalidInput: no person or both ways given, an empty or too long basis or requester.
        NotFound: ``person.not_found`` when there is no such person in a school the viewer
            manages.
    """
    basis, requester = basis.strip(), requester.strip()
    if (person_id is None) == (personal_code is None):
        raise InvalidInput("disclosure.person_required")
    if not basis:
        raise InvalidInput("disclosure.basis_required")
    if not requester:
        raise InvalidInput("disclosure.requester_required")
    if len(basis) > MAX_TEXT or len(requester) > MAX_TEXT:
        raise InvalidInput("disclosure.text_too_long", max=MAX_TEXT)
    async with uow:
        found = await _person(uow, person_id, personal_code)
        person = await uow.directory.person(found) if found is not None else None
        if found is None or person is None:
            raise NotFound("person.not_found")
        schools = await uow.audit_trail.person_schools(found)
        managed = sorted(school for school in schools if manages_school(viewer, school))
        if not managed and not (viewer.operator and viewer.active and not viewer.operator_schools):
            raise NotFound("person.not_found")
        school_id = managed[0] if managed else None
        data = await uow.audit_trail.person_data(found)
        now = uow.clock.now()
        counts = {name: len(rows) for name, rows in data.items()}
        rows = sum(counts.values())
        role = "console" if viewer.operator else Role.DEPUTY_DIRECTOR.value
        if school_id is not None and Role.DIRECTOR in viewer.roles_in(school_id):
            role = Role.DIRECTOR.value
        content = _zip(
            {
                "format": FORMAT,
                "person_id": found,
                "disclosed_at": now.isoformat(),
                "basis": basis,
                "requester": requester,
                "disclosed_by": role,
                "rows": counts,
            },
            data,
            now,
        )
        digest = hashlib.sha256(content).hexdigest()
        disclosure_id = await uow.audit_trail.add_disclosure(
            created_at=now,
            school_id=school_id,
            person_id=found,
            disclosed_by=viewer.person_id,
            actor_role=role,
            basis=basis,
            requester=requester,
            file_name=file_name[:255],
            sha256=digest,
            rows=rows,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="disclosure.create",
                entity="disclosure",
                entity_id=disclosure_id,
                school_id=school_id,
                subject_person_id=found,
                after={"basis": basis, "requester": requester, "rows": rows, "sha256": digest},
            ),
        )
        await uow.commit()
    return Disclosed(
        id=disclosure_id,
        person_id=found,
        person_name=f"{person.given_name} {person.family_name}",
        created_at=now,
        rows=rows,
        tables=counts,
        content=content,
        sha256=digest,
    )


async def list_disclosures(
    uow: UnitOfWork, viewer: Viewer, *, school_id: int | None = None, limit: int = LIST_LIMIT
) -> Sequence[DisclosureRow]:
    """The register of disclosures, newest first.

    A school's, for its managers (times in the school's zone); every school's, for the console
    operator of every school (times in UTC).

    Raises:
        NotFound: ``school.not_found`` when the viewer does not manage the school.
        InvalidInput: a bad limit.
    """
    if not 1 <= limit <= LIST_LIMIT * 10:
        raise InvalidInput("audit.page_invalid", max=LIST_LIMIT * 10)
    async with uow:
        zone: tzinfo = UTC
        if school_id is not None:
            school = await uow.directory.school(school_id)
            if school is None or not manages_school(viewer, school_id):
                raise NotFound("school.not_found")
            zone = ZoneInfo(school.time_zone)
        elif not (viewer.operator and viewer.active and not viewer.operator_schools):
            raise NotFound("school.not_found")
        found = await uow.audit_trail.disclosures(school_id, limit)
        uow.audit(
            viewer,
            AuditRecord(
                action="read.disclosures",
                entity="disclosure",
                entity_id=None,
                school_id=school_id,
                after={"rows": len(found)},
            ),
        )
        await uow.commit()
    return [replace(row, created_at=row.created_at.astimezone(zone)) for row in found]


async def _person(uow: UnitOfWork, person_id: int | None, code: str | None) -> int | None:
    if person_id is not None:
        return person_id if possible_id(person_id) else None
    code = (code or "").strip()
    if not code or len(code) > MAX_CODE:
        return None
    return await uow.audit_trail.person_by_code(code)


def _zip(summary: Mapping[str, Any], data: Mapping[str, Sequence[Any]], now: datetime) -> bytes:
    """A deterministic ZIP: ``disclosure.json`` and ``data/<table>.json`` per table."""
    stamp = now.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = {"disclosure.json": summary} | {
            f"data/{name}.json": rows for name, rows in sorted(data.items())
        }
        for name, value in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
            archive.writestr(info, text + "\n")
    return buffer.getvalue()
