"""/reports and semester/year marks through the real Dispatcher: journals, a month, statistics,
report cards sent to the families, progress messages, and crafted buttons that change nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendDocument, SendMessage
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    Message,
    User,
)

from bot.callbacks import PeriodMarksCb, ReportCardsCb, ReportFileCb, ReportsCb
from bot.i18n import Translator, load_catalogs
from bot.middlewares import TokenBuckets
from bot.routers import reports as reports_router
from core.bootstrap import Core
from core.storage import tables as t
from tests.bot.harness import SENT_AT, Chats, TelegramUser, buttons, open_chats
from tests.builders import build_world
from tests.reportkit import fill_journal, flat, pdf_text, rows, workbook

TEACHER, LATVIAN, OTHER, SUPERUSER, PARENT = 9501, 9502, 9503, 9504, 9505


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    links = [
        (a.math_teacher, TEACHER, "lv"),
        (a.latvian_teacher, LATVIAN, "lv"),
        (a.other_teacher, OTHER, "lv"),
        (a.superuser, SUPERUSER, "lv"),
        (a.parent_5a, PARENT, "lv"),
    ]
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def answer(user: TelegramUser, data: str) -> list[Any]:
    """Press a button; everything the bot sent or edited in answer."""
    before = len(user.session.calls)
    await user.press(data)
    return [
        c
        for c in user.session.calls[before:]
        if isinstance(c, SendMessage | EditMessageText | SendDocument)
    ]


def document(call: Any) -> tuple[str, bytes]:
    assert isinstance(call, SendDocument)
    assert isinstance(call.document, BufferedInputFile)
    return call.document.filename or "", call.document.data


async def test_a_class_teacher_prints_a_journal_with_a_progress_message(chats: Chats) -> None:
    teacher = chats.user(TEACHER)
    [menu] = await teacher.send("/reports")
    assert menu.text == "📑 <b>Atskaites.</b> Ko sagatavot?"
    assert list(buttons(menu)) == [
        "📒 Klases žurnāls",
        "🗓 Kavējumi pa mēnešiem",
        "📊 Vērtējumu statistika",
        "📜 Liecības",
        "⬅️ Izvēlne",
    ]
    [journals] = await teacher.press(buttons(menu)["📒 Klases žurnāls"])
    assert list(buttons(journals))[:2] == ["5.a Matemātika", "5.a: visi žurnāli"]
    [periods] = await teacher.press(buttons(journals)["5.a Matemātika"])
    assert "1. semestris (01.09.2026–27.11.2026)" in periods.text
    assert list(buttons(periods))[:4] == [
        "1. sem. · PDF",
        "1. sem. · XLSX",
        "Gads · PDF",
        "Gads · XLSX",
    ]

    status, ready, made = await answer(teacher, buttons(periods)["1. sem. · PDF"])
    assert isinstance(status, SendMessage)
    assert status.text == "⏳ Gatavo… 0%"
    name, pdf = document(made)
    assert name == "zurnals-5.a-matematika-2026-09-01-2026-11-27.pdf"
    assert made.caption == "Klases žurnāls: 5.a Matemātika\n01.09.2026–27.11.2026"
    assert "Alfa-Bērziņš Jānis" in pdf_text(pdf)
    assert isinstance(ready, EditMessageText)
    assert ready.text == "✅ Gatavs."

    *_, sheet_file = await answer(teacher, buttons(periods)["Gads · XLSX"])
    name, data = document(sheet_file)
    assert name.endswith(".xlsx")
    assert workbook(data).sheetnames == ["Vērtējumi", "Stundas", "Apmeklējums"]


async def test_a_month_of_attendance_and_whole_school_statistics(chats: Chats) -> None:
    boss = chats.user(SUPERUSER)
    [menu] = await boss.send("/reports")
    [classes] = await boss.press(buttons(menu)["🗓 Kavējumi pa mēnešiem"])
    assert list(buttons(classes))[:2] == ["2.a", "5.a"]
    [months] = await boss.press(buttons(classes)["5.a"])
    assert list(buttons(months))[:4] == [
        "novembris 2026 · PDF",
        "novembris 2026 · XLSX",
        "oktobris 2026 · PDF",
        "oktobris 2026 · XLSX",
    ]
    *_, made = await answer(boss, buttons(months)["novembris 2026 · XLSX"])
    name, data = document(made)
    assert name == "kavejumi-5.a-2026-11.xlsx"
    assert workbook(data).active["B2"].value == "Alfa-Bērziņš Jānis"

    [choose] = await boss.press(buttons(menu)["📊 Vērtējumu statistika"])
    [periods] = await boss.press(buttons(choose)["Visa skola: Alfa pamatskola"])
    *_, made = await answer(boss, buttons(periods)["Gads · PDF"])
    _, pdf = document(made)
    assert "Vērtējumu statistika: Alfa pamatskola" in flat(pdf_text(pdf))


async def test_crafted_buttons_for_another_teachers_group_or_class_are_refused(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    other = chats.user(OTHER)
    [menu] = await other.send("/reports")
    assert menu.text == "Jums nav žurnālu vai klašu, par ko sagatavot atskaites."
    for data in (
        ReportFileCb(what="journal", fmt="pdf", target=a.math_group, period=1).pack(),
        ReportsCb(kind="journal", target=a.math_group).pack(),
        ReportFileCb(what="attendance", fmt="xlsx", target=a.class_5a, period=202611).pack(),
        ReportFileCb(what="school", fmt="pdf", target=a.school_id, period=0).pack(),
        ReportCardsCb(action="make", class_id=a.class_5a).pack(),
    ):
        [refused] = await answer(other, data)
        assert "nav atrast" in refused.text, data  # "… nav atrasts / atrasta …"
    latvian = chats.user(LATVIAN)  # class teacher of 2.a, not of 5.a
    [refused] = await answer(latvian, ReportCardsCb(action="make", class_id=a.class_5a).pack())
    assert refused.text == "Klase nav atrasta, vai jums nav tiesību to pārvaldīt."
    [refused] = await answer(
        latvian, PeriodMarksCb(action="all", group_id=a.math_group, term=0).pack()
    )
    assert refused.text.startswith("Žurnāls (mācību grupa) nav atrasts")
    assert chats.session.documents() == []
    assert await rows(core, t.PeriodMark) == []


async def test_the_superuser_sends_report_cards_and_the_class_teacher_cannot(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    _status, _ready, pdf_call, after = await answer(
        teacher, ReportsCb(kind="cards", target=a.class_5a).pack()
    )
    name, pdf = document(pdf_call)
    assert name == "liecibas-5.a-2026-2027.pdf"
    assert pdf_text(pdf).count("LIECĪBA") == 2
    assert "📨 Nosūtīt vecākiem" not in buttons(after)  # the school's management sends them
    [refused] = await answer(teacher, ReportCardsCb(action="send", class_id=a.class_5a).pack())
    assert refused.text == (
        "Liecības ģimenēm nosūta skolas vadība (direktora vietnieks vai direktors)."
    )

    boss = chats.user(SUPERUSER)
    [menu] = await boss.send("/reports")
    [classes] = await boss.press(buttons(menu)["📜 Liecības"])
    *_, after = await answer(boss, buttons(classes)["5.a"])
    [ask] = await boss.press(buttons(after)["📨 Nosūtīt vecākiem"])
    assert ask.text.startswith("Nosūtīt klases 5.a liecības vecākiem?")
    *_, sent = await answer(boss, buttons(ask)["✅ Jā, nosūtīt"])
    assert sent.text.startswith("📨 Klases 5.a liecības nodotas nosūtīšanai.")
    assert "Skolēni: 2; vecāki botā: 1 no 2." in sent.text  # Līga is linked, Kārlis is not
    events = await rows(core, t.DomainEvent, kind="report_card.issued")
    assert {e.payload["pupil_id"] for e in events} == {a.pupil_5a, a.pupil_5a_second}


async def test_semester_and_year_marks_from_grades(core: Core, chats: Chats) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    [group] = await teacher.send("/grades")
    [sheet] = await teacher.press(buttons(group)["📘 Semestra un gada vērtējumi"])
    lines = sheet.text.splitlines()
    assert lines[0] == "📘 <b>5.a Matemātika</b> — Gada vērtējums (01.09.2026–18.06.2027)"
    assert "Apstiprināti: 0 no 2." in lines
    assert "1. Alfa-Bērziņš Jānis — ieteikums <b>8</b> (vērtējumi: 3) vid. 8,00" in lines
    assert "2. Alfa-Kalniņa Anna — ieteikums <b>6</b> (vērtējumi: 2) vid. 5,50 — ⚠ nv: 1" in lines

    [saved] = await answer(teacher, buttons(sheet)["✅ Apstiprināt ieteikumus (2)"])
    assert isinstance(saved, EditMessageText)
    assert "💾 Saglabāti vērtējumi: 2 (no tiem labojumi: 0)." in saved.text
    assert "✅ Apstiprināt ieteikumus" not in str(saved.reply_markup)

    [corrected] = await teacher.send("2 5")
    assert "💾 Saglabāti vērtējumi: 1 (no tiem labojumi: 1)." in corrected.text
    assert "— ✅ 5" in corrected.text
    [refused] = await teacher.send("1 11")
    assert refused.text.startswith("❌")
    stored = {m.pupil_id: m.value for m in await rows(core, t.PeriodMark)}
    assert stored == {a.pupil_5a: "8", a.pupil_5a_second: "5"}


async def test_the_status_message_is_edited_as_the_work_advances(
    chats: Chats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports_router, "PROGRESS_INTERVAL", 0.0)
    session = chats.session
    query = CallbackQuery(
        id="1",
        from_user=User(id=TEACHER, is_bot=False, first_name="Māra"),
        chat_instance="1",
        message=Message(
            message_id=1,
            date=SENT_AT,
            chat=Chat(id=TEACHER, type="private"),
            from_user=User(id=chats.bot.id, is_bot=True, first_name="eJournal"),
            text="…",
        ),
        data="x",
    ).as_(chats.bot)
    t = Translator(load_catalogs(), "lv")

    def work(progress: Any) -> str:
        for done in range(1, 6):
            calls = len(session.calls)
            progress(done, 5)
            deadline = time.monotonic() + 10
            while done < 5 and len(session.calls) == calls and time.monotonic() < deadline:
                time.sleep(0.01)  # until the event loop has edited the status message
        return "done"

    before = len(session.calls)
    assert await reports_router.produce(query, t, work) == "done"
    texts = [
        c.text for c in session.calls[before:] if isinstance(c, SendMessage | EditMessageText)
    ]
    assert texts == [
        "⏳ Gatavo… 0%",
        "⏳ Gatavo… 20%",
        "⏳ Gatavo… 40%",
        "⏳ Gatavo… 60%",
        "⏳ Gatavo… 80%",
        "✅ Gatavs.",
    ]
