"""Acceptance: a parent sees the right child's diary for a chosen week, matching the database.

On the demo school (generated in-process: lessons with topics and homework, marks, absences),
20 (pupil, week) pairs are drawn; each pupil's parent, linked to a virtual user of the sandbox,
opens /diary through the real bot runtime, picks the child when they have several, and goes
back to the chosen week with ◀. Every day of the rendered week is compared with direct
database queries: the lessons (period and subject), topics, homework, marks and attendance.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import and_, func, or_, select

from core.bootstrap import Core
from core.domain.access import Viewer
from core.domain.marks import MarkScale, MarkValue, mark_label
from core.services.policies import policy_from_settings
from core.services.schools import seed_demo
from core.storage import tables as t
from core.storage.database import create_session_factory
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox
from tests.e2e.running import RunningBot, bot_settings, link_user

pytestmark = pytest.mark.e2e

TODAY = date(2026, 11, 27)  # the clock's Friday
THIS_MONDAY = TODAY - timedelta(days=TODAY.weekday())
SAMPLES = 20
WEEKS_BACK = 4  # the chosen week: this one or up to four before it
FIRST_USER = 8700
WEEKDAYS = ("Pirmdiena", "Otrdiena", "Trešdiena", "Ceturtdiena", "Piektdiena", "Sestdiena")
DAY_HEADING = re.compile(rf"^({'|'.join(WEEKDAYS)}), (\d\d)\.(\d\d)\.(?: · .+)?$")
LESSON = re.compile(r"^(\d+)\. (.+)$")
HOMEWORK = re.compile(r"^📚(?: (.*?))?(?: \(līdz \d\d\.\d\d\.\))?(?: 📎 \d+)?$")


@dataclass
class Lesson:
    """One lesson as the comparison sees it (from the chat, or from the database)."""

    period: int
    subject: str
    topic: str | None = None
    homework: str | None = None
    marks: list[str] = field(default_factory=list)
    attendance: str | None = None


@dataclass(frozen=True)
class Sample:
    """A parent, one of their children and the Monday of the chosen week."""

    guardian_id: int
    pupil_id: int
    monday: date
    user_id: int


async def test_twenty_pupils_weeks_rendered_by_the_bot_match_the_database(
    core: Core, sandbox: RunningSandbox
) -> None:
    await seed_demo(
        core.uow(),
        Viewer.console(),
        seed=1,
        classes_per_grade=1,
        pupils_per_class=25,
        zone=ZoneInfo("Europe/Riga"),
        today=TODAY,
    )
    families = await guardians(core)
    samples = draw(families)
    assert sum(len(families[s.guardian_id]) > 1 for s in samples) >= SAMPLES // 2
    client = sandbox.client
    for sample in samples:
        await link_user(core, client, sample.guardian_id, sample.user_id, "Vecāks")
    settings = bot_settings(sandbox, "polling", flood_rate=100.0, flood_burst=100)
    running = await RunningBot(core, settings, "polling", None).started()
    seen: list[Lesson] = []
    try:
        for sample in samples:
            names = await pupil_names(core, families[sample.guardian_id])
            text = await open_week(client, sample, names)
            lines = text.splitlines()
            assert lines[0] == f"📖 {names[sample.pupil_id]} — dienasgrāmata"
            sunday = sample.monday + timedelta(days=6)
            assert lines[1] == f"Nedēļa {sample.monday:%d.%m.}–{sunday:%d.%m.}"
            for other, name in names.items():  # a parent of two: only the chosen child
                assert other == sample.pupil_id or name not in text
            shown = rendered(lines[2:], sample.monday)
            assert shown == await expected(core, sample), sample
            seen += [lesson for day in shown.values() for lesson in day]
    finally:
        await running.stop()
    # The sample is no formality: it holds topics, homework, marks and absences to compare.
    assert len(seen) >= 300
    assert sum(bool(x.topic) for x in seen) >= 300
    assert sum(bool(x.homework) for x in seen) >= 100
    assert sum(len(x.marks) for x in seen) >= 100
    assert sum(bool(x.attendance) for x in seen) >= 10


# ---------------------------------------------------------------- the sample


async def guardians(core: Core) -> dict[int, list[int]]:
    """Guardian id → their children's ids."""
    found: dict[int, list[int]] = defaultdict(list)
    async with create_session_factory(core.engine)() as session:
        for guardian_id, pupil_id in await session.execute(
            select(t.Guardianship.guardian_id, t.Guardianship.pupil_id).order_by(
                t.Guardianship.guardian_id, t.Guardianship.pupil_id
            )
        ):
            found[int(guardian_id)].append(int(pupil_id))
    return dict(found)


def draw(families: dict[int, list[int]]) -> list[Sample]:
    """Half parents of several children, half of one; a child and a week each (seeded)."""
    rng = random.Random(20261127)
    several = sorted(g for g, kids in families.items() if len(kids) > 1)
    single = sorted(g for g, kids in families.items() if len(kids) == 1)
    chosen = rng.sample(several, SAMPLES // 2) + rng.sample(single, SAMPLES - SAMPLES // 2)
    return [
        Sample(
            guardian_id=guardian,
            pupil_id=rng.choice(families[guardian]),
            monday=THIS_MONDAY - timedelta(weeks=rng.randint(0, WEEKS_BACK)),
            user_id=FIRST_USER + i,
        )
        for i, guardian in enumerate(chosen)
    ]


async def pupil_names(core: Core, pupil_ids: list[int]) -> dict[int, str]:
    """Pupil id → "Given Family (class)", as the screens name them."""
    async with create_session_factory(core.engine)() as session:
        rows = await session.execute(
            select(t.Person.id, t.Person.given_name, t.Person.family_name, t.ClassGroup.name)
            .join(t.Enrolment, t.Enrolment.pupil_id == t.Person.id)
            .join(t.ClassGroup, t.ClassGroup.id == t.Enrolment.class_id)
            .where(t.Person.id.in_(pupil_ids))
        )
        return {int(i): f"{given} {family} ({klass})" for i, given, family, klass in rows}


# ---------------------------------------------------------------- the chat


async def open_week(client: SandboxClient, sample: Sample, names: dict[int, str]) -> str:
    """/diary, the child (when asked), then ◀ back to the chosen week: that screen's text."""
    user = sample.user_id
    await client.send_text(user, "/diary")
    message = await newest(client, user, 1)
    if message["text"] == "Kura bērna dienasgrāmatu parādīt?":
        message = await press(client, user, message, names[sample.pupil_id], 2)
    for _ in range((THIS_MONDAY - sample.monday).days // 7):
        count = len(await client.bot_messages(user))
        message = await press(client, user, message, "◀ Iepriekšējā", count + 1)
    return str(message["text"])


async def newest(client: SandboxClient, user: int, count: int) -> dict[str, Any]:
    messages = await client.wait_for_bot_messages(user, count, timeout=15)
    return dict(messages[count - 1])


async def press(
    client: SandboxClient, user: int, message: dict[str, Any], label: str, count: int
) -> dict[str, Any]:
    """Press the button labelled ``label`` on ``message`` (strictly); the bot's next message."""
    data = [
        key["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for key in row
        if key["text"] == label
    ]
    assert data, (label, message["reply_markup"])
    await client.press_button(user, message["message_id"], data[0], strict=True)
    return await newest(client, user, count)


def rendered(lines: list[str], monday: date) -> dict[date, list[Lesson]]:
    """The week's text read back: each day's lessons with what the chat shows of them."""
    days: dict[date, list[Lesson]] = {}
    current: list[Lesson] | None = None
    for line in lines:
        heading = DAY_HEADING.match(line)
        if heading:
            on = date(monday.year, int(heading.group(3)), int(heading.group(2)))
            if on < monday:  # a week across New Year
                on = on.replace(year=monday.year + 1)
            current = days.setdefault(on, [])
            continue
        lesson = LESSON.match(line)
        if lesson and current is not None:
            current.append(_lesson(int(lesson.group(1)), lesson.group(2)))
        elif line.startswith("📝 ") and current:
            current[-1].topic = line.removeprefix("📝 ")
        elif line.startswith("📚") and current:
            found = HOMEWORK.match(line)
            assert found, line
            current[-1].homework = found.group(1)
        else:
            assert line in ("", "Stundu nav.") or line.startswith("Brīvdiena: "), line
    for lessons_of_day in days.values():
        lessons_of_day.sort(key=lambda x: (x.period, x.subject))
    return days


def _lesson(period: int, text: str) -> Lesson:
    """ "Matemātika (102) · ⭐ 8, nv · ❌ nav ieradies" → its parts."""
    what, *parts = text.split(" · ")
    lesson = Lesson(period, re.sub(r" \([^()]*\)$", "", what))
    for part in parts:
        if part.startswith("⭐ "):
            lesson.marks = part.removeprefix("⭐ ").split(", ")
        else:
            icon, _, label = part.partition(" ")
            assert icon in ("❌", "⏰", "•"), part  # the demo publishes no timetable changes
            lesson.attendance = label
    return lesson


# ---------------------------------------------------------------- the database


async def expected(core: Core, sample: Sample) -> dict[date, list[Lesson]]:
    """The same week straight from the tables: lessons of the pupil's groups, marks, absences."""
    pupil, monday = sample.pupil_id, sample.monday
    async with create_session_factory(core.engine)() as session:
        school_id, weekdays, policy = (
            await session.execute(
                select(t.School.id, t.SchoolYear.school_weekdays, t.School.policy)
                .join(t.SchoolYear, t.SchoolYear.school_id == t.School.id)
                .join(t.Enrolment, t.Enrolment.school_id == t.School.id)
                .where(t.Enrolment.pupil_id == pupil)
            )
        ).one()
        days = [monday + timedelta(days=int(d)) for d in str(weekdays).split(",")]
        member = (
            select(t.GroupMember.id)
            .where(
                t.GroupMember.group_id == t.Lesson.group_id,
                t.GroupMember.pupil_id == pupil,
                t.GroupMember.starts_on <= t.Lesson.on_date,
                or_(t.GroupMember.ends_on.is_(None), t.GroupMember.ends_on >= t.Lesson.on_date),
            )
            .exists()
        )
        lessons = list(
            await session.execute(
                select(
                    t.Lesson.id,
                    t.Lesson.group_id,
                    t.Lesson.on_date,
                    t.Lesson.period,
                    t.Lesson.topic,
                    t.Lesson.homework,
                    func.coalesce(t.Subject.name, t.TeachingGroup.name),
                    t.Attendance.code,
                )
                .join(t.TeachingGroup, t.TeachingGroup.id == t.Lesson.group_id)
                .outerjoin(t.Subject, t.Subject.id == t.TeachingGroup.subject_id)
                .outerjoin(
                    t.Attendance,
                    and_(t.Attendance.lesson_id == t.Lesson.id, t.Attendance.pupil_id == pupil),
                )
                .where(t.Lesson.on_date.in_(days), member)
                .order_by(t.Lesson.on_date, t.Lesson.period, t.Lesson.group_id)
            )
        )
        marks = list(
            await session.execute(
                select(
                    t.Mark.on_date,
                    t.Assessment.group_id,
                    t.Assessment.scale,
                    t.Mark.status,
                    t.Mark.value,
                )
                .join(t.Assessment, t.Assessment.id == t.Mark.assessment_id)
                .where(t.Mark.pupil_id == pupil, t.Mark.on_date.in_(days))
                .order_by(t.Mark.on_date, t.Mark.id)
            )
        )
    assert school_id
    labels = {c.code: c.label("lv") for c in policy_from_settings(policy or {}).absence_codes}
    week: dict[date, list[Lesson]] = {day: [] for day in days}
    first: dict[tuple[date, int], Lesson] = {}
    for _, group_id, on, period, topic, homework, subject, code in lessons:
        lesson = Lesson(
            period,
            subject,
            topic or None,
            homework or None,
            attendance=labels.get(code, code) if code else None,
        )
        week[on].append(lesson)
        first.setdefault((on, group_id), lesson)  # the group's first lesson carries its marks
    for on, group_id, scale, status, value in marks:
        mark = MarkValue.nv() if status == "nv" else MarkValue.mark(value or "")
        first[(on, group_id)].marks.append(mark_label(MarkScale(scale), mark, "lv"))
    for lessons_of_day in week.values():
        lessons_of_day.sort(key=lambda x: (x.period, x.subject))
    return week
