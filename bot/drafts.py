"""Owns a draft's kept file: the one a user sent while composing, fetched when the draft goes.

News, mail and broadcast drafts keep ``file_id``, ``filename``, ``mime`` and ``photo`` in the
dialog's state; the bytes are downloaded only once the person sends the draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Bot

from core.domain.news import photo_name


async def kept_file(bot: Bot, data: Mapping[str, Any]) -> tuple[str, str, bytes] | None:
    """The kept file's name, type and bytes (a photo is named from its bytes); None without."""
    if not data.get("file_id"):
        return None
    downloaded = await bot.download(str(data["file_id"]))
    content = downloaded.read() if downloaded is not None else b""
    filename, mime = str(data["filename"]), str(data["mime"])
    if data.get("photo"):
        filename, mime = photo_name(content)
    return filename, mime, content
