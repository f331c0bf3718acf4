"""Typed async client for the sandbox's simulation API (``/sim``), for tests and benchmarks.

Owns HTTP calls to ``/sim`` only; it never speaks the Bot API (bots use their own library).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, cast

import aiohttp

JsonDict = dict[str, Any]


class SandboxError(Exception):
    """The simulation API refused a request."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{status}: {message}")
        self.status = status
        self.body = body


def _drop_none(values: JsonDict) -> JsonDict:
    return {key: value for key, value in values.items() if value is not None}


class SandboxClient:
    """Client for one sandbox at ``base_url`` (``http://127.0.0.1:<port>``).

    Use as ``async with SandboxClient(url) as client:``, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._timeout = timeout

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        data: aiohttp.FormData | None = None,
        http_timeout: float | None = None,
        accept: tuple[int, ...] = (),
    ) -> Any:
        total = aiohttp.ClientTimeout(total=http_timeout or self._timeout)
        async with self._http().request(
            method, self.base_url + path, json=json, params=params, data=data, timeout=total
        ) as response:
            body = await response.json()
            if response.status >= 400 and response.status not in accept:
                raise SandboxError(response.status, body)
            return body

    # ---------------------------------------------------------------- bot and users

    async def info(self) -> JsonDict:
        """Bot identity, token and URLs."""
        return cast("JsonDict", await self._request("GET", "/sim/info"))

    async def personas(self) -> list[JsonDict]:
        """The persona dicts the server was started with."""
        return cast("list[JsonDict]", await self._request("GET", "/sim/personas"))

    async def create_user(
        self,
        first_name: str = "User",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone: str | None = None,
    ) -> JsonDict:
        """Create a virtual user (or return the existing one with ``user_id``)."""
        body = _drop_none(
            {
                "id": user_id,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
                "phone": phone,
            }
        )
        return cast("JsonDict", await self._request("POST", "/sim/users", json=body))

    async def users(self) -> list[JsonDict]:
        """Every virtual user."""
        return cast("list[JsonDict]", await self._request("GET", "/sim/users"))

    async def user(self, user_id: int) -> JsonDict:
        """One virtual user with its ``started``/``blocked`` flags."""
        return cast("JsonDict", await self._request("GET", f"/sim/users/{user_id}"))

    async def create_group(
        self, title: str, members: list[int], *, chat_id: int | None = None
    ) -> JsonDict:
        """Create a group chat; returns the Bot API ``Chat``."""
        body = _drop_none({"title": title, "members": members, "chat_id": chat_id})
        return cast("JsonDict", await self._request("POST", "/sim/groups", json=body))

    # ---------------------------------------------------------------- user actions

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user writes ``text``; returns ``{"message": ..., "update_id": ...}``."""
        body = _drop_none(
            {"text": text, "reply_to_message_id": reply_to_message_id, "chat_id": chat_id}
        )
        return cast(
            "JsonDict", await self._request("POST", f"/sim/users/{user_id}/text", json=body)
        )

    async def send_contact(
        self,
        user_id: int,
        *,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
    ) -> JsonDict:
        """Share a contact: the user's own without ``phone_number``, else exactly as given."""
        body = _drop_none(
            {
                "phone_number": phone_number,
                "first_name": first_name,
                "last_name": last_name,
                "user_id": contact_user_id,
            }
        )
        return cast(
            "JsonDict", await self._request("POST", f"/sim/users/{user_id}/contact", json=body)
        )

    def _file_form(
        self, data: bytes, file_name: str, mime_type: str | None, caption: str | None
    ) -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field(
            "file", data, filename=file_name, content_type=mime_type or "application/octet-stream"
        )
        if caption is not None:
            form.add_field("caption", caption)
        return form

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> JsonDict:
        """The user uploads a document."""
        form = self._file_form(data, file_name, mime_type, caption)
        return cast(
            "JsonDict", await self._request("POST", f"/sim/users/{user_id}/document", data=form)
        )

    async def send_photo(
        self, user_id: int, data: bytes, *, caption: str | None = None
    ) -> JsonDict:
        """The user sends a photo (PNG/JPEG/GIF/WebP bytes)."""
        form = self._file_form(data, "photo.jpg", None, caption)
        return cast(
            "JsonDict", await self._request("POST", f"/sim/users/{user_id}/photo", data=form)
        )

    async def press_button(
        self, user_id: int, message_id: int, data: str, *, strict: bool = False
    ) -> JsonDict:
        """Press an inline button; ``data`` may be forged unless ``strict``."""
        body = {"message_id": message_id, "data": data, "strict": strict}
        return cast(
            "JsonDict", await self._request("POST", f"/sim/users/{user_id}/press", json=body)
        )

    async def block(self, user_id: int) -> JsonDict:
        """The user blocks the bot."""
        return cast("JsonDict", await self._request("POST", f"/sim/users/{user_id}/block"))

    async def unblock(self, user_id: int) -> JsonDict:
        """The user unblocks the bot."""
        return cast("JsonDict", await self._request("POST", f"/sim/users/{user_id}/unblock"))

    async def deactivate(self, user_id: int) -> JsonDict:
        """The user deletes the account."""
        return cast("JsonDict", await self._request("POST", f"/sim/users/{user_id}/deactivate"))

    # ---------------------------------------------------------------- reading chats

    async def transcript(self, user_id: int) -> JsonDict:
        """The private chat's transcript: ``messages``, ``callbacks``, ``reply_keyboard``..."""
        return cast("JsonDict", await self._request("GET", f"/sim/users/{user_id}/transcript"))

    async def chat_transcript(self, chat_id: int) -> JsonDict:
        """Any chat's transcript."""
        return cast("JsonDict", await self._request("GET", f"/sim/chats/{chat_id}/transcript"))

    async def bot_messages(self, user_id: int) -> list[JsonDict]:
        """The bot's messages in the user's private chat, in order."""
        transcript = await self.transcript(user_id)
        return [m for m in transcript["messages"] if m["sender"] == "bot"]

    async def wait_for_bot_messages(
        self,
        user_id: int,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server waits; the HTTP timeout follows
    ) -> list[JsonDict]:
        """Wait until the private chat holds ``count`` bot messages; returns all bot messages.

        Raises:
            TimeoutError: When fewer arrived within ``timeout`` seconds.
        """
        body = await self._request(
            "GET",
            f"/sim/users/{user_id}/wait",
            params={"count": str(count), "timeout": str(timeout)},
            http_timeout=timeout + 10,
            accept=(408,),
        )
        if not body.get("ok"):
            raise TimeoutError(body.get("error"))
        return [m for m in body["messages"] if m["sender"] == "bot"]

    async def download(self, url: str) -> bytes:
        """Fetch a file by the ``url`` of a transcript file (``/sim/files/...``)."""
        async with self._http().get(self.base_url + url) as response:
            if response.status != 200:
                raise SandboxError(response.status, await response.text())
            return await response.read()

    # ---------------------------------------------------------------- faults, limits, config

    async def set_fault(
        self,
        kind: str,
        *,
        method: str = "*",
        count: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        retry_after: int | None = None,
        status: int | None = None,
        delay: float | None = None,
        error_code: int | None = None,
        description: str | None = None,
        parameters: JsonDict | None = None,
    ) -> JsonDict:
        """Add a fault rule: ``flood``, ``server_error``, ``error``, ``slow`` or ``drop``."""
        body = _drop_none(
            {
                "kind": kind,
                "method": method,
                "count": count,
                "probability": probability,
                "seed": seed,
                "retry_after": retry_after,
                "status": status,
                "delay": delay,
                "error_code": error_code,
                "description": description,
                "parameters": parameters,
            }
        )
        return cast("JsonDict", await self._request("POST", "/sim/faults", json=body))

    async def faults(self) -> list[JsonDict]:
        """Every fault rule with ``fired`` counters."""
        return cast("list[JsonDict]", await self._request("GET", "/sim/faults"))

    async def clear_faults(self) -> None:
        """Remove every fault rule."""
        await self._request("DELETE", "/sim/faults")

    async def set_rate_limits(self, **changes: Any) -> JsonDict:
        """Change rate limits, e.g. ``enabled=True, private_per_second=1``."""
        return cast("JsonDict", await self._request("PUT", "/sim/rate-limits", json=changes))

    async def rate_limits(self) -> JsonDict:
        """Current rate limits and the number of refusals."""
        return cast("JsonDict", await self._request("GET", "/sim/rate-limits"))

    async def set_config(self, **changes: float) -> JsonDict:
        """Change runtime settings, e.g. ``callback_answer_timeout=1``."""
        return cast("JsonDict", await self._request("PATCH", "/sim/config", json=changes))

    async def advance_clock(self, seconds: float) -> JsonDict:
        """Move the sandbox clock forward."""
        return cast(
            "JsonDict", await self._request("POST", "/sim/clock", json={"advance": seconds})
        )

    # ---------------------------------------------------------------- inspection

    async def calls(self, method: str | None = None, since: int | None = None) -> list[JsonDict]:
        """Recorded Bot API calls (``seq``, ``method``, ``params``, ``time``, outcome)."""
        params = _drop_none({"method": method, "since": None if since is None else str(since)})
        return cast("list[JsonDict]", await self._request("GET", "/sim/calls", params=params))

    async def clear_calls(self) -> None:
        """Forget recorded calls."""
        await self._request("DELETE", "/sim/calls")

    async def updates(self, *, pending: bool = False) -> list[JsonDict]:
        """Generated updates with delivery status."""
        params = {"pending": "1"} if pending else None
        return cast("list[JsonDict]", await self._request("GET", "/sim/updates", params=params))

    async def webhook(self) -> JsonDict:
        """Webhook settings and delivery attempts."""
        return cast("JsonDict", await self._request("GET", "/sim/webhook"))

    async def callbacks(self) -> list[JsonDict]:
        """Every callback query and its answer."""
        return cast("list[JsonDict]", await self._request("GET", "/sim/callbacks"))

    async def reset(self, *, keep_users: bool = False) -> None:
        """Forget chats, updates, files, faults, limits and calls (and users, by default)."""
        await self._request("POST", "/sim/reset", json={"keep_users": keep_users})
