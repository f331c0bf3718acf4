"""Acceptance (issue #8): a teacher's mark reaches the parent as the parent chose in /settings.

Instant after the grace period, held through quiet hours, folded into the digest at the parent's
own digest time, or not at all; also homework and School news by their preferences. The fan-out,
the digest job and the delivery worker run on a frozen clock; preferences are written by core's
preference service, so the shape core writes is the shape the engine reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Viewer
from core.services import marks, news, preferences
from core.services.lessons import record_lesson
from core.storage import tables as t
from core.storage.database import create_session_factory
from notifications.fanout import FanOut
from notifications.jobs import DigestJob
from notifications.messages import load_catalogs
from notifications.outbox import Outbox
from notifications.policy import Mode, Rules, Topic
from notifications.records import Status
from notifications.sender import RecordingSender, TextPart
from notifications.settings import NotificationsSettings
from tests.builders import World, build_world, viewer

from .conftest import deliveries, eventually, link, make_worker

RIGA = ZoneInfo("Europe/Riga")
THURSDAY = date(2026, 11, 26)
PARENT_CHAT, OTHER_PARENT_CHAT, PUPIL_CHAT = 7001, 7002, 7003
MARK_8 = "<b>Jānis</b>: jauns vērtējums — Matemātika: <b>8</b> (26.11.2026)"


def riga(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in Riga on a day of November 2026, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=RIGA).astimezone(UTC)


@dataclass
class Engine:
    """The notifications engine's parts on a frozen clock, and the chats it reached."""

    core: Core
    clock: FakeClock
    world: World
    sender: RecordingSender

    @property
    def rules(self) -> Rules:
        return Rules.from_settings(NotificationsSettings())

    async def fan_out(self) -> None:
        await FanOut(Outbox(self.core.engine), load_catalogs(), self.rules, self.clock).run_once()

    async def digest(self) -> int:
        job = DigestJob(
            Outbox(self.core.engine),
            load_catalogs(),
            self.clock,
            rules=self.rules,
            zone=RIGA,
            late=timedelta(hours=2),
        )
        return await job.run()

    async def deliver_at(self, when: datetime) -> dict[int, list[str]]:
        """Set the clock, send everything due then; returns the new texts per chat."""
        self.clock.set(when)
        before = len(self.sender.calls)
        worker = make_worker(self.core, self.sender, self.clock)
        worker.start()
        try:
            await eventually(self._nothing_due, within=10)
        finally:
            await worker.stop()
        received: dict[int, list[str]] = {}
        for call in self.sender.calls[before:]:
            assert isinstance(call.part, TextPart)
            received.setdefault(call.chat_id, []).append(call.part.text)
        return received

    async def _nothing_due(self) -> bool:
        d = t.Delivery
        now = self.clock.now()
        async with create_session_factory(self.core.engine)() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(d)
                .where(
                    or_(
                        (d.status == Status.QUEUED.value) & (d.not_before <= now),
                        d.status == Status.SENDING.value,
                    )
                )
            )
        return not waiting

    async def record_mark(self, entries: dict[int, str], at: datetime) -> None:
        """The math teacher records marks of a Thursday test at ``at`` (core's service)."""
        self.clock.set(at)
        teacher = await viewer(self.core, self.world.a.math_teacher)
        test = await marks.create_assessment(
            self.core.uow(), teacher, group_id=self.world.a.math_group, on=THURSDAY, title="Tests"
        )
        await marks.record_marks(self.core.uow(), teacher, assessment_id=test.id, entries=entries)


async def engine(core: Core, clock: FakeClock) -> Engine:
    world = await build_world(core)
    return Engine(core, clock, world, RecordingSender())


async def parent(core: Core, world: World, chat: int = PARENT_CHAT) -> tuple[Viewer, int]:
    """The parent of Jānis (5.a) linked to Telegram, with their account id."""
    account = await link(core, world.a.parent_5a, chat)
    return await viewer(core, world.a.parent_5a), account


async def test_instant_arrives_after_the_grace_period(core: Core, clock: FakeClock) -> None:
    e = await engine(core, clock)
    await parent(core, e.world)  # chose nothing: the school default is instant
    await e.record_mark({e.world.a.pupil_5a: "8"}, riga(26, 12, 0))
    await e.fan_out()
    assert await e.deliver_at(riga(26, 12, 9)) == {}  # the 10-minute grace period
    assert await e.deliver_at(riga(26, 12, 10)) == {PARENT_CHAT: [MARK_8]}
    assert await e.deliver_at(riga(26, 12, 30)) == {}  # once


async def test_a_mark_at_2055_waits_through_quiet_hours_until_0700(
    core: Core, clock: FakeClock
) -> None:
    e = await engine(core, clock)
    who, account = await parent(core, e.world)
    await preferences.set_notification_mode(
        core.uow(), who, account_id=account, topic="mark", mode="instant"
    )
    await preferences.set_quiet_hours(
        core.uow(), who, account_id=account, start=time(21, 0), end=time(7, 0)
    )
    await e.record_mark({e.world.a.pupil_5a: "8"}, riga(26, 20, 55))
    await e.fan_out()
    for quiet in (riga(26, 21, 5), riga(26, 23, 0), riga(27, 6, 59)):
        assert await e.deliver_at(quiet) == {}
    assert await e.deliver_at(riga(27, 7, 0)) == {PARENT_CHAT: [MARK_8]}


async def test_quiet_hours_turned_off_let_the_evening_mark_through(
    core: Core, clock: FakeClock
) -> None:
    e = await engine(core, clock)
    who, account = await parent(core, e.world)
    await preferences.set_quiet_hours(
        core.uow(), who, account_id=account, start=time(0), end=time(0)
    )
    await e.record_mark({e.world.a.pupil_5a: "8"}, riga(26, 20, 55))
    await e.fan_out()
    assert await e.deliver_at(riga(26, 21, 5)) == {PARENT_CHAT: [MARK_8]}


async def test_digest_at_1600_folds_the_mark_at_1600_and_not_at_1800(
    core: Core, clock: FakeClock
) -> None:
    e = await engine(core, clock)
    a = e.world.a
    who, account = await parent(core, e.world)
    await preferences.set_notification_mode(
        core.uow(), who, account_id=account, topic="mark", mode="digest"
    )
    await preferences.set_digest_time(core.uow(), who, account_id=account, at=time(16, 0))
    # The other parent chose the digest too, at the school's time (18:00).
    other_account = await link(core, a.parent_5a_second, OTHER_PARENT_CHAT)
    other = await viewer(core, a.parent_5a_second)
    await preferences.set_notification_mode(
        core.uow(), other, account_id=other_account, topic="mark", mode="digest"
    )
    await e.record_mark({a.pupil_5a: "8", a.pupil_5a_second: "7"}, riga(26, 12, 0))
    await e.fan_out()
    assert await e.deliver_at(riga(26, 12, 30)) == {}  # held for the digests

    e.clock.set(riga(26, 15, 59))
    assert await e.digest() == 0
    e.clock.set(riga(26, 16, 0))
    assert await e.digest() == 1
    sent = await e.deliver_at(riga(26, 16, 0))
    assert list(sent) == [PARENT_CHAT]
    [digest] = sent[PARENT_CHAT]
    assert digest.startswith("<b>Kopsavilkums, 26.11.2026</b>\n\n")
    assert MARK_8 in digest

    e.clock.set(riga(26, 18, 0))
    assert await e.digest() == 1  # the other parent's, and no second one for the first
    sent = await e.deliver_at(riga(26, 18, 0))
    assert list(sent) == [OTHER_PARENT_CHAT]
    assert "Matemātika: <b>7</b>" in sent[OTHER_PARENT_CHAT][0]
    e.clock.set(riga(26, 18, 30))
    assert await e.digest() == 0

    rows = await deliveries(core)
    digests = {r.idempotency_key for r in rows if r.kind == "digest"}
    assert digests == {
        f"digest:{a.parent_5a}:2026-11-26",
        f"digest:{a.parent_5a_second}:2026-11-26",
    }
    async with Outbox(core.engine).transaction() as tx:
        run = await tx.job_run("digest", "2026-11-26")
    assert run is not None
    assert run.enqueued == 2


async def test_a_mark_after_todays_digest_waits_for_tomorrows(
    core: Core, clock: FakeClock
) -> None:
    e = await engine(core, clock)
    who, account = await parent(core, e.world)
    await preferences.set_notification_mode(
        core.uow(), who, account_id=account, topic="mark", mode="digest"
    )
    await preferences.set_digest_time(core.uow(), who, account_id=account, at=time(7, 0))
    await e.record_mark({e.world.a.pupil_5a: "8"}, riga(26, 12, 0))
    await e.fan_out()
    e.clock.set(riga(26, 12, 15))
    assert await e.digest() == 0  # 07:00 has passed by more than the catch-up window
    e.clock.set(riga(27, 7, 0))
    assert await e.digest() == 1
    sent = await e.deliver_at(riga(27, 7, 0))
    assert sent[PARENT_CHAT][0].startswith("<b>Kopsavilkums, 27.11.2026</b>")


async def test_off_means_nothing_at_all(core: Core, clock: FakeClock) -> None:
    e = await engine(core, clock)
    who, account = await parent(core, e.world)
    await preferences.set_notification_mode(
        core.uow(), who, account_id=account, topic="mark", mode="off"
    )
    await e.record_mark({e.world.a.pupil_5a: "8"}, riga(26, 12, 0))
    await e.fan_out()
    assert [r for r in await deliveries(core) if r.recipient_id == e.world.a.parent_5a] == []
    assert await e.deliver_at(riga(26, 12, 30)) == {}
    e.clock.set(riga(26, 18, 0))
    assert await e.digest() == 0


async def test_homework_follows_its_preference(core: Core, clock: FakeClock) -> None:
    e = await engine(core, clock)
    a = e.world.a
    await parent(core, e.world)  # homework: the school default, the digest
    pupil_account = await link(core, a.pupil_5a, PUPIL_CHAT, language="en")
    pupil = await viewer(core, a.pupil_5a)
    await preferences.set_notification_mode(
        core.uow(), pupil, account_id=pupil_account, topic="homework", mode="instant"
    )
    other_account = await link(core, a.parent_5a_second, OTHER_PARENT_CHAT)
    await preferences.set_notification_mode(
        core.uow(),
        await viewer(core, a.parent_5a_second),
        account_id=other_account,
        topic="homework",
        mode="off",
    )
    e.clock.set(riga(26, 14, 0))
    teacher = await viewer(core, a.math_teacher)
    await record_lesson(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=THURSDAY,
        period=2,
        topic="Daļskaitļi",
        homework="Uzd. 5 un 6 <b>",
        homework_due_on=date(2026, 11, 30),
    )
    await e.fan_out()
    assert await e.deliver_at(riga(26, 14, 0)) == {
        PUPIL_CHAT: ["Homework — Matemātika (26.11.2026), due 30.11.2026:\nUzd. 5 un 6 &lt;b&gt;"]
    }
    e.clock.set(riga(26, 18, 0))
    assert await e.digest() == 1
    sent = await e.deliver_at(riga(26, 18, 0))
    assert list(sent) == [PARENT_CHAT]  # the other parent turned homework off
    assert (
        "<b>Jānis</b>: mājas darbs — Matemātika (26.11.2026), jāizpilda līdz 30.11.2026:\n"
        "Uzd. 5 un 6 &lt;b&gt;"
    ) in sent[PARENT_CHAT][0]
    # The topic alone changing is no homework news.
    e.clock.set(riga(26, 18, 30))
    await record_lesson(
        core.uow(),
        teacher,
        group_id=a.math_group,
        on=THURSDAY,
        period=2,
        topic="Daļskaitļu saskaitīšana",
        homework="Uzd. 5 un 6 <b>",
        homework_due_on=date(2026, 11, 30),
    )
    count = len(await deliveries(core))
    await e.fan_out()
    assert len(await deliveries(core)) == count


async def test_news_follows_its_preference(core: Core, clock: FakeClock) -> None:
    e = await engine(core, clock)
    a = e.world.a
    who, account = await parent(core, e.world)
    await preferences.set_notification_mode(
        core.uow(), who, account_id=account, topic="news", mode="digest"
    )
    pupil_account = await link(core, a.pupil_5a, PUPIL_CHAT)
    await preferences.set_notification_mode(
        core.uow(),
        await viewer(core, a.pupil_5a),
        account_id=pupil_account,
        topic="news",
        mode="off",
    )
    teacher_account = await link(core, a.math_teacher, 7004)
    e.clock.set(riga(26, 12, 0))
    boss = await viewer(core, a.superuser)
    await news.post_news(
        core.uow(),
        boss,
        school_id=a.school_id,
        title="Ekskursija",
        body="Piektdien dodamies uz muzeju.",
        attachment=None,
        notify=True,
    )
    await e.fan_out()
    assert await e.deliver_at(riga(26, 12, 0)) == {
        7004: [
            "<b>Skolas ziņas</b>: <b>Ekskursija</b>\nPiektdien dodamies uz muzeju.\n\n"
            "Lasīt visu: /news"
        ]
    }
    e.clock.set(riga(26, 18, 0))
    assert await e.digest() == 1
    sent = await e.deliver_at(riga(26, 18, 0))
    assert list(sent) == [PARENT_CHAT]  # the pupil turned news off
    assert "Ekskursija" in sent[PARENT_CHAT][0]
    assert teacher_account


def test_core_knows_the_engines_topics_modes_and_defaults() -> None:
    assert set(preferences.TOPICS) == {topic.value for topic in Topic}
    assert set(preferences.MODES) == {mode.value for mode in Mode}
    settings = NotificationsSettings()
    rules = Rules.from_settings(settings)
    assert preferences.DEFAULTS.modes == {
        topic.value: rules.default_modes[topic].value for topic in Topic
    }
    assert (preferences.DEFAULTS.quiet_from, preferences.DEFAULTS.quiet_to) == (
        settings.quiet_from,
        settings.quiet_to,
    )
    assert preferences.DEFAULTS.digest_at == settings.digest_time
