"""Validation of ``reply_markup``: inline keyboards, reply keyboards, removal and force-reply.

Owns the keyboard rules Telegram enforces (64-byte ``callback_data``, button URLs) and the
normalised form the sandbox stores. No HTTP and no chat state here.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox import errors
from sandbox.errors import ApiError

JsonDict = dict[str, Any]

MAX_CALLBACK_DATA_BYTES = 64
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")


def _rows(markup: JsonDict, key: str, type_name: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise errors.bad_request(f'field "{key}" of the {type_name} must be an Array of Arrays')
    return rows


def _inline_button(button: Any) -> JsonDict:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise errors.bad_request("can't parse inline keyboard button: Text must be a String")
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise errors.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not data:
            raise ApiError(400, errors.BUTTON_DATA_INVALID)
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, errors.BUTTON_DATA_INVALID)
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(_URL_SCHEMES):
            raise ApiError(400, errors.BUTTON_URL_INVALID)
    return dict(button)


def _reply_button(button: Any) -> JsonDict:
    if isinstance(button, str):
        return {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise errors.bad_request("can't parse keyboard button: Text must be a String")
    return dict(button)


def parse_reply_markup(raw: Any, *, inline_only: bool = False) -> JsonDict | None:
    """Validate and normalise ``reply_markup`` given as a dict or a JSON string.

    Args:
        raw: The parameter as received (``None``/empty means no markup).
        inline_only: Accept only an inline keyboard (message edits).

    Returns:
        The normalised markup, or ``None`` when absent.

    Raises:
        ApiError: With Telegram's wording when the markup is invalid.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(400, errors.MARKUP_JSON) from exc
    if not isinstance(raw, dict):
        raise ApiError(400, errors.MARKUP_OBJECT)
    if "inline_keyboard" in raw:
        rows = _rows(raw, "inline_keyboard", "InlineKeyboardMarkup")
        return {"inline_keyboard": [[_inline_button(b) for b in row] for row in rows]}
    if inline_only:
        raise errors.bad_request("inline keyboard expected")
    if "keyboard" in raw:
        rows = _rows(raw, "keyboard", "ReplyKeyboardMarkup")
        markup = dict(raw)
        markup["keyboard"] = [[_reply_button(b) for b in row] for row in rows]
        return markup
    if raw.get("remove_keyboard") is True or raw.get("force_reply") is True:
        return dict(raw)
    raise ApiError(400, errors.MARKUP_OBJECT)


def callback_data_on_buttons(markup: JsonDict | None) -> set[str]:
    """Every ``callback_data`` present on the inline keyboard of ``markup``."""
    if not markup or "inline_keyboard" not in markup:
        return set()
    return {
        button["callback_data"]
        for row in markup["inline_keyboard"]
        for button in row
        if "callback_data" in button
    }
