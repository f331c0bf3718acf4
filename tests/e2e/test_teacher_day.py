"""A teacher's day end to end on the demo school, through the sandbox and the real bot runtime.

The teacher opens /today, opens a lesson, marks two absences and saves in at most 4 button
presses after opening it (counted from the sandbox's callback records), sets the topic and a
homework with a photo; then the database holds exactly that.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.collation import latvian_key
from core.services.schools import seed_demo
from core.services.teacher_day import lesson_card
from core.storage import tables as t
from core.storage.database import create_session_factory
from sandbox.client import SandboxClient
from sandbox.media import tiny_png
from sandbox.server import RunningSandbox
from tests.builders import viewer
from tests.e2e.running import RunningBot, bot_settings, link_user, until

pytestmark = pytest.mark.e2e

TEACHER = 8101
TODAY = date(2026, 11, 27)  # the clock's Friday, 10:00 in Riga: periods 1-2 are over
PUPILS = 25


async def a_lesson_to_fill_in(core: Core) -> tuple[int, int, int, str]:
    """(teacher, group, period, group name) of a class's lesson later today, nothing recorded."""
    members = (
        select(t.GroupMember.group_id, func.count().label("pupils"))
        .group_by(t.GroupMember.group_id)
        .subquery()
    )
    async with create_session_factory(core.engine)() as session:
        row = (
            await session.execute(
                select(
                    t.Lesson.teacher_id, t.Lesson.group_id, t.Lesson.period, t.TeachingGroup.name
                )
                .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
                .join(members, members.c.group_id == t.Lesson.group_id)
                .where(
                    t.Lesson.on_date == TODAY,
                    t.Lesson.period >= 3,
                    t.Lesson.topic.is_(None),
                    t.Lesson.attendance_taken_at.is_(None),
                    t.TeachingGroup.kind == "class",
                    members.c.pupils == PUPILS,
                )
                .order_by(t.Lesson.period, t.Lesson.group_id)
                .limit(1)
            )
        ).one()
    teacher, group, period, name = row
    return int(teacher), int(group), int(period), str(name)


async def last_bot_message(client: SandboxClient, count: int) -> dict[str, Any]:
    """Wait until the chat holds ``count`` bot messages; the last one."""
    messages = await client.wait_for_bot_messages(TEACHER, count, timeout=15)
    return messages[count - 1]


def button(message: dict[str, Any], text: str) -> str:
    """The callback data of the button labelled ``text`` (exactly, or as its start)."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for key in row:
            if key["text"] == text or key["text"].startswith(text):
                return str(key["callback_data"])
    raise AssertionError(f"no button {text!r} in {message['reply_markup']}")


async def press(client: SandboxClient, message: dict[str, Any], text: str) -> None:
    await client.press_button(TEACHER, message["message_id"], button(message, text), strict=True)


async def message_now(client: SandboxClient, message_id: int) -> dict[str, Any]:
    transcript = await client.transcript(TEACHER)
    [found] = [m for m in transcript["messages"] if m["message_id"] == message_id]
    return dict(found)


async def test_a_teacher_fills_in_a_lesson_of_the_demo_school(
    core: Core, sandbox: RunningSandbox
) -> None:
    await seed_demo(
        core.uow(),
        Viewer.console(),
        seed=1,
        classes_per_grade=1,
        pupils_per_class=PUPILS,
        zone=ZoneInfo("Europe/Riga"),
        today=TODAY,
    )
    teacher_id, group_id, period, group_name = await a_lesson_to_fill_in(core)
    client = sandbox.client
    await link_user(core, client, teacher_id, TEACHER, "Skolotājs")
    # The test taps faster than a person: the anti-flood limit would rightly slow it down.
    settings = bot_settings(sandbox, "polling", flood_rate=100.0, flood_burst=100)
    running = await RunningBot(core, settings, "polling", None).started()
    try:
        await client.send_text(TEACHER, "/today")
        day = await last_bot_message(client, 1)
        assert day["text"].startswith("📋 Piektdiena, 27.11. — manas stundas")
        await press(client, day, f"{period}. ✏👥 {group_name}")
        card = await last_bot_message(client, 2)
        assert card["text"].startswith(f"📘 {group_name} · Piektdiena, 27.11., {period}. stunda")
        opened = len(await client.callbacks())

        # Attendance: "Attendance", two pupils, "Save".
        await press(client, card, "👥 Apmeklējums")
        roster = await last_bot_message(client, 3)
        rows = roster["reply_markup"]["inline_keyboard"]
        assert sum(len(row) for row in rows[:-1]) == PUPILS
        assert all(len(row) == 2 for row in rows[:-2])  # two columns
        first, second = rows[0][0], rows[1][1]
        for pupil in (first, second):
            await client.press_button(
                TEACHER, roster["message_id"], pupil["callback_data"], strict=True
            )
        marked = (f"❌ {first['text']}", f"❌ {second['text']}")

        async def both_marked() -> bool:
            shown = await message_now(client, roster["message_id"])
            keys = [k["text"] for row in shown["reply_markup"]["inline_keyboard"] for k in row]
            return set(marked) <= set(keys)

        await until(both_marked)
        shown = await message_now(client, roster["message_id"])
        await press(client, shown, "💾 Saglabāt")
        saved = await last_bot_message(client, 4)
        assert saved["text"].startswith("✅ Apmeklējums saglabāts: nav ieradušies: 2.")
        presses = len(await client.callbacks()) - opened
        assert presses <= 4
        assert presses == 4

        # The topic.
        await press(client, saved, "📝 Tēma")
        await last_bot_message(client, 5)
        await client.send_text(TEACHER, "Daļskaitļu saskaitīšana")
        topic = await last_bot_message(client, 6)
        assert topic["text"].startswith("✅ Tēma saglabāta.")

        # The homework with a photo (its caption is the text), then "Done".
        await press(client, topic, "📚 Mājas darbs")
        await last_bot_message(client, 7)
        photo = tiny_png(4, 3)
        await client.send_photo(TEACHER, photo, caption="Uzd. 12, 13")
        attached = await last_bot_message(client, 8)
        assert attached["text"].startswith("✅ Mājas darbs saglabāts.\n📎 Pievienots:")
        await press(client, attached, "✅ Gatavs")
        final = await last_bot_message(client, 9)
        assert "📚 Mājas darbs: Uzd. 12, 13" in final["text"]
        assert "📝 Tēma: Daļskaitļu saskaitīšana" in final["text"]
        assert "👥 Apmeklējums: nav ieradušies: 2" in final["text"]
    finally:
        await running.stop()

    # The database holds exactly that.
    pupils = await _roster_ids(core, group_id)
    card_now = await lesson_card(
        core.uow(), await viewer(core, teacher_id), group_id=group_id, on=TODAY, period=period
    )
    async with create_session_factory(core.engine)() as session:
        lesson = await session.scalar(
            select(t.Lesson).where(
                t.Lesson.group_id == group_id, t.Lesson.on_date == TODAY, t.Lesson.period == period
            )
        )
        assert lesson is not None
        absent = {
            int(pupil): str(code)
            for pupil, code in await session.execute(
                select(t.Attendance.pupil_id, t.Attendance.code).where(
                    t.Attendance.lesson_id == lesson.id
                )
            )
        }
        files = list(
            await session.execute(
                select(t.StoredFile.mime_type, t.StoredFile.content)
                .join(t.LessonFile, t.LessonFile.file_id == t.StoredFile.id)
                .where(t.LessonFile.lesson_id == lesson.id)
            )
        )
    assert (lesson.topic, lesson.homework) == ("Daļskaitļu saskaitīšana", "Uzd. 12, 13")
    assert card_now.default_due is not None
    assert lesson.homework_due_on == card_now.default_due  # the group's next lesson
    assert lesson.attendance_taken_at is not None
    assert (lesson.teacher_id, lesson.is_substitution) == (teacher_id, False)
    assert absent == {pupils[0]: "n", pupils[3]: "n"}  # roster positions 1 and 4
    assert [(mime, bytes(content)) for mime, content in files] == [("image/png", photo)]


async def _roster_ids(core: Core, group_id: int) -> list[int]:
    """The group's pupil ids in roster order (family name, then given name, Latvian order)."""
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(
            select(t.Person.id, t.Person.family_name, t.Person.given_name)
            .join(t.GroupMember, t.GroupMember.pupil_id == t.Person.id)
            .where(t.GroupMember.group_id == group_id)
        )
        people = [(int(i), str(f), str(g)) for i, f, g in rows]
    people.sort(key=lambda p: (latvian_key(p[1]), latvian_key(p[2]), p[0]))
    return [p[0] for p in people]
