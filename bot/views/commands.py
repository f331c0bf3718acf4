"""Owns the command menus Telegram shows: the default list and a linked person's list per role."""

from __future__ import annotations

from aiogram.types import BotCommand

from bot.i18n import Translator
from bot.views.people import follows_pupils
from core.services.accounts import Identity

_UNLINKED = ("start", "help", "language")
_FOLLOWS_PUPILS = ("start", "marks", "absences", "language", "help")
_STAFF = ("start", "language", "help")
COMMAND_KEYS: dict[str, str] = {
    "start": "command.start",
    "marks": "command.marks",
    "absences": "command.absences",
    "language": "command.language",
    "help": "command.help",
}


def default_commands(t: Translator) -> list[BotCommand]:
    """What everyone sees before connecting."""
    return _commands(_UNLINKED, t)


def commands_for(identity: Identity, t: Translator) -> list[BotCommand]:
    """A linked person's commands: marks and absences only for pupils and parents."""
    return _commands(_FOLLOWS_PUPILS if follows_pupils(identity) else _STAFF, t)


def _commands(names: tuple[str, ...], t: Translator) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(COMMAND_KEYS[name])) for name in names]
