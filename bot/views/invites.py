"""Owns the invitation screens: what slips a person may print, the PDF and its caption, one link.

The slips are rendered by ``core.documents.slips`` in the school's language; the caption and
buttons in the reader's.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton

from bot.callbacks import InvitesCb
from bot.i18n import Translator
from bot.views.common import Screen, esc, keyboard, menu_row
from core.domain.invites import deep_link
from core.services.invites import Audience, InviteBatch, InviteTargets, IssuedInvite

WHOM_KEYS: dict[Audience, str] = {
    Audience.PARENTS: "invites.whom.parents",
    Audience.PUPILS: "invites.whom.pupils",
    Audience.STAFF: "invites.whom.staff",
}


def targets_screen(targets: InviteTargets, t: Translator) -> Screen:
    """One row per class (parents, pupils), and the staff of each school a manager runs."""
    several = len({scope.school.id for scope in targets.classes}) > 1
    rows = []
    for scope in targets.classes:
        label = scope.klass.name + (f" ({scope.school.code})" if several else "")
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("invites.parents_of", class_name=label),
                    callback_data=InvitesCb(audience="parents", target=scope.klass.id).pack(),
                ),
                InlineKeyboardButton(
                    text=t("invites.pupils_of", class_name=label),
                    callback_data=InvitesCb(audience="pupils", target=scope.klass.id).pack(),
                ),
            ]
        )
    rows += [
        [
            InlineKeyboardButton(
                text=t("invites.staff_of", school=school.name),
                callback_data=InvitesCb(audience="staff", target=school.id).pack(),
            )
        ]
        for school in targets.staff_schools
    ]
    rows.append(menu_row(t))
    return Screen(t("invites.choose"), keyboard(rows))


def nobody_to_invite(batch: InviteBatch, t: Translator) -> Screen:
    """Everyone in the batch is already connected."""
    return Screen(t("invites.everyone_connected", count=batch.already_connected))


def caption(batch: InviteBatch, t: Translator) -> str:
    """The PDF's caption: how many, for whom, until when, and that older ones died."""
    whom = t(WHOM_KEYS[batch.audience], class_name=esc(batch.class_name or ""))
    return t(
        "invites.caption",
        count=len(batch.invites),
        whom=whom,
        date=batch.last_day.strftime("%d.%m.%Y"),
        skipped=batch.already_connected,
    )


def slips_pdf(batch: InviteBatch, bot_username: str, t: Translator) -> tuple[bytes, str]:
    """The printable slips (in the school's language) and a file name for them."""
    # ReportLab and qrcode (~10 MB) load on the first slips, not at the bot's start.
    from core.documents.slips import invite_slips, render_slips  # noqa: PLC0415

    lang = batch.school.locale
    catalogs = t.catalogs
    slips = invite_slips(
        batch.invites,
        school_name=batch.school.name,
        bot_username=bot_username,
        catalogs=catalogs,
        lang=lang,
    )
    audience = batch.audience.value
    title = catalogs.text(f"slip.title.{audience}", lang, class_name=batch.class_name or "")
    name = catalogs.text(f"slip.file.{audience}", lang)
    if batch.audience is not Audience.STAFF and batch.class_name:
        name += "-" + "".join(ch for ch in batch.class_name if ch.isalnum() or ch in ".-_")
    return render_slips(slips, title=title), f"{name}.pdf"


def person_invited(issued: IssuedInvite, bot_username: str, t: Translator) -> Screen:
    """One person's invitation link, to forward or to copy onto paper."""
    return Screen(
        t(
            "invites.person",
            name=esc(issued.full_name),
            link=deep_link(bot_username, issued.code),
            date=issued.last_day.strftime("%d.%m.%Y"),
        )
    )
