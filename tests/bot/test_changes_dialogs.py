"""/changes: the superuser's editor of a date's timetable changes, through the real Dispatcher.

School a's Monday (30.11.2026, the next school day after Friday 27.11.): 5.a mathematics in
periods 1 and 3 (Māra), 2.a Latvian in periods 2 and 3 (Ilze). Pēteris and the superuser Inese
(who also teaches) are free all day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import func, select

from bot.callbacks import ChangesCb
from bot.i18n import Translator, load_catalogs
from bot.middlewares import TokenBuckets
from bot.views import changes as views
from core.bootstrap import Core
from core.domain.access import Viewer
from core.services.timetable_changes import (
    ChangeView,
    DayPlan,
    PlannedLesson,
    published_changes,
)
from core.services.timetable_import import import_timetable
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, TelegramUser, buttons, open_chats
from tests.builders import build_world, viewer

SUPERUSER, TEACHER, DIRECTOR, BETA_SUPERUSER = 9301, 9302, 9303, 9304
MONDAY = date(2026, 11, 30)
MONDAY_CSV = (
    "weekday;period;class;group;subject;teacher_key;room;week\n"
    "P;1;5.a;;MAT;Māra {a}-Matemātiķe;101;\n"
    "P;3;5.a;;MAT;Māra {a}-Matemātiķe;101;\n"
    "P;2;2.a;;LV;Ilze {a}-Valodniece;12;\n"
    "P;3;2.a;;LV;Ilze {a}-Valodniece;12;\n"
)
ABSENT = "👤 Skolotāja prombūtne"
TO_DAY = "⬅️ Uz dienas izmaiņām"


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    for school, prefix in ((world.a, "Alfa"), (world.b, "Beta")):
        await import_timetable(
            core.uow(),
            Viewer.console(),
            school_id=school.school_id,
            data=MONDAY_CSV.format(a=prefix).encode(),
            filename="monday.csv",
            apply=True,
        )
    links = (
        (world.a.superuser, SUPERUSER, "lv"),
        (world.a.math_teacher, TEACHER, "en"),
        (world.a.director, DIRECTOR, "lv"),
        (world.b.superuser, BETA_SUPERUSER, "lv"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def change_count(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.TimetableChange)) or 0)


async def bulletins(core: Core) -> list[t.NewsPost]:
    async with create_session_factory(core.engine)() as session:
        return list(
            await session.scalars(select(t.NewsPost).where(t.NewsPost.kind == "timetable"))
        )


async def beta_slot(core: Core, school_id: int) -> int:
    async with create_session_factory(core.engine)() as session:
        found = await session.scalar(
            select(func.min(t.TimetableSlot.id)).where(t.TimetableSlot.school_id == school_id)
        )
    assert found is not None
    return int(found)


def ref_of(message: SendMessage) -> int:
    """The remembered place of a screen (every button of a screen carries the same)."""
    return ChangesCb.unpack(next(iter(buttons(message).values()))).ref


async def press(user: TelegramUser, message: SendMessage, label: str) -> SendMessage:
    [answer] = await user.press(buttons(message)[label])
    return answer


async def test_the_superuser_handles_an_absence_and_publishes(core: Core, chats: Chats) -> None:
    a = chats.world.a
    superuser = chats.user(SUPERUSER)
    [day] = await superuser.send("/changes")
    assert day.text.splitlines()[:3] == [
        "📝 <b>Stundu izmaiņas: Pirmdiena, 30.11.2026</b>",
        "Mācību diena.",
        "Melnraksti: 0 · publicētas: 0",
    ]
    assert "<b>5.a</b>: 1. Matemātika, 3. Matemātika" in day.text
    assert {"2.a", "5.a", ABSENT, "📋 Melnraksti (0)", "📣 Publicēt (0)", "Šodien"} <= set(
        buttons(day)
    )

    picker = await press(superuser, day, ABSENT)
    # Latvian order by family name: Matemātiķe before Valodniece.
    assert list(buttons(picker)) == ["Māra Alfa-Matemātiķe", "Ilze Alfa-Valodniece", TO_DAY]
    lessons = await press(superuser, picker, "Māra Alfa-Matemātiķe")
    assert lessons.text.startswith("<b>Māra Alfa-Matemātiķe</b> — stundas: Pirmdiena, 30.11.2026")
    assert list(buttons(lessons)) == ["1. Matemātika", "3. Matemātika", TO_DAY]

    third = await press(superuser, lessons, "3. Matemātika")
    assert third.text.splitlines()[:3] == [
        "<b>3. Matemātika (5.a)</b>, Pirmdiena, 30.11.2026",
        "Skolotājs: Māra Alfa-Matemātiķe",
        "Kabinets: 101",
    ]
    suggestions = await press(superuser, third, "🔁 Aizvietot")
    assert list(buttons(suggestions)) == [
        "Pēteris Alfa-Sportists",
        "Inese Alfa-Vietniece",
        "⬅️ Atpakaļ",
    ]
    lessons = await press(superuser, suggestions, "Pēteris Alfa-Sportists")
    assert (
        "🔁✏️ 5.a, 3. stunda: Matemātika — aizvietošana: vada Pēteris Alfa-Sportists "
        "(pēc saraksta Māra Alfa-Matemātiķe) <i>(melnraksts)</i>" in lessons.text
    )
    assert list(buttons(lessons)) == ["1. Matemātika", "3. Matemātika 🔁✏️", TO_DAY]

    first = await press(superuser, lessons, "1. Matemātika")
    lessons = await press(superuser, first, "❌ Atcelt stundu")
    assert "✅ Visām stundām izmaiņas ievadītas." in lessons.text
    assert await bulletins(core) == []

    day = await press(superuser, lessons, TO_DAY)
    assert "Melnraksti: 2 · publicētas: 0" in day.text
    assert "<b>5.a</b>: 1. Matemātika ❌✏️, 3. Matemātika 🔁✏️" in day.text
    ask = await press(superuser, day, "📣 Publicēt (2)")
    assert ask.text.startswith(
        "Publicēt izmaiņas (2) — Pirmdiena, 30.11.2026? Tās parādīsies skolas ziņās"
    )
    done = await press(superuser, ask, "📣 Publicēt")
    assert done.text.splitlines()[0] == (
        "✅ Publicēts: Pirmdiena, 30.11.2026. Izmaiņas: 2; paziņojums ir skolas ziņās (/news)."
    )

    published = await published_changes(
        core.uow(), await viewer(core, a.pupil_5a), school_id=a.school_id, on=MONDAY
    )
    assert sorted((c.kind, c.period) for c in published) == [("cancel", 1), ("substitution", 3)]
    [substitution] = [c for c in published if c.kind == "substitution"]
    assert substitution.teacher_ids == (a.other_teacher,)
    [post] = await bulletins(core)
    assert post.school_id == a.school_id
    assert "5.a, 1. stunda: Matemātika — stunda nenotiks" in post.body
    assert "vada Pēteris Alfa-Sportists" in post.body

    day = await press(superuser, done, TO_DAY)
    assert "Melnraksti: 0 · publicētas: 2" in day.text
    assert "<i>(publicēta)</i>" in day.text


async def test_the_free_teacher_keyboard_never_lists_a_busy_teacher(
    core: Core, chats: Chats
) -> None:
    superuser = chats.user(SUPERUSER)
    [day] = await superuser.send("/changes")
    klass = await press(superuser, day, "5.a")
    third = await press(superuser, klass, "3. Matemātika")
    options = await press(superuser, third, "🔁 Aizvietot")
    assert "Ilze Alfa-Valodniece" not in buttons(options)  # she teaches 2.a in period 3
    assert "Māra Alfa-Matemātiķe" not in buttons(options)  # it is her own lesson
    assert "Andris Alfa-Direktors" not in buttons(options)  # he does not teach
    await press(superuser, options, "Pēteris Alfa-Sportists")

    [day] = await superuser.send("/changes")
    klass = await press(superuser, day, "2.a")
    latvian = await press(superuser, klass, "3. Latviešu valoda")
    options = await press(superuser, latvian, "🔁 Aizvietot")
    # Pēteris now substitutes in period 3; Māra's own period-3 lesson went to him.
    assert list(buttons(options)) == [
        "Māra Alfa-Matemātiķe",
        "Inese Alfa-Vietniece",
        "⬅️ Atpakaļ",
    ]
    [forged] = await superuser.press(
        ChangesCb(act="sub", ref=ref_of(options), arg=chats.world.a.other_teacher).pack()
    )
    assert forged.text == "Pēteris Alfa-Sportists 3. stundā jau vada citu stundu."
    assert await change_count(core) == 1


async def test_room_move_extra_lesson_and_removing_drafts(core: Core, chats: Chats) -> None:
    superuser = chats.user(SUPERUSER)
    [day] = await superuser.send("/changes")
    klass = await press(superuser, day, "2.a")
    second = await press(superuser, klass, "2. Latviešu valoda")
    ask = await press(superuser, second, "🚪 Mainīt kabinetu")
    assert ask.text.startswith("Kurā kabinetā notiks stunda 2. Latviešu valoda (2.a)?")
    [refused] = await superuser.send("12")
    assert refused.text == "Stunda jau notiek šajā kabinetā."
    assert await change_count(core) == 0
    [klass] = await superuser.send("  21  ")  # the question stays open after a refusal
    assert "kabineta maiņa: 12 → 21" in klass.text

    third = await press(superuser, klass, "3. Latviešu valoda")
    days = await press(superuser, third, "↪️ Pārcelt")
    assert list(buttons(days))[:3] == ["Tajā pašā dienā", "Otrdiena 01.12.", "Trešdiena 02.12."]
    periods = await press(superuser, days, "Tajā pašā dienā")
    assert "2. stunda" not in buttons(periods)  # 2.a has Latvian then
    assert "3. stunda" not in buttons(periods)  # the lesson itself
    klass = await press(superuser, periods, "5. stunda")
    assert "3. stunda: Latviešu valoda — pārcelta uz 5. stundu" in klass.text

    [day] = await superuser.send("/changes")
    classes = await press(superuser, day, "➕ Pievienot stundu")
    groups = await press(superuser, classes, "5.a")
    periods = await press(superuser, groups, "5.a Matemātika")
    assert {"1. stunda", "3. stunda"}.isdisjoint(buttons(periods))
    teachers = await press(superuser, periods, "4. stunda")
    assert teachers.text.startswith("Kurš vadīs stundu 5.a Matemātika, 4. stunda?")
    assert list(buttons(teachers)) == [
        "👩‍🏫 Grupas skolotājs",
        "Pēteris Alfa-Sportists",
        "Ilze Alfa-Valodniece",
        "Inese Alfa-Vietniece",
        "⬅️ Atpakaļ",
    ]
    day = await press(superuser, teachers, "👩‍🏫 Grupas skolotājs")
    assert "5.a, 4. stunda: Matemātika — papildu stunda, vada Māra Alfa-Matemātiķe" in day.text
    assert "Melnraksti: 3 · publicētas: 0" in day.text
    assert await change_count(core) == 3

    drafts = await press(superuser, day, "📋 Melnraksti (3)")
    removes = [label for label in buttons(drafts) if label.startswith("🗑")]
    assert len(removes) == 3
    drafts = await press(superuser, drafts, removes[0])
    assert len([label for label in buttons(drafts) if label.startswith("🗑")]) == 2
    assert await change_count(core) == 2


async def test_the_editor_moves_between_days(core: Core, chats: Chats) -> None:
    superuser = chats.user(SUPERUSER)
    [monday] = await superuser.send("/changes")
    sunday = await press(superuser, monday, "◀ Iepriekšējā diena")
    assert sunday.text.splitlines()[:2] == [
        "📝 <b>Stundu izmaiņas: Svētdiena, 29.11.2026</b>",
        "Šajā dienā mācību stundu nav.",
    ]
    assert "Stundu nav." in sunday.text
    today = await press(superuser, sunday, "Šodien")
    assert today.text.startswith("📝 <b>Stundu izmaiņas: Piektdiena, 27.11.2026</b>")
    wednesday = await press(
        superuser, await press(superuser, monday, "Nākamā diena ▶"), "Nākamā diena ▶"
    )
    assert wednesday.text.startswith("📝 <b>Stundu izmaiņas: Trešdiena, 02.12.2026</b>")


async def test_teachers_are_refused(core: Core, chats: Chats) -> None:
    [refusal] = await chats.user(TEACHER).send("/changes")
    assert refusal.text == (
        "Only the school's management (the deputy director or the director) enters timetable "
        "changes."
    )
    [day] = await chats.user(SUPERUSER).send("/changes")
    [refusal] = await chats.user(TEACHER).press(
        ChangesCb(act="puby", ref=ref_of(day), arg=0).pack()
    )
    assert refusal.text.startswith("Only the school's management")
    assert await change_count(core) == 0


async def test_forged_callbacks_for_another_school_change_nothing(
    core: Core, chats: Chats
) -> None:
    b = chats.world.b
    superuser = chats.user(SUPERUSER)
    [day] = await superuser.send("/changes")
    ref = ref_of(day)

    [missing] = await superuser.press(
        ChangesCb(act="les", ref=ref, arg=await beta_slot(core, b.school_id)).pack()
    )
    assert missing.text == "Šīs stundas šajā dienā sarakstā vairs nav."
    [refused] = await superuser.press(ChangesCb(act="tch", ref=ref, arg=b.math_teacher).pack())
    assert refused.text == "Persona nav atrasta."
    [refused] = await superuser.press(ChangesCb(act="addc", ref=ref, arg=b.class_5a).pack())
    assert refused.text == "Šīs klases vai grupas šajā datumā vairs nav."

    klass = await press(superuser, day, "5.a")
    lesson = await press(superuser, klass, "3. Matemātika")
    [refused] = await superuser.press(
        ChangesCb(act="sub", ref=ref_of(lesson), arg=b.other_teacher).pack()
    )
    assert refused.text == "Persona nav atrasta."

    # Another manager's screens are not this user's to press, even of the same school.
    [director_day] = await chats.user(DIRECTOR).send("/changes")
    [outdated] = await superuser.press(ChangesCb(act="cnl", ref=ref_of(director_day)).pack())
    assert outdated.text == "Šī poga vairs nav derīga. Atveriet izmaiņas vēlreiz: /changes"
    [outdated] = await chats.user(BETA_SUPERUSER).press(
        ChangesCb(act="cnl", ref=ref_of(lesson)).pack()
    )
    assert outdated.text.startswith("Šī poga vairs nav derīga.")
    assert await change_count(core) == 0


GOOD_FILE = (
    "date;class;period;kind;subject;teacher;room;new_date;new_period\n"
    "30.11.2026;5.a;3;aizvietošana;;Pēteris Alfa-Sportists;;;\n"
    "30.11.2026;2.a;2;kabinets;;;21;;\n"
)
BAD_FILE = GOOD_FILE + "30.11.2026;9.z;1;atcelta;;;;;\n"


async def test_a_file_of_changes_is_previewed_and_a_bad_row_changes_nothing(
    core: Core, chats: Chats
) -> None:
    superuser = chats.user(SUPERUSER)
    [day] = await superuser.send("/changes")
    ask = await press(superuser, day, "📄 Izmaiņas no faila")
    assert ask.text.startswith("Nosūtiet izmaiņu failu (CSV vai XLSX) kā dokumentu.")
    [rejected] = await superuser.send_document("changes.csv", BAD_FILE.encode())
    assert rejected.text.splitlines() == [
        "Failā atrastas problēmas (1). Nekas nav mainīts.",
        "• 4. rinda, kolonna „class”: Klase “9.z” šajā mācību gadā nav atrasta.",
    ]
    assert await change_count(core) == 0

    # The question was answered: the next file needs "Changes from a file" again.
    day = await press(superuser, rejected, TO_DAY)
    await press(superuser, day, "📄 Izmaiņas no faila")
    [preview] = await superuser.send_document("changes.csv", GOOD_FILE.encode())
    assert preview.text.splitlines()[0] == (
        "Fails izveidos melnrakstus (2). Priekšskatījums — nekas vēl nav mainīts:"
    )
    assert "• 30.11. 5.a, 3. stunda: Matemātika — aizvietošana" in preview.text
    assert await change_count(core) == 0

    created = await press(superuser, preview, "✅ Izveidot melnrakstus (2)")
    assert created.text.startswith("✅ Izveidoti melnraksti (2).")
    assert await change_count(core) == 2
    [again] = await superuser.press(buttons(preview)["✅ Izveidot melnrakstus (2)"])
    assert again.text.startswith("Šī priekšskatījuma fails vairs nav pieejams.")
    assert await change_count(core) == 2


async def test_the_command_is_in_the_managers_menu_and_help(core: Core, chats: Chats) -> None:
    superuser = chats.user(SUPERUSER)
    await superuser.send("/start")
    assert "changes" in chats.chat_commands(SUPERUSER)
    [help_text] = await superuser.send("/help")
    assert "/changes — stundu saraksta izmaiņas" in help_text.text
    teacher = chats.user(TEACHER, "en")
    await teacher.send("/start")
    assert "changes" not in chats.chat_commands(TEACHER)


def planned(period: int, teacher: int, name: str, classes: tuple[str, ...] = ("5.a",)) -> Any:
    return PlannedLesson(
        slot_id=period * 100 + teacher,
        on=MONDAY,
        period=period,
        group_id=teacher,
        group_name=f"{classes[0]} Sports",
        subject_name="Sports",
        class_names=classes,
        teacher_ids=(teacher,),
        teacher_names=(name,),
        room=None,
        change=None,
    )


def test_the_absent_teacher_picker_pages_by_ten_in_latvian_order() -> None:
    t = Translator(load_catalogs(), "lv")
    names = [f"Skolotājs {family}" for family in "ABCČDEFGĢHIĪ"]
    plan = DayPlan(
        school_id=1,
        on=MONDAY,
        is_school_day=True,
        day_off=None,
        lessons=tuple(planned(1, i + 1, name) for i, name in enumerate(reversed(names))),
        drafts=0,
        published=0,
    )
    first = views.absent_picker(plan, 0, 7, t)
    assert list(buttons_of(first)) == [*names[:10], "Nākamie ▶", TO_DAY]
    assert "Lapa 1 no 2." in first.text
    second = views.absent_picker(plan, 1, 7, t)
    assert list(buttons_of(second)) == [*names[10:], "◀ Iepriekšējie", TO_DAY]


def change(kind: str, period: int, new_period: int | None = None) -> ChangeView:
    return ChangeView(
        id=period,
        school_id=1,
        on=MONDAY,
        kind=kind,  # type: ignore[arg-type]
        status="draft",
        slot_id=period,
        group_id=1,
        group_name="5.a Sports",
        subject_name="Sports",
        class_names=("5.a",),
        period=period,
        teacher_ids=(),
        teacher_names=(),
        original_teacher_ids=(),
        original_teacher_names=(),
        room=None,
        original_room=None,
        new_date=None,
        new_period=new_period,
        note=None,
        published_at=None,
    )


def test_busy_periods_follow_the_changes_of_the_day() -> None:
    lessons = [planned(1, 1, "A"), planned(2, 2, "B", ("2.a",)), planned(3, 3, "C")]
    plan = DayPlan(1, MONDAY, True, None, tuple(lessons), 0, 0)
    assert views.busy_periods(plan, ("5.a",), 99) == {1, 3}
    assert views.busy_periods(plan, ("2.a",), 99) == {2}
    assert views.busy_periods(plan, (), 2) == {2}  # the group itself
    cancelled = replace(lessons[0], change=change("cancel", 1))
    moved = replace(lessons[2], change=change("move", 3, new_period=6))
    changed = DayPlan(1, MONDAY, True, None, (cancelled, lessons[1], moved), 2, 0)
    assert views.busy_periods(changed, ("5.a",), 99) == {6}


def buttons_of(screen: Any) -> dict[str, str]:
    markup = screen.keyboard
    return {b.text: b.callback_data for row in markup.inline_keyboard for b in row}
