"""Absence notes in chat: a parent reports, the class teacher decides; forged buttons refused."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile, Message, PhotoSize, Update
from sqlalchemy import func, select

from bot.callbacks import AbsenceDayCb, NoteAction, NoteCb, NoteFormCb, NotesQueueCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services import absence_notes as notes
from core.services.attendance import record_attendance
from core.services.schools import set_school_policy
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import SENT_AT, Chats, TelegramUser, buttons, open_chats
from tests.builders import World, build_world, insert, viewer

PARENT, PUPIL, TEACHER, OTHER_CLASS_TEACHER, SUPERUSER = 9301, 9302, 9303, 9304, 9305
SUNDAY_EVENING = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # 18:00 in Riga
MONDAY, THURSDAY = date(2026, 11, 30), date(2026, 11, 26)
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
_photo_ids = itertools.count(1)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = (
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.pupil_5a, PUPIL, "lv"),
        (world.a.math_teacher, TEACHER, "en"),
        (world.a.latvian_teacher, OTHER_CLASS_TEACHER, "lv"),
        (world.a.superuser, SUPERUSER, "lv"),
    )
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def send_photo(user: TelegramUser, data: bytes) -> list[SendMessage]:
    """The user sends a photo (Telegram keeps several sizes; the last is the largest)."""
    file_id = f"photo{next(_photo_ids)}u{user.user.id}"
    user.session.files[file_id] = data
    sizes = [
        PhotoSize(file_id=f"{file_id}s", file_unique_id=f"{file_id}s", width=90, height=120),
        PhotoSize(
            file_id=file_id,
            file_unique_id=file_id,
            width=960,
            height=1280,
            file_size=len(data),
        ),
    ]
    message = Message(
        message_id=next(user._message_ids),
        date=SENT_AT,
        chat=user.chat,
        from_user=user.user,
        photo=sizes,
    )
    return await user._feed(Update(update_id=900_000 + next(_photo_ids), message=message))


async def rows(core: Core, model: type[t.Base], *where: Any) -> list[Any]:
    async with create_session_factory(core.engine)() as session:
        return list(await session.scalars(select(model).where(*where)))


async def count(core: Core, model: type[t.Base]) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def monday_lesson(core: Core, world: World) -> int:
    now = core.clock.now()
    [lesson_id] = await insert(
        core,
        t.Lesson(
            school_id=world.a.school_id,
            group_id=world.a.math_group,
            on_date=MONDAY,
            period=1,
            teacher_id=world.a.math_teacher,
            is_substitution=False,
            created_at=now,
            updated_at=now,
        ),
    )
    return lesson_id


async def test_a_parent_reports_tomorrows_illness_with_a_photo_and_the_class_teacher_accepts(
    core: Core, chats: Chats, clock: FakeClock
) -> None:
    clock.set(SUNDAY_EVENING)
    a = chats.world.a
    parent = chats.user(PARENT)
    [picker] = await parent.send("/absent")
    assert picker.text == "Par kuru bērnu pieteikt kavējumu?"
    assert set(buttons(picker)) == {
        "Jānis Alfa-Bērziņš (5.a)",
        "Ērika Alfa-Bērziņa (2.a)",
        "⬅️ Izvēlne",
    }

    [when] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    assert when.text == (
        "📝 <b>Kavējuma pieteikums — Jānis Alfa-Bērziņš (5.a)</b>\n\n"
        "Kurās dienās skolēns nebūs (nebija) skolā?"
    )
    assert {
        "Šodien (Sv 29.11.)",
        "Rīt (Pr 30.11.)",
        "Šodien un rīt",
        "📅 Izvēlēties dienas",
    } <= set(buttons(when))
    [why] = await parent.press(buttons(when)["Rīt (Pr 30.11.)"])
    assert "Dienas: 30.11." in why.text
    assert list(buttons(why)) == ["Slimība", "Ģimenes apstākļi", "Cits iemesls", "Atcelt"]

    [ask] = await parent.press(buttons(why)["Slimība"])
    assert ask.text.startswith("Ja ir ārsta zīme vai cits dokuments")
    assert "Izlaist" in buttons(ask)
    [summary] = await send_photo(parent, PHOTO)
    assert summary.text == (
        "<b>Lūdzu, pārbaudiet:</b>\n"
        "Skolēns: Jānis Alfa-Bērziņš (5.a)\n"
        "Dienas: 30.11.\n"
        "Iemesls: Slimība\n"
        "Pielikums: fotoattēls"
    )
    assert await count(core, t.AbsenceNote) == 0  # nothing is written before Submit

    [sent] = await parent.press(buttons(summary)["✅ Iesniegt"])
    assert sent.text.startswith(
        "✅ Kavējuma zīme (Jānis Alfa-Bērziņš (5.a), 30.11.) nosūtīta klases audzinātājam."
    )
    [note] = await rows(core, t.AbsenceNote)
    assert (note.pupil_id, note.starts_on, note.ends_on, note.reason, note.status) == (
        a.pupil_5a,
        MONDAY,
        MONDAY,
        "illness",
        "submitted",
    )
    [stored] = await rows(core, t.StoredFile)
    assert (stored.id, stored.mime_type, stored.content) == (note.file_id, "image/jpeg", PHOTO)
    # A second tap on Submit finds no draft and sends nothing twice.
    [again] = await parent.press(NoteFormCb(step="submit", value=0).pack())
    assert again.text.startswith("Šis kavējuma pieteikums vairs netiek aizpildīts.")
    assert await count(core, t.AbsenceNote) == 1

    # The class teacher (in English) opens the queue, the note and its photo, and accepts.
    teacher = chats.user(TEACHER)
    [queue] = await teacher.send("/notes")
    assert queue.text.startswith("📋 <b>Absence notes — 5.a</b>\nTo decide: absence notes — 1,")
    [opened] = await teacher.press(buttons(queue)["📝 Jānis Alfa-Bērziņš: 30.11., Illness"])
    assert "Submitted by: Līga Alfa-Bērziņa" in opened.text
    assert "Status: ⏳ waiting for a decision" in opened.text
    before = len(chats.session.documents())
    await teacher.press(buttons(opened)["📎 Show the file"])
    [document] = chats.session.documents()[before:]
    assert isinstance(document.document, BufferedInputFile)
    assert (document.document.filename, document.document.data) == ("photo.jpg", PHOTO)
    [accepted] = await teacher.press(buttons(opened)["✅ Accept"])
    assert accepted.text == (
        "✅ Note accepted (Jānis Alfa-Bērziņš (5.a), 30.11.). Lessons excused: 0."
    )
    # Monday's absence is justified as the teacher marks it.
    lesson_id = await monday_lesson(core, chats.world)
    await record_attendance(
        core.uow(),
        await viewer(core, a.math_teacher),
        lesson_id=lesson_id,
        absent={a.pupil_5a: "n"},
    )
    [absence] = await rows(core, t.Attendance)
    assert (absence.justification, absence.absence_note_id) == ("justified", note.id)

    [mine] = await parent.press(NoteFormCb(step="list", value=a.pupil_5a).pack())
    assert "• 30.11., Slimība — ✅ apstiprināta" in mine.text
    assert not any(label.startswith("Atsaukt") for label in buttons(mine))


async def test_a_forged_note_of_another_class_is_refused_and_nothing_changes(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    parent = await viewer(core, a.parent_5a)
    note = (
        await notes.submit_note(
            core.uow(), parent, pupil_id=a.pupil_2a, starts_on=THURSDAY, ends_on=THURSDAY,
            reason="family",
        )
    ).note  # fmt: skip
    await record_attendance(
        core.uow(),
        await viewer(core, a.latvian_teacher),
        lesson_id=(
            await insert(
                core,
                t.Lesson(
                    school_id=a.school_id,
                    group_id=a.latvian_group,
                    on_date=date(2026, 11, 25),
                    period=2,
                    teacher_id=a.latvian_teacher,
                    is_substitution=False,
                    created_at=core.clock.now(),
                    updated_at=core.clock.now(),
                ),
            )
        )[0],
        absent={a.pupil_2a: "n"},
    )
    teacher = chats.user(TEACHER)  # class teacher of 5.a, not of 2.a
    refusal = "Absence note not found, or you have no access to it."
    actions: tuple[NoteAction, ...] = ("approve", "reject", "open", "file", "withdraw")
    for action in actions:
        [answer] = await teacher.press(NoteCb(action=action, note_id=note.id).pack())
        assert answer.text == refusal
    [answer] = await teacher.press(
        AbsenceDayCb(action="keep", pupil_id=a.pupil_2a, day=date(2026, 11, 25).toordinal()).pack()
    )
    assert answer.text == "Pupil not found, or you have no access to their data."
    [answer] = await teacher.press(NotesQueueCb(view="summary", class_id=a.class_2a, day=0).pack())
    assert answer.text == "Class not found, or you may not manage it."
    [answer] = await chats.user(PARENT).press(NoteCb(action="approve", note_id=note.id).pack())
    assert answer.text == "Kavējuma zīme nav atrasta, vai jums nav piekļuves tai."

    [stored] = await rows(core, t.AbsenceNote)
    assert (stored.status, stored.decided_by) == ("submitted", None)
    [absence] = await rows(core, t.Attendance)
    assert absence.justification == "pending"
    assert await rows(core, t.DomainEvent, t.DomainEvent.kind == "absence_note.decided") == []

    # Its own class teacher may: the 2.a queue lists the note; the day with a note is not listed.
    own = chats.user(OTHER_CLASS_TEACHER)
    [queue] = await own.send("/notes")
    assert "📝 Ērika Alfa-Bērziņa: 26.11., Ģimenes apstākļi" in buttons(queue)
    assert "⏱ Ērika Alfa-Bērziņa: Tr 25.11., stundas: 1" in buttons(queue)


async def test_a_pupil_cannot_report_by_default_nor_a_parent_for_somebody_else(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    [refusal] = await chats.user(PUPIL).send("/absent")
    assert refusal.text == (
        "Šajā skolā skolēni paši kavējumus nepiesaka: lūdz, lai to izdara vecāks."
    )
    [absences] = await chats.user(PUPIL).send("/absences")
    assert "📝 Pieteikt kavējumu" not in buttons(absences)
    [forged] = await chats.user(PARENT).press(
        NoteFormCb(step="child", value=a.pupil_5a_second).pack()
    )
    assert forged.text == "Skolēns nav atrasts vai jums nav piekļuves viņa datiem."
    [stale] = await chats.user(PARENT).press(NoteFormCb(step="submit", value=0).pack())
    assert stale.text.startswith("Šis kavējuma pieteikums vairs netiek aizpildīts.")
    assert await count(core, t.AbsenceNote) == 0

    # Where the school allows it, the pupil reports for themselves.
    await set_school_policy(
        core.uow(),
        Viewer.console(),
        school_id=a.school_id,
        settings={"pupils_may_submit_notes": True},
    )
    [when] = await chats.user(PUPIL).send("/absent")
    assert when.text.startswith("📝 <b>Kavējuma pieteikums — Jānis Alfa-Bērziņš (5.a)</b>")


async def test_other_reason_picked_days_and_a_rejection_with_its_reason(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    parent = chats.user(PARENT)
    [when] = await parent.press(NoteFormCb(step="child", value=a.pupil_2a).pack())
    [first] = await parent.press(buttons(when)["📅 Izvēlēties dienas"])
    labels = list(buttons(first))
    assert (labels[0], labels[-2]) == ("Pk 13.11.", "Pk 11.12.")  # two weeks back and ahead
    [last] = await parent.press(buttons(first)["Pr 30.11."])
    assert "Pirmā diena: Pr 30.11." in last.text
    assert list(buttons(last))[:-1] == [
        "Pr 30.11.",
        "Ot 01.12.",
        "Tr 02.12.",
        "Ce 03.12.",
        "Pk 04.12.",
    ]
    [why] = await parent.press(buttons(last)["Ot 01.12."])
    [ask] = await parent.press(buttons(why)["Cits iemesls"])
    assert ask.text == "Lūdzu, īsi aprakstiet iemeslu vienā ziņā:"
    [photo] = await parent.send("Sacensības <Rīgā>")
    [refused] = await parent.send_document("notes.docx", b"PK\x03\x04")
    assert refused.text == "Pievienot var tikai fotoattēlu (JPEG vai PNG) vai PDF failu."
    [summary] = await parent.press(buttons(photo)["Izlaist"])
    assert "Iemesls: Cits iemesls — Sacensības &lt;Rīgā&gt;" in summary.text
    assert "Pielikums: nav" in summary.text
    await parent.press(buttons(summary)["✅ Iesniegt"])
    [note] = await rows(core, t.AbsenceNote)
    assert (note.starts_on, note.ends_on, note.reason_text, note.file_id) == (
        MONDAY,
        date(2026, 12, 1),
        "Sacensības <Rīgā>",
        None,
    )

    # The 2.a class teacher rejects it with a reason written as text; the parent sees it.
    teacher = chats.user(OTHER_CLASS_TEACHER)
    [ask_reason] = await teacher.press(NoteCb(action="reject", note_id=note.id).pack())
    assert ask_reason.text.startswith("Kāpēc kavējuma zīme tiek noraidīta?")
    [rejected] = await teacher.send("Sacensības nav attaisnojošs iemesls")
    assert rejected.text.startswith(
        "❌ Kavējuma zīme noraidīta (Ērika Alfa-Bērziņa (2.a), 30.11.–01.12.)"
    )
    [mine] = await parent.press(NoteFormCb(step="list", value=a.pupil_2a).pack())
    assert (
        "• 30.11.–01.12., Cits iemesls — ❌ noraidīta: Sacensības nav attaisnojošs iemesls"
        in mine.text
    )
    [final] = await teacher.press(NoteCb(action="approve", note_id=note.id).pack())
    assert final.text == "Kavējuma zīme jau ir izskatīta. Lēmumu var mainīt tikai skolas vadība."
    [stored] = await rows(core, t.AbsenceNote)
    assert (stored.status, stored.decision_reason) == (
        "rejected",
        "Sacensības nav attaisnojošs iemesls",
    )


async def test_a_parent_withdraws_a_waiting_note(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await notes.submit_note(
        core.uow(), await viewer(core, a.parent_5a), pupil_id=a.pupil_5a,
        starts_on=MONDAY, ends_on=MONDAY, reason="illness",
    )  # fmt: skip
    parent = chats.user(PARENT)
    [picker] = await parent.send("/absences")
    [absences] = await parent.press(buttons(picker)["Jānis Alfa-Bērziņš (5.a)"])
    report = buttons(absences)["📝 Pieteikt kavējumu"]
    assert report == NoteFormCb(step="child", value=a.pupil_5a).pack()
    [when] = await parent.press(report)
    [mine] = await parent.press(buttons(when)["📋 Manas kavējuma zīmes"])
    assert "• 30.11., Slimība — ⏳ gaida lēmumu" in mine.text
    [ask] = await parent.press(buttons(mine)["Atsaukt 30.11."])
    [done] = await parent.press(buttons(ask)["Jā, atsaukt"])
    assert done.text == "Kavējuma zīme par 30.11. atsaukta."
    assert await count(core, t.AbsenceNote) == 0


async def test_the_class_teacher_decides_days_without_a_note_and_sees_the_summary(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    await set_school_policy(
        core.uow(), Viewer.console(), school_id=a.school_id, settings={"unjustified_threshold": 0}
    )
    teacher_viewer = await viewer(core, a.math_teacher)
    await record_attendance(
        core.uow(),
        teacher_viewer,
        lesson_id=a.lesson_math,
        absent={a.pupil_5a: "n", a.pupil_5a_second: "n"},
    )
    teacher = chats.user(TEACHER)
    [queue] = await teacher.send("/notes")
    assert "To decide: absence notes — 0, days with absences without a note — 2." in queue.text
    [day] = await teacher.press(buttons(queue)["⏱ Jānis Alfa-Bērziņš: Thu 26.11., lessons: 1"])
    assert day.text == (
        "⏱ <b>Jānis Alfa-Bērziņš (5.a)</b> — Thu 26.11.\n"
        "Absences without a note, not decided yet:\n"
        "Thu 26.11. period 2, Matemātika — absent"
    )
    [ask] = await teacher.press(buttons(day)["✅ Excuse"])
    assert ask.text.startswith("Why is the absence excused?")
    [done] = await teacher.send("The parent phoned")
    assert done.text == "✅ Lessons excused (Jānis Alfa-Bērziņš (5.a)): 1."
    [queue] = await teacher.press(buttons(done)["⬅️ Back to the list"])
    [day] = await teacher.press(buttons(queue)["⏱ Anna Alfa-Kalniņa: Thu 26.11., lessons: 1"])
    [kept] = await teacher.press(buttons(day)["Keep unexcused"])
    assert kept.text == "Lessons kept unexcused (Anna Alfa-Kalniņa (5.a)): 1."
    by_pupil = {r.pupil_id: (r.justification, r.reason) for r in await rows(core, t.Attendance)}
    assert by_pupil == {
        a.pupil_5a: ("justified", "The parent phoned"),
        a.pupil_5a_second: ("unjustified", None),
    }

    [queue] = await teacher.press(buttons(kept)["⬅️ Back to the list"])
    assert "Nothing to decide. ✅" in queue.text
    [summary] = await teacher.press(buttons(queue)["📊 Attendance summary"])
    lines = summary.text.splitlines()
    assert lines[:2] == ["📊 <b>Attendance — 5.a</b>", "Semester 1: 01.09.2026–27.11.2026"]
    assert "Jānis Alfa-Bērziņš: ✅ 1 · ❌ 0 · ⏱ 0" in lines
    assert "Anna Alfa-Kalniņa: ✅ 0 · ❌ 1 · ⏱ 0 ⚠️ 1 this semester" in lines
    assert lines[-1] == "⚠️ Pupils with more than 0 unexcused lessons this semester: 1."
    [week] = await teacher.press(buttons(summary)["Week"])
    assert week.text.splitlines()[1] == "Period: 23.11.2026–27.11.2026"
