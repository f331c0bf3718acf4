"""The connection report (rule 2.2): computed every time, right before and after people link."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.domain.invites import Purpose
from core.errors import NotAllowed, NotFound
from core.services.connections import connection_report, connection_reports
from core.services.invites import issue_invite
from core.services.linking import redeem_invite
from core.storage import tables as t
from tests.builders import World, build_world, insert, new_person, viewer


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def connect(core: Core, world: World, person: int, purpose: Purpose, user: int) -> None:
    issued = await issue_invite(
        core.uow(), await viewer(core, world.a.superuser), purpose=purpose, person_id=person
    )
    await redeem_invite(
        core.uow(), telegram_user_id=user, chat_id=user, code=issued.code, language="lv"
    )


async def newcomer(core: Core, world: World, enrolled_on: date) -> tuple[int, int]:
    """A pupil who arrives in 5.a during the year, with a parent of their own."""
    pupil = await new_person(core, "Oskars", "Jaunais")
    parent = await new_person(core, "Dace", "Jaunā")
    await insert(
        core,
        t.Enrolment(
            school_id=world.a.school_id,
            class_id=world.a.class_5a,
            pupil_id=pupil,
            starts_on=enrolled_on,
            ends_on=None,
        ),
        t.Guardianship(guardian_id=parent, pupil_id=pupil, relation="mother"),
    )
    return pupil, parent


async def test_the_class_report_before_and_after_people_link(core: Core, world: World) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    before = await connection_report(core.uow(), teacher, class_id=a.class_5a)
    assert before.class_name == "5.a"
    assert (before.pupils.connected, before.pupils.total) == (0, 2)
    assert (before.parents.connected, before.parents.total) == (0, 2)
    assert before.staff is None
    assert {r.person_id for r in before.missing_parents} == {a.parent_5a, a.parent_5a_second}
    liga = next(r for r in before.missing_parents if r.person_id == a.parent_5a)
    assert liga.children == ("Jānis Alfa-Bērziņš",)  # only her child in this class
    assert liga.due_on is None  # enrolled from the start of the year: no one-week deadline

    await connect(core, world, a.parent_5a, Purpose.GUARDIAN, 9101)
    await connect(core, world, a.pupil_5a_second, Purpose.PUPIL, 9102)
    after = await connection_report(core.uow(), teacher, class_id=a.class_5a)
    assert (after.pupils.connected, after.parents.connected) == (1, 1)
    assert [r.person_id for r in after.missing_parents] == [a.parent_5a_second]
    assert [r.person_id for r in after.missing_pupils] == [a.pupil_5a]
    # The parent is connected in 2.a too: one account counts wherever the person is.
    other = await connection_report(core.uow(), Viewer.console(), class_id=a.class_2a)
    assert (other.parents.connected, other.parents.total) == (1, 1)


async def test_the_school_report_has_staff_and_every_class(core: Core, world: World) -> None:
    a = world.a
    await connect(core, world, a.math_teacher, Purpose.STAFF, 9201)
    report = await connection_report(
        core.uow(), await viewer(core, a.superuser), school_id=a.school_id
    )
    assert report.class_name is None
    assert report.staff is not None
    assert (report.staff.connected, report.staff.total) == (1, 5)
    assert a.math_teacher not in {r.person_id for r in report.missing_staff}
    assert [(c.class_name, c.pupils.total, c.parents.total) for c in report.classes] == [
        ("2.a", 1, 1),
        ("5.a", 2, 2),
    ]
    assert (report.pupils.total, report.parents.total) == (3, 2)


async def test_newly_arrived_pupils_and_their_parents_carry_the_one_week_deadline(
    core: Core, world: World, clock: FakeClock
) -> None:
    pupil, parent = await newcomer(core, world, date(2026, 11, 25))
    superuser = await viewer(core, world.a.superuser)
    report = await connection_report(core.uow(), superuser, school_id=world.a.school_id)
    urgent = {row.person_id: row for row in report.newly_arrived}
    assert set(urgent) == {pupil, parent}  # on the superuser's list without anyone adding them
    assert urgent[parent].due_on == date(2026, 12, 2)
    assert urgent[parent].days_left == 5
    assert urgent[parent].children == ("Oskars Jaunais",)
    assert report.missing_parents[0].person_id == parent  # deadlines first
    issued = await issue_invite(core.uow(), superuser, purpose=Purpose.GUARDIAN, person_id=parent)
    clock.advance(timedelta(days=8))
    late = await connection_report(core.uow(), superuser, school_id=world.a.school_id)
    row = next(r for r in late.newly_arrived if r.person_id == parent)
    assert row.days_left == -3
    assert row.overdue
    assert row.invited_until == issued.last_day
    await redeem_invite(
        core.uow(), telegram_user_id=9301, chat_id=9301, code=issued.code, language="lv"
    )
    done = await connection_report(core.uow(), superuser, school_id=world.a.school_id)
    assert [r.person_id for r in done.newly_arrived] == [pupil]


async def test_who_gets_which_reports(core: Core, world: World) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    [mine] = await connection_reports(core.uow(), teacher)
    assert mine.class_name == "5.a"
    [school] = await connection_reports(core.uow(), await viewer(core, a.superuser))
    assert school.class_name is None
    with pytest.raises(NotFound):
        await connection_report(core.uow(), teacher, school_id=a.school_id)
    with pytest.raises(NotFound):
        await connection_report(core.uow(), teacher, class_id=a.class_2a)
    with pytest.raises(NotFound):
        await connection_report(
            core.uow(), await viewer(core, world.b.superuser), class_id=a.class_5a
        )
    for person in (a.parent_5a, a.pupil_5a, a.other_teacher):
        with pytest.raises(NotAllowed):
            await connection_reports(core.uow(), await viewer(core, person))


async def test_deactivated_people_leave_the_report(core: Core, world: World) -> None:
    a = world.a
    pupil, parent = await newcomer(core, world, date(2026, 11, 25))
    from core.services.deactivation import deactivate_person

    await deactivate_person(core.uow(), Viewer.console(), person_id=parent)
    report = await connection_report(core.uow(), Viewer.console(), class_id=a.class_5a)
    assert parent not in {r.person_id for r in report.missing_parents}
    assert pupil in {r.person_id for r in report.missing_pupils}
