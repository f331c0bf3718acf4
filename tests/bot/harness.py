"""A recording Telegram session and a chat driver: dialogs through the real Dispatcher, offline."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    Chat,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    Update,
    User,
)

from bot.app import build_dispatcher
from bot.middlewares import TokenBuckets
from bot.settings import AppSettings
from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.accounts import link_account
from tests.builders import World

TOKEN = "4242:TEST-token"
BOT_USERNAME = "ejournal_test_bot"
SENT_AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
ANSWERED = (AnswerCallbackQuery, SetMyCommands, EditMessageReplyMarkup)


class UnexpectedCall(AssertionError):
    """The bot called a Telegram method the recording session does not fake."""


class RecordingSession(BaseSession):
    """Records every Bot API call; answers sends, edits and acknowledgements, fails on the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)
        self.files: dict[str, bytes] = {}  # file_id → content users sent as documents

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's BaseSession signature
    ) -> TelegramType:
        self.calls.append(method)
        if isinstance(method, SendMessage | EditMessageText):  # a new message, or one edited
            edited = isinstance(method, EditMessageText) and method.message_id is not None
            markup = method.reply_markup
            return Message(  # type: ignore[return-value]
                message_id=int(method.message_id or 0) if edited else next(self._ids),
                date=SENT_AT,
                chat=Chat(id=int(method.chat_id or 0), type="private"),
                from_user=User(id=bot.id, is_bot=True, first_name="eJournal"),
                text=method.text,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
        if isinstance(method, SendPhoto):
            return Message(  # type: ignore[return-value]
                message_id=next(self._ids),
                date=SENT_AT,
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=User(id=bot.id, is_bot=True, first_name="eJournal"),
                photo=[PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)],
            )
        if isinstance(method, SendDocument):
            document = method.document
            name = document.filename if isinstance(document, BufferedInputFile) else "file"
            return Message(  # type: ignore[return-value]
                message_id=next(self._ids),
                date=SENT_AT,
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=User(id=bot.id, is_bot=True, first_name="eJournal"),
                document=Document(file_id="f", file_unique_id="u", file_name=name),
                caption=method.caption,
            )
        if isinstance(method, GetFile) and method.file_id in self.files:
            return File(  # type: ignore[return-value]
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_size=len(self.files[method.file_id]),
                file_path=f"documents/{method.file_id}",
            )
        if isinstance(method, GetMe):
            return User(  # type: ignore[return-value]
                id=bot.id, is_bot=True, first_name="eJournal", username=BOT_USERNAME
            )
        if isinstance(method, ANSWERED):
            return True  # type: ignore[return-value]
        raise UnexpectedCall(type(method).__name__)

    async def stream_content(
        self, url: str, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes, None]:
        """Serve a file a user sent (downloads of anything else are unexpected)."""
        file_id = url.rsplit("/", 1)[-1]
        if file_id not in self.files:
            raise UnexpectedCall("stream_content")
        yield self.files[file_id]

    async def close(self) -> None:
        return None

    def sent(self) -> list[SendMessage]:
        return [call for call in self.calls if isinstance(call, SendMessage)]

    def documents(self) -> list[SendDocument]:
        return [call for call in self.calls if isinstance(call, SendDocument)]

    def edits(self) -> list[EditMessageText]:
        """The bot's edits of its messages' texts (status messages, screens that move on)."""
        return [call for call in self.calls if isinstance(call, EditMessageText)]

    def keyboard_edits(self) -> list[EditMessageReplyMarkup]:
        """The bot's edits of its messages' inline keyboards alone."""
        return [call for call in self.calls if isinstance(call, EditMessageReplyMarkup)]


def recording_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    return bot, session


_update_ids = itertools.count(1)


class TelegramUser:
    """A Telegram user talking to the bot through the real Dispatcher."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        session: RecordingSession,
        user_id: int,
        *,
        language_code: str | None = "lv",
        first_name: str = "Tests",
    ) -> None:
        self.dp, self.bot, self.session = dp, bot, session
        self.user = User(
            id=user_id, is_bot=False, first_name=first_name, language_code=language_code
        )
        self.chat = Chat(id=user_id, type="private")
        self._message_ids = itertools.count(1)

    async def send(self, text: str) -> list[SendMessage]:
        """The user writes ``text``; returns what the bot sent back."""
        entities = None
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
        message = Message(
            message_id=next(self._message_ids),
            date=SENT_AT,
            chat=self.chat,
            from_user=self.user,
            text=text,
            entities=entities,
        )
        return await self._feed(Update(update_id=next(_update_ids), message=message))

    async def send_document(
        self, filename: str, data: bytes, *, caption: str | None = None
    ) -> list[SendMessage]:
        """The user sends a file as a document (the bot may download it)."""
        file_id = f"doc{next(self._message_ids)}u{self.user.id}"
        self.session.files[file_id] = data
        message = Message(
            message_id=next(self._message_ids),
            date=SENT_AT,
            chat=self.chat,
            from_user=self.user,
            document=Document(
                file_id=file_id, file_unique_id=file_id, file_name=filename, file_size=len(data)
            ),
            caption=caption,
        )
        return await self._feed(Update(update_id=next(_update_ids), message=message))

    async def share_contact(
        self, phone_number: str, *, contact_user_id: int | None = None
    ) -> list[SendMessage]:
        """The user shares a contact: their own unless ``contact_user_id`` says otherwise."""
        contact = Contact(
            phone_number=phone_number,
            first_name=self.user.first_name,
            user_id=self.user.id if contact_user_id is None else contact_user_id,
        )
        message = Message(
            message_id=next(self._message_ids),
            date=SENT_AT,
            chat=self.chat,
            from_user=self.user,
            contact=contact,
        )
        return await self._feed(Update(update_id=next(_update_ids), message=message))

    async def press(self, data: str) -> list[SendMessage]:
        """The user presses a button with ``data`` (which may be forged)."""
        shown = Message(
            message_id=next(self._message_ids),
            date=SENT_AT,
            chat=self.chat,
            from_user=User(id=self.bot.id, is_bot=True, first_name="eJournal"),
            text="…",
        )
        query = CallbackQuery(
            id=str(next(_update_ids)),
            from_user=self.user,
            chat_instance="1",
            message=shown,
            data=data,
        )
        return await self._feed(Update(update_id=next(_update_ids), callback_query=query))

    async def _feed(self, update: Update) -> list[SendMessage]:
        before = len(self.session.calls)
        await self.dp.feed_update(self.bot, update)
        return [c for c in self.session.calls[before:] if isinstance(c, SendMessage)]


def buttons(message: SendMessage | EditMessageText | SendDocument) -> dict[str, str]:
    """Button text → callback data of a sent (or edited) message."""
    markup = message.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return {}
    return {
        button.text: button.callback_data or "" for row in markup.inline_keyboard for button in row
    }


# ------------------------------------------------------------------------ linked chats


@dataclass
class Chats:
    """A dispatcher with a recording bot, and the world whose people are linked to users."""

    world: World
    dp: Dispatcher
    bot: Bot
    session: RecordingSession

    def user(self, user_id: int, language_code: str | None = "lv") -> TelegramUser:
        return TelegramUser(self.dp, self.bot, self.session, user_id, language_code=language_code)

    def chat_commands(self, chat_id: int) -> list[str]:
        """The command list last set for one chat."""
        calls = [
            c
            for c in self.session.calls
            if isinstance(c, SetMyCommands)
            and isinstance(c.scope, BotCommandScopeChat)
            and c.scope.chat_id == chat_id
        ]
        return [command.command for command in calls[-1].commands]


async def link(core: Core, person_id: int, user_id: int, language: str = "lv") -> None:
    """Link a Telegram user to a person, as the console operator would."""
    await link_account(
        core.uow(),
        Viewer.console(),
        person_id=person_id,
        telegram_user_id=user_id,
        chat_id=user_id,
        language=language,
    )


async def open_chats(
    core: Core,
    world: World,
    links: Sequence[tuple[int, int, str]],
    *,
    buckets: TokenBuckets | None = None,
    settings: AppSettings | None = None,
) -> Chats:
    """Link each (person, Telegram user, language) and build the real Dispatcher."""
    for person_id, user_id, language in links:
        await link(core, person_id, user_id, language)
    bot, session = recording_bot()
    dp = build_dispatcher(core, settings or AppSettings(), buckets=buckets)
    return Chats(world, dp, bot, session)
