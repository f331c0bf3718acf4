"""The identity cache: a change made in this process applies to the very next update; one made by
another process (the console, another worker) within the cache's few seconds, never later.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.identities import IDENTITY_TTL_S, IdentityCache
from bot.journal import CoreChildDirectory
from core.bootstrap import Core, build_core
from core.domain.records import AuditRecord
from core.services.accounts import identify, record_reachability
from core.services.deactivation import deactivate_person
from core.services.linking import unlink_account
from core.storage import tables as t
from tests.bot.harness import link
from tests.builders import build_world, viewer

PARENT = 9701


def _cache(core: Core, now: list[float]) -> IdentityCache:
    return IdentityCache(core, CoreChildDirectory(core), clock=lambda: now[0])


async def test_a_deactivation_here_applies_to_the_next_update(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT)
    now = [0.0]
    cache = _cache(core, now)
    identity, family = await cache.lookup(PARENT, wrote=True)
    assert identity is not None
    assert identity.active
    assert len(family) == 2

    superuser = await viewer(core, world.a.superuser)
    await deactivate_person(
        core.uow(), superuser, person_id=world.a.parent_5a, school_id=world.a.school_id
    )

    identity, family = await cache.lookup(PARENT, wrote=True)  # no time has passed
    assert identity is not None
    assert not identity.active
    assert not identity.viewer.children
    assert family == ()


async def test_a_change_by_another_process_applies_within_the_ttl(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT)
    now = [0.0]
    cache = _cache(core, now)
    assert (await cache.lookup(PARENT, wrote=True))[0] is not None
    console = build_core(core.settings, core.clock)  # another process on the same database
    try:
        await unlink_account(console.uow(), telegram_user_id=PARENT)
    finally:
        await console.close()

    now[0] += IDENTITY_TTL_S / 2  # this process cannot see that write: the entry still serves
    assert (await cache.lookup(PARENT, wrote=True))[0] is not None
    now[0] += IDENTITY_TTL_S / 2
    assert (await cache.lookup(PARENT, wrote=True)) == (None, ())


async def test_writing_again_makes_an_unreachable_account_reachable(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT)
    cache = _cache(core, [0.0])
    await record_reachability(core.uow(), telegram_user_id=PARENT, reachable=False)
    identity, _ = await cache.lookup(PARENT, wrote=False)  # e.g. a membership update
    assert identity is not None
    assert identity.account.status == "unreachable"

    identity, _ = await cache.lookup(PARENT, wrote=True)  # the user writes: loaded afresh
    assert identity is not None
    assert identity.account.status == "active"
    async with core.uow() as uow:
        status = await uow.session.scalar(  # type: ignore[attr-defined]
            select(t.Account.status).where(t.Account.telegram_user_id == PARENT)
        )
    assert status == "active"


async def test_the_version_moves_on_identity_writes_and_again_at_their_commit(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT)
    before = core.identity_version()
    async with core.uow() as uow:
        await uow.roster.set_active(world.a.parent_5a, False, core.clock.now())
        written = core.identity_version()
        await uow.commit()
    assert before < written < core.identity_version()

    # The "last seen" touch of every lookup and journal writes leave cached identities alone.
    settled = core.identity_version()
    await identify(core.uow(), telegram_user_id=PARENT, wrote=True)
    async with core.uow() as uow:
        await uow.session.scalar(select(func.count()).select_from(t.Mark))  # type: ignore[attr-defined]
        entry = AuditRecord("read.test", "pupil", None, None, None)
        uow.audit(await viewer(core, world.a.superuser), entry)
        await uow.commit()
    assert core.identity_version() == settled
