"""The sandbox's in-memory world: bot, virtual users, chats, messages, files, updates and logs.

Owns the data and the small operations on it (ids, queues, serialisation to Bot API objects).
Validation of Bot API calls lives in ``botapi``; user actions in ``simulate``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sandbox.faults import FaultInjector
from sandbox.ratelimit import RateLimitConfig, RateLimiter

JsonDict = dict[str, Any]

MB = 1024 * 1024
# Telegram's default when allowed_updates is not given: everything but these.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class SandboxConfig:
    """Start-up settings; the ``RUNTIME_SETTINGS`` fields can be changed via ``/sim/config``.

    Attributes:
        token: The one bot token the sandbox accepts.
        personas: Opaque dicts served at ``/sim/personas`` for the demo page.
        callback_answer_timeout: Seconds after which ``answerCallbackQuery`` is "too old".
        webhook_timeout: Seconds the sandbox waits for a webhook answer before redelivering.
        webhook_retry_delay: First backoff after a failed delivery; doubles up to the max.
        first_update_id: The first ``update_id`` handed out.
    """

    token: str = "123456789:SANDBOX-token"
    bot_username: str = "ejournal_sandbox_bot"
    bot_first_name: str = "eJournal"
    personas: list[JsonDict] = field(default_factory=list)
    callback_answer_timeout: float = 15.0
    webhook_timeout: float = 60.0
    webhook_retry_delay: float = 0.5
    webhook_max_retry_delay: float = 30.0
    max_text_length: int = 4096
    max_caption_length: int = 1024
    max_upload_bytes: int = 50 * MB
    max_photo_bytes: int = 10 * MB
    max_download_bytes: int = 20 * MB
    delete_window: float = 48 * 3600.0
    max_poll_timeout: float = 50.0
    first_update_id: int = 1
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)

    @property
    def bot_id(self) -> int:
        """The bot's user id: the digits before ``:`` in the token, as in Telegram."""
        head = self.token.split(":", 1)[0]
        return int(head) if head.isdigit() else 1

    def runtime_json(self) -> JsonDict:
        """The runtime-tunable settings."""
        return {name: getattr(self, name) for name in RUNTIME_SETTINGS}

    def apply(self, changes: JsonDict) -> None:
        """Change runtime settings.

        Raises:
            ValueError: On an unknown setting or a non-numeric value.
        """
        unknown = set(changes) - set(RUNTIME_SETTINGS)
        if unknown:
            msg = f"unknown or read-only settings: {sorted(unknown)}"
            raise ValueError(msg)
        types = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                msg = f"{name} must be a non-negative number"
                raise ValueError(msg)
            setattr(self, name, int(value) if types[name] == "int" else float(value))


RUNTIME_SETTINGS = (
    "callback_answer_timeout",
    "webhook_timeout",
    "webhook_retry_delay",
    "webhook_max_retry_delay",
    "max_text_length",
    "max_caption_length",
    "max_upload_bytes",
    "max_photo_bytes",
    "max_download_bytes",
    "delete_window",
    "max_poll_timeout",
)


class SandboxClock:
    """Wall-clock time that tests may move forward (message ages, callback deadlines)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, shifted by the accumulated ``advance`` calls."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.offset += seconds


class Notifier:
    """Wakes every waiter when anything in the state changes; waiters re-check a predicate."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self.version = 0

    def notify(self) -> None:
        """Signal a change."""
        self.version += 1
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``predicate()`` holds or ``seconds`` pass; returns the predicate."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._event is None:
                self._event = asyncio.Event()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True

    async def changed_since(self, version: int, seconds: float) -> bool:
        """Wait until anything changes after ``version``; False after ``seconds``."""
        return await self.wait_for(lambda: self.version != version, seconds)


@dataclass
class VirtualUser:
    """A simulated Telegram user with a private chat to the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone: str | None = None
    started: bool = False
    blocked: bool = False
    deactivated: bool = False

    def to_api(self) -> JsonDict:
        """A Bot API ``User``."""
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            value = getattr(self, name)
            if value:
                user[name] = value
        return user

    def to_json(self) -> JsonDict:
        """The user with the sandbox's own flags, for the simulation API."""
        return self.to_api() | {
            "phone": self.phone,
            "started": self.started,
            "blocked": self.blocked,
            "deactivated": self.deactivated,
        }


@dataclass
class StoredFile:
    """An uploaded file: the bytes and the metadata Telegram reports."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def document_api(self) -> JsonDict:
        """A Bot API ``Document``."""
        doc: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def photo_api(self) -> list[JsonDict]:
        """A Bot API photo: a list with one ``PhotoSize`` (the original)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.size,
            }
        ]

    def file_api(self) -> JsonDict:
        """A Bot API ``File``."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """One message in a chat, from the bot or from a virtual user, with its history."""

    chat_id: int
    message_id: int
    date: int
    from_id: int
    from_bot: bool
    seq: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    parse_mode: str | None = None
    raw_text: str | None = None
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    contact: JsonDict | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    history: list[JsonDict] = field(default_factory=list)
    deleted: bool = False
    deleted_date: int | None = None
    callback_ids: list[str] = field(default_factory=list)

    def content_key(self) -> str:
        """What "not modified" compares: text or caption, entities and the inline keyboard."""
        markup = self.reply_markup
        inline = markup if markup and "inline_keyboard" in markup else None
        return json.dumps(
            [self.text, self.entities, self.caption, self.caption_entities, inline],
            sort_keys=True,
        )


@dataclass
class Chat:
    """A private chat (id = the user's id) or a group (negative id)."""

    id: int
    type: str
    title: str | None = None
    user_id: int | None = None
    members: set[int] = field(default_factory=set)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: JsonDict | None = None
    last_action: JsonDict | None = None
    version: int = 0

    def bot_messages(self) -> list[StoredMessage]:
        """Every message the bot sent here, deleted ones included."""
        return [m for m in self.messages.values() if m.from_bot]


@dataclass
class CallbackRecord:
    """A button press and what happened to its answer."""

    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    created: float
    forged: bool
    update_id: int | None = None
    answered: bool = False
    answer: JsonDict | None = None
    answered_at: float | None = None
    rejected_answers: int = 0

    def to_json(self) -> JsonDict:
        """The record for the simulation API."""
        return {
            "id": self.id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "user_id": self.user_id,
            "data": self.data,
            "created": self.created,
            "forged": self.forged,
            "update_id": self.update_id,
            "answered": self.answered,
            "answer": self.answer,
            "answered_at": self.answered_at,
            "rejected_answers": self.rejected_answers,
        }


@dataclass
class UpdateEntry:
    """One generated update and its delivery status."""

    update_id: int
    type: str
    payload: JsonDict
    chat_key: int
    created: float
    attempts: int = 0
    confirmed: bool = False
    delivered_via: str | None = None
    delivered_at: float | None = None

    def to_json(self) -> JsonDict:
        """The entry for the simulation API."""
        return {
            "update_id": self.update_id,
            "type": self.type,
            "chat_id": self.chat_key,
            "created": self.created,
            "attempts": self.attempts,
            "confirmed": self.confirmed,
            "delivered_via": self.delivered_via,
            "delivered_at": self.delivered_at,
            "update": self.payload,
        }


@dataclass
class WebhookState:
    """The webhook as set by ``setWebhook``; ``url == ""`` means polling mode."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    generation: int = 0
    deliveries: list[JsonDict] = field(default_factory=list)


@dataclass
class CallRecord:
    """One Bot API call as the sandbox saw it."""

    seq: int
    method: str
    params: JsonDict
    time: float
    duration: float = 0.0
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    fault: str | None = None
    rate_limited: bool = False

    def to_json(self) -> JsonDict:
        """The record for the simulation API."""
        return {
            "seq": self.seq,
            "method": self.method,
            "params": self.params,
            "time": self.time,
            "duration": self.duration,
            "ok": self.ok,
            "error_code": self.error_code,
            "description": self.description,
            "fault": self.fault,
            "rate_limited": self.rate_limited,
        }


class SandboxState:
    """Everything the sandbox knows. One instance per running server."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock()
        self.notifier = Notifier()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(config.rate_limits)
        self._initial_rate_limits = config.rate_limits
        self._init_world()

    def _init_world(self) -> None:
        self.users: dict[int, VirtualUser] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.updates: list[UpdateEntry] = []
        self.pending: list[UpdateEntry] = []
        self.allowed_updates: list[str] | None = None
        self.webhook = WebhookState()
        self.calls: list[CallRecord] = []
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.bot_properties: JsonDict = {}
        self._next_update_id = self.config.first_update_id
        self._seq = itertools.count(1)
        self._call_seq = itertools.count(1)
        self._next_user_id = 100_000_001
        self._next_group_id = -1_000_000_001

    def reset(self, *, keep_users: bool = False) -> None:
        """Forget everything (users too unless ``keep_users``).

        Faults go, rate limits return to the start-up settings and the clock to real time.
        """
        users = self.users
        generation = self.webhook.generation
        self._init_world()
        self.webhook.generation = generation + 1
        self.faults.clear()
        self.config.rate_limits = self._initial_rate_limits
        self.limiter.configure(self.config.rate_limits)
        self.clock.offset = 0.0
        if keep_users:
            for user in users.values():
                user.started = user.blocked = user.deactivated = False
                self.users[user.id] = user
        self.notify()

    def notify(self) -> None:
        """Tell waiters that something changed."""
        self.notifier.notify()

    def now_int(self) -> int:
        """Current Unix time as Telegram's integer ``date``."""
        return int(self.clock.now())

    # -------------------------------------------------------------- bot and users

    def bot_api(self) -> JsonDict:
        """The bot as a Bot API ``User`` (the ``getMe`` result)."""
        return {
            "id": self.config.bot_id,
            "is_bot": True,
            "first_name": self.config.bot_first_name,
            "username": self.config.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def bot_ref(self) -> JsonDict:
        """The bot as it appears in ``from`` and in chat members."""
        bot = self.bot_api()
        return {key: bot[key] for key in ("id", "is_bot", "first_name", "username")}

    def new_user_id(self) -> int:
        """A fresh user id that is not taken."""
        while self._next_user_id in self.users:
            self._next_user_id += 1
        user_id = self._next_user_id
        self._next_user_id += 1
        return user_id

    def new_group_id(self) -> int:
        """A fresh negative group chat id."""
        while self._next_group_id in self.chats:
            self._next_group_id -= 1
        chat_id = self._next_group_id
        self._next_group_id -= 1
        return chat_id

    def private_chat(self, user: VirtualUser) -> Chat:
        """The user's private chat with the bot, created on first use."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = Chat(id=user.id, type="private", user_id=user.id)
        return chat

    def chat_api(self, chat: Chat) -> JsonDict:
        """A Bot API ``Chat``."""
        if chat.type == "private" and chat.user_id in self.users:
            user = self.users[chat.user_id]
            result: JsonDict = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                result["last_name"] = user.last_name
            if user.username:
                result["username"] = user.username
            return result
        return {"id": chat.id, "type": chat.type, "title": chat.title or ""}

    def sender_api(self, message: StoredMessage) -> JsonDict:
        """The ``from`` of a message."""
        if message.from_bot:
            return self.bot_ref()
        user = self.users.get(message.from_id)
        if user is None:
            return {"id": message.from_id, "is_bot": False, "first_name": "Deleted Account"}
        return user.to_api()

    # -------------------------------------------------------------- messages

    def add_message(
        self, chat: Chat, *, from_id: int, from_bot: bool, **content: Any
    ) -> StoredMessage:
        """Append a message to ``chat`` with the next message id and the current date."""
        message = StoredMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            date=self.now_int(),
            from_id=from_id,
            from_bot=from_bot,
            seq=next(self._seq),
            **content,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self.touch(chat)
        return message

    def touch(self, chat: Chat) -> None:
        """Mark ``chat`` as changed and wake waiters."""
        chat.version += 1
        self.notify()

    def message_api(self, message: StoredMessage, *, with_reply: bool = True) -> JsonDict:
        """A Bot API ``Message``."""
        chat = self.chats[message.chat_id]
        result: JsonDict = {
            "message_id": message.message_id,
            "from": self.sender_api(message),
            "chat": self.chat_api(chat),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.text is not None:
            result["text"] = message.text
            if message.entities:
                result["entities"] = message.entities
        if message.document is not None:
            result["document"] = message.document.document_api()
        if message.photo is not None:
            result["photo"] = message.photo.photo_api()
        if message.caption is not None:
            result["caption"] = message.caption
            if message.caption_entities:
                result["caption_entities"] = message.caption_entities
        if message.contact is not None:
            result["contact"] = message.contact
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        if with_reply and message.reply_to_message_id is not None:
            replied = chat.messages.get(message.reply_to_message_id)
            if replied is not None:
                result["reply_to_message"] = self.message_api(replied, with_reply=False)
        return result

    # -------------------------------------------------------------- files

    def store_file(
        self,
        data: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Keep uploaded bytes and give them a ``file_id`` and a download path."""
        prefix = {"photo": "AgAC", "document": "BQAC"}.get(kind, "CQAC")
        number = len(self.files) + 1
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1][:10]
        elif kind == "photo":
            extension = ".jpg"
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
            file_id=prefix + secrets.token_urlsafe(24),
            file_unique_id="AgAD" + secrets.token_urlsafe(8),
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -------------------------------------------------------------- updates

    def update_allowed(self, kind: str) -> bool:
        """Whether updates of ``kind`` pass the bot's ``allowed_updates``."""
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def enqueue_update(self, kind: str, body: JsonDict, chat_key: int) -> UpdateEntry | None:
        """Create an update of ``kind``; ``None`` when ``allowed_updates`` filters it out."""
        if not self.update_allowed(kind):
            return None
        entry = UpdateEntry(
            update_id=self._next_update_id,
            type=kind,
            payload={"update_id": self._next_update_id, kind: body},
            chat_key=chat_key,
            created=self.clock.now(),
        )
        self._next_update_id += 1
        self.updates.append(entry)
        self.pending.append(entry)
        self.notify()
        return entry

    def confirm(self, entry: UpdateEntry, via: str) -> None:
        """Mark an update delivered and drop it from the queue."""
        entry.confirmed = True
        entry.delivered_via = via
        entry.delivered_at = self.clock.now()
        if entry in self.pending:
            self.pending.remove(entry)
        self.notify()

    def confirm_below(self, offset: int) -> None:
        """GetUpdates offset confirmation: forget updates with ``update_id < offset``."""
        keep: list[UpdateEntry] = []
        for entry in self.pending:
            if entry.update_id < offset:
                entry.confirmed = True
                entry.delivered_at = entry.delivered_at or self.clock.now()
            else:
                keep.append(entry)
        if len(keep) != len(self.pending):
            self.pending = keep
            self.notify()

    def drop_pending(self) -> None:
        """Discard every undelivered update (``drop_pending_updates``)."""
        self.pending = []
        self.notify()

    # -------------------------------------------------------------- calls

    def record_call(self, method: str, params: JsonDict) -> CallRecord:
        """Start a call record; the caller fills the outcome."""
        record = CallRecord(
            seq=next(self._call_seq), method=method, params=params, time=time.time()
        )
        self.calls.append(record)
        return record
