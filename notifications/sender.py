"""Owns the sender port: message parts, send outcomes, and a recording fake for tests and demos.

No Telegram library here: ``notifications.telegram_sender`` implements the port with aiogram.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button whose press comes back to the bot as ``callback_data``."""

    text: str
    callback_data: str


# Rows of buttons under a message (an inline keyboard); empty: none.
Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class TextPart:
    """One ``sendMessage`` (at most 4096 characters once parsed), with an optional keyboard."""

    text: str
    parse_mode: str | None = "HTML"
    keyboard: Keyboard = ()


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """One ``sendDocument`` with a caption of at most 1024 characters."""

    content: bytes
    file_name: str
    caption: str | None = None
    parse_mode: str | None = "HTML"
    keyboard: Keyboard = ()


Part = TextPart | DocumentPart


@dataclass(frozen=True, slots=True)
class Delivered:
    """Telegram accepted the message."""

    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """429 flood control: wait at least ``seconds`` (every send pauses), then try again."""

    seconds: float


@dataclass(frozen=True, slots=True)
class RecipientGone:
    """403: blocked, deactivated or never started; stop until the person comes back."""

    reason: str


@dataclass(frozen=True, slots=True)
class ChatMigrated:
    """400 with ``migrate_to_chat_id``: the group became a supergroup with a new id."""

    new_chat_id: int


@dataclass(frozen=True, slots=True)
class Failed:
    """Anything else: transient (5xx, timeouts: back off and retry) or permanent (400).

    ``ambiguous`` means no answer came (a timeout, a dropped connection): the message may have
    arrived after all, so a retry can duplicate it and the chat's interval still applies.
    """

    error: str
    transient: bool = True
    ambiguous: bool = False


Outcome = Delivered | RetryAfter | RecipientGone | ChatMigrated | Failed


def may_have_arrived(outcome: Outcome) -> bool:
    """Whether the chat may have received something (a refusal means it did not)."""
    return isinstance(outcome, Delivered) or (isinstance(outcome, Failed) and outcome.ambiguous)


class Sender(Protocol):
    """Sends one part to one chat and says what happened; never raises for Telegram errors."""

    async def send(self, chat_id: int, part: Part) -> Outcome:
        """Send ``part`` to ``chat_id``."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class SentPart:
    """One call a RecordingSender saw, with its outcome."""

    chat_id: int
    part: Part
    outcome: Outcome


Script = Callable[[int, Part, int], Outcome | None]


@dataclass
class RecordingSender:
    """A fake sender: records every call; outcomes come from a script, else ``Delivered``.

    ``script(chat_id, part, call_number)`` may return an outcome for that call (``None`` means
    delivered). ``outcomes`` queues fixed outcomes per chat, used first.
    """

    script: Script | None = None
    outcomes: dict[int, list[Outcome]] = field(default_factory=dict)
    calls: list[SentPart] = field(default_factory=list)
    closed: bool = False

    async def send(self, chat_id: int, part: Part) -> Outcome:
        """Record the call and answer from the script."""
        queued = self.outcomes.get(chat_id)
        outcome: Outcome | None = queued.pop(0) if queued else None
        if outcome is None and self.script is not None:
            outcome = self.script(chat_id, part, len(self.calls))
        result = outcome if outcome is not None else Delivered(len(self.calls) + 1)
        self.calls.append(SentPart(chat_id, part, result))
        return result

    async def close(self) -> None:
        """Nothing to release."""
        self.closed = True

    def delivered(self, chat_id: int | None = None) -> Sequence[SentPart]:
        """Calls that were delivered (to one chat, or to any)."""
        return [
            call
            for call in self.calls
            if isinstance(call.outcome, Delivered) and chat_id in (None, call.chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts (and captions) delivered, in order."""
        out: list[str] = []
        for call in self.delivered(chat_id):
            part = call.part
            out.append(part.text if isinstance(part, TextPart) else part.caption or "")
        return out
