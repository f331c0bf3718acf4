"""Owns /extract: a progress extract (sekmju izraksts) as a PDF for any month, on demand.

Parents pick a child (if several), pupils get their own, class teachers (and the school's
managers) pick a pupil of their class, or print the class's missing extracts — those of pupils
whose families the bot cannot reach — as one PDF (``/extract missing``, or the button under the
monthly count the notifications engine sends). Months: this one, the last one and the earlier
months of the school year. While the PDF is drawn the message says so ("Gatavo…") and then
offers the other months. Every id on a button is untrusted: core authorizes each call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import ExtractCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply, send_document
from bot.views import extracts as views
from bot.views.common import Screen
from core.services.accounts import Identity
from core.services.extracts import (
    Month,
    class_extract_menu,
    extract_classes,
    extract_menu,
    missing_extracts,
    progress_extract,
)

MISSING = "missing"


async def extract_command(
    message: Message,
    *,
    command: CommandObject,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """Whose extract (or straight to the months for a single pupil); ``missing``: print."""
    viewer = identity.viewer
    if (command.args or "").strip().casefold() == MISSING:
        await _missing_last_month(message, identity, core, t)
        return
    classes = await extract_classes(core.uow(), viewer) if viewer.is_staff else ()
    own = viewer.is_pupil
    pupils = [child.pupil_id for child in family] + ([identity.person.id] if own else [])
    if not pupils and not classes:
        await reply(message, views.nothing_screen(t))
        return
    if len(pupils) == 1 and not classes:
        menu = await extract_menu(core.uow(), viewer, pupil_id=pupils[0])
        await reply(message, views.months_screen(menu, t))
        return
    await reply(message, views.choose_screen(own, family, classes, t, identity.person.id))


async def _missing_last_month(
    message: Message, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """Last month's missing extracts: of the one class at once, else pick the class."""
    classes = await extract_classes(core.uow(), identity.viewer)
    if not classes:
        await reply(message, views.no_classes_screen(t))
        return
    menu = await class_extract_menu(core.uow(), identity.viewer, class_id=classes[0].id)
    last = Month.of(menu.today).previous()
    if len(classes) > 1:
        await reply(message, views.missing_classes_screen(classes, last, t))
        return
    await _print_missing(message, classes[0].id, last, identity=identity, core=core, t=t)


async def pupil_button(
    query: CallbackQuery,
    *,
    callback_data: ExtractCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """The months of the pupil on the button (core refuses pupils the person may not read)."""
    menu = await extract_menu(core.uow(), identity.viewer, pupil_id=callback_data.ref)
    await _show(query, views.months_screen(menu, t))


async def month_button(
    query: CallbackQuery,
    *,
    callback_data: ExtractCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """One month's PDF: read (authorized), say "preparing", draw, send, offer other months."""
    month = Month.from_ordinal(callback_data.month)
    data = await progress_extract(
        core.uow(), identity.viewer, pupil_id=callback_data.ref, start=month.start, end=month.end
    )
    status = await _status(query, views.preparing(data, t))
    pdf, filename = await asyncio.to_thread(views.extract_pdf, data, t)
    await send_document(query, pdf, filename, views.caption(data, t))
    menu = await extract_menu(core.uow(), identity.viewer, pupil_id=data.pupil_id)
    await _done(query, status, views.months_screen(menu, t, sent=data))


async def class_button(
    query: CallbackQuery,
    *,
    callback_data: ExtractCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A class's pupils (core refuses classes the person may not print)."""
    menu = await class_extract_menu(core.uow(), identity.viewer, class_id=callback_data.ref)
    await _show(query, views.class_screen(menu, t))


async def missing_months_button(
    query: CallbackQuery,
    *,
    callback_data: ExtractCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """Which month's missing extracts of the class."""
    menu = await class_extract_menu(core.uow(), identity.viewer, class_id=callback_data.ref)
    await _show(query, views.missing_months_screen(menu, t))


async def missing_button(
    query: CallbackQuery,
    *,
    callback_data: ExtractCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """The class's missing extracts of the month as one PDF (the monthly count's button too)."""
    month = Month.from_ordinal(callback_data.month)
    await _print_missing(query, callback_data.ref, month, identity=identity, core=core, t=t)


async def _print_missing(
    event: Message | CallbackQuery,
    class_id: int,
    month: Month,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    result = await missing_extracts(core.uow(), identity.viewer, class_id=class_id, month=month)
    # New messages, never an edit: the button may sit under the monthly count, which stays.
    if not result.extracts:
        await reply(event, views.nothing_missing(result, t))
        return
    status = await _status(event, views.preparing_missing(result, t), edit=False)
    pdf, filename = await asyncio.to_thread(views.missing_pdf, result, t)
    await send_document(event, pdf, filename, views.missing_caption(result, t))
    await _done(event, status, views.missing_ready(result, t))


# ---------------------------------------------------------------- the message being edited


async def _show(event: Message | CallbackQuery, screen: Screen) -> None:
    """Replace the pressed button's message with the screen (a new message for a command)."""
    message = event.message if isinstance(event, CallbackQuery) else None
    if isinstance(message, Message) and _inline(screen):
        try:
            await message.edit_text(screen.text, reply_markup=_markup(screen))
        except TelegramBadRequest as exc:  # too old or gone: send it instead
            if "not modified" in exc.message:
                return
        else:
            return
    await reply(event, screen)


async def _status(
    event: Message | CallbackQuery, text: str, *, edit: bool = True
) -> tuple[int, int] | None:
    """Say "preparing…" in the pressed message (``edit``), or in a new one.

    Returns (chat, message) of the status, to edit once the PDF went.
    """
    message = event.message if isinstance(event, CallbackQuery) else None
    if edit and isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=None)
        except TelegramBadRequest:
            pass
        else:
            return message.chat.id, message.message_id
    if isinstance(event, Message):
        sent = await event.answer(text)
        return sent.chat.id, sent.message_id
    if event.bot is None:  # pragma: no cover - updates fed through a Dispatcher carry the bot
        return None
    chat_id = message.chat.id if isinstance(message, Message) else event.from_user.id
    sent = await event.bot.send_message(chat_id, text)
    return sent.chat.id, sent.message_id


async def _done(
    event: Message | CallbackQuery, status: tuple[int, int] | None, screen: Screen
) -> None:
    """The status message becomes the follow-up screen (or the screen comes as a new one)."""
    if status is not None and event.bot is not None and _inline(screen):
        chat_id, message_id = status
        try:
            await event.bot.edit_message_text(
                screen.text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(screen)
            )
        except TelegramBadRequest:
            pass
        else:
            return
    await reply(event, screen)


def _inline(screen: Screen) -> bool:
    return screen.keyboard is None or isinstance(screen.keyboard, InlineKeyboardMarkup)


def _markup(screen: Screen) -> InlineKeyboardMarkup | None:
    return screen.keyboard if isinstance(screen.keyboard, InlineKeyboardMarkup) else None


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(extract_command, Command("extract"), IsLinked())
    callbacks = router.callback_query
    callbacks.register(pupil_button, ExtractCb.filter(F.action == "pupil"), IsLinked())
    callbacks.register(month_button, ExtractCb.filter(F.action == "month"), IsLinked())
    callbacks.register(class_button, ExtractCb.filter(F.action == "class"), IsLinked())
    callbacks.register(missing_months_button, ExtractCb.filter(F.action == "mmonths"), IsLinked())
    callbacks.register(missing_button, ExtractCb.filter(F.action == "missing"), IsLinked())
    return router
