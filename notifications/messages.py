"""Owns what a proactive message says and how it is stored: the payload and LV/EN/RU texts.

Pure; shows only what the recipient may see in the journal, with everything HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.domain.attendance import DEFAULT_ABSENCE_CODES
from core.domain.marks import MarkScale, MarkStatus, MarkValue, mark_label
from core.errors import DomainError
from core.i18n import CORE_LOCALES, Catalogs
from core.services.policies import policy_from_settings
from notifications.records import AbsenceFacts, MarkFacts

NOTIFICATIONS_LOCALES = Path(__file__).with_name("locales")

# "pirmdien, 30.11.2026": a date with its weekday, Monday first (``date.weekday()``).
DAY_KEYS = (
    "notify.day.mon",
    "notify.day.tue",
    "notify.day.wed",
    "notify.day.thu",
    "notify.day.fri",
    "notify.day.sat",
    "notify.day.sun",
)

# Every catalog key this package uses (a test checks each has text in lv, en and ru).
MESSAGE_KEYS = (
    # Journal mail (mail.py: mail.po)
    "notify.mail.sent",
    "notify.mail.reply",
    "notify.mail.hint",
    "notify.mail.button.reply",
    "notify.mail.button.read",
    "notify.mail.button.report",
    "notify.mail.read",
    "notify.mail.reported",
    "notify.mail.report.suspend_week",
    "notify.mail.report.suspend",
    "notify.mark.new.guardian",
    "notify.mark.new.pupil",
    "notify.mark.corrected.guardian",
    "notify.mark.corrected.pupil",
    "notify.absence.guardian",
    "notify.absence.pupil",
    "notify.digest.header",
    "report.title",
    "report.none",
    "report.col.name",
    "report.col.queued",
    "report.col.sending",
    "report.col.sent",
    "report.col.failed",
    "report.col.unreachable",
    "report.col.not_connected",
    "report.col.digest",
    "report.col.first_sent",
    "report.col.last_sent",
    "report.col.finished",
    *DAY_KEYS,
    "notify.timetable.guardian",
    "notify.timetable.own",
    "notify.timetable.update.guardian",
    "notify.timetable.update.own",
    "notify.timetable.footer",
    "notify.timetable.reminder",
    "notify.news",
    "notify.news.more",
    # Homework set or changed (homework.py: homework.po)
    "notify.homework.guardian",
    "notify.homework.pupil",
    "notify.homework.due",
    # Teachers' and parents' notices (notes.py, group_lists.py, teacher.py: teacher.po)
    "notify.absence.report_button",
    "notify.note.submitted",
    "notify.note.accepted.class_teacher",
    "notify.note.accepted.school",
    "notify.note.rejected.class_teacher",
    "notify.note.rejected.school",
    "notify.group_list.submitted",
    "notify.group_list.approved",
    "notify.group_list.rejected",
    "notify.teacher_reminder.header",
    "notify.teacher_reminder.school",
    "notify.teacher_reminder.lesson",
    "notify.teacher_reminder.no_topic",
    "notify.teacher_reminder.no_attendance",
    "notify.teacher_reminder.footer",
    # Staff broadcasts (broadcasts.py: broadcasts.po)
    "notify.broadcast.header",
    "notify.broadcast.header_urgent",
    "notify.broadcast.from",
    "notify.broadcast.from_school",
    "notify.broadcast.ack_ask",
    "notify.broadcast.ack_button",
    # Data access requests (access_requests.py: core privacy.po)
    "notify.access_request.submitted",
    "notify.access_request.json",
    "notify.access_request.pdf",
    "notify.access_request.rejected",
    # Monthly progress extracts (extracts.py: extracts.po)
    "notify.extract.guardian",
    "notify.extract.own",
    "notify.extract.marks",
    "notify.extract.average",
    "notify.extract.absences",
    "notify.extract.summary.header",
    "notify.extract.summary.class",
    "notify.extract.summary.failed",
    "notify.extract.summary.missing",
    "notify.extract.summary.all_reached",
    "notify.extract.summary.button",
)


def load_catalogs() -> Catalogs:
    """Core's catalogs plus this package's (``notifications/locales``)."""
    return Catalogs.load(CORE_LOCALES, NOTIFICATIONS_LOCALES)


CALLBACK_DATA_BYTES = 64  # Telegram's limit


class InlineButton(BaseModel):
    """A button under a message; pressing it sends ``callback_data`` (≤ 64 bytes) to the bot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    callback_data: str = Field(min_length=1)

    @field_validator("callback_data")
    @classmethod
    def _fits(cls, value: str) -> str:
        if len(value.encode("utf-8")) > CALLBACK_DATA_BYTES:
            msg = f"callback_data is longer than {CALLBACK_DATA_BYTES} bytes"
            raise ValueError(msg)
        return value


# Rows of buttons under a message.
InlineKeyboard = tuple[tuple[InlineButton, ...], ...]


class DocumentRef(BaseModel):
    """A document rendered when its message is sent: the file's bytes never enter the outbox.

    ``kind`` names the renderer (``extract``: a pupil's progress extract of ``period``,
    ``YYYY-MM``, from the school ``school_id``); the composition root hands the delivery worker
    a ``DocumentSource`` that turns a reference into a file name and bytes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1)
    school_id: int
    pupil_id: int
    period: str = Field(min_length=1)


# A reference → (file name, bytes), or None when there is nothing to send any more.
DocumentSource = Callable[[DocumentRef], Awaitable[tuple[str, bytes] | None]]


class OutboundMessage(BaseModel):
    """The outbox payload: one message to one chat (text, or a stored file with a caption).

    ``parts_sent`` survives restarts, so a long text cut in parts resumes after the last part
    that went out. ``version`` is the mark revision a grace-period rewrite compares.
    ``keyboard`` is an inline keyboard (rows of buttons) shown under the message's last part.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = ""
    parse_mode: Literal["HTML"] | None = "HTML"
    file_id: int | None = Field(default=None, description="a stored file, sent by sendDocument")
    caption: str | None = None
    parts_sent: int = Field(default=0, ge=0)
    version: int | None = None
    language: str | None = None
    migrated: bool = False
    keyboard: InlineKeyboard = ()
    document: DocumentRef | None = Field(
        default=None, description="a document rendered at send time, sent by sendDocument"
    )
    mail_message_id: int | None = Field(
        default=None,
        description="a journal mail message: its Telegram message ids are remembered (replies)",
    )


def esc(value: object) -> str:
    """``value`` as text safe in a message's HTML."""
    return html.escape(str(value), quote=False)


def format_date(on: date) -> str:
    """Dates as schools write them: 27.11.2026."""
    return on.strftime("%d.%m.%Y")


def mark_text(
    catalogs: Catalogs, lang: str, facts: MarkFacts, *, relation: str, corrected: bool
) -> str:
    """'Jānis: new mark — Mathematics: 8' (the pupil's own message has no name)."""
    status = MarkStatus(facts.status)
    value = MarkValue(status, None if status is MarkStatus.NV else facts.value)
    try:
        label = mark_label(MarkScale(facts.scale), value, lang)
    except (DomainError, ValueError):
        label = facts.value or "nv"
    key = "notify.mark.corrected" if corrected else "notify.mark.new"
    who = "pupil" if relation == "pupil" else "guardian"
    return catalogs.text(
        f"{key}.{who}",
        lang,
        pupil=esc(facts.pupil_name),
        subject=esc(facts.subject),
        value=esc(label),
        date=format_date(facts.on_date),
    )


def absence_label(facts: AbsenceFacts, lang: str) -> str:
    """The school's label for the attendance code ("nav ieradies"), else the code itself."""
    try:
        policy = policy_from_settings(facts.policy)
        return policy.absence_code(facts.code).label(lang)
    except DomainError:
        for code in DEFAULT_ABSENCE_CODES:
            if code.code == facts.code:
                return code.label(lang)
        return facts.code


def absence_text(catalogs: Catalogs, lang: str, facts: AbsenceFacts, *, relation: str) -> str:
    """'Jānis: absent — Mathematics, 26.11.2026, lesson 2'."""
    who = "pupil" if relation == "pupil" else "guardian"
    return catalogs.text(
        f"notify.absence.{who}",
        lang,
        pupil=esc(facts.pupil_name),
        code=esc(absence_label(facts, lang)),
        subject=esc(facts.subject),
        date=format_date(facts.on_date),
        period=facts.period,
    )


def digest_text(catalogs: Catalogs, lang: str, on: date, lines: Sequence[str]) -> str:
    """One message holding the day's items, one per line, under a header."""
    header = catalogs.text("notify.digest.header", lang, date=format_date(on))
    return "\n".join([header, "", *lines])


def day_label(catalogs: Catalogs, lang: str, on: date) -> str:
    """The date with its weekday, as a sentence uses it: 'pirmdien, 30.11.2026'."""
    return catalogs.text(DAY_KEYS[on.weekday()], lang, date=format_date(on))


def timetable_text(
    catalogs: Catalogs,
    lang: str,
    *,
    on: date,
    lines: Sequence[str],
    pupil: str | None,
    update: bool,
) -> str:
    """One person's timetable changes of a day, one change per line (lines already escaped).

    ``pupil`` names the child in a guardian's message; ``update`` marks changes published after
    the day's push.
    """
    key = "notify.timetable.update" if update else "notify.timetable"
    who = "own" if pupil is None else "guardian"
    header = catalogs.text(
        f"{key}.{who}", lang, pupil=esc(pupil or ""), day=day_label(catalogs, lang, on)
    )
    body = [f"• {line}" for line in lines]
    return "\n".join([header, *body, "", catalogs.text("notify.timetable.footer", lang)])


def reminder_text(catalogs: Catalogs, lang: str, *, school: str, on: date, deadline: time) -> str:
    """The superuser's reminder: nothing is published for the day yet, and the deadline."""
    return catalogs.text(
        "notify.timetable.reminder",
        lang,
        school=esc(school),
        day=day_label(catalogs, lang, on),
        deadline=deadline.strftime("%H:%M"),
    )


NEWS_EXCERPT_LINES = 3
NEWS_EXCERPT_CHARS = 300


def news_excerpt(body: str) -> str:
    """The first lines of a post (at most 3 lines and 300 characters; '…' when cut)."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    kept = lines[:NEWS_EXCERPT_LINES]
    text = "\n".join(kept)
    cut = len(kept) < len(lines)
    if len(text) > NEWS_EXCERPT_CHARS:
        text = text[:NEWS_EXCERPT_CHARS].rstrip()
        space = text.rfind(" ")
        if space > NEWS_EXCERPT_CHARS // 2:
            text = text[:space]
        cut = True
    return text + "…" if cut else text


def news_text(catalogs: Catalogs, lang: str, *, title: str, body: str) -> str:
    """'School news: <title>', the post's first lines and where to read the rest (/news)."""
    parts = [catalogs.text("notify.news", lang, title=esc(title))]
    excerpt = news_excerpt(body)
    if excerpt:
        parts.append(esc(excerpt))
    parts += ["", catalogs.text("notify.news.more", lang)]
    return "\n".join(parts)
