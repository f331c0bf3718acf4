"""Report cards (liecības, rule 5.2): a pupil's confirmed period marks, lessons and absences.

A card lists, per subject the pupil studied in the school year, the number of lessons held,
the confirmed semester marks where the school gives them for the grade, the confirmed year mark
(a card says it is the year mark, as IKVD asks) and the lessons missed; then the year's
absences (justified, unexcused, late) and the class teacher's and director's lines. Proposals
never reach a card: only marks a teacher confirmed (``core.services.period_marks``).

The class teacher of the pupil's class and the school's managers read cards; the managers
(the superuser's request, rule 5.2) send a class's cards to the families: ``issue_report_cards``
stores each pupil's PDF and records a ``report_card.issued`` event per pupil, which the
notifications engine turns into one document message per parent with full rights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from core.domain.access import Role, Viewer, manages_class, manages_school
from core.domain.attendance import AttendanceFact, AttendanceSummary, Justification
from core.domain.collation import latvian_key
from core.domain.events import Event
from core.domain.marks import MarkScale, MarkValue
from core.domain.policy import SchoolPolicy
from core.domain.records import (
    AuditRecord,
    ClassRecord,
    PersonRecord,
    SchoolRecord,
    SchoolYearRecord,
)
from core.errors import InvalidInput, NotAllowed, NotFound
from core.ports import AbsenceMarkRow, UnitOfWork
from core.services.guards import school_policy
from core.services.period_marks import SEMESTER, YEAR, read_value
from core.services.rosters import school_today

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # far below Telegram's 50 MB upload limit
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True, slots=True)
class ReportCardIssued(Event):
    """A pupil's report card was stored to be sent to the pupil's parents (rule 5.2)."""

    kind: ClassVar[str] = "report_card.issued"
    pupil_id: int
    file_id: int
    class_name: str
    school_year: str


@dataclass(frozen=True, slots=True)
class SubjectLine:
    """One subject of a card: lessons held, confirmed semester and year marks, lessons missed.

    ``semesters`` follows the card's ``terms``; a mark not confirmed (yet) is None.
    """

    group_id: int
    subject: str
    scale: MarkScale
    lessons: int
    semesters: tuple[MarkValue | None, ...]
    year: MarkValue | None
    absences: int


@dataclass(frozen=True, slots=True)
class ReportCard:
    """One pupil's report card for a school year, from confirmed marks only."""

    school: SchoolRecord
    year: SchoolYearRecord
    pupil: PersonRecord
    klass: ClassRecord
    class_teacher: str | None
    director: str | None
    terms: tuple[int, ...]  # the semesters shown (none when the grade gets year marks only)
    subjects: tuple[SubjectLine, ...]
    attendance: AttendanceSummary
    issued_on: date

    @property
    def confirmed(self) -> bool:
        """Whether every subject has its year mark confirmed."""
        return all(line.year is not None for line in self.subjects)


@dataclass(frozen=True, slots=True)
class ClassReportCards:
    """Every pupil's card of a class, in Latvian alphabetical order."""

    school: SchoolRecord
    year: SchoolYearRecord
    klass: ClassRecord
    cards: tuple[ReportCard, ...]


@dataclass(frozen=True, slots=True)
class IssuedCards:
    """Report cards handed to the notifications engine for a class's parents.

    ``parents`` counts parents with full rights of the pupils; ``connected`` those of them with
    a linked account (they get the PDF in the chat; the others get nothing to their chat).
    """

    class_name: str
    pupils: int
    parents: int
    connected: int


async def report_card(
    uow: UnitOfWork, viewer: Viewer, *, pupil_id: int, school_year_id: int
) -> ReportCard:
    """A pupil's report card for a school year (the class teacher and the school's managers).

    Raises:
        NotFound: ``pupil.not_found`` for anyone else, or when the pupil had no class that year.
    """
    async with uow:
        year = await uow.reports.school_year(school_year_id)
        klass = await uow.reports.pupil_class(pupil_id, school_year_id) if year else None
        if year is None or klass is None or not manages_class(viewer, klass.school_id, klass.id):
            raise NotFound("pupil.not_found")
        school = await _school(uow, klass.school_id)
        person = await uow.directory.person(pupil_id)
        if person is None:
            raise NotFound("pupil.not_found")
        context = await _Context.load(uow, school, year, klass)
        card = await context.card(uow, person)
        uow.audit(
            viewer,
            AuditRecord(
                action="read.report_card",
                entity="pupil",
                entity_id=pupil_id,
                school_id=school.id,
                subject_person_id=pupil_id,
            ),
        )
        await uow.commit()
        return card


async def class_report_cards(
    uow: UnitOfWork, viewer: Viewer, *, class_id: int
) -> ClassReportCards:
    """The report cards of a class's pupils (the class teacher and the school's managers).

    The pupils are those enrolled in the class on the year's last day, or today while the
    year runs.

    Raises:
        NotFound: ``class.not_found`` for anyone else.
    """
    async with uow:
        school, year, klass = await _managed(uow, viewer, class_id)
        context = await _Context.load(uow, school, year, klass)
        cards = [await context.card(uow, pupil) for pupil in await context.pupils(uow)]
        uow.audit(
            viewer,
            AuditRecord(
                action="read.report_cards",
                entity="class",
                entity_id=klass.id,
                school_id=school.id,
                after={"pupils": len(cards)},
            ),
        )
        await uow.commit()
    cards.sort(key=lambda c: (latvian_key(c.pupil.family_name), latvian_key(c.pupil.given_name)))
    return ClassReportCards(school, year, klass, tuple(cards))


async def issue_report_cards(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    class_id: int,
    documents: Mapping[int, tuple[str, bytes]],
) -> IssuedCards:
    """Send a class's report cards to the families: pupil id → (file name, PDF bytes).

    Only the school's managers do (the superuser's request, rule 5.2). Each PDF is stored (the
    same bytes are stored once) and a ``report_card.issued`` event is recorded per pupil, all
    in one transaction; the notifications engine sends each parent with full rights the card.

    Raises:
        NotAllowed: ``report_card.managers_only`` (e.g. the class teacher).
        InvalidInput: ``report_card.nothing_to_send``, ``report_card.pupil_not_in_class``,
            ``report_card.not_a_pdf``.
    """
    async with uow:
        school, year, klass = await _managed(uow, viewer, class_id)
        if not manages_school(viewer, school.id):
            raise NotAllowed("report_card.managers_only")
        if not documents:
            raise InvalidInput("report_card.nothing_to_send")
        context = await _Context.load(uow, school, year, klass)
        pupils = {p.id for p in await context.pupils(uow)}
        strangers = set(documents) - pupils
        if strangers:
            raise InvalidInput("report_card.pupil_not_in_class", count=len(strangers))
        for filename, content in documents.values():
            if not content.startswith(PDF_MAGIC) or len(content) > MAX_DOCUMENT_BYTES:
                raise InvalidInput("report_card.not_a_pdf", name=filename)
        now = uow.clock.now()
        for pupil_id in sorted(documents):
            filename, content = documents[pupil_id]
            file_id = await uow.files.add(
                school_id=school.id,
                filename=filename,
                mime_type="application/pdf",
                content=content,
                created_by=viewer.person_id,
                now=now,
                reuse=True,
            )
            uow.record(
                ReportCardIssued(pupil_id, file_id, klass.name, year.name),
                school_id=school.id,
                actor_id=viewer.person_id,
            )
        links = [link for link in await uow.roster.guardians_of(documents) if not link.read_only]
        parents = {link.guardian.id for link in links if link.guardian.is_active}
        connected = await uow.roster.connected(parents)
        uow.audit(
            viewer,
            AuditRecord(
                action="report_card.send",
                entity="class",
                entity_id=klass.id,
                school_id=school.id,
                after={"pupils": len(documents), "parents": len(parents)},
            ),
        )
        await uow.commit()
    return IssuedCards(klass.name, len(documents), len(parents), len(connected & parents))


# ------------------------------------------------------------------ inside a unit of work


async def _school(uow: UnitOfWork, school_id: int) -> SchoolRecord:
    school = await uow.directory.school(school_id)
    if school is None:
        raise NotFound("class.not_found", name="")
    return school


async def _managed(
    uow: UnitOfWork, viewer: Viewer, class_id: int
) -> tuple[SchoolRecord, SchoolYearRecord, ClassRecord]:
    klass = await uow.roster.class_record(class_id)
    if klass is None or not manages_class(viewer, klass.school_id, klass.id):
        raise NotFound("class.not_found", name="")
    year = await uow.reports.school_year(klass.school_year_id)
    if year is None:
        raise NotFound("class.not_found", name="")
    return await _school(uow, klass.school_id), year, klass


def _name(person: PersonRecord | None) -> str | None:
    return person.full_name if person is not None else None


@dataclass(frozen=True, slots=True)
class _Context:
    """What every card of one class shares: the school, year, semesters, names and rules."""

    school: SchoolRecord
    year: SchoolYearRecord
    klass: ClassRecord
    policy: SchoolPolicy
    terms: Mapping[int, int]  # term id → semester number (the semesters shown only)
    class_teacher: str | None
    director: str | None
    today: date

    @classmethod
    async def load(
        cls, uow: UnitOfWork, school: SchoolRecord, year: SchoolYearRecord, klass: ClassRecord
    ) -> _Context:
        policy = await school_policy(uow, school.id)
        terms: dict[int, int] = {}
        if policy.has_semester_marks(klass.grade):
            terms = {term.id: term.number for term in await uow.timetable.terms(year.id)}
        teacher = (
            await uow.directory.person(klass.class_teacher_id)
            if klass.class_teacher_id is not None
            else None
        )
        directors = await uow.reports.staff_with_role(school.id, Role.DIRECTOR.value)
        return cls(
            school,
            year,
            klass,
            policy,
            terms,
            _name(teacher),
            _name(directors[0]) if directors else None,
            school_today(uow, school),
        )

    @property
    def until(self) -> date:
        """The last day the card covers: the year's end, or today while the year runs."""
        return min(self.year.ends_on, self.today)

    async def pupils(self, uow: UnitOfWork) -> list[PersonRecord]:
        """The class's pupils on the card's last day."""
        return list(await uow.reports.class_pupils(self.klass.id, self.until, self.until))

    async def card(self, uow: UnitOfWork, pupil: PersonRecord) -> ReportCard:
        start, end = self.year.starts_on, self.until
        groups = [
            g
            for g in await uow.reports.pupil_groups(pupil.id, self.year.id, start, end)
            if g.kind != "interest"  # interest education is not on the report card
        ]
        lessons = await uow.reports.lesson_counts([g.group_id for g in groups], start, end)
        marks = await uow.reports.pupil_period_marks(pupil.id, self.year.id)
        confirmed: dict[tuple[int, str, int | None], MarkValue | None] = {
            (m.group_id, m.kind, m.term_id): read_value(m.value)
            for m in marks
            if m.status == "confirmed"
        }
        absences = await uow.reports.pupils_absences([pupil.id], start, end)
        per_group = _absent_lessons(absences, self.policy)
        order = sorted(self.terms.items(), key=lambda item: item[1])
        lines = []
        for g in groups:
            scale = (
                MarkScale(g.scale) if g.scale else self.policy.scale_for(g.grade, g.subject_short)
            )
            lines.append(
                SubjectLine(
                    group_id=g.group_id,
                    subject=g.subject_name or g.name,
                    scale=scale,
                    lessons=lessons.get(g.group_id, 0),
                    semesters=tuple(
                        confirmed.get((g.group_id, SEMESTER, term_id)) for term_id, _ in order
                    ),
                    year=confirmed.get((g.group_id, YEAR, None)),
                    absences=per_group.get(g.group_id, 0),
                )
            )
        lines.sort(key=lambda line: (latvian_key(line.subject), line.group_id))
        summary = self.policy.summarize(
            AttendanceFact(row.on_date, row.code, Justification(row.justification))
            for row in absences
            if _known(self.policy, row.code)
        )
        return ReportCard(
            school=self.school,
            year=self.year,
            pupil=pupil,
            klass=self.klass,
            class_teacher=self.class_teacher,
            director=self.director,
            terms=tuple(number for _, number in order),
            subjects=tuple(lines),
            attendance=summary,
            issued_on=self.today,
        )


def _known(policy: SchoolPolicy, code: str) -> bool:
    return any(c.code == code for c in policy.absence_codes)


def _absent_lessons(rows: Sequence[AbsenceMarkRow], policy: SchoolPolicy) -> dict[int, int]:
    """Group id → lessons missed (codes that count as an absence; lateness does not)."""
    absent = {c.code for c in policy.absence_codes if c.counts_as_absence}
    counts: dict[int, int] = {}
    for row in rows:
        if row.code in absent:
            counts[row.group_id] = counts.get(row.group_id, 0) + 1
    return counts
