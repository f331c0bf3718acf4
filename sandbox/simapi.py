"""The simulation API under ``/sim``: JSON endpoints for tests, benchmarks and the demo page.

Owns HTTP parsing and JSON answers for user actions, inspection, faults, rate limits and reset.
The actions themselves live in ``simulate``; the JSON shapes in ``views``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox.simulate import SimError, Simulator
from sandbox.state import JsonDict, SandboxState, StoredMessage, UpdateEntry
from sandbox.views import message_json, transcript_json

_MAX_WAIT = 120.0


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _json_body(request: web.Request) -> JsonDict:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise SimError(400, "body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise SimError(400, "body must be a JSON object")
    return body


def _int(value: Any, name: str, *, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise SimError(400, f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SimError(400, f"{name} must be an integer") from exc


def _required_int(value: Any, name: str) -> int:
    result = _int(value, name)
    if result is None:
        raise SimError(400, f"{name} is required")
    return result


def _float(value: Any, name: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise SimError(400, f"{name} must be a number") from exc


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


class SimApi:
    """Request handlers of the simulation API."""

    def __init__(
        self,
        state: SandboxState,
        simulator: Simulator,
        on_reset: Callable[[], None] | None = None,
    ) -> None:
        self.state = state
        self.sim = simulator
        self._on_reset = on_reset

    def routes(self) -> list[web.RouteDef]:
        """Every ``/sim`` route."""
        user = "/sim/users/{user_id}"
        return [
            web.get("/sim/info", self.info),
            web.get("/sim/personas", self.personas),
            web.get("/sim/users", self.list_users),
            web.post("/sim/users", self.create_user),
            web.get(user, self.get_user),
            web.post(f"{user}/text", self.send_text),
            web.post(f"{user}/contact", self.send_contact),
            web.post(f"{user}/document", self.send_document),
            web.post(f"{user}/photo", self.send_photo),
            web.post(f"{user}/press", self.press),
            web.post(f"{user}/block", self.block),
            web.post(f"{user}/unblock", self.unblock),
            web.post(f"{user}/deactivate", self.deactivate),
            web.get(f"{user}/transcript", self.user_transcript),
            web.get(f"{user}/wait", self.user_wait),
            web.post("/sim/groups", self.create_group),
            web.get("/sim/chats/{chat_id}/transcript", self.chat_transcript),
            web.get("/sim/chats/{chat_id}/wait", self.chat_wait),
            web.get("/sim/files/{file_id}", self.file),
            web.get("/sim/faults", self.list_faults),
            web.post("/sim/faults", self.add_fault),
            web.delete("/sim/faults", self.clear_faults),
            web.delete("/sim/faults/{fault_id}", self.remove_fault),
            web.get("/sim/rate-limits", self.get_rate_limits),
            web.put("/sim/rate-limits", self.set_rate_limits),
            web.post("/sim/rate-limits", self.set_rate_limits),
            web.get("/sim/config", self.get_config),
            web.patch("/sim/config", self.set_config),
            web.post("/sim/config", self.set_config),
            web.post("/sim/clock", self.advance_clock),
            web.get("/sim/calls", self.calls),
            web.delete("/sim/calls", self.clear_calls),
            web.get("/sim/updates", self.updates),
            web.get("/sim/webhook", self.webhook),
            web.get("/sim/callbacks", self.callbacks),
            web.post("/sim/reset", self.reset),
        ]

    @web.middleware
    async def errors_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Turn ``SimError`` into a JSON error answer on ``/sim`` routes."""
        try:
            response: web.StreamResponse = await handler(request)
        except SimError as exc:
            return _error(exc.status, exc.message)
        return response

    # ---------------------------------------------------------------- info and users

    async def info(self, request: web.Request) -> web.Response:
        """Bot identity and the URLs a bot needs."""
        base = f"{request.scheme}://{request.host}"
        return web.json_response(
            {
                "bot": self.state.bot_api(),
                "token": self.state.config.token,
                "api_url": base,
                "bot_api_base": f"{base}/bot{self.state.config.token}",
                "webhook": self.state.webhook.url,
            }
        )

    async def personas(self, request: web.Request) -> web.Response:
        """The personas the server was started with (opaque to the sandbox)."""
        return web.json_response(self.state.config.personas)

    async def list_users(self, request: web.Request) -> web.Response:
        """Every virtual user."""
        return web.json_response([user.to_json() for user in self.state.users.values()])

    async def create_user(self, request: web.Request) -> web.Response:
        """Create a virtual user (an existing ``id`` returns it unchanged)."""
        body = await _json_body(request)
        user_id = _int(body.get("id", body.get("user_id")), "id")
        existed = user_id is not None and user_id in self.state.users
        user = self.sim.create_user(
            user_id=user_id,
            first_name=str(body.get("first_name") or "User"),
            last_name=_opt_str(body.get("last_name")),
            username=_opt_str(body.get("username")),
            language_code=_opt_str(body.get("language_code")),
            phone=_opt_str(body.get("phone")),
        )
        return web.json_response(user.to_json(), status=200 if existed else 201)

    def _user_id(self, request: web.Request) -> int:
        return _required_int(request.match_info["user_id"], "user_id")

    async def get_user(self, request: web.Request) -> web.Response:
        """One virtual user."""
        return web.json_response(self.sim.user(self._user_id(request)).to_json())

    # ---------------------------------------------------------------- user actions

    def _sent(self, message: StoredMessage, entry: UpdateEntry | None) -> web.Response:
        return web.json_response(
            {
                "message": message_json(self.state, message),
                "update_id": entry.update_id if entry else None,
            }
        )

    async def send_text(self, request: web.Request) -> web.Response:
        """The user sends text (commands get ``bot_command`` entities)."""
        body = await _json_body(request)
        entities = body.get("entities")
        message, entry = self.sim.send_text(
            self._user_id(request),
            str(body.get("text") or ""),
            chat_id=_int(body.get("chat_id"), "chat_id"),
            reply_to_message_id=_int(body.get("reply_to_message_id"), "reply_to_message_id"),
            entities=entities if isinstance(entities, list) else None,
        )
        return self._sent(message, entry)

    async def send_contact(self, request: web.Request) -> web.Response:
        """The user shares a contact: own (empty body) or as given."""
        body = await _json_body(request)
        message, entry = self.sim.send_contact(
            self._user_id(request),
            phone_number=_opt_str(body.get("phone_number")),
            first_name=_opt_str(body.get("first_name")),
            last_name=_opt_str(body.get("last_name")),
            contact_user_id=_int(body.get("user_id"), "user_id"),
            chat_id=_int(body.get("chat_id"), "chat_id"),
        )
        return self._sent(message, entry)

    async def _upload(self, request: web.Request) -> tuple[bytes, JsonDict]:
        """File bytes and fields from a multipart form (part ``file``) or a JSON body."""
        if request.content_type == "multipart/form-data":
            fields: JsonDict = {}
            data: bytes | None = None
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read()
                    fields.setdefault("file_name", part.filename)
                    content_type = part.headers.get("Content-Type")
                    if content_type and content_type != "application/octet-stream":
                        fields.setdefault("mime_type", content_type)
                else:
                    fields[part.name] = await part.text()
            if data is None:
                raise SimError(400, "multipart body needs a file part")
            return data, fields
        body = await _json_body(request)
        try:
            data = base64.b64decode(str(body.get("content_base64", "")), validate=True)
        except binascii.Error as exc:
            raise SimError(400, "content_base64 is not valid base64") from exc
        return data, body

    async def send_document(self, request: web.Request) -> web.Response:
        """The user uploads a document (multipart ``file`` or JSON ``content_base64``)."""
        data, fields = await self._upload(request)
        message, entry = self.sim.send_document(
            self._user_id(request),
            data,
            file_name=str(fields.get("file_name") or "file.bin"),
            mime_type=_opt_str(fields.get("mime_type")),
            caption=_opt_str(fields.get("caption")),
            chat_id=_int(fields.get("chat_id"), "chat_id"),
        )
        return self._sent(message, entry)

    async def send_photo(self, request: web.Request) -> web.Response:
        """The user sends a photo (multipart ``file`` or JSON ``content_base64``)."""
        data, fields = await self._upload(request)
        message, entry = self.sim.send_photo(
            self._user_id(request),
            data,
            caption=_opt_str(fields.get("caption")),
            chat_id=_int(fields.get("chat_id"), "chat_id"),
        )
        return self._sent(message, entry)

    async def press(self, request: web.Request) -> web.Response:
        """The user presses an inline button (any ``data``, even one on no button)."""
        body = await _json_body(request)
        record = self.sim.press_button(
            self._user_id(request),
            _required_int(body.get("message_id"), "message_id"),
            str(body.get("data") or ""),
            chat_id=_int(body.get("chat_id"), "chat_id"),
            strict=bool(body.get("strict", False)),
        )
        return web.json_response(record.to_json())

    async def block(self, request: web.Request) -> web.Response:
        """The user blocks the bot."""
        entry = self.sim.block(self._user_id(request))
        return web.json_response({"ok": True, "update_id": entry.update_id if entry else None})

    async def unblock(self, request: web.Request) -> web.Response:
        """The user unblocks the bot."""
        entry = self.sim.unblock(self._user_id(request))
        return web.json_response({"ok": True, "update_id": entry.update_id if entry else None})

    async def deactivate(self, request: web.Request) -> web.Response:
        """The user deletes the account."""
        self.sim.deactivate(self._user_id(request))
        return web.json_response({"ok": True})

    async def create_group(self, request: web.Request) -> web.Response:
        """Create a group chat with the bot and some users."""
        body = await _json_body(request)
        members = body.get("members") or []
        if not isinstance(members, list):
            raise SimError(400, "members must be a list of user ids")
        chat = self.sim.create_group(
            title=str(body.get("title") or "Group"),
            member_ids=[_required_int(member, "members[]") for member in members],
            chat_id=_int(body.get("chat_id", body.get("id")), "chat_id"),
        )
        return web.json_response(self.state.chat_api(chat), status=201)

    # ---------------------------------------------------------------- transcripts and waits

    async def _transcript(self, request: web.Request, chat_id: int) -> web.Response:
        """Transcript; with ``wait`` and ``version`` it long-polls until the chat changes."""
        wait = min(_float(request.query.get("wait"), "wait", 0.0), _MAX_WAIT)
        version = _int(request.query.get("version"), "version")
        if wait > 0 and version is not None:

            def changed() -> bool:
                chat = self.state.chats.get(chat_id)
                return (chat.version if chat else 0) != version

            await self.state.notifier.wait_for(changed, wait)
        chat = self.state.chats.get(chat_id)
        return web.json_response(transcript_json(self.state, chat, chat_id))

    async def _wait(self, request: web.Request, chat_id: int) -> web.Response:
        """Wait until the chat holds ``count`` bot messages (deleted ones count too)."""
        count = _int(request.query.get("count"), "count", default=1) or 1
        timeout = min(_float(request.query.get("timeout"), "timeout", 10.0), _MAX_WAIT)

        def bot_count() -> int:
            chat = self.state.chats.get(chat_id)
            return len(chat.bot_messages()) if chat else 0

        reached = await self.state.notifier.wait_for(lambda: bot_count() >= count, timeout)
        chat = self.state.chats.get(chat_id)
        body = transcript_json(self.state, chat, chat_id)
        body["bot_message_count"] = bot_count()
        if not reached:
            body["ok"] = False
            body["error"] = f"timed out with {bot_count()} of {count} bot messages"
            return web.json_response(body, status=408)
        body["ok"] = True
        return web.json_response(body)

    async def user_transcript(self, request: web.Request) -> web.Response:
        """The transcript of the user's private chat."""
        return await self._transcript(request, self.sim.user(self._user_id(request)).id)

    async def user_wait(self, request: web.Request) -> web.Response:
        """Wait for bot messages in the user's private chat."""
        return await self._wait(request, self.sim.user(self._user_id(request)).id)

    async def chat_transcript(self, request: web.Request) -> web.Response:
        """The transcript of any chat."""
        return await self._transcript(
            request, _required_int(request.match_info["chat_id"], "chat_id")
        )

    async def chat_wait(self, request: web.Request) -> web.Response:
        """Wait for bot messages in any chat."""
        return await self._wait(request, _required_int(request.match_info["chat_id"], "chat_id"))

    async def file(self, request: web.Request) -> web.Response:
        """Download a stored file by ``file_id`` (for the demo page and tests)."""
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise SimError(404, "no such file")
        headers = {}
        if stored.file_name:
            safe = stored.file_name.replace('"', "")
            headers["Content-Disposition"] = f'inline; filename="{safe}"'
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type or "application/octet-stream",
            headers=headers,
        )

    # ---------------------------------------------------------------- faults, limits, config

    async def list_faults(self, request: web.Request) -> web.Response:
        """Every fault rule with its counters."""
        return web.json_response([rule.to_json() for rule in self.state.faults.rules])

    async def add_fault(self, request: web.Request) -> web.Response:
        """Add a fault rule."""
        body = await _json_body(request)
        try:
            rule = self.state.faults.add(body)
        except (TypeError, ValueError) as exc:
            raise SimError(400, str(exc)) from exc
        return web.json_response(rule.to_json(), status=201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        """Remove every fault rule."""
        self.state.faults.clear()
        return web.json_response({"ok": True})

    async def remove_fault(self, request: web.Request) -> web.Response:
        """Remove one fault rule."""
        fault_id = _required_int(request.match_info["fault_id"], "fault_id")
        if not self.state.faults.remove(fault_id):
            raise SimError(404, f"no fault {fault_id}")
        return web.json_response({"ok": True})

    async def get_rate_limits(self, request: web.Request) -> web.Response:
        """The rate-limit settings and how many calls they refused."""
        limiter = self.state.limiter
        return web.json_response(limiter.config.to_json() | {"rejections": limiter.rejections})

    async def set_rate_limits(self, request: web.Request) -> web.Response:
        """Change rate-limit settings (partial update); buckets start full."""
        body = await _json_body(request)
        try:
            config = self.state.limiter.config.updated(body)
        except (TypeError, ValueError) as exc:
            raise SimError(400, str(exc)) from exc
        self.state.config.rate_limits = config
        self.state.limiter.configure(config)
        return web.json_response(config.to_json())

    async def get_config(self, request: web.Request) -> web.Response:
        """Runtime settings (timeouts and limits)."""
        return web.json_response(self.state.config.runtime_json())

    async def set_config(self, request: web.Request) -> web.Response:
        """Change runtime settings."""
        body = await _json_body(request)
        try:
            self.state.config.apply(body)
        except ValueError as exc:
            raise SimError(400, str(exc)) from exc
        return web.json_response(self.state.config.runtime_json())

    async def advance_clock(self, request: web.Request) -> web.Response:
        """Move the sandbox clock forward (ages messages and callback queries)."""
        body = await _json_body(request)
        seconds = _float(body.get("advance"), "advance", 0.0)
        if seconds < 0:
            raise SimError(400, "advance must not be negative")
        self.state.clock.advance(seconds)
        return web.json_response(
            {"now": self.state.clock.now(), "offset": self.state.clock.offset}
        )

    # ---------------------------------------------------------------- inspection

    async def calls(self, request: web.Request) -> web.Response:
        """Recorded Bot API calls; filters ``method`` and ``since`` (a ``seq``)."""
        method = (request.query.get("method") or "").lower()
        since = _int(request.query.get("since"), "since", default=0) or 0
        records = [
            record.to_json()
            for record in self.state.calls
            if record.seq > since and (not method or record.method.lower() == method)
        ]
        return web.json_response(records)

    async def clear_calls(self, request: web.Request) -> web.Response:
        """Forget recorded calls."""
        self.state.calls.clear()
        return web.json_response({"ok": True})

    async def updates(self, request: web.Request) -> web.Response:
        """Every update generated (``?pending=1``: only those not yet delivered)."""
        pending_only = request.query.get("pending") in ("1", "true")
        entries = self.state.pending if pending_only else self.state.updates
        return web.json_response([entry.to_json() for entry in entries])

    async def webhook(self, request: web.Request) -> web.Response:
        """The webhook settings and every delivery attempt."""
        webhook = self.state.webhook
        return web.json_response(
            {
                "url": webhook.url,
                "secret_token": webhook.secret_token,
                "max_connections": webhook.max_connections,
                "allowed_updates": self.state.allowed_updates,
                "pending_update_count": len(self.state.pending),
                "last_error_date": webhook.last_error_date,
                "last_error_message": webhook.last_error_message,
                "deliveries": webhook.deliveries,
            }
        )

    async def callbacks(self, request: web.Request) -> web.Response:
        """Every callback query and its answer."""
        return web.json_response([record.to_json() for record in self.state.callbacks.values()])

    async def reset(self, request: web.Request) -> web.Response:
        """Forget everything; ``{"keep_users": true}`` keeps the virtual users."""
        body = await _json_body(request)
        self.state.reset(keep_users=bool(body.get("keep_users", False)))
        if self._on_reset is not None:
            self._on_reset()
        return web.json_response({"ok": True})
