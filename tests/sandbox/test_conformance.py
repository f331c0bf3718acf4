"""Conformance: real client libraries (python-telegram-bot and aiogram 3) against the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram import Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox


@pytest.fixture
async def ptb(sandbox: RunningSandbox) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(
        sandbox.token,
        base_url=f"{sandbox.api_url}/bot",
        base_file_url=f"{sandbox.api_url}/file/bot",
    )
    await bot.initialize()
    yield bot
    await bot.shutdown()


@pytest.fixture
async def aiogram_bot(sandbox: RunningSandbox) -> AsyncIterator[AiogramBot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.api_url))
    bot = AiogramBot(sandbox.token, session=session)
    yield bot
    await bot.session.close()


async def _started_user(client: SandboxClient) -> int:
    user = await client.create_user("Konformitāte")
    await client.send_text(user["id"], "/start")
    return int(user["id"])


# ---------------------------------------------------------------- python-telegram-bot


async def test_ptb_get_me(ptb: telegram.Bot) -> None:
    me = await ptb.get_me()
    assert (me.id, me.is_bot, me.username) == (424242, True, "ejournal_sandbox_bot")
    assert ptb.username == "ejournal_sandbox_bot"


async def test_ptb_send_with_inline_keyboard_and_edit(
    ptb: telegram.Bot, client: SandboxClient
) -> None:
    chat_id = await _started_user(client)
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Atzīmes", callback_data="mk:7")]]
    )
    sent = await ptb.send_message(chat_id, "<i>Sveiki</i>", parse_mode="HTML", reply_markup=markup)
    assert sent.text == "Sveiki"
    assert sent.entities[0].type == telegram.MessageEntity.ITALIC
    assert sent.reply_markup == markup
    assert sent.chat.type == telegram.Chat.PRIVATE
    edited = await ptb.edit_message_text("Labdien", chat_id=chat_id, message_id=sent.message_id)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Labdien"
    assert edited.edit_date is not None
    with pytest.raises(telegram.error.BadRequest, match="Message is not modified"):
        await ptb.edit_message_text("Labdien", chat_id=chat_id, message_id=sent.message_id)
    transcript = await client.transcript(chat_id)
    assert transcript["messages"][-1]["edits"][0]["text"] == "Sveiki"


async def test_ptb_send_document_and_download(ptb: telegram.Bot, client: SandboxClient) -> None:
    chat_id = await _started_user(client)
    content = b"%PDF-1.4 sekmju izraksts"
    sent = await ptb.send_document(
        chat_id, document=content, filename="izraksts.pdf", caption="Novembris"
    )
    assert sent.document is not None
    assert sent.document.file_name == "izraksts.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Novembris"
    file = await ptb.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content


async def test_ptb_get_updates(ptb: telegram.Bot, client: SandboxClient) -> None:
    user = await client.create_user("Poller")
    await client.send_text(user["id"], "/start abc")
    await client.send_contact(user["id"], phone_number="+37120000000", first_name="Māte")
    updates = await ptb.get_updates(timeout=1)
    assert [u.update_id for u in updates] == [1, 2]
    assert updates[0].message is not None
    assert updates[0].message.text == "/start abc"
    assert updates[0].message.parse_entities(["bot_command"]) == {
        updates[0].message.entities[0]: "/start"
    }
    assert updates[1].message is not None
    assert updates[1].message.contact is not None
    assert updates[1].message.contact.user_id is None
    assert await ptb.get_updates(offset=3) == ()


async def test_ptb_errors_map_to_its_exceptions(
    ptb: telegram.Bot, client: SandboxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # opt in to PTB 23's RetryAfter, no warning
    user = await client.create_user("Quiet")
    with pytest.raises(telegram.error.Forbidden, match="can't initiate conversation"):
        await ptb.send_message(user["id"], "x")
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await ptb.send_message(123, "x")
    await client.set_fault("flood", method="sendMessage", retry_after=3)
    await client.send_text(user["id"], "/start")
    with pytest.raises(telegram.error.RetryAfter) as info:
        await ptb.send_message(user["id"], "x")
    assert info.value.retry_after == timedelta(seconds=3)


# ---------------------------------------------------------------- aiogram 3


async def test_aiogram_send_and_read_back(aiogram_bot: AiogramBot, client: SandboxClient) -> None:
    chat_id = await _started_user(client)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Jā", callback_data="yes")]]
    )
    sent = await aiogram_bot.send_message(
        chat_id, "<b>Ok?</b>", parse_mode="HTML", reply_markup=markup
    )
    assert sent.text == "Ok?"
    assert isinstance(sent.reply_markup, InlineKeyboardMarkup)
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    messages = await client.wait_for_bot_messages(chat_id, 1, timeout=2)
    assert messages[0]["text"] == "Ok?"
    assert messages[0]["raw_text"] == "<b>Ok?</b>"
    assert messages[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    document = await aiogram_bot.send_document(
        chat_id, BufferedInputFile(b"a;b\n1;2\n", filename="marks.csv"), caption="CSV"
    )
    assert document.document is not None
    assert document.document.mime_type == "text/csv"
    file = await aiogram_bot.get_file(document.document.file_id)
    assert file.file_path is not None
    downloaded = await aiogram_bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == b"a;b\n1;2\n"


async def test_aiogram_exceptions(aiogram_bot: AiogramBot, client: SandboxClient) -> None:
    chat_id = await _started_user(client)
    await client.block(chat_id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await aiogram_bot.send_message(chat_id, "x")
    await client.unblock(chat_id)
    await client.set_fault("flood", method="sendMessage", retry_after=2)
    with pytest.raises(TelegramRetryAfter) as info:
        await aiogram_bot.send_message(chat_id, "x")
    assert info.value.retry_after == 2
    await client.set_fault("server_error", method="sendMessage")
    with pytest.raises(TelegramServerError):
        await aiogram_bot.send_message(chat_id, "x")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await aiogram_bot.send_message(chat_id, "x" * 5000)


async def test_aiogram_dispatcher_polling_dialog(
    aiogram_bot: AiogramBot, client: SandboxClient, sandbox: RunningSandbox
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Atzīmes", callback_data="marks")]]
        )
        await message.answer(
            f"Sveiki, {message.from_user.first_name if message.from_user else ''}!",
            reply_markup=markup,
        )

    @dispatcher.callback_query(F.data == "marks")
    async def marks(query: CallbackQuery) -> None:
        await query.answer("Ielādē…")
        if isinstance(query.message, Message):
            await query.message.edit_text("Matemātika: 9")

    @dispatcher.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(f"Tālrunis {message.contact.phone_number}")

    polling = asyncio.create_task(
        dispatcher.start_polling(aiogram_bot, polling_timeout=1, handle_signals=False)
    )
    try:
        user = await client.create_user("Māra", phone="+37126666666")
        await client.send_text(user["id"], "/start")
        [greeting] = await client.wait_for_bot_messages(user["id"], 1, timeout=5)
        assert greeting["text"] == "Sveiki, Māra!"
        await client.press_button(user["id"], greeting["message_id"], "marks")
        await client.send_contact(user["id"])
        messages = await client.wait_for_bot_messages(user["id"], 2, timeout=5)
        assert messages[1]["text"] == "Tālrunis +37126666666"
        transcript: dict[str, Any] = {}
        for _ in range(100):
            transcript = await client.transcript(user["id"])
            if transcript["messages"][1]["edited"] and transcript["callbacks"][0]["answered"]:
                break
            await asyncio.sleep(0.02)
        assert transcript["messages"][1]["text"] == "Matemātika: 9"
        assert "reply_markup" not in transcript["messages"][1] or (
            transcript["messages"][1]["reply_markup"] is None
        )
        assert transcript["callbacks"][0]["answer"]["text"] == "Ielādē…"
    finally:
        await dispatcher.stop_polling()
        await polling
    assert sandbox.state.pending == []
