"""The Bot API surface: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.

Owns method dispatch, Telegram's validation rules and error wording, fault injection and rate
limiting on the way in, and the call log. Data lives in ``state``; webhook POSTs in ``webhook``.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox import errors
from sandbox.errors import ApiError
from sandbox.faults import FaultRule
from sandbox.formatting import EntityParseError, ParsedText, parse_formatted, utf16_len
from sandbox.markup import parse_reply_markup
from sandbox.media import image_mime, image_size
from sandbox.params import ApiParams, UploadedFile, read_params
from sandbox.state import CallRecord, Chat, JsonDict, SandboxState, StoredFile, StoredMessage
from sandbox.webhook import WebhookDeliverer

Handler = Callable[[ApiParams], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MAX_COMMANDS = 100
_EDITABLE_FIELDS = (
    "text",
    "entities",
    "raw_text",
    "parse_mode",
    "caption",
    "caption_entities",
    "reply_markup",
    "edit_date",
)


def _envelope_response(body: JsonDict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


class BotApi:
    """Implements the Bot API methods against one ``SandboxState``."""

    def __init__(self, state: SandboxState, webhook: WebhookDeliverer) -> None:
        self.state = state
        self.webhook = webhook
        self._poll: asyncio.Event | None = None
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.trivial,
            "close": self.trivial,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "getFile": self.get_file,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getChat": self.get_chat,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
        }
        self.methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }

    # ---------------------------------------------------------------- HTTP entry points

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one ``/bot<token>/<method>`` request."""
        state = self.state
        started = time.monotonic()
        requested = request.match_info["method"]
        known = self.methods.get(requested.lower())
        method = known[0] if known else requested
        record: CallRecord | None = None
        fault: FaultRule | None = None
        try:
            if request.match_info["token"] != state.config.token:
                raise ApiError(401, errors.UNAUTHORIZED)
            if known is None:
                raise ApiError(404, errors.NOT_FOUND)
            params = await read_params(request, max_upload=state.config.max_upload_bytes)
            record = state.record_call(method, params.loggable())
            fault = state.faults.pick(method)
            if fault is not None:
                record.fault = fault.kind
                self._raise_for_fault(fault)
            self._check_rate(method, params, record)
            result = await known[1](params)
        except ApiError as exc:
            if record is None:
                record = state.record_call(method, {})
            record.ok = False
            record.error_code = exc.error_code
            record.description = exc.description
            response = _envelope_response(exc.envelope(), exc.error_code)
        else:
            response = _envelope_response({"ok": True, "result": result})
        record.duration = time.monotonic() - started
        state.notify()
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "drop" and record.ok and request.transport:
            request.transport.close()
        return response

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serve ``/file/bot<token>/<file_path>``."""
        if request.match_info["token"] != self.state.config.token:
            return _envelope_response(ApiError(401, errors.UNAUTHORIZED).envelope(), 401)
        stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _envelope_response(ApiError(404, errors.NOT_FOUND).envelope(), 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    @staticmethod
    def _raise_for_fault(fault: FaultRule) -> None:
        if fault.kind == "flood":
            raise errors.too_many_requests(fault.retry_after)
        if fault.kind == "server_error":
            description = errors.SERVER_ERRORS.get(fault.status, "Internal Server Error")
            raise ApiError(fault.status, description)
        if fault.kind == "error":
            raise ApiError(fault.error_code, fault.description, fault.parameters)

    def _check_rate(self, method: str, params: ApiParams, record: CallRecord) -> None:
        limiter = self.state.limiter
        if not limiter.applies_to(method):
            return
        chat_id = params.values.get("chat_id")
        try:
            chat = int(chat_id) if chat_id is not None else None
        except (TypeError, ValueError):
            chat = None
        retry_after = limiter.check(chat)
        if retry_after is not None:
            record.rate_limited = True
            raise errors.too_many_requests(retry_after)

    # ---------------------------------------------------------------- helpers

    def _chat_for_send(self, params: ApiParams) -> Chat:
        """The chat a send or edit targets, with the 400/403 checks Telegram makes."""
        chat_id = params.chat_id()
        state = self.state
        if isinstance(chat_id, str):
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        if chat_id > 0:
            user = state.users.get(chat_id)
            if user is None:
                raise ApiError(400, errors.CHAT_NOT_FOUND)
            if user.deactivated:
                raise ApiError(403, errors.DEACTIVATED)
            if user.blocked:
                raise ApiError(403, errors.BLOCKED)
            if not user.started:
                raise ApiError(403, errors.CANT_INITIATE)
            return state.private_chat(user)
        chat = state.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        return chat

    def _parse(
        self,
        text: str,
        params: ApiParams,
        *,
        mode_param: str = "parse_mode",
        entities_param: str = "entities",
        limit: int,
        too_long: str,
        allow_empty: bool,
    ) -> ParsedText:
        parse_mode = params.get_str(mode_param)
        try:
            parsed = parse_formatted(text, parse_mode)
        except EntityParseError as exc:
            raise ApiError(400, errors.ENTITIES_PREFIX + str(exc)) from exc
        except ValueError as exc:
            raise errors.bad_request("unsupported parse_mode") from exc
        if not parse_mode:
            given = params.get_json(entities_param)
            if isinstance(given, list):
                parsed.entities = [e for e in given if isinstance(e, dict)]
        if not allow_empty and not parsed.text.strip():
            raise ApiError(400, errors.TEXT_EMPTY)
        if utf16_len(parsed.text) > limit:
            raise ApiError(400, too_long)
        return parsed

    def _reply_to(self, chat: Chat, params: ApiParams) -> int | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        message_id: int | None = None
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int(reply["message_id"])
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        else:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise ApiError(400, errors.REPLY_NOT_FOUND)
        return message_id

    def _track_reply_keyboard(self, chat: Chat, markup: JsonDict | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _bot_message(self, chat: Chat, **content: Any) -> StoredMessage:
        return self.state.add_message(
            chat, from_id=self.state.config.bot_id, from_bot=True, **content
        )

    def _message_for_edit(self, params: ApiParams) -> tuple[Chat, StoredMessage]:
        if params.has("inline_message_id") and not params.has("chat_id"):
            raise ApiError(400, errors.EDIT_NOT_FOUND)
        chat = self._chat_for_send(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise errors.bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise ApiError(400, errors.EDIT_NOT_FOUND)
        if not message.from_bot:
            raise ApiError(400, errors.CANT_EDIT)
        return chat, message

    def _apply_edit(self, chat: Chat, message: StoredMessage, **changes: Any) -> JsonDict:
        before = message.content_key()
        snapshot = {name: getattr(message, name) for name in _EDITABLE_FIELDS}
        for name, value in changes.items():
            setattr(message, name, value)
        if message.content_key() == before:
            for name, value in snapshot.items():
                setattr(message, name, value)
            raise ApiError(400, errors.NOT_MODIFIED)
        message.history.append(
            {k: snapshot[k] for k in ("text", "entities", "caption", "reply_markup", "edit_date")}
        )
        message.edit_date = self.state.now_int()
        self.state.touch(chat)
        return self.state.message_api(message)

    # ---------------------------------------------------------------- methods: bot and updates

    async def get_me(self, params: ApiParams) -> JsonDict:
        """``getMe``."""
        return self.state.bot_api()

    async def trivial(self, params: ApiParams) -> bool:
        """``logOut`` and ``close``: nothing to do locally."""
        return True

    async def get_updates(self, params: ApiParams) -> list[JsonDict]:
        """``getUpdates`` with offset confirmation, limit, long polling and the 409 rules."""
        state = self.state
        if state.webhook.url:
            raise ApiError(409, errors.CONFLICT_WEBHOOK)
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit", 100) or 0, 1), 100)  # clamped like TDLib
        timeout = min(
            max(params.get_float("timeout", 0.0) or 0.0, 0.0), state.config.max_poll_timeout
        )
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = [str(kind) for kind in allowed] or None
        if offset is not None and offset < 0:
            keep = state.pending[offset:]
            state.confirm_below(keep[0].update_id if keep else 2**62)
        elif offset is not None:
            state.confirm_below(offset)

        # A newer poll terminates the one in flight, which answers 409.
        if self._poll is not None:
            self._poll.set()
            state.notify()
        mine = asyncio.Event()
        self._poll = mine
        try:

            def visible() -> list[Any]:
                for entry in list(state.pending):
                    if not state.update_allowed(entry.type):
                        state.confirm(entry, "filtered")
                return state.pending[:limit]

            if timeout > 0:
                await state.notifier.wait_for(
                    lambda: mine.is_set() or bool(state.webhook.url) or bool(visible()),
                    timeout,
                )
            if mine.is_set():
                raise ApiError(409, errors.CONFLICT_POLL)
            if state.webhook.url:
                raise ApiError(409, errors.CONFLICT_WEBHOOK)
            batch = visible()
            for entry in batch:
                entry.attempts += 1
                entry.delivered_via = "getUpdates"
            return [entry.payload for entry in batch]
        finally:
            if self._poll is mine:
                self._poll = None

    async def set_webhook(self, params: ApiParams) -> bool:
        """``setWebhook``: plain HTTP and any port are allowed locally."""
        state = self.state
        url = params.get_str("url") or ""
        if not url:
            return await self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise errors.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise errors.bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections", 40) or 40
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = [str(kind) for kind in allowed] or None
        if params.get_bool("drop_pending_updates"):
            state.drop_pending()
        webhook = state.webhook
        if webhook.url != url:
            webhook.last_error_date = None
            webhook.last_error_message = None
        webhook.url = url
        webhook.secret_token = secret
        webhook.max_connections = min(max(max_connections, 1), 100)
        webhook.ip_address = "127.0.0.1"
        webhook.generation += 1
        self.webhook.reconfigure()
        return True

    async def delete_webhook(self, params: ApiParams) -> bool:
        """``deleteWebhook``."""
        state = self.state
        if params.get_bool("drop_pending_updates"):
            state.drop_pending()
        state.webhook.url = ""
        state.webhook.secret_token = None
        state.webhook.generation += 1
        self.webhook.reconfigure()
        return True

    async def get_webhook_info(self, params: ApiParams) -> JsonDict:
        """``getWebhookInfo``."""
        state = self.state
        webhook = state.webhook
        info: JsonDict = {
            "url": webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(state.pending),
        }
        if webhook.url:
            info["max_connections"] = webhook.max_connections
            info["ip_address"] = webhook.ip_address
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
        if state.allowed_updates:
            info["allowed_updates"] = state.allowed_updates
        return info

    # ---------------------------------------------------------------- methods: messages

    async def send_message(self, params: ApiParams) -> JsonDict:
        """``sendMessage``."""
        chat = self._chat_for_send(params)
        raw_text = params.get_str("text") or ""
        if not raw_text:
            raise ApiError(400, errors.TEXT_EMPTY)
        parsed = self._parse(
            raw_text,
            params,
            limit=self.state.config.max_text_length,
            too_long=errors.TEXT_TOO_LONG,
            allow_empty=False,
        )
        markup = parse_reply_markup(params.raw("reply_markup"))
        reply_to = self._reply_to(chat, params)
        message = self._bot_message(
            chat,
            text=parsed.text,
            entities=parsed.entities,
            parse_mode=params.get_str("parse_mode"),
            raw_text=raw_text,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        self._track_reply_keyboard(chat, markup)
        return self.state.message_api(message)

    async def edit_message_text(self, params: ApiParams) -> JsonDict:
        """``editMessageText``: a missing ``reply_markup`` removes the inline keyboard."""
        chat, message = self._message_for_edit(params)
        raw_text = params.get_str("text") or ""
        if not raw_text:
            raise ApiError(400, errors.TEXT_EMPTY)
        if message.text is None:
            raise errors.bad_request("there is no text in the message to edit")
        parsed = self._parse(
            raw_text,
            params,
            limit=self.state.config.max_text_length,
            too_long=errors.TEXT_TOO_LONG,
            allow_empty=False,
        )
        markup = parse_reply_markup(params.raw("reply_markup"), inline_only=True)
        return self._apply_edit(
            chat,
            message,
            text=parsed.text,
            entities=parsed.entities,
            raw_text=raw_text,
            parse_mode=params.get_str("parse_mode"),
            reply_markup=markup,
        )

    async def edit_message_caption(self, params: ApiParams) -> JsonDict:
        """``editMessageCaption``."""
        chat, message = self._message_for_edit(params)
        if message.document is None and message.photo is None:
            raise errors.bad_request("there is no caption in the message to edit")
        raw = params.get_str("caption") or ""
        parsed = self._parse(
            raw,
            params,
            entities_param="caption_entities",
            limit=self.state.config.max_caption_length,
            too_long=errors.CAPTION_TOO_LONG,
            allow_empty=True,
        )
        markup = parse_reply_markup(params.raw("reply_markup"), inline_only=True)
        return self._apply_edit(
            chat,
            message,
            caption=parsed.text or None,
            caption_entities=parsed.entities,
            reply_markup=markup,
        )

    async def edit_message_reply_markup(self, params: ApiParams) -> JsonDict:
        """``editMessageReplyMarkup``."""
        chat, message = self._message_for_edit(params)
        markup = parse_reply_markup(params.raw("reply_markup"), inline_only=True)
        return self._apply_edit(chat, message, reply_markup=markup)

    async def delete_message(self, params: ApiParams) -> bool:
        """``deleteMessage``: only messages younger than the delete window (48 h)."""
        state = self.state
        chat_id = params.chat_id()
        chat = state.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        message_id = params.get_int("message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise ApiError(400, errors.DELETE_NOT_FOUND)
        if state.clock.now() - message.date > state.config.delete_window:
            raise ApiError(400, errors.CANT_DELETE)
        message.deleted = True
        message.deleted_date = state.now_int()
        state.touch(chat)
        return True

    async def answer_callback_query(self, params: ApiParams) -> bool:
        """``answerCallbackQuery``: once per query and within the answer deadline."""
        state = self.state
        query_id = params.get_str("callback_query_id") or ""
        record = state.callbacks.get(query_id)
        if record is None:
            raise ApiError(400, errors.QUERY_TOO_OLD)
        too_late = state.clock.now() - record.created > state.config.callback_answer_timeout
        if record.answered or too_late:
            record.rejected_answers += 1
            state.notify()
            raise ApiError(400, errors.QUERY_TOO_OLD)
        record.answered = True
        record.answered_at = state.clock.now()
        record.answer = {
            "text": params.get_str("text"),
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time", 0),
        }
        chat = state.chats.get(record.chat_id)
        if chat is not None:
            state.touch(chat)
        return True

    # ---------------------------------------------------------------- methods: files

    def _take_file(self, params: ApiParams, kind: str) -> StoredFile:
        state = self.state
        given = params.input_file(kind)
        if given is None:
            raise ApiError(400, errors.NO_DOCUMENT if kind == "document" else errors.NO_PHOTO)
        if isinstance(given, str):
            stored = state.files.get(given)
            if stored is None:
                raise ApiError(400, errors.WRONG_FILE_ID)
            if stored.kind != kind:
                raise errors.bad_request(
                    f"can't use file of type {stored.kind.title()} as {kind.title()}"
                )
            return stored
        return self._store_upload(given, kind)

    def _store_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        state = self.state
        if len(upload.data) > state.config.max_upload_bytes:
            raise ApiError(413, errors.REQUEST_TOO_LARGE)
        if not upload.data:
            raise errors.bad_request("file must be non-empty")
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise ApiError(400, errors.IMAGE_PROCESS_FAILED)
            if len(upload.data) > state.config.max_photo_bytes:
                raise ApiError(400, errors.FILE_TOO_BIG)
            return state.store_file(
                upload.data,
                kind="photo",
                mime_type=image_mime(upload.data),
                width=size[0],
                height=size[1],
            )
        guessed = mimetypes.guess_type(upload.filename or "")[0]
        content_type = upload.content_type
        if content_type in (None, "application/octet-stream"):
            content_type = None
        return state.store_file(
            upload.data,
            kind="document",
            file_name=upload.filename,
            mime_type=guessed or content_type or "application/octet-stream",
        )

    async def _send_media(self, params: ApiParams, kind: str) -> JsonDict:
        chat = self._chat_for_send(params)
        raw_caption = params.get_str("caption") or ""
        parsed = self._parse(
            raw_caption,
            params,
            entities_param="caption_entities",
            limit=self.state.config.max_caption_length,
            too_long=errors.CAPTION_TOO_LONG,
            allow_empty=True,
        )
        markup = parse_reply_markup(params.raw("reply_markup"))
        reply_to = self._reply_to(chat, params)
        stored = self._take_file(params, kind)
        message = self._bot_message(
            chat,
            caption=parsed.text or None,
            caption_entities=parsed.entities,
            parse_mode=params.get_str("parse_mode"),
            raw_text=raw_caption or None,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            **{kind: stored},
        )
        self._track_reply_keyboard(chat, markup)
        return self.state.message_api(message)

    async def send_document(self, params: ApiParams) -> JsonDict:
        """``sendDocument``: an upload (≤ 50 MB) or an existing ``file_id``."""
        return await self._send_media(params, "document")

    async def send_photo(self, params: ApiParams) -> JsonDict:
        """``sendPhoto``: an image upload (≤ 10 MB) or an existing photo ``file_id``."""
        return await self._send_media(params, "photo")

    async def get_file(self, params: ApiParams) -> JsonDict:
        """``getFile``: files up to 20 MB can be downloaded."""
        file_id = params.get_str("file_id") or ""
        stored = self.state.files.get(file_id)
        if stored is None:
            raise ApiError(400, errors.INVALID_FILE_ID)
        if stored.size > self.state.config.max_download_bytes:
            raise ApiError(400, errors.FILE_TOO_BIG)
        return stored.file_api()

    # ---------------------------------------------------------------- methods: chat, bot settings

    async def send_chat_action(self, params: ApiParams) -> bool:
        """``sendChatAction``."""
        chat = self._chat_for_send(params)
        action = params.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise errors.bad_request("wrong parameter action in request")
        chat.last_action = {"action": action, "date": self.state.now_int()}
        self.state.touch(chat)
        return True

    async def get_chat(self, params: ApiParams) -> JsonDict:
        """``getChat`` (a minimal ChatFullInfo)."""
        chat_id = params.chat_id()
        state = self.state
        chat: Chat | None = None
        if isinstance(chat_id, int):
            user = state.users.get(chat_id)
            chat = state.private_chat(user) if user is not None else state.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        return state.chat_api(chat) | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    @staticmethod
    def _scope_key(params: ApiParams) -> tuple[str, str]:
        scope = params.get_json("scope")
        if not isinstance(scope, dict):
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    async def set_my_commands(self, params: ApiParams) -> bool:
        """``setMyCommands``, stored per scope and language."""
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > _MAX_COMMANDS:
            raise errors.bad_request("can't parse commands JSON object")
        clean: list[JsonDict] = []
        for item in commands:
            if not isinstance(item, dict):
                raise errors.bad_request("can't parse BotCommand JSON object")
            command = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.fullmatch(command):
                raise errors.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise errors.bad_request("command description must be non-empty")
            clean.append({"command": command, "description": description})
        key = self._scope_key(params)
        if clean:
            self.state.commands[key] = clean
        else:
            self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, params: ApiParams) -> list[JsonDict]:
        """``getMyCommands`` for exactly the given scope and language."""
        return self.state.commands.get(self._scope_key(params), [])

    async def delete_my_commands(self, params: ApiParams) -> bool:
        """``deleteMyCommands``."""
        self.state.commands.pop(self._scope_key(params), None)
        return True

    def _set_property(self, params: ApiParams, name: str) -> bool:
        language = params.get_str("language_code") or ""
        self.state.bot_properties[f"{name}:{language}"] = params.get_str(name) or ""
        return True

    def _get_property(self, params: ApiParams, name: str) -> JsonDict:
        language = params.get_str("language_code") or ""
        return {name: self.state.bot_properties.get(f"{name}:{language}", "")}

    async def set_my_description(self, params: ApiParams) -> bool:
        """``setMyDescription``."""
        return self._set_property(params, "description")

    async def get_my_description(self, params: ApiParams) -> JsonDict:
        """``getMyDescription``."""
        return self._get_property(params, "description")

    async def set_my_short_description(self, params: ApiParams) -> bool:
        """``setMyShortDescription``."""
        return self._set_property(params, "short_description")

    async def get_my_short_description(self, params: ApiParams) -> JsonDict:
        """``getMyShortDescription``."""
        return self._get_property(params, "short_description")

    async def set_chat_menu_button(self, params: ApiParams) -> bool:
        """``setChatMenuButton``."""
        button = params.get_json("menu_button")
        key = f"menu_button:{params.get_str('chat_id') or ''}"
        self.state.bot_properties[key] = button if isinstance(button, dict) else None
        return True

    async def get_chat_menu_button(self, params: ApiParams) -> JsonDict:
        """``getChatMenuButton``."""
        key = f"menu_button:{params.get_str('chat_id') or ''}"
        button = self.state.bot_properties.get(key)
        return button if isinstance(button, dict) else {"type": "commands"}
