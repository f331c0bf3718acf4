"""/history through the real Dispatcher: who changed what and when, for one's own children only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.callbacks import HistoryCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.clock import FakeClock
from core.services.attendance import record_attendance
from core.services.lessons import record_lesson
from core.services.marks import create_assessment, record_marks
from tests.bot.harness import Chats, buttons, open_chats
from tests.builders import World, build_world, viewer

PARENT, OTHER_PARENT, PUPIL, TEACHER = 9401, 9402, 9403, 9404
THURSDAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.parent_5a_second, OTHER_PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "en"),
        (world.a.math_teacher, TEACHER, "lv"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def changes(core: Core, clock: FakeClock, world: World, *, tests: int = 1) -> None:
    """On Thursday: ``tests`` marked tests, a corrected mark, an absence and homework."""
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    for number in range(tests):
        clock.set(datetime(2026, 11, 26, 8, number, tzinfo=UTC))  # 10:00 in Riga, a minute apart
        test = await create_assessment(
            core.uow(), teacher, group_id=a.math_group, on=THURSDAY, title=f"Tests {number + 1}"
        )
        await record_marks(
            core.uow(),
            teacher,
            assessment_id=test.id,
            entries={a.pupil_5a: "7", a.pupil_5a_second: "3"},
        )
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    await record_marks(core.uow(), teacher, assessment_id=test.id, entries={a.pupil_5a: "8"})
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await record_attendance(core.uow(), teacher, lesson_id=a.lesson_math, absent={a.pupil_5a: "n"})
    clock.set(datetime(2026, 11, 26, 11, 0, tzinfo=UTC))
    await record_lesson(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=THURSDAY,
        period=2,
        topic="Daļskaitļi",
        homework="Uzd. 5 <lpp. 12>",
        homework_due_on=date(2026, 11, 30),
    )
    clock.set(NOW)


async def test_a_parent_picks_a_child_and_sees_who_changed_what(
    core: Core, clock: FakeClock, chats: Chats
) -> None:
    await changes(core, clock, chats.world)
    a = chats.world.a
    parent = chats.user(PARENT)
    [picker] = await parent.send("/history")
    assert picker.text == "Kura bērna izmaiņas parādīt?"
    assert buttons(picker) == {
        "Jānis Alfa-Bērziņš (5.a)": HistoryCb(pupil_id=a.pupil_5a, since="week").pack(),
        "Ērika Alfa-Bērziņa (2.a)": HistoryCb(pupil_id=a.pupil_2a, since="week").pack(),
    }
    [page] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    who = "· Māra Alfa-Matemātiķe (klases audzinātājs)"
    assert page.text.splitlines() == [
        "🕘 <b>Jānis Alfa-Bērziņš (5.a)</b> — izmaiņas kopš 20.11.2026",
        "1.–4. no 4",
        "",
        f"<b>26.11. 13:00</b> {who}",
        "Matemātika, 26.11.: uzdots mājas darbs — Uzd. 5 &lt;lpp. 12&gt;",
        "",
        f"<b>26.11. 12:00</b> {who}",
        "Matemātika, 26.11., 2. stunda: atzīmēts kavējums — nav ieradies",
        "",
        f"<b>26.11. 11:00</b> {who}",
        "Matemātika, 26.11. (Tests 1): vērtējums labots 7 → <b>8</b>",
        "",
        f"<b>26.11. 10:00</b> {who}",
        "Matemātika, 26.11. (Tests 1): jauns vērtējums <b>7</b>",
    ]
    assert "3" not in page.text.replace("13:00", "")  # the other pupil's mark
    assert list(buttons(page)) == [
        "Kopš vakardienas",
        "✓ Nedēļa",
        "Mēnesis",
        "👁 Kas skatīja datus",
        "⬅️ Izvēlne",
    ]

    [today] = await parent.press(HistoryCb(pupil_id=a.pupil_5a, since="yesterday").pack())
    assert today.text.startswith("🕘 <b>Jānis Alfa-Bērziņš (5.a)</b> — izmaiņas kopš 26.11.2026")
    [other] = await parent.press(HistoryCb(pupil_id=a.pupil_2a, since="month").pack())
    assert other.text.splitlines() == [
        "🕘 <b>Ērika Alfa-Bērziņa (2.a)</b> — izmaiņas kopš 28.10.2026",
        "",
        "Kopš šīs dienas nekas nav mainīts.",
    ]


async def test_pages_of_ten(core: Core, clock: FakeClock, chats: Chats) -> None:
    await changes(core, clock, chats.world, tests=12)
    a = chats.world.a
    pupil = chats.user(PUPIL)
    [first] = await pupil.send("/history")  # a pupil sees their own at once
    assert first.text.splitlines()[:2] == [
        "🕘 <b>Jānis Alfa-Bērziņš (5.a)</b> — changes since 20.11.2026",
        "1–10 of 15",
    ]
    assert "the school office" not in first.text
    older = HistoryCb(pupil_id=a.pupil_5a, since="week", offset=10).pack()
    assert buttons(first)["Older ▶"] == older
    [second] = await pupil.press(buttons(first)["Older ▶"])
    assert second.text.splitlines()[1] == "11–15 of 15"
    assert second.text.splitlines()[-1] == "Matemātika, 26.11. (Tests 1): new mark <b>7</b>"
    assert "Older ▶" not in buttons(second)
    [back] = await pupil.press(buttons(second)["◀ Newer"])
    assert back.text == first.text


async def test_crafted_buttons_never_show_another_pupil(
    core: Core, clock: FakeClock, chats: Chats
) -> None:
    await changes(core, clock, chats.world)
    a, b = chats.world.a, chats.world.b
    other_parent = chats.user(OTHER_PARENT)
    for pupil_id in (a.pupil_5a, a.pupil_2a, b.pupil_5a, 999_999):
        [refused] = await other_parent.press(HistoryCb(pupil_id=pupil_id, since="month").pack())
        assert refused.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    forged = HistoryCb(pupil_id=a.pupil_5a_second, since="week").pack()
    [refused] = await chats.user(PUPIL).press(forged)
    assert refused.text == "Pupil not found, or you have no access to their data."
    [own] = await other_parent.send("/history")  # their only child, directly
    assert own.text.startswith("🕘 <b>Anna Alfa-Kalniņa (5.a)</b>")
    assert "Jānis" not in own.text
    for forged in ("his:1:forever:0", "his:x:week:0"):
        [answer] = await other_parent.press(forged)
        assert answer.text == "Šī poga vairs nav spēkā. Atveriet izvēlni ar /start."


async def test_staff_without_children_have_nothing_to_pick(chats: Chats) -> None:
    [answer] = await chats.user(TEACHER).send("/history")
    assert answer.text == "Jums nav piesaistītu skolēnu, kuru izmaiņas skatīt."
    [help_text] = await chats.user(PARENT).send("/help")
    assert "/history — kas mainījies žurnālā" in help_text.text
    assert "/settings — valoda" in help_text.text
