"""Owns sending back: a rendered ``Screen``, a document or a stored file, to the update's chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.views.common import Screen
from core.domain.news import PHOTO_TYPES


async def reply(event: Message | CallbackQuery, screen: Screen) -> None:
    """Answer a message, or the chat of a pressed button, with the screen."""
    if isinstance(event, Message):
        await event.answer(screen.text, reply_markup=screen.keyboard)
        return
    if event.bot is None:  # pragma: no cover - updates fed through a Dispatcher carry the bot
        raise RuntimeError("callback query without a bot")
    chat_id = event.message.chat.id if event.message is not None else event.from_user.id
    await event.bot.send_message(chat_id, screen.text, reply_markup=screen.keyboard)


async def send_document(
    event: Message | CallbackQuery, data: bytes, filename: str, caption: str
) -> None:
    """Send a file (e.g. the invitation slips) with an HTML caption."""
    document = BufferedInputFile(data, filename=filename)
    if isinstance(event, Message):
        await event.answer_document(document, caption=caption)
        return
    if event.bot is None:  # pragma: no cover - updates fed through a Dispatcher carry the bot
        raise RuntimeError("callback query without a bot")
    chat_id = event.message.chat.id if event.message is not None else event.from_user.id
    await event.bot.send_document(chat_id, document, caption=caption)


async def send_stored_file(
    query: CallbackQuery, bot: Bot, data: bytes, filename: str, mime: str
) -> None:
    """Send a stored file to the pressed button's chat: an image as a photo, else a document.

    An image Telegram refuses as a photo (its size or kind) goes as a document too.
    """
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    upload = BufferedInputFile(data, filename=filename)
    if mime in PHOTO_TYPES:
        try:
            await bot.send_photo(chat_id, upload)
            return
        except TelegramBadRequest:
            pass  # sizes or kinds Telegram does not take as a photo: send the file itself
    await bot.send_document(chat_id, upload)
