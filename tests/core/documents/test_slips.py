"""Invitation slips: Latvian letters render, and every QR code decodes to its person's link."""

from __future__ import annotations

import pytest

from core.bootstrap import Core
from core.documents.slips import font_dir, invite_slips, render_slips
from core.domain.invites import deep_link
from core.i18n import Catalogs
from core.services.invites import Audience, issue_invites
from core.storage import tables as t
from tests.builders import build_world, insert, new_person, viewer
from tests.slipcheck import all_text, read_slips

BOT = "ejournal_test_bot"


def test_the_font_comes_from_an_installed_package() -> None:
    assert (font_dir() / "DejaVuSans.ttf").is_file()
    assert "mpl-data" in str(font_dir())


async def test_slips_render_latvian_letters_and_each_qr_is_the_persons_link(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    # Enough parents for two pages (eight slips a page).
    for number in range(8):
        parent = await new_person(core, "Ģirts", f"Šķēle-{number}")
        await insert(
            core, t.Guardianship(guardian_id=parent, pupil_id=a.pupil_2a, relation="father")
        )
    teacher = await viewer(core, a.latvian_teacher)
    batch = await issue_invites(
        core.uow(), teacher, audience=Audience.PARENTS, class_id=a.class_2a
    )
    assert len(batch.invites) == 9
    slips = invite_slips(
        batch.invites,
        school_name="Alfa pamatskola",
        bot_username=BOT,
        catalogs=Catalogs.load(),
        lang="lv",
    )
    pdf = render_slips(slips, title="Ielūgumi vecākiem, 2.a")
    text = all_text(pdf)
    for word in ("Bērziņa", "Ērika", "Ģirts", "Šķēle", "Derīgs līdz 11.12.2026", "Nospiediet"):
        assert word in text
    read = read_slips(pdf)
    assert [slip.page for slip in read] == [0] * 8 + [1]
    expected = {invite.full_name: deep_link(BOT, invite.code) for invite in batch.invites}
    for slip in read:
        [name] = [name for name in expected if name in slip.text]
        assert slip.codes == (expected.pop(name),)
    assert expected == {}


@pytest.mark.parametrize("lang", ["lv", "en", "ru"])
def test_the_slip_texts_exist_in_every_language(lang: str) -> None:
    catalogs = Catalogs.load()
    for key in ("slip.parent", "slip.pupil", "slip.staff", "slip.carer", "slip.valid_until"):
        assert catalogs.has(key, lang)
    for key in ("slip.instruction_1", "slip.instruction_2"):
        assert catalogs.has(key, lang)
    for audience in Audience:  # titles and file names are looked up by audience
        assert catalogs.has(f"slip.title.{audience.value}", lang)
        assert catalogs.has(f"slip.file.{audience.value}", lang)
