"""Staff broadcasts in the outbox: a delivery per stored recipient, the ack button, quiet hours."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.callbacks import BroadcastAckCb
from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.broadcasts import Audience
from core.services.broadcasts import (
    BroadcastAttachment,
    SentBroadcast,
    broadcast_report,
    send_broadcast,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.broadcasts import SENT, BroadcastNotices, ack_callback
from notifications.delivery import DeliveryWorker
from notifications.fanout import FanOut
from notifications.messages import OutboundMessage, load_catalogs
from notifications.outbox import Outbox, utc
from notifications.policy import Rules
from notifications.records import Status
from notifications.runtime import build_notifications_runtime
from notifications.sender import Button, DocumentPart, RecipientGone, RecordingSender, TextPart
from notifications.settings import NotificationsSettings
from tests.builders import World, build_world, viewer

from .conftest import deliveries, fast_config, link, settle

RIGA = ZoneInfo("Europe/Riga")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PARENT, SECOND, TEACHER = 6101, 6102, 6103


def fanout(core: Core) -> FanOut:
    catalogs = load_catalogs()
    rules = Rules.from_settings(NotificationsSettings())
    return FanOut(
        Outbox(core.engine),
        catalogs,
        rules,
        core.clock,
        handlers={SENT: BroadcastNotices(catalogs, rules).on_sent},
    )


async def broadcast(
    core: Core, world: World, audience: Audience | None = None, **options: object
) -> SentBroadcast:
    boss = await viewer(core, world.a.superuser)
    return await send_broadcast(
        core.uow(),
        boss,
        school_id=world.a.school_id,
        audience=audience or Audience.all_parents(),
        text=str(options.pop("text", "Rīt <b>nav</b> stundu & ekskursija.")),
        **options,  # type: ignore[arg-type]
    )


async def test_one_delivery_per_stored_recipient_with_the_ack_button(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT, language="en")
    sent = await broadcast(core, world, ask_ack=True)
    assert await fanout(core).run_once() == 1
    rows = {row.recipient_id: row for row in await deliveries(core)}
    assert set(rows) == {a.parent_5a, a.parent_5a_second}  # the parent of two children once
    assert len(rows) == sent.recipients
    parent, second = rows[a.parent_5a], rows[a.parent_5a_second]
    assert (parent.status, parent.chat_id, second.status) == ("queued", PARENT, "not_connected")
    for person, row in rows.items():
        assert row.idempotency_key == f"broadcast:{sent.id}:p{person}"
        assert (row.job, row.kind) == (f"broadcast:{sent.id}", "broadcast.sent")
    message = OutboundMessage.model_validate(parent.payload)
    assert message.text == (
        "📣 <b>Broadcast</b> · Alfa pamatskola\n"
        "<i>From: Inese Alfa-Vietniece</i>\n\n"
        "Rīt &lt;b&gt;nav&lt;/b&gt; stundu &amp; ekskursija.\n\n"
        "Please confirm that you have read this: press the button below."
    )
    [[button]] = message.keyboard
    assert (button.text, button.callback_data) == ("✅ I have read this", f"ba:{sent.id}")
    latvian = OutboundMessage.model_validate(second.payload)  # no account: the school's language
    assert latvian.text.startswith("📣 <b>Apkārtraksts</b> · Alfa pamatskola\n<i>No: Inese")
    assert latvian.keyboard[0][0].text == "✅ Esmu izlasījis(-usi)"
    # A replay writes nothing new.
    notices = BroadcastNotices(load_catalogs(), Rules.from_settings(NotificationsSettings()))
    async with Outbox(core.engine).transaction() as tx:
        [event] = await tx.events_after(0, 10)
        assert (
            await tx.enqueue(await notices.on_sent(tx, event, core.clock.now()), core.clock.now())
            == 0
        )
    assert len(await deliveries(core)) == 2


def test_the_ack_button_is_the_bots_packed_callback() -> None:
    for broadcast_id in (1, 42, 2**31 - 1):
        assert ack_callback(broadcast_id) == BroadcastAckCb(broadcast_id=broadcast_id).pack()


async def test_quiet_hours_hold_a_broadcast_unless_it_is_urgent(
    core: Core, clock: FakeClock
) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT)
    await link(core, a.parent_5a_second, SECOND, quiet=(time(20, 0), time(8, 30)))
    clock.set(datetime(2026, 11, 27, 22, 15, tzinfo=RIGA))
    calm = await broadcast(core, world)
    urgent = await broadcast(core, world, urgent=True, text="Skola rīt slēgta")
    await fanout(core).run_once()
    rows = {(row.job, row.recipient_id): row for row in await deliveries(core)}
    morning = datetime(2026, 11, 28, 7, 0, tzinfo=RIGA)
    assert utc(rows[(f"broadcast:{calm.id}", a.parent_5a)].not_before) == morning
    assert utc(rows[(f"broadcast:{calm.id}", a.parent_5a_second)].not_before) == datetime(
        2026, 11, 28, 8, 30, tzinfo=RIGA
    )
    for person in (a.parent_5a, a.parent_5a_second):
        row = rows[(f"broadcast:{urgent.id}", person)]
        assert (row.status, utc(row.not_before)) == ("queued", clock.now())
    text = OutboundMessage.model_validate(rows[(f"broadcast:{urgent.id}", a.parent_5a)].payload)
    assert text.text.startswith("❗ <b>Steidzams apkārtraksts</b> · Alfa pamatskola")


async def test_unreachable_and_deactivated_recipients_are_recorded_not_sent(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT, status="unreachable")
    await link(core, a.parent_5a_second, SECOND)
    sent = await broadcast(core, world)
    async with create_session_factory(core.engine)() as session, session.begin():
        await session.execute(
            update(t.Person).where(t.Person.id == a.parent_5a_second).values(is_active=False)
        )
    await fanout(core).run_once()
    rows = {row.recipient_id: row.status for row in await deliveries(core)}
    assert rows == {a.parent_5a: "unreachable", a.parent_5a_second: "not_connected"}
    boss = await viewer(core, a.superuser)
    report = await broadcast_report(core.uow(), boss, broadcast_id=sent.id)
    assert (report.unreachable, report.not_connected, report.pending, report.done) == (
        1,
        1,
        0,
        True,
    )


async def test_an_attachment_goes_as_the_document_with_the_text_and_button_under_it(
    core: Core,
) -> None:
    world = await build_world(core)
    a = world.a
    await link(core, a.parent_5a, PARENT)
    await broadcast(
        core,
        world,
        attachment=BroadcastAttachment("plāns.pdf", "application/pdf", PDF),
        ask_ack=True,
    )
    await fanout(core).run_once()
    outbox = Outbox(core.engine)
    sender = RecordingSender()
    worker = DeliveryWorker(outbox, sender, fast_config(), clock=core.clock)
    worker.start()
    await settle(outbox)
    await worker.stop()
    [call] = sender.calls
    part = call.part
    assert isinstance(part, DocumentPart)
    assert (part.file_name, part.content) == ("plāns.pdf", PDF)
    assert part.caption is not None
    assert "ekskursija" in part.caption
    assert part.keyboard[0][0].callback_data.startswith("ba:")


async def test_the_report_follows_the_real_worker_to_the_end(core: Core) -> None:
    world = await build_world(core)
    a = world.a
    teacher = await viewer(core, a.math_teacher)
    for person, chat in ((a.parent_5a, PARENT), (a.parent_5a_second, SECOND), (a.pupil_5a, 6104)):
        await link(core, person, chat)
    sent = await send_broadcast(
        core.uow(),
        teacher,
        school_id=a.school_id,
        audience=Audience.klass(a.class_5a),
        text="Klases vakars piektdien",
        ask_ack=True,
    )
    before = await broadcast_report(core.uow(), teacher, broadcast_id=sent.id)
    assert (before.recipients, before.connected, before.pending) == (4, 3, 4)
    await fanout(core).run_once()
    outbox = Outbox(core.engine)
    sender = RecordingSender(outcomes={SECOND: [RecipientGone("blocked")]})
    worker = DeliveryWorker(outbox, sender, fast_config(), clock=core.clock)
    worker.start()
    await settle(outbox)
    await worker.stop()
    report = await broadcast_report(core.uow(), teacher, broadcast_id=sent.id)
    assert (
        report.delivered,
        report.not_connected,
        report.unreachable,
        report.failed,
        report.pending,
    ) == (2, 1, 1, 0, 0)
    assert report.delivered == len(sender.delivered())
    assert report.done
    texts = [c.part for c in sender.delivered() if isinstance(c.part, TextPart)]
    assert all(
        part.keyboard == ((Button("✅ Esmu izlasījis(-usi)", f"ba:{sent.id}"),),) for part in texts
    )
    rows = {row.name: row for row in await outbox.report(job=f"broadcast:{sent.id}")}
    assert (rows[f"broadcast:{sent.id}"].sent, rows[f"broadcast:{sent.id}"].unreachable) == (2, 1)
    assert await outbox.status_counts(job=f"broadcast:{sent.id}") == {
        Status.SENT: 2,
        Status.UNREACHABLE: 1,
        Status.NOT_CONNECTED: 1,
    }


async def test_the_engine_of_the_process_handles_broadcasts(core: Core) -> None:
    runtime = build_notifications_runtime(core, NotificationsSettings(), RecordingSender())
    assert SENT in runtime.fanout.handlers
