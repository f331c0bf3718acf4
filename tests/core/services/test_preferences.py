"""Notification preferences: own account only, validated, stored in the engine's shape, audited."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.errors import InvalidInput, NotFound
from core.services.accounts import link_account
from core.services.preferences import (
    DEFAULTS,
    NotificationDefaults,
    choosable_topics,
    notification_settings,
    set_digest_time,
    set_notification_mode,
    set_quiet_hours,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, viewer


async def account_of(core: Core, person_id: int, user_id: int) -> int:
    account = await link_account(
        core.uow(),
        Viewer.console(),
        person_id=person_id,
        telegram_user_id=user_id,
        chat_id=user_id,
    )
    return account.id


async def stored(core: Core, account_id: int) -> t.Account:
    async with create_session_factory(core.engine)() as session:
        row = await session.get(t.Account, account_id)
        assert row is not None
        return row


async def audit_actions(core: Core, account_id: int) -> list[tuple[str, object, object]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.AuditEntry)
            .where(t.AuditEntry.entity == "account", t.AuditEntry.entity_id == account_id)
            .order_by(t.AuditEntry.id)
        )
        return [(r.action, r.before, r.after) for r in rows if r.action.startswith("preferences")]


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def test_a_parent_sees_the_school_defaults_until_choosing(core: Core, world: World) -> None:
    parent = await viewer(core, world.a.parent_5a)
    account = await account_of(core, world.a.parent_5a, 501)
    settings = await notification_settings(core.uow(), parent, account_id=account)
    assert [(s.topic, s.mode, s.chosen) for s in settings.topics] == [
        ("mark", "instant", False),
        ("absence", "instant", False),
        ("homework", "digest", False),
        ("news", "instant", False),
    ]
    assert (settings.quiet, settings.quiet_chosen) == ((time(21), time(7)), False)
    assert (settings.digest_at, settings.digest_chosen) == (time(18), False)
    assert settings.language == "lv"

    configured = NotificationDefaults(
        modes={**DEFAULTS.modes, "mark": "digest"},
        quiet_from=time(22),
        quiet_to=time(6),
        digest_at=time(19, 30),
    )
    shown = await notification_settings(
        core.uow(), parent, account_id=account, defaults=configured
    )
    assert shown.mode("mark") == "digest"
    assert (shown.quiet, shown.digest_at) == ((time(22), time(6)), time(19, 30))


async def test_choices_are_stored_in_the_engines_shape_and_audited(
    core: Core, world: World
) -> None:
    parent = await viewer(core, world.a.parent_5a)
    account = await account_of(core, world.a.parent_5a, 501)
    await set_notification_mode(
        core.uow(), parent, account_id=account, topic="mark", mode="digest"
    )
    await set_notification_mode(core.uow(), parent, account_id=account, topic="news", mode="off")
    await set_quiet_hours(core.uow(), parent, account_id=account, start=time(22), end=time(7))
    settings = await set_digest_time(core.uow(), parent, account_id=account, at=time(16, 0))

    row = await stored(core, account)
    assert row.preferences == {"notify": {"mark": "digest", "news": "off"}, "digest_at": "16:00"}
    assert (row.quiet_from, row.quiet_to) == (time(22), time(7))
    assert settings.mode("mark") == "digest"
    assert settings.mode("news") == "off"
    assert settings.mode("absence") == "instant"  # untouched: still the school default
    assert (settings.quiet, settings.quiet_chosen) == ((time(22), time(7)), True)
    assert (settings.digest_at, settings.digest_chosen) == (time(16), True)
    assert await audit_actions(core, account) == [
        ("preferences.notify", {"mark": None}, {"mark": "digest"}),
        ("preferences.notify", {"news": None}, {"news": "off"}),
        ("preferences.quiet_hours", {"quiet": None}, {"quiet": "22:00-07:00"}),
        ("preferences.digest_time", {"digest_at": None}, {"digest_at": "16:00"}),
    ]

    # The same choice again changes nothing and writes no audit entry.
    await set_notification_mode(
        core.uow(), parent, account_id=account, topic="mark", mode="digest"
    )
    assert len(await audit_actions(core, account)) == 4

    # Back to the school's defaults; "no quiet hours" is equal ends.
    await set_digest_time(core.uow(), parent, account_id=account, at=None)
    off = await set_quiet_hours(core.uow(), parent, account_id=account, start=time(0), end=time(0))
    assert off.quiet is None
    assert off.quiet_chosen
    back = await set_quiet_hours(core.uow(), parent, account_id=account, start=None, end=None)
    assert (back.quiet, back.quiet_chosen, back.digest_chosen) == (
        (time(21), time(7)),
        False,
        False,
    )
    row = await stored(core, account)
    assert row.preferences == {"notify": {"mark": "digest", "news": "off"}}
    assert (row.quiet_from, row.quiet_to) == (None, None)


async def test_topics_follow_what_the_person_hears_about(core: Core, world: World) -> None:
    assert choosable_topics(await viewer(core, world.a.parent_5a)) == (
        "mark",
        "absence",
        "homework",
        "news",
    )
    assert choosable_topics(await viewer(core, world.a.pupil_5a)) == ("mark", "homework", "news")
    assert choosable_topics(await viewer(core, world.a.math_teacher)) == ("news",)

    teacher = await viewer(core, world.a.math_teacher)
    account = await account_of(core, world.a.math_teacher, 503)
    with pytest.raises(InvalidInput) as refused:
        await set_notification_mode(
            core.uow(), teacher, account_id=account, topic="mark", mode="off"
        )
    assert refused.value.key == "preferences.topic_unavailable"
    pupil = await viewer(core, world.a.pupil_5a)
    pupil_account = await account_of(core, world.a.pupil_5a, 502)
    with pytest.raises(InvalidInput):
        await set_notification_mode(
            core.uow(), pupil, account_id=pupil_account, topic="absence", mode="off"
        )
    with pytest.raises(InvalidInput) as bad_mode:
        await set_notification_mode(
            core.uow(), pupil, account_id=pupil_account, topic="mark", mode="loud"
        )
    assert bad_mode.value.key == "preferences.mode_invalid"
    assert (await stored(core, pupil_account)).preferences == {}


@pytest.mark.parametrize(
    "at",
    [time(5, 45), time(22, 15), time(18, 10), time(3, 30), time(18, 0, 30), time(0, 0)],
)
async def test_digest_times_outside_quarter_hours_from_six_to_ten_are_refused(
    core: Core, world: World, at: time
) -> None:
    parent = await viewer(core, world.a.parent_5a)
    account = await account_of(core, world.a.parent_5a, 501)
    with pytest.raises(InvalidInput) as refused:
        await set_digest_time(core.uow(), parent, account_id=account, at=at)
    assert refused.value.key == "preferences.digest_invalid"
    assert refused.value.params == {"earliest": "06:00", "latest": "22:00"}
    assert (await stored(core, account)).preferences == {}


async def test_digest_time_bounds_are_allowed(core: Core, world: World) -> None:
    parent = await viewer(core, world.a.parent_5a)
    account = await account_of(core, world.a.parent_5a, 501)
    for at in (time(6, 0), time(22, 0), time(7, 45)):
        settings = await set_digest_time(core.uow(), parent, account_id=account, at=at)
        assert settings.digest_at == at


async def test_quiet_hours_must_be_both_or_neither_and_whole_quarters(
    core: Core, world: World
) -> None:
    parent = await viewer(core, world.a.parent_5a)
    account = await account_of(core, world.a.parent_5a, 501)
    for start, end in ((time(21), None), (None, time(7)), (time(21, 5), time(7))):
        with pytest.raises(InvalidInput) as refused:
            await set_quiet_hours(core.uow(), parent, account_id=account, start=start, end=end)
        assert refused.value.key == "preferences.quiet_invalid"
    row = await stored(core, account)
    assert (row.quiet_from, row.quiet_to) == (None, None)


async def test_nobody_changes_another_persons_account(core: Core, world: World) -> None:
    parent_account = await account_of(core, world.a.parent_5a, 501)
    other_parent = await viewer(core, world.a.parent_5a_second)
    boss = await viewer(core, world.a.superuser)
    for who in (other_parent, boss, Viewer.console()):
        with pytest.raises(NotFound) as refused:
            await set_notification_mode(
                core.uow(), who, account_id=parent_account, topic="news", mode="off"
            )
        assert refused.value.key == "preferences.account_not_found"
        with pytest.raises(NotFound):
            await notification_settings(core.uow(), who, account_id=parent_account)
    with pytest.raises(NotFound):
        await set_quiet_hours(
            core.uow(), other_parent, account_id=parent_account, start=None, end=None
        )
    with pytest.raises(NotFound):
        await set_digest_time(core.uow(), other_parent, account_id=parent_account, at=time(7))
    with pytest.raises(NotFound):  # an id that does not exist reads the same
        await notification_settings(core.uow(), other_parent, account_id=999_999)
    row = await stored(core, parent_account)
    assert row.preferences == {}
    assert await audit_actions(core, parent_account) == []


async def test_a_deactivated_person_changes_nothing(core: Core, world: World) -> None:
    account = await account_of(core, world.a.parent_5a, 501)
    parent = await viewer(core, world.a.parent_5a)
    inactive = Viewer(person_id=parent.person_id, children=parent.children, active=False)
    with pytest.raises(NotFound):
        await set_notification_mode(
            core.uow(), inactive, account_id=account, topic="mark", mode="off"
        )
    assert (await stored(core, account)).preferences == {}
