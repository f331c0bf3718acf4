"""Owns the /help text: what this person can do in the bot today, by role.

Lists only features that exist; nothing is announced ahead of time.
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.views.calendar import follows_calendar
from bot.views.common import Screen
from bot.views.mail import uses_mail
from bot.views.people import (
    follows_pupils,
    full_guardian,
    manages,
    onboards,
    role_list,
    teaches,
)
from core.services.accounts import Identity


def help_screen(identity: Identity | None, t: Translator) -> Screen:
    """Help for an unlinked visitor, or for a linked person by their roles."""
    if identity is None:
        return Screen(
            "\n\n".join(
                (
                    t("help.unlinked"),
                    t("help.connect"),
                    t("help.phone"),
                    t("help.language_unlinked"),
                )
            )
        )
    viewer = identity.viewer
    lines = [t("help.title")]
    roles = role_list(viewer, t)
    if roles:
        lines.append(t("start.roles", roles=roles))
    if viewer.is_guardian:
        lines.append(t("help.guardian"))
        lines.append(t("diary.help.guardian"))
    if full_guardian(viewer):
        lines.append(t("help.carers"))
        lines.append(t("notes.help.parent"))
    if viewer.is_pupil:
        lines.append(t("help.pupil"))
        lines.append(t("diary.help.pupil"))
    if viewer.is_staff and not (viewer.is_guardian or viewer.is_pupil):
        lines.append(t("help.staff"))
    if teaches(viewer):
        lines.append(t("today.help"))
    if follows_pupils(identity) or teaches(viewer):
        lines.append(t("help.timetable"))
    if follows_calendar(identity):
        lines.append(t("calendar.help"))
    if teaches(viewer):
        lines.append(t("grades.help"))
        lines.append(t("period_marks.help"))
        lines.append(t("help.groups"))
    lines.append(t("help.news"))
    lines += [t("mailbox.help")] if uses_mail(viewer) else []
    lines += [t("mailbox.help.manager")] if manages(viewer) else []
    lines += [t("broadcast.help")] if teaches(viewer) or manages(viewer) else []
    lines += [t("history.help")] if follows_pupils(identity) else []
    lines += [t("extracts.help")] if follows_pupils(identity) else []
    lines += [t("extracts.help.teacher")] if onboards(viewer) else []
    lines += [t("reports.help")] if teaches(viewer) or manages(viewer) else []
    lines += [t("reports.help.cards")] if onboards(viewer) else []
    lines += [
        t("settings.help"),
        *([t("mydata.help")] if full_guardian(viewer) or viewer.is_pupil else []),
        *([t("mydata.help.manager")] if manages(viewer) else []),
    ]
    if onboards(viewer):
        lines.append(t("help.onboarding"))
        lines.append(t("notes.help.teacher"))
    if manages(viewer):
        lines.append(t("help.people"))
        lines.append(t("audit.help.disclosures"))
        lines.append(t("help.timetable_upload"))
        lines.append(t("changes.help"))
        lines.append(t("help.groups_review"))
        lines.append(t("help.news_post"))
    lines.append("\n".join((t("help.menu"), t("help.language"), t("help.logout"))))
    return Screen("\n\n".join(lines))
