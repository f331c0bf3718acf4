"""Owns the absence-note notices: the "report the reason" button, new and decided notes.

- **The button** under the same-day absence message (fan-out of ``attendance.recorded``): for
  guardians with full rights, when the mark is an absence whose code is not justified by
  default, the absence is not justified already, a note could still cover the day and no
  submitted or accepted note does. It opens the bot's note dialog for that child.
- ``absence_note.submitted`` → the pupil's class teacher: "New absence note: Jānis Bērziņš
  (5.a), 30.11.–01.12. — /notes".
- ``absence_note.decided`` → the submitter and the pupil's other guardians with full rights
  (never carers, never the decider): accepted, or not accepted with the decision's reason.

Never the note's own reason or anything about health. Reads through the outbox, writes
deliveries only; quiet hours are respected, preferences and digests are not (``direct``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.domain.attendance import DEFAULT_ABSENCE_CODES, AbsenceCode
from core.domain.events import AbsenceNoteDecided, AbsenceNoteSubmitted
from core.domain.policy import SchoolPolicy, default_policy
from core.errors import DomainError
from core.i18n import Catalogs
from core.services.policies import policy_from_settings
from notifications.messages import InlineButton, InlineKeyboard, OutboundMessage, esc
from notifications.outbox import OutboxTx
from notifications.policy import Rules, direct
from notifications.records import (
    AbsenceFacts,
    Account,
    NewDelivery,
    NoteFacts,
    Recipient,
    StoredEvent,
)

SUBMITTED = AbsenceNoteSubmitted.kind
DECIDED = AbsenceNoteDecided.kind
DECISIONS = frozenset({"accepted", "rejected"})

# The bot's ``NoteFormCb(step="child", value=<pupil id>).pack()``: the first step of /absent for
# that child. Notifications never import the bot; a test keeps the two equal.
REPORT_CALLBACK = "nf:child:{pupil_id}"


def report_callback(pupil_id: int) -> str:
    """The callback data that opens the note dialog for a child."""
    return REPORT_CALLBACK.format(pupil_id=int(pupil_id))


def report_keyboard(catalogs: Catalogs, lang: str, pupil_id: int) -> InlineKeyboard:
    """One button, "📝 Report the reason", opening the note dialog for the child."""
    text = catalogs.text("notify.absence.report_button", lang)
    return ((InlineButton(text=text, callback_data=report_callback(pupil_id)),),)


def may_report(recipient: Recipient) -> bool:
    """Whether the recipient may report the child's absence: an active, full-rights guardian."""
    return recipient.relation == "guardian" and recipient.active and not recipient.read_only


async def report_offered(tx: OutboxTx, facts: AbsenceFacts, now: datetime) -> bool:
    """Whether the absence message offers the button (see the module's docstring)."""
    policy = _policy(facts)
    code = _code(policy, facts.code)
    if code is None or not code.counts_as_absence or code.justified_by_default:
        return False  # lateness, or a code that is excused from the start (``ns``)
    if facts.justification == "justified":
        return False
    today = now.astimezone(ZoneInfo(facts.time_zone)).date()
    if facts.on_date < today - timedelta(days=policy.note_max_days_back):
        return False  # too long ago for a note: the dialog could not cover it
    return not await tx.note_covers(facts.pupil_id, facts.on_date)


def _policy(facts: AbsenceFacts) -> SchoolPolicy:
    try:
        return policy_from_settings(facts.policy)
    except DomainError:
        return default_policy()


def _code(policy: SchoolPolicy, code: str) -> AbsenceCode | None:
    try:
        return policy.absence_code(code)
    except DomainError:
        return next((c for c in DEFAULT_ABSENCE_CODES if c.code == code), None)


def days_text(starts_on: date, ends_on: date) -> str:
    """A note's days as the bot writes them: 30.11. or 30.11.–01.12."""
    first = starts_on.strftime("%d.%m.")
    return first if starts_on == ends_on else f"{first}–{ends_on.strftime('%d.%m.')}"


def note_key(note_id: int, what: str, person_id: int) -> str:
    """``note:<note>:<submitted|decided>:p<person>``."""
    return f"note:{note_id}:{what}:p{person_id}"


class NoteNotices:
    """Turns ``absence_note.submitted`` and ``absence_note.decided`` into deliveries.

    Args:
        catalogs: Texts.
        rules: Quiet hours.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules) -> None:
        self.catalogs = catalogs
        self.rules = rules

    async def on_submitted(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The class teacher of the pupil's class hears of a note waiting for them.

        Nothing when the note was withdrawn or decided before the fan-out saw it, when the
        class has no class teacher, or when the class teacher submitted it (a parent too).
        """
        note = await _note(tx, event)
        class_id = event.payload.get("class_id")
        if note is None or note.status != "submitted" or class_id is None:
            return []
        klass = await tx.class_facts(int(class_id))
        if klass is None or klass.class_teacher_id is None:
            return []
        teacher = klass.class_teacher_id
        if teacher == event.actor_id or not await tx.active_people([teacher]):
            return []
        account = (await tx.accounts([teacher])).get(teacher)
        language = account.language if account is not None else note.locale
        text = self.catalogs.text(
            "notify.note.submitted",
            language,
            pupil=esc(f"{note.pupil_given_name} {note.pupil_family_name}"),
            class_name=esc(klass.name),
            days=days_text(note.starts_on, note.ends_on),
        )
        return [
            self._delivery(
                note, event, now, person=teacher, account=account, language=language, text=text
            )
        ]

    async def on_decided(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The submitter and the pupil's other full guardians hear the decision.

        A manager's later decision on the same note is a new message (``…:e<event>``); a
        replayed event writes nothing new.
        """
        status = str(event.payload.get("status"))
        note = await _note(tx, event)
        if note is None or status not in DECISIONS:
            return []
        people = await self._families(tx, note)
        people = [p for p in people if p.person_id != event.actor_id]
        if not people:
            return []
        by = "school"
        klass = await tx.pupil_class(note.pupil_id, note.school_id, _today(note, now))
        if klass is not None and event.actor_id is not None:
            by = "class_teacher" if klass.class_teacher_id == event.actor_id else "school"
        keys = {p.person_id: note_key(note.note_id, "decided", p.person_id) for p in people}
        earlier = {row.key: row for row in await tx.by_keys(list(keys.values()))}
        rows = []
        for person in people:
            key = keys[person.person_id]
            held = earlier.get(key)
            if held is not None and held.event_id != event.id:
                key = f"{key}:e{event.id}"  # a later decision of the same note
            language = person.account.language if person.account is not None else note.locale
            params = {"pupil": esc(note.pupil_given_name), "days": _days(note)}
            if status == "rejected":
                params["reason"] = esc(note.decision_reason or "—")
            text = self.catalogs.text(f"notify.note.{status}.{by}", language, **params)
            rows.append(
                self._delivery(
                    note,
                    event,
                    now,
                    person=person.person_id,
                    account=person.account,
                    language=language,
                    text=text,
                    key=key,
                )
            )
        return rows

    @staticmethod
    async def _families(tx: OutboxTx, note: NoteFacts) -> list[Recipient]:
        """The pupil's active guardians with full rights, and the submitter (a pupil may be)."""
        guardians, pupil = await tx.recipients_of_pupil(note.pupil_id)
        found = [g for g in guardians if may_report(g)]
        if (
            pupil is not None
            and pupil.active
            and note.submitted_by == pupil.person_id
            and all(g.person_id != pupil.person_id for g in found)
        ):
            found.append(pupil)
        return found

    def _delivery(
        self,
        note: NoteFacts,
        event: StoredEvent,
        now: datetime,
        *,
        person: int,
        account: Account | None,
        language: str,
        text: str,
        key: str | None = None,
    ) -> NewDelivery:
        status, due = direct(account, self.rules, zone=ZoneInfo(note.time_zone), now=now)
        what = "submitted" if event.kind == SUBMITTED else "decided"
        return NewDelivery(
            key=key or note_key(note.note_id, what, person),
            kind=event.kind,
            payload=OutboundMessage(text=text, language=language).model_dump(
                exclude_defaults=True
            ),
            not_before=due,
            status=status,
            recipient_id=person,
            chat_id=None if account is None else account.chat_id,
            event_id=event.id,
        )


async def _note(tx: OutboxTx, event: StoredEvent) -> NoteFacts | None:
    """The event's note as it is now; None when it is gone.

    A withdrawn note is deleted, and SQLite may give its id to the next note: the event's
    pupil and days must match too.
    """
    note = await tx.note_facts(int(event.payload["note_id"]))
    if note is None or note.pupil_id != int(event.payload["pupil_id"]):
        return None
    days = (note.starts_on.isoformat(), note.ends_on.isoformat())
    if days != (str(event.payload.get("starts_on")), str(event.payload.get("ends_on"))):
        return None
    return note


def _days(note: NoteFacts) -> str:
    return days_text(note.starts_on, note.ends_on)


def _today(note: NoteFacts, now: datetime) -> date:
    return now.astimezone(ZoneInfo(note.time_zone)).date()
