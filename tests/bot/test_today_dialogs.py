"""/today through the real Dispatcher: the day, the lesson card, topic, homework with files,
the attendance roster (taps change nothing until Save), who taught it, crafted buttons."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup, Message, PhotoSize, Update
from sqlalchemy import select

from bot.callbacks import LessonCb, RosterCb, TodayCb
from bot.middlewares import TokenBuckets
from bot.views.today import lesson_slot
from core.bootstrap import Core
from core.services.timetable_changes import add_change, day_plan, publish_changes
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import SENT_AT, Chats, TelegramUser, buttons, open_chats
from tests.builders import build_timetable, build_world, insert, viewer

TEACHER, SUBSTITUTE, PARENT = 9301, 9302, 9303
FRIDAY = date(2026, 11, 27)  # the clock's today
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
PHOTO = b"\xff\xd8\xff\xe0" + b"j" * 200
PDF = b"%PDF-1.4\n" + b"p" * 300
_ids = itertools.count(500_000)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    await build_timetable(core, world)
    a = world.a
    [term] = await _term(core, a.year_id)
    # Friday (today) period 3: 5.a mathematics in room 101.
    await insert(
        core,
        t.TimetableSlot(
            school_id=a.school_id,
            term_id=term,
            weekday=4,
            period=3,
            group_id=a.math_group,
            teacher_id=a.math_teacher,
            room="101",
            week=None,
        ),
    )
    links = [
        (a.math_teacher, TEACHER, "lv"),
        (a.other_teacher, SUBSTITUTE, "en"),
        (a.parent_5a, PARENT, "lv"),
    ]
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def _term(core: Core, year_id: int) -> list[int]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.Term.id).where(t.Term.school_year_id == year_id, t.Term.number == 1)
        )
        return list(rows)


async def send_photo(user: TelegramUser, data: bytes, caption: str | None) -> list[SendMessage]:
    """The user sends a photo (Telegram's sizes: the largest last)."""
    file_id = f"photo{next(_ids)}"
    user.session.files[file_id] = data
    sizes = [
        PhotoSize(file_id=f"{file_id}s", file_unique_id="s", width=90, height=60, file_size=99),
        PhotoSize(
            file_id=file_id, file_unique_id=file_id, width=800, height=600, file_size=len(data)
        ),
    ]
    message = Message(
        message_id=next(_ids),
        date=SENT_AT,
        chat=user.chat,
        from_user=user.user,
        photo=sizes,
        caption=caption,
    )
    before = len(user.session.calls)
    await user.dp.feed_update(user.bot, Update(update_id=next(_ids), message=message))
    return [c for c in user.session.calls[before:] if isinstance(c, SendMessage)]


def keyboard_texts(markup: Any) -> list[list[str]]:
    assert isinstance(markup, InlineKeyboardMarkup)
    return [[button.text for button in row] for row in markup.inline_keyboard]


async def lesson_row(core: Core, group_id: int, on: date, period: int) -> t.Lesson | None:
    async with create_session_factory(core.engine)() as session:
        return await session.scalar(
            select(t.Lesson).where(
                t.Lesson.group_id == group_id, t.Lesson.on_date == on, t.Lesson.period == period
            )
        )


async def attendance_of(core: Core, lesson_id: int) -> dict[int, str]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(
            select(t.Attendance.pupil_id, t.Attendance.code).where(
                t.Attendance.lesson_id == lesson_id
            )
        )
        return {int(pupil): str(code) for pupil, code in rows}


async def open_card(teacher: TelegramUser) -> SendMessage:
    [day] = await teacher.send("/today")
    [card] = await teacher.press(buttons(day)["3. ✏👥 5.a Matemātika"])
    return card


# ---------------------------------------------------------------- the day and the card


async def test_today_lists_the_lessons_and_opens_the_card(core: Core, chats: Chats) -> None:
    teacher = chats.user(TEACHER)
    [day] = await teacher.send("/today")
    lines = day.text.splitlines()
    assert lines[0] == "📋 <b>Piektdiena, 27.11.</b> — manas stundas"
    assert lines[1] == "3. 10:10–10:50 ✏👥 <b>5.a Matemātika</b> (101)"
    assert list(buttons(day)) == [
        "3. ✏👥 5.a Matemātika",
        "◀ Ceturtdiena, 26.11.",
        "⬅️ Izvēlne",
    ]
    [thursday] = await teacher.press(buttons(day)["◀ Ceturtdiena, 26.11."])
    assert "Šajā dienā jums stundu nav." in thursday.text
    assert "Trešdiena, 25.11." in " ".join(buttons(thursday))

    card = await open_card(teacher)
    assert card.text.splitlines()[:2] == [
        "📘 <b>5.a Matemātika · Piektdiena, 27.11., 3. stunda</b>",
        "10:10–10:50 · telpa 101",
    ]
    assert "📝 Tēma: nav ierakstīta" in card.text
    assert "👥 Apmeklējums: nav atzīmēts" in card.text
    assert keyboard_texts(card.reply_markup) == [
        ["📝 Tēma", "📚 Mājas darbs"],
        ["👥 Apmeklējums", "🔢 Vērtējumi"],
        ["🔁 Stundu vadīja cits skolotājs"],
        ["◀ Dienas stundas", "⬅️ Izvēlne"],
    ]
    [menu] = await teacher.send("/start")
    assert buttons(menu)["📋 Manas stundas šodien"] == TodayCb(day=0).pack()
    assert "today" in chats.chat_commands(TEACHER)
    [help_text] = await teacher.send("/help")
    assert "/today — jūsu dienas stundas" in help_text.text


async def test_the_topic_is_asked_for_and_saved(core: Core, chats: Chats) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    card = await open_card(teacher)
    [ask] = await teacher.press(buttons(card)["📝 Tēma"])
    assert "Nosūtiet stundas tēmu vienā ziņā." in ask.text
    [saved] = await teacher.send("Daļskaitļu saskaitīšana")
    assert saved.text.startswith("✅ Tēma saglabāta.")
    assert "📝 Tēma: Daļskaitļu saskaitīšana" in saved.text
    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert (row.topic, row.teacher_id, row.is_substitution) == (
        "Daļskaitļu saskaitīšana",
        a.math_teacher,
        False,
    )
    [day] = await teacher.send("/today")
    assert "3. 10:10–10:50 👥 <b>5.a Matemātika</b> (101)" in day.text  # topic done
    # Text after the question is closed is not a topic any more.
    before = row.updated_at
    await teacher.send("vēl kaut kas")
    after = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert after is not None
    assert (after.topic, after.updated_at) == ("Daļskaitļu saskaitīšana", before)


async def test_homework_with_a_photo_a_document_and_a_due_date(core: Core, chats: Chats) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    card = await open_card(teacher)
    [ask] = await teacher.press(buttons(card)["📚 Mājas darbs"])
    assert "Termiņš: Pirmdiena, 30.11. (nākamā stunda; to var mainīt)." in ask.text
    assert list(buttons(ask)) == ["✅ Gatavs"]

    [first] = await send_photo(teacher, PHOTO, "Uzd. 12, 13")
    assert first.text.startswith("✅ Mājas darbs saglabāts.\n📎 Pievienots: foto-")
    assert "(kopā failu: 1)" in first.text
    assert "Termiņš: Pirmdiena, 30.11." in first.text
    assert keyboard_texts(first.reply_markup)[0] == ["✓ Pirmdiena, 30.11.", "Otrdiena, 01.12."]

    [second] = await teacher.send_document("tabula.pdf", PDF)
    assert "📎 Pievienots: tabula.pdf (kopā failu: 2)." in second.text
    [due] = await teacher.press(buttons(second)["Otrdiena, 01.12."])
    assert due.text.startswith("✅ Termiņš saglabāts.\nTermiņš: Otrdiena, 01.12.")
    [done] = await teacher.press(buttons(due)["✅ Gatavs"])
    assert "📚 Mājas darbs: Uzd. 12, 13 (termiņš: Otrdiena, 01.12.)" in done.text
    assert "📎 Pielikumi: foto-" in done.text
    assert ", tabula.pdf" in done.text

    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert (row.homework, row.homework_due_on) == ("Uzd. 12, 13", TUESDAY)
    async with create_session_factory(core.engine)() as session:
        stored = (
            await session.execute(
                select(t.StoredFile.mime_type, t.StoredFile.content)
                .join(t.LessonFile, t.LessonFile.file_id == t.StoredFile.id)
                .where(t.LessonFile.lesson_id == row.id)
                .order_by(t.LessonFile.id)
            )
        ).all()
    assert [tuple(s) for s in stored] == [("image/jpeg", PHOTO), ("application/pdf", PDF)]

    # After "Done" a document is the timetable upload's again (and refused to a teacher).
    [later] = await teacher.send_document("cits.pdf", PDF)
    assert "Mājas darbs" not in later.text


async def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_saved(
    core: Core, chats: Chats
) -> None:
    teacher = chats.user(TEACHER)
    card = await open_card(teacher)
    await teacher.press(buttons(card)["📚 Mājas darbs"])
    [refused] = await teacher.send_document("run.exe", b"MZ\x90\x00rest")
    assert refused.text.startswith("Šādu failu nevar pievienot")
    assert await lesson_row(core, chats.world.a.math_group, FRIDAY, 3) is None


# ---------------------------------------------------------------- attendance


async def test_roster_taps_cycle_codes_and_save_writes_exactly_those(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    card = await open_card(teacher)
    presses = 0
    [roster] = await teacher.press(buttons(card)["👥 Apmeklējums"])
    presses += 1
    assert keyboard_texts(roster.reply_markup) == [
        ["1. Alfa-Bērziņš J.", "2. Alfa-Kalniņa A."],
        ["✅ Visi klātesoši", "💾 Saglabāt"],
    ]
    first, second = buttons(roster)["1. Alfa-Bērziņš J."], buttons(roster)["2. Alfa-Kalniņa A."]

    async def tap(data: str) -> list[str]:
        sent = await teacher.press(data)
        assert sent == []  # a tap edits the keyboard in place, it sends nothing
        return keyboard_texts(chats.session.keyboard_edits()[-1].reply_markup)[0]

    assert await tap(first) == ["❌ 1. Alfa-Bērziņš J.", "2. Alfa-Kalniņa A."]
    assert await tap(first) == ["⏰ 1. Alfa-Bērziņš J.", "2. Alfa-Kalniņa A."]
    assert await tap(first) == ["1. Alfa-Bērziņš J.", "2. Alfa-Kalniņa A."]
    assert await lesson_row(core, a.math_group, FRIDAY, 3) is None  # taps write nothing

    presses = 1
    await tap(first)
    await tap(second)
    presses += 2
    [saved] = await teacher.press(buttons(roster)["💾 Saglabāt"])
    presses += 1
    assert presses == 4
    assert saved.text.startswith("✅ Apmeklējums saglabāts: nav ieradušies: 2.")
    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert row.attendance_taken_at is not None
    assert await attendance_of(core, row.id) == {a.pupil_5a: "n", a.pupil_5a_second: "n"}

    # The saved roster is closed: its old keyboard changes nothing.
    [expired] = await teacher.press(first)
    assert expired.text.startswith("Šis saraksts vairs nav atvērts.")
    # Reopened, it shows the saved codes; "All present" saves everyone present in one tap.
    [roster] = await teacher.press(
        LessonCb(action="attendance", group_id=a.math_group, slot=lesson_slot(FRIDAY, 3)).pack()
    )
    assert keyboard_texts(roster.reply_markup)[0] == [
        "❌ 1. Alfa-Bērziņš J.",
        "❌ 2. Alfa-Kalniņa A.",
    ]
    [saved] = await teacher.press(buttons(roster)["✅ Visi klātesoši"])
    assert saved.text.startswith("✅ Apmeklējums saglabāts: visi klātesoši.")
    assert await attendance_of(core, row.id) == {}


# ---------------------------------------------------------------- who may


async def test_crafted_buttons_for_a_group_the_teacher_does_not_teach_change_nothing(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    latvian = lesson_slot(MONDAY, 2)
    for action in ("open", "topic", "homework", "attendance", "subst"):
        [refusal] = await teacher.press(
            LessonCb(action=action, group_id=a.latvian_group, slot=latvian).pack()  # type: ignore[arg-type]
        )
        assert refusal.text == "Žurnāls (mācību grupa) nav atrasts vai jums nav piekļuves tam."
    [refusal] = await teacher.press(
        LessonCb(action="open", group_id=chats.world.b.math_group, slot=latvian).pack()
    )
    assert "nav atrasts" in refusal.text
    [refusal] = await teacher.press(
        LessonCb(action="open", group_id=a.math_group, slot=-(2**63)).pack()
    )
    assert refusal.text == "Stunda nav atrasta."
    [refusal] = await teacher.press(RosterCb(action="save", pupil_id=0, token=7).pack())
    assert refusal.text.startswith("Šis saraksts vairs nav atvērts.")
    [refusal] = await chats.user(PARENT).send("/today")
    assert refusal.text == "Dienas stundu saraksts ir pieejams tikai skolotājiem."
    assert await lesson_row(core, a.latvian_group, MONDAY, 2) is None

    # A roster opened for the own group, then a forged save for it by someone else's chat.
    card = await open_card(teacher)
    [roster] = await teacher.press(buttons(card)["👥 Apmeklējums"])
    [refusal] = await chats.user(SUBSTITUTE).press(buttons(roster)["💾 Saglabāt"])
    assert refusal.text.startswith("This roster is no longer open.")
    assert await lesson_row(core, a.math_group, FRIDAY, 3) is None


async def test_the_teacher_records_who_taught_the_lesson(core: Core, chats: Chats) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    card = await open_card(teacher)
    [picker] = await teacher.press(buttons(card)["🔁 Stundu vadīja cits skolotājs"])
    assert "Kurš skolotājs vadīja šo stundu?" in picker.text
    assert keyboard_texts(picker.reply_markup) == [
        ["Alfa-Sportists P.", "Alfa-Valodniece I."],
        ["Alfa-Vietniece I."],
        ["Stundu vadīju es"],
        ["Atcelt"],
    ]
    [saved] = await teacher.press(buttons(picker)["Alfa-Sportists P."])
    assert saved.text.startswith("✅ Saglabāts: stundu vadīja Pēteris Alfa-Sportists.")
    assert "🔁 Stundu vadīja: Pēteris Alfa-Sportists." in saved.text
    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert (row.teacher_id, row.is_substitution) == (a.other_teacher, True)


async def test_a_published_substitute_sees_and_fills_in_the_lesson(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    boss = await viewer(core, a.superuser)
    plan = await day_plan(core.uow(), boss, school_id=a.school_id, on=FRIDAY)
    [math] = [x for x in plan.lessons if x.group_id == a.math_group]
    await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=FRIDAY,
        kind="substitution",
        slot_id=math.slot_id,
        teacher_id=a.other_teacher,
    )
    await publish_changes(core.uow(), boss, school_id=a.school_id, on=FRIDAY)

    [own] = await chats.user(TEACHER).send("/today")
    assert "Šajā dienā jums stundu nav." in own.text
    substitute = chats.user(SUBSTITUTE)
    [day] = await substitute.send("/today")
    assert day.text.splitlines()[:2] == [
        "📋 <b>Friday, 27.11.</b> — my lessons",
        "3. 10:10–10:50 ✏👥 <b>5.a Matemātika</b> (101) · 🔁 substitution",
    ]
    [card] = await substitute.press(buttons(day)["3. ✏👥 5.a Matemātika"])
    assert "🔁 You substitute in this lesson." in card.text
    assert keyboard_texts(card.reply_markup) == [
        ["📝 Topic", "📚 Homework"],
        ["👥 Attendance"],
        ["◀ Lessons of the day", "⬅️ Menu"],
    ]
    await substitute.press(buttons(card)["📝 Topic"])
    [saved] = await substitute.send("Atkārtošana")
    assert saved.text.startswith("✅ Topic saved.")
    row = await lesson_row(core, a.math_group, FRIDAY, 3)
    assert row is not None
    assert (row.topic, row.teacher_id, row.is_substitution) == (
        "Atkārtošana",
        a.other_teacher,
        True,
    )
    # Nothing else of the group: Monday's lesson of the same group is refused.
    [refusal] = await substitute.press(
        LessonCb(action="open", group_id=a.math_group, slot=lesson_slot(MONDAY, 1)).pack()
    )
    assert refusal.text == "Journal (teaching group) not found, or you have no access to it."


# Taps pressed at once (one chat's updates are handled one after another, so none is lost) are
# tested with a storage that yields between reading and writing, in one process and across two:
# tests/bot/test_shared_state.py.
