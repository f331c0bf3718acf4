"""Owns assembling the bot: the aiogram ``Bot`` (session, API server) and the ``Dispatcher``.

Called by the composition root and by tests; nothing here runs at import time.
"""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.errors import register_error_handler
from bot.i18n import load_catalogs
from bot.journal import ChildDirectory, CoreChildDirectory, JournalCore
from bot.middlewares import FloodBuckets, register_middlewares
from bot.routers import feature_routers
from bot.sending import RetryAfterMiddleware
from bot.settings import AppSettings
from bot.shared import SharedState, in_process
from core.errors import InvalidInput
from core.i18n import Catalogs


def build_bot(settings: AppSettings, *, retries: int = 2) -> Bot:
    """The Bot: HTML by default, a local Bot API server when ``api_base`` is set.

    Raises:
        InvalidInput: ``run.token_missing`` when no token is configured.
    """
    if settings.bot.token is None or not settings.bot.token.get_secret_value():
        raise InvalidInput("run.token_missing")
    api_base = settings.bot.api_base
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    bot = Bot(
        token=settings.bot.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    bot.session.middleware(RetryAfterMiddleware(retries=retries))
    return bot


def build_dispatcher(
    core: JournalCore,
    settings: AppSettings,
    *,
    children: ChildDirectory | None = None,
    buckets: FloodBuckets | None = None,
    catalogs: Catalogs | None = None,
    shared: SharedState | None = None,
) -> Dispatcher:
    """The Dispatcher with every router, middleware and the error handler.

    ``shared`` is where dialogs, per-chat ordering and flood counters live (``bot.shared``):
    this process's memory unless given (Redis, for several processes). A chat's updates are
    always handled one after another. ``buckets`` overrides the flood control (tests).
    """
    catalogs = catalogs or load_catalogs()
    shared = shared or in_process(settings)
    dp = Dispatcher(name="ejournal", storage=shared.storage, events_isolation=shared.isolation)
    register_middlewares(
        dp,
        core=core,
        catalogs=catalogs,
        children=children or CoreChildDirectory(core),
        buckets=buckets or shared.buckets,
    )
    register_error_handler(dp, catalogs)
    dp["mark_grace_minutes"] = settings.mark_grace_minutes()  # handlers tell teachers
    dp["notification_defaults"] = settings.notification_defaults()  # /settings shows them
    # The base of calendar feed links (/calendar); None when the feed server is off.
    dp["calendar_base"] = settings.calendar.feed_base() if settings.calendar.enabled else None
    dp.include_routers(*feature_routers())
    return dp
