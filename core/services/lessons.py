"""Lessons held: a teacher records the topic and homework of their group's lesson (rule 3.5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from core.domain.access import Viewer
from core.domain.events import LessonRecorded
from core.domain.records import AuditRecord, LessonRecord
from core.errors import InvalidInput
from core.ports import UnitOfWork
from core.services.guards import LessonAccess, writable_lesson

MAX_TEXT = 4000
MAX_PERIOD = 15


async def record_lesson(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    group_id: int,
    on: date,
    period: int,
    topic: str | None,
    homework: str | None = None,
    homework_due_on: date | None = None,
) -> LessonRecord:
    """Set a lesson's topic and homework (creating the lesson record on first use).

    The group's teachers may, and a teacher substituting in that very lesson (a published
    substitution or extra lesson): the lesson then records them as its substitute teacher.
    """
    topic, homework = lesson_texts(topic, homework)
    check_lesson_slot(on, period, homework_due_on)
    async with uow:
        access = await writable_lesson(uow, viewer, group_id, on, period)
        lesson = await write_lesson(
            uow,
            viewer,
            access,
            on=on,
            period=period,
            topic=topic,
            homework=homework,
            homework_due_on=homework_due_on,
        )
        await uow.commit()
        return lesson


def lesson_texts(topic: str | None, homework: str | None) -> tuple[str | None, str | None]:
    """Topic and homework trimmed (empty → None); too long refused."""
    topic = (topic or "").strip() or None
    homework = (homework or "").strip() or None
    for text in (topic, homework):
        if text is not None and len(text) > MAX_TEXT:
            raise InvalidInput("lesson.text_too_long", max=MAX_TEXT)
    return topic, homework


def check_lesson_slot(on: date, period: int, homework_due_on: date | None) -> None:
    """A period the bells can have, and homework due no earlier than the lesson."""
    if not 0 <= period <= MAX_PERIOD:
        raise InvalidInput("lesson.period_invalid", period=period)
    if homework_due_on is not None and homework_due_on < on:
        raise InvalidInput("lesson.due_before_lesson")


async def write_lesson(
    uow: UnitOfWork,
    viewer: Viewer,
    access: LessonAccess,
    *,
    on: date,
    period: int,
    topic: str | None,
    homework: str | None,
    homework_due_on: date | None,
) -> LessonRecord:
    """Save topic and homework inside an open unit of work, with the audit entry and event."""
    group = access.group
    before = await uow.journal.lesson_at(group.id, on, period)
    lesson = await uow.journal.save_lesson(
        school_id=group.school_id,
        group_id=group.id,
        on=on,
        period=period,
        teacher_id=viewer.person_id,
        topic=topic,
        homework=homework,
        homework_due_on=homework_due_on if homework else None,
        now=uow.clock.now(),
    )
    lesson = await note_substitute(uow, viewer, access, lesson)
    uow.audit(
        viewer,
        AuditRecord(
            action="lesson.record",
            entity="lesson",
            entity_id=lesson.id,
            school_id=group.school_id,
            before={"topic": before.topic, "homework": before.homework} if before else None,
            after={"topic": topic, "homework": homework},
        ),
    )
    uow.record(
        LessonRecorded(
            lesson.id,
            group.id,
            on,
            homework_changed=(before.homework if before else None) != homework,
        ),
        school_id=group.school_id,
        actor_id=viewer.person_id,
    )
    return lesson


async def note_substitute(
    uow: UnitOfWork, viewer: Viewer, access: LessonAccess, lesson: LessonRecord
) -> LessonRecord:
    """A substitute writing the lesson is recorded as the teacher who taught it."""
    if not access.substitute or (lesson.is_substitution and lesson.teacher_id == viewer.person_id):
        return lesson
    await uow.teacher_day.set_lesson_teacher(
        lesson.id, viewer.person_id, is_substitution=True, now=uow.clock.now()
    )
    return replace(lesson, teacher_id=viewer.person_id, is_substitution=True)
