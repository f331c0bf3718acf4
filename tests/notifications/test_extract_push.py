"""The monthly progress extract push (rule 5.1) on a frozen clock, both backends.

Each linked recipient gets exactly one extract (a PDF rendered when sent, with a two-line
summary), reruns write nothing, and each class teacher then gets the counts of their class with
a button printing the extracts nobody in the family could receive.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from bot.callbacks import ExtractCb
from core.bootstrap import Core
from core.clock import FakeClock
from core.services.attendance import record_attendance
from core.services.extracts import Month
from core.services.marks import create_assessment, record_marks
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.delivery import DeliveryWorker
from notifications.extracts import (
    EXTRACT,
    SUMMARY,
    MonthlyExtracts,
    extract_documents,
    extract_key,
    extracts_from,
    missing_callback,
    reach_from,
)
from notifications.jobs import finish_runs
from notifications.messages import DocumentRef, OutboundMessage, load_catalogs
from notifications.outbox import Outbox
from notifications.policy import Rules
from notifications.runtime import build_notifications_runtime
from notifications.sender import DocumentPart, RecordingSender
from notifications.settings import NotificationsSettings
from notifications.telegram_sender import TelegramSender
from sandbox.server import running_sandbox
from sandbox.state import SandboxConfig
from tests.builders import World, build_world, insert, viewer

from .conftest import deliveries, eventually, fast_config, link

RIGA = ZoneInfo("Europe/Riga")
DEC_1, DEC_2 = date(2026, 12, 1), date(2026, 12, 2)
NOVEMBER = Month(2026, 11)
PARENT, PUPIL, OTHER_PARENT, CARER, CLASS_TEACHER = 8201, 8202, 8203, 8204, 8205
SANDBOX_TOKEN = "8282:EXTRACT-token"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIGA)


async def november(core: Core, clock: FakeClock) -> World:
    """Marks and an absence in November; who is connected to the bot, and who is not.

    Connected: Jānis's and Ērika's mother, Jānis himself (English), a carer of Jānis, the 5.a
    class teacher. Anna's father blocked the bot; Anna, Ērika and the 2.a class teacher have
    no account.
    """
    world = await build_world(core)
    a = world.a
    math = await viewer(core, a.math_teacher)
    latvian = await viewer(core, a.latvian_teacher)
    clock.set(at(date(2026, 11, 20), 10))
    test = await create_assessment(
        core.uow(), math, group_id=a.math_group, on=date(2026, 11, 20), title="Daļskaitļi"
    )
    await record_marks(
        core.uow(), math, assessment_id=test.id, entries={a.pupil_5a: "8", a.pupil_5a_second: "6"}
    )
    words = await create_assessment(
        core.uow(), latvian, group_id=a.latvian_group, on=date(2026, 11, 19), title="Vārdi"
    )
    await record_marks(core.uow(), latvian, assessment_id=words.id, entries={a.pupil_2a: "A"})
    clock.set(at(date(2026, 11, 26), 12))
    await record_attendance(core.uow(), math, lesson_id=a.lesson_math, absent={a.pupil_5a: "n"})
    carer = await insert(
        core,
        t.Person(
            given_name="Vecmāmiņa",
            family_name="Alfa-Bērziņa",
            is_active=True,
            created_at=clock.now(),
            updated_at=clock.now(),
        ),
    )
    await insert(
        core,
        t.Guardianship(
            guardian_id=carer[0], pupil_id=a.pupil_5a, relation="carer", read_only=True
        ),
    )
    await link(core, a.parent_5a, PARENT)
    await link(core, a.pupil_5a, PUPIL, language="en")
    await link(core, a.parent_5a_second, OTHER_PARENT, status="unreachable")
    await link(core, carer[0], CARER)
    await link(core, a.math_teacher, CLASS_TEACHER)
    return world


def monthly(core: Core, clock: FakeClock, **settings: Any) -> MonthlyExtracts:
    config = NotificationsSettings(**settings)
    return MonthlyExtracts(
        Outbox(core.engine),
        load_catalogs(),
        extracts_from(core.uow),
        reach=reach_from(core.uow),
        rules=Rules.from_settings(config),
        clock=clock,
        zone=RIGA,
        day=config.extract_day,
        at=config.extract_time,
        deadline=config.extract_deadline,
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_push_sends_each_linked_recipient_exactly_one_extract(
    core: Core, clock: FakeClock
) -> None:
    world = await november(core, clock)
    a = world.a
    clock.set(at(DEC_1, 9, 5))  # a restart just after the push time: caught up at once
    sender = RecordingSender()
    runtime = build_notifications_runtime(core, NotificationsSettings(), sender, clock=clock)
    assert EXTRACT in [job.name for job in runtime.scheduler.deadline_jobs]
    assert await runtime.scheduler.catch_up() == [EXTRACT]
    rows = {row.idempotency_key: row for row in await deliveries(core)}
    assert {key: row.status for key, row in rows.items()} == {
        extract_key(a.parent_5a, a.pupil_5a, NOVEMBER): "queued",
        extract_key(a.parent_5a, a.pupil_2a, NOVEMBER): "queued",
        extract_key(a.pupil_5a, a.pupil_5a, NOVEMBER): "queued",
        extract_key(a.parent_5a_second, a.pupil_5a_second, NOVEMBER): "unreachable",
    }  # not the carer, not Anna or Ērika (no account), nothing in school b (no marks)
    for row in rows.values():  # the outbox holds a reference, never the file
        message = OutboundMessage.model_validate(row.payload)
        assert message.document is not None
        assert message.file_id is None
        assert message.document.period == "2026-11"

    runtime.worker.start()
    try:
        await eventually(lambda: len(sender.calls) == 3)
        await asyncio.sleep(0.05)
    finally:
        await runtime.worker.stop(drain_s=1)
    by_chat: dict[int, list[DocumentPart]] = {}
    for call in sender.calls:
        assert isinstance(call.part, DocumentPart)
        by_chat.setdefault(call.chat_id, []).append(call.part)
    assert sorted((chat, len(parts)) for chat, parts in by_chat.items()) == [
        (PARENT, 2),
        (PUPIL, 1),
    ]
    mother = {part.caption.splitlines()[0]: part for part in by_chat[PARENT] if part.caption}
    jana = mother["📄 <b>Jānis</b>: sekmju izraksts — 2026. gada novembris"]
    assert jana.caption is not None
    assert jana.caption.splitlines()[1] == (
        "vērtējumi: 1, vidējais: 8,00; kavētas stundas: 1 (attaisnotas: 0)"
    )
    assert jana.file_name == "sekmju-izraksts-2026-11-Janis-Alfa-Berzins.pdf"
    text = pdf_text(jana.content)
    assert "Jānis Alfa-Bērziņš" in text
    assert "20.11. Daļskaitļi: 8" in text
    erika = mother["📄 <b>Ērika</b>: sekmju izraksts — 2026. gada novembris"]
    assert "19.11. Vārdi: apguvis" in pdf_text(erika.content)
    assert "Ērika Alfa-Bērziņa" in pdf_text(erika.content)
    [own] = by_chat[PUPIL]
    assert own.caption == (
        "📄 Your progress extract — November 2026\n"
        "marks: 1, average: 8.00; lessons missed: 1 (excused: 0)"
    )
    assert "Sekmju izraksts" in pdf_text(own.content)  # the PDF is in the school's language

    # Reruns write nothing: the scheduler's catch-up, and the job itself.
    before = len(await deliveries(core))
    await runtime.scheduler.catch_up()
    assert await monthly(core, clock).run(DEC_1) == 0
    assert len(await deliveries(core)) == before


async def test_the_class_teachers_get_the_counts_once_the_push_is_over(
    core: Core, clock: FakeClock
) -> None:
    world = await november(core, clock)
    a = world.a
    clock.set(at(DEC_1, 9))
    job = monthly(core, clock)
    assert await job.run(DEC_1) == 4
    outbox = Outbox(core.engine)
    assert await job.summarize() == 0  # three messages still queued
    assert await finish_runs(outbox) == 0
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Delivery)
            .where(t.Delivery.status == "queued")
            .values(status="sent", sent_at=at(DEC_1, 9, 1).astimezone(UTC))
        )
    assert await finish_runs(outbox) == 1
    clock.set(at(DEC_1, 9, 2))
    assert await job.summarize() == 2
    assert await job.summarize() == 0  # once per push
    summaries = {row.recipient_id: row for row in await deliveries(core) if row.kind == SUMMARY}
    assert set(summaries) == {a.math_teacher, a.latvian_teacher}
    assert summaries[a.latvian_teacher].status == "not_connected"
    math = summaries[a.math_teacher]
    assert (math.status, math.idempotency_key) == (
        "queued",
        f"extract-summary:{a.math_teacher}:2026-11",
    )
    message = OutboundMessage.model_validate(math.payload)
    assert message.text.splitlines() == [
        "📄 Sekmju izraksti — 2026. gada novembris:",
        "<b>5.a</b> — nosūtīti: 2, nesasniedzami: 1, nav pievienojušies botam: 0",
        "Skolēni, kuru ģimenei izrakstu nevar nosūtīt: 1 — izdrukājiet tos (/extract missing).",
    ]
    [[button]] = message.keyboard
    assert button.text == "🖨 5.a: drukāt trūkstošos (1)"
    assert (
        button.callback_data
        == ExtractCb(action="missing", ref=a.class_5a, month=NOVEMBER.ordinal).pack()
    )
    assert missing_callback(a.class_5a, NOVEMBER) == button.callback_data
    erika = OutboundMessage.model_validate(summaries[a.latvian_teacher].payload)
    assert erika.text.splitlines()[1:] == [
        "<b>2.a</b> — nosūtīti: 1, nesasniedzami: 0, nav pievienojušies botam: 0",
        "Katra skolēna ģimene izrakstu saņēma.",
    ]
    assert erika.keyboard == ()


async def test_the_counts_go_at_the_deadline_if_messages_still_wait(
    core: Core, clock: FakeClock
) -> None:
    world = await november(core, clock)
    clock.set(at(DEC_1, 9))
    job = monthly(core, clock)
    await job.run(DEC_1)
    clock.set(at(DEC_1, 17, 59))
    assert await job.summarize() == 0
    clock.set(at(DEC_1, 18, 0))
    assert await job.summarize() == 2
    text = OutboundMessage.model_validate(
        next(r for r in await deliveries(core) if r.recipient_id == world.a.math_teacher).payload
    ).text
    assert "nav izdevies nosūtīt: 2" in text  # still queued at the deadline


async def test_no_push_on_other_days_or_when_switched_off(core: Core, clock: FakeClock) -> None:
    await november(core, clock)
    clock.set(at(DEC_2, 9, 30))
    runtime = build_notifications_runtime(core, NotificationsSettings(), RecordingSender())
    assert await runtime.scheduler.catch_up() == []
    assert await monthly(core, clock).run(DEC_2) == 0
    clock.set(at(DEC_1, 9, 30))
    off = build_notifications_runtime(
        core, NotificationsSettings(monthly_extracts=False), RecordingSender()
    )
    assert EXTRACT not in [job.name for job in off.scheduler.deadline_jobs]
    assert await off.scheduler.catch_up() == []
    assert await deliveries(core) == []
    # Another day of the month, by the settings.
    assert await monthly(core, clock, extract_day=2).run(DEC_1) == 0


async def test_the_document_is_rendered_when_sent(core: Core, clock: FakeClock) -> None:
    world = await november(core, clock)
    a = world.a
    clock.set(at(DEC_1, 9))
    render = extract_documents(core.uow, load_catalogs())
    ref = DocumentRef(kind="extract", school_id=a.school_id, pupil_id=a.pupil_2a, period="2026-11")
    found = await render(ref)
    assert found is not None
    name, pdf = found
    assert name == "sekmju-izraksts-2026-11-Erika-Alfa-Berzina.pdf"
    assert "Ērika Alfa-Bērziņa" in pdf_text(pdf)
    assert await render(ref.model_copy(update={"kind": "report_card"})) is None
    assert await render(ref.model_copy(update={"period": "2026-13"})) is None
    assert await render(ref.model_copy(update={"pupil_id": a.parent_5a})) is None  # no pupil
    assert await render(ref.model_copy(update={"school_id": world.b.school_id})) is None
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Person).where(t.Person.id == a.pupil_2a).values(is_active=False)
        )
    assert await render(ref) is None  # a leaver's extract is not sent any more


async def test_the_pdf_goes_through_the_bot_api_by_send_document(
    core: Core, clock: FakeClock
) -> None:
    """The real worker and aiogram sender against the sandbox: a document, named, with the PDF."""
    world = await november(core, clock)
    a = world.a
    clock.set(at(DEC_1, 9))
    async with running_sandbox(config=SandboxConfig(token=SANDBOX_TOKEN)) as sandbox:
        user = await sandbox.client.create_user("Līga", user_id=PARENT)
        await sandbox.client.send_text(user["id"], "/start")
        job = monthly(core, clock)
        await job.run(DEC_1)
        sender = TelegramSender(SANDBOX_TOKEN, api_base=sandbox.api_url, timeout=5)
        worker = DeliveryWorker(
            Outbox(core.engine),
            sender,
            fast_config(),
            clock=clock,
            documents=extract_documents(core.uow, load_catalogs()),
        )
        worker.start()
        try:
            messages = await sandbox.client.wait_for_bot_messages(PARENT, count=2, timeout=20)
        finally:
            await worker.stop(drain_s=2)
            await sender.close()
        by_name = {m["document"]["file_name"]: m for m in messages}
        assert set(by_name) == {
            "sekmju-izraksts-2026-11-Janis-Alfa-Berzins.pdf",
            "sekmju-izraksts-2026-11-Erika-Alfa-Berzina.pdf",
        }
        jana = by_name["sekmju-izraksts-2026-11-Janis-Alfa-Berzins.pdf"]
        assert jana["caption"].startswith("📄 Jānis: sekmju izraksts — 2026. gada novembris")
        pdf = await sandbox.client.download(jana["document"]["url"])
        assert "Jānis Alfa-Bērziņš" in pdf_text(pdf)
    assert a.pupil_5a in {row.recipient_id for row in await deliveries(core)}


def test_the_settings_refuse_impossible_schedules() -> None:
    with pytest.raises(ValueError, match="extract_deadline"):
        NotificationsSettings(extract_time=time(18), extract_deadline=time(9))
    with pytest.raises(ValueError, match="less than or equal to 28"):
        NotificationsSettings(extract_day=29)  # every month has the day
    with pytest.raises(ValueError, match="03:00 and 04:00"):
        NotificationsSettings(extract_time=time(3, 30))
    assert NotificationsSettings().extract_day == 1
