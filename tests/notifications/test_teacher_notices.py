"""Teachers' and parents' notices (issue #7 parts 5, 6): the absence message's "report the
reason" button, decided and submitted absence notes, pupil lists, the 16:00 reminder."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, update

from bot.callbacks import NoteFormCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services import absence_notes as notes
from core.services import attendance
from core.services import teacher_day as days
from core.services import timetable_changes as changes
from core.services.group_lists import decide_group_list, submit_group_list
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.delivery import DeliveryWorker
from notifications.fanout import FanOut
from notifications.group_lists import DECIDED as LIST_DECIDED
from notifications.group_lists import SUBMITTED as LIST_SUBMITTED
from notifications.group_lists import GroupListNotices
from notifications.messages import OutboundMessage, load_catalogs
from notifications.notes import DECIDED, SUBMITTED, NoteNotices, report_callback
from notifications.outbox import FANOUT_CURSOR, Outbox
from notifications.policy import Rules
from notifications.runtime import build_notifications_runtime
from notifications.sender import Button, RecordingSender, TextPart
from notifications.settings import NotificationsSettings
from notifications.teacher import REMINDER, TeacherReminders, backlogs_from
from notifications.telegram_sender import TelegramSender
from sandbox.server import running_sandbox
from sandbox.state import SandboxConfig
from tests.bot.harness import buttons, open_chats
from tests.builders import World, build_world, insert, new_person, viewer
from tests.core.services.test_group_lists import build_list_world

from .conftest import deliveries, fast_config, link, settle

RIGA = ZoneInfo("Europe/Riga")
THU, FRI, SAT, MON = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)
PARENT, CARER, SECOND, PUPIL, TEACHER, BOSS = 8101, 8102, 8103, 8104, 8105, 8106
BUTTON_LV = "📝 Pieteikt kavējuma iemeslu"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIGA)


def fanout(core: Core, *, button: bool = True, **settings: Any) -> FanOut:
    catalogs = load_catalogs()
    rules = Rules.from_settings(NotificationsSettings(**settings))
    note_notices = NoteNotices(catalogs, rules)
    list_notices = GroupListNotices(catalogs, rules)
    return FanOut(
        Outbox(core.engine),
        catalogs,
        rules,
        core.clock,
        handlers={
            SUBMITTED: note_notices.on_submitted,
            DECIDED: note_notices.on_decided,
            LIST_SUBMITTED: list_notices.on_submitted,
            LIST_DECIDED: list_notices.on_decided,
        },
        report_button=button,
    )


async def friday_lesson(core: Core, world: World, period: int = 3) -> int:
    now = core.clock.now()
    [lesson_id] = await insert(
        core,
        t.Lesson(
            school_id=world.a.school_id,
            group_id=world.a.math_group,
            on_date=FRI,
            period=period,
            teacher_id=world.a.math_teacher,
            is_substitution=False,
            created_at=now,
            updated_at=now,
        ),
    )
    return lesson_id


async def absent(core: Core, world: World, lesson_id: int, marks: dict[int, str]) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    await attendance.record_attendance(core.uow(), teacher, lesson_id=lesson_id, absent=marks)


async def carer_of(core: Core, world: World, pupil_id: int) -> int:
    """A read-only carer the parent invited (Guardianship.read_only)."""
    carer = await new_person(core, "Vecmāmiņa", "Alfa-Ozola")
    await insert(
        core,
        t.Guardianship(
            guardian_id=carer,
            pupil_id=pupil_id,
            relation="other",
            read_only=True,
            granted_by=world.a.parent_5a,
        ),
    )
    return carer


def keyboard(row: t.Delivery) -> list[list[dict[str, str]]] | None:
    found = row.payload.get("keyboard")
    return None if found is None else [list(line) for line in found]


def by_person(rows: list[t.Delivery]) -> dict[int | None, t.Delivery]:
    found = {row.recipient_id: row for row in rows}
    assert len(found) == len(rows)
    return found


# ----------------------------------------------------------------------------- the button


def test_the_button_payload_is_the_bots_packed_callback() -> None:
    for pupil_id in (1, 42, 2_000_000_123):
        assert report_callback(pupil_id) == NoteFormCb(step="child", value=pupil_id).pack()


async def test_the_absence_message_offers_the_button_only_to_full_guardians(
    core: Core,
) -> None:
    world = await build_world(core)
    a = world.a
    carer = await carer_of(core, world, a.pupil_5a)
    await link(core, a.parent_5a, PARENT)
    await link(core, carer, CARER, language="en")
    await link(core, a.parent_5a_second, SECOND, language="ru")
    await link(core, a.pupil_5a, PUPIL)
    lesson = await friday_lesson(core, world)
    # Jānis is absent; Anna is ill ("ns" is justified from the start: nothing to report).
    await absent(core, world, lesson, {a.pupil_5a: "n", a.pupil_5a_second: "ns"})

    await fanout(core, notify_pupils_of_absences=True).run_once()
    rows = by_person(await deliveries(core))
    assert set(rows) == {a.parent_5a, carer, a.pupil_5a, a.parent_5a_second, a.pupil_5a_second}
    parent = rows[a.parent_5a]
    assert (
        parent.payload["text"] == "<b>Jānis</b>: nav ieradies — Matemātika, 27.11.2026, 3. stunda"
    )
    assert keyboard(parent) == [[{"text": BUTTON_LV, "callback_data": f"nf:child:{a.pupil_5a}"}]]
    assert keyboard(rows[carer]) is None  # a carer reads, never reports
    assert keyboard(rows[a.pupil_5a]) is None  # the pupils' own messages
    assert keyboard(rows[a.pupil_5a_second]) is None
    assert keyboard(rows[a.parent_5a_second]) is None  # "ns" needs no note
    assert OutboundMessage.model_validate(parent.payload).keyboard[0][0].text == BUTTON_LV


async def test_no_button_when_a_note_covers_the_day_for_lateness_or_when_turned_off(
    core: Core,
) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT, language="en")
    await link(core, a.parent_5a_second, SECOND)
    parent = await viewer(core, a.parent_5a)
    await notes.submit_note(
        core.uow(), parent, pupil_id=a.pupil_5a, starts_on=FRI, ends_on=FRI, reason="illness"
    )
    friday = await friday_lesson(core, world)
    # Friday is covered by the note; Thursday (the world's lesson) is not; Anna is only late.
    await absent(core, world, friday, {a.pupil_5a: "n", a.pupil_5a_second: "k"})
    await absent(core, world, a.lesson_math, {a.pupil_5a: "n"})
    await fanout(core).run_once()

    rows = [row for row in await deliveries(core) if row.kind == "attendance.recorded"]
    texts = {(row.recipient_id, row.payload["text"]): keyboard(row) for row in rows}
    assert texts == {
        (a.parent_5a, "<b>Jānis</b>: absent — Matemātika, 27.11.2026, lesson 3"): None,
        (a.parent_5a_second, "<b>Anna</b>: kavējis — Matemātika, 27.11.2026, 3. stunda"): None,
        (a.parent_5a, "<b>Jānis</b>: absent — Matemātika, 26.11.2026, lesson 2"): [
            [{"text": "📝 Report the reason", "callback_data": f"nf:child:{a.pupil_5a}"}]
        ],
    }

    # The same absence again with the button turned off: no keyboard.
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(update(t.Cursor).values(position=0))
        await session.execute(delete(t.Delivery))
    await fanout(core, button=False).run_once()
    rows = [row for row in await deliveries(core) if row.kind == "attendance.recorded"]
    assert [keyboard(row) for row in rows] == [None, None, None]


async def test_an_evening_correction_still_goes_and_quiet_hours_hold_it_after_nine(
    core: Core, clock: FakeClock
) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT)
    lesson = await friday_lesson(core, world)
    clock.set(at(FRI, 19, 30))  # school is over: a correction in the evening
    await absent(core, world, lesson, {a.pupil_5a: "n"})
    await fanout(core).run_once()
    [evening] = await deliveries(core)
    assert evening.status == "queued"
    assert evening.not_before.replace(tzinfo=UTC) == at(FRI, 19, 30)
    assert keyboard(evening) is not None

    clock.set(at(FRI, 22, 15))
    await absent(core, world, a.lesson_math, {a.pupil_5a: "n"})
    await fanout(core).run_once()
    night = (await deliveries(core))[-1]
    assert night.not_before.replace(tzinfo=UTC) == at(SAT, 7, 0)


async def test_pressing_the_button_opens_the_note_dialog_for_that_child(
    core: Core, clock: FakeClock
) -> None:
    world = await build_world(core)
    a = world.a
    chats = await open_chats(
        core, world, [(a.parent_5a, PARENT, "lv")], buckets=TokenBuckets(1000, 1000)
    )
    lesson = await friday_lesson(core, world)
    await absent(core, world, lesson, {a.pupil_5a: "n"})
    await fanout(core).run_once()
    [row] = await deliveries(core)
    assert row.chat_id == PARENT
    [[button]] = keyboard(row) or [[]]

    [when] = await chats.user(PARENT).press(button["callback_data"])
    assert when.text == (
        "📝 <b>Kavējuma pieteikums — Jānis Alfa-Bērziņš (5.a)</b>\n\n"
        "Kurās dienās skolēns nebūs (nebija) skolā?"
    )
    assert "Šodien (Pk 27.11.)" in buttons(when)


async def test_the_keyboard_goes_under_the_last_part_and_through_the_bot_api(core: Core) -> None:
    world = await build_world(core)
    await link(core, world.a.parent_5a, PARENT)
    message = OutboundMessage(
        text="\n\n".join(["Garš teksts. " * 60] * 8),
        keyboard=((_button("📝 Pieteikt", "nf:child:7"),),),
    )
    outbox = Outbox(core.engine)
    await outbox.enqueue(
        [_delivery("long", message.model_dump(exclude_defaults=True), world.a.parent_5a, PARENT)],
        core.clock.now(),
    )
    sender = RecordingSender()
    worker = DeliveryWorker(outbox, sender, fast_config(), clock=core.clock)
    worker.start()
    await settle(outbox)
    await worker.stop()
    parts = [call.part for call in sender.calls]
    assert len(parts) > 1
    assert all(isinstance(part, TextPart) for part in parts)
    assert [part.keyboard for part in parts if isinstance(part, TextPart)] == [()] * (
        len(parts) - 1
    ) + [((Button("📝 Pieteikt", "nf:child:7"),),)]

    token = "6262:NOTICE-token"
    async with running_sandbox(config=SandboxConfig(token=token)) as sb:
        user = await sb.client.create_user("Līga", user_id=PARENT)
        await sb.client.send_text(user["id"], "/start")
        telegram = TelegramSender(token, api_base=sb.api_url, timeout=5)
        try:
            part = TextPart(
                "Jānis: nav ieradies", keyboard=((Button("📝 Iemesls", "nf:child:7"),),)
            )
            await telegram.send(PARENT, part)
        finally:
            await telegram.close()
        [sent] = await sb.client.bot_messages(PARENT)
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "📝 Iemesls", "callback_data": "nf:child:7"}]]
    }


def test_a_button_payload_over_64_bytes_is_refused() -> None:
    with pytest.raises(ValidationError):
        _button("x", "nf:" + "9" * 70)


def _button(text: str, data: str) -> Any:
    from notifications.messages import InlineButton

    return InlineButton(text=text, callback_data=data)


def _delivery(key: str, payload: dict[str, object], person: int, chat: int) -> Any:
    from notifications.records import NewDelivery

    return NewDelivery(
        key=key,
        kind="test",
        payload=payload,
        not_before=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
        recipient_id=person,
        chat_id=chat,
    )


# ----------------------------------------------------------------------------- notes


async def test_a_submitted_note_reaches_the_class_teacher_and_the_decision_the_family(
    core: Core,
) -> None:
    world = await build_world(core)
    a = world.a
    carer = await carer_of(core, world, a.pupil_5a)
    second = await new_person(core, "Oskars", "Alfa-Bērziņš")
    await insert(core, t.Guardianship(guardian_id=second, pupil_id=a.pupil_5a, relation="father"))
    await link(core, a.parent_5a, PARENT)
    await link(core, carer, CARER)
    await link(core, second, SECOND, language="en")
    await link(core, a.math_teacher, TEACHER)
    await link(core, a.superuser, BOSS, language="ru")
    parent = await viewer(core, a.parent_5a)
    note = await notes.submit_note(
        core.uow(),
        parent,
        pupil_id=a.pupil_5a,
        starts_on=FRI,
        ends_on=MON,
        reason="other",
        reason_text="Augsta temperatūra, ārsts",
    )
    flow = fanout(core)
    await flow.run_once()
    [submitted] = await deliveries(core)
    assert submitted.recipient_id == a.math_teacher  # the class teacher of 5.a only
    assert submitted.idempotency_key == f"note:{note.note.id}:submitted:p{a.math_teacher}"
    assert submitted.payload["text"] == (
        "📝 Jauna kavējuma zīme: <b>Jānis Alfa-Bērziņš</b> (5.a), 27.11.–30.11. — /notes"
    )

    teacher = await viewer(core, a.math_teacher)
    await notes.decide_note(
        core.uow(), teacher, note_id=note.note.id, approve=False, reason="Nav ārsta zīmes"
    )
    await flow.run_once()
    decided = by_person([r for r in await deliveries(core) if r.kind == DECIDED])
    assert set(decided) == {a.parent_5a, second}  # not the carer, not the teacher
    assert decided[a.parent_5a].payload["text"] == (
        "❌ Klases audzinātājs neapstiprināja kavējuma zīmi: <b>Jānis</b> (27.11.–30.11.). "
        "Iemesls: Nav ārsta zīmes"
    )
    assert decided[second].payload["text"] == (
        "❌ The form teacher did not accept the absence note for <b>Jānis</b> (27.11.–30.11.): "
        "Nav ārsta zīmes"
    )
    assert decided[second].idempotency_key == f"note:{note.note.id}:decided:p{second}"
    assert all("temperatūra" not in r.payload["text"] for r in await deliveries(core))

    # The deputy director decides again: a new message; a replay of every event adds nothing.
    boss = await viewer(core, a.superuser)
    await notes.decide_note(core.uow(), boss, note_id=note.note.id, approve=True)
    await flow.run_once()
    again = [r for r in await deliveries(core) if r.kind == DECIDED][2:]
    assert {r.recipient_id: r.payload["text"] for r in again} == {
        a.parent_5a: "✅ Skolas vadība apstiprināja kavējuma zīmi: <b>Jānis</b> (27.11.–30.11.).",
        second: (
            "✅ The school administration accepted the absence note for <b>Jānis</b> "
            "(27.11.–30.11.)."
        ),
    }
    assert all(r.idempotency_key.endswith(f":e{r.event_id}") for r in again)
    total = len(await deliveries(core))
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Cursor).where(t.Cursor.name == FANOUT_CURSOR).values(position=0)
        )
    await fanout(core).run_once()
    assert len(await deliveries(core)) == total


async def test_a_note_withdrawn_before_the_fanout_and_a_parent_teacher_are_not_told(
    core: Core,
) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.math_teacher, TEACHER)
    parent = await viewer(core, a.parent_5a)
    note = await notes.submit_note(
        core.uow(), parent, pupil_id=a.pupil_5a, starts_on=FRI, ends_on=FRI, reason="family"
    )
    await notes.withdraw_note(core.uow(), parent, note_id=note.note.id)
    # The class teacher of 5.a is also a parent there and reports their own child's absence.
    await insert(core, t.Guardianship(guardian_id=a.math_teacher, pupil_id=a.pupil_5a_second))
    own = await viewer(core, a.math_teacher)
    await notes.submit_note(
        core.uow(), own, pupil_id=a.pupil_5a_second, starts_on=FRI, ends_on=FRI, reason="family"
    )
    await fanout(core).run_once()
    assert [row.idempotency_key for row in await deliveries(core)] == []


# ----------------------------------------------------------------------------- pupil lists


async def test_pupil_lists_reach_the_deputy_director_and_the_decision_the_teacher(
    core: Core,
) -> None:
    lw = await build_list_world(core)
    a = lw.world.a
    await link(core, a.superuser, BOSS)
    await link(core, a.director, 8107)
    await link(core, a.other_teacher, TEACHER, language="en")
    teacher = await viewer(core, a.other_teacher)
    first = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a, lw.pupil_5b_ozola]
    )
    flow = fanout(core)
    await flow.run_once()
    [told] = await deliveries(core)
    assert (told.recipient_id, told.payload["text"]) == (
        a.superuser,
        "📋 Pēteris Alfa-Sportists iesniedza skolēnu sarakstu: 5.a, 5.b Sports "
        "(skolēnu skaits: 2) — /groups",
    )
    assert told.idempotency_key == f"group-list:{first.id}:submitted:p{a.superuser}"

    boss = await viewer(core, a.superuser)
    await decide_group_list(
        core.uow(), boss, submission_id=first.id, approve=False, reason="Trūkst Celma"
    )
    await flow.run_once()
    [rejected] = [r for r in await deliveries(core) if r.kind == LIST_DECIDED]
    assert (rejected.recipient_id, rejected.payload["text"]) == (
        a.other_teacher,
        "❌ The pupil list of 5.a, 5.b Sports was not approved: Trūkst Celma — /groups",
    )

    # A list superseded before the fan-out saw it is not announced; the newer one is.
    await submit_group_list(core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a])
    latest = await submit_group_list(
        core.uow(), teacher, group_id=lw.sports, pupil_ids=[a.pupil_5a, lw.pupil_5b_celms]
    )
    await flow.run_once()
    announced = [r for r in await deliveries(core) if r.kind == LIST_SUBMITTED]
    assert [r.idempotency_key for r in announced] == [
        f"group-list:{first.id}:submitted:p{a.superuser}",
        f"group-list:{latest.id}:submitted:p{a.superuser}",
    ]
    await decide_group_list(core.uow(), boss, submission_id=latest.id, approve=True)
    await flow.run_once()
    approved = [r for r in await deliveries(core) if r.kind == LIST_DECIDED][-1]
    assert (
        approved.payload["text"] == "✅ The pupil list of 5.a, 5.b Sports was approved — /groups"
    )
    assert {r.recipient_id for r in await deliveries(core)} == {a.superuser, a.other_teacher}


# ----------------------------------------------------------------------------- the reminder

# School a's Monday: 5.a mathematics in periods 1 and 3, 2.a Latvian in periods 2 and 4.
MONDAY = (
    "weekday;period;class;group;subject;teacher_key;room;week\n"
    "P;1;5.a;;MAT;Māra Alfa-Matemātiķe;101;\n"
    "P;2;2.a;;LV;Ilze Alfa-Valodniece;12;\n"
    "P;3;5.a;;MAT;Māra Alfa-Matemātiķe;101;\n"
    "P;4;2.a;;LV;Ilze Alfa-Valodniece;12;\n"
)


async def monday_world(core: Core, clock: FakeClock) -> World:
    world = await build_world(core)
    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=world.a.school_id,
        data=MONDAY.encode(),
        filename="week.csv",
        apply=True,
    )
    a = world.a
    await link(core, a.math_teacher, TEACHER)
    await link(core, a.latvian_teacher, 8107, language="en")
    await link(core, a.other_teacher, 8108, language="ru")
    clock.set(at(MON, 12))
    return world


def reminders(core: Core, at_time: time = time(16, 0)) -> TeacherReminders:
    return TeacherReminders(
        Outbox(core.engine),
        load_catalogs(),
        backlogs_from(core.uow),
        Rules.from_settings(NotificationsSettings()),
        core.clock,
        at=at_time,
    )


async def fill(
    core: Core, person: int, group: int, period: int, *, topic: bool, roll: bool
) -> None:
    teacher = await viewer(core, person)
    if topic:
        await days.set_topic(
            core.uow(), teacher, group_id=group, on=MON, period=period, topic="Daļskaitļi"
        )
    if roll:
        await days.save_attendance(
            core.uow(), teacher, group_id=group, on=MON, period=period, absent={}
        )


async def test_one_reminder_lists_exactly_the_unfinished_lessons(
    core: Core, clock: FakeClock
) -> None:
    world = await monday_world(core, clock)
    a = world.a
    await fill(core, a.math_teacher, a.math_group, 1, topic=True, roll=True)
    await fill(core, a.latvian_teacher, a.latvian_group, 2, topic=True, roll=False)
    await fill(core, a.latvian_teacher, a.latvian_group, 4, topic=False, roll=True)
    clock.set(at(MON, 16))

    assert await reminders(core).run(MON) == 2
    rows = by_person(await deliveries(core))
    assert set(rows) == {a.math_teacher, a.latvian_teacher}
    math = rows[a.math_teacher]
    assert math.idempotency_key == f"teacher-reminder:{a.math_teacher}:2026-11-30"
    assert math.job == f"{REMINDER}:2026-11-30"
    assert math.chat_id == TEACHER
    assert math.not_before.replace(tzinfo=UTC) == at(MON, 16)
    assert math.payload["text"] == (
        "📝 Stundas pirmdien, 30.11.2026, kurās vēl trūkst ierakstu:\n"
        "• 3. 5.a Matemātika — nav tēmas, nav apmeklējuma\n"
        "\n"
        "Aizpildiet tās: /today"
    )
    assert rows[a.latvian_teacher].payload["text"] == (
        "📝 Lessons on Monday 30.11.2026 that still miss entries:\n"
        "• 2. 2.a Latviešu valoda — no attendance\n"
        "• 4. 2.a Latviešu valoda — no topic\n"
        "\n"
        "Fill them in: /today"
    )

    # A rerun (a restart, a second process) writes nothing, even after more lessons are due.
    await fill(core, a.math_teacher, a.math_group, 3, topic=True, roll=True)
    assert await reminders(core).run(MON) == 0
    assert len(await deliveries(core)) == 2


async def test_no_reminder_when_all_is_done_or_on_a_day_off(core: Core, clock: FakeClock) -> None:
    world = await monday_world(core, clock)
    a = world.a
    for person, group, period in (
        (a.math_teacher, a.math_group, 1),
        (a.math_teacher, a.math_group, 3),
        (a.latvian_teacher, a.latvian_group, 2),
        (a.latvian_teacher, a.latvian_group, 4),
    ):
        await fill(core, person, group, period, topic=True, roll=True)
    clock.set(at(MON, 16))
    assert await reminders(core).run(MON) == 0
    assert await days.unfinished_lessons(core.uow(), school_id=a.school_id, on=MON) == ()

    # Saturday has no lessons; a Monday that is a day off has none either.
    clock.set(at(SAT, 16))
    assert await reminders(core).run(SAT) == 0
    next_monday = MON + timedelta(days=7)
    await insert(
        core,
        t.DayOff(
            school_year_id=a.year_id, starts_on=next_monday, ends_on=next_monday, name="Svētki"
        ),
    )
    clock.set(at(next_monday, 16))
    assert await reminders(core).run(next_monday) == 0
    assert await deliveries(core) == []
    # The same Monday without the day off would remind both teachers of every lesson.
    following = next_monday + timedelta(days=7)
    backlog = await days.unfinished_lessons(core.uow(), school_id=a.school_id, on=following)
    assert [(b.person_id, [x.period for x in b.lessons]) for b in backlog] == sorted(
        [(a.math_teacher, [1, 3]), (a.latvian_teacher, [2, 4])]
    )


async def test_the_substitute_is_reminded_of_the_substituted_lesson_not_the_absent_teacher(
    core: Core, clock: FakeClock
) -> None:
    world = await monday_world(core, clock)
    a = world.a
    boss = await viewer(core, a.superuser)
    plan = await changes.day_plan(core.uow(), boss, school_id=a.school_id, on=MON)
    slots = {(entry.group_id, entry.period): entry.slot_id for entry in plan.lessons}
    await changes.add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=MON,
        kind="substitution",
        slot_id=slots[(a.math_group, 3)],
        teacher_id=a.other_teacher,
    )
    await changes.add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=MON,
        kind="cancel",
        slot_id=slots[(a.latvian_group, 4)],
    )
    await changes.publish_changes(core.uow(), boss, school_id=a.school_id, on=MON)
    await fill(core, a.math_teacher, a.math_group, 1, topic=True, roll=True)
    await fill(core, a.latvian_teacher, a.latvian_group, 2, topic=True, roll=True)
    clock.set(at(MON, 16))

    assert await reminders(core).run(MON) == 1
    [row] = await deliveries(core)
    assert row.recipient_id == a.other_teacher  # the math teacher's period 3 is theirs today
    assert row.payload["text"] == (
        "📝 Уроки за понедельник, 30.11.2026, в которых ещё не всё записано:\n"
        "• 3. 5.a Matemātika — нет темы, не отмечена посещаемость\n"
        "\n"
        "Заполните их: /today"
    )


async def test_lessons_after_the_reminder_time_wait_and_the_scheduler_runs_it_once(
    core: Core, clock: FakeClock
) -> None:
    world = await monday_world(core, clock)
    a = world.a
    clock.set(at(MON, 10, 5))
    # At 10:00 periods 1 and 2 have begun (8:30, 9:20); period 3 (10:10) has not.
    assert await reminders(core, time(10, 0)).run(MON) == 2
    periods = {row.recipient_id: row.payload["text"].count("•") for row in await deliveries(core)}
    assert periods == {a.math_teacher: 1, a.latvian_teacher: 1}

    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(delete(t.Delivery))
        await session.execute(delete(t.Cursor))
    runtime = build_notifications_runtime(core, NotificationsSettings(), RecordingSender())
    assert REMINDER in [job.name for job in runtime.scheduler.jobs]
    clock.set(at(MON, 15, 59))
    assert REMINDER not in await runtime.scheduler.catch_up()
    clock.set(at(MON, 16, 5))  # a restart after 16:00: caught up at once, then never again
    assert REMINDER in await runtime.scheduler.catch_up()
    assert len(await deliveries(core)) == 2
    assert REMINDER not in await runtime.scheduler.catch_up()
    clock.set(at(MON + timedelta(days=1), 20, 30))  # after the catch-up limit
    assert REMINDER not in await runtime.scheduler.catch_up()

    off = NotificationsSettings(teacher_reminders=False)
    runtime = build_notifications_runtime(core, off, RecordingSender())
    assert REMINDER not in [job.name for job in runtime.scheduler.jobs]


def test_reminder_times_are_validated() -> None:
    assert NotificationsSettings().teacher_reminder_time == time(16, 0)
    with pytest.raises(ValidationError):
        NotificationsSettings(teacher_reminder_time=time(3, 30))
    with pytest.raises(ValidationError):
        NotificationsSettings(teacher_reminder_time=time(18, 0), teacher_reminder_until=time(17))


async def test_a_teacher_of_two_schools_gets_one_message_with_both_lists(
    core: Core, clock: FakeClock
) -> None:
    world = await monday_world(core, clock)
    a, b = world.a, world.b
    await insert(
        core, t.StaffRole(school_id=b.school_id, person_id=a.math_teacher, role="teacher")
    )
    await import_timetable(
        core.uow(),
        Viewer.console(),
        school_id=b.school_id,
        data=(
            "weekday;period;class;group;subject;teacher_key;room;week\n"
            "P;5;5.a;;MAT;Māra Alfa-Matemātiķe;7;\n"
        ).encode(),
        filename="week.csv",
        apply=True,
    )
    clock.set(at(MON, 16))
    await reminders(core).run(MON)
    [row] = [r for r in await deliveries(core) if r.recipient_id == a.math_teacher]
    assert row.payload["text"] == (
        "📝 Stundas pirmdien, 30.11.2026, kurās vēl trūkst ierakstu:\n"
        "<b>Alfa pamatskola</b>\n"
        "• 1. 5.a Matemātika — nav tēmas, nav apmeklējuma\n"
        "• 3. 5.a Matemātika — nav tēmas, nav apmeklējuma\n"
        "<b>Beta pamatskola</b>\n"
        "• 5. 5.a Matemātika — nav tēmas, nav apmeklējuma\n"
        "\n"
        "Aizpildiet tās: /today"
    )
