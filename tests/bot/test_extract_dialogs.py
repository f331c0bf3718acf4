"""/extract through the real Dispatcher: the right child's PDF, months, class teachers' prints.

A crafted button for someone else's pupil or class is refused like any other id: core decides.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from aiogram.methods import EditMessageText, SendDocument, SendMessage
from aiogram.types import BufferedInputFile
from pypdf import PdfReader
from sqlalchemy import update

from bot.callbacks import ExtractCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.services.extracts import Month
from core.services.marks import create_assessment, record_marks
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, TelegramUser, buttons, open_chats
from tests.builders import build_world, viewer

PARENT, PUPIL, TEACHER, OTHER_PARENT = 9501, 9502, 9503, 9504
NOVEMBER, OCTOBER = Month(2026, 11), Month(2026, 10)

Shown = SendMessage | EditMessageText | SendDocument


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    test = await create_assessment(
        core.uow(), teacher, group_id=a.math_group, on=date(2026, 11, 20), title="Daļskaitļi"
    )
    await record_marks(
        core.uow(),
        teacher,
        assessment_id=test.id,
        entries={a.pupil_5a: "8", a.pupil_5a_second: "5"},
    )
    links = [
        (a.parent_5a, PARENT, "lv"),
        (a.pupil_5a, PUPIL, "en"),
        (a.math_teacher, TEACHER, "lv"),
        (a.parent_5a_second, OTHER_PARENT, "lv"),
    ]
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def shown(user: TelegramUser, action: str, data: str) -> list[Shown]:
    """What the bot sent, edited or uploaded after a command (``send``) or a press."""
    before = len(user.session.calls)
    if action == "send":
        await user.send(data)
    else:
        await user.press(data)
    return [c for c in user.session.calls[before:] if isinstance(c, Shown)]


def pdf_of(document: SendDocument) -> tuple[str, str]:
    upload = document.document
    assert isinstance(upload, BufferedInputFile)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(upload.data)).pages)
    return upload.filename or "", text


async def test_a_parent_gets_the_pdf_of_the_child_they_picked(chats: Chats) -> None:
    a = chats.world.a
    parent = chats.user(PARENT)
    [picker] = await shown(parent, "send", "/extract")
    assert picker.text == "📄 Kura sekmju izrakstu sagatavot?"
    assert buttons(picker) == {
        "Jānis Alfa-Bērziņš (5.a)": ExtractCb(action="pupil", ref=a.pupil_5a).pack(),
        "Ērika Alfa-Bērziņa (2.a)": ExtractCb(action="pupil", ref=a.pupil_2a).pack(),
        "⬅️ Izvēlne": "mn",
    }
    [months] = await shown(parent, "press", buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    assert isinstance(months, EditMessageText)  # the same message moves on
    assert months.text == "📄 Sekmju izraksts: <b>Jānis Alfa-Bērziņš</b> (5.a). Par kuru mēnesi?"
    assert list(buttons(months)) == [
        "2026. gada novembris (šis mēnesis)",
        "2026. gada oktobris (iepriekšējais)",
        "2026. gada septembris",
        "⬅️ Izvēlne",
    ]
    status, document, done = await shown(
        parent, "press", buttons(months)["2026. gada novembris (šis mēnesis)"]
    )
    assert isinstance(status, EditMessageText)
    assert status.text == "⏳ Gatavo sekmju izrakstu: Jānis Alfa-Bērziņš, 2026. gada novembris…"
    assert isinstance(document, SendDocument)
    assert document.caption == (
        "📄 <b>Jānis Alfa-Bērziņš</b> (5.a): sekmju izraksts — 2026. gada novembris\n"
        "vērtējumi: 1, vidējais: 8,00; kavētas stundas: 0 (attaisnotas: 0)"
    )
    name, text = pdf_of(document)
    assert name == "sekmju-izraksts-2026-11-Janis-Alfa-Berzins.pdf"
    assert "Jānis Alfa-Bērziņš" in text
    assert "20.11. Daļskaitļi: 8" in text
    assert "Anna" not in text  # the other pupil of the test
    assert isinstance(done, EditMessageText)
    assert done.text.startswith("✅ Sekmju izraksts nosūtīts: <b>Jānis Alfa-Bērziņš</b>")
    assert "2026. gada oktobris (iepriekšējais)" in buttons(done)


async def test_a_crafted_button_for_another_pupil_is_refused(chats: Chats) -> None:
    a = chats.world.a
    parent = chats.user(PARENT)
    for data in (
        ExtractCb(action="month", ref=a.pupil_5a_second, month=NOVEMBER.ordinal).pack(),
        ExtractCb(action="pupil", ref=a.pupil_5a_second).pack(),
        ExtractCb(action="month", ref=chats.world.b.pupil_5a, month=NOVEMBER.ordinal).pack(),
    ):
        [refusal] = await shown(parent, "press", data)
        assert isinstance(refusal, SendMessage)
        assert refusal.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    [refusal] = await shown(
        parent, "press", ExtractCb(action="missing", ref=a.class_5a, month=NOVEMBER.ordinal).pack()
    )
    assert "nav atrast" in (refusal.text or "")  # a parent prints no class
    [bad] = await shown(parent, "press", ExtractCb(action="month", ref=a.pupil_5a, month=7).pack())
    assert bad.text == "Šādu mēnesi izvēlēties nevar. Izvēlieties kādu no piedāvātajiem mēnešiem."
    future = ExtractCb(action="month", ref=a.pupil_5a, month=Month(2027, 1).ordinal).pack()
    [bad] = await shown(parent, "press", future)
    assert bad.text == "Šādu mēnesi izvēlēties nevar. Izvēlieties kādu no piedāvātajiem mēnešiem."
    assert chats.session.documents() == []


async def test_a_pupil_goes_straight_to_the_months_of_their_own(chats: Chats) -> None:
    pupil = chats.user(PUPIL)
    [months] = await shown(pupil, "send", "/extract")
    assert months.text == "📄 Progress extract: <b>Jānis Alfa-Bērziņš</b> (5.a). Which month?"
    october = buttons(months)["October 2026 (last month)"]
    assert (
        october
        == ExtractCb(action="month", ref=chats.world.a.pupil_5a, month=OCTOBER.ordinal).pack()
    )
    _status, document, _done = await shown(pupil, "press", october)
    assert isinstance(document, SendDocument)
    _, text = pdf_of(document)
    assert "Šajā periodā nav ne vērtējumu, ne kavējumu." in text  # the school's language


async def test_the_class_teacher_prints_the_missing_ones(chats: Chats, core: Core) -> None:
    a = chats.world.a
    teacher = chats.user(TEACHER)
    [picker] = await shown(teacher, "send", "/extract")
    assert buttons(picker)["🏫 Klase 5.a"] == ExtractCb(action="class", ref=a.class_5a).pack()
    [klass] = await shown(teacher, "press", buttons(picker)["🏫 Klase 5.a"])
    assert klass.text == "🏫 <b>5.a</b>: kura skolēna sekmju izrakstu sagatavot?"
    assert list(buttons(klass)) == [
        "Jānis Alfa-Bērziņš",
        "Anna Alfa-Kalniņa",
        "🖨 Trūkstošie izraksti (drukāšanai)",
        "⬅️ Izvēlne",
    ]
    [anna] = await shown(teacher, "press", buttons(klass)["Anna Alfa-Kalniņa"])
    assert anna.text == "📄 Sekmju izraksts: <b>Anna Alfa-Kalniņa</b> (5.a). Par kuru mēnesi?"
    [months] = await shown(teacher, "press", buttons(klass)["🖨 Trūkstošie izraksti (drukāšanai)"])
    assert buttons(months)["2026. gada novembris (šis mēnesis)"] == (
        ExtractCb(action="missing", ref=a.class_5a, month=NOVEMBER.ordinal).pack()
    )
    # Jānis and his mother are connected, and so is Anna's father: nothing to print.
    [none] = await shown(
        teacher,
        "press",
        ExtractCb(action="missing", ref=a.class_5a, month=NOVEMBER.ordinal).pack(),
    )
    assert none.text == (
        "✅ 5.a, 2026. gada novembris: katra skolēna ģimene izrakstu var saņemt botā — "
        "nav ko drukāt."
    )
    # Anna's father blocks the bot: her extract is missing. Last month (October) had no marks.
    await _block(core, OTHER_PARENT)
    [none] = await shown(teacher, "send", "/extract missing")
    assert none.text is not None
    assert "2026. gada oktobris" in none.text  # last month: no marks, so nobody is missing
    status, document, done = await shown(
        teacher,
        "press",
        ExtractCb(action="missing", ref=a.class_5a, month=NOVEMBER.ordinal).pack(),
    )
    # A new message: the button may sit under the monthly count, which must stay readable.
    assert isinstance(status, SendMessage)
    assert status.text == "⏳ Gatavo trūkstošos izrakstus: 5.a, 2026. gada novembris…"
    assert isinstance(document, SendDocument)
    assert document.caption == (
        "🖨 Trūkstošie sekmju izraksti: <b>5.a</b>, 2026. gada novembris — 1 no 2 skolēniem. "
        "Izdrukājiet un izsniedziet tos."
    )
    name, text = pdf_of(document)
    assert name == "sekmju-izraksti-5.a-2026-11.pdf"
    assert "Anna Alfa-Kalniņa" in text
    assert "Jānis" not in text
    assert done.text == "✅ Trūkstošie izraksti nosūtīti: <b>5.a</b>, 2026. gada novembris."


async def test_people_with_nothing_to_print_are_told_so(chats: Chats, core: Core) -> None:
    [answer] = await shown(chats.user(PARENT), "send", "/extract missing")
    assert answer.text == (
        "Trūkstošos izrakstus drukā klases audzinātājs vai skolas vadība, "
        "bet jums nav šādas klases."
    )
    [help_text] = await shown(chats.user(TEACHER), "send", "/help")
    assert "/extract missing" in (help_text.text or "")
    await chats.user(PARENT).send("/start")  # the command menu is set with the main menu
    assert "extract" in chats.chat_commands(PARENT)


async def _block(core: Core, telegram_user_id: int) -> None:
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Account)
            .where(t.Account.telegram_user_id == telegram_user_id)
            .values(status="unreachable")
        )
