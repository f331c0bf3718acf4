"""Connecting a Telegram account to a person: by invitation code, by shared phone; and /logout.

The code (or the verified phone) is the credential, so these services take the Telegram user,
not a viewer. Failed attempts are counted per Telegram user in the database; past the limit an
attempt is refused without being checked. Every link, unlink and failure is audited, with the
invitation's id when known and never the code or the phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NoReturn

from core.domain.access import Viewer
from core.domain.invites import (
    ATTEMPT_WINDOW,
    InviteState,
    LinkOutcome,
    Purpose,
    clean_payload,
    code_hash,
    invite_state,
    is_locked,
)
from core.domain.people import GuardianRelation, normalize_phone
from core.domain.records import AccountRecord, AuditRecord, InviteRecord, PupilSummary
from core.errors import DomainError, NotFound
from core.i18n import LANGUAGES
from core.ports import UnitOfWork
from core.services.accounts import Identity
from core.services.directory import sort_pupils

Method = Literal["code", "phone"]

REFUSAL_KEYS: dict[LinkOutcome, str] = {
    LinkOutcome.LIMITED: "link.too_many_attempts",
    LinkOutcome.UNKNOWN: "link.code_unknown",
    LinkOutcome.EXPIRED: "link.code_expired",
    LinkOutcome.USED: "link.code_used",
    LinkOutcome.REVOKED: "link.code_revoked",
    LinkOutcome.OTHER_PERSON: "link.other_person",
    LinkOutcome.NOT_OWN_PHONE: "link.phone_not_own",
    LinkOutcome.NO_MATCH: "link.phone_no_match",
    LinkOutcome.AMBIGUOUS: "link.phone_ambiguous",
}
_STATE_OUTCOMES = {
    InviteState.EXPIRED: LinkOutcome.EXPIRED,
    InviteState.USED: LinkOutcome.USED,
    InviteState.REVOKED: LinkOutcome.REVOKED,
}


class LinkRefused(DomainError):
    """An attempt to connect failed; ``outcome`` says why and the key is its localized reason."""

    key = "link.refused"

    def __init__(self, outcome: LinkOutcome) -> None:
        super().__init__(REFUSAL_KEYS[outcome])
        self.outcome = outcome


@dataclass(frozen=True, slots=True)
class Linked:
    """A Telegram account now connected: who it is, whom they follow, and how it happened.

    ``again`` is True when the account was already connected to this person (a second
    invitation, e.g. from another child's class teacher, or the same phone once more).
    """

    identity: Identity
    pupils: tuple[PupilSummary, ...]
    method: Method
    purpose: Purpose | None
    again: bool


async def redeem_invite(
    uow: UnitOfWork, *, telegram_user_id: int, chat_id: int, code: str | None, language: str
) -> Linked:
    """A Telegram user opens an invitation link: connect them to the invited person."""
    payload = clean_payload(code)
    async with uow:
        attempt = await _Attempt.start(uow, telegram_user_id, "code")
        linked_to = attempt.linked_to
        invite = await uow.invites.by_hash(code_hash(payload)) if payload else None
        if invite is None:
            await attempt.refuse(LinkOutcome.UNKNOWN)
        state = invite_state(
            expires_at=invite.expires_at,
            used_at=invite.used_at,
            revoked_at=invite.revoked_at,
            now=uow.clock.now(),
        )
        if state is not InviteState.VALID:
            await attempt.refuse(_STATE_OUTCOMES[state], invite)
        person = await uow.directory.person(invite.person_id)
        if person is None or not person.is_active:
            await attempt.refuse(LinkOutcome.REVOKED, invite)
        if linked_to is not None and linked_to != invite.person_id:
            await attempt.refuse(LinkOutcome.OTHER_PERSON, invite)
        if invite.purpose == Purpose.CAREGIVER and not await _grant_caregiver(uow, invite):
            await attempt.refuse(LinkOutcome.REVOKED, invite)
        account = await _link(
            uow,
            person_id=invite.person_id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            language=language,
        )
        await uow.invites.mark_used(invite.id, account_id=account.id, now=uow.clock.now())
        _audit_link(uow, account, "code", again=linked_to is not None, invite=invite)
        linked = await _linked(uow, account, "code", Purpose(invite.purpose), linked_to)
        await uow.commit()
        return linked


async def link_by_phone(
    uow: UnitOfWork,
    *,
    telegram_user_id: int,
    chat_id: int,
    phone: str,
    contact_user_id: int | None,
    language: str,
) -> Linked:
    """A parent or staff member shares their own contact: connect them if the number is theirs.

    Accepted only when the contact is the sender's own (Telegram verified that number) and it
    matches the phone recorded for exactly one active guardian or staff member. Pupils connect
    by invitation only.
    """
    async with uow:
        attempt = await _Attempt.start(uow, telegram_user_id, "phone")
        linked_to = attempt.linked_to
        if contact_user_id != telegram_user_id:
            await attempt.refuse(LinkOutcome.NOT_OWN_PHONE)
        normalized = normalize_phone(phone)
        candidates = await _phone_owners(uow, normalized) if normalized else []
        if not candidates:
            await attempt.refuse(LinkOutcome.NO_MATCH)
        if len(candidates) > 1:
            await attempt.refuse(LinkOutcome.AMBIGUOUS)
        [person_id] = candidates
        if linked_to is not None and linked_to != person_id:
            await attempt.refuse(LinkOutcome.OTHER_PERSON)
        account = await _link(
            uow,
            person_id=person_id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            language=language,
        )
        _audit_link(uow, account, "phone", again=linked_to is not None)
        linked = await _linked(uow, account, "phone", None, linked_to)
        await uow.commit()
        return linked


async def unlink_account(uow: UnitOfWork, *, telegram_user_id: int) -> None:
    """A user disconnects their own Telegram account (/logout)."""
    async with uow:
        account = await uow.accounts.by_telegram_user(telegram_user_id)
        if account is None or account.status == "unlinked":
            raise NotFound("account.not_linked")
        await uow.accounts.unlink(account.id)
        uow.audit(
            Viewer(person_id=account.person_id),
            AuditRecord(
                action="account.unlink",
                entity="account",
                entity_id=account.id,
                school_id=None,
                subject_person_id=account.person_id,
                after={"by": "self"},
            ),
        )
        await uow.commit()


# ------------------------------------------------------------------------------------ helpers


@dataclass(slots=True)
class _Attempt:
    """One attempt to connect: who tries how, and the person the account is linked to now."""

    uow: UnitOfWork
    telegram_user_id: int
    method: Method
    linked_to: int | None

    @classmethod
    async def start(cls, uow: UnitOfWork, telegram_user_id: int, method: Method) -> _Attempt:
        """Begin; refused unchecked when the user is over the limit of failed attempts."""
        account = await uow.accounts.by_telegram_user(telegram_user_id)
        linked_to = account.person_id if account and account.status != "unlinked" else None
        attempt = cls(uow, telegram_user_id, method, linked_to)
        since = uow.clock.now() - ATTEMPT_WINDOW
        if is_locked(await uow.invites.failures_since(telegram_user_id, since)):
            await attempt.refuse(LinkOutcome.LIMITED)
        return attempt

    async def refuse(self, outcome: LinkOutcome, invite: InviteRecord | None = None) -> NoReturn:
        """Count and audit the failure, commit that, and raise the localized refusal."""
        uow = self.uow
        await uow.invites.record_attempt(
            self.telegram_user_id, method=self.method, outcome=outcome.value, at=uow.clock.now()
        )
        uow.audit(
            Viewer(person_id=self.linked_to),
            AuditRecord(
                action="account.link_refused",
                entity="invite" if invite else "account",
                entity_id=invite.id if invite else None,
                school_id=invite.school_id if invite else None,
                subject_person_id=invite.person_id if invite else None,
                after={
                    "method": self.method,
                    "outcome": outcome.value,
                    "telegram_user_id": self.telegram_user_id,
                },
            ),
        )
        await uow.commit()
        raise LinkRefused(outcome)


async def _phone_owners(uow: UnitOfWork, phone: str) -> list[int]:
    """Active guardians (with full rights) and staff members recorded with this number."""
    owners = []
    for person_id in await uow.roster.by_phone(phone):
        viewer = await uow.directory.viewer(person_id)
        if viewer is not None and (viewer.children - viewer.read_only_children or viewer.is_staff):
            owners.append(person_id)
    return owners


async def _grant_caregiver(uow: UnitOfWork, invite: InviteRecord) -> bool:
    """Give the invited carer read-only access to the child, if the granting parent still can."""
    if invite.issued_by is None or invite.pupil_id is None:
        return False
    granter = await uow.directory.viewer(invite.issued_by)
    if granter is None or not granter.active:
        return False
    if invite.pupil_id not in granter.children - granter.read_only_children:
        return False
    if await uow.people.guardianship(invite.person_id, invite.pupil_id) is None:
        await uow.roster.add_guardianship(
            guardian_id=invite.person_id,
            pupil_id=invite.pupil_id,
            relation=GuardianRelation.OTHER.value,
            read_only=True,
            granted_by=invite.issued_by,
        )
    return True


async def _link(
    uow: UnitOfWork, *, person_id: int, telegram_user_id: int, chat_id: int, language: str
) -> AccountRecord:
    """Connect (or confirm) the account, keeping the language an existing account chose."""
    existing = await uow.accounts.by_telegram_user(telegram_user_id)
    if existing is not None:
        language = existing.language
    return await uow.accounts.link(
        person_id=person_id,
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        language=language if language in LANGUAGES else "lv",
        now=uow.clock.now(),
    )


def _audit_link(
    uow: UnitOfWork,
    account: AccountRecord,
    method: Method,
    *,
    again: bool,
    invite: InviteRecord | None = None,
) -> None:
    after: dict[str, object] = {"method": method, "again": again}
    if invite is not None:
        after |= {"invite_id": invite.id, "purpose": invite.purpose}
    uow.audit(
        Viewer(person_id=account.person_id),
        AuditRecord(
            action="account.link",
            entity="account",
            entity_id=account.id,
            school_id=invite.school_id if invite else None,
            subject_person_id=account.person_id,
            after=after,
        ),
    )


async def _linked(
    uow: UnitOfWork,
    account: AccountRecord,
    method: Method,
    purpose: Purpose | None,
    linked_to: int | None,
) -> Linked:
    """The result: the new identity and the pupils it follows (read inside the transaction)."""
    # The ledger records successes too: a complete trail of attempts per Telegram user.
    await uow.invites.record_attempt(
        account.telegram_user_id, method=method, outcome=LinkOutcome.LINKED, at=uow.clock.now()
    )
    person = await uow.directory.person(account.person_id)
    viewer = await uow.directory.viewer(account.person_id)
    if person is None or viewer is None:  # pragma: no cover - checked before linking
        raise NotFound("person.not_found")
    follows = set(viewer.children)
    if viewer.is_pupil:
        follows.add(person.id)
    pupils = sort_pupils(await uow.directory.pupil_summaries(follows))
    return Linked(
        Identity(account, person, viewer),
        pupils,
        method,
        purpose,
        again=linked_to == account.person_id,
    )
