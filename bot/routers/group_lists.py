"""Owns /groups: teachers' pupil lists of part, combined and club groups and their review (3.4).

A teacher opens a group, ticks pupils class by class (the ticks live in the FSM state, memory
storage, until submitted) and submits; or, while the group's screen is open, sends a CSV/XLSX
file with the list. A manager sees the lists waiting, each with its pupils and the change it
makes, and approves or rejects it (the reason is asked as text). Core authorizes every step.

This router comes before the timetable one: a document sent while a group's dialog is open is
that group's list, not a timetable.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import GroupListCb, GroupPupilsCb, GroupReviewCb, GroupToggleCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import group_lists as views
from bot.views.people import manages, teaches
from core.domain.access import MANAGER_ROLES, Viewer
from core.errors import ImportRejected
from core.services.accounts import Identity
from core.services.group_lists import (
    GroupCandidates,
    SubmissionView,
    candidate_pupils,
    decide_group_list,
    group_list_submission,
    pending_group_lists,
    submit_group_list,
    submit_group_list_file,
    teacher_groups,
)

MAX_FILE_BYTES = 1_000_000
# A document counts as a group's list only this soon after the group's dialog was last used:
# later (say, a superuser who teaches sends the timetable) it goes on to the other routers.
DIALOG_FOR = timedelta(minutes=30)


class GroupListStates(StatesGroup):
    """The dialog's states: a group's screen is open, or a manager is asked for a reason.

    ``group``: the ticks are in the data and a document is the group's list file.
    """

    group = State()
    reason = State()


# ---------------------------------------------------------------- the ticks in the FSM state


async def ticked_of(state: FSMContext, found: GroupCandidates) -> set[int]:
    """The pupils ticked for this group so far; on first use the waiting list, else the group."""
    data = await state.get_data()
    if data.get("group_id") == found.group.id and isinstance(data.get("ticked"), list):
        return {int(pupil_id) for pupil_id in data["ticked"]}
    start = found.pending_pupils if found.pending_pupils is not None else found.members
    return set(start) & {p.pupil_id for p in found.pupils}


async def keep(
    state: FSMContext, core: JournalCore, group_id: int, ticked: Collection[int] | None
) -> None:
    """Stay in the group's dialog with these ticks (None: no picking in progress)."""
    await state.set_state(GroupListStates.group)
    data: dict[str, object] = {"group_id": group_id, "at": core.clock.now().timestamp()}
    if ticked is not None:
        data["ticked"] = sorted(ticked)
    await state.set_data(data)


async def draft_size(state: FSMContext, group_id: int) -> int | None:
    """How many are ticked in an unfinished pick of this group, if one is in progress."""
    data = await state.get_data()
    ticked = data.get("ticked")
    if data.get("group_id") == group_id and isinstance(ticked, list):
        return len(ticked)
    return None


async def in_group_dialog(message: Message, state: FSMContext, core: JournalCore) -> bool:
    """Whether the group's dialog was used within ``DIALOG_FOR`` (a filter: UX only)."""
    at = (await state.get_data()).get("at")
    if not isinstance(at, int | float):
        return False
    return core.clock.now().timestamp() - at <= DIALOG_FOR.total_seconds()


def managed_schools(viewer: Viewer) -> list[int]:
    """Schools the viewer manages (UX only: core decides)."""
    return sorted({school for school, role in viewer.staff_roles if role in MANAGER_ROLES})


async def waiting(core: JournalCore, viewer: Viewer) -> list[SubmissionView]:
    """The lists waiting in every school the viewer manages."""
    return [
        view
        for school_id in managed_schools(viewer)
        for view in await pending_group_lists(core.uow(), viewer, school_id)
    ]


# ---------------------------------------------------------------- handlers


async def overview(
    event: Message | CallbackQuery,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """/groups: the teacher's list groups and, for managers, how many lists wait."""
    await state.clear()
    viewer = identity.viewer
    groups = await teacher_groups(core.uow(), viewer) if teaches(viewer) else None
    pending = len(await waiting(core, viewer)) if manages(viewer) else None
    await reply(event, views.overview(groups, pending, t))


async def group_step(
    query: CallbackQuery,
    *,
    callback_data: GroupListCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A group's screen, picking (classes, confirm) and submitting."""
    action, group_id = callback_data.action, callback_data.group_id
    if action == "list":
        await overview(query, identity=identity, core=core, t=t, state=state)
        return
    if action == "send":
        data = await state.get_data()
        ticked = data.get("ticked") if data.get("group_id") == group_id else None
        view = await submit_group_list(
            core.uow(),
            identity.viewer,
            group_id=group_id,
            pupil_ids=[int(i) for i in ticked] if isinstance(ticked, list) else [],
        )
        await keep(state, core, group_id, None)
        await reply(query, views.submitted(view, t))
        return
    found = await candidate_pupils(core.uow(), identity.viewer, group_id)
    if action == "open":
        size = await draft_size(state, group_id)
        await keep(
            state, core, group_id, await ticked_of(state, found) if size is not None else None
        )
        await reply(query, views.group_screen(found, size, t))
        return
    ticked = await ticked_of(state, found)
    await keep(state, core, group_id, ticked)
    if action == "ask":
        await reply(query, views.confirm(found, ticked, t))
    elif action == "edit" and len(found.group.classes) == 1:
        await reply(query, views.class_page(found, found.group.classes[0].id, 0, ticked, t))
    else:
        await reply(query, views.class_chooser(found, ticked, t))


async def class_page(
    query: CallbackQuery,
    *,
    callback_data: GroupPupilsCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A page of one class's pupils to tick."""
    found = await candidate_pupils(core.uow(), identity.viewer, callback_data.group_id)
    ticked = await ticked_of(state, found)
    await keep(state, core, found.group.id, ticked)
    page = int(callback_data.page)
    await reply(query, views.class_page(found, callback_data.class_id, page, ticked, t))


async def toggle(
    query: CallbackQuery,
    *,
    callback_data: GroupToggleCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """Tick or untick a pupil, then the same page again."""
    found = await candidate_pupils(core.uow(), identity.viewer, callback_data.group_id)
    ticked = await ticked_of(state, found)
    where = views.page_of(found, callback_data.pupil_id)
    if where is None:  # no longer in the group's classes (or a made-up id): nothing to tick
        await keep(state, core, found.group.id, ticked)
        await reply(query, views.class_chooser(found, ticked, t))
        return
    ticked ^= {callback_data.pupil_id}
    await keep(state, core, found.group.id, ticked)
    class_id, page = where
    await reply(query, views.class_page(found, class_id, page, ticked, t))


async def list_file(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """A file sent while a group's screen is open: that group's list, all or nothing."""
    document = message.document
    data = await state.get_data()
    group_id = data.get("group_id")
    if document is None or not isinstance(group_id, int):  # pragma: no cover - filtered
        return
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await reply(message, views.simple("groups.file_too_big", t))
        return
    downloaded = await bot.download(document)
    content = downloaded.read() if downloaded is not None else b""
    try:
        view = await submit_group_list_file(
            core.uow(),
            identity.viewer,
            group_id=group_id,
            data=content,
            filename=document.file_name or "list.csv",
        )
    except ImportRejected as rejected:
        await reply(message, views.file_rejected(rejected.problems, t))
        return
    await keep(state, core, group_id, None)
    await reply(message, views.submitted(view, t))


async def review(
    query: CallbackQuery,
    *,
    callback_data: GroupReviewCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The lists waiting, one list, approve, or reject (asks for the reason first)."""
    action, submission_id = callback_data.action, callback_data.submission_id
    viewer = identity.viewer
    if action == "list":
        await state.clear()
        await reply(query, views.pending_lists(await waiting(core, viewer), t))
    elif action == "show":
        await state.clear()
        view = await group_list_submission(core.uow(), viewer, submission_id)
        await reply(query, views.submission_screen(view, t))
    elif action == "approve":
        decision = await decide_group_list(
            core.uow(), viewer, submission_id=submission_id, approve=True
        )
        await reply(query, views.decided(decision, t))
    else:
        # Only a list the viewer may see is asked about; the decision checks again.
        await group_list_submission(core.uow(), viewer, submission_id)
        await state.set_state(GroupListStates.reason)
        await state.set_data({"submission_id": submission_id})
        await reply(query, views.ask_reason(submission_id, t))


async def reason(
    message: Message,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """The reason arrived: reject the list."""
    data = await state.get_data()
    await state.clear()
    decision = await decide_group_list(
        core.uow(),
        identity.viewer,
        submission_id=int(data.get("submission_id", 0)),
        approve=False,
        reason=message.text or "",
    )
    await reply(message, views.decided(decision, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(overview, Command("groups"), IsLinked())
    router.callback_query.register(group_step, GroupListCb.filter(), IsLinked())
    router.callback_query.register(class_page, GroupPupilsCb.filter(), IsLinked())
    router.callback_query.register(toggle, GroupToggleCb.filter(), IsLinked())
    router.callback_query.register(review, GroupReviewCb.filter(), IsLinked())
    router.message.register(
        list_file, GroupListStates.group, F.document, in_group_dialog, IsLinked()
    )
    router.message.register(
        reason, GroupListStates.reason, F.text, ~F.text.startswith("/"), IsLinked()
    )
    return router
