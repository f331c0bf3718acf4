"""Report cards sent by the superuser reach each parent with full rights once, as a document."""

from __future__ import annotations

from core.bootstrap import Core
from core.documents.report_cards import card_file_name, report_card_pdf
from core.services import report_cards
from core.storage import tables as t
from notifications.fanout import FanOut
from notifications.messages import OutboundMessage, load_catalogs
from notifications.outbox import Outbox
from notifications.policy import Rules
from notifications.records import Status
from notifications.report_cards import ISSUED, ReportCardNotices, card_key
from notifications.runtime import build_notifications_runtime
from notifications.sender import DocumentPart, RecordingSender
from notifications.settings import NotificationsSettings
from tests.builders import build_world, insert, new_person, viewer

from .conftest import deliveries, eventually, link


def fanout(core: Core) -> FanOut:
    catalogs = load_catalogs()
    rules = Rules.from_settings(NotificationsSettings())
    return FanOut(
        Outbox(core.engine),
        catalogs,
        rules,
        core.clock,
        handlers={ISSUED: ReportCardNotices(catalogs, rules).on_issued},
    )


async def test_each_parent_gets_their_childs_card_once(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    carer = await new_person(core, "Vilma", "Aprūpētāja")
    await insert(
        core,
        t.Guardianship(guardian_id=carer, pupil_id=a.pupil_5a, relation="carer", read_only=True),
    )
    await link(core, a.parent_5a, 7001, language="en")
    await link(core, carer, 7002)
    await link(core, a.pupil_5a, 7003)
    superuser = await viewer(core, a.superuser)
    cards = await report_cards.class_report_cards(core.uow(), superuser, class_id=a.class_5a)
    documents = {
        card.pupil.id: (
            card_file_name(card, core.catalogs, "lv"),
            report_card_pdf(card, catalogs=core.catalogs, lang="lv"),
        )
        for card in cards.cards
    }
    await report_cards.issue_report_cards(
        core.uow(), superuser, class_id=a.class_5a, documents=documents
    )

    engine = fanout(core)
    await engine.run_once()

    rows = await deliveries(core)
    by_person = {row.recipient_id: row for row in rows}
    # Līga (linked) and Kārlis (not linked); never the carer, never the pupil
    assert set(by_person) == {a.parent_5a, a.parent_5a_second}
    liga, karlis = by_person[a.parent_5a], by_person[a.parent_5a_second]
    assert (liga.status, liga.chat_id, liga.kind) == (Status.QUEUED.value, 7001, ISSUED)
    assert (karlis.status, karlis.chat_id) == (Status.NOT_CONNECTED.value, None)
    message = OutboundMessage.model_validate(liga.payload)
    assert message.caption == "📜 Report card: Jānis (class 5.a), school year 2026/2027."
    stored = await Outbox(core.engine).file(message.file_id or 0)
    assert stored == documents[a.pupil_5a]
    assert liga.idempotency_key == card_key(message.file_id or 0, a.parent_5a)

    await report_cards.issue_report_cards(  # pressed twice: the same cards, nobody twice
        core.uow(), superuser, class_id=a.class_5a, documents=documents
    )
    await engine.run_once()
    assert len(await deliveries(core)) == 2


async def test_the_running_engine_sends_the_card_as_a_document(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, 7101)
    sender = RecordingSender()
    settings = NotificationsSettings(
        fanout_interval_s=0.02, idle_poll_s=0.02, global_per_second=100, leader_retry_s=0.05
    )
    runtime = build_notifications_runtime(core, settings, sender)
    await runtime.start()
    try:
        superuser = await viewer(core, a.superuser)
        card = await report_cards.report_card(
            core.uow(), superuser, pupil_id=a.pupil_5a, school_year_id=a.year_id
        )
        pdf = report_card_pdf(card, catalogs=core.catalogs, lang="lv")
        await report_cards.issue_report_cards(
            core.uow(),
            superuser,
            class_id=a.class_5a,
            documents={a.pupil_5a: ("lieciba.pdf", pdf)},
        )
        await eventually(lambda: bool(sender.delivered(7101)), within=10)
    finally:
        await runtime.stop(drain_s=1)
    [call] = sender.delivered(7101)
    assert isinstance(call.part, DocumentPart)
    assert (call.part.file_name, call.part.content) == ("lieciba.pdf", pdf)
    assert call.part.caption == "📜 Liecība: Jānis (5.a klase), mācību gads 2026/2027."
