"""The pure policy: who hears about what, preferences, quiet hours, grace and keys."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifications.policy import (
    Cause,
    Mode,
    Rules,
    Topic,
    decide,
    delivery_key,
    preference,
    quiet_until,
    release_time,
)
from notifications.records import Account, Recipient, Status
from notifications.settings import NotificationsSettings

RIGA = ZoneInfo("Europe/Riga")
NOON = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 12:00 in Riga (UTC+2)
RULES = Rules.from_settings(NotificationsSettings())


def account(chat: int, **changes: object) -> Account:
    values: dict[str, object] = {
        "account_id": chat,
        "chat_id": chat,
        "language": "lv",
        "status": "active",
    }
    values.update(changes)
    return Account(**values)  # type: ignore[arg-type]


def person(pid: int, relation: str = "guardian", acc: Account | None = None, active: bool = True):
    return Recipient(pid, relation, active, acc)


def mark(actor: int | None = 99, version: int = 1, event: int = 7) -> Cause:
    return Cause(Topic.MARK, event, 5, 10, actor, RIGA, version=version)


def test_mark_goes_to_guardians_and_the_pupil_each_once() -> None:
    guardians = [person(1, acc=account(101)), person(2, acc=account(102)), person(1)]
    pupil = person(10, "pupil", account(110))
    decisions = decide(mark(), guardians, pupil, RULES, now=NOON)
    assert [d.recipient.person_id for d in decisions] == [1, 2, 10]
    assert {d.status for d in decisions} == {Status.QUEUED}
    # The grace period holds every instant mark message for ten minutes.
    assert {d.not_before for d in decisions} == {NOON + timedelta(minutes=10)}


def test_pupils_hear_of_marks_only_when_configured() -> None:
    rules = Rules.from_settings(NotificationsSettings(notify_pupils_of_marks=False))
    pupil = person(10, "pupil", account(110))
    decisions = decide(mark(), [person(1, acc=account(101))], pupil, rules, now=NOON)
    assert [d.recipient.person_id for d in decisions] == [1]


def test_absences_go_to_guardians_only_by_default_and_without_grace() -> None:
    cause = Cause(Topic.ABSENCE, 8, 3, 10, 99, RIGA)
    pupil = person(10, "pupil", account(110))
    decisions = decide(cause, [person(1, acc=account(101))], pupil, RULES, now=NOON)
    assert [(d.recipient.person_id, d.not_before) for d in decisions] == [(1, NOON)]
    assert decisions[0].key == "absence:3:p1:e8"


def test_the_actor_never_hears_about_their_own_action() -> None:
    # A teacher who is also the pupil's parent records the mark.
    guardians = [person(99, acc=account(199)), person(1, acc=account(101))]
    decisions = decide(mark(actor=99), guardians, None, RULES, now=NOON)
    assert [d.recipient.person_id for d in decisions] == [1]


def test_inactive_people_are_skipped() -> None:
    decisions = decide(mark(), [person(1, acc=account(101), active=False)], None, RULES, now=NOON)
    assert decisions == []


def test_people_without_an_account_are_not_connected_and_unreachable_stay_unreachable() -> None:
    guardians = [
        person(1),
        person(2, acc=account(102, status="unlinked")),
        person(3, acc=account(103, status="unreachable")),
    ]
    decisions = decide(mark(), guardians, None, RULES, now=NOON)
    assert [d.status for d in decisions] == [
        Status.NOT_CONNECTED,
        Status.NOT_CONNECTED,
        Status.UNREACHABLE,
    ]
    assert {d.not_before for d in decisions} == {NOON}


def test_preferences_per_person_and_kind() -> None:
    digest = account(101, preferences={"notify": {"mark": "digest", "absence": "off"}})
    assert preference(digest, Topic.MARK, RULES) is Mode.DIGEST
    assert preference(digest, Topic.ABSENCE, RULES) is Mode.OFF
    assert preference(account(102), Topic.MARK, RULES) is Mode.INSTANT
    nonsense = account(103, preferences={"notify": {"mark": "loud"}})
    assert preference(nonsense, Topic.MARK, RULES) is Mode.INSTANT
    decisions = decide(mark(), [person(1, acc=digest)], None, RULES, now=NOON)
    assert [(d.status, d.not_before) for d in decisions] == [(Status.DIGEST, NOON)]
    off = Cause(Topic.ABSENCE, 8, 3, 10, 99, RIGA)
    assert decide(off, [person(1, acc=digest)], None, RULES, now=NOON) == []


def test_school_default_mode_applies_to_people_who_chose_nothing() -> None:
    rules = Rules.from_settings(NotificationsSettings(mark_mode="off"))
    assert decide(mark(), [person(1, acc=account(101)), person(2)], None, rules, now=NOON) == []


def test_quiet_hours_across_midnight_end_in_the_morning() -> None:
    evening = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)  # 22:30 Riga
    assert quiet_until(evening, RIGA, time(21), time(7)) == datetime(
        2026, 11, 28, 5, 0, tzinfo=UTC
    )
    early = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 05:00 Riga
    assert quiet_until(early, RIGA, time(21), time(7)) == datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    assert quiet_until(NOON, RIGA, time(21), time(7)) is None
    assert quiet_until(NOON, RIGA, time(12), time(12)) is None  # equal ends: no quiet hours
    assert quiet_until(NOON, RIGA, time(11), time(13)) == datetime(2026, 11, 27, 11, tzinfo=UTC)


def test_quiet_hours_end_at_local_seven_also_across_the_dst_change() -> None:
    # Saturday 28.03.2026 23:00 Riga (UTC+2); the next morning is summer time (UTC+3).
    night = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    assert quiet_until(night, RIGA, time(21), time(7)) == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)


def test_instant_messages_wait_for_the_end_of_quiet_hours() -> None:
    late = datetime(2026, 11, 27, 18, 55, tzinfo=UTC)  # 20:55 Riga; +10 min grace = 21:05
    window = (time(21), time(7))
    assert release_time(late, RIGA, timedelta(minutes=10), window) == datetime(
        2026, 11, 28, 5, 0, tzinfo=UTC
    )
    quiet = account(101, quiet_from=time(22), quiet_to=time(6))
    decisions = decide(mark(), [person(1, acc=quiet)], None, RULES, now=late)
    assert decisions[0].not_before == late + timedelta(minutes=10)  # own quiet hours from 22:00


def test_keys_and_correction_candidates() -> None:
    first = mark(version=1)
    assert delivery_key(first, 1) == "mark:5:p1"
    third = mark(version=3)
    [decision] = decide(third, [person(1, acc=account(101))], None, RULES, now=NOON)
    assert decision.key == "mark:5:p1:r3"
    assert decision.candidates == ("mark:5:p1", "mark:5:p1:r2", "mark:5:p1:r3")
    [plain] = decide(first, [person(1, acc=account(101))], None, RULES, now=NOON)
    assert plain.candidates == ()


def test_language_of_the_account_or_the_default() -> None:
    decisions = decide(
        mark(),
        [person(1, acc=account(101, language="ru")), person(2)],
        None,
        RULES,
        now=NOON,
        default_language="en",
    )
    assert [d.language for d in decisions] == ["ru", "en"]
