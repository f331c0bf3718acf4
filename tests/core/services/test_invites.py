"""Invitations: who issues them, what is stored (hashes only), single use, expiry, revocation."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.domain.invites import Purpose
from core.errors import Conflict, NotFound
from core.services.invites import Audience, invite_targets, issue_invite, issue_invites
from core.services.linking import LinkRefused, redeem_invite
from core.services.schools import set_school_policy
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, viewer


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def redeem(core: Core, code: str, user: int = 5001) -> object:
    return await redeem_invite(
        core.uow(), telegram_user_id=user, chat_id=user, code=code, language="lv"
    )


async def test_a_class_teacher_issues_one_invitation_per_parent_of_the_class(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    batch = await issue_invites(
        core.uow(), teacher, audience=Audience.PARENTS, class_id=a.class_5a
    )
    assert batch.class_name == "5.a"
    assert batch.last_day == date(2026, 12, 11)  # 14 days by default
    assert {i.person_id for i in batch.invites} == {a.parent_5a, a.parent_5a_second}
    liga = next(i for i in batch.invites if i.person_id == a.parent_5a)
    # Only her child in this class is named on her slip (Ērika is in 2.a).
    assert [p.given_name for p in liga.pupils] == ["Jānis"]
    assert liga.purpose is Purpose.GUARDIAN
    for invite in batch.invites:
        assert re.fullmatch(r"[A-Za-z0-9_-]{16}", invite.code)  # 96 bits, deep-link safe
    assert len({i.code for i in batch.invites}) == 2


async def test_only_a_hash_of_the_code_is_stored_anywhere(core: Core, world: World) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    batch = await issue_invites(
        core.uow(), teacher, audience=Audience.PUPILS, class_id=world.a.class_5a
    )
    codes = {i.code for i in batch.invites}
    sessions = create_session_factory(core.engine)
    async with sessions() as session:
        hashes = set(await session.scalars(select(t.Invite.code_hash)))
        dump = []
        for table in ("invites", "audit_log", "link_attempts", "domain_events"):
            rows = await session.execute(text(f"SELECT * FROM {table}"))
            dump += [str(tuple(row)) for row in rows]
    assert hashes == {hashlib.sha256(code.encode()).hexdigest() for code in codes}
    assert all(code not in row for code in codes for row in dump)


async def test_a_class_teacher_is_limited_to_their_own_class(core: Core, world: World) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    for class_id in (a.class_2a, world.b.class_5a):
        with pytest.raises(NotFound) as caught:
            await issue_invites(core.uow(), teacher, audience=Audience.PARENTS, class_id=class_id)
        assert caught.value.key == "class.not_found"
    with pytest.raises(NotFound):  # staff invitations: managers only
        await issue_invites(core.uow(), teacher, audience=Audience.STAFF, school_id=a.school_id)
    with pytest.raises(NotFound):  # a parent of 2.a is not theirs to invite
        await issue_invite(core.uow(), teacher, purpose=Purpose.PUPIL, person_id=a.pupil_2a)
    single = await issue_invite(
        core.uow(), teacher, purpose=Purpose.GUARDIAN, person_id=a.parent_5a
    )
    assert [p.pupil_id for p in single.pupils] == [a.pupil_5a]


async def test_another_schools_superuser_is_refused(core: Core, world: World) -> None:
    foreign = await viewer(core, world.b.superuser)
    with pytest.raises(NotFound):
        await issue_invites(
            core.uow(), foreign, audience=Audience.PARENTS, class_id=world.a.class_5a
        )
    with pytest.raises(NotFound):
        await issue_invite(
            core.uow(), foreign, purpose=Purpose.GUARDIAN, person_id=world.a.parent_5a
        )
    with pytest.raises(NotFound):
        await issue_invites(
            core.uow(), foreign, audience=Audience.STAFF, school_id=world.a.school_id
        )


async def test_the_superuser_invites_staff_and_anyone_of_the_school(
    core: Core, world: World
) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    staff = await issue_invites(
        core.uow(), superuser, audience=Audience.STAFF, school_id=a.school_id
    )
    assert {i.person_id for i in staff.invites} == {
        a.superuser,
        a.director,
        a.math_teacher,
        a.latvian_teacher,
        a.other_teacher,
    }
    assert {i.purpose for i in staff.invites} == {Purpose.STAFF}
    parents = await issue_invites(
        core.uow(), superuser, audience=Audience.PARENTS, school_id=a.school_id, class_name="2.A"
    )
    assert [i.person_id for i in parents.invites] == [a.parent_5a]


async def test_invitations_are_single_use(core: Core, world: World) -> None:
    superuser = await viewer(core, world.a.superuser)
    issued = await issue_invite(
        core.uow(), superuser, purpose=Purpose.GUARDIAN, person_id=world.a.parent_5a
    )
    await redeem(core, issued.code, 5001)
    with pytest.raises(LinkRefused) as caught:
        await redeem(core, issued.code, 5002)
    assert caught.value.key == "link.code_used"


async def test_invitations_expire_after_the_last_valid_day(
    core: Core, world: World, clock: FakeClock
) -> None:
    superuser = await viewer(core, world.a.superuser)
    first = await issue_invite(
        core.uow(), superuser, purpose=Purpose.PUPIL, person_id=world.a.pupil_5a
    )
    second = await issue_invite(
        core.uow(), superuser, purpose=Purpose.GUARDIAN, person_id=world.a.parent_5a
    )
    assert first.last_day == date(2026, 12, 11)
    clock.advance(timedelta(days=14, hours=13))  # 11.12.2026 23:00 in Riga: still valid
    await redeem(core, first.code, 5001)
    clock.advance(timedelta(hours=1))  # 12.12.2026 00:00 in Riga
    with pytest.raises(LinkRefused) as caught:
        await redeem(core, second.code, 5002)
    assert caught.value.key == "link.code_expired"


async def test_the_school_policy_sets_how_long_invitations_last(core: Core, world: World) -> None:
    await set_school_policy(
        core.uow(), Viewer.console(), school_id=world.a.school_id, settings={"invite_days": 3}
    )
    superuser = await viewer(core, world.a.superuser)
    issued = await issue_invite(
        core.uow(), superuser, purpose=Purpose.PUPIL, person_id=world.a.pupil_5a
    )
    assert issued.last_day == date(2026, 11, 30)


async def test_a_new_invitation_revokes_the_older_pending_one(core: Core, world: World) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    old = await issue_invite(
        core.uow(), superuser, purpose=Purpose.GUARDIAN, person_id=a.parent_5a
    )
    pupil = await issue_invite(core.uow(), superuser, purpose=Purpose.PUPIL, person_id=a.pupil_5a)
    new = await issue_invite(
        core.uow(), superuser, purpose=Purpose.GUARDIAN, person_id=a.parent_5a
    )
    with pytest.raises(LinkRefused) as caught:
        await redeem(core, old.code, 5001)
    assert caught.value.key == "link.code_revoked"
    await redeem(core, new.code, 5001)
    await redeem(core, pupil.code, 5002)  # another person's invitation was not touched


async def test_connected_people_are_skipped_unless_everyone_is_asked_for(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    single = await issue_invite(
        core.uow(), teacher, purpose=Purpose.GUARDIAN, person_id=a.parent_5a
    )
    await redeem(core, single.code)
    batch = await issue_invites(
        core.uow(), teacher, audience=Audience.PARENTS, class_id=a.class_5a
    )
    assert [i.person_id for i in batch.invites] == [a.parent_5a_second]
    assert batch.already_connected == 1
    every = await issue_invites(
        core.uow(), teacher, audience=Audience.PARENTS, class_id=a.class_5a, everyone=True
    )
    assert len(every.invites) == 2


async def test_what_a_person_may_issue(core: Core, world: World) -> None:
    a = world.a
    teacher = await invite_targets(core.uow(), await viewer(core, a.math_teacher))
    assert [s.klass.name for s in teacher.classes] == ["5.a"]
    assert teacher.staff_schools == ()
    superuser = await invite_targets(core.uow(), await viewer(core, a.superuser))
    assert [s.klass.name for s in superuser.classes] == ["2.a", "5.a"]
    assert [s.id for s in superuser.staff_schools] == [a.school_id]
    with pytest.raises(Conflict):
        await invite_targets(core.uow(), await viewer(core, a.parent_5a))
