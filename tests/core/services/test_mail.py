"""Journal mail in core: the contact matrix, threads, read marks, reports, suspensions, files."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.domain.mail import Audience, ContactGroup
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from core.services import mail
from core.services.mail import MailAttachment
from core.services.schools import set_school_policy
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, build_world, insert, viewer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
COUNTED = (
    t.MailThread,
    t.MailMessage,
    t.MailRecipient,
    t.MailReport,
    t.MailSuspension,
    t.StoredFile,
    t.DomainEvent,
    t.AuditEntry,
)


@pytest.fixture
async def world(core: Core) -> World:
    """The builders' world, with 5.a also learning Latvian from Pēteris (a subject teacher)."""
    built = await build_world(core)
    a = built.a
    [subject] = await insert(
        core, t.Subject(school_id=a.school_id, name="Vēsture", short_name="VĒS")
    )
    [group] = await insert(
        core,
        t.TeachingGroup(
            school_id=a.school_id,
            school_year_id=a.year_id,
            subject_id=subject,
            name="5.a Vēsture",
            kind="class",
            grade=5,
        ),
    )
    start = date(2026, 9, 1)
    await insert(
        core,
        t.GroupTeacher(group_id=group, teacher_id=a.other_teacher),
        t.GroupClass(group_id=group, class_id=a.class_5a),
        t.GroupMember(group_id=group, pupil_id=a.pupil_5a, starts_on=start, ends_on=None),
        t.GroupMember(group_id=group, pupil_id=a.pupil_5a_second, starts_on=start, ends_on=None),
    )
    return built


async def counts(core: Core) -> dict[str, int]:
    async with create_session_factory(core.engine)() as session:
        return {
            table.__tablename__: int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
            for table in COUNTED
        }


async def events(core: Core, kind: str) -> list[dict[str, Any]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.DomainEvent).where(t.DomainEvent.kind == kind).order_by(t.DomainEvent.id)
        )
        return [dict(row.payload) for row in rows]


def listed(groups: tuple[ContactGroup, ...]) -> dict[str, list[str]]:
    """Group (audience, class) → names, as the bot shows them."""
    return {
        f"{g.audience.value}{':' + g.class_name if g.class_name else ''}": [
            c.name for c in g.contacts
        ]
        for g in groups
    }


async def refused(core: Core, error: type[DomainError], key: str, call: Any) -> None:
    """The call is refused with ``key`` and nothing at all is written."""
    before = await counts(core)
    with pytest.raises(error) as caught:
        await call
    assert caught.value.key == key
    assert await counts(core) == before


# ------------------------------------------------------------------------ the matrix


async def test_a_parent_writes_to_the_childs_class_and_subject_teachers_and_the_administration(
    core: Core, world: World
) -> None:
    a = world.a
    parent = await viewer(core, a.parent_5a)
    found = await mail.contacts(core.uow(), parent, about_pupil_id=a.pupil_5a)
    assert found.about is not None
    assert found.about.person_id == a.pupil_5a
    assert listed(found.groups) == {
        "class_teacher": ["Māra Alfa-Matemātiķe"],  # she teaches mathematics too: listed once
        "subject_teachers": ["Pēteris Alfa-Sportists"],
        "administration": ["Andris Alfa-Direktors", "Inese Alfa-Vietniece"],
    }
    [class_teacher] = found.groups[0].contacts
    assert (class_teacher.role.key, class_teacher.role.values()) == (
        "mail.role.class_teacher",
        {"class_name": "5.a"},
    )
    [historian] = found.groups[1].contacts
    assert historian.role.values() == {"subjects": "Vēsture"}
    # The other child: her own class teacher, nobody of 5.a.
    other = await mail.contacts(core.uow(), parent, about_pupil_id=a.pupil_2a)
    assert listed(other.groups)["class_teacher"] == ["Ilze Alfa-Valodniece"]
    assert "subject_teachers" not in listed(other.groups)


async def test_a_teacher_writes_to_own_pupils_their_parents_and_colleagues(
    core: Core, world: World
) -> None:
    a = world.a
    found = await mail.contacts(core.uow(), await viewer(core, a.other_teacher))
    assert listed(found.groups) == {
        "own_pupils:5.a": ["Anna Alfa-Kalniņa", "Jānis Alfa-Bērziņš"],
        "own_parents:5.a": ["Kārlis Alfa-Kalniņš", "Līga Alfa-Bērziņa"],
        "colleagues": [
            "Andris Alfa-Direktors",
            "Ilze Alfa-Valodniece",
            "Inese Alfa-Vietniece",
            "Māra Alfa-Matemātiķe",
        ],
    }
    mother = next(c for c in found.groups[1].contacts if c.person_id == a.parent_5a)
    assert (mother.pupil_id, mother.role.key) == (a.pupil_5a, "mail.role.mother")
    assert mother.role.values() == {"pupil": "Jānis Alfa-Bērziņš", "class_name": "5.a"}


async def test_a_pupil_writes_to_their_teachers_and_the_administration_to_anyone(
    core: Core, world: World
) -> None:
    a = world.a
    pupil = await mail.contacts(core.uow(), await viewer(core, a.pupil_5a))
    assert listed(pupil.groups) == {
        "class_teacher": ["Māra Alfa-Matemātiķe"],
        "subject_teachers": ["Pēteris Alfa-Sportists"],
    }
    director = await mail.contacts(core.uow(), await viewer(core, a.director))
    groups = listed(director.groups)
    assert groups["pupils:2.a"] == ["Ērika Alfa-Bērziņa"]
    assert groups["parents:5.a"] == ["Kārlis Alfa-Kalniņš", "Līga Alfa-Bērziņa"]
    assert "Andris Alfa-Direktors" not in groups["colleagues"]  # never oneself
    everyone = [c.name for g in director.groups for c in g.contacts]
    assert not any("Beta" in name for name in everyone)  # nobody crosses schools


async def test_a_school_overrides_the_matrix_and_the_parent_loses_the_administration(
    core: Core, world: World
) -> None:
    a = world.a
    await set_school_policy(
        core.uow(),
        Viewer.console(),
        school_id=a.school_id,
        settings={"mail_contacts": {"guardian": ["class_teacher"]}},
    )
    parent = await viewer(core, a.parent_5a)
    found = await mail.contacts(core.uow(), parent, about_pupil_id=a.pupil_5a)
    assert listed(found.groups) == {"class_teacher": ["Māra Alfa-Matemātiķe"]}
    # Other kinds keep their defaults.
    pupil = await mail.contacts(core.uow(), await viewer(core, a.pupil_5a))
    assert "subject_teachers" in listed(pupil.groups)
    await refused(
        core,
        NotFound,
        "mail.recipient_not_found",
        mail.send_mail(
            core.uow(),
            parent,
            to_person_id=a.director,
            subject="Ekskursija",
            body="",
            about_pupil_id=a.pupil_5a,
        ),
    )


async def test_an_unknown_audience_in_the_policy_is_refused(core: Core, world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        await set_school_policy(
            core.uow(),
            Viewer.console(),
            school_id=world.a.school_id,
            settings={"mail_contacts": {"pupil": ["everyone"]}},
        )
    assert caught.value.key == "policy.invalid"


async def test_a_parent_cannot_write_outside_the_matrix_and_nothing_is_written(
    core: Core, world: World
) -> None:
    a, b = world.a, world.b
    parent = await viewer(core, a.parent_5a)

    def send(to: int, about: int | None) -> Any:
        return mail.send_mail(
            core.uow(),
            parent,
            to_person_id=to,
            subject="Jautājums",
            body="…",
            about_pupil_id=about,
        )

    # Ilze leads 2.a: not a teacher of Jānis; a parent of another child; the other school.
    for to in (a.latvian_teacher, a.parent_5a_second, a.pupil_5a_second, b.math_teacher):
        await refused(core, NotFound, "mail.recipient_not_found", send(to, a.pupil_5a))
    # Not about one's own child: somebody else's, or no child at all.
    await refused(
        core, NotFound, "mail.recipient_not_found", send(a.math_teacher, a.pupil_5a_second)
    )
    await refused(core, NotFound, "mail.recipient_not_found", send(a.math_teacher, None))
    await refused(core, NotFound, "mail.recipient_not_found", send(2**40, a.pupil_5a))


async def test_a_read_only_carer_cannot_write_about_the_child(core: Core, world: World) -> None:
    a = world.a
    [carer] = await insert(
        core,
        t.Person(
            given_name="Vecmāmiņa",
            family_name="Alfa-Bērziņa",
            is_active=True,
            created_at=core.clock.now(),
            updated_at=core.clock.now(),
        ),
    )
    await insert(core, t.Guardianship(guardian_id=carer, pupil_id=a.pupil_5a, read_only=True))
    reader = await viewer(core, carer)
    with pytest.raises(NotFound):
        await mail.contacts(core.uow(), reader, about_pupil_id=a.pupil_5a)
    await refused(
        core,
        NotFound,
        "mail.pupil_not_found",
        mail.send_mail(
            core.uow(),
            reader,
            to_person_id=a.math_teacher,
            subject="Sveiki",
            body="",
            about_pupil_id=a.pupil_5a,
        ),
    )


# ------------------------------------------------------------------------ threads


async def test_a_thread_between_parent_and_class_teacher_with_replies_and_read_marks(
    core: Core, clock: FakeClock, world: World
) -> None:
    a = world.a
    parent, teacher = await viewer(core, a.parent_5a), await viewer(core, a.math_teacher)
    sent = await mail.send_mail(
        core.uow(),
        parent,
        to_person_id=a.math_teacher,
        subject="Ekskursija",
        body="Vai Jānis var rīt ierasties vēlāk?",
        about_pupil_id=a.pupil_5a,
    )
    assert [r.person_id for r in sent.recipients] == [a.math_teacher]
    assert sent.about is not None
    assert sent.about.person_id == a.pupil_5a
    assert await events(core, "mail.sent") == [
        {"message_id": sent.message_id, "thread_id": sent.thread_id}
    ]
    box = await mail.inbox(core.uow(), teacher)
    [listed_thread] = box.threads
    assert (listed_thread.subject, listed_thread.unread, box.unread) == ("Ekskursija", 1, 1)
    assert listed_thread.others == ("Līga Alfa-Bērziņa",)
    assert listed_thread.about == "Jānis Alfa-Bērziņš"

    clock.advance(timedelta(minutes=32))
    opened = await mail.thread(core.uow(), teacher, thread_id=sent.thread_id)
    assert [m.body for m in opened.messages] == ["Vai Jānis var rīt ierasties vēlāk?"]
    assert opened.reply_to == sent.message_id
    assert (await mail.inbox(core.uow(), teacher)).unread == 0
    assert await events(core, "mail.read") == [
        {
            "thread_id": sent.thread_id,
            "reader_id": a.math_teacher,
            "message_ids": [sent.message_id],
        }
    ]
    # The parent's view carries the read mark, in the school's time (10:32 in Riga).
    mine = await mail.thread(core.uow(), parent, thread_id=sent.thread_id)
    [receipt] = mine.messages[0].receipts
    assert receipt.name == "Māra Alfa-Matemātiķe"
    assert receipt.read_at is not None
    assert receipt.read_at.strftime("%H:%M") == "10:32"
    # Opening it again changes nothing.
    await mail.thread(core.uow(), teacher, thread_id=sent.thread_id)
    assert len(await events(core, "mail.read")) == 1

    answer = await mail.reply_mail(
        core.uow(), teacher, message_id=sent.message_id, body="Jā, protams."
    )
    assert [r.person_id for r in answer.recipients] == [a.parent_5a]
    assert answer.thread_id == sent.thread_id
    parent_box = await mail.inbox(core.uow(), parent)
    assert (parent_box.threads[0].unread, parent_box.threads[0].messages) == (1, 2)
    assert await mail.mark_read(core.uow(), parent, message_id=answer.message_id) is True
    assert await mail.mark_read(core.uow(), parent, message_id=answer.message_id) is False
    assert await mail.mark_read(core.uow(), teacher, message_id=answer.message_id) is False


async def test_a_thread_about_a_pupil_is_never_shown_to_that_pupil(
    core: Core, world: World
) -> None:
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    sent = await mail.send_mail(
        core.uow(),
        teacher,
        to_person_id=a.parent_5a,
        subject="Uzvedība",
        body="Lūdzu, piezvaniet man.",
        about_pupil_id=a.pupil_5a,
        attachment=MailAttachment("piezīme.pdf", "application/pdf", PDF),
    )
    pupil = await viewer(core, a.pupil_5a)
    assert (await mail.inbox(core.uow(), pupil)).threads == ()
    for call in (
        mail.thread(core.uow(), pupil, thread_id=sent.thread_id),
        mail.reply_mail(core.uow(), pupil, message_id=sent.message_id, body="Es"),
        mail.mark_read(core.uow(), pupil, message_id=sent.message_id),
        mail.mail_attachment(core.uow(), pupil, message_id=sent.message_id),
        mail.report_message(core.uow(), pupil, message_id=sent.message_id, reason="x"),
    ):
        await refused(core, NotFound, "mail.not_found", call)
    # Nor anyone else outside the thread; the parent can open the file.
    await refused(
        core,
        NotFound,
        "mail.not_found",
        mail.thread(core.uow(), await viewer(core, a.parent_5a_second), thread_id=sent.thread_id),
    )
    name, mime, data = await mail.mail_attachment(
        core.uow(), await viewer(core, a.parent_5a), message_id=sent.message_id
    )
    assert (name, mime, data) == ("piezīme.pdf", "application/pdf", PDF)
    # A message to the pupil cannot be about the pupil.
    await refused(
        core,
        InvalidInput,
        "mail.about_self",
        mail.send_mail(
            core.uow(),
            teacher,
            to_person_id=a.pupil_5a,
            subject="Sveiks",
            body="",
            about_pupil_id=a.pupil_5a,
        ),
    )


async def test_a_teachers_message_to_a_parent_is_about_the_child_they_are_listed_for(
    core: Core, world: World
) -> None:
    a = world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.other_teacher),
        to_person_id=a.parent_5a,
        subject="Vēstures projekts",
        body="",
    )
    assert sent.about is not None
    assert sent.about.person_id == a.pupil_5a
    notice = await mail.delivery_notice(core.uow(), message_id=sent.message_id)
    assert notice is not None
    [recipient] = notice.recipients
    assert (recipient.person_id, recipient.sender_role.key) == (
        a.parent_5a,
        "mail.role.subject_teacher",
    )
    assert recipient.sender_role.values() == {"subjects": "Vēsture"}


async def test_the_delivery_names_the_sender_as_the_recipient_knows_them(
    core: Core, world: World
) -> None:
    a = world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Ekskursija",
        body="Teksts",
        about_pupil_id=a.pupil_5a,
    )
    notice = await mail.delivery_notice(core.uow(), message_id=sent.message_id)
    assert notice is not None
    assert (notice.sender, notice.subject, notice.body, notice.reply) == (
        "Līga Alfa-Bērziņa",
        "Ekskursija",
        "Teksts",
        False,
    )
    [recipient] = notice.recipients
    assert recipient.sender_role.key == "mail.role.mother"
    answer = await mail.reply_mail(
        core.uow(), await viewer(core, a.math_teacher), message_id=sent.message_id, body="Jā"
    )
    back = await mail.delivery_notice(core.uow(), message_id=answer.message_id)
    assert back is not None
    assert back.reply
    assert back.recipients[0].sender_role.values() == {"class_name": "5.a"}
    read = await mail.read_notice(
        core.uow(),
        thread_id=sent.thread_id,
        reader_id=a.math_teacher,
        message_ids=[sent.message_id],
    )
    assert read is not None
    assert (read.reader, [r.sender_id for r in read.receipts]) == (
        "Māra Alfa-Matemātiķe",
        [a.parent_5a],
    )


async def test_a_reply_to_a_telegram_message_finds_its_mail_message_for_its_recipient_only(
    core: Core, world: World
) -> None:
    a = world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Ekskursija",
        body="",
        about_pupil_id=a.pupil_5a,
    )
    await insert(
        core,
        t.MailChatMessage(
            message_id=sent.message_id,
            person_id=a.math_teacher,
            chat_id=777,
            telegram_message_id=42,
            created_at=core.clock.now(),
        ),
    )
    teacher = await viewer(core, a.math_teacher)
    found = await mail.reply_target(core.uow(), teacher, chat_id=777, telegram_message_id=42)
    assert found == sent.message_id
    assert (
        await mail.reply_target(core.uow(), teacher, chat_id=777, telegram_message_id=43) is None
    )
    other = await viewer(core, a.other_teacher)
    assert await mail.reply_target(core.uow(), other, chat_id=777, telegram_message_id=42) is None


# ------------------------------------------------------------------------ reports


async def test_a_recipient_reports_a_message_to_the_deputy_directors_once(
    core: Core, world: World
) -> None:
    a = world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Rupjš teksts",
        body="…",
        about_pupil_id=a.pupil_5a,
    )
    teacher = await viewer(core, a.math_teacher)
    report_id = await mail.report_message(
        core.uow(), teacher, message_id=sent.message_id, reason="  Aizvainojoši   vārdi "
    )
    assert await events(core, "mail.reported") == [
        {"report_id": report_id, "message_id": sent.message_id}
    ]
    notice = await mail.report_notice(core.uow(), report_id=report_id)
    assert notice is not None
    assert notice.managers == (a.superuser,)  # the deputy director, not the director
    assert (notice.reporter, notice.sender, notice.reason) == (
        "Māra Alfa-Matemātiķe",
        "Līga Alfa-Bērziņa",
        "Aizvainojoši vārdi",
    )
    boss = await viewer(core, a.superuser)
    view = await mail.report_view(core.uow(), boss, report_id=report_id)
    assert (view.sender_id, view.subject, view.sender_suspended) == (
        a.parent_5a,
        "Rupjš teksts",
        False,
    )
    await refused(
        core,
        Conflict,
        "mail.already_reported",
        mail.report_message(core.uow(), teacher, message_id=sent.message_id, reason="Vēlreiz"),
    )
    await refused(
        core,
        NotAllowed,
        "mail.report_not_recipient",
        mail.report_message(
            core.uow(), await viewer(core, a.parent_5a), message_id=sent.message_id, reason="Es"
        ),
    )
    await refused(
        core,
        InvalidInput,
        "mail.reason_empty",
        mail.report_message(core.uow(), teacher, message_id=sent.message_id, reason="   "),
    )
    await refused(
        core,
        NotFound,
        "mail.report_not_found",
        mail.report_view(core.uow(), teacher, report_id=report_id),
    )


# ------------------------------------------------------------------------ suspension


async def test_a_suspended_person_cannot_send_until_the_superuser_lifts_it(
    core: Core, clock: FakeClock, world: World
) -> None:
    a = world.a
    parent = await viewer(core, a.parent_5a)
    first = await mail.send_mail(
        core.uow(),
        parent,
        to_person_id=a.math_teacher,
        subject="Sveiki",
        body="",
        about_pupil_id=a.pupil_5a,
    )
    await mail.reply_mail(
        core.uow(), await viewer(core, a.math_teacher), message_id=first.message_id, body="Labdien"
    )
    boss = await viewer(core, a.superuser)
    until = clock.now() + timedelta(days=7)
    done = await mail.suspend_messaging(core.uow(), boss, person_id=a.parent_5a, until=until)
    assert (done.name, done.until) == ("Līga Alfa-Bērziņa", until)
    [held] = await mail.suspensions(core.uow(), boss)
    assert held.person_id == a.parent_5a
    await refused(
        core,
        NotAllowed,
        "mail.suspended",
        mail.send_mail(
            core.uow(),
            parent,
            to_person_id=a.math_teacher,
            subject="Vēlreiz",
            body="",
            about_pupil_id=a.pupil_5a,
        ),
    )
    await refused(
        core,
        NotAllowed,
        "mail.suspended",
        mail.reply_mail(core.uow(), parent, message_id=first.message_id, body="Atbilde"),
    )
    # Reading still works.
    assert (await mail.inbox(core.uow(), parent)).threads
    # Until lifted indefinitely, then lifted.
    await mail.suspend_messaging(core.uow(), boss, person_id=a.parent_5a, until=None)
    await refused(
        core,
        NotAllowed,
        "mail.suspended_indefinitely",
        mail.reply_mail(core.uow(), parent, message_id=first.message_id, body="Atbilde"),
    )
    await mail.resume_messaging(core.uow(), boss, person_id=a.parent_5a)
    await mail.reply_mail(core.uow(), parent, message_id=first.message_id, body="Paldies")
    await refused(
        core,
        NotFound,
        "mail.not_suspended",
        mail.resume_messaging(core.uow(), boss, person_id=a.parent_5a),
    )


async def test_only_the_schools_managers_suspend_and_only_into_the_future(
    core: Core, clock: FakeClock, world: World
) -> None:
    a, b = world.a, world.b
    later = clock.now() + timedelta(days=1)
    for who in (a.math_teacher, b.superuser, a.parent_5a):
        await refused(
            core,
            NotFound,
            "person.not_found",
            mail.suspend_messaging(
                core.uow(), await viewer(core, who), person_id=a.parent_5a_second, until=later
            ),
        )
    boss = await viewer(core, a.superuser)
    await refused(
        core,
        InvalidInput,
        "mail.until_past",
        mail.suspend_messaging(
            core.uow(), boss, person_id=a.parent_5a, until=clock.now() - timedelta(minutes=1)
        ),
    )
    await refused(
        core,
        InvalidInput,
        "mail.suspend_self",
        mail.suspend_messaging(core.uow(), boss, person_id=a.superuser, until=later),
    )


# ------------------------------------------------------------------------ attachments


@pytest.mark.parametrize(
    ("upload", "key"),
    [
        (MailAttachment("darbs.exe", "application/octet-stream", b"MZ\x90\x00"), "mail.file_type"),
        (MailAttachment("teksts.txt", "text/plain", b"sveiki"), "mail.file_type"),
        (MailAttachment("foto.png", "image/png", PDF), "mail.file_mismatch"),
        (MailAttachment("tukšs.pdf", "application/pdf", b""), "mail.file_empty"),
        (
            MailAttachment("liels.pdf", "application/pdf", PDF + b"0" * 10_000_000),
            "mail.file_too_big",
        ),
    ],
    ids=["exe", "txt", "mismatch", "empty", "too-big"],
)
async def test_attachments_are_images_pdfs_and_office_documents_up_to_10_mb(
    core: Core, world: World, upload: MailAttachment, key: str
) -> None:
    a = world.a
    await refused(
        core,
        InvalidInput,
        key,
        mail.send_mail(
            core.uow(),
            await viewer(core, a.parent_5a),
            to_person_id=a.math_teacher,
            subject="Fails",
            body="",
            about_pupil_id=a.pupil_5a,
            attachment=upload,
        ),
    )


async def test_an_image_attachment_is_stored_with_the_message(core: Core, world: World) -> None:
    a = world.a
    sent = await mail.send_mail(
        core.uow(),
        await viewer(core, a.parent_5a),
        to_person_id=a.math_teacher,
        subject="Zīme",
        body="Pielikumā",
        about_pupil_id=a.pupil_5a,
        attachment=MailAttachment(None, "image/png", PNG),
    )
    opened = await mail.thread(
        core.uow(), await viewer(core, a.math_teacher), thread_id=sent.thread_id
    )
    file = opened.messages[0].attachment
    assert file is not None
    assert (file.filename, file.mime_type, file.size) == (
        "file.png",
        "image/png",
        len(PNG),
    )


@pytest.mark.parametrize(
    ("subject", "body", "key"),
    [
        ("   ", "teksts", "mail.subject_empty"),
        ("x" * 201, "", "mail.subject_too_long"),
        ("Tēma", "x" * 3501, "mail.body_too_long"),
    ],
)
async def test_bad_texts_are_refused(
    core: Core, world: World, subject: str, body: str, key: str
) -> None:
    a = world.a
    await refused(
        core,
        InvalidInput,
        key,
        mail.send_mail(
            core.uow(),
            await viewer(core, a.parent_5a),
            to_person_id=a.math_teacher,
            subject=subject,
            body=body,
            about_pupil_id=a.pupil_5a,
        ),
    )


async def test_the_audience_enum_names_every_policy_value() -> None:
    assert {a.value for a in Audience} == {
        "class_teacher",
        "subject_teachers",
        "administration",
        "own_pupils",
        "own_parents",
        "colleagues",
        "pupils",
        "parents",
    }
