"""aiogram's Bot API models are built when first used (core/lazy_models.py), unchanged.

Each probe runs in a fresh interpreter: whether aiogram was imported before ``bot`` decides
whether the deferral happens, and a test process has long imported both.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Updates as Telegram sends them and calls as the bot makes them: parsed and dumped by the
# deferred models and by aiogram's own eager ones, the results must be identical.
EXCHANGE = """
import json, sys
{first}
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.methods.base import Response
from aiogram.types import (
    InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update,
)

updates = [
    {"update_id": 1, "message": {"message_id": 5, "date": 1764403200,
        "chat": {"id": 42, "type": "private", "first_name": "Anna"},
        "from": {"id": 42, "is_bot": False, "first_name": "Anna", "language_code": "lv"},
        "text": "/diary 2026-11-27",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}},
    {"update_id": 2, "callback_query": {"id": "9", "chat_instance": "c",
        "from": {"id": 42, "is_bot": False, "first_name": "Anna"}, "data": "d:w:2026-11-23",
        "message": {"message_id": 6, "date": 1764403200, "chat": {"id": 42, "type": "private"},
            "text": "Dienasgrāmata",
            "reply_markup": {"inline_keyboard": [[{"text": "<", "callback_data": "d:p"}]]}}}},
    {"update_id": 3, "message": {"message_id": 7, "date": 1764403200,
        "chat": {"id": 42, "type": "private"}, "document": {"file_id": "f", "file_unique_id": "u",
        "file_name": "timetable.xml", "file_size": 1024}}},
]
parsed = [Update.model_validate(u).model_dump(mode="json", exclude_none=True) for u in updates]
button = InlineKeyboardButton(text="8", callback_data="m:1")
keyboard = InlineKeyboardMarkup(inline_keyboard=[[button]])
calls = [
    SendMessage(chat_id=42, text="<b>Atzīmes</b>", reply_markup=keyboard,
                reply_parameters=ReplyParameters(message_id=5)),
    EditMessageText(chat_id=42, message_id=6, text="Pirmdiena", reply_markup=keyboard),
    AnswerCallbackQuery(callback_query_id="9", text="Saglabāts"),
]
dumped = [c.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for c in calls]
reply = Response[Message].model_validate({"ok": True, "result": updates[0]["message"]})
print(json.dumps({"parsed": parsed, "dumped": dumped, "reply": reply.result.message_id}))
"""


def probe(first: str) -> dict[str, object]:
    out = run(EXCHANGE.replace("{first}", first))
    return json.loads(out.splitlines()[-1])  # type: ignore[no-any-return]


def run(source: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", source],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_importing_the_bot_leaves_aiogram_models_unbuilt_until_used() -> None:
    out = run(
        "import bot\n"
        "from aiogram.types import Message, Sticker, Update\n"
        "print(Update.__pydantic_complete__, Sticker.__pydantic_complete__)\n"
        "Update.model_validate({'update_id': 1})\n"
        "print(Update.__pydantic_complete__, Sticker.__pydantic_complete__)\n"
    )

    # Nothing built at import; the first update builds what it needs, and only that.
    assert out.splitlines() == ["False False", "True False"]


def test_deferred_models_read_and_write_exactly_what_aiogram_own_models_do() -> None:
    eager = probe("import aiogram.types")  # aiogram first: the deferral is skipped
    lazy = probe("import bot")

    assert lazy["parsed"] == eager["parsed"]
    assert lazy["dumped"] == eager["dumped"]
    assert lazy["reply"] == eager["reply"] == 5
    assert lazy["parsed"][1]["callback_query"]["data"] == "d:w:2026-11-23"  # type: ignore[index]


def test_every_bot_api_type_and_method_still_builds() -> None:
    # A forward reference the deferred models could not resolve would only surface when a rare
    # update or call arrives: build them all here.
    out = run(
        "import bot, aiogram.methods\n"
        "from pydantic import BaseModel\n"
        "models, pending = [], [BaseModel]\n"
        "while pending:\n"
        "    model = pending.pop()\n"
        "    pending.extend(model.__subclasses__())\n"
        "    if model.__module__.startswith(('aiogram.types.', 'aiogram.methods.')):\n"
        "        models.append(model)\n"
        "unbuilt = sum(not c.__pydantic_complete__ for c in models)\n"
        "for c in models:\n"
        "    c.model_rebuild()\n"
        "failed = [c.__name__ for c in models if not c.__pydantic_complete__]\n"
        "print(len(models), unbuilt, failed)\n"
    )
    count, unbuilt, failed = out.split(" ", 2)

    assert int(count) > 1000
    assert int(unbuilt) > 1000  # they were deferred...
    assert failed == "[]"  # ...and each builds


def test_the_notifications_worker_defers_them_too() -> None:
    out = run(
        "import notifications.__main__\n"
        "from aiogram.types import Message\n"
        "print(Message.__pydantic_complete__)\n"
    )

    assert out == "False"


def test_a_model_of_ours_that_embeds_a_deferred_type_validates() -> None:
    out = run(
        "import bot\n"
        "from pydantic import BaseModel\n"
        "from aiogram.types import ChatFullInfo, Message\n"
        "class Seen(BaseModel):\n"
        "    message: Message\n"
        "    chat: ChatFullInfo | None = None\n"
        "seen = Seen.model_validate({'message': {'message_id': 1, 'date': 0,\n"
        "    'chat': {'id': 7, 'type': 'private'}, 'reply_to_message': {'message_id': 0,\n"
        "    'date': 0, 'chat': {'id': 7, 'type': 'private'}, 'text': 'earlier'}}})\n"
        "print(seen.message.reply_to_message.text)\n"
    )

    assert out == "earlier"


def test_when_aiogram_was_imported_first_nothing_changes() -> None:
    out = run(
        "import aiogram.types\n"
        "from core.lazy_models import import_deferring_models\n"
        "print(import_deferring_models('aiogram', ('aiogram.types.',)),\n"
        "      aiogram.types.Message.__pydantic_complete__)\n"
    )

    assert out == "False True"
