"""Owns `ejournal demo`: the demo school, its personas, the sandbox and the bot in one process.

Seeds when the demo database has no school, links personas to fixed virtual Telegram users.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot.calendar_server import calendar_beside
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.logs import redact_secrets
from bot.runtime import Companion, Shutdown, no_companion, serve
from bot.settings import AppSettings
from core.domain.access import Viewer
from core.services.accounts import identify, link_account
from core.services.demo import PERSONA_ORDER, Persona, demo_personas
from core.services.schools import list_schools, seed_demo
from sandbox.server import running_sandbox

FIRST_PERSONA_USER = 700_000_001  # persona n (in PERSONA_ORDER) is Telegram user 700000001 + n
PERSONA_KEYS: dict[str, str] = {
    "parent_of_two": "demo.persona.parent_of_two",
    "pupil": "demo.persona.pupil",
    "subject_teacher": "demo.persona.subject_teacher",
    "class_teacher": "demo.persona.class_teacher",
    "superuser": "demo.persona.superuser",
    "director": "demo.persona.director",
}
DEMO_LANGUAGE = "lv"


def persona_user_id(persona: Persona) -> int:
    """The fixed virtual Telegram user of a persona."""
    return FIRST_PERSONA_USER + PERSONA_ORDER.index(persona.role)


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A persona as a virtual Telegram user, already linked."""

    persona: Persona
    user_id: int
    phone: str | None
    language: str

    def card(self, latvian: Translator) -> dict[str, Any]:
        """The persona card of the chat page (the description in Latvian)."""
        persona = self.persona
        return {
            "user_id": self.user_id,
            "name": f"{persona.given_name} {persona.family_name}",
            "description": (
                latvian("demo.persona.pupil_of_class", class_name=persona.class_name)
                if persona.class_name
                else latvian(PERSONA_KEYS.get(persona.role, "demo.persona.other"))
            ),
            "language": self.language,
            "phone": self.phone,
            "role": persona.role,
        }


def demo_token() -> str:
    """A fresh token for this run (the sandbox accepts only it)."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(24)}"


async def prepare(
    core: JournalCore,
    settings: AppSettings,
    *,
    seed: int,
    say: Callable[[str], None],
    t: Translator,
) -> tuple[DemoUser, ...]:
    """Seed the demo school if the database has none, then link every persona."""
    console = Viewer.console()
    schools = await list_schools(core.uow(), console)
    if not schools:
        say(t("demo.seeding"))
        await seed_demo(core.uow(), console, seed=seed, zone=settings.school.zone)
        schools = await list_schools(core.uow(), console)
    users: list[DemoUser] = []
    for persona in await demo_personas(core.uow(), console, school_code=schools[0].code):
        user_id = persona_user_id(persona)
        known = await identify(core.uow(), telegram_user_id=user_id)
        if known is None or known.person.id != persona.person_id:
            await link_account(
                core.uow(),
                console,
                person_id=persona.person_id,
                telegram_user_id=user_id,
                chat_id=user_id,
                language=DEMO_LANGUAGE,
            )
            known = await identify(core.uow(), telegram_user_id=user_id)
        if known is not None:
            users.append(DemoUser(persona, user_id, known.person.phone, known.account.language))
    return tuple(users)


async def run_demo(
    core: JournalCore,
    settings: AppSettings,
    *,
    port: int,
    open_browser: bool,
    seed: int,
    say: Callable[[str], None],
    t: Translator,
    shutdown: Shutdown,
    companion: Companion = no_companion,
) -> None:
    """Run the demo until ``shutdown``: sandbox + chat page + bot (polling) in this process.

    ``companion`` runs beside the bot with the demo's effective bot settings (the notifications
    engine, so marks and absences reach the personas' chats).
    """
    users = await prepare(core, settings, seed=seed, say=say, t=t)
    token = demo_token()
    undo = redact_secrets([token])
    try:
        await _serve_demo(
            core,
            settings,
            users,
            token,
            port=port,
            open_browser=open_browser,
            say=say,
            t=t,
            shutdown=shutdown,
            companion=companion,
        )
    finally:
        undo()


async def _serve_demo(
    core: JournalCore,
    settings: AppSettings,
    users: Sequence[DemoUser],
    token: str,
    *,
    port: int,
    open_browser: bool,
    say: Callable[[str], None],
    t: Translator,
    shutdown: Shutdown,
    companion: Companion,
) -> None:
    latvian = Translator(t.catalogs, DEMO_LANGUAGE)
    async with running_sandbox(
        token=token, port=port, personas=[user.card(latvian) for user in users]
    ) as sandbox:
        for user in users:
            await sandbox.client.create_user(
                user.persona.given_name,
                user_id=user.user_id,
                last_name=user.persona.family_name,
                language_code=user.language,
                phone=user.phone,
            )
        url = f"{sandbox.base_url}/"
        background: set[asyncio.Task[None]] = set()

        def ready(_: str) -> None:
            say(t("demo.ready", url=url))
            if open_browser:
                background.add(asyncio.get_running_loop().create_task(_open_browser(url)))

        # Calendar feeds on [calendar] listen; links name this local server (the demo's
        # personas subscribe from this computer), whatever public_url says.
        async with calendar_beside(core, settings.calendar) as feeds:
            calendar = (
                settings.calendar.model_copy(update={"public_url": feeds.local_base})
                if feeds is not None
                else settings.calendar
            )
            bot_settings = settings.model_copy(
                update={
                    "bot": settings.bot.model_copy(
                        update={"token": SecretStr(token), "api_base": sandbox.api_url}
                    ),
                    "calendar": calendar,
                }
            )
            try:
                async with companion(bot_settings):
                    await serve(core, bot_settings, mode="polling", shutdown=shutdown, ready=ready)
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)


async def _open_browser(url: str) -> None:
    """Open the page in a browser when there is a desktop; failures do not matter."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return  # a console browser would take over the terminal
    with contextlib.suppress(Exception):  # the URL is printed anyway
        await asyncio.to_thread(webbrowser.open, url)
