"""Pupil lists of part, combined and club groups (rule 3.4): teachers submit, managers decide.

A teacher of a group submits its pupils, picked in the bot or as a CSV/XLSX file; a newer list
supersedes one still waiting. The school's managers (deputy director = superuser, director) see
the pending lists with the difference against the group's current pupils and approve or reject
(with a reason). Approving changes the group from the school's today: pupils no longer listed
leave it yesterday, new ones join today, the others keep their membership (one transaction).
Whole-class groups are not listed: they take their class (the timetable import fills them).

Candidates are the pupils enrolled in the group's classes; a club (interest) group without
classes draws from every class of its school year.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from core.domain.access import TEACHING_ROLES, Viewer, manages_school, may_write_group
from core.domain.collation import latvian_key, search_key
from core.domain.events import GroupListDecided, GroupListSubmitted
from core.domain.group_lists import (
    LIST_KINDS,
    ClassRef,
    GroupListRecord,
    ListGroupInfo,
    SubmissionStatus,
    current_members,
    plan_membership,
)
from core.domain.records import AuditRecord
from core.errors import Conflict, ImportProblem, ImportRejected, InvalidInput, NotFound
from core.imports.people import personal_code_is_valid
from core.imports.problems import echo
from core.imports.tabular import (
    COLUMN_DUPLICATE,
    Columns,
    TableRow,
    read_table,
    resolve_columns,
)
from core.ports import UnitOfWork
from core.services.guards import managed_school, writable_group

MAX_NOTE = 500
MAX_PUPILS = 500
MAX_FILE_ROWS = 2_000
_NAMED = 10  # pupils named in an error before "…"

NOT_A_LIST_GROUP = "group_list.not_a_list_group"
PAST_YEAR = "group_list.past_year"
EMPTY = "group_list.empty"
TOO_MANY = "group_list.too_many"
NOT_IN_CLASSES = "group_list.not_in_classes"
NOTE_TOO_LONG = "group_list.note_too_long"
UNCHANGED = "group_list.unchanged"
NOT_FOUND = "group_list.not_found"
ALREADY_DECIDED = "group_list.already_decided"
REASON_REQUIRED = "group_list.reason_required"
NOBODY_LEFT = "group_list.nobody_left"

FILE_COLUMNS = "group_list.file.columns"
FILE_ROW_INCOMPLETE = "group_list.file.row_incomplete"
FILE_CLASS_NOT_IN_GROUP = "group_list.file.class_not_in_group"
FILE_NO_SUCH_PUPIL = "group_list.file.no_such_pupil"
FILE_AMBIGUOUS = "group_list.file.ambiguous"
FILE_CODE_NOT_FOUND = "group_list.file.code_not_found"
FILE_CODE_INVALID = "group_list.file.code_invalid"
FILE_PROBLEM_KEYS: frozenset[str] = frozenset(
    {
        FILE_COLUMNS,
        FILE_ROW_INCOMPLETE,
        FILE_CLASS_NOT_IN_GROUP,
        FILE_NO_SUCH_PUPIL,
        FILE_AMBIGUOUS,
        FILE_CODE_NOT_FOUND,
        FILE_CODE_INVALID,
    }
)
"""Problem keys of a list file (besides the generic ones of ``core.imports.tabular``)."""

FILE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "class": ("klase", "class_name"),
    "family_name": ("uzvārds", "surname", "last_name"),
    "given_name": ("vārds", "first_name"),
    "pupil": ("skolēns", "vārds_uzvārds", "name", "full_name", "student"),
    "personal_code": ("personas_kods", "personal_id"),
}
"""Columns of a list file and the headings accepted for them (diacritics and case ignored)."""


# ------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class ListedPupil:
    """A pupil as list screens name them; ``class_id`` None: no longer in the group's classes."""

    pupil_id: int
    given_name: str
    family_name: str
    class_id: int | None
    class_name: str | None

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class SubmissionSummary:
    """Where a group's latest list stands."""

    id: int
    status: SubmissionStatus
    pupils: int
    submitted_on: date  # in the school's zone
    decided_on: date | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ListGroup:
    """A group whose pupils come from a list: its classes, current pupils and latest list."""

    id: int
    school_id: int
    name: str
    kind: str
    subject_name: str | None
    classes: tuple[ClassRef, ...]
    member_count: int
    latest: SubmissionSummary | None

    @property
    def class_names(self) -> tuple[str, ...]:
        """The names of the classes it draws from."""
        return tuple(c.name for c in self.classes)

    @property
    def pending(self) -> bool:
        """Whether a list of this group waits for the superuser."""
        return self.latest is not None and self.latest.status is SubmissionStatus.PENDING


@dataclass(frozen=True, slots=True)
class GroupCandidates:
    """Who may be listed in a group (Latvian order within each class), and who is listed now.

    ``pending_pupils`` are the pupils of the list waiting for approval, if there is one.
    """

    group: ListGroup
    pupils: tuple[ListedPupil, ...]
    members: frozenset[int]
    pending_pupils: frozenset[int] | None

    def of_class(self, class_id: int) -> tuple[ListedPupil, ...]:
        """The candidates of one class, in order."""
        return tuple(p for p in self.pupils if p.class_id == class_id)


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """A submitted list with the names a manager reads, and how it differs from the group now.

    ``pupils`` by class then name; ``added`` are listed but not in the group now, ``removed`` in
    the group now but not listed, ``kept`` how many stay. ``left`` are listed pupils no longer
    enrolled in the group's classes (approving leaves them out).
    """

    id: int
    school_id: int
    group: ListGroup
    status: SubmissionStatus
    submitted_by: str | None
    submitted_on: date  # in the school's zone
    note: str | None
    decided_on: date | None
    reason: str | None
    pupils: tuple[ListedPupil, ...]
    added: tuple[ListedPupil, ...]
    removed: tuple[ListedPupil, ...]
    kept: int
    left: tuple[ListedPupil, ...]


@dataclass(frozen=True, slots=True)
class GroupListDecision:
    """A decision taken: the submission as it stands now and what changed in the group."""

    submission: SubmissionView
    approved: bool
    added: int
    removed: int
    left_out: tuple[ListedPupil, ...]


# ------------------------------------------------------------------------ teachers


async def teacher_groups(uow: UnitOfWork, viewer: Viewer) -> list[ListGroup]:
    """Part, combined and club groups the viewer teaches this school year, in name order."""
    if not viewer.active or viewer.person_id is None:
        return []
    async with uow:
        schools = sorted({school for school, role in viewer.staff_roles if role in TEACHING_ROLES})
        year_ids: list[int] = []
        today_of: dict[int, date] = {}
        for school_id in schools:
            today_of[school_id] = await _today(uow, school_id)
            year = await uow.directory.school_year_on(school_id, today_of[school_id])
            if year is not None:
                year_ids.append(year.id)
        infos = await uow.group_lists.teacher_list_groups(viewer.person_id, year_ids)
        latest = await uow.group_lists.latest([info.id for info in infos])
        groups = [
            await _list_group(uow, info, today_of[info.school_id], latest.get(info.id))
            for info in infos
            if info.school_id in today_of
        ]
        await uow.commit()
    return sorted(groups, key=lambda g: (latvian_key(g.name), g.id))


async def candidate_pupils(uow: UnitOfWork, viewer: Viewer, group_id: int) -> GroupCandidates:
    """The pupils a teacher of the group may list, with the current and the pending list.

    Raises:
        NotFound / NotAllowed: the viewer does not teach the group (as ``writable_group``).
        InvalidInput: ``group_list.not_a_list_group`` for a whole-class group.
    """
    async with uow:
        info, today = await _teacher_group(uow, viewer, group_id)
        candidates = await _candidates(uow, info, today)
        memberships = await uow.group_lists.memberships(info.id)
        pending = await uow.group_lists.pending(group_id=info.id)
        latest = await uow.group_lists.latest([info.id])
        group = await _list_group(uow, info, today, latest.get(info.id))
        await uow.commit()
    return GroupCandidates(
        group=group,
        pupils=_ordered(candidates.values()),
        members=current_members(memberships, today),
        pending_pupils=frozenset(pending[-1].pupil_ids) if pending else None,
    )


async def submit_group_list(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    pupil_ids: Collection[int],
    note: str | None = None,
) -> SubmissionView:
    """A teacher of the group submits its pupils for the superuser's approval.

    Every pupil must be enrolled in one of the group's classes; a list still waiting for the
    group is superseded by this one.

    Raises:
        InvalidInput: an empty or too long list, pupils outside the group's classes (named),
            a too long note, a whole-class group, a group of another school year, or a list
            that is the group's current one while nothing is waiting.
        NotFound / NotAllowed: the viewer does not teach the group.
    """
    wanted = _unique(pupil_ids)
    clean_note = _note(note)
    async with uow:
        info, today = await _teacher_group(uow, viewer, group_id)
        candidates = await _candidates(uow, info, today)
        outsiders = [pupil_id for pupil_id in wanted if pupil_id not in candidates]
        if outsiders:
            raise InvalidInput(
                NOT_IN_CLASSES,
                count=len(outsiders),
                names=await _outsider_names(uow, outsiders, info.school_id),
            )
        view = await _submit(uow, viewer, info, today, pupil_ids=wanted, note=clean_note)
        await uow.commit()
    return view


async def submit_group_list_file(
    uow: UnitOfWork, viewer: Viewer, *, group_id: int, data: bytes, filename: str
) -> SubmissionView:
    """A teacher of the group submits its pupils as a CSV/XLSX file, all or nothing.

    Columns: class + family name + given name (or one "pupil" column with the full name), or
    the personal code; other columns are ignored. Every row that names no pupil of the group's
    classes is reported with its row number and nothing is submitted.

    Raises:
        ImportRejected: the file cannot be read, lacks the columns, or has unmatched rows.
        InvalidInput / NotFound / NotAllowed: as ``submit_group_list``.
    """
    async with uow:
        info, today = await _teacher_group(uow, viewer, group_id)
        candidates = await _candidates(uow, info, today)
        wanted = await _match_file(uow, data, filename, info, candidates)
        view = await _submit(uow, viewer, info, today, pupil_ids=wanted, note=None)
        await uow.commit()
    return view


# ------------------------------------------------------------------------ managers


async def pending_group_lists(
    uow: UnitOfWork, viewer: Viewer, school_id: int
) -> list[SubmissionView]:
    """The lists waiting for a school's managers, oldest first.

    Raises:
        NotFound: ``school.not_found`` unless the viewer manages the school.
    """
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        today = await _today(uow, school.id)
        views = [
            await _view(uow, record, today)
            for record in await uow.group_lists.pending(school_id=school.id)
        ]
        await uow.commit()
    return views


async def group_list_submission(
    uow: UnitOfWork, viewer: Viewer, submission_id: int
) -> SubmissionView:
    """One submission, for the school's managers and the group's teachers.

    Raises:
        NotFound: ``group_list.not_found`` (also when the viewer may not see it).
    """
    async with uow:
        record = await _visible_submission(uow, viewer, submission_id)
        view = await _view(uow, record, await _today(uow, record.school_id))
        await uow.commit()
    return view


async def decide_group_list(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    submission_id: int,
    approve: bool,
    reason: str | None = None,
) -> GroupListDecision:
    """A manager approves (the group's pupils change from today) or rejects (with a reason).

    Listed pupils who have left the group's classes since are left out of the group.

    Raises:
        InvalidInput: ``group_list.reason_required`` (rejecting without a reason), a too long
            reason, ``group_list.nobody_left`` (none of the listed pupils is in the classes).
        Conflict: ``group_list.already_decided`` when it no longer waits.
        NotFound: ``group_list.not_found`` unless the viewer manages the submission's school.
    """
    clean_reason = _note(reason)
    if not approve and clean_reason is None:
        raise InvalidInput(REASON_REQUIRED)
    async with uow:
        record = await uow.group_lists.submission(submission_id)
        if record is None or not manages_school(viewer, record.school_id):
            raise NotFound(NOT_FOUND)
        if record.status is not SubmissionStatus.PENDING:
            raise Conflict(ALREADY_DECIDED)
        info = await uow.group_lists.list_group(record.group_id)
        if info is None:  # pragma: no cover - submissions go with their group (cascade)
            raise NotFound(NOT_FOUND)
        today = await _today(uow, record.school_id)
        added = removed = 0
        left_out: tuple[ListedPupil, ...] = ()
        before: dict[str, object] | None = None
        if approve:
            candidates = await _candidates(uow, info, today)
            listed = [pupil_id for pupil_id in record.pupil_ids if pupil_id in candidates]
            if not listed:
                raise InvalidInput(NOBODY_LEFT)
            left_out = await _named(uow, set(record.pupil_ids) - set(listed), candidates)
            memberships = await uow.group_lists.memberships(info.id)
            plan = plan_membership(memberships, listed, today)
            await uow.group_lists.apply_plan(info.id, plan)
            added, removed = len(plan.added), len(plan.removed)
            before = {"members": sorted(current_members(memberships, today))}
        status = SubmissionStatus.APPROVED if approve else SubmissionStatus.REJECTED
        await uow.group_lists.set_status(
            [record.id],
            status,
            decided_by=viewer.person_id,
            decided_at=uow.clock.now(),
            reason=clean_reason,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="group_list.approve" if approve else "group_list.reject",
                entity="group_list",
                entity_id=record.id,
                school_id=record.school_id,
                before=before,
                after={
                    "group_id": info.id,
                    "status": status.value,
                    "added": added,
                    "removed": removed,
                    "left_out": len(left_out),
                },
            ),
        )
        uow.record(
            GroupListDecided(record.id, info.id, approve, added, removed),
            school_id=record.school_id,
            actor_id=viewer.person_id,
        )
        decided = await uow.group_lists.submission(record.id)
        assert decided is not None
        view = await _view(uow, decided, today)
        await uow.commit()
    return GroupListDecision(view, approve, added, removed, left_out)


# ------------------------------------------------------------------------ inside a unit of work


async def _zone(uow: UnitOfWork, school_id: int) -> ZoneInfo:
    school = await uow.directory.school(school_id)
    return ZoneInfo(school.time_zone if school else "Europe/Riga")


async def _today(uow: UnitOfWork, school_id: int) -> date:
    return uow.clock.now().astimezone(await _zone(uow, school_id)).date()


async def _teacher_group(
    uow: UnitOfWork, viewer: Viewer, group_id: int
) -> tuple[ListGroupInfo, date]:
    """The group if the viewer teaches it and it takes a list; the school's today."""
    await writable_group(uow, viewer, group_id)
    info = await uow.group_lists.list_group(group_id)
    if info is None:  # pragma: no cover - writable_group found it in this transaction
        raise NotFound("group.not_found")
    if info.kind not in LIST_KINDS:
        raise InvalidInput(NOT_A_LIST_GROUP)
    today = await _today(uow, info.school_id)
    year = await uow.directory.school_year_on(info.school_id, today)
    if year is None or year.id != info.school_year_id:
        raise InvalidInput(PAST_YEAR)
    return info, today


async def _candidates(uow: UnitOfWork, info: ListGroupInfo, today: date) -> dict[int, ListedPupil]:
    """Pupils enrolled in the group's classes (a club without classes: the whole year)."""
    class_ids = [c.id for c in info.classes]
    if not class_ids and info.kind == "interest":
        class_ids = [c.id for c in (await uow.people.classes(info.school_year_id)).values()]
    enrolled = await uow.roster.enrolled(class_ids, today)
    return {
        e.person.id: ListedPupil(
            e.person.id, e.person.given_name, e.person.family_name, e.class_id, e.class_name
        )
        for e in enrolled
    }


async def _list_group(
    uow: UnitOfWork, info: ListGroupInfo, today: date, latest: GroupListRecord | None
) -> ListGroup:
    memberships = await uow.group_lists.memberships(info.id)
    return ListGroup(
        id=info.id,
        school_id=info.school_id,
        name=info.name,
        kind=info.kind,
        subject_name=info.subject_name,
        classes=info.classes,
        member_count=len(current_members(memberships, today)),
        latest=_summary(latest, await _zone(uow, info.school_id)) if latest else None,
    )


def _summary(record: GroupListRecord, zone: ZoneInfo) -> SubmissionSummary:
    return SubmissionSummary(
        record.id,
        record.status,
        len(record.pupil_ids),
        record.created_at.astimezone(zone).date(),
        record.decided_at.astimezone(zone).date() if record.decided_at else None,
        record.reason,
    )


async def _submit(
    uow: UnitOfWork,
    viewer: Viewer,
    info: ListGroupInfo,
    today: date,
    *,
    pupil_ids: Sequence[int],
    note: str | None,
) -> SubmissionView:
    """Supersede the waiting list, store this one, audit it and record the event."""
    if not pupil_ids:
        raise InvalidInput(EMPTY)
    if len(pupil_ids) > MAX_PUPILS:
        raise InvalidInput(TOO_MANY, max=MAX_PUPILS)
    waiting = await uow.group_lists.pending(group_id=info.id)
    members = current_members(await uow.group_lists.memberships(info.id), today)
    if not waiting and frozenset(pupil_ids) == members:
        raise InvalidInput(UNCHANGED)
    await uow.group_lists.set_status(
        [w.id for w in waiting], SubmissionStatus.SUPERSEDED, decided_at=uow.clock.now()
    )
    record = await uow.group_lists.add(
        school_id=info.school_id,
        group_id=info.id,
        submitted_by=viewer.person_id,
        pupil_ids=sorted(pupil_ids),
        note=note,
        now=uow.clock.now(),
    )
    uow.audit(
        viewer,
        AuditRecord(
            action="group_list.submit",
            entity="group_list",
            entity_id=record.id,
            school_id=info.school_id,
            after={
                "group_id": info.id,
                "pupils": sorted(pupil_ids),
                "superseded": [w.id for w in waiting],
            },
        ),
    )
    uow.record(
        GroupListSubmitted(record.id, info.id, len(pupil_ids), len(waiting)),
        school_id=info.school_id,
        actor_id=viewer.person_id,
    )
    return await _view(uow, record, today)


async def _visible_submission(
    uow: UnitOfWork, viewer: Viewer, submission_id: int
) -> GroupListRecord:
    record = await uow.group_lists.submission(submission_id)
    if record is None:
        raise NotFound(NOT_FOUND)
    if manages_school(viewer, record.school_id):
        return record
    facts = await uow.directory.group_facts(record.group_id)
    if facts is None or not may_write_group(viewer, facts):
        raise NotFound(NOT_FOUND)
    return record


async def _view(uow: UnitOfWork, record: GroupListRecord, today: date) -> SubmissionView:
    info = await uow.group_lists.list_group(record.group_id)
    if info is None:  # pragma: no cover - submissions go with their group (cascade)
        raise NotFound(NOT_FOUND)
    candidates = await _candidates(uow, info, today)
    memberships = await uow.group_lists.memberships(info.id)
    members = current_members(memberships, today)
    listed = set(record.pupil_ids)
    named = {p.pupil_id: p for p in await _named(uow, listed | members, candidates)}
    latest = await uow.group_lists.latest([info.id])
    submitter = await uow.directory.person(record.submitted_by) if record.submitted_by else None
    pupils = _ordered(named[i] for i in listed if i in named)
    summary = _summary(record, await _zone(uow, record.school_id))
    return SubmissionView(
        id=record.id,
        school_id=record.school_id,
        group=await _list_group(uow, info, today, latest.get(info.id)),
        status=record.status,
        submitted_by=submitter.full_name if submitter else None,
        submitted_on=summary.submitted_on,
        note=record.note,
        decided_on=summary.decided_on,
        reason=record.reason,
        pupils=pupils,
        added=_ordered(named[i] for i in listed - members if i in named),
        removed=_ordered(named[i] for i in members - listed if i in named),
        kept=len(listed & members),
        left=tuple(p for p in pupils if p.class_id is None),
    )


async def _named(
    uow: UnitOfWork, pupil_ids: Iterable[int], candidates: Mapping[int, ListedPupil]
) -> tuple[ListedPupil, ...]:
    """Pupils with names: candidates as they are, others (no longer in the classes) by summary."""
    ids = set(pupil_ids)
    found = [candidates[i] for i in ids if i in candidates]
    others = ids - set(candidates)
    if others:
        found += [
            ListedPupil(s.pupil_id, s.given_name, s.family_name, None, s.class_name)
            for s in await uow.directory.pupil_summaries(sorted(others))
        ]
    return _ordered(found)


async def _outsider_names(uow: UnitOfWork, pupil_ids: Sequence[int], school_id: int) -> str:
    """Names of pupils of the school (ids of anyone else stay ids: they are not the viewer's)."""
    summaries = {
        s.pupil_id: s
        for s in await uow.directory.pupil_summaries(pupil_ids)
        if s.school_id == school_id
    }
    names = [
        f"{summaries[i].full_name} ({summaries[i].class_name})" if i in summaries else f"#{i}"
        for i in pupil_ids
    ]
    shown = ", ".join(names[:_NAMED])
    return shown + (", …" if len(names) > _NAMED else "")


def _ordered(pupils: Iterable[ListedPupil]) -> tuple[ListedPupil, ...]:
    """By class (those no longer in a class last), then family and given name, Latvian order."""
    return tuple(
        sorted(
            pupils,
            key=lambda p: (
                p.class_id is None,
                latvian_key(p.class_name or ""),
                latvian_key(p.family_name),
                latvian_key(p.given_name),
                p.pupil_id,
            ),
        )
    )


def _unique(pupil_ids: Collection[int]) -> list[int]:
    return sorted({int(pupil_id) for pupil_id in pupil_ids})


def _note(text: str | None) -> str | None:
    clean = (text or "").strip() or None
    if clean is not None and len(clean) > MAX_NOTE:
        raise InvalidInput(NOTE_TOO_LONG, max=MAX_NOTE)
    return clean


# ------------------------------------------------------------------------ the file


async def _match_file(
    uow: UnitOfWork,
    data: bytes,
    filename: str,
    info: ListGroupInfo,
    candidates: Mapping[int, ListedPupil],
) -> list[int]:
    """The pupils a list file names; every row that names none is a problem (all or nothing)."""
    table = read_table(data, filename, max_rows=MAX_FILE_ROWS)
    columns, header_problems = resolve_columns(table, FILE_ALIASES)
    # Other columns (a row number, a note) are the teacher's business: only duplicates count.
    problems = [p for p in header_problems if p.key == COLUMN_DUPLICATE]
    by_names = "class" in columns and (
        "pupil" in columns or ("family_name" in columns and "given_name" in columns)
    )
    if not by_names and "personal_code" not in columns:
        problems.append(ImportProblem(0, FILE_COLUMNS))
    if problems:
        raise ImportRejected(problems)
    rows = _ListRows(columns, info, candidates)
    found: list[int] = []
    for row in table.rows:
        code = rows.cell(row, "personal_code")
        if code:
            pupil_id, problem = await _by_code(uow, code, candidates, row.number)
        else:
            pupil_id, problem = rows.by_name(row)
        if problem is not None:
            problems.append(problem)
        elif pupil_id is not None:
            found.append(pupil_id)
    if problems:
        raise ImportRejected(problems)
    return _unique(found)


async def _by_code(
    uow: UnitOfWork, code: str, candidates: Mapping[int, ListedPupil], number: int
) -> tuple[int | None, ImportProblem | None]:
    """A pupil by personal code; the code itself never goes into a problem."""
    text = code.replace(" ", "")
    if len(text) == 10 and text.isdigit():
        text = "0" + text  # a number cell dropped the leading zero of days 01-09
    digits = text.replace("-", "") if len(text) == 12 and text[6] == "-" else text
    if not personal_code_is_valid(digits):
        return None, ImportProblem(number, FILE_CODE_INVALID)
    person_id = await uow.people.find_by_personal_code(f"{digits[:6]}-{digits[6:]}")
    if person_id is None or person_id not in candidates:
        return None, ImportProblem(number, FILE_CODE_NOT_FOUND)
    return person_id, None


def _class_key(name: str) -> str:
    """A class name for matching: "5.a", "5a" and "5. A" are one class."""
    return "".join(ch for ch in search_key(name) if ch.isalnum())


class _ListRows:
    """Matches the rows of a list file to the group's candidates by class and name."""

    def __init__(
        self, columns: Columns, info: ListGroupInfo, candidates: Mapping[int, ListedPupil]
    ) -> None:
        self._columns = columns
        self._classes: dict[str, str] = {_class_key(c.name): c.name for c in info.classes}
        self._by_class: dict[str, list[ListedPupil]] = {}
        for pupil in candidates.values():
            key = _class_key(pupil.class_name or "")
            self._classes.setdefault(key, pupil.class_name or "")
            self._by_class.setdefault(key, []).append(pupil)
        self._allowed = ", ".join(sorted(set(self._classes.values()), key=latvian_key))

    def cell(self, row: TableRow, name: str) -> str:
        """The row's cell of a column (empty when the file lacks the column)."""
        position = self._columns.index.get(name)
        return "" if position is None else row.get(position).strip()

    def by_name(self, row: TableRow) -> tuple[int | None, ImportProblem | None]:
        """The pupil a row names by class and name, or the row's problem."""
        klass, full = self.cell(row, "class"), self.cell(row, "pupil")
        given, family = self.cell(row, "given_name"), self.cell(row, "family_name")
        if not klass or not (full or (given and family)):
            return None, ImportProblem(row.number, FILE_ROW_INCOMPLETE)
        key = _class_key(klass)
        if key not in self._classes:
            return None, ImportProblem(
                row.number, FILE_CLASS_NOT_IN_GROUP, class_name=echo(klass), classes=self._allowed
            )
        wanted = (
            {search_key(f"{given} {family}"), search_key(f"{family} {given}")}
            if given and family
            else {search_key(full)}
        )
        matches = [
            p
            for p in self._by_class.get(key, [])
            if search_key(f"{p.given_name} {p.family_name}") in wanted
            or search_key(f"{p.family_name} {p.given_name}") in wanted
        ]
        if len(matches) == 1:
            return matches[0].pupil_id, None
        return None, ImportProblem(
            row.number,
            FILE_AMBIGUOUS if matches else FILE_NO_SUCH_PUPIL,
            name=echo(f"{given} {family}" if given and family else full),
            class_name=self._classes[key],
        )
