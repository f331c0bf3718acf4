"""People import (rule 3.1): classes, pupils, parents and staff from the records office's file.

All or nothing: every problem is reported with its row, and nothing is written unless the whole
file is good. People match on their records-office key (then on the personal code, for a parent
already known to another school); re-importing the same file changes nothing. An import never
erases: an empty optional cell keeps what is stored, and nobody is deleted or demoted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

from core.domain.access import Viewer
from core.domain.events import PeopleImported
from core.domain.records import AuditRecord, ClassRecord
from core.errors import ImportProblem, ImportRejected, InvalidInput
from core.imports.people import (
    ClassRow,
    GuardianRow,
    PeopleFile,
    PupilRow,
    StaffRow,
    parse_people,
)
from core.ports import PersonData, UnitOfWork
from core.services.guards import managed_school
from core.services.schools import school_year_start

Kind = Literal["classes", "pupils", "guardians", "staff"]


@dataclass(slots=True)
class Counts:
    """What happened to one kind of row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class ImportReport:
    """The outcome of an import (or of a dry run: what would happen)."""

    dry_run: bool
    classes: Counts = field(default_factory=Counts)
    pupils: Counts = field(default_factory=Counts)
    guardians: Counts = field(default_factory=Counts)
    staff: Counts = field(default_factory=Counts)

    def as_rows(self) -> Iterator[tuple[Kind, Counts]]:
        """Kinds in file order with their counts."""
        yield "classes", self.classes
        yield "pupils", self.pupils
        yield "guardians", self.guardians
        yield "staff", self.staff

    @property
    def changes(self) -> int:
        """Rows created or updated."""
        return sum(c.created + c.updated for _, c in self.as_rows())


async def import_people(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    data: bytes,
    filename: str,
    dry_run: bool = False,
) -> ImportReport:
    """The superuser imports a people file into the current school year of their school."""
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        today = uow.clock.now().astimezone(ZoneInfo(school.time_zone)).date()
        year = await uow.directory.school_year_on(school.id, today)
        if year is None or year.starts_on.year < school_year_start(today):
            raise InvalidInput("import.no_school_year")
        keys = await uow.people.keys(school.id)
        classes = dict(await uow.people.classes(year.id))
        parsed = parse_people(
            data,
            filename,
            known_classes=tuple(classes),
            known_pupil_keys=tuple(keys),
            known_staff_keys=tuple(keys),
        )
        await _check_references(uow, parsed, dict(keys), school.id)
        report = ImportReport(dry_run=dry_run)
        applier = _Applier(uow, viewer, school.id, dict(keys), report)
        await applier.staff(parsed.staff)
        await applier.classes(parsed.classes, classes, year.id)
        await applier.pupils(parsed.pupils, classes, max(today, year.starts_on))
        await applier.guardians(parsed.guardians)
        applier.finish()
        if report.changes:
            uow.record(
                PeopleImported(
                    created=sum(c.created for _, c in report.as_rows()),
                    updated=sum(c.updated for _, c in report.as_rows()),
                ),
                school_id=school.id,
                actor_id=viewer.person_id,
            )
        if not dry_run:
            await uow.commit()
        return report


async def _check_references(
    uow: UnitOfWork, parsed: PeopleFile, keys: dict[str, int], school_id: int
) -> None:
    """Keys the file leans on that exist only in the database must be of the right kind."""
    in_file_pupils = {p.key for p in parsed.pupils}
    in_file_staff = {s.key for s in parsed.staff}
    problems: list[ImportProblem] = []
    for guardian in parsed.guardians:
        for child in guardian.children_keys:
            if child in in_file_pupils:
                continue
            facts = await uow.directory.pupil_facts(keys[child]) if child in keys else None
            if facts is None or school_id not in facts.school_ids:
                problems.append(
                    ImportProblem(
                        guardian.row, "import.row.unknown_child", "children", value=child
                    )
                )
    for row in parsed.classes:
        key = row.class_teacher_key
        if key and key not in in_file_staff:
            roles = await uow.people.staff_roles(school_id, keys[key]) if key in keys else None
            if not roles:
                problems.append(
                    ImportProblem(row.row, "import.row.unknown_staff", "class_teacher", value=key)
                )
    if problems:
        raise ImportRejected(problems)


class _Applier:
    """Creates or updates people and keeps the per-kind counts (a row counts once)."""

    def __init__(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        school_id: int,
        keys: dict[str, int],
        report: ImportReport,
    ) -> None:
        self._uow = uow
        self._viewer = viewer
        self._school_id = school_id
        self._keys = keys
        self._report = report
        self._created: set[int] = set()
        self._touched: dict[int, Kind] = {}
        self._seen: dict[int, Kind] = {}

    async def person(self, row: StaffRow | PupilRow | GuardianRow, kind: Kind) -> int:
        """Find the row's person (key, then personal code) and bring it up to date."""
        self._seen[row.row] = kind
        wanted = PersonData(
            given_name=row.given_name,
            family_name=row.family_name,
            personal_code=row.personal_code,
            birth_date=row.birth_date,
            phone=row.phone,
            email=row.email,
        )
        person_id = self._keys.get(row.key)
        if person_id is None and row.personal_code:
            person_id = await self._uow.people.find_by_personal_code(row.personal_code)
            if person_id is not None:
                await self._uow.people.add_key(self._school_id, row.key, person_id)
                self._keys[row.key] = person_id
        now = self._uow.clock.now()
        if person_id is None:
            person_id = await self._uow.people.add_person(wanted, now=now)
            await self._uow.people.add_key(self._school_id, row.key, person_id)
            self._keys[row.key] = person_id
            self._created.add(row.row)
            self._audit("person.create", person_id, None, _fields(wanted))
            return person_id
        stored = await self._uow.people.person_data(person_id)
        merged = _merge(stored, wanted)
        if merged != stored:
            if merged.personal_code != stored.personal_code and merged.personal_code:
                holder = await self._uow.people.find_by_personal_code(merged.personal_code)
                if holder is not None and holder != person_id:
                    raise ImportRejected(
                        [ImportProblem(row.row, "import.row.personal_code_taken", "personal_code")]
                    )
            await self._uow.people.update_person(person_id, merged, now=now)
            self.touch(row.row, kind)
            self._audit("person.update", person_id, _fields(stored), _fields(merged))
        return person_id

    async def staff(self, rows: Sequence[StaffRow]) -> None:
        """Staff members and their roles (roles are only ever added)."""
        people = self._uow.people
        for row in rows:
            person_id = await self.person(row, "staff")
            held = await people.staff_roles(self._school_id, person_id)
            for role in sorted(r.value for r in row.roles if r.value not in held):
                await people.add_staff_role(self._school_id, person_id, role)
                self.touch(row.row, "staff")

    async def classes(
        self, rows: Sequence[ClassRow], classes: dict[str, ClassRecord], year_id: int
    ) -> None:
        """Classes of the year with grade and class teacher."""
        counts = self._report.classes
        for row in rows:
            teacher = self._keys.get(row.class_teacher_key) if row.class_teacher_key else None
            existing = classes.get(row.name)
            if existing is None:
                classes[row.name] = await self._uow.people.add_class(
                    school_id=self._school_id,
                    school_year_id=year_id,
                    name=row.name,
                    grade=row.grade,
                    teacher_id=teacher,
                )
                counts.created += 1
            elif existing.grade != row.grade or (teacher and existing.class_teacher_id != teacher):
                await self._uow.people.update_class(
                    existing.id, grade=row.grade, teacher_id=teacher or existing.class_teacher_id
                )
                counts.updated += 1
            else:
                counts.unchanged += 1

    async def pupils(
        self, rows: Sequence[PupilRow], classes: dict[str, ClassRecord], starts_on: date
    ) -> None:
        """Pupils and their enrolment in this year's class (moved if the class changed)."""
        people = self._uow.people
        for row in rows:
            person_id = await self.person(row, "pupils")
            klass = classes[row.class_name]
            enrolment = await people.enrolment(person_id, klass.school_year_id)
            if enrolment is None:
                await people.enrol(
                    school_id=klass.school_id,
                    class_id=klass.id,
                    pupil_id=person_id,
                    starts_on=starts_on,
                )
                self.touch(row.row, "pupils")
            elif enrolment[1] != klass.id:
                await people.move_enrolment(enrolment[0], klass.id)
                self.touch(row.row, "pupils")

    async def guardians(self, rows: Sequence[GuardianRow]) -> None:
        """Parents and their links to their children."""
        people = self._uow.people
        for row in rows:
            person_id = await self.person(row, "guardians")
            relation = row.relation.value if row.relation else None
            for child_key in row.children_keys:
                child_id = self._keys[child_key]
                stored = await people.guardianship(person_id, child_id)
                if stored is None:
                    await people.link_guardian(person_id, child_id, relation or "guardian")
                    self.touch(row.row, "guardians")
                elif relation and stored != relation:
                    await people.set_relation(person_id, child_id, relation)
                    self.touch(row.row, "guardians")

    def touch(self, row: int, kind: Kind) -> None:
        """Something about this row changed."""
        self._touched.setdefault(row, kind)

    def finish(self) -> None:
        """Turn what was seen into the report's counts."""
        for row, kind in self._seen.items():
            counts = getattr(self._report, kind)
            if row in self._created:
                counts.created += 1
            elif row in self._touched:
                counts.updated += 1
            else:
                counts.unchanged += 1

    def _audit(
        self,
        action: str,
        person_id: int,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
    ) -> None:
        self._uow.audit(
            self._viewer,
            AuditRecord(
                action=action,
                entity="person",
                entity_id=person_id,
                school_id=self._school_id,
                subject_person_id=person_id,
                before=before,
                after=after,
            ),
        )


def _merge(stored: PersonData, wanted: PersonData) -> PersonData:
    """The file wins where it says something; an empty optional cell keeps the stored value."""
    return replace(
        wanted,
        personal_code=wanted.personal_code or stored.personal_code,
        birth_date=wanted.birth_date or stored.birth_date,
        phone=wanted.phone or stored.phone,
        email=wanted.email or stored.email,
    )


def _fields(data: PersonData) -> dict[str, object]:
    """What the audit log keeps of a person: names and which contact fields are set.

    The personal code itself never enters the audit log, only whether one is stored.
    """
    return {
        "given_name": data.given_name,
        "family_name": data.family_name,
        "has_personal_code": data.personal_code is not None,
        "has_phone": data.phone is not None,
        "has_email": data.email is not None,
    }
