"""Odd Unicode and oversized texts.

Names: invisible characters (zero-width space/joiners, BOM, direction marks and overrides) and
emoji are refused at import, naming the character as U+XXXX; decomposed letters (a letter plus a
combining mark) are accepted and stored composed (NFC). Texts (topics, homework, news, mail) keep
emoji exactly. Texts beyond their limits are refused with a message in lv/en/ru and write nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.domain import mail as mail_rules
from core.domain import news as news_rules
from core.errors import DomainError, ImportRejected, InvalidInput
from core.services import lessons, mail, news
from core.services.people import import_people
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, viewer
from tests.fuzz.mutations import assert_clear_refusal
from tests.fuzz.test_fuzz_imports_db import counts

HEADER = (
    "type;key;given_name;family_name;personal_code;class;grade;class_teacher;children;"
    "relation;roles;phone;email;birth_date\n"
)
EMOJI_TEXT = "Daļskaitļi 🍕➗ un ģimene 👨‍👩‍👧 — 👍🏽 ✔️"


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def import_staff(core: Core, world: World, given: str, family: str) -> None:
    row = f"staff;S-900;{given};{family};;;;;;;teacher;;;\n"
    await import_people(
        core.uow(),
        await viewer(core, world.a.superuser),
        school_id=world.a.school_id,
        data=(HEADER + row).encode(),
        filename="people.csv",
    )


@pytest.mark.parametrize(
    ("given", "family", "code"),
    [
        ("Jā\u200bnis", "Ozols", "U+200B"),  # zero-width space
        ("Jānis", "Ozols\u200f", "U+200F"),  # right-to-left mark
        ("\u202eJānis", "Ozols", "U+202E"),  # right-to-left override
        ("Jānis", "Oz\u200dols", "U+200D"),  # zero-width joiner
        ("Jā\ufeffnis", "Ozols", "U+FEFF"),  # a BOM inside a cell
        ("Jānis", "Ozols\u2066", "U+2066"),  # left-to-right isolate
        ("Jānis😀", "Ozols", "U+1F600"),  # emoji
    ],
)
async def test_names_with_invisible_characters_or_emoji_are_refused(
    core: Core, world: World, given: str, family: str, code: str
) -> None:
    before = await counts(core)
    with pytest.raises(ImportRejected) as caught:
        await import_staff(core, world, given, family)
    [problem] = caught.value.problems
    assert problem.key == "import.row.name_invalid"
    assert code in str(problem.params["char"])
    assert_clear_refusal(caught.value)
    assert await counts(core) == before


async def test_decomposed_letters_are_accepted_and_stored_composed(
    core: Core, world: World
) -> None:
    await import_staff(core, world, "Ja\u0304nis", "Kal\u0327nin\u0327s")  # combining marks
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(select(t.Person.given_name, t.Person.family_name))
        names = {(given, family) for given, family in rows}
    assert ("Jānis", "Kaļniņs") in names
    assert ("Ja\u0304nis", "Kal\u0327nin\u0327s") not in names


async def test_lesson_texts_keep_emoji_and_refuse_beyond_the_limit(
    core: Core, world: World
) -> None:
    teacher = await viewer(core, world.a.math_teacher)
    kept = await lessons.record_lesson(
        core.uow(),
        teacher,
        group_id=world.a.math_group,
        on=date(2026, 11, 26),
        period=2,
        topic=EMOJI_TEXT,
        homework="🧮 " + "x" * (lessons.MAX_TEXT - 2),
    )
    assert kept.topic == EMOJI_TEXT
    assert kept.homework is not None
    assert kept.homework.startswith("🧮 ")
    before = await counts(core)
    for topic, homework in (("y" * (lessons.MAX_TEXT + 1), None), ("ok", "😀" * 4001)):
        with pytest.raises(InvalidInput) as caught:
            await lessons.record_lesson(
                core.uow(),
                teacher,
                group_id=world.a.math_group,
                on=date(2026, 11, 26),
                period=2,
                topic=topic,
                homework=homework,
            )
        assert caught.value.key == "lesson.text_too_long"
        assert_clear_refusal(caught.value)
    assert await counts(core) == before
    async with create_session_factory(core.engine)() as session:
        topic = await session.scalar(
            select(t.Lesson.topic).where(t.Lesson.group_id == world.a.math_group)
        )
    assert topic == EMOJI_TEXT


async def test_news_keeps_emoji_and_refuses_an_oversized_body(core: Core, world: World) -> None:
    manager = await viewer(core, world.a.superuser)
    posted = await news.post_news(
        core.uow(),
        manager,
        school_id=world.a.school_id,
        title="Ziņa 📣",
        body=EMOJI_TEXT,
        attachment=None,
        notify=False,
    )
    assert (posted.title, posted.body) == ("Ziņa 📣", EMOJI_TEXT)
    before = await counts(core)
    for title, body, key in (
        ("Ziņa", "ā" * (news_rules.MAX_BODY + 1), "news.body_too_long"),
        ("T" * (news_rules.MAX_TITLE + 1), "ok", "news.title_too_long"),
    ):
        with pytest.raises(DomainError) as caught:
            await news.post_news(
                core.uow(),
                manager,
                school_id=world.a.school_id,
                title=title,
                body=body,
                attachment=None,
                notify=False,
            )
        assert caught.value.key == key
        assert_clear_refusal(caught.value)
    assert await counts(core) == before


async def test_mail_keeps_emoji_and_refuses_an_oversized_body(core: Core, world: World) -> None:
    parent = await viewer(core, world.a.parent_5a)
    a = world.a
    sent = await mail.send_mail(
        core.uow(),
        parent,
        to_person_id=a.math_teacher,
        subject="Ekskursija 🚌",
        body=EMOJI_TEXT,
        about_pupil_id=a.pupil_5a,
    )
    async with create_session_factory(core.engine)() as session:
        bodies = (await session.scalars(select(t.MailMessage.body))).all()
    assert EMOJI_TEXT in bodies
    assert sent.recipients
    before = await counts(core)
    for subject, body, key in (
        ("Ekskursija", "ā" * (mail_rules.MAX_BODY + 1), "mail.body_too_long"),
        ("S" * (mail_rules.MAX_SUBJECT + 1), "ok", "mail.subject_too_long"),
    ):
        with pytest.raises(DomainError) as caught:
            await mail.send_mail(
                core.uow(),
                parent,
                to_person_id=a.math_teacher,
                subject=subject,
                body=body,
                about_pupil_id=a.pupil_5a,
            )
        assert caught.value.key == key
        assert_clear_refusal(caught.value)
    assert await counts(core) == before
    async with create_session_factory(core.engine)() as session:
        assert await session.scalar(select(func.count()).select_from(t.MailMessage)) == 1
