"""Owns the screens of data access requests (/mydata, "📦 Mani dati" in /settings)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton

from bot.callbacks import MyDataCb
from bot.i18n import Translator
from bot.views.common import Screen, keyboard, menu_row
from core.ports import AccessRequestRecord
from core.services.access_requests import AccessRequestView, DataSubject, Submitted

ZONE = ZoneInfo("Europe/Riga")


def _e(value: object) -> str:
    return html.escape(str(value), quote=False)


def _button(text: str, data: MyDataCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def menu(
    subjects: Sequence[DataSubject], pending: Sequence[AccessRequestView], t: Translator
) -> Screen:
    """What the viewer may ask for, and (for a superuser) the requests waiting for a decision."""
    lines: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    if subjects:
        lines += [t("mydata.title"), "", t("mydata.intro")]
        rows += [
            [
                _button(
                    t("mydata.button.own") if s.own else t("mydata.button.child", name=s.name),
                    MyDataCb(action="ask", ref=s.person_id),
                )
            ]
            for s in subjects
        ]
    if pending:
        lines += (
            ["", t("mydata.queue.title", count=len(pending))]
            if lines
            else [t("mydata.queue.title", count=len(pending))]
        )
        rows += [
            [
                _button(
                    t("mydata.queue.button", requester=r.requester_name, subject=r.subject_name),
                    MyDataCb(action="review", ref=r.id),
                )
            ]
            for r in pending
        ]
    if not lines:
        lines.append(t("mydata.queue.empty"))
    rows.append(menu_row(t))
    return Screen("\n".join(lines), keyboard(rows))


def nobody(t: Translator) -> Screen:
    """Neither a parent nor a pupil, and no requests to decide."""
    return Screen(t("access_request.nobody"), keyboard([menu_row(t)]))


def submitted(outcome: Submitted, t: Translator) -> Screen:
    """The request is stored (waiting for the superuser) or already on its way."""
    key = "mydata.delivered" if outcome.delivered else "mydata.submitted"
    return Screen(t(key), keyboard([menu_row(t)]))


def review(request: AccessRequestView, t: Translator) -> Screen:
    """One request for the superuser, with approve and reject."""
    when = request.requested_at.astimezone(ZONE).strftime("%d.%m.%Y %H:%M")
    lines = [
        t("mydata.review.title"),
        t("mydata.review.requester", name=_e(request.requester_name)),
        t("mydata.review.subject", name=_e(request.subject_name)),
        t("mydata.review.when", when=when),
        "",
        t("mydata.review.explain"),
    ]
    rows = [
        [
            _button(t("mydata.button.approve"), MyDataCb(action="approve", ref=request.id)),
            _button(t("mydata.button.reject"), MyDataCb(action="reject", ref=request.id)),
        ],
        menu_row(t),
    ]
    return Screen("\n".join(lines), keyboard(rows))


def ask_reason(t: Translator) -> Screen:
    """The superuser is asked why the request is rejected."""
    return Screen(t("mydata.reject.ask"))


def decided(request: AccessRequestRecord, t: Translator) -> Screen:
    """The decision is recorded (and the documents are on their way)."""
    key = "mydata.approved" if request.status == "delivered" else "mydata.rejected"
    return Screen(t(key), keyboard([[_button(t("mydata.button.queue"), MyDataCb(action="menu"))]]))
