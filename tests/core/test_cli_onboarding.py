"""The console's onboarding commands: invitation slips and links, deactivation, the report."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest

from core.bootstrap import Core
from core.cli import Console, build_parser
from core.config import CoreSettings, InvitesSettings
from core.domain.invites import deep_link
from core.i18n import LANGUAGES, Catalogs
from core.services.accounts import identify
from core.services.linking import REFUSAL_KEYS, redeem_invite
from core.storage import tables as t
from tests.builders import World, build_world, insert
from tests.slipcheck import all_text, read_slips

BOT = "alfa_journal_bot"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def world(core: Core) -> World:
    world = await build_world(core)
    a = world.a
    await insert(
        core,
        t.PersonKey(school_id=a.school_id, external_key="V-1", person_id=a.parent_5a),
        t.PersonKey(school_id=a.school_id, external_key="S-1", person_id=a.pupil_5a),
    )
    return world


async def run(core: Core, *argv: str, settings: CoreSettings | None = None) -> tuple[int, str]:
    """One console command on the test's core (its database and FakeClock), in English."""
    args = build_parser().parse_args(["--lang", "en", *argv])
    out = io.StringIO()
    console = Console(settings or core.settings, "en", out)
    console._core = core  # the test owns the core and closes it
    code = await args.handler(console, args)
    return code, out.getvalue()


async def test_invite_slips_for_a_class_as_a_pdf(core: Core, world: World, tmp_path: Path) -> None:
    out = tmp_path / "slips.pdf"
    code, text = await run(
        core,
        "invite", "slips", "--school", "alfa", "--class", "5.a", "--for", "parents",
        "--out", str(out), "--bot-username", BOT,
    )  # fmt: skip
    assert code == 0
    assert text.strip().startswith(f"Wrote 2 invitations to {out}; valid until 11.12.2026.")
    pdf = out.read_bytes()
    assert "Līga Alfa-Bērziņa" in all_text(pdf)
    slips = read_slips(pdf)
    assert len(slips) == 2
    for slip in slips:
        [link] = slip.codes
        assert link.startswith(f"https://t.me/{BOT}?start=")
    liga = next(s for s in slips if "Līga" in s.text)
    code_of_liga = liga.codes[0].rsplit("=", 1)[1]
    linked = await redeem_invite(
        core.uow(), telegram_user_id=42, chat_id=42, code=code_of_liga, language="lv"
    )
    assert linked.identity.person.id == world.a.parent_5a


async def test_the_bot_username_comes_from_the_configuration(
    core: Core, world: World, tmp_path: Path
) -> None:
    argv = ("invite", "slips", "--school", "alfa", "--for", "staff", "--out")
    code, text = await run(core, *argv, str(tmp_path / "a.pdf"))
    assert code == 2
    assert "bot's username for the links is unknown" in text
    configured = core.settings.model_copy(update={"invites": InvitesSettings(bot_username=BOT)})
    code, text = await run(core, *argv, str(tmp_path / "staff.pdf"), settings=configured)
    assert code == 0
    assert "Wrote 5 invitations" in text
    code, text = await run(core, "invite", "slips", "--school", "alfa", "--for", "pupils",
                           "--out", str(tmp_path / "p.pdf"), settings=configured)  # fmt: skip
    assert code == 2
    assert "Name the class" in text


async def test_invite_person_by_key_prints_a_working_link(core: Core, world: World) -> None:
    code, text = await run(
        core, "invite", "person", "--school", "alfa", "--key", "S-1", "--for", "pupil",
        "--bot-username", "@" + BOT,
    )  # fmt: skip
    assert code == 0
    match = re.search(rf"https://t\.me/{BOT}\?start=([A-Za-z0-9_-]{{16}})", text)
    assert match is not None
    assert text.startswith("Jānis Alfa-Bērziņš: " + deep_link(BOT, match.group(1)))
    await redeem_invite(
        core.uow(), telegram_user_id=43, chat_id=43, code=match.group(1), language="lv"
    )


async def test_people_deactivate_and_activate_by_key(core: Core, world: World) -> None:
    code, _ = await run(core, "invite", "person", "--school", "alfa", "--key", "V-1",
                        "--for", "guardian", "--bot-username", BOT)  # fmt: skip
    assert code == 0
    code, text = await run(core, "people", "deactivate", "--school", "alfa", "--key", "V-1")
    assert code == 0
    assert text.strip() == (
        "Līga Alfa-Bērziņa is deactivated: their access ended and their unused invitations "
        "were revoked."
    )
    async with core.uow() as uow:
        person = await uow.directory.person(world.a.parent_5a)
        assert person is not None
        assert not person.is_active
        assert await uow.invites.pending(now=uow.clock.now(), person_ids=[person.id]) == []
    code, text = await run(core, "people", "activate", "--school", "alfa", "--key", "V-1")
    assert "is active again" in text
    assert await identify(core.uow(), telegram_user_id=44) is None


async def test_connections_report_before_and_after_a_parent_links(
    core: Core, world: World
) -> None:
    code, before = await run(core, "connections", "report", "--school", "alfa", "--class", "5.a")
    assert code == 0
    assert before.splitlines()[:2] == [
        "Alfa pamatskola — class 5.a, 27.11.2026",
        "Connected: pupils 0 of 2, parents 0 of 2",
    ]
    assert "  Līga Alfa-Bērziņa (5.a) — children: Jānis Alfa-Bērziņš" in before
    _, text = await run(core, "invite", "person", "--school", "alfa", "--key", "V-1",
                        "--for", "guardian", "--bot-username", BOT)  # fmt: skip
    invite_code = text.split("?start=", 1)[1][:16]
    _, pending = await run(core, "connections", "report", "--school", "alfa", "--class", "5.a")
    assert "Līga Alfa-Bērziņa (5.a) — children: Jānis Alfa-Bērziņš — invitation valid until " \
        "11.12.2026" in pending  # fmt: skip
    await redeem_invite(
        core.uow(), telegram_user_id=45, chat_id=45, code=invite_code, language="lv"
    )
    _, after = await run(core, "connections", "report", "--school", "alfa")
    assert "Connected: pupils 0 of 3, parents 1 of 2" in after
    assert "Connected staff: 0 of 5" in after
    assert "  5.a: pupils 0/2, parents 1/2" in after
    assert "Līga" not in after


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_key_of_the_console_and_the_linking_refusals_has_text(lang: str) -> None:
    """Keys passed around as values (``t(key)``, a table of refusals) are checked here."""
    catalogs = Catalogs.load()
    shaped = re.compile(r"[a-z_]+(\.[a-z_]+)+")
    namespaces = {"connections", "invite", "people", "slip"}
    used = {
        node.value
        for path in (ROOT / "core" / "cli.py", ROOT / "core" / "documents" / "slips.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and shaped.fullmatch(node.value)
        and node.value.split(".", 1)[0] in namespaces
    }
    used |= set(REFUSAL_KEYS.values())
    assert "connections.overdue" in used
    assert "link.too_many_attempts" in used
    assert sorted(key for key in used if not catalogs.has(key, lang)) == []
