"""Crafted button presses: callback data of every class the bot knows, filled with foreign ids.

Shared by the diary dialogs' crafted-button test and the property-based suite in tests/authz:
``foreign_records`` writes another family's and another school's records with every text
marked ``SECRET``; ``crafted`` enumerates a callback class with those ids; ``callback_data``
is the Hypothesis strategy that draws any class with any mix of foreign, own and impossible
ids; ``row_counts`` proves that nothing was written.
"""

from __future__ import annotations

import itertools
import random
import typing
from datetime import date
from typing import Any

from aiogram.filters.callback_data import CallbackData
from hypothesis import strategies as st
from sqlalchemy import select, text

from bot.callbacks import ALL_CALLBACKS
from core.bootstrap import Core
from core.services.absence_notes import NoteAttachment, submit_note
from core.services.marks import create_assessment, record_marks
from core.services.teacher_day import (
    attach_homework_file,
    save_attendance,
    set_homework,
    set_topic,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.builders import World, viewer

SECRET = "SLEPEN"  # in every text of the foreign records
MAX_CRAFTED = 300  # crafted presses per callback class at most
FOREIGN_NAMES = ("Alfa-Kalniņa", "Beta-Bērziņš", "Alfa-Kalniņš")  # in replies to school a's parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
ODD_IDS = (0, -1, -(2**31), 2**31, 2**63 - 1, 10**12)  # impossible and huge ids


async def foreign_records(core: Core, world: World, on: date) -> dict[str, list[int]]:
    """Another family's and another school's records on ``on``, every text marked SECRET.

    Needs a timetable for school b (its 5.a mathematics on ``on``, period 1). Returns the ids
    by kind of thing: pupil, person, note, file, group, class, assessment, lesson, day.
    """
    a, b = world.a, world.b
    foreign_teacher = await viewer(core, b.math_teacher)
    lesson: dict[str, Any] = {"group_id": b.math_group, "on": on, "period": 1}
    await set_topic(core.uow(), foreign_teacher, **lesson, topic="SLEPENA TĒMA")
    await set_homework(core.uow(), foreign_teacher, **lesson, homework="SLEPENS DARBS")
    file = await attach_homework_file(
        core.uow(), foreign_teacher, **lesson, filename="SLEPENS.pdf", mime="application/pdf",
        data=PDF,
    )  # fmt: skip
    await save_attendance(core.uow(), foreign_teacher, **lesson, absent={b.pupil_5a: "n"})
    test = await create_assessment(
        core.uow(), foreign_teacher, group_id=b.math_group, on=on, title="SLEPENS darbs"
    )
    await record_marks(
        core.uow(), foreign_teacher, assessment_id=test.id, entries={b.pupil_5a: "7"}
    )
    note = await submit_note(
        core.uow(),
        await viewer(core, a.parent_5a_second),
        pupil_id=a.pupil_5a_second,
        starts_on=on,
        ends_on=on,
        reason="other",
        reason_text="SLEPENS IEMESLS",
        attachment=NoteAttachment("SLEPENS.png", PNG),
    )
    async with create_session_factory(core.engine)() as session:
        lesson_ids = list(
            await session.scalars(select(t.Lesson.id).where(t.Lesson.school_id == b.school_id))
        )
    return {
        "pupil": [a.pupil_5a_second, b.pupil_5a],
        "person": [a.pupil_5a_second, b.pupil_5a, a.parent_5a_second],
        "note": [note.note.id],
        "file": [file.id, note.note.file_id or 0],
        "group": [b.math_group, a.latvian_group],
        "class": [b.class_5a],
        "assessment": [test.id],
        "lesson": lesson_ids,
        "day": [0, on.toordinal()],
    }


def crafted(
    cls: type[CallbackData], ids: dict[str, list[int]], limit: int = MAX_CRAFTED
) -> list[CallbackData]:
    """Instances of a callback class with other pupils' ids (and their things) in every field.

    An int field named after a thing (pupil, note, file, ...) gets that thing's ids; any other
    int field gets one id of each thing. Every value of every choice field is tried; a class
    with more combinations than ``limit`` is sampled (the same sample every run).
    """
    some = sorted({values[0] for values in ids.values() if values})
    choices: list[list[Any]] = []
    for name, field in cls.model_fields.items():
        if typing.get_origin(field.annotation) is typing.Literal:
            choices.append(list(typing.get_args(field.annotation)))
            continue
        kinds = [kind for kind in ids if kind in name]
        choices.append(sorted({i for kind in kinds for i in ids[kind]}) or some)
    combos = list(itertools.product(*choices))
    if len(combos) > limit:
        combos = random.Random(cls.__prefix__).sample(combos, limit)
    names = list(cls.model_fields)
    return [cls(**dict(zip(names, combo, strict=True))) for combo in combos]


def callback_data(foreign: dict[str, list[int]], own: list[int]) -> st.SearchStrategy[str]:
    """Packed callback data of any class the bot knows, every int field drawn from foreign
    ids of every kind, the presser's own ids, zero, negatives and huge ids."""
    ints = sorted({i for values in foreign.values() for i in values} | set(own) | set(ODD_IDS))

    def instances(cls: type[CallbackData]) -> st.SearchStrategy[str]:
        fields: dict[str, st.SearchStrategy[Any]] = {}
        for name, field in cls.model_fields.items():
            if typing.get_origin(field.annotation) is typing.Literal:
                fields[name] = st.sampled_from(typing.get_args(field.annotation))
            else:
                fields[name] = st.sampled_from(ints)
        return (
            st.fixed_dictionaries(fields)
            .map(lambda values: _packed(cls(**values)))
            .filter(lambda data: data is not None)
            .map(str)
        )

    return st.sampled_from(ALL_CALLBACKS).flatmap(instances)


def _packed(instance: CallbackData) -> str | None:
    """The callback data, or None when it would not fit Telegram's 64 bytes."""
    try:
        return instance.pack()
    except ValueError:
        return None


async def row_counts(core: Core) -> dict[str, int]:
    """Rows per table of the journal's records (not the person's own account and logs)."""
    own = {"accounts", "audit_log", "domain_events", "deliveries", "link_attempts", "cursors"}
    names = [x.name for x in t.Base.metadata.sorted_tables if x.name not in own]
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{name}")' for name in names)
    async with create_session_factory(core.engine)() as session:
        row = (await session.execute(text(query))).one()
    return dict(zip(names, (int(n) for n in row), strict=True))
