"""Carers: a parent invites one read-only carer per child; the carer reads, never writes."""

from __future__ import annotations

import pytest

from core.bootstrap import Core
from core.domain.access import may_write_to_pupil
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.services.accounts import identify
from core.services.attendance import pupil_attendance
from core.services.caregivers import caregivers, invite_caregiver, revoke_caregiver
from core.services.linking import LinkRefused, redeem_invite
from core.services.marks import pupil_marks
from tests.builders import World, build_world, viewer

GRANDMA = 6001


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def carer_for(core: Core, world: World, name: str = "Anna Ozola") -> str:
    parent = await viewer(core, world.a.parent_5a)
    issued = await invite_caregiver(core.uow(), parent, pupil_id=world.a.pupil_5a, name=name)
    return issued.code


async def connect(core: Core, code: str, user: int = GRANDMA) -> None:
    await redeem_invite(core.uow(), telegram_user_id=user, chat_id=user, code=code, language="lv")


async def test_a_carer_follows_the_child_read_only(core: Core, world: World) -> None:
    a = world.a
    await connect(core, await carer_for(core, world))
    identity = await identify(core.uow(), telegram_user_id=GRANDMA)
    assert identity is not None
    assert identity.person.full_name == "Anna Ozola"
    carer = identity.viewer
    assert carer.children == carer.read_only_children == {a.pupil_5a}
    marks = await pupil_marks(core.uow(), carer, pupil_id=a.pupil_5a)
    assert marks.pupil.given_name == "Jānis"
    await pupil_attendance(core.uow(), carer, pupil_id=a.pupil_5a)
    async with core.uow() as uow:
        pupil = await uow.directory.pupil_facts(a.pupil_5a)
    assert pupil is not None
    assert not may_write_to_pupil(carer, pupil)  # guardian-only writes stay closed
    with pytest.raises(NotAllowed) as caught:  # ... such as inviting yet another carer
        await invite_caregiver(core.uow(), carer, pupil_id=a.pupil_5a, name="Cits Cilvēks")
    assert caught.value.key == "caregiver.read_only"
    with pytest.raises(NotFound):  # the parent's other child is not the carer's
        await pupil_marks(core.uow(), carer, pupil_id=a.pupil_2a)


async def test_one_carer_per_parent_and_child(core: Core, world: World) -> None:
    first = await carer_for(core, world, "Anna Ozola")
    replacement = await carer_for(core, world, "Vilma Ozola")  # replaces the pending one
    with pytest.raises(LinkRefused) as caught:
        await connect(core, first)
    assert caught.value.key == "link.code_revoked"
    await connect(core, replacement, GRANDMA + 1)
    with pytest.raises(Conflict) as exists:
        await carer_for(core, world, "Trešā Persona")
    assert exists.value.key == "caregiver.exists"
    [slot, other] = await caregivers(core.uow(), await viewer(core, world.a.parent_5a))
    assert (slot.child.given_name, other.child.given_name) == ("Ērika", "Jānis")
    assert slot.carer is None
    assert other.carer is not None
    assert other.carer.full_name == "Vilma Ozola"
    assert other.connected


async def test_the_parent_revokes_the_carer_who_then_has_no_access(
    core: Core, world: World
) -> None:
    a = world.a
    await connect(core, await carer_for(core, world))
    parent = await viewer(core, a.parent_5a)
    carer = await revoke_caregiver(core.uow(), parent, pupil_id=a.pupil_5a)
    assert carer.full_name == "Anna Ozola"
    identity = await identify(core.uow(), telegram_user_id=GRANDMA)
    assert identity is not None
    assert not identity.active
    assert identity.viewer.children == frozenset()
    with pytest.raises(NotFound):
        await pupil_marks(core.uow(), identity.viewer, pupil_id=a.pupil_5a)
    with pytest.raises(NotFound) as caught:
        await revoke_caregiver(core.uow(), parent, pupil_id=a.pupil_5a)
    assert caught.value.key == "caregiver.not_found"
    # A new carer may be invited now.
    await carer_for(core, world, "Vilma Ozola")


async def test_a_pending_carer_invitation_can_be_revoked(core: Core, world: World) -> None:
    code = await carer_for(core, world)
    await revoke_caregiver(
        core.uow(), await viewer(core, world.a.parent_5a), pupil_id=world.a.pupil_5a
    )
    with pytest.raises(LinkRefused) as caught:
        await connect(core, code)
    assert caught.value.key == "link.code_revoked"


async def test_nobody_else_manages_a_childs_carers(core: Core, world: World) -> None:
    a = world.a
    await connect(core, await carer_for(core, world))
    for person in (a.parent_5a_second, world.b.parent_5a):
        stranger = await viewer(core, person)
        with pytest.raises(NotFound):
            await invite_caregiver(core.uow(), stranger, pupil_id=a.pupil_5a, name="Anna Ozola")
        with pytest.raises(NotFound):
            await revoke_caregiver(core.uow(), stranger, pupil_id=a.pupil_5a)
    teacher = await viewer(core, a.math_teacher)  # reads the pupil, but is not family
    with pytest.raises(NotAllowed):
        await invite_caregiver(core.uow(), teacher, pupil_id=a.pupil_5a, name="Anna Ozola")
    # The other parent of the same child is not the granter: nothing to revoke for them.
    assert (await identify(core.uow(), telegram_user_id=GRANDMA)) is not None


async def test_the_carers_name_must_be_a_name(core: Core, world: World) -> None:
    parent = await viewer(core, world.a.parent_5a)
    for bad in ("", "A", "x" * 101, "Anna <script>", "0123456789"):
        with pytest.raises(InvalidInput) as caught:
            await invite_caregiver(core.uow(), parent, pupil_id=world.a.pupil_5a, name=bad)
        assert caught.value.key == "caregiver.name_invalid"
    issued = await invite_caregiver(
        core.uow(), parent, pupil_id=world.a.pupil_5a, name="  Vecmāmiņa  "
    )
    assert (issued.given_name, issued.family_name) == ("Vecmāmiņa", "")
