"""Owns the identity cache: who a Telegram user is, remembered for a few seconds per process.

Every update needs the sender's identity (account, person, roles) and, for parents, their
children's names: about ten statements on a miss. The cache keeps them for ``ttl`` seconds, and
drops every entry at once when this process writes anything an identity is made of
(``JournalCore.identity_version`` moves: a deactivation, an unlink, a new role, a language), so
a change made through this bot applies to the very next update. A change made by another process
(the console, another worker) applies within ``ttl`` seconds; ``docs/security.md`` says why that
is acceptable.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.journal import Child, ChildDirectory, JournalCore
from core.services.accounts import Identity, identify

IDENTITY_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class _Entry:
    identity: Identity | None
    family: tuple[Child, ...]
    version: int
    loaded: float


class IdentityCache:
    """Identities and children's names by Telegram user, for ``ttl`` seconds (bounded LRU)."""

    def __init__(
        self,
        core: JournalCore,
        children: ChildDirectory,
        *,
        ttl: float = IDENTITY_TTL_S,
        max_users: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.core = core
        self.children = children
        self.ttl = ttl
        self.max_users = max_users
        self.clock = clock
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    async def lookup(
        self, telegram_user_id: int, *, wrote: bool
    ) -> tuple[Identity | None, tuple[Child, ...]]:
        """The identity (None: not linked) and children of a user, cached or loaded now.

        ``wrote`` (the user wrote or pressed a button) makes an account that deliveries found
        unreachable reachable again: such an entry is always loaded afresh.
        """
        entry = self._entries.get(telegram_user_id)
        if (
            entry is not None
            and entry.version == self.core.identity_version()
            and self.clock() - entry.loaded < self.ttl
            and not (wrote and entry.identity and entry.identity.account.status == "unreachable")
        ):
            self._entries.move_to_end(telegram_user_id)
            return entry.identity, entry.family
        # The version before loading: a write while loading leaves the entry stale, never wrong.
        version, loaded = self.core.identity_version(), self.clock()
        identity = await identify(self.core.uow(), telegram_user_id=telegram_user_id, wrote=wrote)
        family = tuple(await self.children.children(identity.viewer)) if identity else ()
        self._entries[telegram_user_id] = _Entry(identity, family, version, loaded)
        self._entries.move_to_end(telegram_user_id)
        if len(self._entries) > self.max_users:
            self._entries.popitem(last=False)
        return identity, family

    def forget(self) -> None:
        """Drop every entry."""
        self._entries.clear()
