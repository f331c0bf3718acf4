"""Owns homework notices: homework set or changed in a lesson reaches the group's pupils' families.

Fan-out of ``lesson.recorded`` with ``homework_changed``: for each pupil on the group's list on the
lesson's day, the pupil (``notify_pupils_of_homework``) and their guardians and carers, each by
their homework preference (the school default: the evening digest), quiet hours respected, never
the teacher who wrote it. Removed homework and homework already due are not announced. Reads
through the outbox, writes deliveries only.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.events import LessonRecorded
from core.i18n import Catalogs
from notifications.messages import OutboundMessage, format_date, news_excerpt
from notifications.outbox import OutboxTx
from notifications.policy import Cause, Rules, Topic, decide
from notifications.records import HomeworkFacts, NewDelivery, StoredEvent

RECORDED = LessonRecorded.kind


def homework_key(lesson_id: int, pupil_id: int, person_id: int, event_id: int) -> str:
    """``homework:<lesson>:c<pupil>:p<person>:e<event>``: a guardian of twins hears of each."""
    return f"homework:{lesson_id}:c{pupil_id}:p{person_id}:e{event_id}"


def homework_text(
    catalogs: Catalogs, lang: str, facts: HomeworkFacts, *, pupil: str, relation: str
) -> str:
    """'<b>Jānis</b>: homework — Mathematics (26.11.2026), due 30.11.2026:' and its first lines."""
    due = (
        catalogs.text("notify.homework.due", lang, date=format_date(facts.due_on))
        if facts.due_on is not None
        else ""
    )
    who = "pupil" if relation == "pupil" else "guardian"
    header = catalogs.text(
        f"notify.homework.{who}",
        lang,
        pupil=html.escape(pupil, quote=False),
        subject=html.escape(facts.subject, quote=False),
        date=format_date(facts.on_date),
        due=due,
    )
    return "\n".join([header, html.escape(news_excerpt(facts.homework or ""), quote=False)])


class HomeworkNotices:
    """Turns a ``lesson.recorded`` event whose homework changed into deliveries.

    Args:
        catalogs: Texts.
        rules: Preferences' defaults, quiet hours, whether pupils hear of homework.
        default_language: Language for people without an account.
    """

    def __init__(self, catalogs: Catalogs, rules: Rules, *, default_language: str = "lv") -> None:
        self.catalogs = catalogs
        self.rules = rules
        self.default_language = default_language

    async def on_recorded(
        self, tx: OutboxTx, event: StoredEvent, now: datetime
    ) -> list[NewDelivery]:
        """The deliveries of one recorded lesson (none when its homework did not change)."""
        if event.payload.get("homework_changed") is not True:
            return []
        facts = await tx.homework_facts(int(event.payload["lesson_id"]))
        if facts is None or not facts.homework:
            return []  # the lesson is gone, or the homework was removed
        zone = ZoneInfo(facts.time_zone)
        if (facts.due_on or facts.on_date) < now.astimezone(zone).date():
            return []  # already due: a late entry in the journal, nothing to do any more
        rows: list[NewDelivery] = []
        for pupil_id, name in (await tx.group_pupils(facts.group_id, facts.on_date)).items():
            guardians, pupil = await tx.recipients_of_pupil(pupil_id)
            cause = Cause(
                topic=Topic.HOMEWORK,
                event_id=event.id,
                ref=facts.lesson_id,
                pupil_id=pupil_id,
                actor_id=event.actor_id,
                zone=zone,
            )
            for decision in decide(
                cause,
                guardians,
                pupil,
                self.rules,
                now=now,
                default_language=self.default_language,
            ):
                account = decision.recipient.account
                text = homework_text(
                    self.catalogs,
                    decision.language,
                    facts,
                    pupil=name,
                    relation=decision.recipient.relation,
                )
                rows.append(
                    NewDelivery(
                        key=homework_key(
                            facts.lesson_id, pupil_id, decision.recipient.person_id, event.id
                        ),
                        kind=RECORDED,
                        payload=OutboundMessage(text=text, language=decision.language).model_dump(
                            exclude_defaults=True
                        ),
                        not_before=decision.not_before,
                        status=decision.status,
                        recipient_id=decision.recipient.person_id,
                        chat_id=None if account is None else account.chat_id,
                        event_id=event.id,
                    )
                )
        return rows
