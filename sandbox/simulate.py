"""What virtual users do: write, share contacts, upload files, press buttons, block the bot.

Owns turning a user action into a stored message and a Bot API update. Used by the simulation
HTTP API and directly by in-process tests.
"""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.formatting import command_entities
from sandbox.markup import callback_data_on_buttons
from sandbox.media import image_mime, image_size
from sandbox.state import (
    CallbackRecord,
    Chat,
    JsonDict,
    SandboxState,
    StoredMessage,
    UpdateEntry,
    VirtualUser,
)


class SimError(Exception):
    """A simulation request that cannot be carried out; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Simulator:
    """Acts as Telegram's users and clients on one ``SandboxState``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # ---------------------------------------------------------------- users and chats

    def create_user(
        self,
        *,
        user_id: int | None = None,
        first_name: str = "User",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone: str | None = None,
    ) -> VirtualUser:
        """Create a virtual user; an existing ``user_id`` returns that user unchanged.

        Raises:
            SimError: When ``user_id`` is not a positive integer.
        """
        state = self.state
        if user_id is not None:
            if user_id <= 0:
                raise SimError(400, "user id must be a positive integer")
            if user_id in state.users:
                return state.users[user_id]
        user = VirtualUser(
            id=state.new_user_id() if user_id is None else user_id,
            first_name=first_name or "User",
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone=phone,
        )
        state.users[user.id] = user
        state.notify()
        return user

    def user(self, user_id: int) -> VirtualUser:
        """The user with ``user_id``.

        Raises:
            SimError: 404 when there is none.
        """
        user = self.state.users.get(user_id)
        if user is None:
            raise SimError(404, f"no virtual user {user_id}")
        return user

    def create_group(
        self, *, title: str, member_ids: list[int], chat_id: int | None = None
    ) -> Chat:
        """Create a group chat with the bot and the given users as members.

        Raises:
            SimError: On a non-negative id, an id in use or an unknown member.
        """
        state = self.state
        if chat_id is not None and (chat_id >= 0 or chat_id in state.chats):
            raise SimError(400, "group id must be negative and unused")
        for member in member_ids:
            self.user(member)
        chat = Chat(
            id=state.new_group_id() if chat_id is None else chat_id,
            type="group",
            title=title,
            members=set(member_ids),
        )
        state.chats[chat.id] = chat
        state.notify()
        return chat

    def chat_of(self, user: VirtualUser, chat_id: int | None) -> Chat:
        """The chat a user acts in: the private chat, or a group the user belongs to.

        Raises:
            SimError: When the group does not exist or the user is not a member.
        """
        if chat_id is None or chat_id == user.id:
            return self.state.private_chat(user)
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise SimError(404, f"no chat {chat_id}")
        if user.id not in chat.members:
            raise SimError(403, f"user {user.id} is not a member of chat {chat_id}")
        return chat

    # ---------------------------------------------------------------- messages

    def _user_message(
        self, user_id: int, chat_id: int | None, reply_to: int | None, **content: Any
    ) -> tuple[StoredMessage, UpdateEntry | None]:
        state = self.state
        user = self.user(user_id)
        if user.deactivated:
            raise SimError(409, "the user is deactivated")
        if user.blocked:
            raise SimError(409, "the user has blocked the bot; unblock first")
        chat = self.chat_of(user, chat_id)
        if reply_to is not None:
            target = chat.messages.get(reply_to)
            if target is None or target.deleted:
                raise SimError(404, f"no message {reply_to} in chat {chat.id}")
        if chat.type == "private":
            user.started = True
        keyboard = chat.reply_keyboard
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        message = state.add_message(
            chat, from_id=user.id, from_bot=False, reply_to_message_id=reply_to, **content
        )
        entry = state.enqueue_update("message", state.message_api(message), chat.id)
        return message, entry

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JsonDict] | None = None,
    ) -> tuple[StoredMessage, UpdateEntry | None]:
        """The user writes ``text``; ``/commands`` get ``bot_command`` entities.

        Raises:
            SimError: When the text is empty or the user cannot write.
        """
        if not text:
            raise SimError(400, "text must not be empty")
        return self._user_message(
            user_id,
            chat_id,
            reply_to_message_id,
            text=text,
            entities=command_entities(text) if entities is None else entities,
        )

    def send_contact(
        self,
        user_id: int,
        *,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
    ) -> tuple[StoredMessage, UpdateEntry | None]:
        """The user shares a contact.

        Without ``phone_number`` it is the user's own contact (phone, name, ``user_id``), as the
        "share contact" button sends it. With one, the contact is exactly what is given, so
        tests can send someone else's contact or one without ``user_id``.

        Raises:
            SimError: When the user has no phone for an own-contact share.
        """
        user = self.user(user_id)
        contact: JsonDict
        if phone_number is None:
            if not user.phone:
                raise SimError(400, f"user {user_id} has no phone number")
            contact = {"phone_number": user.phone, "first_name": user.first_name}
            if user.last_name:
                contact["last_name"] = user.last_name
            contact["user_id"] = user.id
        else:
            contact = {"phone_number": phone_number, "first_name": first_name or "Contact"}
            if last_name:
                contact["last_name"] = last_name
            if contact_user_id is not None:
                contact["user_id"] = contact_user_id
        return self._user_message(user_id, chat_id, None, contact=contact)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> tuple[StoredMessage, UpdateEntry | None]:
        """The user uploads a document.

        Raises:
            SimError: When the file is empty or larger than the upload limit.
        """
        self._check_size(data)
        stored = self.state.store_file(
            data,
            kind="document",
            file_name=file_name,
            mime_type=mime_type or "application/octet-stream",
        )
        return self._user_message(user_id, chat_id, None, document=stored, caption=caption or None)

    def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> tuple[StoredMessage, UpdateEntry | None]:
        """The user sends a photo (PNG, JPEG, GIF or WebP bytes).

        Raises:
            SimError: When the bytes are not an image or too large.
        """
        self._check_size(data)
        size = image_size(data)
        if size is None:
            raise SimError(400, "photo bytes are not a PNG, JPEG, GIF or WebP image")
        stored = self.state.store_file(
            data, kind="photo", mime_type=image_mime(data), width=size[0], height=size[1]
        )
        return self._user_message(user_id, chat_id, None, photo=stored, caption=caption or None)

    def _check_size(self, data: bytes) -> None:
        if not data:
            raise SimError(400, "file is empty")
        if len(data) > self.state.config.max_upload_bytes:
            raise SimError(413, "file is larger than the upload limit")

    # ---------------------------------------------------------------- buttons

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        strict: bool = False,
    ) -> CallbackRecord:
        """The user presses an inline button on a bot message.

        ``data`` need not be on any button (forged callback data is allowed and flagged
        ``forged``) unless ``strict`` is set.

        Raises:
            SimError: When the message does not exist, or ``strict`` and the data is forged.
        """
        state = self.state
        user = self.user(user_id)
        if user.blocked or user.deactivated:
            raise SimError(409, "the user has blocked the bot; unblock first")
        chat = self.chat_of(user, chat_id)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise SimError(404, f"no message {message_id} in chat {chat.id}")
        forged = data not in callback_data_on_buttons(message.reply_markup)
        if strict and forged:
            raise SimError(400, "no button with this callback_data on the message")
        query_id = str(secrets.randbits(63))
        record = CallbackRecord(
            id=query_id,
            chat_id=chat.id,
            message_id=message_id,
            user_id=user.id,
            data=data,
            created=state.clock.now(),
            forged=forged,
        )
        state.callbacks[query_id] = record
        message.callback_ids.append(query_id)
        body: JsonDict = {
            "id": query_id,
            "from": user.to_api(),
            "message": state.message_api(message),
            "chat_instance": str(abs(hash((chat.id, state.config.bot_id))) % 10**18),
            "data": data,
        }
        entry = state.enqueue_update("callback_query", body, chat.id)
        record.update_id = entry.update_id if entry else None
        state.touch(chat)
        return record

    # ---------------------------------------------------------------- blocking

    def _member_update(self, user: VirtualUser, old: str, new: str) -> UpdateEntry | None:
        state = self.state
        chat = state.private_chat(user)
        bot = state.bot_ref()

        def member(status: str) -> JsonDict:
            result: JsonDict = {"status": status, "user": bot}
            if status == "kicked":
                result["until_date"] = 0
            return result

        body: JsonDict = {
            "chat": state.chat_api(chat),
            "from": user.to_api(),
            "date": state.now_int(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        entry = state.enqueue_update("my_chat_member", body, chat.id)
        state.touch(chat)
        return entry

    def block(self, user_id: int) -> UpdateEntry | None:
        """The user blocks the bot: sends fail with 403 and a ``my_chat_member`` arrives."""
        user = self.user(user_id)
        if user.blocked:
            return None
        user.blocked = True
        return self._member_update(user, "member", "kicked")

    def unblock(self, user_id: int) -> UpdateEntry | None:
        """The user unblocks the bot (``kicked`` → ``member``)."""
        user = self.user(user_id)
        if not user.blocked:
            return None
        user.blocked = False
        return self._member_update(user, "kicked", "member")

    def deactivate(self, user_id: int) -> None:
        """The user deletes the account: sends fail with 403 "user is deactivated"."""
        self.user(user_id).deactivated = True
        self.state.notify()
