"""A teacher's grades through the real Dispatcher: a new assessment, marks in one message or
pupil by pupil, the summary, and crafted buttons that change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery
from sqlalchemy import select

from bot.__main__ import ProductSettings
from bot.callbacks import AssessmentCb, GradeKindCb, GradesCb, MarkKeyCb
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.middlewares import TokenBuckets
from bot.routers.grades import start_grades
from bot.settings import AppSettings
from bot.views.grades import keyboard_keys
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.marks import MarkKind, MarkScale
from core.services import marks
from core.services.accounts import Identity
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.settings import NotificationsSettings
from tests.bot.harness import Chats, TelegramUser, buttons, open_chats
from tests.builders import World, build_world, viewer

TEACHER, OTHER, PARENT = 9301, 9302, 9303
DAY = date(2026, 11, 26)

Shown = SendMessage | EditMessageText


async def open_grade_chats(core: Core, settings: AppSettings | None = None) -> Chats:
    world = await build_world(core)
    links = [
        (world.a.math_teacher, TEACHER, "lv"),
        (world.a.latvian_teacher, OTHER, "en"),
        (world.a.parent_5a, PARENT, "lv"),
    ]
    buckets = TokenBuckets(1000, 1000)
    return await open_chats(core, world, links, buckets=buckets, settings=settings)


async def tap(user: TelegramUser, data: str) -> Shown:
    """Press a button; the one message the bot sent or edited in answer."""
    before = len(user.session.calls)
    await user.press(data)
    [shown] = [
        c for c in user.session.calls[before:] if isinstance(c, SendMessage | EditMessageText)
    ]
    return shown


async def stored(core: Core) -> dict[int, tuple[str, str | None, int]]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(select(t.Mark))
        return {m.pupil_id: (m.status, m.value, m.revision) for m in found}


async def assessments(core: Core) -> list[tuple[str, str, str, date]]:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalars(select(t.Assessment).order_by(t.Assessment.id))
        return [(a.title, a.kind, a.scale, a.on_date) for a in found]


async def math_test(core: Core, world: World) -> int:
    teacher = await viewer(core, world.a.math_teacher)
    test = await marks.create_assessment(
        core.uow(), teacher, group_id=world.a.math_group, on=DAY, title="Daļskaitļi"
    )
    return test.id


async def test_a_new_assessment_and_its_marks_in_one_message(core: Core) -> None:
    chats = await open_grade_chats(core)
    teacher = chats.user(TEACHER)
    [group] = await teacher.send("/grades")  # one group: its assessments straight away
    assert group.text.splitlines() == [
        "📝 <b>5.a Matemātika</b> — vērtējumi",
        "Skala: 10 balles (pēc skolas vērtēšanas kārtības)",
        "Vēl nav neviena pārbaudes darba.",
    ]
    [ask] = await teacher.press(buttons(group)["➕ Jauns pārbaudes darbs"])
    assert (
        ask.text.splitlines()[0] == "➕ Jauns pārbaudes darbs: <b>5.a Matemātika</b>, 27.11.2026"
    )
    [kinds] = await teacher.send("  Daļskaitļi   ")
    assert kinds.text == "„Daļskaitļi” — kāds ir darba veids?"
    assert await assessments(core) == []
    [entry] = await teacher.press(buttons(kinds)["Formatīvais"])
    assert await assessments(core) == [
        ("Daļskaitļi", "formative", "ten_point", date(2026, 11, 27))
    ]
    lines = entry.text.splitlines()
    assert lines[:2] == ["📋 <b>Daļskaitļi</b> · Formatīvais", "5.a Matemātika, 27.11.2026"]
    assert "1. Alfa-Bērziņš Jānis — —" in lines
    assert "2. Alfa-Kalniņa Anna — —" in lines
    assert "<code>1 8" in entry.text

    [refused] = await teacher.send("1 8\nalfa-kalnina 11")
    assert refused.text.splitlines() == [
        "❌ Kļūdainas rindas: 1; nekas netika saglabāts.",
        "• 2. rinda „alfa-kalnina 11”: „11” nav derīgs vērtējums (Alfa-Kalniņa Anna). "
        "Derīgās vērtības: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nv.",
        "Izlabojiet šīs rindas un nosūtiet visu ziņu vēlreiz.",
    ]
    assert await stored(core) == {}

    [summary] = await teacher.send("1 8\nalfa-kalnina nv")
    assert await stored(core) == {
        chats.world.a.pupil_5a: ("mark", "8", 1),
        chats.world.a.pupil_5a_second: ("nv", None, 1),
    }
    assert summary.text.splitlines()[2:] == [
        "✅ Saglabāti vērtējumi: 2.",
        "Ievadīti: 2 no 2",
        "t. sk. nv (nav vērtējuma): 1",
        "Sadalījums: 8 — 1",
        "Vidējais: 8,00",
        "Vērtējums ir visiem.",
        "⏳ Vecāki par to uzzinās pēc neilga brīža. Ja vajag, izlabojiet tagad.",
        "Labot: sūtiet „numurs vērtējums”, piemēram, <code>3 9</code>.",
    ]

    [corrected] = await teacher.send("2 9")
    assert "✅ Saglabāti vērtējumi: 1." in corrected.text
    assert "Vidējais: 8,50" in corrected.text
    assert await stored(core) == {
        chats.world.a.pupil_5a: ("mark", "8", 1),
        chats.world.a.pupil_5a_second: ("mark", "9", 2),
    }


async def test_the_summary_names_the_grace_period_of_the_notifications(core: Core) -> None:
    settings = ProductSettings(notifications=NotificationsSettings(mark_grace_minutes=10))
    chats = await open_grade_chats(core, settings)
    test = await math_test(core, chats.world)
    teacher = chats.user(TEACHER)
    await teacher.press(AssessmentCb(assessment_id=test, view="entry").pack())
    [summary] = await teacher.send("1 7")
    assert "⏳ Vecāki par to uzzinās ne agrāk kā pēc 10 min. Ja vajag, izlabojiet tagad." in (
        summary.text
    )
    assert "Bez vērtējuma (1): 2. Alfa-Kalniņa Anna" in summary.text


async def test_the_value_keyboard_moves_to_the_next_pupil_by_itself(core: Core) -> None:
    chats = await open_grade_chats(core)
    world = chats.world
    test = await math_test(core, world)
    teacher = chats.user(TEACHER)
    [entry] = await teacher.press(AssessmentCb(assessment_id=test, view="entry").pack())
    first = await tap(teacher, buttons(entry)["⌨ Pa vienam"])
    assert isinstance(first, SendMessage)  # the keyboard is a message of its own
    assert first.text.splitlines()[2:] == [
        "Skolēns 1 no 2: <b>Alfa-Bērziņš Jānis</b>",
        "Pašlaik: vēl nav",
    ]
    assert list(buttons(first))[:11] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "nv"]

    second = await tap(teacher, buttons(first)["8"])
    assert isinstance(second, EditMessageText)  # the same message moves on
    assert "Skolēns 2 no 2: <b>Alfa-Kalniņa Anna</b>" in second.text
    assert await stored(core) == {world.a.pupil_5a: ("mark", "8", 1)}

    back = await tap(teacher, buttons(second)["◀ Atpakaļ"])
    assert "Skolēns 1 no 2" in back.text
    assert "Pašlaik: 8" in back.text
    assert "• 8" in buttons(back)
    again = await tap(teacher, buttons(back)["Izlaist ▶"])
    assert "Skolēns 2 no 2" in again.text
    summary = await tap(teacher, buttons(again)["nv"])
    assert isinstance(summary, EditMessageText)
    assert "✅ Saglabāti vērtējumi: 2." in summary.text
    assert "t. sk. nv (nav vērtējuma): 1" in summary.text
    assert await stored(core) == {
        world.a.pupil_5a: ("mark", "8", 1),
        world.a.pupil_5a_second: ("nv", None, 1),
    }
    # Reopening starts at the first pupil without a mark; none left: the first one.
    reopened = await tap(teacher, AssessmentCb(assessment_id=test, view="keys").pack())
    assert "Skolēns 1 no 2" in reopened.text


async def test_a_learning_levels_keyboard_and_a_ten_point_value_refused(core: Core) -> None:
    chats = await open_grade_chats(core)
    world = chats.world
    latvian = await viewer(core, world.a.latvian_teacher)
    test = await marks.create_assessment(
        core.uow(), latvian, group_id=world.a.latvian_group, on=DAY, title="Diktāts"
    )
    teacher = chats.user(OTHER)  # the Latvian teacher speaks English
    board = await tap(teacher, AssessmentCb(assessment_id=test.id, view="keys").pack())
    assert list(buttons(board))[:5] == ["S", "T", "A", "P", "nv"]
    [refused] = await teacher.send("1 10")
    assert "Valid values: S, T, A, P, nv." in refused.text
    forged = await tap(
        teacher, MarkKeyCb(assessment_id=test.id, pupil_id=world.a.pupil_2a, key="10").pack()
    )
    assert forged.text == "“10” is not a valid mark. Valid values: S, T, A, P, nv."
    assert await stored(core) == {}


@pytest.mark.parametrize("scale", list(MarkScale))
def test_every_scale_has_a_value_keyboard(scale: MarkScale) -> None:
    assert keyboard_keys(scale)[-1] == "nv"
    assert len(keyboard_keys(scale)) <= 15


async def test_crafted_buttons_for_another_teachers_group_change_nothing(core: Core) -> None:
    chats = await open_grade_chats(core)
    world = chats.world
    test = await math_test(core, world)
    other = chats.user(OTHER)  # teaches 2.a Latvian only
    not_found = "Journal (teaching group) not found, or you have no access to it."
    for data in (
        MarkKeyCb(assessment_id=test, pupil_id=world.a.pupil_5a, key="8").pack(),
        AssessmentCb(assessment_id=test, view="keys").pack(),
        AssessmentCb(assessment_id=test, view="entry").pack(),
        GradesCb(action="group", group_id=world.a.math_group, day=0).pack(),
        GradesCb(action="new", group_id=world.a.math_group, day=DAY.toordinal()).pack(),
        GradesCb(action="new", group_id=world.b.math_group, day=0).pack(),
    ):
        shown = await tap(other, data)
        assert shown.text == not_found, data
    # No question or entry was opened: a text now is not taken for marks or a title.
    [hint] = await other.send("1 8")
    assert "/help" in hint.text
    [expired] = await other.press(GradeKindCb(kind="summative").pack())
    assert expired.text == "This step is no longer open. Start again: /grades."
    assert await stored(core) == {}
    assert await assessments(core) == [("Daļskaitļi", "summative", "ten_point", DAY)]

    # The group's own teacher cannot put a pupil of another group in it either.
    teacher = chats.user(TEACHER)
    stranger = await tap(
        teacher, MarkKeyCb(assessment_id=test, pupil_id=world.a.pupil_2a, key="8").pack()
    )
    assert stranger.text.startswith("Šis skolēns darba dienā nav šīs grupas sarakstā")
    assert await stored(core) == {}


async def test_an_entry_closes_after_an_hour_without_use(core: Core, clock: FakeClock) -> None:
    chats = await open_grade_chats(core)
    test = await math_test(core, chats.world)
    teacher = chats.user(TEACHER)
    await teacher.press(AssessmentCb(assessment_id=test, view="entry").pack())
    clock.advance(timedelta(minutes=50))
    await teacher.send("1 8")  # in time: saved, and the hour starts again
    clock.advance(timedelta(minutes=61))
    [closed] = await teacher.send("2 9")
    assert closed.text.startswith("Vērtējumu ievade darbam „Daļskaitļi” ir slēgta")
    assert await stored(core) == {chats.world.a.pupil_5a: ("mark", "8", 1)}
    [hint] = await teacher.send("2 9")  # the entry is closed now
    assert "/help" in hint.text


async def test_a_title_that_is_too_long_is_asked_again(core: Core) -> None:
    chats = await open_grade_chats(core)
    teacher = chats.user(TEACHER)
    await teacher.press(
        GradesCb(action="new", group_id=chats.world.a.math_group, day=DAY.toordinal()).pack()
    )
    [again] = await teacher.send("x" * 201)
    assert again.text == "Darba nosaukumam jābūt 1–200 rakstzīmēm."
    [kinds] = await teacher.send("Ieskaite")
    [entry] = await teacher.press(buttons(kinds)["Summatīvais"])
    assert entry.text.splitlines()[1] == "5.a Matemātika, 26.11.2026"
    assert await assessments(core) == [("Ieskaite", MarkKind.SUMMATIVE.value, "ten_point", DAY)]


async def test_a_lesson_card_opens_the_days_assessments(core: Core) -> None:
    chats = await open_grade_chats(core)
    test = await math_test(core, chats.world)
    group_id = chats.world.a.math_group

    async def lesson_grades(
        query: CallbackQuery,
        identity: Identity,
        core: JournalCore,
        t: Translator,
        state: FSMContext,
        **_: Any,
    ) -> None:
        await start_grades(
            query,
            group_id=group_id,
            on=DAY,
            period=2,
            identity=identity,
            core=core,
            t=t,
            state=state,
        )

    chats.dp.callback_query.register(lesson_grades, F.data == "lesson-card-grades")
    [screen] = await chats.user(TEACHER).press("lesson-card-grades")
    assert screen.text.splitlines() == [
        "📝 <b>5.a Matemātika</b> — vērtējumi",
        "26.11.2026, 2. stunda",
        "Skala: 10 balles (pēc skolas vērtēšanas kārtības)",
        "Šīs dienas pārbaudes darbi:",
    ]
    assert (
        buttons(screen)["26.11. Daļskaitļi — 0/2"]
        == AssessmentCb(assessment_id=test, view="entry").pack()
    )
    new = GradesCb.unpack(buttons(screen)["➕ Jauns pārbaudes darbs"])
    assert (new.group_id, new.day) == (group_id, DAY.toordinal())


async def test_grades_is_in_teachers_menus_and_help_only(core: Core) -> None:
    chats = await open_grade_chats(core)
    [none] = await chats.user(PARENT).send("/grades")
    assert none.text.startswith("Šajā mācību gadā jūs nemācāt nevienu grupu")
    await chats.user(TEACHER).send("/start")
    await chats.user(PARENT).send("/start")
    assert "grades" in chats.chat_commands(TEACHER)
    assert "grades" not in chats.chat_commands(PARENT)
    [help_text] = await chats.user(OTHER).send("/help")
    assert "📝 /grades — assessments and marks" in help_text.text
    [parent_help] = await chats.user(PARENT).send("/help")
    assert "/grades" not in parent_help.text
