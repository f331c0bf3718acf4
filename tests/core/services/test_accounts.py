"""Who is writing from Telegram, and whether deliveries can reach them."""

from __future__ import annotations

from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.accounts import identify, link_account, record_reachability
from tests.builders import build_world


async def test_blocking_stops_and_writing_again_resumes_deliveries(core: Core) -> None:
    world = await build_world(core)
    await link_account(
        core.uow(), Viewer.console(), person_id=world.a.parent_5a, telegram_user_id=71, chat_id=71
    )
    assert await record_reachability(core.uow(), telegram_user_id=71, reachable=False)
    seen = await identify(core.uow(), telegram_user_id=71)
    assert seen is not None
    assert seen.account.status == "unreachable"  # a blocked bot's own updates do not reset it
    wrote = await identify(core.uow(), telegram_user_id=71, wrote=True)
    assert wrote is not None
    assert wrote.account.status == "active"
    assert not await record_reachability(core.uow(), telegram_user_id=71, reachable=True)
    assert not await record_reachability(core.uow(), telegram_user_id=999, reachable=False)
