"""Bot API protocol: envelopes, bodies, sending, editing and deleting, Telegram's wording."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from sandbox import errors
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox

from .conftest import BotCaller

KEYBOARD = {"inline_keyboard": [[{"text": "Atzīmes", "callback_data": "mk:1"}]]}


async def test_get_me_envelope_and_case_insensitive_method(bot: BotCaller) -> None:
    status, body = await bot("GETME")
    assert status == 200
    assert body == {
        "ok": True,
        "result": {
            "id": 424242,
            "is_bot": True,
            "first_name": "eJournal",
            "username": "ejournal_sandbox_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        },
    }


async def test_wrong_token_is_401_and_unknown_method_404(bot: BotCaller) -> None:
    status, body = await bot("getMe", token="1:wrong")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await bot("sendCarrierPigeon")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_get_request_with_query_string(
    http: aiohttp.ClientSession, sandbox: RunningSandbox
) -> None:
    async with http.get(f"{sandbox.bot_api_base}/getMe?x=1") as response:
        assert (await response.json())["result"]["username"] == "ejournal_sandbox_bot"


async def test_send_message_json_body(bot: BotCaller, user: dict[str, Any]) -> None:
    result = await bot.ok("sendMessage", chat_id=user["id"], text="Sveiki!", reply_markup=KEYBOARD)
    assert result["message_id"] == 2  # the user's /start was message 1
    assert result["chat"] == {
        "id": user["id"],
        "type": "private",
        "first_name": "Anna",
        "last_name": "Bērziņa",
    }
    assert result["from"]["id"] == 424242
    assert result["from"]["is_bot"] is True
    assert result["text"] == "Sveiki!"
    assert result["reply_markup"] == KEYBOARD
    assert isinstance(result["date"], int)


async def test_form_body_with_json_encoded_markup(bot: BotCaller, user: dict[str, Any]) -> None:
    result = await bot.ok(
        "sendMessage",
        form=True,
        chat_id=str(user["id"]),
        text="<b>9</b> matemātikā",
        parse_mode="HTML",
        reply_markup=json.dumps(KEYBOARD),
    )
    assert result["text"] == "9 matemātikā"
    assert result["entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    assert result["reply_markup"] == KEYBOARD


async def test_multipart_body_without_files(
    http: aiohttp.ClientSession, sandbox: RunningSandbox, user: dict[str, Any]
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user["id"]))
    form.add_field("text", "multipart")
    form.add_field("reply_markup", json.dumps(KEYBOARD))
    form.add_field("unused", b"x", filename="x.bin")  # forces multipart/form-data
    async with http.post(f"{sandbox.bot_api_base}/sendMessage", data=form) as response:
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["reply_markup"] == KEYBOARD


async def test_text_errors(bot: BotCaller, user: dict[str, Any]) -> None:
    chat = user["id"]
    assert await bot.error("sendMessage", chat_id=chat, text="") == (400, errors.TEXT_EMPTY)
    assert await bot.error("sendMessage", chat_id=chat, text="<b></b>", parse_mode="HTML") == (
        400,
        errors.TEXT_EMPTY,
    )
    assert await bot.error("sendMessage", chat_id=chat, text="x" * 4097) == (
        400,
        "Bad Request: message is too long",
    )
    assert await bot.error("sendMessage", chat_id=chat, text="😀" * 2049) == (
        400,
        errors.TEXT_TOO_LONG,
    )
    code, description = await bot.error(
        "sendMessage", chat_id=chat, text="<b>x", parse_mode="HTML"
    )
    assert (code, description) == (
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    )


async def test_html_length_counts_text_without_tags(bot: BotCaller, user: dict[str, Any]) -> None:
    text = "<b>" + "&lt;" * 4096 + "</b>"  # 4096 visible characters, far longer as markup
    result = await bot.ok("sendMessage", chat_id=user["id"], text=text, parse_mode="HTML")
    assert len(result["text"]) == 4096
    code, _ = await bot.error(
        "sendMessage", chat_id=user["id"], text=text + "!", parse_mode="HTML"
    )
    assert code == 400


async def test_button_data_limits(bot: BotCaller, user: dict[str, Any]) -> None:
    def markup(data: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}

    await bot.ok("sendMessage", chat_id=user["id"], text="ok", reply_markup=markup("x" * 64))
    await bot.ok("sendMessage", chat_id=user["id"], text="ok", reply_markup=markup("ā" * 32))
    for bad in ("x" * 65, "ā" * 33, ""):
        assert await bot.error(
            "sendMessage", chat_id=user["id"], text="no", reply_markup=markup(bad)
        ) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_bad_markup_json(bot: BotCaller, user: dict[str, Any]) -> None:
    assert await bot.error(
        "sendMessage", form=True, chat_id=str(user["id"]), text="x", reply_markup="{not json"
    ) == (400, errors.MARKUP_JSON)


async def test_reply_keyboard_and_removal_tracked(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    keyboard = {
        "keyboard": [[{"text": "Dalīties ar numuru", "request_contact": True}], ["Palīdzība"]],
        "resize_keyboard": True,
    }
    result = await bot.ok("sendMessage", chat_id=user["id"], text="Numurs?", reply_markup=keyboard)
    assert "reply_markup" not in result  # Message.reply_markup is inline keyboards only
    transcript = await client.transcript(user["id"])
    assert transcript["reply_keyboard"]["keyboard"] == [
        [{"text": "Dalīties ar numuru", "request_contact": True}],
        [{"text": "Palīdzība"}],
    ]
    await bot.ok(
        "sendMessage", chat_id=user["id"], text="Paldies", reply_markup={"remove_keyboard": True}
    )
    assert (await client.transcript(user["id"]))["reply_keyboard"] is None


async def test_reply_parameters_and_reply_to_message_id(
    bot: BotCaller, user: dict[str, Any]
) -> None:
    result = await bot.ok(
        "sendMessage", chat_id=user["id"], text="re", reply_parameters={"message_id": 1}
    )
    assert result["reply_to_message"]["text"] == "/start"
    result = await bot.ok("sendMessage", chat_id=user["id"], text="re2", reply_to_message_id=1)
    assert result["reply_to_message"]["message_id"] == 1
    assert await bot.error(
        "sendMessage", chat_id=user["id"], text="x", reply_parameters={"message_id": 999}
    ) == (400, errors.REPLY_NOT_FOUND)


async def test_recipient_errors(bot: BotCaller, client: SandboxClient) -> None:
    assert await bot.error("sendMessage", chat_id=777, text="x") == (
        400,
        "Bad Request: chat not found",
    )
    never_started = await client.create_user("Silent")
    assert await bot.error("sendMessage", chat_id=never_started["id"], text="x") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await client.send_text(never_started["id"], "hello")  # any message counts as started
    await bot.ok("sendMessage", chat_id=never_started["id"], text="now I can")
    await client.block(never_started["id"])
    assert await bot.error("sendMessage", chat_id=never_started["id"], text="x") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    await client.unblock(never_started["id"])
    await bot.ok("sendMessage", chat_id=never_started["id"], text="back")
    await client.deactivate(never_started["id"])
    assert await bot.error("sendMessage", chat_id=never_started["id"], text="x") == (
        403,
        "Forbidden: user is deactivated",
    )


async def test_edit_message_text(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    sent = await bot.ok("sendMessage", chat_id=user["id"], text="v1", reply_markup=KEYBOARD)
    ids = {"chat_id": user["id"], "message_id": sent["message_id"]}
    edited = await bot.ok("editMessageText", text="v2", reply_markup=KEYBOARD, **ids)
    assert edited["text"] == "v2"
    assert edited["reply_markup"] == KEYBOARD
    assert isinstance(edited["edit_date"], int)
    assert await bot.error("editMessageText", text="v2", reply_markup=KEYBOARD, **ids) == (
        400,
        errors.NOT_MODIFIED,
    )
    # Without reply_markup the inline keyboard goes away: that is a modification.
    edited = await bot.ok("editMessageText", text="v2", **ids)
    assert "reply_markup" not in edited
    assert await bot.error("editMessageText", text="v2", **ids) == (400, errors.NOT_MODIFIED)
    assert await bot.error("editMessageText", chat_id=user["id"], message_id=999, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert await bot.error("editMessageText", chat_id=user["id"], message_id=1, text="x") == (
        400,
        errors.CANT_EDIT,
    )
    message = (await client.transcript(user["id"]))["messages"][-1]
    assert message["edited"] is True
    assert message["text"] == "v2"
    assert [edit["text"] for edit in message["edits"]] == ["v1", "v2"]


async def test_edit_message_reply_markup(bot: BotCaller, user: dict[str, Any]) -> None:
    sent = await bot.ok("sendMessage", chat_id=user["id"], text="t", reply_markup=KEYBOARD)
    ids = {"chat_id": user["id"], "message_id": sent["message_id"]}
    assert await bot.error("editMessageReplyMarkup", reply_markup=KEYBOARD, **ids) == (
        400,
        errors.NOT_MODIFIED,
    )
    other = {"inline_keyboard": [[{"text": "Cits", "callback_data": "mk:2"}]]}
    result = await bot.ok("editMessageReplyMarkup", reply_markup=other, **ids)
    assert result["reply_markup"] == other
    result = await bot.ok("editMessageReplyMarkup", **ids)
    assert "reply_markup" not in result


async def test_delete_message_and_48_hour_rule(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    first = await bot.ok("sendMessage", chat_id=user["id"], text="one")
    second = await bot.ok("sendMessage", chat_id=user["id"], text="two")
    assert await bot.ok("deleteMessage", chat_id=user["id"], message_id=first["message_id"])
    assert await bot.error(
        "deleteMessage", chat_id=user["id"], message_id=first["message_id"]
    ) == (400, "Bad Request: message to delete not found")
    assert await bot.error(
        "editMessageText", chat_id=user["id"], message_id=first["message_id"], text="x"
    ) == (
        400,
        errors.EDIT_NOT_FOUND,
    )
    await client.advance_clock(48 * 3600 + 1)
    assert await bot.error(
        "deleteMessage", chat_id=user["id"], message_id=second["message_id"]
    ) == (400, "Bad Request: message can't be deleted for everyone")
    messages = (await client.transcript(user["id"]))["messages"]
    assert [(m["text"], m["deleted"]) for m in messages] == [
        ("/start", False),
        ("one", True),
        ("two", False),
    ]


async def test_callback_answers_single_use_and_deadline(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    sent = await bot.ok("sendMessage", chat_id=user["id"], text="?", reply_markup=KEYBOARD)
    press = await client.press_button(user["id"], sent["message_id"], "mk:1")
    assert press["forged"] is False
    assert await bot.ok("answerCallbackQuery", callback_query_id=press["id"], text="Labi")
    assert await bot.error("answerCallbackQuery", callback_query_id=press["id"]) == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    late = await client.press_button(user["id"], sent["message_id"], "mk:1")
    await client.advance_clock(16)
    assert await bot.error("answerCallbackQuery", callback_query_id=late["id"]) == (
        400,
        errors.QUERY_TOO_OLD,
    )
    assert await bot.error("answerCallbackQuery", callback_query_id="nope") == (
        400,
        errors.QUERY_TOO_OLD,
    )
    transcript = await client.transcript(user["id"])
    answers = {c["id"]: c for c in transcript["callbacks"]}
    assert answers[press["id"]]["answer"]["text"] == "Labi"
    assert answers[press["id"]]["rejected_answers"] == 1
    assert answers[late["id"]]["answered"] is False


async def test_callback_deadline_is_configurable(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await client.set_config(callback_answer_timeout=100)
    sent = await bot.ok("sendMessage", chat_id=user["id"], text="?", reply_markup=KEYBOARD)
    press = await client.press_button(user["id"], sent["message_id"], "mk:1")
    await client.advance_clock(60)
    assert await bot.ok("answerCallbackQuery", callback_query_id=press["id"])


async def test_commands_per_scope_and_language(bot: BotCaller) -> None:
    default = [{"command": "start", "description": "Sākt"}]
    english = [{"command": "start", "description": "Start"}]
    private = {"type": "all_private_chats"}
    await bot.ok("setMyCommands", commands=default)
    await bot.ok("setMyCommands", commands=english, language_code="en")
    await bot.ok("setMyCommands", commands=english, scope=private)
    assert await bot.ok("getMyCommands") == default
    assert await bot.ok("getMyCommands", language_code="en") == english
    assert await bot.ok("getMyCommands", scope=private) == english
    assert await bot.ok("getMyCommands", language_code="ru") == []
    await bot.ok("deleteMyCommands", language_code="en")
    assert await bot.ok("getMyCommands", language_code="en") == []
    code, _ = await bot.error("setMyCommands", commands=[{"command": "Bad!", "description": "x"}])
    assert code == 400


async def test_chat_action_close_and_logout(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    assert await bot.ok("sendChatAction", chat_id=user["id"], action="typing") is True
    assert (await client.transcript(user["id"]))["last_action"]["action"] == "typing"
    code, _ = await bot.error("sendChatAction", chat_id=user["id"], action="dancing")
    assert code == 400
    assert await bot.ok("close") is True
    assert await bot.ok("logOut") is True


async def test_calls_are_recorded(
    bot: BotCaller, client: SandboxClient, user: dict[str, Any]
) -> None:
    await bot.ok("sendMessage", chat_id=user["id"], text="a")
    await bot.error("sendMessage", chat_id=user["id"], text="")
    calls = await client.calls(method="sendMessage")
    assert [(c["ok"], c["error_code"]) for c in calls] == [(True, None), (False, 400)]
    assert calls[0]["params"]["text"] == "a"
    assert calls[1]["description"] == errors.TEXT_EMPTY
    assert calls[1]["seq"] > calls[0]["seq"]
    later = await client.calls(since=calls[0]["seq"])
    assert [c["seq"] for c in later] == [calls[1]["seq"]]
