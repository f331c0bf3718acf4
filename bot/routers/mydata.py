"""Owns /mydata and "📦 Mani dati" in /settings: data access requests (GDPR art. 15).

A parent asks for their own data or a child's, a pupil for their own
(``core.services.access_requests``); the school's superuser reviews the waiting requests on the
same screen and approves (the requester receives a JSON document and a PDF summary through the
notifications engine) or rejects with a reason, written as the next message. Buttons are
untrusted: core checks who may ask about whom and who decides, every time.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MyDataCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import mydata as views
from bot.views.common import Screen
from bot.views.people import manages
from core.errors import NotFound
from core.services.access_requests import (
    MAX_REASON,
    AccessExport,
    Render,
    data_subjects,
    decide_request,
    pending_requests,
    request_access,
    request_view,
)
from core.services.accounts import Identity

REJECTING = "mydata_rejecting"


class MyDataStates(StatesGroup):
    """The superuser writes why a request is rejected."""

    reject_reason = State()


def renderer(core: JournalCore) -> Render:
    """The PDF summary in the requester's language, with core's texts."""

    def render(export: AccessExport) -> bytes:
        # ReportLab (~10 MB) loads on the first summary, not at the bot's start.
        from core.documents.access_requests import render_summary  # noqa: PLC0415

        return render_summary(export, core.catalogs, export.language)

    return render


async def _menu(identity: Identity, core: JournalCore, t: Translator) -> Screen:
    try:
        subjects = await data_subjects(core.uow(), identity.viewer)
    except NotFound:
        subjects = ()
    pending = await pending_requests(core.uow(), identity.viewer)
    if not subjects and not pending and not manages(identity.viewer):
        return views.nobody(t)
    return views.menu(subjects, pending, t)


async def mydata_command(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """Whose data the person may ask for, and the requests waiting for them to decide."""
    await reply(message, await _menu(identity, core, t))


async def mydata_button(
    query: CallbackQuery,
    *,
    callback_data: MyDataCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """Ask, review, approve; "reject" asks for the reason."""
    action, ref, viewer = callback_data.action, callback_data.ref, identity.viewer
    if action == "menu":
        await reply(query, await _menu(identity, core, t))
    elif action == "ask":
        outcome = await request_access(core.uow(), viewer, pupil_id=ref, render=renderer(core))
        await reply(query, views.submitted(outcome, t))
    elif action == "review":
        await reply(query, views.review(await request_view(core.uow(), viewer, request_id=ref), t))
    elif action == "approve":
        decided = await decide_request(
            core.uow(), viewer, request_id=ref, approve=True, render=renderer(core)
        )
        await reply(query, views.decided(decided, t))
    else:
        await request_view(core.uow(), viewer, request_id=ref)  # refuses a foreign id now
        await state.set_state(MyDataStates.reject_reason)
        await state.update_data({REJECTING: ref})
        await reply(query, views.ask_reason(t))


async def reason_written(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The reason arrived: reject the request."""
    text = " ".join((message.text or "").split())
    if not text:
        await reply(message, views.ask_reason(t))
        return
    if len(text) > MAX_REASON:
        await reply(message, Screen(t("access_request.reason_too_long", max=MAX_REASON)))
        return
    request_id = int((await state.get_data()).get(REJECTING) or 0)
    await state.set_state(None)
    await state.update_data({REJECTING: None})
    decided = await decide_request(
        core.uow(),
        identity.viewer,
        request_id=request_id,
        approve=False,
        reason=text,
        render=renderer(core),
    )
    await reply(message, views.decided(decided, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    linked = IsLinked()
    router.message.register(mydata_command, Command("mydata"), linked)
    router.callback_query.register(mydata_button, MyDataCb.filter(), linked)
    router.message.register(
        reason_written, MyDataStates.reject_reason, F.text, ~F.text.startswith("/"), linked
    )
    return router
