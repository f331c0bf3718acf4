"""Pupil lists of part, combined and club groups (rule 3.4): submit, supersede, approve, reject."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select, update

from core.bootstrap import Core
from core.cli import Console, build_parser
from core.domain.group_lists import Membership, SubmissionStatus, plan_membership
from core.errors import Conflict, ImportRejected, InvalidInput, NotAllowed, NotFound
from core.services.group_lists import (
    candidate_pupils,
    decide_group_list,
    group_list_submission,
    pending_group_lists,
    submit_group_list,
    submit_group_list_file,
    teacher_groups,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, insert, new_person, viewer

SEPT_1 = date(2026, 9, 1)
TODAY = date(2026, 11, 27)  # the FakeClock's Friday
YESTERDAY = date(2026, 11, 26)


@dataclass(frozen=True)
class ListWorld:
    """School a with a 5.b, a combined 5.a + 5.b sports group and a part group of 5.a."""

    world: World
    class_5b: int
    pupil_5b_celms: int
    pupil_5b_cakste: int
    pupil_5b_ozola: int
    sports: int  # combined 5.a + 5.b, taught by other_teacher, no pupils yet
    english: int  # part of 5.a, taught by latvian_teacher


async def build_list_world(core: Core) -> ListWorld:
    """The world plus what the group lists need (school a only)."""
    world = await build_world(core)
    a = world.a
    [class_5b] = await insert(
        core, t.ClassGroup(school_id=a.school_id, school_year_id=a.year_id, name="5.b", grade=5)
    )
    celms = await new_person(core, "Emīls", "Alfa-Celms")
    cakste = await new_person(core, "Roberts", "Alfa-Čakste")
    ozola = await new_person(core, "Zane", "Alfa-Ozola")
    [sport, english] = await insert(
        core,
        t.Subject(school_id=a.school_id, name="Sports", short_name="SP"),
        t.Subject(school_id=a.school_id, name="Angļu valoda", short_name="ANG"),
    )
    [sports, english_group] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            subject_id=sport,
            name="5.a, 5.b Sports",
            kind="combined",
            grade=5,
        ),
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            subject_id=english,
            name="5.a Angļu valoda (1. grupa)",
            kind="part",
            grade=5,
        ),
    )
    await insert(
        core,
        *(
            t.Enrolment(school_id=a.school_id, class_id=class_5b, pupil_id=p, starts_on=SEPT_1)
            for p in (celms, cakste, ozola)
        ),
        t.GroupTeacher(group_id=sports, teacher_id=a.other_teacher),
        t.GroupClass(group_id=sports, class_id=a.class_5a),
        t.GroupClass(group_id=sports, class_id=class_5b),
        t.GroupTeacher(group_id=english_group, teacher_id=a.latvian_teacher),
        t.GroupClass(group_id=english_group, class_id=a.class_5a),
    )
    return ListWorld(world, class_5b, celms, cakste, ozola, sports, english_group)


async def count(core: Core, model: type[t.Base]) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def rows(core: Core, group_id: int) -> dict[int, tuple[date, date | None]]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(
            select(t.GroupMember).where(t.GroupMember.group_id == group_id)
        )
        return {r.pupil_id: (r.starts_on, r.ends_on) for r in found}


async def nothing_written(core: Core) -> None:
    assert await count(core, t.GroupListSubmission) == 0
    assert await count(core, t.AuditEntry) == 0
    assert await count(core, t.DomainEvent) == 0


@pytest.fixture
async def lw(core: Core) -> ListWorld:
    return await build_list_world(core)


# ------------------------------------------------------------------ the pure rule


def test_the_plan_ends_adds_keeps_reopens_and_restarts() -> None:
    stored = [
        Membership(1, SEPT_1, None),  # stays
        Membership(2, SEPT_1, None),  # leaves: ends yesterday
        Membership(3, TODAY, None),  # leaves before starting: dropped
        Membership(4, SEPT_1, YESTERDAY),  # comes back the day after leaving: reopened
        Membership(5, SEPT_1, date(2026, 10, 1)),  # comes back after a gap: restarts today
        Membership(6, SEPT_1, date(2026, 12, 20)),  # listed, due to end: the end is cleared
    ]
    plan = plan_membership(stored, [1, 4, 5, 6, 7], TODAY)
    assert plan.add == {7}
    assert plan.end == {2}
    assert plan.drop == {3}
    assert plan.reopen == {4, 6}
    assert plan.restart == {5}
    assert plan.added == {4, 5, 7}
    assert plan.removed == {2, 3}
    assert plan.kept == {1, 6}
    assert plan.yesterday == YESTERDAY


# ------------------------------------------------------------------ teachers


async def test_a_teacher_sees_their_list_groups_and_candidates_in_latvian_order(
    core: Core, lw: ListWorld
) -> None:
    a = lw.world.a
    [group] = await teacher_groups(core.uow(), await viewer(core, a.other_teacher))
    assert (group.id, group.name, group.class_names) == (
        lw.sports,
        "5.a, 5.b Sports",
        ("5.a", "5.b"),
    )
    assert group.member_count == 0
    assert group.latest is None
    # Whole-class groups take their class: the math teacher has no list to make.
    assert await teacher_groups(core.uow(), await viewer(core, a.math_teacher)) == []

    found = await candidate_pupils(core.uow(), await viewer(core, a.other_teacher), lw.sports)
    assert [(p.class_name, p.full_name) for p in found.pupils] == [
        ("5.a", "Jānis Alfa-Bērziņš"),
        ("5.a", "Anna Alfa-Kalniņa"),
        ("5.b", "Emīls Alfa-Celms"),
        ("5.b", "Roberts Alfa-Čakste"),  # Č after C, before O (not after Z)
        ("5.b", "Zane Alfa-Ozola"),
    ]
    assert [p.pupil_id for p in found.of_class(lw.class_5b)] == [
        lw.pupil_5b_celms,
        lw.pupil_5b_cakste,
        lw.pupil_5b_ozola,
    ]
    assert found.members == frozenset()
    assert found.pending_pupils is None


async def test_only_the_groups_teachers_may_list_its_pupils(core: Core, lw: ListWorld) -> None:
    a, b = lw.world.a, lw.world.b
    # The 5.a class teacher may read the group's journal, not write its list.
    with pytest.raises(NotAllowed):
        await candidate_pupils(core.uow(), await viewer(core, a.math_teacher), lw.sports)
    for outsider in (a.latvian_teacher, b.other_teacher, a.parent_5a, a.pupil_5a):
        with pytest.raises(NotFound):
            await candidate_pupils(core.uow(), await viewer(core, outsider), lw.sports)
        with pytest.raises(NotFound):
            await submit_group_list(
                core.uow(),
                await viewer(core, outsider),
                group_id=lw.sports,
                pupil_ids=[a.pupil_5a],
            )
    # A manager approves lists; writing one is the teacher's.
    with pytest.raises(NotAllowed):
        await submit_group_list(
            core.uow(), await viewer(core, a.director), group_id=lw.sports, pupil_ids=[a.pupil_5a]
        )
    await nothing_written(core)


async def test_bad_lists_are_refused_and_change_nothing(core: Core, lw: ListWorld) -> None:
    a, b = lw.world.a, lw.world.b
    teacher = await viewer(core, a.other_teacher)
    with pytest.raises(InvalidInput) as outside:
        await submit_group_list(
            core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a, a.pupil_2a, b.pupil_5a]
        )
    assert outside.value.key == "group_list.not_in_classes"
    assert outside.value.params == {
        "count": 2,
        "names": f"Ērika Alfa-Bērziņa (2.a), #{b.pupil_5a}",  # another school's pupil stays an id
    }
    with pytest.raises(InvalidInput) as empty:
        await submit_group_list(core.uow(), teacher, group_id=lw.sports, pupil_ids=[])
    assert empty.value.key == "group_list.empty"
    with pytest.raises(InvalidInput) as long_note:
        await submit_group_list(
            core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a], note="x" * 501
        )
    assert long_note.value.key == "group_list.note_too_long"
    with pytest.raises(InvalidInput) as whole_class:
        await submit_group_list(
            core.uow(),
            await viewer(core, a.math_teacher),
            group_id=a.math_group,
            pupil_ids=[a.pupil_5a],
        )
    assert whole_class.value.key == "group_list.not_a_list_group"
    await nothing_written(core)


async def test_a_newer_list_supersedes_the_waiting_one(core: Core, lw: ListWorld) -> None:
    a = lw.world.a
    teacher = await viewer(core, a.other_teacher)
    first = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a, lw.pupil_5b_ozola]
    )
    assert first.status is SubmissionStatus.PENDING
    assert first.submitted_by == "Pēteris Alfa-Sportists"
    assert [p.full_name for p in first.added] == ["Jānis Alfa-Bērziņš", "Zane Alfa-Ozola"]
    second = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a], note=" Tikai zēni "
    )
    assert second.note == "Tikai zēni"
    old = await group_list_submission(core.uow(), teacher, first.id)
    assert old.status is SubmissionStatus.SUPERSEDED
    [waiting] = await pending_group_lists(core.uow(), await viewer(core, a.superuser), a.school_id)
    assert waiting.id == second.id
    found = await candidate_pupils(core.uow(), teacher, lw.sports)
    assert found.pending_pupils == {a.pupil_5a}
    assert found.group.pending
    assert await count(core, t.DomainEvent) == 2
    async with create_session_factory(core.engine)() as session:
        kinds = list(await session.scalars(select(t.DomainEvent.kind)))
        actions = list(await session.scalars(select(t.AuditEntry.action)))
    assert kinds == ["group_list.submitted", "group_list.submitted"]
    assert actions == ["group_list.submit", "group_list.submit"]


# ------------------------------------------------------------------ managers


async def test_approval_replaces_the_groups_pupils_from_today(core: Core, lw: ListWorld) -> None:
    a = lw.world.a
    await insert(
        core,
        t.GroupMember(group_id=lw.sports, pupil_id=a.pupil_5a, starts_on=SEPT_1),
        t.GroupMember(group_id=lw.sports, pupil_id=a.pupil_5a_second, starts_on=SEPT_1),
    )
    teacher = await viewer(core, a.other_teacher)
    superuser = await viewer(core, a.superuser)
    submitted = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a, lw.pupil_5b_cakste]
    )
    [waiting] = await pending_group_lists(core.uow(), superuser, a.school_id)
    assert [p.full_name for p in waiting.added] == ["Roberts Alfa-Čakste"]
    assert [p.full_name for p in waiting.removed] == ["Anna Alfa-Kalniņa"]
    assert waiting.kept == 1
    # Only the school's managers decide; a crafted id of another school's manager finds nothing.
    for other in (teacher, await viewer(core, lw.world.b.superuser)):
        with pytest.raises(NotFound):
            await decide_group_list(core.uow(), other, submission_id=submitted.id, approve=True)

    decision = await decide_group_list(
        core.uow(), superuser, submission_id=submitted.id, approve=True
    )
    assert (decision.added, decision.removed) == (1, 1)
    assert decision.submission.status is SubmissionStatus.APPROVED
    assert await rows(core, lw.sports) == {
        a.pupil_5a: (SEPT_1, None),
        a.pupil_5a_second: (SEPT_1, YESTERDAY),
        lw.pupil_5b_cakste: (TODAY, None),
    }
    async with core.uow() as uow:
        assert await uow.journal.group_members(lw.sports, YESTERDAY) == {
            a.pupil_5a,
            a.pupil_5a_second,
        }
        assert await uow.journal.group_members(lw.sports, TODAY) == {
            a.pupil_5a,
            lw.pupil_5b_cakste,
        }
    with pytest.raises(Conflict):
        await decide_group_list(core.uow(), superuser, submission_id=submitted.id, approve=True)
    assert await pending_group_lists(core.uow(), superuser, a.school_id) == []
    [group] = await teacher_groups(core.uow(), teacher)
    assert group.member_count == 2
    assert group.latest is not None
    assert group.latest.status is SubmissionStatus.APPROVED
    async with create_session_factory(core.engine)() as session:
        decided = await session.scalar(
            select(t.DomainEvent).where(t.DomainEvent.kind == "group_list.decided")
        )
        stored = await session.get_one(t.GroupListSubmission, submitted.id)
    assert decided is not None
    assert decided.payload == {
        "submission_id": submitted.id,
        "group_id": lw.sports,
        "approved": True,
        "added": 1,
        "removed": 1,
    }
    assert stored.decided_by == a.superuser

    # The same day she comes back: her membership simply goes on.
    again = await submit_group_list(
        core.uow(),
        teacher,
        group_id=lw.sports,
        pupil_ids=[a.pupil_5a, a.pupil_5a_second, lw.pupil_5b_cakste],
    )
    await decide_group_list(core.uow(), superuser, submission_id=again.id, approve=True)
    assert (await rows(core, lw.sports))[a.pupil_5a_second] == (SEPT_1, None)


async def test_a_pupil_who_left_the_classes_is_left_out_on_approval(
    core: Core, lw: ListWorld
) -> None:
    a = lw.world.a
    submitted = await submit_group_list(
        core.uow(),
        await viewer(core, a.other_teacher),
        group_id=lw.sports,
        pupil_ids=[a.pupil_5a, lw.pupil_5b_ozola],
    )
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Enrolment)
            .where(t.Enrolment.pupil_id == lw.pupil_5b_ozola)
            .values(ends_on=date(2026, 11, 20))
        )
    superuser = await viewer(core, a.superuser)
    [waiting] = await pending_group_lists(core.uow(), superuser, a.school_id)
    assert [p.full_name for p in waiting.left] == ["Zane Alfa-Ozola"]
    decision = await decide_group_list(
        core.uow(), superuser, submission_id=submitted.id, approve=True
    )
    assert [p.full_name for p in decision.left_out] == ["Zane Alfa-Ozola"]
    assert set(await rows(core, lw.sports)) == {a.pupil_5a}


async def test_rejecting_needs_a_reason_and_changes_no_pupils(core: Core, lw: ListWorld) -> None:
    a = lw.world.a
    teacher = await viewer(core, a.other_teacher)
    director = await viewer(core, a.director)
    submitted = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a]
    )
    with pytest.raises(InvalidInput) as no_reason:
        await decide_group_list(
            core.uow(), director, submission_id=submitted.id, approve=False, reason="  "
        )
    assert no_reason.value.key == "group_list.reason_required"
    decision = await decide_group_list(
        core.uow(), director, submission_id=submitted.id, approve=False, reason="Trūkst 5.b"
    )
    assert decision.submission.status is SubmissionStatus.REJECTED
    assert await rows(core, lw.sports) == {}
    [group] = await teacher_groups(core.uow(), teacher)
    assert group.latest is not None
    assert (group.latest.status, group.latest.reason) == (SubmissionStatus.REJECTED, "Trūkst 5.b")
    assert not group.pending


# ------------------------------------------------------------------ files


async def test_a_file_with_unmatched_rows_is_refused_row_by_row(core: Core, lw: ListWorld) -> None:
    teacher = await viewer(core, lw.world.a.other_teacher)
    data = (
        "Nr.;Klase;Uzvārds;Vārds\n"
        "1;5.a;Alfa-Bērziņš;Jānis\n"
        "2;2.a;Alfa-Bērziņa;Ērika\n"
        "3;5.b;Alfa-Nezināmā;Ieva\n"
        "4;5.b;;Zane\n"
        "5;5b;alfa-ozola;zane\n"
    ).encode()
    with pytest.raises(ImportRejected) as rejected:
        await submit_group_list_file(
            core.uow(), teacher, group_id=lw.sports, data=data, filename="saraksts.csv"
        )
    problems = [(p.row, p.key, p.params) for p in rejected.value.problems]
    assert problems == [
        (3, "group_list.file.class_not_in_group", {"class_name": "2.a", "classes": "5.a, 5.b"}),
        (4, "group_list.file.no_such_pupil", {"name": "Ieva Alfa-Nezināmā", "class_name": "5.b"}),
        (5, "group_list.file.row_incomplete", {}),
    ]
    with pytest.raises(ImportRejected) as columns:
        await submit_group_list_file(
            core.uow(),
            teacher,
            group_id=lw.sports,
            data=b"Klase;Vards\n5.a;Anna\n",
            filename="x.csv",
        )
    assert [p.key for p in columns.value.problems] == ["group_list.file.columns"]
    await nothing_written(core)


async def test_a_good_file_submits_the_list(core: Core, lw: ListWorld) -> None:
    a = lw.world.a
    teacher = await viewer(core, a.other_teacher)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in (
        ("Skolēns", "Klase"),
        ("Jānis Alfa-Bērziņš", "5.a"),
        ("Alfa-Celms Emīls", "5.B"),  # family name first, another spelling of the class
        ("roberts alfa-cakste", "5.b"),  # typed without diacritics
    ):
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    view = await submit_group_list_file(
        core.uow(), teacher, group_id=lw.sports, data=buffer.getvalue(), filename="list.xlsx"
    )
    assert {p.pupil_id for p in view.pupils} == {
        a.pupil_5a,
        lw.pupil_5b_celms,
        lw.pupil_5b_cakste,
    }
    assert view.status is SubmissionStatus.PENDING


async def test_a_file_may_name_pupils_by_personal_code(core: Core, lw: ListWorld) -> None:
    a = lw.world.a
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Person)
            .where(t.Person.id == lw.pupil_5b_ozola)
            .values(personal_code="010114-20006")
        )
        await session.execute(
            update(t.Person).where(t.Person.id == a.pupil_2a).values(personal_code="020216-20006")
        )
    teacher = await viewer(core, a.other_teacher)
    with pytest.raises(ImportRejected) as rejected:
        await submit_group_list_file(
            core.uow(),
            teacher,
            group_id=lw.sports,
            data=b"Personas kods\n010114-20006\n020216-20006\n123\n",
            filename="codes.csv",
        )
    assert [(p.row, p.key) for p in rejected.value.problems] == [
        (3, "group_list.file.code_not_found"),  # a pupil of 2.a: not a candidate
        (4, "group_list.file.code_invalid"),
    ]
    view = await submit_group_list_file(
        core.uow(),
        teacher,
        group_id=lw.sports,
        data=b"Personas kods\n01011420006\n",
        filename="c.csv",
    )
    assert [p.pupil_id for p in view.pupils] == [lw.pupil_5b_ozola]


# ------------------------------------------------------------------ the console


async def console(core: Core, *argv: str) -> str:
    """One console command on the test's core, in English."""
    args = build_parser().parse_args(["--lang", "en", *argv])
    out = io.StringIO()
    shell = Console(core.settings, "en", out)
    shell._core = core  # the test owns the core and closes it
    assert await args.handler(shell, args) == 0
    return out.getvalue()


async def test_the_console_lists_approves_and_rejects(core: Core, lw: ListWorld) -> None:
    a = lw.world.a
    teacher = await viewer(core, a.other_teacher)
    assert await console(core, "groups", "pending", "--school", "alfa") == (
        "No group list is waiting for approval.\n"
    )
    first = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a]
    )
    assert (await console(core, "groups", "pending", "--school", "alfa")).splitlines() == [
        f"#{first.id} 5.a, 5.b Sports (5.a, 5.b) — submitted by Pēteris Alfa-Sportists on "
        "27.11.2026; pupils: 1, 1 added, 0 removed, 0 staying.",
        "  + Jānis Alfa-Bērziņš (5.a)",
    ]
    assert await console(core, "groups", "reject", str(first.id), "--reason", "5.b?") == (
        f"List #{first.id} rejected; the teacher will see the reason in the bot.\n"
    )
    second = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a, lw.pupil_5b_ozola]
    )
    assert await console(core, "groups", "approve", str(second.id)) == (
        f"List #{second.id} approved: from today 5.a, 5.b Sports has 2 added and 0 removed.\n"
    )
    assert set(await rows(core, lw.sports)) == {a.pupil_5a, lw.pupil_5b_ozola}
    with pytest.raises(Conflict):
        await console(core, "groups", "approve", str(second.id))
