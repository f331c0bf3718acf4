"""JSON views of the sandbox state for the simulation API: transcripts, files and users.

Owns the shapes documented in ``docs/sandbox.md``; reads the state, never changes it.
"""

from __future__ import annotations

from sandbox.state import Chat, JsonDict, SandboxState, StoredFile, StoredMessage


def file_json(stored: StoredFile) -> JsonDict:
    """A file with its Bot API fields, its path and a download URL on the simulation API."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "kind": stored.kind,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_size": stored.size,
        "file_path": stored.file_path,
        "width": stored.width,
        "height": stored.height,
        "url": f"/sim/files/{stored.file_id}",
    }


def message_json(state: SandboxState, message: StoredMessage) -> JsonDict:
    """One transcript entry."""
    return {
        "message_id": message.message_id,
        "chat_id": message.chat_id,
        "date": message.date,
        "sender": "bot" if message.from_bot else "user",
        "from": state.sender_api(message),
        "text": message.text,
        "entities": message.entities,
        "parse_mode": message.parse_mode,
        "raw_text": message.raw_text,
        "caption": message.caption,
        "caption_entities": message.caption_entities,
        "reply_markup": message.reply_markup,
        "document": file_json(message.document) if message.document else None,
        "photo": file_json(message.photo) if message.photo else None,
        "contact": message.contact,
        "reply_to_message_id": message.reply_to_message_id,
        "edited": message.edit_date is not None,
        "edit_date": message.edit_date,
        "edits": message.history,
        "deleted": message.deleted,
        "deleted_date": message.deleted_date,
        "callbacks": [
            state.callbacks[query_id].to_json()
            for query_id in message.callback_ids
            if query_id in state.callbacks
        ],
    }


def transcript_json(state: SandboxState, chat: Chat | None, chat_id: int) -> JsonDict:
    """A chat's full transcript in order, plus the visible reply keyboard and callbacks."""
    if chat is None:
        return {
            "chat_id": chat_id,
            "chat": None,
            "version": 0,
            "messages": [],
            "callbacks": [],
            "reply_keyboard": None,
            "last_action": None,
        }
    callbacks = [
        record.to_json() for record in state.callbacks.values() if record.chat_id == chat.id
    ]
    return {
        "chat_id": chat.id,
        "chat": state.chat_api(chat),
        "version": chat.version,
        "messages": [message_json(state, message) for message in chat.messages.values()],
        "callbacks": callbacks,
        "reply_keyboard": chat.reply_keyboard,
        "last_action": chat.last_action,
    }
