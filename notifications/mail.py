"""Owns journal mail's deliveries: a message to each recipient's chat, read receipts, reports.

Fan-out of core's mail events (``core.services.mail``); what a message says comes from core's
system reads (``delivery_notice``, ``read_notice``, ``report_notice``), accounts through the
outbox. Mail is person to person: quiet hours hold it like every direct message; the
mark/absence/news preferences and digests do not apply (``policy.direct``). No account →
``not_connected``, an unreachable one → ``unreachable``: recorded, never sent.

- ``mail.sent`` → each recipient: "✉️ <b>Līga Bērziņa</b> (mother — Jānis Bērziņš, 5.a):
  <b>Excursion</b>", the text, a hint how to answer, and the buttons "↩️ Reply", "✓ Read",
  "🚩 Report". An attachment goes as the document with the message as its caption. The
  payload names the mail message (``mail_message_id``): once sent, the Telegram ids of its
  parts are stored (``mail_chat_messages``), so that a Telegram reply threads back.
  Key ``mail:<message>:p<person>``.
- ``mail.read`` → each sender whose message was read: "✓✓ <b>Māra Ozola</b> read your
  message “Excursion” at 14:32". Key ``mail-read:<message>:p<sender>``.
- ``mail.reported`` → the school's deputy directors (else its director), never the reported
  sender: who reported whom, the subject, the reason and the message, with "⛔ Suspend for 7
  days" / "⛔ Suspend until lifted". Key ``mail-report:<report>:p<person>``.

Buttons carry the bot's ``MailCb(action, ref, arg).pack()`` strings (notifications never
import the bot; a test keeps both equal); the bot's services authorize every press again.
Reads through the outbox and core's read services, writes deliveries only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.mail import MailRead, MailReported, MailSent
from core.i18n import Catalogs
from core.ports import UnitOfWork
from core.services.mail import (
    MailNotice,
    ReadNotice,
    ReportNotice,
    delivery_notice,
    read_notice,
    report_notice,
)
from notifications.messages import InlineButton, InlineKeyboard, OutboundMessage, esc
from notifications.outbox import OutboxTx
from notifications.policy import Rules, direct
from notifications.records import Account, NewDelivery, StoredEvent

SENT = MailSent.kind
READ = MailRead.kind
REPORTED = MailReported.kind
SUSPEND_DAYS = 7

# The bot's ``MailCb(action=…, ref=…, arg=…).pack()``: ``ml:<action>:<ref>:<arg>``.
# Notifications never import the bot; a test keeps the two equal.
MAIL_CALLBACK = "ml:{action}:{ref}:{arg}"


def mail_callback(action: str, ref: int, arg: int = 0) -> str:
    """The callback data of a mail button (reply, read, report, suspend)."""
    return MAIL_CALLBACK.format(action=action, ref=int(ref), arg=int(arg))


def mail_key(message_id: int, person_id: int) -> str:
    """``mail:<message>:p<person>``: one delivery per message and recipient."""
    return f"mail:{int(message_id)}:p{int(person_id)}"


def read_key(message_id: int, sender_id: int) -> str:
    """``mail-read:<message>:p<sender>``: one receipt per message read."""
    return f"mail-read:{int(message_id)}:p{int(sender_id)}"


def report_key(report_id: int, person_id: int) -> str:
    """``mail-report:<report>:p<person>``: one notice per report and manager."""
    return f"mail-report:{int(report_id)}:p{int(person_id)}"


@dataclass(frozen=True, slots=True)
class MailReads:
    """Core's system reads of what mail deliveries say (one unit of work each)."""

    sent: Callable[[int], Awaitable[MailNotice | None]]
    read: Callable[[int, int, Sequence[int]], Awaitable[ReadNotice | None]]
    reported: Callable[[int], Awaitable[ReportNotice | None]]


def mail_reads(core_uow: Callable[[], UnitOfWork]) -> MailReads:
    """Core's ``delivery_notice``, ``read_notice`` and ``report_notice`` on fresh units of work."""

    async def sent(message_id: int) -> MailNotice | None:
        return await delivery_notice(core_uow(), message_id=message_id)

    async def read(thread_id: int, reader_id: int, ids: Sequence[int]) -> ReadNotice | None:
        return await read_notice(
            core_uow(), thread_id=thread_id, reader_id=reader_id, message_ids=ids
        )

    async def reported(report_id: int) -> ReportNotice | None:
        return await report_notice(core_uow(), report_id=report_id)

    return MailReads(sent, read, reported)


class MailNotices:
    """Turns ``mail.sent``, ``mail.read`` and ``mail.reported`` into deliveries.

    Args:
        catalogs: Texts (core's, for the sender's role, and this package's).
        rules: Quiet hours.
        reads: Core's read services.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules, reads: MailReads) -> None:
        self.catalogs = catalogs
        self.rules = rules
        self.reads = reads

    async def on_sent(self, tx: OutboxTx, event: StoredEvent, now: datetime) -> list[NewDelivery]:
        """One delivery per active recipient of the message."""
        notice = await self.reads.sent(int(event.payload["message_id"]))
        if notice is None or not notice.recipients:
            return []
        accounts = await tx.accounts([r.person_id for r in notice.recipients])
        zone = ZoneInfo(notice.time_zone)
        rows = []
        for recipient in notice.recipients:
            account = accounts.get(recipient.person_id)
            lang = _language(account, notice.locale)
            role = self.catalogs.text(
                recipient.sender_role.key, lang, **recipient.sender_role.values()
            )
            text = self._sent_text(notice, lang, role)
            keyboard = self._mail_keyboard(lang, notice.message_id)
            if notice.file is not None:
                message = OutboundMessage(
                    file_id=notice.file.file_id,
                    caption=text,
                    language=lang,
                    keyboard=keyboard,
                    mail_message_id=notice.message_id,
                )
            else:
                message = OutboundMessage(
                    text=text,
                    language=lang,
                    keyboard=keyboard,
                    mail_message_id=notice.message_id,
                )
            rows.append(
                self._delivery(
                    mail_key(notice.message_id, recipient.person_id),
                    event,
                    message,
                    person=recipient.person_id,
                    account=account,
                    zone=zone,
                    now=now,
                )
            )
        return rows

    async def on_read(self, tx: OutboxTx, event: StoredEvent, now: datetime) -> list[NewDelivery]:
        """A read receipt for each sender whose message the reader read."""
        ids = [int(i) for i in event.payload.get("message_ids", [])]
        notice = await self.reads.read(
            int(event.payload["thread_id"]), int(event.payload["reader_id"]), ids
        )
        if notice is None:
            return []
        accounts = await tx.accounts([r.sender_id for r in notice.receipts])
        zone = ZoneInfo(notice.time_zone)
        rows = []
        for receipt in notice.receipts:
            account = accounts.get(receipt.sender_id)
            lang = _language(account, notice.locale)
            read_at = receipt.read_at.astimezone(zone)
            when = (
                read_at.strftime("%H:%M")
                if read_at.date() == now.astimezone(zone).date()
                else read_at.strftime("%d.%m. %H:%M")
            )
            text = self.catalogs.text(
                "notify.mail.read",
                lang,
                reader=esc(notice.reader),
                subject=esc(receipt.subject),
                time=when,
            )
            rows.append(
                self._delivery(
                    read_key(receipt.message_id, receipt.sender_id),
                    event,
                    OutboundMessage(text=text, language=lang),
                    person=receipt.sender_id,
                    account=account,
                    zone=zone,
                    now=now,
                )
            )
        return rows

    async def on_reported(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The school's deputy directors hear of a report, with buttons to suspend the sender."""
        notice = await self.reads.reported(int(event.payload["report_id"]))
        if notice is None or not notice.managers:
            return []
        accounts = await tx.accounts(list(notice.managers))
        zone = ZoneInfo(notice.time_zone)
        rows = []
        for manager in notice.managers:
            account = accounts.get(manager)
            lang = _language(account, notice.locale)
            text = self.catalogs.text(
                "notify.mail.reported",
                lang,
                reporter=esc(notice.reporter),
                sender=esc(notice.sender),
                subject=esc(notice.subject),
                reason=esc(notice.reason),
                body=esc(notice.body),
            )
            keyboard: InlineKeyboard = ()
            if notice.sender_id is not None:
                keyboard = (
                    (
                        InlineButton(
                            text=self.catalogs.text(
                                "notify.mail.report.suspend_week", lang, days=SUSPEND_DAYS
                            ),
                            callback_data=mail_callback("susp", notice.report_id, SUSPEND_DAYS),
                        ),
                    ),
                    (
                        InlineButton(
                            text=self.catalogs.text("notify.mail.report.suspend", lang),
                            callback_data=mail_callback("susp", notice.report_id, 0),
                        ),
                    ),
                )
            rows.append(
                self._delivery(
                    report_key(notice.report_id, manager),
                    event,
                    OutboundMessage(text=text, language=lang, keyboard=keyboard),
                    person=manager,
                    account=account,
                    zone=zone,
                    now=now,
                )
            )
        return rows

    def _sent_text(self, notice: MailNotice, lang: str, role: str) -> str:
        key = "notify.mail.reply" if notice.reply else "notify.mail.sent"
        parts = [
            self.catalogs.text(
                key, lang, sender=esc(notice.sender), role=esc(role), subject=esc(notice.subject)
            )
        ]
        if notice.body:
            parts += ["", esc(notice.body)]
        parts += ["", self.catalogs.text("notify.mail.hint", lang)]
        return "\n".join(parts)

    def _mail_keyboard(self, lang: str, message_id: int) -> InlineKeyboard:
        def button(key: str, action: str) -> InlineButton:
            return InlineButton(
                text=self.catalogs.text(key, lang), callback_data=mail_callback(action, message_id)
            )

        return (
            (
                button("notify.mail.button.reply", "reply"),
                button("notify.mail.button.read", "read"),
            ),
            (button("notify.mail.button.report", "report"),),
        )

    def _delivery(
        self,
        key: str,
        event: StoredEvent,
        message: OutboundMessage,
        *,
        person: int,
        account: Account | None,
        zone: ZoneInfo,
        now: datetime,
    ) -> NewDelivery:
        status, due = direct(account, self.rules, zone=zone, now=now)
        return NewDelivery(
            key=key,
            kind=event.kind,
            payload=message.model_dump(exclude_defaults=True),
            not_before=due,
            status=status,
            recipient_id=person,
            chat_id=None if account is None else account.chat_id,
            event_id=event.id,
        )


def _language(account: Account | None, locale: str) -> str:
    return account.language if account is not None and account.language else locale
