"""A database error logged with its traceback does not carry the statement's parameters."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from core.bootstrap import Core
from core.logs import DatabaseDetailRedactor
from core.storage import tables as t
from core.storage.database import create_session_factory


async def test_a_constraint_error_hides_the_names_and_codes_it_was_given(
    core: Core,
) -> None:
    now = datetime(2026, 11, 27, 8, tzinfo=UTC)

    def person() -> t.Person:
        return t.Person(
            given_name="Slepena",
            family_name="Persona-Zīmīte",
            personal_code="010190-12345",
            phone="+37129999999",
            is_active=True,
            created_at=now,
            updated_at=now,
        )

    async with create_session_factory(core.engine)() as session:
        session.add(person())
        await session.commit()
    async with create_session_factory(core.engine)() as session:
        session.add(person())  # the same personal code again
        with pytest.raises(IntegrityError) as caught:
            await session.commit()
    assert "hidden due to hide_parameters" in str(caught.value)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(DatabaseDetailRedactor())  # as configure_logging adds it
    logger = logging.getLogger("ejournal.test.hidden")
    logger.addHandler(handler)
    try:
        logger.error("write failed", exc_info=caught.value)
    finally:
        logger.removeHandler(handler)
    logged = out.getvalue()
    assert "IntegrityError" in logged
    for secret in ("Slepena", "Persona-Zīmīte", "010190-12345", "+37129999999"):
        assert secret not in logged


def test_the_detail_redactor_masks_quoted_key_values() -> None:
    text = (
        "DETAIL:  Key (personal_code)=(010190-12345) already exists.\n"
        "DETAIL:  Key (school_id, phone)=(1, +371 2000 0101) is not present in table x."
    )
    masked = DatabaseDetailRedactor().redact(text)
    assert "010190-12345" not in masked
    assert "2000 0101" not in masked
    assert "Key (personal_code)=(***) already exists" in masked
