"""Owns sending back: a rendered ``Screen`` or a document, into the chat the update came from."""

from __future__ import annotations

from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.views.common import Screen


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
