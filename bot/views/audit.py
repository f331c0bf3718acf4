"""Owns the "who read the data" screens: a pupil's access history and the disclosures register.

Pure functions over core's ``AccessHistory`` and ``DisclosureRow``s: who (name and role), when,
what was read or disclosed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AccessHistoryCb, HistoryCb
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, fit, keyboard, menu_row
from bot.views.marks import pupil_heading
from bot.views.people import ROLE_KEYS
from core.domain.access import Role, Viewer
from core.ports import DisclosureRow
from core.services.audit import Access, AccessHistory, AccessKind

KIND_KEYS: dict[AccessKind, str] = {kind: f"audit.kind.{kind.value}" for kind in AccessKind}
_ROLES = {role.value: role for role in Role}


def may_see_access(viewer: Viewer, pupil_id: int) -> bool:
    """The pupil themselves or a parent with full rights (UX only: core decides)."""
    full = viewer.children - viewer.read_only_children
    return viewer.active and (pupil_id in full or (viewer.person_id == pupil_id))


def access_button(pupil_id: int, t: Translator) -> InlineKeyboardButton:
    """The "👁 Who viewed the data" button for a pupil."""
    return InlineKeyboardButton(
        text=t("audit.button"), callback_data=AccessHistoryCb(pupil_id=pupil_id).pack()
    )


def with_access_button(screen: Screen, pupil_id: int, t: Translator) -> Screen:
    """The screen with "👁 Who viewed the data" above its last row (the main menu)."""
    rows = list(screen.keyboard.inline_keyboard) if isinstance(
        screen.keyboard, InlineKeyboardMarkup
    ) else []  # fmt: skip
    row = [access_button(pupil_id, t)]
    rows = [*rows[:-1], row, *rows[-1:]] if rows else [row]
    return replace(screen, keyboard=InlineKeyboardMarkup(inline_keyboard=rows))


def access_screen(result: AccessHistory, t: Translator) -> Screen:
    """Who read the pupil's data since a day, newest first, with a way back to the changes."""
    lines = [t("audit.title", name=pupil_heading(result.pupil), since=day(result.since))]
    if not result.entries:
        lines += ["", t("audit.none")]
    for entry in result.entries:
        lines += ["", _who(entry, t), t(KIND_KEYS[entry.kind])]
    back = InlineKeyboardButton(
        text=t("audit.back"),
        callback_data=HistoryCb(pupil_id=result.pupil.pupil_id, since="week").pack(),
    )
    return Screen(fit(lines, t("audit.more")), keyboard([[back], menu_row(t)]))


def _who(entry: Access, t: Translator) -> str:
    when = entry.at.strftime("%d.%m.%Y %H:%M")
    role = _ROLES.get(entry.actor_role)
    if entry.actor is None or entry.actor_role == "console":
        return t("audit.when_school", when=when)
    if role is None:
        return t("audit.when_who", when=when, who=esc(entry.actor))
    return t("audit.when_who_role", when=when, who=esc(entry.actor), role=t(ROLE_KEYS[role]))


def disclosures_screen(rows: Sequence[DisclosureRow], t: Translator) -> Screen:
    """The school's register of lawful disclosures (rule 6.4), newest first."""
    lines = [t("audit.disclosures.title")]
    if not rows:
        lines += ["", t("audit.disclosures.none")]
    for row in rows:
        lines += [
            "",
            t(
                "audit.disclosures.entry",
                when=row.created_at.strftime("%d.%m.%Y %H:%M"),
                name=esc(row.person_name or "—"),
                basis=esc(row.basis),
                requester=esc(row.requester),
                rows=row.rows,
            ),
        ]
    return Screen(fit(lines, t("audit.more")), keyboard([menu_row(t)]))
