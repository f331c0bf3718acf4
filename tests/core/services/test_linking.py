"""Connecting Telegram accounts: invitations, a second child, shared phones, the attempt limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core, build_core
from core.clock import FakeClock
from core.domain.invites import LinkOutcome, Purpose
from core.services.accounts import identify
from core.services.invites import IssuedInvite, issue_invite
from core.services.linking import LinkRefused, link_by_phone, redeem_invite, unlink_account
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, insert, viewer

USER, OTHER = 5001, 5002


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def invite(core: Core, issuer: int, person: int, purpose: Purpose) -> IssuedInvite:
    return await issue_invite(
        core.uow(), await viewer(core, issuer), purpose=purpose, person_id=person
    )


async def redeem(core: Core, code: str, user: int = USER, language: str = "en") -> object:
    return await redeem_invite(
        core.uow(), telegram_user_id=user, chat_id=user, code=code, language=language
    )


async def refused(core: Core, code: str, user: int = USER) -> str:
    with pytest.raises(LinkRefused) as caught:
        await redeem(core, code, user)
    return caught.value.key


async def share(
    core: Core, phone: str, user: int = USER, *, contact_user_id: int | None = None
) -> object:
    return await link_by_phone(
        core.uow(),
        telegram_user_id=user,
        chat_id=user,
        phone=phone,
        contact_user_id=user if contact_user_id is None else contact_user_id,
        language="lv",
    )


async def rows(core: Core, table: type[t.Base], **where: object) -> list[t.Base]:
    sessions = create_session_factory(core.engine)
    async with sessions() as session:
        query = select(table).filter_by(**where)
        return list(await session.scalars(query))


async def test_an_invitation_links_the_parent_who_then_follows_every_child(
    core: Core, world: World
) -> None:
    a = world.a
    issued = await invite(core, a.math_teacher, a.parent_5a, Purpose.GUARDIAN)
    linked = await redeem_invite(
        core.uow(), telegram_user_id=USER, chat_id=USER, code=issued.code, language="en"
    )
    assert linked.identity.person.id == a.parent_5a
    assert linked.identity.account.language == "en"
    assert linked.purpose is Purpose.GUARDIAN
    assert not linked.again
    assert [p.given_name for p in linked.pupils] == ["Ērika", "Jānis"]  # Latvian order
    identity = await identify(core.uow(), telegram_user_id=USER)
    assert identity is not None
    assert identity.viewer.children == {a.pupil_5a, a.pupil_2a}
    [entry] = await rows(core, t.AuditEntry, action="account.link")
    assert entry.after is not None
    assert entry.after["invite_id"] == issued.invite_id
    assert issued.code not in str(entry.after)


async def test_a_second_code_for_another_child_attaches_to_the_same_account(
    core: Core, world: World
) -> None:
    a = world.a
    first = await invite(core, a.math_teacher, a.parent_5a, Purpose.GUARDIAN)  # for Jānis, 5.a
    await redeem(core, first.code)
    second = await invite(core, a.latvian_teacher, a.parent_5a, Purpose.GUARDIAN)  # Ērika, 2.a
    assert [p.given_name for p in second.pupils] == ["Ērika"]
    again = await redeem_invite(
        core.uow(), telegram_user_id=USER, chat_id=USER, code=second.code, language="lv"
    )
    assert again.again
    assert again.identity.person.id == a.parent_5a
    assert len(await rows(core, t.Account)) == 1
    assert await refused(core, second.code, OTHER) == "link.code_used"


async def test_a_code_for_a_different_person_is_refused_and_stays_usable(
    core: Core, world: World
) -> None:
    a = world.a
    mine = await invite(core, a.superuser, a.parent_5a, Purpose.GUARDIAN)
    theirs = await invite(core, a.superuser, a.parent_5a_second, Purpose.GUARDIAN)
    await redeem(core, mine.code)
    assert await refused(core, theirs.code) == "link.other_person"
    identity = await identify(core.uow(), telegram_user_id=USER)
    assert identity is not None
    assert identity.person.id == a.parent_5a
    other = await redeem_invite(
        core.uow(), telegram_user_id=OTHER, chat_id=OTHER, code=theirs.code, language="lv"
    )
    assert other.identity.person.id == a.parent_5a_second


async def test_unknown_and_malformed_codes_are_refused(core: Core, world: World) -> None:
    assert await refused(core, "AAAAAAAAAAAAAAAA") == "link.code_unknown"
    assert await refused(core, "not a code at all!") == "link.code_unknown"
    attempts = await rows(core, t.LinkAttempt, telegram_user_id=USER)
    assert [row.outcome for row in attempts] == ["unknown", "unknown"]  # type: ignore[attr-defined]
    refusals = await rows(core, t.AuditEntry, action="account.link_refused")
    assert len(refusals) == 2


async def test_the_sixth_wrong_attempt_within_an_hour_is_refused_without_being_checked(
    core: Core, world: World, clock: FakeClock
) -> None:
    valid = await invite(core, world.a.superuser, world.a.parent_5a, Purpose.GUARDIAN)
    for number in range(5):
        assert await refused(core, f"wrong-code-{number:06d}") == "link.code_unknown"
        clock.advance(timedelta(minutes=5))
    # The sixth attempt carries a valid code, but it is not even looked at.
    assert await refused(core, valid.code) == "link.too_many_attempts"
    assert await identify(core.uow(), telegram_user_id=USER) is None
    # The count lives in the database: a restarted process (new engine) still refuses.
    restarted = build_core(core.settings, clock)
    try:
        assert await refused(restarted, valid.code) == "link.too_many_attempts"
    finally:
        await restarted.close()
    # Another Telegram user is not affected.
    await redeem(core, valid.code, OTHER)
    # Refused-unchecked attempts do not extend the window: an hour after the first failure
    # one more attempt is allowed again.
    clock.advance(timedelta(minutes=36))
    assert await refused(core, "wrong-code-again") == "link.code_unknown"
    outcomes = [r.outcome for r in await rows(core, t.LinkAttempt, telegram_user_id=USER)]  # type: ignore[attr-defined]
    assert outcomes.count(LinkOutcome.LIMITED.value) == 2


async def test_failed_phone_attempts_count_toward_the_limit(core: Core, world: World) -> None:
    for _ in range(5):
        with pytest.raises(LinkRefused):
            await share(core, "+37120000000")
    with pytest.raises(LinkRefused) as caught:
        await share(core, "+37129000001")  # Līga's own number, but over the limit
    assert caught.value.key == "link.too_many_attempts"


async def test_a_shared_own_contact_with_the_recorded_number_links_the_parent(
    core: Core, world: World
) -> None:
    linked = await share(core, "37129000001")  # Telegram sends numbers without "+"
    assert linked.identity.person.id == world.a.parent_5a  # type: ignore[attr-defined]
    [entry] = await rows(core, t.AuditEntry, action="account.link")
    assert entry.after == {"method": "phone", "again": False}
    assert "29000001" not in str(entry.after)


async def test_a_forwarded_contact_is_refused(core: Core, world: World) -> None:
    with pytest.raises(LinkRefused) as caught:
        await share(core, "+37129000001", contact_user_id=OTHER)
    assert caught.value.key == "link.phone_not_own"
    with pytest.raises(LinkRefused) as caught:  # a contact without a user id is not own either
        await link_by_phone(
            core.uow(),
            telegram_user_id=USER,
            chat_id=USER,
            phone="+37129000001",
            contact_user_id=None,
            language="lv",
        )
    assert caught.value.key == "link.phone_not_own"
    assert await identify(core.uow(), telegram_user_id=USER) is None


async def test_an_unknown_number_or_a_pupils_number_does_not_link(
    core: Core, world: World
) -> None:
    with pytest.raises(LinkRefused) as caught:
        await share(core, "+37120000000")
    assert caught.value.key == "link.phone_no_match"
    # Pupils connect by invitation only, even when their number is recorded.
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        pupil = await session.get_one(t.Person, world.a.pupil_5a)
        pupil.phone = "+37120000009"
    with pytest.raises(LinkRefused) as caught:
        await share(core, "+371 2000 0009")
    assert caught.value.key == "link.phone_no_match"


async def test_a_number_recorded_for_two_people_is_ambiguous(core: Core, world: World) -> None:
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        second = await session.get_one(t.Person, world.a.parent_5a_second)
        second.phone = "+37129000001"
    with pytest.raises(LinkRefused) as caught:
        await share(core, "+37129000001")
    assert caught.value.key == "link.phone_ambiguous"


async def test_staff_link_by_phone_and_deactivated_people_do_not(core: Core, world: World) -> None:
    a = world.a
    sessions = create_session_factory(core.engine)
    async with sessions() as session, session.begin():
        teacher = await session.get_one(t.Person, a.other_teacher)
        teacher.phone = "+37126000001"
        gone = await session.get_one(t.Person, a.parent_5a_second)
        gone.is_active = False
    linked = await share(core, "+37126000001")
    assert linked.identity.person.id == a.other_teacher  # type: ignore[attr-defined]
    with pytest.raises(LinkRefused) as caught:
        await share(core, "+37129000002", OTHER)
    assert caught.value.key == "link.phone_no_match"


async def test_a_linked_user_unlinks_with_logout(core: Core, world: World) -> None:
    await share(core, "+37129000001")
    await unlink_account(core.uow(), telegram_user_id=USER)
    assert await identify(core.uow(), telegram_user_id=USER) is None
    [entry] = await rows(core, t.AuditEntry, action="account.unlink")
    assert entry.subject_person_id == world.a.parent_5a
    sessions = create_session_factory(core.engine)
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(t.Account))
    assert count == 1  # the row stays (status "unlinked"), so the audit trail holds
    # Unlinked, the same person can connect again (here with a fresh invitation).
    again = await invite(core, world.a.superuser, world.a.parent_5a, Purpose.GUARDIAN)
    await redeem(core, again.code)
    assert await identify(core.uow(), telegram_user_id=USER) is not None


async def test_rows_helper_sees_inserted_rows(core: Core, world: World) -> None:
    now = core.clock.now()
    await insert(core, t.LinkAttempt(telegram_user_id=1, at=now, method="code", outcome="unknown"))
    assert len(await rows(core, t.LinkAttempt, telegram_user_id=1)) == 1
