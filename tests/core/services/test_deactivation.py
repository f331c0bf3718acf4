"""Deactivation: access ends at once, pending invitations die, managers of the school only."""

from __future__ import annotations

from datetime import date

import pytest

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.invites import Purpose
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.services.accounts import identify
from core.services.deactivation import (
    activate_person,
    deactivate_person,
    find_people,
    person_card,
)
from core.services.invites import issue_invite
from core.services.linking import LinkRefused, redeem_invite
from core.services.marks import pupil_marks
from core.storage import tables as t
from tests.builders import World, build_world, insert, viewer

PARENT = 7001


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def link(core: Core, world: World, person: int, user: int) -> str:
    superuser = await viewer(core, world.a.superuser)
    purpose = Purpose.GUARDIAN if person == world.a.parent_5a else Purpose.STAFF
    issued = await issue_invite(core.uow(), superuser, purpose=purpose, person_id=person)
    await redeem_invite(
        core.uow(), telegram_user_id=user, chat_id=user, code=issued.code, language="lv"
    )
    return issued.code


async def test_after_deactivation_the_next_identify_has_no_rights(
    core: Core, world: World
) -> None:
    a = world.a
    await link(core, world, a.parent_5a, PARENT)
    before = await identify(core.uow(), telegram_user_id=PARENT)
    assert before is not None
    assert before.active
    superuser = await viewer(core, a.superuser)
    card = await deactivate_person(core.uow(), superuser, person_id=a.parent_5a)
    assert not card.person.is_active
    after = await identify(core.uow(), telegram_user_id=PARENT)
    assert after is not None
    assert not after.active
    assert after.viewer.children == frozenset()
    assert after.viewer.staff_roles == frozenset()
    with pytest.raises(NotFound):
        await pupil_marks(core.uow(), after.viewer, pupil_id=a.pupil_5a)
    # The stale viewer a front end may still hold is refused too (policies read the database).
    with pytest.raises(NotFound):
        await pupil_marks(core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a)


async def test_deactivation_revokes_pending_invitations_and_is_audited(
    core: Core, world: World
) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    pending = await issue_invite(
        core.uow(), superuser, purpose=Purpose.PUPIL, person_id=a.pupil_5a
    )
    await deactivate_person(core.uow(), superuser, person_id=a.pupil_5a)
    with pytest.raises(LinkRefused) as caught:
        await redeem_invite(
            core.uow(), telegram_user_id=1, chat_id=1, code=pending.code, language="lv"
        )
    assert caught.value.key == "link.code_revoked"
    with pytest.raises(Conflict):  # and no new one can be issued while inactive
        await issue_invite(core.uow(), superuser, purpose=Purpose.PUPIL, person_id=a.pupil_5a)
    async with core.uow() as uow:
        assert await uow.invites.pending(now=uow.clock.now(), person_ids=[a.pupil_5a]) == []
    card = await activate_person(core.uow(), superuser, person_id=a.pupil_5a)
    assert card.person.is_active
    await issue_invite(core.uow(), superuser, purpose=Purpose.PUPIL, person_id=a.pupil_5a)


async def test_activation_gives_the_linked_account_its_access_back(
    core: Core, world: World
) -> None:
    a = world.a
    await link(core, world, a.parent_5a, PARENT)
    superuser = await viewer(core, a.superuser)
    await deactivate_person(core.uow(), superuser, person_id=a.parent_5a)
    await activate_person(core.uow(), superuser, person_id=a.parent_5a)
    identity = await identify(core.uow(), telegram_user_id=PARENT)
    assert identity is not None
    assert identity.active
    assert identity.viewer.children == {a.pupil_5a, a.pupil_2a}


async def test_only_the_schools_managers_deactivate(core: Core, world: World) -> None:
    a = world.a
    for person in (a.math_teacher, a.parent_5a, world.b.superuser):
        with pytest.raises(NotFound):
            await deactivate_person(core.uow(), await viewer(core, person), person_id=a.pupil_5a)
    with pytest.raises(Conflict) as caught:
        await deactivate_person(core.uow(), await viewer(core, a.superuser), person_id=a.superuser)
    assert caught.value.key == "person.deactivate_self"
    director = await viewer(core, a.director)
    await deactivate_person(core.uow(), director, person_id=a.math_teacher)


async def test_a_person_of_two_schools_needs_both_managements(core: Core, world: World) -> None:
    a, b = world.a, world.b
    # Līga also has a child in the other school.
    await insert(
        core, t.Guardianship(guardian_id=a.parent_5a, pupil_id=b.pupil_2a, relation="mother")
    )
    with pytest.raises(NotAllowed) as caught:
        await deactivate_person(core.uow(), await viewer(core, a.superuser), person_id=a.parent_5a)
    assert caught.value.key == "person.other_schools"
    await deactivate_person(core.uow(), Viewer.console(), person_id=a.parent_5a)


async def test_the_console_deactivates_by_records_office_key(core: Core, world: World) -> None:
    a = world.a
    await insert(
        core, t.PersonKey(school_id=a.school_id, external_key="S-17", person_id=a.pupil_5a)
    )
    card = await deactivate_person(core.uow(), Viewer.console(), school_id=a.school_id, key="S-17")
    assert card.person.id == a.pupil_5a
    with pytest.raises(NotFound):
        await deactivate_person(core.uow(), Viewer.console(), school_id=a.school_id, key="nope")
    with pytest.raises(NotFound):  # the key belongs to the other school
        await activate_person(
            core.uow(), Viewer.console(), school_id=world.b.school_id, key="S-17"
        )


async def test_managers_find_people_by_name_without_diacritics(core: Core, world: World) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    found = await find_people(core.uow(), superuser, query="berzin")
    assert [c.full_name for c in found] == [
        "Ērika Alfa-Bērziņa",
        "Līga Alfa-Bērziņa",
        "Jānis Alfa-Bērziņš",
    ]
    liga = found[1]
    assert [c.given_name for c in liga.children] == ["Ērika", "Jānis"]
    assert liga.invitable == (Purpose.GUARDIAN,)
    assert not liga.connected
    assert found[0].classes == ("2.a",)
    assert [c.full_name for c in await find_people(core.uow(), superuser, query="Ērika bērz")] == [
        "Ērika Alfa-Bērziņa"
    ]
    with pytest.raises(InvalidInput):
        await find_people(core.uow(), superuser, query=" a ")
    with pytest.raises(NotAllowed):
        await find_people(core.uow(), await viewer(core, a.math_teacher), query="berzin")
    with pytest.raises(NotFound):  # another school reads as not found, as everywhere
        await find_people(core.uow(), superuser, query="berzin", school_id=world.b.school_id)
    with pytest.raises(NotFound):
        await person_card(core.uow(), superuser, person_id=world.b.parent_5a)


def test_the_fixture_date_is_a_school_day() -> None:
    assert date(2026, 11, 27).weekday() == 4
