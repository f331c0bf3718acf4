"""Accounts: who is writing from Telegram, their language, and console links (demo, support).

Linking by invitation or shared phone, and unlinking, are in ``core.services.linking``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.domain.access import Viewer
from core.domain.records import AccountRecord, AuditRecord, PersonRecord
from core.errors import InvalidInput, NotAllowed, NotFound
from core.i18n import LANGUAGES
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Identity:
    """A Telegram user known to the journal: their account, person and roles."""

    account: AccountRecord
    person: PersonRecord
    viewer: Viewer

    @property
    def active(self) -> bool:
        """False for a deactivated person: no rights, and front ends show "no access"."""
        return self.viewer.active


async def identify(
    uow: UnitOfWork, *, telegram_user_id: int, wrote: bool = False
) -> Identity | None:
    """The journal identity of a Telegram user, or None if the user is not linked.

    A deactivated person still gets an identity (so that front ends can say "no access"), but
    its viewer holds no roles, no children and ``active=False``: every policy refuses it.
    ``wrote`` says the user has just written or pressed a button: an account that deliveries had
    found unreachable (the bot was blocked) receives messages again.
    """
    async with uow:
        account = await uow.accounts.by_telegram_user(telegram_user_id)
        if account is None or account.status == "unlinked":
            return None
        if wrote and account.status == "unreachable":
            await uow.accounts.set_reachable(telegram_user_id, reachable=True)
            account = replace(account, status="active")
        person = await uow.directory.person(account.person_id)
        viewer = await uow.directory.viewer(account.person_id)
        if person is None or viewer is None:
            return None
        if not person.is_active:
            viewer = Viewer(person_id=person.id, active=False)
        await uow.accounts.touch(account.id, uow.clock.now())
        await uow.commit()
        return Identity(account, person, viewer)


async def record_reachability(uow: UnitOfWork, *, telegram_user_id: int, reachable: bool) -> bool:
    """The user blocked (False) or unblocked (True) the bot: deliveries stop or resume.

    Telegram reports both as a change of the bot's membership in the private chat; only the
    user's own account changes. Returns whether anything changed.
    """
    async with uow:
        changed = await uow.accounts.set_reachable(telegram_user_id, reachable=reachable)
        if changed:
            account = await uow.accounts.by_telegram_user(telegram_user_id)
            uow.audit(
                Viewer(person_id=account.person_id if account else None),
                AuditRecord(
                    action="account.reachable" if reachable else "account.unreachable",
                    entity="account",
                    entity_id=account.id if account else None,
                    school_id=None,
                    subject_person_id=account.person_id if account else None,
                ),
            )
        await uow.commit()
        return changed


async def choose_language(uow: UnitOfWork, *, telegram_user_id: int, language: str) -> None:
    """A linked user picks the language the bot speaks to them (only their own account)."""
    if language not in LANGUAGES:
        raise InvalidInput("account.language_invalid", language=language)
    async with uow:
        account = await uow.accounts.by_telegram_user(telegram_user_id)
        if account is None or account.status == "unlinked":
            raise NotFound("account.not_linked")
        await uow.accounts.set_language(account.id, language)
        await uow.commit()


async def link_account(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    person_id: int,
    telegram_user_id: int,
    chat_id: int,
    language: str = "lv",
) -> AccountRecord:
    """The console operator links a Telegram user to a person (demo personas, support cases)."""
    if not viewer.operator:
        raise NotAllowed("account.link_console_only")
    if language not in LANGUAGES:
        raise InvalidInput("account.language_invalid", language=language)
    async with uow:
        person = await uow.directory.person(person_id)
        if person is None:
            raise NotFound("person.not_found")
        account = await uow.accounts.link(
            person_id=person_id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            language=language,
            now=uow.clock.now(),
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="account.link",
                entity="account",
                entity_id=account.id,
                school_id=None,
                subject_person_id=person_id,
            ),
        )
        await uow.commit()
        return account
