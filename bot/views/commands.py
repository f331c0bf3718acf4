"""Owns the command menus Telegram shows: the default list and a linked person's list per role."""

from __future__ import annotations

from aiogram.types import BotCommand

from bot.i18n import Translator
from bot.views.calendar import follows_calendar
from bot.views.mail import uses_mail
from bot.views.people import follows_pupils, full_guardian, manages, onboards, teaches
from core.services.accounts import Identity

_UNLINKED = ("start", "help", "language")
COMMAND_KEYS: dict[str, str] = {
    "start": "command.start",
    "marks": "command.marks",
    "absences": "command.absences",
    "history": "history.command",
    "extract": "extracts.command",
    "diary": "diary.command",
    "homework": "homework.command",
    "absent": "notes.command.absent",
    "notes": "notes.command.notes",
    "today": "today.command",
    "timetable": "command.timetable",
    "calendar": "calendar.command",
    "grades": "grades.command",
    "groups": "command.groups",
    "reports": "reports.command",
    "news": "command.news",
    "mail": "mailbox.command",
    "broadcast": "broadcast.command",
    "carers": "command.carers",
    "invites": "command.invites",
    "connections": "command.connections",
    "people": "command.people",
    "disclosures": "audit.command.disclosures",
    "changes": "changes.command",
    "mydata": "mydata.command",
    "settings": "settings.command",
    "language": "command.language",
    "help": "command.help",
    "logout": "command.logout",
}


def default_commands(t: Translator) -> list[BotCommand]:
    """What everyone sees before connecting."""
    return _commands(_UNLINKED, t)


def command_names(identity: Identity) -> tuple[str, ...]:
    """A linked person's commands by role: a teacher who is also a parent gets both sets."""
    viewer = identity.viewer
    names = ["start"]
    if follows_pupils(identity):
        names += ["diary", "homework", "marks", "absences"]
    if full_guardian(viewer):
        names.append("absent")
    if follows_pupils(identity):
        names.append("history")
    # progress extracts: one's own or children's, and class teachers print their class's
    names += ["extract"] if follows_pupils(identity) or onboards(viewer) else []
    if teaches(viewer):
        names += ["today", "grades"]
    if follows_pupils(identity) or teaches(viewer):
        names.append("timetable")
    if follows_calendar(identity):
        names.append("calendar")
    if teaches(viewer) or manages(viewer):
        names.append("groups")
    names += ["reports"] if teaches(viewer) or manages(viewer) else []  # rule 5.4, 5.2
    if onboards(viewer):  # class teachers and managers decide absence notes
        names.append("notes")
    if manages(viewer):
        names.append("changes")
    names.append("news")  # everyone of a school reads its news
    names += ["mail"] if uses_mail(viewer) else []  # journal mail (rules 4.1-4.2)
    names += ["broadcast"] if teaches(viewer) or manages(viewer) else []  # staff only
    if full_guardian(viewer):
        names.append("carers")
    if onboards(viewer):
        names += ["invites", "connections"]
    if manages(viewer):
        names += ["people", "disclosures"]
    names += ["mydata"] if full_guardian(viewer) or viewer.is_pupil or manages(viewer) else []
    names += ["settings", "language", "help", "logout"]
    return tuple(names)


def commands_for(identity: Identity, t: Translator) -> list[BotCommand]:
    """A linked person's command menu in their language."""
    return _commands(command_names(identity), t)


def _commands(names: tuple[str, ...], t: Translator) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(COMMAND_KEYS[name])) for name in names]
