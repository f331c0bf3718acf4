"""/diary and /homework in chat: the right child, weeks, days, files; crafted buttons leak nothing.

The last tests are the acceptance point "no command and no crafted callback lets a parent see
another pupil's data": every callback class the bot knows is crafted with the ids of other
pupils and their things (notes, files, groups, classes, lessons, assessments) and pressed.
"""

from __future__ import annotations

import html
from datetime import date, time, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import BufferedInputFile

from bot.app import build_dispatcher
from bot.callbacks import (
    ALL_CALLBACKS,
    AbsencesCb,
    DiaryCb,
    DiaryFileCb,
    MarksCb,
    NoteFormCb,
    PupilHomeworkCb,
    TimetableCb,
)
from bot.i18n import Translator, load_catalogs
from bot.middlewares import TokenBuckets
from bot.settings import AppSettings
from bot.views.common import MAX_TEXT
from bot.views.diary import day_screen, week_screen
from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.policy import default_policy
from core.domain.records import PupilSummary
from core.services.diary import DiaryDay, DiaryLesson, DiaryWeek
from core.services.marks import create_assessment, record_marks
from core.services.teacher_day import (
    attach_homework_file,
    save_attendance,
    set_homework,
    set_topic,
)
from core.services.timetable_changes import add_change, day_plan, publish_changes
from core.services.timetable_import import import_timetable
from tests.authz.crafting import SECRET, crafted, foreign_records, row_counts
from tests.bot.harness import TOKEN, Chats, RecordingSession, buttons, link
from tests.builders import WEEK_TIMETABLE_CSV, World, build_world, viewer

PARENT, PUPIL, TEACHER, OTHER_PARENT = 9601, 9602, 9603, 9604
MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
REFUSED = "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    for school, prefix in ((world.a, "Alfa"), (world.b, "Beta")):
        await import_timetable(
            core.uow(),
            Viewer.console(),
            school_id=school.school_id,
            data=WEEK_TIMETABLE_CSV.format(a=prefix).encode(),
            filename="week.csv",
            apply=True,
        )
    for person, user_id in (
        (world.a.parent_5a, PARENT),
        (world.a.pupil_5a, PUPIL),
        (world.a.latvian_teacher, TEACHER),
        (world.a.parent_5a_second, OTHER_PARENT),
    ):
        await link(core, person, user_id, "lv")
    session = RecordingSession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dp = build_dispatcher(core, AppSettings(), buckets=TokenBuckets(10_000, 10_000))
    return Chats(world, dp, bot, session)


async def fill_monday(core: Core, world: World) -> dict[str, int]:
    """Jānis's Monday mathematics: topic, homework with a photo and a PDF, a mark, an absence."""
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    lesson: dict[str, Any] = {"group_id": a.math_group, "on": MONDAY, "period": 1}
    await set_topic(core.uow(), teacher, **lesson, topic="Daļskaitļi")
    await set_homework(core.uow(), teacher, **lesson, homework="Uzd. 12", due_on=TUESDAY)
    png = await attach_homework_file(
        core.uow(), teacher, **lesson, filename="uzd.png", mime="image/png", data=PNG
    )
    pdf = await attach_homework_file(
        core.uow(), teacher, **lesson, filename="lapa.pdf", mime="application/pdf", data=PDF
    )
    await save_attendance(core.uow(), teacher, **lesson, absent={a.pupil_5a: "n"})
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=MONDAY, title="Kontroldarbs"
    )
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "8"})
    boss = await viewer(core, a.superuser)
    plan = await day_plan(core.uow(), boss, school_id=a.school_id, on=TUESDAY)
    [tuesday] = [x for x in plan.lessons if x.group_id == a.math_group]
    await add_change(
        core.uow(),
        boss,
        school_id=a.school_id,
        on=TUESDAY,
        kind="cancel",
        slot_id=tuesday.slot_id,
        note="Ekskursija",
    )
    await publish_changes(core.uow(), boss, school_id=a.school_id, on=TUESDAY)
    return {"png": png.id, "pdf": pdf.id}


# ---------------------------------------------------------------- the diary


async def test_a_parent_of_two_picks_the_child_and_every_screen_names_that_child(
    core: Core, chats: Chats
) -> None:
    parent = chats.user(PARENT)
    [picker] = await parent.send("/diary")
    assert picker.text == "Kura bērna dienasgrāmatu parādīt?"
    assert set(buttons(picker)) == {"Jānis Alfa-Bērziņš (5.a)", "Ērika Alfa-Bērziņa (2.a)"}

    [week] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    lines = week.text.splitlines()
    assert lines[:2] == [
        "📖 <b>Jānis Alfa-Bērziņš (5.a)</b> — dienasgrāmata",
        "Nedēļa 23.11.–29.11.",
    ]
    assert "<b>Pirmdiena, 23.11.</b>" in lines
    assert "1. Matemātika (101)" in lines
    assert "<b>Ceturtdiena, 26.11.</b> · vakar" in lines
    assert "2. Matemātika · papildu stunda" in lines  # held, though not in the timetable
    assert "<b>Piektdiena, 27.11.</b> · šodien" in lines
    assert "Latviešu valoda" not in week.text  # Ērika's subject
    keys = buttons(week)
    assert {"◀ Iepriekšējā", "Nākamā ▶", "Šodien", "Pirmdiena, 30.11. ▶", "📚 Mājas darbi"} <= set(
        keys
    )
    assert {"P 23.11.", "O 24.11.", "T 25.11.", "C 26.11.", "Pk 27.11."} <= set(keys)

    [sister] = await parent.press(buttons(picker)["Ērika Alfa-Bērziņa (2.a)"])
    assert sister.text.startswith("📖 <b>Ērika Alfa-Bērziņa (2.a)</b> — dienasgrāmata")
    assert "2. Latviešu valoda (12)" in sister.text
    assert "Matemātika" not in sister.text


async def test_weeks_days_today_and_the_next_school_day(core: Core, chats: Chats) -> None:
    await fill_monday(core, chats.world)
    parent = chats.user(PARENT)
    [menu] = await parent.send("/start")
    [week] = await parent.press(buttons(menu)["📖 Jānis: dienasgrāmata"])
    [following] = await parent.press(buttons(week)["Nākamā ▶"])
    lines = following.text.splitlines()
    assert lines[1] == "Nedēļa 30.11.–06.12."
    monday = lines.index("<b>Pirmdiena, 30.11.</b>")
    assert lines[monday + 1 : monday + 4] == [
        "1. Matemātika (101) · ⭐ 8 · ❌ nav ieradies",
        "📝 Daļskaitļi",
        "📚 Uzd. 12 (līdz 01.12.) 📎 2",
    ]
    assert "<s>2. Matemātika (101)</s> · nenotiks (Ekskursija)" in lines
    [back] = await parent.press(buttons(following)["◀ Iepriekšējā"])
    assert back.text.splitlines()[1] == "Nedēļa 23.11.–29.11."

    [today] = await parent.press(buttons(week)["Šodien"])
    assert today.text.splitlines() == [
        "📖 <b>Jānis Alfa-Bērziņš (5.a)</b> — dienasgrāmata",
        "<b>Piektdiena, 27.11.</b> · šodien",
        "Stundu nav.",
    ]
    [day] = await parent.press(buttons(week)["Pirmdiena, 30.11. ▶"])
    assert day.text.splitlines() == [
        "📖 <b>Jānis Alfa-Bērziņš (5.a)</b> — dienasgrāmata",
        "<b>Pirmdiena, 30.11.</b>",
        "",
        "<b>1. Matemātika</b> 8:30–9:10, 101, Māra Alfa-Matemātiķe",
        "📝 Tēma: Daļskaitļi",
        "📚 Mājas darbs: Uzd. 12",
        "⏳ Jāizpilda līdz: Otrdiena, 01.12.",
        "📎 Faili: uzd.png, lapa.pdf",
        "⭐ Vērtējums: 8 (Kontroldarbs)",
        "❌ nav ieradies (vēl nav izlemts)",
    ]
    keys = buttons(day)
    assert {"◀ Piektdiena, 27.11.", "Otrdiena, 01.12. ▶", "🗓 Visa nedēļa"} <= set(keys)
    [tuesday] = await parent.press(keys["Otrdiena, 01.12. ▶"])
    assert "<s><b>2. Matemātika</b></s> 9:20–10:00, 101, Māra Alfa-Matemātiķe" in tuesday.text
    assert "🔁 nenotiks (Ekskursija)" in tuesday.text
    [whole] = await parent.press(buttons(tuesday)["🗓 Visa nedēļa"])
    assert whole.text.splitlines()[1] == "Nedēļa 30.11.–06.12."


async def test_homework_files_are_sent_back(core: Core, chats: Chats) -> None:
    files = await fill_monday(core, chats.world)
    parent = chats.user(PARENT)
    [day] = await parent.press(
        DiaryCb(view="d", pupil_id=chats.world.a.pupil_5a, day=MONDAY.toordinal()).pack()
    )
    keys = buttons(day)
    assert (
        keys["📎 uzd.png"]
        == DiaryFileCb(pupil_id=chats.world.a.pupil_5a, file_id=files["png"]).pack()
    )
    await parent.press(keys["📎 uzd.png"])
    [photo] = [c for c in chats.session.calls if isinstance(c, SendPhoto)]
    assert isinstance(photo.photo, BufferedInputFile)
    assert photo.photo.data == PNG
    await parent.press(keys["📎 lapa.pdf"])
    [document] = chats.session.documents()
    assert isinstance(document.document, BufferedInputFile)
    assert (document.document.filename, document.document.data) == ("lapa.pdf", PDF)


async def test_homework_for_tomorrow_and_this_week(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await fill_monday(core, chats.world)
    teacher = await viewer(core, a.math_teacher)
    await set_homework(
        core.uow(), teacher, group_id=a.math_group, on=date(2026, 11, 26), period=2,
        homework="Lasīt 5. lpp.",
    )  # fmt: skip
    parent = chats.user(PARENT)
    [picker] = await parent.send("/homework")
    assert picker.text == "Kura bērna mājas darbus parādīt?"
    [homework] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    assert homework.text.splitlines() == [
        "📚 <b>Jānis Alfa-Bērziņš (5.a)</b> — mājas darbi",
        "Jāizpilda no 30.11. līdz 06.12.",
        "",
        "<b>Pirmdiena, 30.11.</b>",
        "1. <b>Matemātika</b>: Lasīt 5. lpp. (uzdots 26.11.)",
        "",
        "<b>Otrdiena, 01.12.</b>",
        "• <b>Matemātika</b>: Uzd. 12 📎 2 (uzdots 30.11.)",  # Tuesday's lesson is cancelled
    ]
    assert {"📎 uzd.png", "📎 lapa.pdf", "📖 Dienasgrāmata"} <= set(buttons(homework))

    [own] = await chats.user(PUPIL).send("/homework")
    assert own.text.startswith("📚 <b>Jānis Alfa-Bērziņš (5.a)</b> — mājas darbi")
    [sister] = await parent.press(PupilHomeworkCb(pupil_id=a.pupil_2a).pack())
    assert sister.text.splitlines()[-1] == "Šim laikam mājas darbu nav."


async def test_a_pupil_sees_their_own_diary_and_staff_have_none(chats: Chats) -> None:
    [own] = await chats.user(PUPIL).send("/diary")
    assert own.text.startswith("📖 <b>Jānis Alfa-Bērziņš (5.a)</b> — dienasgrāmata")
    [none] = await chats.user(TEACHER).send("/diary")
    assert none.text == ("Dienasgrāmata ir skolēniem un viņu vecākiem: jums tādas šeit nav.")
    [menu] = await chats.user(PUPIL).send("/start")
    assert "📖 Mana dienasgrāmata" in buttons(menu)


async def test_menus_commands_and_help_offer_the_diary(chats: Chats) -> None:
    parent = chats.user(PARENT)
    [menu] = await parent.send("/start")
    assert list(buttons(menu))[:6] == [
        "📖 Ērika: dienasgrāmata",
        "📘 Ērika: vērtējumi",
        "📅 Ērika: kavējumi",
        "📖 Jānis: dienasgrāmata",
        "📘 Jānis: vērtējumi",
        "📅 Jānis: kavējumi",
    ]
    assert {"diary", "homework"} <= set(chats.chat_commands(PARENT))
    [help_text] = await parent.send("/help")
    assert "📖 /diary — bērna dienasgrāmata pa nedēļām" in help_text.text
    assert "📚 /homework" in help_text.text
    await chats.user(TEACHER).send("/start")
    assert "diary" not in chats.chat_commands(TEACHER)


async def test_a_long_week_fits_one_message_and_its_days_keep_everything() -> None:
    t = Translator(load_catalogs(), "lv")
    monday = date(2026, 11, 30)
    topic, homework = "Ļoti gara tēma " * 6, "Ļoti garš mājas darbs " * 5
    lessons = tuple(
        DiaryLesson(
            period=period,
            starts_at=time(8, 30),
            ends_at=time(9, 10),
            group_id=period,
            subject=f"Priekšmets {period}",
            room="101",
            teachers=("Māra Ozola",),
            topic=topic,
            homework=homework,
            homework_due_on=monday + timedelta(days=1),
        )
        for period in range(1, 9)
    )
    week = DiaryWeek(
        pupil=PupilSummary(1, "Jānis", "Bērziņš", "9.a", 9, 1),
        monday=monday,
        today=monday,
        next_school_day=monday + timedelta(days=1),
        cycle_week=None,
        days=tuple(DiaryDay(monday + timedelta(days=d), lessons, None, True) for d in range(5)),
        codes=default_policy().absence_codes,
    )
    screen = week_screen(week, t)
    assert len(screen.text) <= MAX_TEXT
    assert "tēmas un mājas darbu teksti" in screen.text
    assert topic.strip() not in screen.text
    assert screen.text.count("📚 (līdz 01.12.)") == 40  # every lesson's homework is flagged
    day = day_screen(week, monday, t)
    assert len(day.text) <= MAX_TEXT
    assert day.text.count(f"📝 Tēma: {topic}") == 8


# ---------------------------------------------------------------- crafted buttons


async def test_crafted_buttons_for_another_pupil_are_refused(core: Core, chats: Chats) -> None:
    a, b = chats.world.a, chats.world.b
    files = await fill_monday(core, chats.world)
    parent = chats.user(PARENT)
    for data in (
        DiaryCb(view="w", pupil_id=a.pupil_5a_second, day=0).pack(),
        DiaryCb(view="d", pupil_id=a.pupil_5a_second, day=MONDAY.toordinal()).pack(),
        DiaryCb(view="w", pupil_id=b.pupil_5a, day=0).pack(),
        DiaryCb(view="d", pupil_id=10**12, day=0).pack(),
        PupilHomeworkCb(pupil_id=a.pupil_5a_second).pack(),
        DiaryFileCb(pupil_id=a.pupil_5a_second, file_id=files["png"]).pack(),
        MarksCb(pupil_id=a.pupil_5a_second).pack(),
        AbsencesCb(pupil_id=a.pupil_5a_second).pack(),
        TimetableCb(whose="p", person_id=a.pupil_5a_second, day=0).pack(),
        NoteFormCb(step="child", value=a.pupil_5a_second).pack(),
        NoteFormCb(step="list", value=a.pupil_5a_second).pack(),
    ):
        [refusal] = await parent.press(data)
        assert refusal.text == REFUSED, data
    pupil = chats.user(PUPIL)  # a pupil: their own diary only
    for data in (
        DiaryCb(view="w", pupil_id=a.pupil_5a_second, day=0).pack(),
        PupilHomeworkCb(pupil_id=a.pupil_2a).pack(),
        DiaryFileCb(pupil_id=a.pupil_5a_second, file_id=files["png"]).pack(),
    ):
        [refusal] = await pupil.press(data)
        assert refusal.text == REFUSED, data
    # Ērika's own file id is fine for Jānis only: she is not in the mathematics group.
    [refusal] = await parent.press(DiaryFileCb(pupil_id=a.pupil_2a, file_id=files["png"]).pack())
    assert refusal.text == "Fails nav atrasts vai jums nav piekļuves tam."
    [stale] = await parent.press(DiaryCb(view="w", pupil_id=a.pupil_5a, day=-5).pack())
    assert stale.text == "Šī poga vairs nav spēkā. Atveriet izvēlni ar /start."
    assert chats.session.documents() == []
    assert not [c for c in chats.session.calls if isinstance(c, SendPhoto)]


@pytest.mark.parametrize("cls", ALL_CALLBACKS, ids=lambda c: c.__name__)
async def test_no_crafted_callback_shows_a_parent_another_pupils_data(
    core: Core, chats: Chats, cls: type[CallbackData]
) -> None:
    """Every button class, crafted with other pupils' ids, answers nothing of theirs."""
    await fill_monday(core, chats.world)
    ids = await foreign_records(core, chats.world, MONDAY)
    before = await row_counts(core)
    parent = chats.user(PARENT)
    payloads = [instance.pack() for instance in crafted(cls, ids)]
    assert payloads
    sent_before = len(chats.session.calls)
    for data in payloads:
        for reply in await parent.press(data):
            text = html.unescape(reply.text)
            assert SECRET not in text.upper(), (data, text)
            assert "Alfa-Kalniņa" not in text, (data, text)  # the other family's child
            assert "Beta-Bērziņš" not in text, (data, text)  # another school's pupil
            assert "Alfa-Kalniņš" not in text, (data, text)  # the other parent
    files = [
        c for c in chats.session.calls[sent_before:] if isinstance(c, SendDocument | SendPhoto)
    ]
    assert files == []
    assert await row_counts(core) == before
