"""Lessons held: a teacher records the topic and homework of their group's lesson (rule 3.5)."""

from __future__ import annotations

from datetime import date

from core.domain.access import Viewer
from core.domain.events import LessonRecorded
from core.domain.records import AuditRecord, LessonRecord
from core.errors import InvalidInput
from core.ports import UnitOfWork
from core.services.guards import writable_group

MAX_TEXT = 4000


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
    """Set a lesson's topic and homework (creating the lesson record on first use)."""
    topic = (topic or "").strip() or None
    homework = (homework or "").strip() or None
    for text in (topic, homework):
        if text is not None and len(text) > MAX_TEXT:
            raise InvalidInput("lesson.text_too_long", max=MAX_TEXT)
    if not 0 <= period <= 15:
        raise InvalidInput("lesson.period_invalid", period=period)
    if homework_due_on is not None and homework_due_on < on:
        raise InvalidInput("lesson.due_before_lesson")
    async with uow:
        group = await writable_group(uow, viewer, group_id)
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
        await uow.commit()
        return lesson
