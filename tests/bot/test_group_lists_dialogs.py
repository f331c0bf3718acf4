"""/groups: a teacher ticks a group's pupils (or sends a file); the superuser decides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.callbacks import GroupListCb, GroupReviewCb, GroupToggleCb
from bot.i18n import Translator, load_catalogs
from bot.middlewares import TokenBuckets
from bot.views import group_lists as views
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.group_lists import ClassRef
from core.services.group_lists import GroupCandidates, ListedPupil, ListGroup
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, buttons, open_chats
from tests.core.services.test_group_lists import ListWorld, build_list_world

TEACHER, SUPERUSER, ENGLISH_TEACHER = 9301, 9302, 9303
TODAY = date(2026, 11, 27)


@pytest.fixture
async def lw(core: Core) -> ListWorld:
    return await build_list_world(core)


@pytest.fixture
async def chats(core: Core, lw: ListWorld) -> Chats:
    a = lw.world.a
    links = (
        (a.other_teacher, TEACHER, "lv"),
        (a.superuser, SUPERUSER, "lv"),
        (a.latvian_teacher, ENGLISH_TEACHER, "en"),
    )
    # A teacher taps quickly through a long list: no anti-flood pause in these dialogs.
    return await open_chats(core, lw.world, links, buckets=TokenBuckets(1000, 1000))


async def submissions(core: Core) -> list[tuple[str, list[int]]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.GroupListSubmission).order_by(t.GroupListSubmission.id)
        )
        return [(r.status, sorted(r.pupil_ids)) for r in rows]


async def members(core: Core, group_id: int) -> frozenset[int]:
    async with core.uow() as uow:
        return await uow.journal.group_members(group_id, TODAY)


async def test_a_teacher_ticks_two_classes_and_the_superuser_approves(
    core: Core, chats: Chats, lw: ListWorld
) -> None:
    a = lw.world.a
    teacher = chats.user(TEACHER)
    [groups] = await teacher.send("/groups")
    assert "Jūsu dalītās, apvienotās un interešu izglītības grupas" in groups.text
    [screen] = await teacher.press(buttons(groups)["5.a, 5.b Sports (0)"])
    assert "Klases: 5.a, 5.b" in screen.text
    assert "Saraksts vēl nav iesniegts." in screen.text

    [chooser] = await teacher.press(buttons(screen)["✏️ Atzīmēt skolēnus"])
    assert {"5.a (0/2)", "5.b (0/3)", "📨 Iesniegt (atzīmēti: 0)"} <= set(buttons(chooser))
    [page_5a] = await teacher.press(buttons(chooser)["5.a (0/2)"])
    assert list(buttons(page_5a))[:2] == ["Jānis A.", "Anna A."]
    [page_5a] = await teacher.press(buttons(page_5a)["Jānis A."])
    assert "✓ Jānis A." in buttons(page_5a)
    assert "Šajā klasē atzīmēti 1 no 2, kopā atzīmēti: 1." in page_5a.text

    [chooser] = await teacher.press(buttons(page_5a)["🏫 Citas klases"])
    [page_5b] = await teacher.press(buttons(chooser)["5.b (0/3)"])
    assert list(buttons(page_5b))[:3] == ["Emīls A.", "Roberts A.", "Zane A."]
    [page_5b] = await teacher.press(buttons(page_5b)["Zane A."])
    [page_5b] = await teacher.press(buttons(page_5b)["Roberts A."])
    [page_5b] = await teacher.press(buttons(page_5b)["Emīls A."])
    [page_5b] = await teacher.press(buttons(page_5b)["✓ Emīls A."])  # changed her mind
    assert {"Emīls A.", "✓ Roberts A.", "✓ Zane A."} <= set(buttons(page_5b))

    [question] = await teacher.press(buttons(page_5b)["📨 Iesniegt (atzīmēti: 3)"])
    assert "<b>5.a</b>: Jānis Alfa-Bērziņš" in question.text
    assert "<b>5.b</b>: Roberts Alfa-Čakste, Zane Alfa-Ozola" in question.text
    assert "pievienoti 3, izņemti 0" in question.text
    assert await submissions(core) == []
    [done] = await teacher.press(buttons(question)["✅ Iesniegt"])
    assert "saraksts (skolēni: 3) iesniegts" in done.text
    wanted = sorted([a.pupil_5a, lw.pupil_5b_cakste, lw.pupil_5b_ozola])
    assert await submissions(core) == [("pending", wanted)]

    [groups] = await teacher.send("/groups")
    assert "⏳ 5.a, 5.b Sports (0)" in buttons(groups)
    [screen] = await teacher.press(buttons(groups)["⏳ 5.a, 5.b Sports (0)"])
    assert "⏳ Saraksts (skolēni: 3) iesniegts 27.11.2026, gaida apstiprinājumu." in screen.text

    superuser = chats.user(SUPERUSER)
    [overview] = await superuser.send("/groups")
    assert "Apstiprināšanu gaida sarakstu: 1." in overview.text
    [waiting] = await superuser.press(buttons(overview)["📋 Iesniegtie saraksti (1)"])
    [review] = await superuser.press(
        buttons(waiting)["5.a, 5.b Sports — Pēteris Alfa-Sportists (3)"]
    )
    assert "Iesniedza Pēteris Alfa-Sportists, 27.11.2026." in review.text
    assert "+ Roberts Alfa-Čakste (5.b)" in review.text
    assert "−" not in review.text
    assert await members(core, lw.sports) == frozenset()
    [approved] = await superuser.press(buttons(review)["✅ Apstiprināt"])
    assert approved.text.startswith("✅ Saraksts apstiprināts.")
    assert "pievienoti 3, izņemti 0; skolēnu skaits tagad: 3" in approved.text
    assert await members(core, lw.sports) == frozenset(wanted)
    assert await submissions(core) == [("approved", wanted)]

    [screen] = await teacher.press(GroupListCb(action="open", group_id=lw.sports).pack())
    assert "✅ Saraksts (skolēni: 3) apstiprināts 27.11.2026." in screen.text
    assert "Skolēnu skaits grupā tagad: 3." in screen.text
    [again] = await superuser.press(GroupReviewCb(action="approve", submission_id=1).pack())
    assert again.text == "Par šo sarakstu jau ir lemts, vai arī to aizstājis jaunāks saraksts."


async def test_forged_buttons_for_someone_elses_group_are_refused(
    core: Core, chats: Chats, lw: ListWorld
) -> None:
    a = lw.world.a
    teacher = chats.user(TEACHER)
    refusal_text = "Žurnāls (mācību grupa) nav atrasts vai jums nav piekļuves tam."
    [refusal] = await teacher.press(GroupToggleCb(group_id=lw.english, pupil_id=a.pupil_5a).pack())
    assert refusal.text == refusal_text
    [refusal] = await teacher.press(GroupListCb(action="send", group_id=lw.english).pack())
    assert refusal.text == refusal_text
    [refusal] = await teacher.press(
        GroupListCb(action="open", group_id=lw.world.b.math_group).pack()
    )
    assert refusal.text == refusal_text
    # The English teacher's own list; the sports teacher may not decide it.
    english = chats.user(ENGLISH_TEACHER)
    [screen] = await english.press(GroupListCb(action="edit", group_id=lw.english).pack())
    [screen] = await english.press(buttons(screen)["Jānis A."])
    [question] = await english.press(buttons(screen)["📨 Submit (1 pupils)"])
    [sent] = await english.press(buttons(question)["✅ Submit"])
    assert "is submitted" in sent.text
    [refusal] = await teacher.press(GroupReviewCb(action="approve", submission_id=1).pack())
    assert refusal.text == "Grupas saraksts nav atrasts vai jums nav piekļuves tam."
    assert await submissions(core) == [("pending", [a.pupil_5a])]
    assert await members(core, lw.english) == frozenset()


async def test_a_file_sent_in_the_groups_dialog_is_its_list(
    core: Core, chats: Chats, lw: ListWorld
) -> None:
    teacher = chats.user(TEACHER)
    [refused] = await teacher.send_document("saraksts.csv", b"Klase;Uzvards;Vards\n")
    assert refused.text == "Failus (stundu sarakstu) pieņemam tikai no skolas vadības."

    await teacher.press(GroupListCb(action="open", group_id=lw.sports).pack())
    bad = "Klase;Uzvārds;Vārds\n5.a;Alfa-Bērziņš;Jānis\n5.b;Alfa-Nezināmā;Ieva\n".encode()
    [rejected] = await teacher.send_document("saraksts.csv", bad)
    assert rejected.text.splitlines() == [
        "Problēmas failā: 1. Nekas nav iesniegts.",
        "• 3. rinda: Klasē 5.b nav skolēna „Ieva Alfa-Nezināmā”.",
    ]
    assert await submissions(core) == []
    good = "Klase;Uzvārds;Vārds\n5.a;Alfa-Bērziņš;Jānis\n5.b;Alfa-Ozola;Zane\n".encode()
    [done] = await teacher.send_document("saraksts.csv", good)
    assert "saraksts (skolēni: 2) iesniegts" in done.text
    assert await submissions(core) == [
        ("pending", sorted([lw.world.a.pupil_5a, lw.pupil_5b_ozola]))
    ]

    # Half an hour after the group's screen was last used, a file is no longer its list.
    clock = core.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(minutes=31))
    [later] = await teacher.send_document("saraksts.csv", good)
    assert later.text == "Failus (stundu sarakstu) pieņemam tikai no skolas vadības."
    assert len(await submissions(core)) == 1


async def test_the_superuser_rejects_with_a_reason_the_teacher_then_reads(
    core: Core, chats: Chats, lw: ListWorld
) -> None:
    teacher = chats.user(TEACHER)
    await teacher.press(GroupListCb(action="open", group_id=lw.sports).pack())
    await teacher.send_document("s.csv", "Klase;Skolēns\n5.a;Anna Alfa-Kalniņa\n".encode())
    superuser = chats.user(SUPERUSER)
    [question] = await superuser.press(GroupReviewCb(action="reject", submission_id=1).pack())
    assert question.text.startswith("Uzrakstiet, kāpēc saraksts tiek noraidīts.")
    [rejected] = await superuser.send("Trūkst 5.b skolēnu")
    assert rejected.text.startswith("❌ Grupas <b>5.a, 5.b Sports</b> saraksts noraidīts.")
    assert await submissions(core) == [("rejected", [lw.world.a.pupil_5a_second])]
    assert await members(core, lw.sports) == frozenset()
    [screen] = await teacher.press(GroupListCb(action="open", group_id=lw.sports).pack())
    assert "❌ Saraksts noraidīts 27.11.2026. Iemesls: Trūkst 5.b skolēnu" in screen.text


async def test_teachers_and_managers_get_groups_in_their_menu_and_help(chats: Chats) -> None:
    for user_id in (TEACHER, SUPERUSER):
        await chats.user(user_id).send("/start")
        assert "groups" in chats.chat_commands(user_id)
    [help_text] = await chats.user(TEACHER).send("/help")
    assert (
        "/groups — dalīto, apvienoto un interešu izglītības grupu skolēnu saraksti"
        in help_text.text
    )
    [help_text] = await chats.user(SUPERUSER).send("/help")
    assert "/groups — skolotāju iesniegtie grupu saraksti" in help_text.text


def test_a_big_class_is_shown_in_pages_of_thirty() -> None:
    t = Translator(load_catalogs(), "lv")
    pupils = tuple(
        ListedPupil(100 + n, f"Vārds{n:02d}", f"Uzvārds{n:02d}", 7, "9.a") for n in range(35)
    )
    group = ListGroup(
        1, 1, "9.a Informātika (1. grupa)", "part", None, (ClassRef(7, "9.a"),), 0, None
    )
    found = GroupCandidates(group, pupils, frozenset(), None)
    first = views.class_page(found, 7, 0, {100, 134}, t)
    labels = [b.text for row in first.keyboard.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert labels[:2] == ["✓ Vārds00 U.", "Vārds01 U."]
    assert sum(1 for label in labels if label.startswith(("Vārds", "✓"))) == 30
    assert "Nākamā ▶" in labels
    assert "Lapa 1 no 2." in first.text
    second = views.class_page(found, 7, 1, {100, 134}, t)
    labels = [b.text for row in second.keyboard.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert "✓ Vārds34 U." in labels
    assert "◀ Iepriekšējā" in labels
    assert views.page_of(found, 134) == (7, 1)
