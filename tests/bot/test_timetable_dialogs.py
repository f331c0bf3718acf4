"""/timetable for parents, pupils and teachers, and the superuser's upload → preview → confirm."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.callbacks import TimetableCb, TimetableImportCb
from core.bootstrap import Core
from core.services.timetable_changes import ChangeKind, add_change, day_plan, publish_changes
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import Chats, buttons, open_chats
from tests.builders import WEEK_TIMETABLE_CSV, build_timetable, build_world, viewer

PARENT, PUPIL, TEACHER, SUPERUSER = 9101, 9102, 9103, 9104
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
NEXT_MONDAY = date(2026, 11, 30)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "lv"),
        (world.a.math_teacher, TEACHER, "en"),
        (world.a.superuser, SUPERUSER, "lv"),
    )
    return await open_chats(core, world, links)


async def slot_count(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.TimetableSlot)) or 0)


async def test_a_parent_picks_a_child_and_every_screen_names_the_child(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    await build_timetable(core, chats.world)
    parent = chats.user(PARENT)
    [picker] = await parent.send("/timetable")
    assert picker.text == "Kura stundu sarakstu parādīt?"
    assert set(buttons(picker)) == {"Jānis Alfa-Bērziņš (5.a)", "Ērika Alfa-Bērziņa (2.a)"}

    [week] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    lines = week.text.splitlines()
    assert lines[:2] == ["🗓 <b>Jānis Alfa-Bērziņš</b> — stundu saraksts", "Nedēļa 23.11.–29.11."]
    assert "<b>Pirmdiena, 23.11.</b>" in lines
    assert "1. 8:30–9:10 Matemātika (Māra Alfa-Matemātiķe, 101)" in lines
    assert "Latviešu valoda" not in week.text
    assert "<b>Sestdiena, 28.11.</b>" not in lines  # a five-day school
    assert {"◀ Iepriekšējā", "Nākamā ▶"} <= set(buttons(week))
    assert len(buttons(week)) == 3  # and the main menu

    [following] = await parent.press(buttons(week)["Nākamā ▶"])
    assert following.text.splitlines()[:2] == [
        "🗓 <b>Jānis Alfa-Bērziņš</b> — stundu saraksts",
        "Nedēļa 30.11.–06.12.",
    ]
    [second] = await parent.press(
        TimetableCb(whose="p", person_id=a.pupil_2a, day=NEXT_MONDAY.toordinal()).pack()
    )
    assert second.text.startswith("🗓 <b>Ērika Alfa-Bērziņa</b> — stundu saraksts")
    assert "2. 9:20–10:00 Latviešu valoda (Ilze Alfa-Valodniece, 12)" in second.text


async def test_a_pupil_sees_their_own_week_directly(core: Core, chats: Chats) -> None:
    await build_timetable(core, chats.world)
    [week] = await chats.user(PUPIL).send("/timetable")
    assert week.text.startswith("🗓 <b>Jānis Alfa-Bērziņš</b> — stundu saraksts")
    assert "<b>Otrdiena, 24.11.</b>\n2. 9:20–10:00 Matemātika" in week.text
    assert "<b>Trešdiena, 25.11.</b>\nstundu nav" in week.text


async def test_a_teacher_sees_their_teaching_week_in_english(core: Core, chats: Chats) -> None:
    await build_timetable(core, chats.world)
    [week] = await chats.user(TEACHER).send("/timetable")
    lines = week.text.splitlines()
    assert lines[0] == "🗓 <b>Māra Alfa-Matemātiķe</b> — teaching timetable"
    assert "<b>Monday, 23.11.</b>" in lines
    assert "1. 8:30–9:10 5.a Matemātika (101)" in lines


async def test_published_changes_are_marked_in_the_week(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await build_timetable(core, chats.world)
    boss = await viewer(core, a.superuser)
    plan = {
        (p.on, p.period): p.slot_id
        for day in (NEXT_MONDAY, NEXT_MONDAY + timedelta(days=1), NEXT_MONDAY + timedelta(days=3))
        for p in (await day_plan(core.uow(), boss, school_id=a.school_id, on=day)).lessons
    }
    tuesday, thursday = NEXT_MONDAY + timedelta(days=1), NEXT_MONDAY + timedelta(days=3)
    changes: list[tuple[date, ChangeKind, int, dict[str, Any]]] = [
        (NEXT_MONDAY, "substitution", 1, {"teacher_id": a.other_teacher}),
        (NEXT_MONDAY, "cancel", 2, {}),
        (tuesday, "room", 2, {"room": "205"}),
        (thursday, "move", 3, {"new_period": 5}),
    ]
    for on, kind, period, extra in changes:
        await add_change(
            core.uow(),
            boss,
            school_id=a.school_id,
            on=on,
            kind=kind,
            slot_id=plan[(on, period)],
            **extra,
        )
    # Drafts are not shown.
    [draft_week] = await chats.user(PARENT).press(
        TimetableCb(whose="p", person_id=a.pupil_5a, day=NEXT_MONDAY.toordinal()).pack()
    )
    assert "<s>" not in draft_week.text
    for on in (NEXT_MONDAY, tuesday, thursday):
        await publish_changes(core.uow(), boss, school_id=a.school_id, on=on)

    parent = chats.user(PARENT)
    [first_child] = await parent.press(
        TimetableCb(whose="p", person_id=a.pupil_5a, day=NEXT_MONDAY.toordinal()).pack()
    )
    lines = first_child.text.splitlines()
    assert (
        "1. 8:30–9:10 Matemātika (<s>Māra Alfa-Matemātiķe</s> → Pēteris Alfa-Sportists, 101)"
        " — aizvietošana"
    ) in lines
    assert "2. 9:20–10:00 Matemātika (Māra Alfa-Matemātiķe, 101 → 205) — cits kabinets" in lines
    [second_child] = await parent.press(
        TimetableCb(whose="p", person_id=a.pupil_2a, day=NEXT_MONDAY.toordinal()).pack()
    )
    lines = second_child.text.splitlines()
    assert "<s>2. 9:20–10:00 Latviešu valoda (Ilze Alfa-Valodniece, 12)</s> — nenotiks" in lines
    [away] = [line for line in lines if line.startswith("<s>3.")]
    assert away.endswith("Latviešu valoda (Ilze Alfa-Valodniece)</s> — pārcelta uz 5. stundu")
    [here] = [line for line in lines if line.startswith("5.")]
    assert here.endswith("Latviešu valoda (Ilze Alfa-Valodniece) — pārcelta no 3. stundas")

    [teacher] = await chats.user(TEACHER).press(
        TimetableCb(whose="t", person_id=a.math_teacher, day=NEXT_MONDAY.toordinal()).pack()
    )
    lines = teacher.text.splitlines()
    assert (
        "1. 8:30–9:10 5.a Matemātika (<s>Māra Alfa-Matemātiķe</s> → Pēteris Alfa-Sportists, 101)"
        " — substitute"
    ) in lines
    assert "2. 9:20–10:00 5.a Matemātika (101 → 205) — room changed" in lines


async def test_crafted_timetable_buttons_are_refused(core: Core, chats: Chats) -> None:
    world = chats.world
    await build_timetable(core, world)
    foreign = world.a.pupil_5a_second  # another parent's child
    [refusal] = await chats.user(PARENT).press(
        TimetableCb(whose="p", person_id=foreign, day=0).pack()
    )
    assert refusal.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    [refusal] = await chats.user(PUPIL).press(
        TimetableCb(whose="t", person_id=world.a.latvian_teacher, day=0).pack()
    )
    assert refusal.text == "Persona nav atrasta."
    [refusal] = await chats.user(TEACHER).press(
        TimetableCb(whose="p", person_id=world.b.pupil_5a, day=10**9).pack()
    )
    assert refusal.text == "Pupil not found, or you have no access to their data."


async def test_the_superuser_uploads_previews_and_confirms(core: Core, chats: Chats) -> None:
    superuser = chats.user(SUPERUSER)
    data = WEEK_TIMETABLE_CSV.format(a="Alfa").encode()
    [preview] = await superuser.send_document("week.csv", data)
    assert preview.text.splitlines()[0] == (
        "Stundu saraksts 1. semestrim — priekšskatījums (nekas nav mainīts):"
    )
    assert "Stundas sarakstā: 4 (jaunas 4, noņemtas 0)." in preview.text
    assert set(buttons(preview)) == {"✅ Ielādēt", "Atcelt"}
    assert await slot_count(core) == 0

    [done] = await superuser.press(buttons(preview)["✅ Ielādēt"])
    assert done.text.startswith("Stundu saraksts 1. semestrim ielādēts:")
    assert buttons(done) == {}
    assert await slot_count(core) == 4

    [again] = await superuser.press(TimetableImportCb(action="apply").pack())
    assert again.text == (
        "Šī priekšskatījuma fails vairs nav pieejams. Lūdzu, nosūtiet failu vēlreiz."
    )
    [same] = await superuser.send_document("again.csv", data)
    assert "Saraksts jau sakrīt ar failu" in same.text
    assert buttons(same) == {}


async def test_cancel_bad_files_and_non_managers_change_nothing(core: Core, chats: Chats) -> None:
    superuser = chats.user(SUPERUSER)
    data = WEEK_TIMETABLE_CSV.format(a="Alfa").encode()
    [preview] = await superuser.send_document("week.csv", data)
    [cancelled] = await superuser.press(buttons(preview)["Atcelt"])
    assert cancelled.text == "Atcelts. Nekas nav mainīts."
    [expired] = await superuser.press(TimetableImportCb(action="apply").pack())
    assert "vairs nav pieejams" in expired.text

    bomb = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "x">]><t>&a;</t>'
    [rejected] = await superuser.send_document("asc.xml", bomb)
    assert rejected.text.startswith("Failā atrastas 1 problēmas. Nekas nav mainīts.")
    assert "DOCTYPE" in rejected.text

    [blocked] = await superuser.send_document(
        "timetable.csv", (SAMPLES / "timetable.csv").read_bytes()
    )
    assert "Importēt vēl nevar" in blocked.text
    assert "Klase “1.a” šajā mācību gadā nav atrasta." in blocked.text
    assert buttons(blocked) == {}

    [refused] = await chats.user(PUPIL).send_document("week.csv", data)
    assert refused.text == "Failus (stundu sarakstu) pieņemam tikai no skolas vadības."
    assert await slot_count(core) == 0
