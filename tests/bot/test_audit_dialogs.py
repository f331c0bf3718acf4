""" "👁 Who viewed the data" from /history, and /disclosures for the superuser, through the bot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.callbacks import AccessHistoryCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services.disclosure import disclose
from core.services.marks import pupil_marks
from tests.bot.harness import Chats, buttons, open_chats
from tests.builders import add_caregiver, build_world, viewer

PARENT, OTHER_PARENT, PUPIL, SUPERUSER, CARER = 9501, 9502, 9503, 9504, 9505


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    carer = await add_caregiver(core, guardian_id=world.a.parent_5a, pupil_id=world.a.pupil_5a)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.parent_5a_second, OTHER_PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "en"),
        (world.a.superuser, SUPERUSER, "lv"),
        (carer, CARER, "lv"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def test_a_parent_sees_who_viewed_the_childs_data(
    core: Core, clock: FakeClock, chats: Chats
) -> None:
    a = chats.world.a
    clock.set(datetime(2026, 11, 26, 8, 5, tzinfo=UTC))  # 10:05 in Riga
    await pupil_marks(core.uow(), await viewer(core, a.math_teacher), pupil_id=a.pupil_5a)
    clock.set(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))

    parent = chats.user(PARENT)
    [picker] = await parent.send("/history")
    [changes] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    press = AccessHistoryCb(pupil_id=a.pupil_5a).pack()
    assert buttons(changes)["👁 Kas skatīja datus"] == press
    [screen] = await parent.press(press)
    assert screen.text.splitlines() == [
        "👁 <b>Jānis Alfa-Bērziņš (5.a)</b> — kas skatīja datus kopš 27.11.2025",
        "",
        "<b>26.11.2026 10:05</b> · Māra Alfa-Matemātiķe (klases audzinātājs)",
        "atvēra vērtējumus",
    ]  # the parent's own look at /history is not listed
    assert "◀ Izmaiņas žurnālā" in buttons(screen)

    [own] = await chats.user(PUPIL).press(press)
    assert "Māra Alfa-Matemātiķe (form teacher)" in own.text
    assert "opened the marks" in own.text


async def test_others_get_not_found_and_see_no_button(chats: Chats) -> None:
    a = chats.world.a
    press = AccessHistoryCb(pupil_id=a.pupil_5a).pack()
    for user in (OTHER_PARENT, SUPERUSER, CARER):
        [refused] = await chats.user(user).press(press)
        assert refused.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
        assert "Māra" not in refused.text
    [changes] = await chats.user(CARER).send("/history")  # one child: straight to the changes
    assert "Jānis Alfa-Bērziņš" in changes.text
    assert "👁 Kas skatīja datus" not in buttons(changes)  # a read-only carer


async def test_the_superuser_lists_disclosures(core: Core, chats: Chats) -> None:
    a = chats.world.a
    superuser = chats.user(SUPERUSER)
    [empty] = await superuser.send("/disclosures")
    assert "Personas dati nav izpausti." in empty.text
    await disclose(
        core.uow(),
        Viewer.console(),
        person_id=a.pupil_5a,
        basis="Bāriņtiesu likums <9. pants>",
        requester="Rīgas bāriņtiesa",
        file_name="j.zip",
    )
    [listed] = await superuser.send("/disclosures")
    assert listed.text.splitlines()[2:] == [
        "<b>27.11.2026 10:00</b> · Jānis Alfa-Bērziņš",
        "Pamats: Bāriņtiesu likums &lt;9. pants&gt;",
        "Pieprasītājs: Rīgas bāriņtiesa · 6 ieraksti",
    ]
    [refused] = await chats.user(PARENT).send("/disclosures")
    assert "Rīgas bāriņtiesa" not in refused.text
