"""Owns /timetable (a pupil's, each child's or a teacher's week) and the timetable upload.

Upload: a school manager sends the timetable file (aSc XML, CSV or XLSX) as a document; the bot
shows core's preview with Confirm/Cancel. The file's bytes wait in this process's memory, keyed
by the Telegram user, for ``PENDING_FOR`` (one file per user; a newer upload replaces it);
Confirm applies them all or nothing, Cancel or expiry forgets them. Nothing is written before
Confirm, and a restart forgets pending files (the manager sends the file again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import TimetableCb, TimetableImportCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply
from bot.views import timetable as views
from bot.views.people import manages, teaches
from core.domain.access import MANAGER_ROLES
from core.errors import ImportRejected
from core.services.accounts import Identity
from core.services.schools import find_school
from core.services.timetable import week_timetable
from core.services.timetable_import import import_timetable

PENDING_FOR = timedelta(minutes=10)
MAX_UPLOAD_BYTES = 5_000_000


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """A previewed file waiting for the manager's Confirm."""

    school_id: int
    filename: str
    data: bytes
    expires_at: datetime


class PendingUploads:
    """Previewed files by Telegram user id, in memory, each for a short while."""

    def __init__(self) -> None:
        self._items: dict[int, PendingUpload] = {}

    def put(self, user_id: int, upload: PendingUpload) -> None:
        """Keep (or replace) the user's pending file."""
        self._items[user_id] = upload

    def take(self, user_id: int, now: datetime) -> PendingUpload | None:
        """The user's pending file, removed; None when there is none or it has expired."""
        self._drop_expired(now)
        return self._items.pop(user_id, None)

    def _drop_expired(self, now: datetime) -> None:
        for user_id in [u for u, item in self._items.items() if item.expires_at <= now]:
            del self._items[user_id]


# ---------------------------------------------------------------- /timetable


def own_timetable(identity: Identity) -> TimetableCb | None:
    """The person's own week: as a teacher if they teach, else as a pupil; None otherwise."""
    viewer = identity.viewer
    if teaches(viewer):
        return TimetableCb(whose="t", person_id=identity.person.id, day=views.THIS_WEEK)
    if viewer.is_pupil:
        return TimetableCb(whose="p", person_id=identity.person.id, day=views.THIS_WEEK)
    return None


async def timetable_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
) -> None:
    """The only timetable this person follows, or "whose?" when there are several."""
    own = own_timetable(identity)
    if own is None and not family:
        await reply(message, views.nothing_to_show(t))
        return
    if own is not None and not family:
        await show(message, own, identity=identity, core=core, t=t)
        return
    if own is None and len(family) == 1:
        only = TimetableCb(whose="p", person_id=family[0].pupil_id, day=views.THIS_WEEK)
        await show(message, only, identity=identity, core=core, t=t)
        return
    await reply(message, views.picker(family, own, t))


async def timetable_button(
    query: CallbackQuery,
    *,
    callback_data: TimetableCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """The week on the button (core refuses people the person may not see)."""
    await show(query, callback_data, identity=identity, core=core, t=t)


async def show(
    event: Message | CallbackQuery,
    target: TimetableCb,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
) -> None:
    """One service call, then the week screen naming whose week it is."""
    week_of = date.fromordinal(target.day) if 1 <= target.day <= date.max.toordinal() else None
    if target.whose == "p":
        week = await week_timetable(
            core.uow(), identity.viewer, week_of=week_of, pupil_id=target.person_id
        )
    else:
        week = await week_timetable(
            core.uow(), identity.viewer, week_of=week_of, teacher_id=target.person_id
        )
    await reply(event, views.week_screen(week, t))


# ---------------------------------------------------------------- the upload


def build_router() -> Router:
    """A fresh router with this feature's handlers and its own pending uploads."""
    pending = PendingUploads()
    router = Router(name=__name__)

    async def upload(
        message: Message, *, identity: Identity, core: JournalCore, t: Translator, bot: Bot
    ) -> None:
        """A manager's timetable file: preview it and keep it for Confirm."""
        document = message.document
        if document is None:  # pragma: no cover - the filter lets documents only
            return
        if not manages(identity.viewer):
            await reply(message, views.import_simple("timetable.import.managers_only", t))
            return
        if (document.file_size or 0) > MAX_UPLOAD_BYTES:
            await reply(message, views.import_simple("timetable.import.too_big", t))
            return
        school_id = await _school_of(identity, message.caption, core)
        if school_id is None:
            await reply(message, views.import_simple("timetable.import.which_school", t))
            return
        downloaded = await bot.download(document)
        data = downloaded.read() if downloaded is not None else b""
        filename = document.file_name or "timetable"
        try:
            preview = await import_timetable(
                core.uow(),
                identity.viewer,
                school_id=school_id,
                data=data,
                filename=filename,
                create_subjects=True,
            )
        except ImportRejected as rejected:
            await reply(message, views.import_rejected(rejected.problems, t))
            return
        confirmable = not preview.blocked and preview.changes > 0
        if confirmable and message.from_user is not None:
            pending.put(
                message.from_user.id,
                PendingUpload(school_id, filename, data, core.clock.now() + PENDING_FOR),
            )
        await reply(message, views.import_preview(preview, t, confirmable=confirmable))

    async def decide(
        query: CallbackQuery,
        *,
        callback_data: TimetableImportCb,
        identity: Identity,
        core: JournalCore,
        t: Translator,
    ) -> None:
        """Confirm applies the pending file all or nothing; Cancel forgets it."""
        item = pending.take(query.from_user.id, core.clock.now())
        if callback_data.action == "cancel":
            await reply(query, views.import_simple("timetable.import.cancelled", t))
            return
        if item is None:
            await reply(query, views.import_simple("timetable.import.expired", t))
            return
        try:
            preview = await import_timetable(
                core.uow(),
                identity.viewer,
                school_id=item.school_id,
                data=item.data,
                filename=item.filename,
                create_subjects=True,
                apply=True,
            )
        except ImportRejected as rejected:
            await reply(query, views.import_rejected(rejected.problems, t))
            return
        await reply(query, views.import_preview(preview, t, confirmable=False))

    router.message.register(timetable_command, Command("timetable"), IsLinked())
    router.callback_query.register(timetable_button, TimetableCb.filter(), IsLinked())
    router.message.register(upload, F.document, IsLinked())
    router.callback_query.register(decide, TimetableImportCb.filter(), IsLinked())
    return router


async def _school_of(identity: Identity, caption: str | None, core: JournalCore) -> int | None:
    """The school the manager means: their only one, else the school code in the caption."""
    managed = sorted(
        {school for school, role in identity.viewer.staff_roles if role in MANAGER_ROLES}
    )
    if len(managed) == 1:
        return managed[0]
    code = (caption or "").strip()
    if not code:
        return None
    school = await find_school(core.uow(), identity.viewer, code=code)
    return school.id
