"""Owns /reports: teacher reports (rule 5.4) and report cards (rule 5.2) from the bot.

Teachers print the class journal of the groups they teach; class teachers also their class's
journals, a month of its attendance, its mark statistics and its report cards; the school's
managers any class, whole-school statistics, and send a class's report cards to the families.
What is offered comes from core (``report_choices``); every button's ids go back to core, which
checks them again: callback data never grants anything.

Documents are rendered in a worker thread while a status message shows the progress
("⏳ Gatavo… 40%", edited at most every ``PROGRESS_INTERVAL`` seconds in ``PROGRESS_STEP``
steps), then sent as a file. Sending report cards stores each pupil's PDF and hands it to the
notifications outbox, which delivers it to every parent with full rights.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import ReportCardsCb, ReportFileCb, ReportsCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply, send_document
from bot.views import reports as views
from bot.views.common import esc
from core.domain.access import manages_school
from core.errors import InvalidInput, NotAllowed, NotFound
from core.services.accounts import Identity
from core.services.report_cards import class_report_cards, issue_report_cards
from core.services.rosters import ClassScope
from core.services.teacher_reports import (
    ReportPeriod,
    class_attendance,
    class_journals,
    group_journal,
    journal_ref,
    mark_statistics,
    report_choices,
    report_periods,
)

if TYPE_CHECKING:
    from core.documents.report_layout import Progress

PROGRESS_STEP = 20  # percent between two edits of the status message
PROGRESS_INTERVAL = 1.0  # seconds at least between two edits (Telegram limits edits)

T = TypeVar("T")


async def menu(
    event: Message | CallbackQuery, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """What the person may print."""
    choices = await report_choices(core.uow(), identity.viewer)
    await reply(event, views.menu_screen(choices, t))


async def choose(
    query: CallbackQuery,
    callback_data: ReportsCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A step of choosing: the menu, a journal or class, a period or month."""
    kind, target = callback_data.kind, callback_data.target
    if kind == "menu":
        await menu(query, identity, core, t)
    elif kind == "journal" and target:
        await _journal_periods(query, target, identity, core, t)
    elif kind == "jclass":
        scope = await _class(core, identity, target)
        groups = await class_journals(core.uow(), identity.viewer, class_id=target)
        await reply(query, views.class_journals_screen(scope.klass, groups, t))
    elif kind == "school":
        await _school_periods(query, target, identity, core, t)
    elif not target:
        choices = await report_choices(core.uow(), identity.viewer)
        if kind == "journal":
            await reply(query, views.journals_screen(choices, t))
        else:
            await reply(query, views.classes_screen(choices, kind, f"reports.{kind}.pick", t))
    else:
        await _class_step(query, kind, target, identity=identity, core=core, t=t)


async def _journal_periods(
    query: CallbackQuery, group_id: int, identity: Identity, core: JournalCore, t: Translator
) -> None:
    ref = await journal_ref(core.uow(), identity.viewer, group_id=group_id)
    periods = await report_periods(core.uow(), identity.viewer, school_id=ref.school.id)
    heading = t("reports.journal.heading", group=esc(ref.group.name))
    await reply(query, views.periods_screen(heading, periods, "journal", group_id, t))


async def _school_periods(
    query: CallbackQuery, school_id: int, identity: Identity, core: JournalCore, t: Translator
) -> None:
    choices = await report_choices(core.uow(), identity.viewer)
    school = next((s for s in choices.schools if s.id == school_id), None)
    if school is None:
        raise NotFound("school.not_found")
    periods = await report_periods(core.uow(), identity.viewer, school_id=school_id)
    heading = t("reports.stats.heading", scope=esc(school.name))
    await reply(query, views.periods_screen(heading, periods, "school", school_id, t))


async def _class_step(
    query: CallbackQuery,
    kind: str,
    class_id: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A class was picked: its report cards, its months, or its statistics' periods."""
    scope = await _class(core, identity, class_id)
    if kind == "cards":
        await _make_cards(query, scope, identity, core, t)
        return
    periods = await report_periods(core.uow(), identity.viewer, school_id=scope.school.id)
    if kind == "attendance":
        await reply(query, views.months_screen(scope.klass, views.months_of(periods), t))
        return
    heading = t("reports.stats.heading", scope=esc(scope.klass.name))
    await reply(query, views.periods_screen(heading, periods, "stats", class_id, t))


async def make_file(
    query: CallbackQuery,
    callback_data: ReportFileCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """Prepare the report (with a progress message) and send it as a file."""
    # ReportLab and openpyxl (~25 MB with numpy) load on the first report, not at the bot's start.
    from core.documents import teacher_reports as docs  # noqa: PLC0415

    what, fmt, target, number = (
        callback_data.what,
        callback_data.fmt,
        callback_data.target,
        callback_data.period,
    )
    viewer, catalogs = identity.viewer, core.catalogs
    xlsx = fmt == "xlsx"
    if what == "journal":
        ref = await journal_ref(core.uow(), viewer, group_id=target)
        period = await _period(core, identity, ref.school.id, number)
        journal = await group_journal(
            core.uow(), viewer, group_id=target, start=period.start, end=period.end
        )
        lang = journal.school.locale
        render = docs.journal_xlsx if xlsx else docs.journal_pdf
        content = await produce(
            query,
            t,
            lambda progress: render(journal, catalogs=catalogs, lang=lang, progress=progress),
        )
        title = docs.journal_title(journal, catalogs, lang)
        name = docs.journal_file_name(journal, catalogs, lang, fmt)
        await send_document(
            query, content, name, views.caption(title, period.start, period.end, t)
        )
        return
    if what == "attendance":
        year, month = divmod(number, 100)
        report = await class_attendance(
            core.uow(), viewer, class_id=target, year=year, month=month
        )
        lang = report.school.locale
        render_month = docs.attendance_xlsx if xlsx else docs.attendance_pdf
        content = await produce(
            query,
            t,
            lambda progress: render_month(report, catalogs=catalogs, lang=lang, progress=progress),
        )
        title = docs.attendance_title(report, catalogs, lang)
        name = docs.attendance_file_name(report, catalogs, lang, fmt)
        await send_document(query, content, name, views.caption(title, None, None, t))
        return
    if what == "stats":
        scope = await _class(core, identity, target)
        school_id, class_id = scope.school.id, scope.klass.id
    else:
        school_id, class_id = target, None
    period = await _period(core, identity, school_id, number)
    stats = await mark_statistics(
        core.uow(),
        viewer,
        school_id=school_id,
        class_id=class_id,
        start=period.start,
        end=period.end,
    )
    lang = stats.school.locale
    render_stats = docs.statistics_xlsx if xlsx else docs.statistics_pdf
    content = await produce(
        query,
        t,
        lambda progress: render_stats(stats, catalogs=catalogs, lang=lang, progress=progress),
    )
    title = docs.statistics_title(stats, catalogs, lang)
    name = docs.statistics_file_name(stats, catalogs, lang, fmt)
    await send_document(query, content, name, views.caption(title, stats.start, stats.end, t))


async def cards_pressed(
    query: CallbackQuery,
    callback_data: ReportCardsCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A class's cards again, "send them to the families?", or send them."""
    from core.documents import report_cards as card_docs  # noqa: PLC0415 (see make_file)

    scope = await _class(core, identity, callback_data.class_id)
    if callback_data.action == "make":
        await _make_cards(query, scope, identity, core, t)
        return
    if not manages_school(identity.viewer, scope.school.id):  # core refuses it again
        raise NotAllowed("report_card.managers_only")
    if callback_data.action == "ask":
        await reply(query, views.ask_send_screen(scope.klass, t))
        return
    cards = await class_report_cards(core.uow(), identity.viewer, class_id=scope.klass.id)
    lang, catalogs = scope.school.locale, core.catalogs

    def each(progress: Progress) -> dict[int, tuple[str, bytes]]:
        files = {}
        for done, card in enumerate(cards.cards, start=1):
            pdf = card_docs.report_card_pdf(card, catalogs=catalogs, lang=lang)
            files[card.pupil.id] = (card_docs.card_file_name(card, catalogs, lang), pdf)
            progress(done, len(cards.cards))
        return files

    documents = await produce(query, t, each)
    issued = await issue_report_cards(
        core.uow(), identity.viewer, class_id=scope.klass.id, documents=documents
    )
    await reply(query, views.sent_screen(issued, t))


async def _make_cards(
    query: CallbackQuery, scope: ClassScope, identity: Identity, core: JournalCore, t: Translator
) -> None:
    from core.documents import report_cards as card_docs  # noqa: PLC0415 (see make_file)

    cards = await class_report_cards(core.uow(), identity.viewer, class_id=scope.klass.id)
    lang, catalogs = scope.school.locale, core.catalogs
    content = await produce(
        query,
        t,
        lambda progress: card_docs.class_report_cards_pdf(
            cards, catalogs=catalogs, lang=lang, progress=progress
        ),
    )
    name = card_docs.class_file_name(cards, catalogs, lang)
    await send_document(query, content, name, views.cards_caption(cards, t))
    may_send = manages_school(identity.viewer, scope.school.id)
    await reply(query, views.cards_screen(cards, may_send, t))


async def _class(core: JournalCore, identity: Identity, class_id: int) -> ClassScope:
    """A class the person manages (class teacher, managers); else core's "not found"."""
    choices = await report_choices(core.uow(), identity.viewer)
    scope = next((c for c in choices.classes if c.klass.id == class_id), None)
    if scope is None:
        raise NotFound("class.not_found", name="")
    return scope


async def _period(
    core: JournalCore, identity: Identity, school_id: int, number: int
) -> ReportPeriod:
    """The semester ``number`` (0: the school year) of the school's current year."""
    periods = await report_periods(core.uow(), identity.viewer, school_id=school_id)
    wanted = number or None
    found = next((p for p in periods if p.term == wanted), None)
    if found is None:
        raise InvalidInput("reports.period_unknown")
    return found


async def produce(query: CallbackQuery, t: Translator, work: Callable[[Progress], T]) -> T:
    """Run ``work`` in a worker thread while a status message shows how far it is."""
    loop = asyncio.get_running_loop()
    status = await _status(query, views.progress_text(0, t))
    latest = [0]
    changed = asyncio.Event()

    def progress(done: int, total: int) -> None:  # called in the worker thread
        percent = 100 * done // total if total > 0 else 100
        loop.call_soon_threadsafe(_note, percent)

    def _note(percent: int) -> None:
        latest[0] = max(latest[0], percent)
        changed.set()

    task = asyncio.ensure_future(asyncio.to_thread(work, progress))
    shown, last_edit = 0, loop.time()
    try:
        while not task.done():
            waiter = asyncio.ensure_future(changed.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            changed.clear()
            percent = latest[0] // PROGRESS_STEP * PROGRESS_STEP
            due = loop.time() - last_edit >= PROGRESS_INTERVAL
            if status is not None and 0 < percent < 100 and percent > shown and due:
                await _edit(status, views.progress_text(percent, t))
                shown, last_edit = percent, loop.time()
        result = task.result()
    except BaseException:
        if status is not None:
            await _edit(status, t("reports.failed"))
        raise
    if status is not None:
        await _edit(status, t("reports.ready"))
    return result


@dataclass(frozen=True, slots=True)
class _Status:
    """The status message: where it is, to edit it."""

    bot: Bot
    chat_id: int
    message_id: int


async def _status(query: CallbackQuery, text: str) -> _Status | None:
    if query.bot is None:  # pragma: no cover - updates fed through a Dispatcher carry the bot
        return None
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    sent = await query.bot.send_message(chat_id, text)
    return _Status(query.bot, chat_id, sent.message_id)


async def _edit(status: _Status, text: str) -> None:
    with contextlib.suppress(TelegramAPIError):  # "not modified", too old: the file still comes
        await status.bot.edit_message_text(
            text=text, chat_id=status.chat_id, message_id=status.message_id
        )


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(menu, Command("reports"), IsLinked())
    router.callback_query.register(choose, ReportsCb.filter(), IsLinked())
    router.callback_query.register(make_file, ReportFileCb.filter(), IsLinked())
    router.callback_query.register(cards_pressed, ReportCardsCb.filter(), IsLinked())
    return router
