"""Owns /timetable (a pupil's, each child's or a teacher's week) and the timetable upload.

Upload: a school manager sends the timetable file (aSc XML, CSV or XLSX) as a document; the bot
shows core's preview with Confirm/Cancel. The file's bytes wait beside the chat's dialog (its own
FSM destiny, so a command closing a dialog keeps it: in memory, or in Redis where every worker
sees it) for ``PENDING_FOR`` (one file per chat; a newer upload replaces it); Confirm applies
them all or nothing, Cancel or expiry forgets them. Nothing is written before Confirm; a restart
of a single in-memory process forgets pending files (the manager sends the file again).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import TimetableCb, TimetableImportCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply
from bot.shared import read_record, write_record
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
    """The chat's previewed file, under the FSM destiny ``destiny``, for a short while.

    Stored as JSON (the bytes in base64) so that any worker sharing the storage confirms it.
    """

    def __init__(self, destiny: str) -> None:
        self.destiny = destiny

    async def put(self, state: FSMContext, upload: PendingUpload) -> None:
        """Keep (or replace) the chat's pending file."""
        record = {
            "school_id": upload.school_id,
            "filename": upload.filename,
            "data": base64.b64encode(upload.data).decode("ascii"),
            "expires_at": upload.expires_at.isoformat(),
        }
        await write_record(state, self.destiny, record)

    async def take(self, state: FSMContext, now: datetime) -> PendingUpload | None:
        """The chat's pending file, removed; None when there is none or it has expired."""
        record = await read_record(state, self.destiny)
        if not record:
            return None
        await write_record(state, self.destiny, {})
        upload = PendingUpload(
            school_id=int(record["school_id"]),
            filename=str(record["filename"]),
            data=base64.b64decode(record["data"]),
            expires_at=datetime.fromisoformat(record["expires_at"]),
        )
        return upload if upload.expires_at > now else None


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
    """A fresh router with this feature's handlers (pending files live in the FSM storage)."""
    pending = PendingUploads("timetable_upload")
    router = Router(name=__name__)

    async def upload(
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        bot: Bot,
        state: FSMContext,
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
            await pending.put(
                state,
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
        state: FSMContext,
    ) -> None:
        """Confirm applies the pending file all or nothing; Cancel forgets it."""
        item = await pending.take(state, core.clock.now())
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
