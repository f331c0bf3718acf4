"""Owns /diary and /homework: a pupil's week by day, one day in detail, homework and its files.

Parents pick the child when they follow several (the menu has a button per child); pupils see
their own; staff without children have no diary here. Every button carries only ids and a date:
core checks on every press that the person may read the pupil (and the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import DiaryCb, DiaryFileCb, PupilHomeworkCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply, send_stored_file
from bot.routers.marks import only_pupil
from bot.views import diary as views
from bot.views.common import Screen
from core.services.accounts import Identity
from core.services.diary import homework_file, pupil_diary, pupil_homework


async def diary_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """This week of the one pupil the person follows, or "which child?"."""
    pupil_id = only_pupil(identity, family)
    if pupil_id is None:
        await reply(message, views.picker(family, t) if family else views.nobody(t))
        return
    week = await pupil_diary(core.uow(), identity.viewer, pupil_id=pupil_id)
    await reply(message, views.week_screen(week, t))


async def homework_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """The homework of the one pupil the person follows, or "which child?"."""
    pupil_id = only_pupil(identity, family)
    if pupil_id is None:
        await reply(message, views.picker(family, t, homework=True) if family else views.nobody(t))
        return
    result = await pupil_homework(core.uow(), identity.viewer, pupil_id=pupil_id)
    await reply(message, views.homework_screen(result, t))


async def diary_button(
    query: CallbackQuery,
    *,
    callback_data: DiaryCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """A week, or one day in detail (today: the school's today when pressed)."""
    day = _date(callback_data.day)
    if callback_data.day != views.TODAY and day is None:
        await reply(query, Screen(t("fallback.stale_button")))
        return
    week = await pupil_diary(
        core.uow(), identity.viewer, pupil_id=callback_data.pupil_id, week_of=day
    )
    if callback_data.view == "w":
        await reply(query, views.week_screen(week, t))
    else:
        await reply(query, views.day_screen(week, day or week.today, t))


async def homework_button(
    query: CallbackQuery,
    *,
    callback_data: PupilHomeworkCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """The homework of the pupil on the button."""
    result = await pupil_homework(core.uow(), identity.viewer, pupil_id=callback_data.pupil_id)
    await reply(query, views.homework_screen(result, t))


async def file_button(
    query: CallbackQuery,
    *,
    callback_data: DiaryFileCb,
    identity: Identity,
    core: JournalCore,
    bot: Bot,
) -> None:
    """The homework file: a picture as a photo (a document if Telegram refuses), else a file."""
    found = await homework_file(
        core.uow(),
        identity.viewer,
        pupil_id=callback_data.pupil_id,
        file_id=callback_data.file_id,
    )
    await send_stored_file(query, bot, found.data, found.filename, found.mime_type)


def _date(ordinal: int) -> date | None:
    return date.fromordinal(ordinal) if 1 <= ordinal <= date.max.toordinal() else None


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(diary_command, Command("diary"), IsLinked())
    router.message.register(homework_command, Command("homework"), IsLinked())
    router.callback_query.register(diary_button, DiaryCb.filter(), IsLinked())
    router.callback_query.register(homework_button, PupilHomeworkCb.filter(), IsLinked())
    router.callback_query.register(file_button, DiaryFileCb.filter(), IsLinked())
    return router
