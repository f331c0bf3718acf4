"""School news end to end: the superuser posts a PDF and a photo, a parent opens /news.

The real bot runtime polls the sandbox; files travel as uploads both ways and are read back.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Core
from core.storage import tables as t
from core.storage.database import create_session_factory
from sandbox.client import SandboxClient
from sandbox.server import RunningSandbox
from tests.builders import World, build_world
from tests.e2e.running import RunningBot, bot_settings, exchange, link_user, press

pytestmark = pytest.mark.e2e

PARENT, SUPERUSER = 8401, 8402
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def tiny_png() -> bytes:
    """A valid 2×2 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80\x80" * 2)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def world(core: Core, sandbox: RunningSandbox) -> World:
    """The builders' world; the superuser and a parent of school a are connected."""
    world = await build_world(core)
    for person, user_id, name in (
        (world.a.parent_5a, PARENT, "Līga"),
        (world.a.superuser, SUPERUSER, "Inese"),
    ):
        await link_user(core, sandbox.client, person, user_id, name)
    return world


@pytest.fixture
async def polling_bot(
    core: Core, sandbox: RunningSandbox, world: World
) -> AsyncIterator[RunningBot]:
    settings = bot_settings(sandbox, "polling", flood_rate=100, flood_burst=100)
    running = await RunningBot(core, settings, "polling", None).started()
    yield running
    await running.stop()


async def upload(client: SandboxClient, user_id: int, send: Any) -> dict[str, Any]:
    """The user sends a file; the bot's next message."""
    before = len(await client.bot_messages(user_id))
    await send()
    return (await client.wait_for_bot_messages(user_id, before + 1, timeout=15))[before]


async def test_the_superuser_posts_and_a_parent_reads_with_the_files(
    core: Core, sandbox: RunningSandbox, polling_bot: RunningBot, world: World
) -> None:
    client = sandbox.client
    [empty] = await exchange(client, SUPERUSER, "/news")
    assert empty == "📰 Skolas ziņas\n\nZiņu vēl nav."
    [ask] = await press(client, SUPERUSER, "✍ Jauna ziņa")
    assert ask["text"].startswith("✍ Jauna ziņa: Alfa pamatskola")
    preview = await upload(
        client,
        SUPERUSER,
        lambda: client.send_document(
            SUPERUSER, PDF, "plans.pdf", caption="Mācību plāns\nPielikumā <plāns> nedēļai."
        ),
    )
    assert "📌 Mācību plāns\nPielikumā <plāns> nedēļai.\n📎 plans.pdf" in preview["text"]
    [done] = await press(client, SUPERUSER, "📣 Publicēt un paziņot visiem (1)")
    assert done["text"].startswith("✅ Ziņa publicēta.\n📣 Paziņojumu saņems")

    await press(client, SUPERUSER, "📰 Skolas ziņas")
    await press(client, SUPERUSER, "✍ Jauna ziņa")
    png = tiny_png()
    photo_preview = await upload(
        client, SUPERUSER, lambda: client.send_photo(SUPERUSER, png, caption="Koncerts")
    )
    assert "📌 Koncerts\n📎 photo.jpg" in photo_preview["text"]
    [published] = await press(client, SUPERUSER, "✅ Publicēt")
    assert published["text"].startswith("✅ Ziņa publicēta.\n\n📌 Koncerts")

    [feed] = await exchange(client, PARENT, "/news")
    lines = feed.splitlines()
    assert lines[:3] == ["📰 Skolas ziņas", "", "📌 Koncerts"]
    assert "📌 Mācību plāns" in lines
    assert "Pielikumā <plāns> nedēļai." in lines  # escaped on the way, plain in the chat
    [document] = await press(client, PARENT, "📎 plans.pdf")
    assert document["document"]["file_name"] == "plans.pdf"
    assert await client.download(document["document"]["url"]) == PDF
    [photo] = await press(client, PARENT, "📎 photo.png")
    assert photo["photo"] is not None
    assert await client.download(photo["photo"]["url"]) == png

    async with create_session_factory(core.engine)() as session:
        kinds = [
            (event.kind, event.payload["notify"])
            for event in await session.scalars(select(t.DomainEvent).order_by(t.DomainEvent.id))
        ]
    assert kinds == [("news.published", True), ("news.published", False)]
