"""Report cards (rule 5.2): confirmed marks only, lessons, absences, signatures; who may read
and who may send them to the families."""

from __future__ import annotations

import pytest

from core.bootstrap import Core
from core.documents.report_cards import (
    card_file_name,
    class_report_cards_pdf,
    mark_text,
    report_card_pdf,
)
from core.domain.marks import MarkScale, MarkValue
from core.errors import InvalidInput, NotAllowed, NotFound
from core.services import period_marks, report_cards
from core.storage import tables as t
from tests.builders import World, build_world, insert, new_person, viewer
from tests.reportkit import fill_journal, flat, pdf_text, rows, use_semester_marks


async def latvian_for_5a(core: Core, world: World) -> int:
    """5.a Latvian (Ilze teaches it): two lessons, a mark, no confirmed year mark."""
    a = world.a
    [subject] = await rows(core, t.Subject, school_id=a.school_id, short_name="LV")
    [group] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            subject_id=subject.id,
            name="5.a Latviešu valoda",
            kind="class",
            grade=5,
        ),
    )
    start = (await rows(core, t.SchoolYear, id=a.year_id))[0].starts_on
    now = core.clock.now()
    await insert(
        core,
        t.GroupTeacher(group_id=group, teacher_id=a.latvian_teacher),
        t.GroupClass(group_id=group, class_id=a.class_5a),
        *(
            t.GroupMember(group_id=group, pupil_id=p, starts_on=start, ends_on=None)
            for p in (a.pupil_5a, a.pupil_5a_second)
        ),
        *(
            t.Lesson(
                school_id=a.school_id,
                group_id=group,
                on_date=on,
                period=3,
                teacher_id=a.latvian_teacher,
                is_substitution=False,
                created_at=now,
                updated_at=now,
            )
            for on in (start, start.replace(day=start.day + 1))
        ),
    )
    return group


async def test_a_card_shows_confirmed_marks_lessons_absences_and_signatures(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    await latvian_for_5a(core, world)
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    # Jānis's year mark is confirmed; Anna's proposal (6) is not: it must not reach her card.
    await period_marks.confirm_period_marks(
        core.uow(), teacher, group_id=a.math_group, term=None, marks={a.pupil_5a: "8"}
    )

    card = await report_cards.report_card(
        core.uow(), teacher, pupil_id=a.pupil_5a, school_year_id=a.year_id
    )
    lines = [(s.subject, s.lessons, s.year, s.absences) for s in card.subjects]
    assert lines == [
        ("Latviešu valoda", 2, None, 0),
        ("Matemātika", 5, MarkValue.mark("8"), 2),
    ]
    assert card.terms == ()
    summary = card.attendance
    assert (summary.absent_lessons, summary.justified, summary.unexcused, summary.late) == (
        2,
        1,
        1,
        1,
    )
    assert (card.class_teacher, card.director) == ("Māra Alfa-Matemātiķe", "Andris Alfa-Direktors")
    assert not card.confirmed

    text = pdf_text(report_card_pdf(card, catalogs=core.catalogs, lang="lv"))
    for expected in (
        "Alfa pamatskola",
        "LIECĪBA",
        "Mācību gads: 2026/2027",
        "Skolēns: Jānis Alfa-Bērziņš",
        "Klase: 5.a",
        "Gada vērtējums",
        "8 (ļoti labi)",
        "Latviešu valoda",
        "Kavētās mācību stundas šajā mācību gadā: 2 (attaisnotas: 1, neattaisnotas: 1)",
        "Nokavēts stundas sākums: 1.",
        "Klases audzinātājs: Māra Alfa-Matemātiķe",
        "Direktors: Andris Alfa-Direktors",
        "Izsniegšanas datums: 27.11.2026",
    ):
        assert expected in flat(text), expected
    cells = text.splitlines()  # pypdf gives a table cell per line, row by row
    math = cells.index("Matemātika")
    assert cells[math : math + 4] == ["Matemātika", "5", "8 (ļoti labi)", "2"]
    latvian = cells.index("Latviešu valoda")
    assert cells[latvian : latvian + 4] == ["Latviešu valoda", "2", "—", "0"]

    anna = await report_cards.report_card(
        core.uow(), teacher, pupil_id=a.pupil_5a_second, school_year_id=a.year_id
    )
    assert [s.year for s in anna.subjects] == [None, None]
    anna_text = pdf_text(report_card_pdf(anna, catalogs=core.catalogs, lang="lv"))
    assert "Anna Alfa-Kalniņa" in anna_text
    assert "gandrīz labi" not in anna_text  # the unconfirmed proposal "6 (gandrīz labi)"
    assert "Kavētās mācību stundas šajā mācību gadā: 1 (attaisnotas: 1, neattaisnotas: 0)" in (
        flat(anna_text)
    )


async def test_grade_two_card_writes_learning_levels_as_words(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    teacher = await viewer(core, a.latvian_teacher)
    await period_marks.confirm_proposals(core.uow(), teacher, group_id=a.latvian_group, term=None)

    cards = await report_cards.class_report_cards(core.uow(), teacher, class_id=a.class_2a)

    [card] = cards.cards
    assert [(s.subject, s.scale, s.year) for s in card.subjects] == [
        ("Latviešu valoda", MarkScale.LEVELS, MarkValue.mark("A"))
    ]
    text = pdf_text(class_report_cards_pdf(cards, catalogs=core.catalogs, lang="lv"))
    assert "Ērika Alfa-Bērziņa" in text
    assert "apguvis" in text
    assert "Klases audzinātājs: Ilze Alfa-Valodniece" in flat(text)
    english = pdf_text(report_card_pdf(card, catalogs=core.catalogs, lang="en"))
    assert "REPORT CARD" in english
    assert "has learned" in english


async def test_semester_marks_appear_where_the_school_gives_them(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    await use_semester_marks(core, a.school_id, [5])
    teacher = await viewer(core, a.math_teacher)
    await period_marks.confirm_period_marks(
        core.uow(), teacher, group_id=a.math_group, term=1, marks={a.pupil_5a: "9"}
    )

    card = await report_cards.report_card(
        core.uow(), teacher, pupil_id=a.pupil_5a, school_year_id=a.year_id
    )

    assert card.terms == (1, 2)
    [math] = card.subjects
    assert (math.semesters, math.year) == ((MarkValue.mark("9"), None), None)
    text = pdf_text(report_card_pdf(card, catalogs=core.catalogs, lang="lv"))
    assert "1. semestra vērtējums" in flat(text)
    assert "2. semestra vērtējums" in flat(text)
    assert "9 (teicami)" in text


async def test_a_class_pdf_has_a_page_per_pupil_in_latvian_order(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    director = await viewer(core, a.director)
    seen: list[tuple[int, int]] = []

    cards = await report_cards.class_report_cards(core.uow(), director, class_id=a.class_5a)
    pdf = class_report_cards_pdf(
        cards, catalogs=core.catalogs, lang="lv", progress=lambda d, n: seen.append((d, n))
    )

    assert [c.pupil.full_name for c in cards.cards] == ["Jānis Alfa-Bērziņš", "Anna Alfa-Kalniņa"]
    pages = pdf_text(pdf).split("LIECĪBA")[1:]
    assert ["Jānis Alfa-Bērziņš" in p for p in pages] == [True, False]
    assert ["Anna Alfa-Kalniņa" in p for p in pages] == [False, True]
    assert seen[-1] == (2, 2)
    assert (1, 2) in seen
    assert card_file_name(cards.cards[0], core.catalogs, "lv") == (
        "lieciba-5.a-alfa-berzins-janis.pdf"
    )
    assert mark_text(MarkScale.TEN_POINT, None, "lv") == "—"


async def test_teachers_of_other_classes_parents_and_other_schools_are_refused(
    core: Core,
) -> None:
    world = await build_world(core)
    a = world.a
    for person in (
        a.latvian_teacher,  # class teacher of 2.a, not of 5.a
        a.other_teacher,
        a.parent_5a,
        a.pupil_5a,
        world.b.director,
    ):
        somebody = await viewer(core, person)
        with pytest.raises(NotFound):
            await report_cards.report_card(
                core.uow(), somebody, pupil_id=a.pupil_5a, school_year_id=a.year_id
            )
        with pytest.raises(NotFound):
            await report_cards.class_report_cards(core.uow(), somebody, class_id=a.class_5a)
    superuser = await viewer(core, a.superuser)
    card = await report_cards.report_card(
        core.uow(), superuser, pupil_id=a.pupil_5a, school_year_id=a.year_id
    )
    assert card.klass.name == "5.a"
    reads = [e for e in await rows(core, t.AuditEntry) if e.action == "read.report_card"]
    assert [(e.actor_id, e.subject_person_id) for e in reads] == [(a.superuser, a.pupil_5a)]


async def test_only_managers_send_cards_and_the_same_card_is_stored_once(core: Core) -> None:
    world = await build_world(core)
    await fill_journal(core, world)
    a = world.a
    carer = await new_person(core, "Vilma", "Aprūpētāja")
    await insert(
        core,
        t.Guardianship(guardian_id=carer, pupil_id=a.pupil_5a, relation="carer", read_only=True),
    )
    superuser = await viewer(core, a.superuser)
    cards = await report_cards.class_report_cards(core.uow(), superuser, class_id=a.class_5a)
    documents = {
        card.pupil.id: (
            card_file_name(card, core.catalogs, "lv"),
            report_card_pdf(card, catalogs=core.catalogs, lang="lv"),
        )
        for card in cards.cards
    }

    class_teacher = await viewer(core, a.math_teacher)
    with pytest.raises(NotAllowed):
        await report_cards.issue_report_cards(
            core.uow(), class_teacher, class_id=a.class_5a, documents=documents
        )
    with pytest.raises(InvalidInput) as not_pdf:
        await report_cards.issue_report_cards(
            core.uow(),
            superuser,
            class_id=a.class_5a,
            documents={a.pupil_5a: ("x.pdf", b"hello")},
        )
    assert not_pdf.value.key == "report_card.not_a_pdf"
    with pytest.raises(InvalidInput) as stranger:
        await report_cards.issue_report_cards(
            core.uow(),
            superuser,
            class_id=a.class_5a,
            documents={a.pupil_2a: documents[a.pupil_5a]},
        )
    assert stranger.value.key == "report_card.pupil_not_in_class"
    assert await rows(core, t.DomainEvent, kind="report_card.issued") == []

    issued = await report_cards.issue_report_cards(
        core.uow(), superuser, class_id=a.class_5a, documents=documents
    )
    # parents with full rights: Līga (Jānis) and Kārlis (Anna); the carer is not counted
    assert (issued.pupils, issued.parents, issued.connected) == (2, 2, 0)
    events = await rows(core, t.DomainEvent, kind="report_card.issued")
    assert {e.payload["pupil_id"] for e in events} == {a.pupil_5a, a.pupil_5a_second}
    files = await rows(core, t.StoredFile)
    assert len(files) == 2
    by_id = {f.id: f for f in files}
    for event in events:
        stored = by_id[event.payload["file_id"]]
        assert bytes(stored.content) == documents[event.payload["pupil_id"]][1]
        assert stored.mime_type == "application/pdf"
    await report_cards.issue_report_cards(
        core.uow(), superuser, class_id=a.class_5a, documents=documents
    )
    assert len(await rows(core, t.StoredFile)) == 2  # the same bytes are stored once
    assert len(await rows(core, t.DomainEvent, kind="report_card.issued")) == 4
