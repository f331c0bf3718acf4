"""Typed command arguments are untrusted too: ``/people <name>`` reaches no foreign record."""

from __future__ import annotations

import pytest

from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from tests.bot.harness import Chats, open_chats
from tests.builders import build_world

SUPERUSER, TEACHER = 9204, 9203


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = ((world.a.math_teacher, TEACHER, "en"), (world.a.superuser, SUPERUSER, "en"))
    return await open_chats(core, world, links, buckets=TokenBuckets(1000, 1000))


async def test_a_superuser_finds_people_of_their_own_school_only(chats: Chats) -> None:
    [found] = await chats.user(SUPERUSER, "en").send("/people berzina")
    assert "Līga Alfa-Bērziņa" in found.text
    assert "Beta" not in found.text  # the same name in the other school stays hidden


async def test_a_teacher_typing_a_name_is_refused_and_sees_nobody(chats: Chats) -> None:
    [refusal] = await chats.user(TEACHER, "en").send("/people berzina")
    assert "for the school's management only" in refusal.text
    assert "Bērziņa" not in refusal.text
