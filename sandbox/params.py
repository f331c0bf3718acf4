"""Reading Bot API requests: query string, JSON, form-urlencoded and multipart bodies.

Owns turning an aiohttp request into typed parameters and uploaded files, the way Telegram
accepts them (form values are strings, objects arrive JSON-encoded, files as parts or
``attach://name`` references).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox import errors
from sandbox.errors import ApiError

JsonDict = dict[str, Any]
_CHUNK = 64 * 1024
_MAX_FIELD = 1024 * 1024  # a non-file multipart field (text, JSON markup)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class ApiParams:
    """The parameters of one Bot API call with Telegram-like coercion."""

    values: JsonDict = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether ``name`` was given with a non-empty value."""
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        """The value as received."""
        return self.values.get(name)

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """A string parameter."""
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; numeric strings are accepted.

        Raises:
            ApiError: When the value is not an integer.
        """
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError as exc:
            raise errors.bad_request(f"invalid {name} specified") from exc

    def get_float(self, name: str, default: float | None = None) -> float | None:
        """A number parameter.

        Raises:
            ApiError: When the value is not a number.
        """
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise errors.bad_request(f"invalid {name} specified") from exc

    def get_bool(self, name: str, *, default: bool = False) -> bool:
        """A boolean parameter (``true``/``false``/``1``/``0`` in forms)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def get_json(self, name: str) -> Any:
        """An object or array parameter, decoding a JSON string when needed.

        Raises:
            ApiError: When a string value is not valid JSON.
        """
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise errors.bad_request(f"can't parse {name} JSON object") from exc
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """The chat id: an integer or an ``@username`` string.

        Raises:
            ApiError: When it is missing.
        """
        value = self.values.get(name)
        if value is None or value == "":
            raise errors.bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text

    def input_file(self, name: str) -> UploadedFile | str | None:
        """A file parameter: an uploaded part, an ``attach://`` part or a ``file_id`` string."""
        if name in self.files:
            return self.files[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value[len("attach://") :])
        if isinstance(value, str) and value:
            return value
        return None

    def loggable(self) -> JsonDict:
        """Parameters for the call log, with file bytes summarised."""
        logged = dict(self.values)
        for key, upload in self.files.items():
            logged[key] = {
                "upload": upload.filename,
                "size": len(upload.data),
                "content_type": upload.content_type,
            }
        return logged


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, errors.REQUEST_TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_params(request: web.Request, *, max_upload: int) -> ApiParams:
    """Parse query string and body of a Bot API request.

    Raises:
        ApiError: On a malformed body or an upload over ``max_upload`` bytes (413).
    """
    params = ApiParams(values=dict(request.query))
    if request.method != "POST" or not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise errors.bad_request("can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise errors.bad_request("can't parse JSON object")
        params.values.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            is_file = part.filename is not None
            data = await _read_part(part, max_upload if is_file else _MAX_FIELD)
            if part.filename is not None:
                params.files[part.name] = UploadedFile(
                    part.name, part.filename, part.headers.get("Content-Type"), data
                )
            else:
                params.values[part.name] = data.decode("utf-8", errors="replace")
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        params.values.update({key: str(value) for key, value in form.items()})
    return params
