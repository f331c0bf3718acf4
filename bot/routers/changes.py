"""Owns /changes: the superuser's editor of a date's timetable changes, and changes by file.

A manager (deputy director, director) opens the next school day, marks a teacher absent and
substitutes or cancels each of their lessons with the free teachers core suggests, cancels,
moves or re-rooms any lesson, adds a lesson, reviews the drafts and publishes them (School news
and, through the notifications engine, everyone affected). Every step is a core call that
re-checks that the person manages the school.

Callback data cannot hold a school, a date, a lesson and a choice within Telegram's 64 bytes, so
each screen's context (a ``Place``: school, date, and the class, teacher or lesson it is about)
is kept beside the chat's dialog, under its own FSM destiny (a command closing a dialog keeps it;
memory, or Redis where every worker sees it), and the buttons carry its number (``ref``) and the
choice (``arg``). The chat's record holds the next number too, so numbers never repeat; they
start at a random point, so a button from before a memory store was lost reads as outdated
instead of meaning another place. The answer to "which room?" and the file of changes are FSM
states; a previewed file waits ``PENDING_FOR`` beside the dialog for "Create" and nothing is
written before it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import ChangesAction, ChangesCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.routers.timetable import MAX_UPLOAD_BYTES, PendingUpload, PendingUploads
from bot.shared import read_record, write_record
from bot.views import changes as views
from bot.views.common import Screen
from bot.views.people import manages
from core.domain.access import MANAGER_ROLES
from core.errors import DomainError, ImportRejected
from core.services.accounts import Identity
from core.services.changes_import import import_changes
from core.services.timetable_changes import (
    ChangeKind,
    DayPlan,
    PlannedLesson,
    add_change,
    day_plan,
    editor_choices,
    free_teachers,
    publish_changes,
    remove_change,
    teacher_lessons,
)

PLACES_PER_USER = 500
PLACE_LIFETIME = timedelta(hours=12)
PENDING_FOR = timedelta(minutes=10)
PLACES = "changes_places"  # the FSM destiny of the remembered places


class ChangeStates(StatesGroup):
    """Questions the editor waits an answer to: the room of a lesson, a file of changes."""

    room = State()
    file = State()


@dataclass(frozen=True, slots=True)
class Place:
    """Where an editor screen is: the school and date, and what the screen is about.

    ``classes`` are the class buttons of a day screen by position; ``class_name`` or
    ``teacher_id`` is where a lesson was picked (the way back); ``slot_id``/``change_id`` the
    lesson, with its ``group_id`` and ``period``; for a lesson being added ``group_id`` and
    ``period`` are the choices so far; ``new_day`` is the date a lesson moves to; ``what``
    names the lesson on the screens ("3. Matemātika (5.a)").
    """

    school_id: int
    day: date
    today: date
    classes: tuple[str, ...] = ()
    class_name: str | None = None
    teacher_id: int | None = None
    teacher_name: str = ""
    slot_id: int | None = None
    change_id: int | None = None
    group_id: int | None = None
    period: int | None = None
    new_day: date | None = None
    what: str = ""

    def at(self, day: date) -> Place:
        """The day screen of a date (nothing picked)."""
        return Place(self.school_id, day, self.today)

    def to_json(self) -> dict[str, Any]:
        """The place as JSON values (dates as ISO strings)."""
        data = asdict(self)
        data["classes"] = list(self.classes)
        for name in ("day", "today", "new_day"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value is not None else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Place:
        """A place ``to_json`` wrote."""
        new_day = data.get("new_day")
        return cls(
            **{
                **data,
                "day": date.fromisoformat(data["day"]),
                "today": date.fromisoformat(data["today"]),
                "new_day": date.fromisoformat(new_day) if new_day else None,
                "classes": tuple(data.get("classes", ())),
            }
        )


class Places:
    """A chat's remembered places: the newest ``PLACES_PER_USER``, each for ``PLACE_LIFETIME``.

    One record per chat beside its dialog (``{"next": number, "items": {ref: [place, until]}}``),
    so every worker sharing the storage reads the same places and hands out unique numbers
    (updates of one chat are handled one after another).
    """

    async def put(self, state: FSMContext, place: Place, now: datetime) -> int:
        """Remember a place; returns its number."""
        [ref] = await self.put_all(state, [place], now)
        return ref

    async def put_all(
        self, state: FSMContext, places: Iterable[Place], now: datetime
    ) -> list[int]:
        """Remember places; returns their numbers in order."""
        record = await read_record(state, PLACES)
        ref = int(record.get("next") or secrets.randbelow(2**40) + 1)
        items = {
            key: value
            for key, value in dict(record.get("items") or {}).items()
            if datetime.fromisoformat(value[1]) > now
        }
        refs: list[int] = []
        until = (now + PLACE_LIFETIME).isoformat()
        for place in places:
            items[str(ref)] = [place.to_json(), until]
            refs.append(ref)
            ref += 1
        for key in list(items)[: max(0, len(items) - PLACES_PER_USER)]:
            del items[key]  # the oldest
        await write_record(state, PLACES, {"next": ref, "items": items})
        return refs

    async def get(self, state: FSMContext, ref: int, now: datetime) -> Place | None:
        """The chat's place with that number; None when unknown or expired."""
        found = dict((await read_record(state, PLACES)).get("items") or {}).get(str(ref))
        if found is None or datetime.fromisoformat(found[1]) <= now:
            return None
        return Place.from_json(found[0])


@dataclass(frozen=True, slots=True)
class Step:
    """One pressed button (or answer) with everything a step needs."""

    user_id: int
    ref: int
    arg: int
    place: Place
    identity: Identity
    core: JournalCore
    t: Translator
    state: FSMContext


StepHandler = Callable[[Step], Awaitable[Screen]]


def managed_school_ids(identity: Identity) -> list[int]:
    """The schools the person manages (UX only: core decides on every call)."""
    return sorted(
        {school for school, role in identity.viewer.staff_roles if role in MANAGER_ROLES}
    )


class ChangeEditor:
    """The editor's steps over remembered places and pending files (one per dispatcher)."""

    def __init__(self) -> None:
        self.places = Places()
        self.pending = PendingUploads("changes_upload")
        self.steps: dict[ChangesAction, StepHandler] = {
            "day": self.day_step,
            "cls": self.class_step,
            "les": self.lesson_step,
            "ext": self.extra_step,
            "back": self.back,
            "subs": self.teachers_step,
            "sub": self.teacher_chosen,
            "cnl": self.cancel,
            "room": self.ask_room,
            "mvd": self.move_days,
            "mvp": self.move_periods,
            "mv": self.move,
            "rm": self.remove,
            "abs": self.absent,
            "tch": self.teacher_step,
            "add": self.add_class,
            "addc": self.add_group,
            "addg": self.add_period,
            "addp": self.add_teacher,
            "drf": self.drafts,
            "pub": self.ask_publish,
            "puby": self.publish,
            "file": self.ask_file,
            "fyes": self.create_from_file,
            "fno": self.drop_file,
        }

    async def remember(self, s: Step, place: Place) -> int:
        """Remember a place for the user's next button; returns its number."""
        return await self.places.put(s.state, place, s.core.clock.now())

    async def plan(self, s: Step, on: date | None = None) -> DayPlan:
        """The school's plan of the place's date (or ``on``)."""
        return await day_plan(
            s.core.uow(), s.identity.viewer, school_id=s.place.school_id, on=on or s.place.day
        )

    # ------------------------------------------------------------ the handlers

    async def on_command(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """/changes: the next school day of the manager's school (or: which school?)."""
        await state.clear()
        schools = managed_school_ids(identity)
        if not manages(identity.viewer) or not schools:
            await reply(message, views.managers_only(t))
            return
        user_id = _user_id(message)
        starts: list[tuple[str, Place]] = []
        for school_id in schools:
            choices = await editor_choices(core.uow(), identity.viewer, school_id=school_id)
            first = choices.school_days[0] if choices.school_days else choices.today
            starts.append((choices.school_name, Place(school_id, first, choices.today)))
        if len(starts) > 1:
            refs = await self.places.put_all(
                state, [place for _, place in starts], core.clock.now()
            )
            picks = [(name, ref) for (name, _), ref in zip(starts, refs, strict=True)]
            await reply(message, views.school_picker(picks, t))
            return
        s = Step(user_id, 0, 0, starts[0][1], identity, core, t, state)
        await reply(message, await self.day(s, starts[0][1]))

    async def on_button(
        self,
        query: CallbackQuery,
        *,
        callback_data: ChangesCb,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """Every editor button: the remembered place, then the step."""
        if not manages(identity.viewer):
            await reply(query, views.managers_only(t))
            return
        user_id = query.from_user.id
        place = await self.places.get(state, callback_data.ref, core.clock.now())
        if place is None:
            await reply(query, views.expired(t))
            return
        if await state.get_state() in (ChangeStates.room.state, ChangeStates.file.state):
            await state.clear()  # another button abandons the question
        s = Step(user_id, callback_data.ref, callback_data.arg, place, identity, core, t, state)
        await reply(query, await self.steps[callback_data.act](s))

    async def answered(
        self,
        message: Message,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> Step | None:
        """The step a room or a file answers (the state is cleared); None when outdated."""
        data = await state.get_data()
        await state.clear()
        ref = int(data.get("ref", 0))
        place = await self.places.get(state, ref, core.clock.now())
        if place is None or not manages(identity.viewer):
            await reply(message, views.expired(t))
            return None
        return Step(_user_id(message), ref, 0, place, identity, core, t, state)

    async def on_room(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
    ) -> None:
        """The room typed after "Change room": record it, then back to the lessons."""
        s = await self.answered(message, identity, core, t, state)
        if s is None:
            return
        room = " ".join((message.text or "").split())
        try:
            screen = await self.room_given(s, room)
        except DomainError:
            await state.set_state(ChangeStates.room)  # the refusal is shown; type it again
            await state.update_data(ref=s.ref)
            raise
        await reply(message, screen)

    async def on_file(
        self,
        message: Message,
        *,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
        bot: Bot,
    ) -> None:
        """A file of changes: its preview, kept for "Create"."""
        s = await self.answered(message, identity, core, t, state)
        document = message.document
        if s is None or document is None:
            return
        if (document.file_size or 0) > MAX_UPLOAD_BYTES:
            await reply(message, views.simple("changes.file_too_big", s.ref, t))
            return
        downloaded = await bot.download(document)
        data = downloaded.read() if downloaded is not None else b""
        await reply(message, await self.file_given(s, data, document.file_name or "changes"))

    # ------------------------------------------------------------ the day, a class, a teacher

    async def day(self, s: Step, place: Place) -> Screen:
        """The day screen of ``place``'s date."""
        plan = await self.plan(s, place.day)
        classes = views.class_names(plan)
        ref = await self.remember(s, replace(place.at(place.day), classes=classes))
        return views.day_screen(plan, classes, place.today, ref, s.t)

    async def day_step(self, s: Step) -> Screen:
        """◀ / ▶ / Today / back to the day: ``arg`` is a date ordinal, 0 the place's date."""
        target = s.place.day if s.arg == 0 else _day(s.arg)
        if target is None:
            return views.expired(s.t)
        return await self.day(s, s.place.at(target))

    async def class_lessons(self, s: Step, class_name: str) -> Screen:
        """One class's lessons of the date."""
        plan = await self.plan(s)
        ref = await self.remember(s, replace(s.place.at(s.place.day), class_name=class_name))
        return views.class_screen(plan, class_name, ref, s.t)

    async def class_step(self, s: Step) -> Screen:
        """A class button of the day screen (``arg``: its position)."""
        if not 0 <= s.arg < len(s.place.classes):
            return views.expired(s.t)
        return await self.class_lessons(s, s.place.classes[s.arg])

    async def teacher_day(self, s: Step, teacher_id: int, name: str) -> Screen:
        """An absent teacher's lessons of the date, to handle one after another."""
        lessons = await teacher_lessons(
            s.core.uow(),
            s.identity.viewer,
            school_id=s.place.school_id,
            on=s.place.day,
            teacher_id=teacher_id,
        )
        name = name or _name_in(lessons, teacher_id)
        place = replace(s.place.at(s.place.day), teacher_id=teacher_id, teacher_name=name)
        return views.teacher_screen(lessons, name, s.place.day, await self.remember(s, place), s.t)

    async def absent(self, s: Step) -> Screen:
        """The teachers of the date to mark one absent (``arg``: the page)."""
        return views.absent_picker(await self.plan(s), s.arg, s.ref, s.t)

    async def teacher_step(self, s: Step) -> Screen:
        """A teacher picked as absent (``arg``: the person)."""
        return await self.teacher_day(s, s.arg, "")

    async def back(self, s: Step) -> Screen:
        """Where the lesson was picked: the absent teacher's lessons, the class, or the day."""
        if s.place.teacher_id is not None:
            return await self.teacher_day(s, s.place.teacher_id, s.place.teacher_name)
        if s.place.class_name is not None:
            return await self.class_lessons(s, s.place.class_name)
        return await self.day(s, s.place)

    # ------------------------------------------------------------ one lesson

    async def lesson(self, s: Step, slot_id: int | None, change_id: int | None) -> Screen:
        """A lesson of the date with its actions."""
        found = _find((await self.plan(s)).lessons, slot_id, change_id)
        if found is None:
            return views.lesson_missing(await self.remember(s, s.place.at(s.place.day)), s.t)
        chosen = replace(
            s.place,
            classes=(),
            slot_id=found.slot_id,
            change_id=found.change.id if found.change else None,
            group_id=found.group_id,
            period=found.period,
            new_day=None,
            what=views.lesson_name(found),
        )
        return views.lesson_screen(found, s.place.day, await self.remember(s, chosen), s.t)

    async def lesson_step(self, s: Step) -> Screen:
        """A timetable lesson (``arg``: its slot)."""
        return await self.lesson(s, s.arg, None)

    async def extra_step(self, s: Step) -> Screen:
        """An added lesson (``arg``: its change)."""
        return await self.lesson(s, None, s.arg)

    async def record(
        self,
        s: Step,
        kind: ChangeKind,
        *,
        teacher_id: int | None = None,
        room: str | None = None,
        new_date: date | None = None,
        new_period: int | None = None,
    ) -> Screen:
        """A draft for the place's lesson (or the lesson being added), then back."""
        place = s.place
        extra = kind == "extra"
        await add_change(
            s.core.uow(),
            s.identity.viewer,
            school_id=place.school_id,
            on=place.day,
            kind=kind,
            slot_id=None if extra else place.slot_id,
            group_id=place.group_id if extra else None,
            period=place.period if extra else None,
            teacher_id=teacher_id,
            room=room,
            new_date=new_date,
            new_period=new_period,
        )
        return await (self.day(s, place) if extra else self.back(s))

    async def teachers_step(self, s: Step) -> Screen:
        """The free teachers of the lesson's period (``arg``: the page)."""
        return await self.teachers(s, s.place, s.arg)

    async def teachers(self, s: Step, place: Place, page: int) -> Screen:
        """Free teachers for ``place``'s group and period, subject teachers first."""
        if place.group_id is None or place.period is None:
            return views.expired(s.t)
        options = await free_teachers(
            s.core.uow(),
            s.identity.viewer,
            school_id=place.school_id,
            on=place.day,
            period=place.period,
            group_id=place.group_id,
        )
        ref = await self.remember(s, place)
        added = place.slot_id is None
        return views.teacher_options(options, place.what, page, s.t, ref=ref, added=added)

    async def teacher_chosen(self, s: Step) -> Screen:
        """A substitute, or the added lesson's teacher (``arg``: the person; 0: the group's)."""
        if s.place.slot_id is not None:
            return await self.record(s, "substitution", teacher_id=s.arg)
        if s.place.group_id is None or s.place.period is None:
            return views.expired(s.t)
        return await self.record(s, "extra", teacher_id=s.arg or None)

    async def cancel(self, s: Step) -> Screen:
        """Cancel the lesson."""
        if s.place.slot_id is None:
            return views.expired(s.t)
        return await self.record(s, "cancel")

    async def ask_room(self, s: Step) -> Screen:
        """Which room? The next text message answers."""
        if s.place.slot_id is None:
            return views.expired(s.t)
        await s.state.set_state(ChangeStates.room)
        await s.state.update_data(ref=s.ref)
        return views.ask_room(s.place.what, s.ref, s.t)

    async def room_given(self, s: Step, room: str) -> Screen:
        """The room arrived."""
        return await self.record(s, "room", room=room)

    async def move_days(self, s: Step) -> Screen:
        """Move: the same day or one of the next school days."""
        if s.place.slot_id is None:
            return views.expired(s.t)
        choices = await editor_choices(
            s.core.uow(), s.identity.viewer, school_id=s.place.school_id, on=s.place.day
        )
        days = choices.school_days[: views.MOVE_DAYS]
        return views.move_days(s.place.what, s.place.day, days, s.ref, s.t)

    async def move_periods(self, s: Step) -> Screen:
        """Move to the date ``arg`` (an ordinal): its free periods for the lesson's classes."""
        target = _day(s.arg)
        if target is None or s.place.slot_id is None:
            return views.expired(s.t)
        viewer, school_id = s.identity.viewer, s.place.school_id
        choices = await editor_choices(s.core.uow(), viewer, school_id=school_id, on=target)
        own = _find((await self.plan(s)).lessons, s.place.slot_id, None)
        plan = await self.plan(s, target)
        busy = views.busy_periods(plan, own.class_names if own else (), s.place.group_id or 0)
        if target == s.place.day and s.place.period is not None:
            busy |= {s.place.period}
        free = [period for period in choices.periods if period not in busy]
        ref = await self.remember(s, replace(s.place, new_day=target))
        return views.period_picker(s.place.what, target, free, s.t, act="mv", ref=ref)

    async def move(self, s: Step) -> Screen:
        """Move to period ``arg`` of the chosen date."""
        if s.place.slot_id is None:
            return views.expired(s.t)
        moved_to = s.place.new_day or s.place.day
        return await self.record(
            s,
            "move",
            new_date=None if moved_to == s.place.day else moved_to,
            new_period=s.arg,
        )

    async def remove(self, s: Step) -> Screen:
        """Remove a draft (``arg``: the change), then the lesson's way back or the drafts."""
        await remove_change(s.core.uow(), s.identity.viewer, change_id=s.arg)
        if s.place.slot_id is not None:
            return await self.back(s)
        if s.place.change_id is not None:  # an added lesson is gone with its draft
            return await self.day(s, s.place)
        return await self.drafts(s)

    # ------------------------------------------------------------ add a lesson

    async def add_class(self, s: Step) -> Screen:
        """Add a lesson: which class?"""
        choices = await editor_choices(
            s.core.uow(), s.identity.viewer, school_id=s.place.school_id, on=s.place.day
        )
        ref = await self.remember(s, s.place.at(s.place.day))
        return views.add_classes(choices.classes, s.place.day, ref, s.t)

    async def add_group(self, s: Step) -> Screen:
        """Add a lesson: which group of class ``arg``?"""
        choices = await editor_choices(
            s.core.uow(), s.identity.viewer, school_id=s.place.school_id, on=s.place.day
        )
        klass = next((c for c in choices.classes if c.class_id == s.arg), None)
        if klass is None:
            return views.not_offered(s.ref, s.t)
        return views.add_groups(klass, s.ref, s.t)

    async def add_period(self, s: Step) -> Screen:
        """Add a lesson for group ``arg``: the periods its classes are free."""
        choices = await editor_choices(
            s.core.uow(), s.identity.viewer, school_id=s.place.school_id, on=s.place.day
        )
        group = next((g for c in choices.classes for g in c.groups if g.group_id == s.arg), None)
        if group is None:
            return views.not_offered(s.ref, s.t)
        busy = views.busy_periods(await self.plan(s), group.class_names, group.group_id)
        free = [period for period in choices.periods if period not in busy]
        chosen = replace(s.place.at(s.place.day), group_id=group.group_id, what=group.name)
        ref = await self.remember(s, chosen)
        return views.period_picker(group.name, s.place.day, free, s.t, act="addp", ref=ref)

    async def add_teacher(self, s: Step) -> Screen:
        """Add a lesson in period ``arg``: who teaches it (free teachers)?"""
        if s.place.group_id is None:
            return views.expired(s.t)
        what = f"{s.place.what}, {s.t('changes.period', period=s.arg)}"
        chosen = replace(s.place, period=s.arg, what=what)
        return await self.teachers(s, chosen, 0)

    # ------------------------------------------------------------ drafts and publishing

    async def drafts(self, s: Step) -> Screen:
        """The date's drafts."""
        plan = await self.plan(s)
        return views.drafts_screen(plan, await self.remember(s, s.place.at(s.place.day)), s.t)

    async def ask_publish(self, s: Step) -> Screen:
        """Publish N changes for the date?"""
        plan = await self.plan(s)
        return views.confirm_publish(plan, await self.remember(s, s.place.at(s.place.day)), s.t)

    async def publish(self, s: Step) -> Screen:
        """Publish the drafts."""
        done = await publish_changes(
            s.core.uow(), s.identity.viewer, school_id=s.place.school_id, on=s.place.day
        )
        return views.published(done, s.place.day, s.ref, s.t)

    # ------------------------------------------------------------ a file of changes

    async def ask_file(self, s: Step) -> Screen:
        """Send the file: the next document answers."""
        await s.state.set_state(ChangeStates.file)
        await s.state.update_data(ref=s.ref)
        return views.ask_file(s.ref, s.t)

    async def file_given(self, s: Step, data: bytes, filename: str) -> Screen:
        """Preview the file and keep it for "Create"."""
        try:
            preview = await import_changes(
                s.core.uow(),
                s.identity.viewer,
                school_id=s.place.school_id,
                data=data,
                filename=filename,
                apply=False,
            )
        except ImportRejected as rejected:
            return views.file_rejected(rejected.problems, s.ref, s.t)
        if preview.changes:
            expires = s.core.clock.now() + PENDING_FOR
            upload = PendingUpload(s.place.school_id, filename, data, expires)
            await self.pending.put(s.state, upload)
        return views.file_preview(preview, s.ref, s.t, confirmable=True)

    async def create_from_file(self, s: Step) -> Screen:
        """Create the pending file's drafts, all or nothing."""
        item = await self.pending.take(s.state, s.core.clock.now())
        if item is None or item.school_id != s.place.school_id:
            return views.simple("changes.file_expired", s.ref, s.t)
        try:
            preview = await import_changes(
                s.core.uow(),
                s.identity.viewer,
                school_id=item.school_id,
                data=item.data,
                filename=item.filename,
                apply=True,
            )
        except ImportRejected as rejected:
            return views.file_rejected(rejected.problems, s.ref, s.t)
        return views.file_preview(preview, s.ref, s.t, confirmable=False)

    async def drop_file(self, s: Step) -> Screen:
        """Forget the previewed file."""
        await self.pending.take(s.state, s.core.clock.now())
        return views.simple("changes.file_cancelled", s.ref, s.t)


def build_router() -> Router:
    """A fresh router with the editor's handlers (places and files live in the FSM storage)."""
    editor = ChangeEditor()
    router = Router(name=__name__)
    router.message.register(editor.on_command, Command("changes"), IsLinked())
    router.callback_query.register(editor.on_button, ChangesCb.filter(), IsLinked())
    router.message.register(
        editor.on_room, ChangeStates.room, F.text, ~F.text.startswith("/"), IsLinked()
    )
    router.message.register(editor.on_file, ChangeStates.file, F.document, IsLinked())
    return router


def _user_id(message: Message) -> int:
    return message.from_user.id if message.from_user is not None else message.chat.id


def _day(ordinal: int) -> date | None:
    """A date from an untrusted ordinal; None when out of range."""
    return date.fromordinal(ordinal) if 1 <= ordinal <= date.max.toordinal() else None


def _find(
    lessons: tuple[PlannedLesson, ...], slot_id: int | None, change_id: int | None
) -> PlannedLesson | None:
    """The lesson of a slot, or the added lesson of a change."""
    for lesson in lessons:
        if slot_id is not None and lesson.slot_id == slot_id:
            return lesson
        if (
            slot_id is None
            and lesson.slot_id is None
            and lesson.change is not None
            and lesson.change.id == change_id
        ):
            return lesson
    return None


def _name_in(lessons: tuple[PlannedLesson, ...], teacher_id: int) -> str:
    for lesson in lessons:
        for person_id, name in zip(lesson.teacher_ids, lesson.teacher_names, strict=False):
            if person_id == teacher_id:
                return name
    return ""
