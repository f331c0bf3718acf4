"""Owns /broadcast: staff write to an exact audience and watch the delivery; recipients confirm.

The dialog: (the school, for staff of several) → who (the whole school, a grade, a class, a
teaching group, all parents, all teachers, parents of pupils absent today or with unexcused
absences this week — only what the person may pick) → the grade, class or group → who in it
(pupils and parents, parents, pupils) → the text, optionally with one document or photo (a
caption is the text) → a preview with the number of recipients and how many have an account,
the "ask to confirm reading" and (managers) "urgent" toggles → Send. The draft (the audience,
the text and the Telegram file id, never the bytes) lives in the FSM state; Send downloads the
file and makes one ``send_broadcast`` call with the count the preview showed, so a changed
audience is never sent unseen. Core checks every step: a forged button reaches a service that
refuses.

After sending, the bot posts a status message and edits it as delivery progresses ("Sent
120/380…"): a background task polls ``broadcast_report`` every ``BroadcastWatch.interval_s``
(2 s; never more often) until nothing is pending or ``limit_s`` (10 minutes) pass, then shows
the report (delivered, not connected, blocked, failed, still waiting, acknowledged) with
"🔄 Refresh". A recipient's "✅ I have read this" (``BroadcastAckCb``) records the
acknowledgement through core and removes the button.

This router stands before the timetable router: a document sent while drafting is the
broadcast's attachment, every other document still goes to the timetable upload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import BroadcastAckCb, BroadcastCb
from bot.drafts import kept_file
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import broadcasts as views
from bot.views.common import Screen
from core.domain.access import Viewer
from core.domain.broadcasts import Audience, Choice, Scope, broadcast_text
from core.domain.news import check_file
from core.errors import Conflict, DomainError, NotAllowed
from core.services.accounts import Identity
from core.services.broadcasts import (
    AttachmentInfo,
    BroadcastAttachment,
    BroadcastTargets,
    acknowledge,
    broadcast_report,
    broadcast_targets,
    preview_broadcast,
    send_broadcast,
)

log = logging.getLogger("ejournal.bot.broadcasts")

PHOTO_NAME = "photo.jpg"  # Telegram sends photos as JPEG without a name
_KIND_SCOPES: Mapping[views.Kind, Scope] = {
    "grade": Scope.GRADE,
    "class": Scope.CLASS,
    "group": Scope.GROUP,
}


class BroadcastStates(StatesGroup):
    """A staff member is writing a broadcast (the draft is in the state's data)."""

    compose = State()


@dataclass(frozen=True, slots=True)
class BroadcastWatch:
    """How the status message follows delivery: poll every ``interval_s``, stop after ``limit_s``.

    ``dp["broadcast_watch"]`` overrides the defaults (tests follow faster).
    """

    interval_s: float = 2.0
    limit_s: float = 600.0


class StatusWatchers:
    """The background tasks that keep status messages up to date (one per sent broadcast)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``work`` in the background and keep it until it ends."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        """Stop following (the bot shuts down): the reports stay available with 🔄."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class BroadcastDialog:
    """The /broadcast handlers, with the watchers of this router's status messages."""

    def __init__(self) -> None:
        self.watchers = StatusWatchers()

    # ---------------------------------------------------------------- opening

    async def on_command(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """/broadcast: the audiences of the person's school (or first, which school)."""
        if await state.get_state() == BroadcastStates.compose.state:
            await state.clear()  # a fresh start drops an unfinished draft
        schools = await broadcast_targets(core.uow(), identity.viewer)
        if not schools:
            await reply(message, views.nothing_to_send(t))
        elif len(schools) > 1:
            await reply(message, views.pick_school(schools, t))
        else:
            await self._open(message, schools[0], t=t, state=state)

    async def _open(
        self,
        event: Message | CallbackQuery,
        targets: BroadcastTargets,
        *,
        t: Translator,
        state: FSMContext,
    ) -> None:
        await state.set_state(BroadcastStates.compose)
        await state.set_data(
            {
                "school_id": targets.school.id,
                "school": targets.school.name,
                "manager": targets.manager,
            }
        )
        await reply(event, views.pick_kind(targets, t))

    # ---------------------------------------------------------------- buttons

    async def on_button(
        self,
        query: CallbackQuery,
        *,
        callback_data: BroadcastCb,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
        bot: Bot,
        broadcast_watch: BroadcastWatch | None = None,
    ) -> None:
        """Every /broadcast button: each step is checked again by core."""
        action, ref = callback_data.action, callback_data.ref
        if action == "report":
            await self._report(query, ref, identity=identity, core=core, t=t)
            return
        if action == "cancel":
            if await state.get_state() == BroadcastStates.compose.state:  # never another dialog's
                await state.clear()
            await reply(query, views.simple("broadcast.compose.cancelled", t))
            return
        if action == "school":
            await self._school(query, ref, identity=identity, core=core, t=t, state=state)
            return
        data = await self._draft(state)
        if data is None:  # no draft of this dialog: sent already, cancelled, or never begun
            key = "broadcast.compose.nothing" if action == "send" else "broadcast.compose.outdated"
            await reply(query, views.simple(key, t))
        elif action == "kind":
            await self._kind(query, ref, data, identity=identity, core=core, t=t, state=state)
        elif action == "page":
            await self._choices(query, data, ref, t=t, state=state)
        elif action == "target":
            await self._target(query, ref, data, identity=identity, core=core, t=t, state=state)
        elif action == "members":
            await self._members(query, ref, data, identity=identity, core=core, t=t, state=state)
        elif action in ("ack", "urgent"):
            key = "ask_ack" if action == "ack" else "urgent"
            await state.update_data({key: not data.get(key, False)})
            await self._preview(query, identity=identity, core=core, t=t, state=state)
        else:
            await self._send(
                query,
                data,
                identity=identity,
                core=core,
                t=t,
                state=state,
                bot=bot,
                watch=broadcast_watch or BroadcastWatch(),
            )

    async def _school(
        self,
        query: CallbackQuery,
        school_id: int,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """A school picked (0: back to the draft's school's audiences)."""
        if school_id == 0:
            data = await self._draft(state)
            school_id = int(data["school_id"]) if data else 0
        schools = await broadcast_targets(core.uow(), identity.viewer)
        targets = next((s for s in schools if s.school.id == school_id), None)
        if targets is None:
            if school_id == 0 and schools:
                await reply(query, views.pick_school(schools, t))
                return
            raise NotAllowed("broadcast.audience_not_allowed")
        await self._open(query, targets, t=t, state=state)

    async def _kind(
        self,
        query: CallbackQuery,
        index: int,
        data: dict[str, Any],
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """An audience picked: set it, or show the grades, classes or groups to choose from."""
        targets = await self._targets(data, identity=identity, core=core)
        kind = views.KINDS[index] if 0 <= index < len(views.KINDS) else None
        if kind is None or kind not in views.kinds_for(targets):
            raise NotAllowed("broadcast.audience_not_allowed")
        fixed = {
            "school": Audience.school(),
            "parents": Audience.all_parents(),
            "staff": Audience.all_staff(),
        }
        condition = views.CONDITIONS.get(kind)
        if kind in fixed or (condition is not None and targets.manager):
            audience = fixed.get(kind) or Audience.parents_where(views.CONDITIONS[kind])
            await self._audience(
                query, audience, None, identity=identity, core=core, t=t, state=state
            )
            return
        choices: list[tuple[str, Choice]]
        if kind == "grade":
            choices = [("grade", c) for c in views.grade_choices(targets.grades, t)]
        elif kind == "class":
            choices = [("class", c) for c in targets.classes]
        elif kind == "group":
            choices = [("group", c) for c in targets.groups]
        else:
            choices = [("class", c) for c in targets.classes]
            choices += [("group", c) for c in targets.groups]
        await state.update_data(
            kind=kind,
            choices=[[scope, choice.id, choice.name] for scope, choice in choices],
            audience=None,
        )
        await self._choices(query, await self._draft(state) or {}, 0, t=t, state=state)

    async def _choices(
        self,
        query: CallbackQuery,
        data: dict[str, Any],
        page: int,
        *,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """A page of the grades, classes or groups to choose from."""
        kind = data.get("kind")
        if kind not in views.KINDS or not isinstance(data.get("choices"), list):
            await reply(query, views.simple("broadcast.compose.outdated", t))
            return
        choices = [Choice(int(item[1]), str(item[2])) for item in data["choices"]]
        await reply(
            query, views.pick_choice(kind, choices, page, t, school=str(data.get("school", "")))
        )

    async def _target(
        self,
        query: CallbackQuery,
        index: int,
        data: dict[str, Any],
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """A grade, class or group chosen (by its place in the list this person was shown)."""
        choices = data.get("choices")
        kind = data.get("kind")
        if not isinstance(choices, list) or not 0 <= index < len(choices):
            await reply(query, views.simple("broadcast.compose.outdated", t))
            return
        scope, target, name = (
            Scope(str(choices[index][0])),
            int(choices[index][1]),
            choices[index][2],
        )
        condition = views.CONDITIONS.get(kind) if kind in views.KINDS else None
        if condition is not None:
            audience = Audience.parents_where(condition, scope, target)
            await self._audience(
                query, audience, str(name), identity=identity, core=core, t=t, state=state
            )
            return
        audience = Audience(scope, target)
        await state.update_data(target={"scope": scope.value, "target": target, "name": name})
        shown = None if scope is Scope.GRADE else str(name)
        await reply(query, views.pick_members(audience, shown, t))

    async def _members(
        self,
        query: CallbackQuery,
        index: int,
        data: dict[str, Any],
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """Who in the grade, class or group."""
        target = data.get("target")
        if not isinstance(target, dict) or not 0 <= index < len(views.MEMBER_CHOICES):
            await reply(query, views.simple("broadcast.compose.outdated", t))
            return
        scope = Scope(str(target["scope"]))
        audience = Audience(scope, int(target["target"]), views.MEMBER_CHOICES[index])
        name = None if scope is Scope.GRADE else str(target["name"])
        await self._audience(query, audience, name, identity=identity, core=core, t=t, state=state)

    async def _audience(
        self,
        event: Message | CallbackQuery,
        audience: Audience,
        target_name: str | None,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """The audience is set: ask for the text (or show the preview if there is one)."""
        await state.update_data(audience=audience.to_json(), target_name=target_name)
        data = await self._draft(state) or {}
        if data.get("text"):
            await self._preview(event, identity=identity, core=core, t=t, state=state)
            return
        await reply(event, views.ask_text(views.audience_label(audience, target_name, t), t))

    # ---------------------------------------------------------------- the text and the file

    async def on_text(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """The broadcast's text (a new text replaces the draft's)."""
        broadcast_text(message.text or "")  # refuses an empty or too long text before keeping it
        await state.update_data(text=message.text or "")
        await self._preview(message, identity=identity, core=core, t=t, state=state)

    async def on_photo(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """A photo (its caption, if any, is the text)."""
        photo = (message.photo or [])[-1]  # the largest size
        check = check_file(PHOTO_NAME, "image/jpeg", photo.file_size or 1)
        await self._keep_file(
            message, photo.file_id, check.filename, check.mime_type, photo.file_size, state=state
        )
        await state.update_data(photo=True)
        await self._preview(message, identity=identity, core=core, t=t, state=state)

    async def on_document(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """A document (its caption, if any, is the text)."""
        document = message.document
        if document is None:  # pragma: no cover - the filter lets documents only
            return
        check = check_file(document.file_name, document.mime_type, document.file_size or 1)
        await self._keep_file(
            message,
            document.file_id,
            check.filename,
            check.mime_type,
            document.file_size,
            state=state,
        )
        await state.update_data(photo=False)
        await self._preview(message, identity=identity, core=core, t=t, state=state)

    async def on_other(self, message: Message, *, t: Translator) -> None:
        """A sticker, voice or location while drafting: say what is expected."""
        await reply(message, views.unsupported(t))

    @staticmethod
    async def _keep_file(
        message: Message,
        file_id: str,
        filename: str,
        mime: str,
        size: int | None,
        *,
        state: FSMContext,
    ) -> None:
        """Remember the file (one per broadcast: a new one replaces it) and a caption as text."""
        if message.caption:
            broadcast_text(message.caption)
        update: dict[str, Any] = {
            "file_id": file_id,
            "filename": filename,
            "mime": mime,
            "size": size or 1,
        }
        if message.caption:
            update["text"] = message.caption
        await state.update_data(**update)

    async def _preview(
        self,
        event: Message | CallbackQuery,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """Core's preview of the draft (who, how many), or what is still missing."""
        data = await self._draft(state) or {}
        if not data.get("audience"):
            await reply(event, views.need_audience(t))
            return
        if not data.get("text"):
            await reply(event, views.need_text(str(data.get("filename", "")), t))
            return
        attachment = None
        if data.get("file_id"):
            attachment = AttachmentInfo(
                str(data["filename"]), str(data["mime"]), int(data.get("size") or 1)
            )
        draft = await preview_broadcast(
            core.uow(),
            identity.viewer,
            school_id=int(data["school_id"]),
            audience=Audience.from_json(data["audience"]),
            text=str(data["text"]),
            attachment=attachment,
            ask_ack=bool(data.get("ask_ack")),
            urgent=bool(data.get("urgent")),
        )
        await state.update_data(expected=draft.recipients)
        await reply(event, views.preview(draft, may_urgent=bool(data.get("manager")), t=t))

    # ---------------------------------------------------------------- sending and following

    async def _send(
        self,
        query: CallbackQuery,
        data: dict[str, Any],
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
        bot: Bot,
        watch: BroadcastWatch,
    ) -> None:
        """Send the previewed draft (taken from the state first: a second press finds nothing)."""
        if not data.get("text") or not data.get("audience") or data.get("expected") is None:
            await reply(query, views.simple("broadcast.compose.nothing", t))
            return
        await state.clear()
        try:
            kept = await kept_file(bot, data)
            attachment = BroadcastAttachment(*kept) if kept is not None else None
            sent = await send_broadcast(
                core.uow(),
                identity.viewer,
                school_id=int(data["school_id"]),
                audience=Audience.from_json(data["audience"]),
                text=str(data["text"]),
                attachment=attachment,
                ask_ack=bool(data.get("ask_ack")),
                urgent=bool(data.get("urgent")),
                expected_recipients=int(data["expected"]),
            )
        except Conflict as changed:  # the audience moved since the preview: show it again
            await state.set_state(BroadcastStates.compose)
            await state.set_data(data)
            await reply(query, Screen(t(changed.key, **changed.params)))
            await self._preview(query, identity=identity, core=core, t=t, state=state)
            return
        except DomainError:
            await state.set_state(BroadcastStates.compose)  # keep the draft: it may be fixed
            await state.set_data(data)
            raise
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        screen = views.queued(sent, t)
        status = await bot.send_message(chat_id, screen.text)
        self.watchers.start(
            self._follow(
                bot,
                chat_id,
                status.message_id,
                sent.id,
                viewer=identity.viewer,
                core=core,
                t=t,
                watch=watch,
                shown=screen.text,
            ),
            name=f"ejournal-broadcast-{sent.id}",
        )

    async def _follow(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        broadcast_id: int,
        *,
        viewer: Viewer,
        core: JournalCore,
        t: Translator,
        watch: BroadcastWatch,
        shown: str,
    ) -> None:
        """Edit the status message as delivery progresses; the report when done or at the limit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + watch.limit_s
        try:
            while True:
                await asyncio.sleep(watch.interval_s)
                report = await broadcast_report(core.uow(), viewer, broadcast_id=broadcast_id)
                last = report.done or loop.time() >= deadline
                screen = views.final(report, t) if last else views.progress(report, t)
                if screen.text != shown:
                    if not await _edit(bot, chat_id, message_id, screen):
                        return  # the message is gone: nobody to show it to
                    shown = screen.text
                if last:
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the report stays available with 🔄; never texts in logs
            log.warning("stopped following broadcast %s: %s", broadcast_id, type(exc).__name__)

    async def _report(
        self,
        query: CallbackQuery,
        broadcast_id: int,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
    ) -> None:
        """🔄: the report as it stands now, in place of the pressed one."""
        report = await broadcast_report(core.uow(), identity.viewer, broadcast_id=broadcast_id)
        screen = views.final(report, t)
        message = query.message
        if isinstance(message, Message) and query.bot is not None:
            edited = await _edit(query.bot, message.chat.id, message.message_id, screen)
            if edited:
                return
        await reply(query, screen)

    # ---------------------------------------------------------------- the recipient's button

    async def on_ack(
        self,
        query: CallbackQuery,
        *,
        callback_data: BroadcastAckCb,
        identity: Identity,
        core: JournalCore,
        t: Translator,
    ) -> None:
        """The recipient read it: recorded once through core; the button leaves the message."""
        first = await acknowledge(
            core.uow(), identity.viewer, broadcast_id=callback_data.broadcast_id
        )
        message = query.message
        if isinstance(message, Message):
            with contextlib.suppress(TelegramBadRequest):  # too old, or already without it
                await message.edit_reply_markup(reply_markup=None)
        await reply(query, views.acknowledged(first, t))

    # ---------------------------------------------------------------- helpers

    @staticmethod
    async def _draft(state: FSMContext) -> dict[str, Any] | None:
        """The draft in the state, or None when this dialog is not the state's."""
        if await state.get_state() != BroadcastStates.compose.state:
            return None
        data = await state.get_data()
        return data if data.get("school_id") else None

    @staticmethod
    async def _targets(
        data: Mapping[str, Any], *, identity: Identity, core: JournalCore
    ) -> BroadcastTargets:
        """What the person may send to in the draft's school, as core says now."""
        for targets in await broadcast_targets(core.uow(), identity.viewer):
            if targets.school.id == int(data["school_id"]):
                return targets
        raise NotAllowed("broadcast.audience_not_allowed")


async def _edit(bot: Bot, chat_id: int, message_id: int, screen: Screen) -> bool:
    """Replace a message's text and buttons; False when the message cannot be edited any more."""
    markup = screen.keyboard if isinstance(screen.keyboard, InlineKeyboardMarkup) else None
    for _ in range(3):
        try:
            await bot.edit_message_text(
                text=screen.text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramRetryAfter as exc:
            await asyncio.sleep(exc.retry_after)
            continue
        except TelegramBadRequest as exc:
            return "not modified" in exc.message
        return True
    return False


def build_router() -> Router:
    """A fresh router with this feature's handlers and its own status watchers."""
    dialog = BroadcastDialog()
    router = Router(name=__name__)
    router.message.register(dialog.on_command, Command("broadcast"), IsLinked())
    router.callback_query.register(dialog.on_button, BroadcastCb.filter(), IsLinked())
    router.callback_query.register(dialog.on_ack, BroadcastAckCb.filter(), IsLinked())
    drafting = (BroadcastStates.compose, IsLinked())
    router.message.register(dialog.on_text, *drafting, F.text, ~F.text.startswith("/"))
    router.message.register(dialog.on_photo, *drafting, F.photo)
    router.message.register(dialog.on_document, *drafting, F.document)
    router.message.register(dialog.on_other, *drafting, ~F.text)
    router.shutdown.register(dialog.watchers.stop)
    return router
