"""Data access requests (GDPR art. 15, rules 6.1-6.4): a family asks for the data held about them.

A parent asks for their own data or a child's (full rights only: never a read-only carer); a
pupil asks for their own. The request is stored as ``pending`` and the school's superusers are
told (``access_request.submitted``); one of them approves or rejects it in the bot. A school whose
policy says ``[privacy] access_requests_need_approval = false`` has requests delivered at once.

Delivery happens in the approving transaction: every stored row that names the data subject
(``PrivacyRepository.person_data``: credentials' hashes and file bytes left out) becomes one JSON
document, a PDF summary is rendered by the caller's ``render`` (``core.documents``), both are
stored and ``access_request.delivered`` tells the notifications engine to send them to the
requester; the request is then ``delivered``. A rejection (``rejected``, with the reason) is
told to the requester too. Every step is audited; the data never reaches a log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from core.domain.access import Viewer, manages_school
from core.domain.events import Event
from core.domain.ids import possible_id
from core.domain.records import AuditRecord
from core.errors import Conflict, InvalidInput, NotFound
from core.ports import AccessRequestRecord, UnitOfWork
from core.services.guards import school_policy

MAX_REASON = 500
JSON_MIME = "application/json"
PDF_MIME = "application/pdf"


@dataclass(frozen=True, slots=True)
class AccessRequestSubmitted(Event):
    """A request waits for the superuser's decision."""

    kind: ClassVar[str] = "access_request.submitted"
    request_id: int
    requester: str  # names, for the superuser's notice
    subject: str


@dataclass(frozen=True, slots=True)
class AccessRequestDelivered(Event):
    """A request's documents were stored to be sent to the requester."""

    kind: ClassVar[str] = "access_request.delivered"
    request_id: int
    person_id: int
    subject: str
    json_file_id: int
    pdf_file_id: int


@dataclass(frozen=True, slots=True)
class AccessRequestRejected(Event):
    """A request was rejected; the requester hears why."""

    kind: ClassVar[str] = "access_request.rejected"
    request_id: int
    person_id: int
    subject: str
    reason: str


@dataclass(frozen=True, slots=True)
class DataSubject:
    """Someone whose data the viewer may ask for: themself or a child."""

    person_id: int
    name: str
    own: bool


@dataclass(frozen=True, slots=True)
class AccessRequestView:
    """A request as the superuser sees it."""

    id: int
    school_id: int
    requester_name: str
    subject_name: str
    own: bool
    requested_at: datetime
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class AccessExport:
    """What a requester receives: the subject's rows per table and their counts."""

    request_id: int
    school_name: str
    subject_name: str
    requester_name: str
    generated_at: datetime
    time_zone: str
    language: str  # the requester's (their account's, else the school's)
    tables: Mapping[str, Sequence[Mapping[str, Any]]]

    @property
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(rows) for name, rows in self.tables.items()}

    def to_json(self) -> bytes:
        """The JSON document: indented, keys sorted, UTF-8."""
        body = {
            "format": "ejournal-access-request",
            "request_id": self.request_id,
            "school": self.school_name,
            "subject": self.subject_name,
            "requester": self.requester_name,
            "generated_at": self.generated_at.isoformat(),
            "tables": self.tables,
        }
        return (json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


Render = Callable[[AccessExport], bytes]
"""Renders the PDF summary of an export (``core.documents.access_requests``)."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """The outcome of asking: the request, and whether it was delivered at once."""

    request: AccessRequestRecord
    delivered: bool


async def data_subjects(uow: UnitOfWork, viewer: Viewer) -> tuple[DataSubject, ...]:
    """Whose data the viewer may ask for: themself (a parent or pupil) and children (full rights).

    Raises:
        NotFound: ``access_request.nobody`` when the viewer is neither a parent nor a pupil.
    """
    async with uow:
        return await _subjects(uow, viewer)


async def request_access(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, render: Render
) -> Submitted:
    """Ask for the data held about ``pupil_id`` (the viewer themself, or a child).

    Raises:
        NotFound: ``pupil.not_found`` for anyone the viewer may not ask about.
        Conflict: ``access_request.open`` while an earlier request for them is pending.
    """
    async with uow:
        subjects = {s.person_id: s for s in await _subjects(uow, viewer)}
        if not possible_id(pupil_id) or pupil_id not in subjects or viewer.person_id is None:
            raise NotFound("pupil.not_found")
        if await uow.privacy.open_request(viewer.person_id, pupil_id) is not None:
            raise Conflict("access_request.open")
        school_id = await _school_of(uow, viewer, pupil_id)
        request = await uow.privacy.add_request(
            school_id=school_id, person_id=viewer.person_id, pupil_id=pupil_id, now=uow.clock.now()
        )
        uow.audit(viewer, _audit("access_request.create", request))
        policy = await school_policy(uow, school_id)
        if policy.access_requests_need_approval:
            requester = await uow.directory.person(viewer.person_id)
            uow.record(
                AccessRequestSubmitted(
                    request.id,
                    requester.full_name if requester is not None else "",
                    subjects[pupil_id].name,
                ),
                school_id=school_id,
                actor_id=viewer.person_id,
            )
            await uow.commit()
            return Submitted(request, delivered=False)
        delivered = await _deliver(uow, viewer, request, render)
        await uow.commit()
        return Submitted(delivered, delivered=True)


async def pending_requests(uow: UnitOfWork, viewer: Viewer) -> tuple[AccessRequestView, ...]:
    """The pending requests of the schools the viewer manages, oldest first."""
    async with uow:
        views: list[AccessRequestView] = []
        for school_id in sorted(viewer.schools | viewer.operator_schools):
            if not manages_school(viewer, school_id):
                continue
            views.extend(
                [
                    await _view(uow, request)
                    for request in await uow.privacy.requests(school_id, status="pending")
                ]
            )
        return tuple(views)


async def request_view(uow: UnitOfWork, viewer: Viewer, *, request_id: int) -> AccessRequestView:
    """One request of a school the viewer manages.

    Raises:
        NotFound: ``access_request.not_found`` for anyone else's school or an unknown id.
    """
    async with uow:
        request = await _managed(uow, viewer, request_id)
        return await _view(uow, request)


async def decide_request(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    request_id: int,
    approve: bool,
    render: Render,
    reason: str | None = None,
) -> AccessRequestRecord:
    """Approve (the requester receives the JSON and the PDF) or reject (with a reason).

    Raises:
        NotFound: ``access_request.not_found`` outside the schools the viewer manages.
        Conflict: ``access_request.decided`` when it is not pending any more.
        InvalidInput: ``access_request.reason_required`` / ``access_request.reason_too_long``.
    """
    text = (reason or "").strip()
    if not approve and not text:
        raise InvalidInput("access_request.reason_required")
    if len(text) > MAX_REASON:
        raise InvalidInput("access_request.reason_too_long", max=MAX_REASON)
    async with uow:
        request = await _managed(uow, viewer, request_id)
        if request.status != "pending":
            raise Conflict("access_request.decided")
        now = uow.clock.now()
        result: AccessRequestRecord | None
        if approve:
            await uow.privacy.set_status(
                request.id, status="approved", decided_by=viewer.person_id, now=now
            )
            uow.audit(viewer, _audit("access_request.approve", request))
            result = await _deliver(uow, viewer, request, render)
        else:
            await uow.privacy.set_status(
                request.id, status="rejected", decided_by=viewer.person_id, now=now, reason=text
            )
            uow.audit(viewer, _audit("access_request.reject", request))
            uow.record(
                AccessRequestRejected(
                    request.id, request.person_id, await _name(uow, request.pupil_id), text
                ),
                school_id=request.school_id,
                actor_id=viewer.person_id,
            )
            result = await uow.privacy.request(request.id)
        await uow.commit()
        if result is None:  # pragma: no cover - written in this transaction
            raise NotFound("access_request.not_found")
        return result


async def _deliver(
    uow: UnitOfWork, viewer: Viewer, request: AccessRequestRecord, render: Render
) -> AccessRequestRecord:
    """Build and store the documents, tell the engine, mark the request delivered."""
    export = await _export(uow, request)
    now = uow.clock.now()
    stamp = export.generated_at.strftime("%Y%m%d")
    json_id = await uow.files.add(
        school_id=request.school_id,
        filename=f"ejournal-data-{request.id}-{stamp}.json",
        mime_type=JSON_MIME,
        content=export.to_json(),
        created_by=viewer.person_id,
        now=now,
    )
    pdf_id = await uow.files.add(
        school_id=request.school_id,
        filename=f"ejournal-data-{request.id}-{stamp}.pdf",
        mime_type=PDF_MIME,
        content=render(export),
        created_by=viewer.person_id,
        now=now,
    )
    await uow.privacy.set_status(request.id, status="delivered")
    uow.record(
        AccessRequestDelivered(
            request.id, request.person_id, export.subject_name, json_id, pdf_id
        ),
        school_id=request.school_id,
        actor_id=viewer.person_id,
    )
    uow.audit(
        viewer,
        AuditRecord(
            action="access_request.deliver",
            entity="access_request",
            entity_id=request.id,
            school_id=request.school_id,
            subject_person_id=request.pupil_id,
            after={"tables": len(export.tables), "rows": sum(export.counts.values())},
        ),
    )
    delivered = await uow.privacy.request(request.id)
    if delivered is None:  # pragma: no cover - written in this transaction
        raise NotFound("access_request.not_found")
    return delivered


async def _export(uow: UnitOfWork, request: AccessRequestRecord) -> AccessExport:
    school = await uow.directory.school(request.school_id)
    subject = await uow.directory.person(request.pupil_id)
    requester = await uow.directory.person(request.person_id)
    return AccessExport(
        request_id=request.id,
        school_name=school.name if school is not None else "",
        subject_name=subject.full_name if subject is not None else "",
        requester_name=requester.full_name if requester is not None else "",
        generated_at=uow.clock.now(),
        time_zone=school.time_zone if school is not None else "Europe/Riga",
        language=await uow.calendar_feeds.language(request.person_id)
        or (school.locale if school is not None else "lv"),
        tables=await uow.privacy.person_data(request.pupil_id),
    )


async def _subjects(uow: UnitOfWork, viewer: Viewer) -> tuple[DataSubject, ...]:
    if not viewer.active or viewer.person_id is None:
        raise NotFound("access_request.nobody")
    children = sorted(viewer.children - viewer.read_only_children)
    if not children and not viewer.is_pupil:
        raise NotFound("access_request.nobody")
    subjects: list[DataSubject] = []
    for person_id, own in [(viewer.person_id, True), *((child, False) for child in children)]:
        person = await uow.directory.person(person_id)
        if person is not None:
            subjects.append(DataSubject(person_id, person.full_name, own))
    return tuple(subjects)


async def _school_of(uow: UnitOfWork, viewer: Viewer, pupil_id: int) -> int:
    """The school that answers: the pupil's (for a parent's own data, a child's school)."""
    candidates = [pupil_id] if pupil_id != viewer.person_id or viewer.is_pupil else []
    candidates += sorted(viewer.children - viewer.read_only_children)
    for candidate in candidates:
        facts = await uow.directory.pupil_facts(candidate)
        if facts is not None and facts.school_ids:
            return min(facts.school_ids)
    if viewer.pupil_in_schools:
        return min(viewer.pupil_in_schools)
    raise NotFound("pupil.not_found")


async def _managed(uow: UnitOfWork, viewer: Viewer, request_id: int) -> AccessRequestRecord:
    request = await uow.privacy.request(request_id) if possible_id(request_id) else None
    if request is None or not manages_school(viewer, request.school_id):
        raise NotFound("access_request.not_found")
    return request


async def _view(uow: UnitOfWork, request: AccessRequestRecord) -> AccessRequestView:
    requester = await uow.directory.person(request.person_id)
    subject = await uow.directory.person(request.pupil_id)
    return AccessRequestView(
        id=request.id,
        school_id=request.school_id,
        requester_name=requester.full_name if requester is not None else "—",
        subject_name=subject.full_name if subject is not None else "—",
        own=request.person_id == request.pupil_id,
        requested_at=request.requested_at,
        status=request.status,
        reason=request.reason,
    )


async def _name(uow: UnitOfWork, person_id: int) -> str:
    person = await uow.directory.person(person_id)
    return person.full_name if person is not None else ""


def _audit(action: str, request: AccessRequestRecord) -> AuditRecord:
    return AuditRecord(
        action=action,
        entity="access_request",
        entity_id=request.id,
        school_id=request.school_id,
        subject_person_id=request.pupil_id,
    )
