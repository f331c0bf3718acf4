"""Owns /settings: language, how each kind of notification arrives, quiet hours, digest time.

Every change is one core call for the account of the person pressing (the account is never in
the button); core validates the values and refuses anything else.
"""

from __future__ import annotations

from datetime import time

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import DigestTimeCb, NotifyCb, QuietHoursCb, SettingsCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply
from bot.views import language as language_views
from bot.views import settings as views
from core.errors import InvalidInput
from core.services.accounts import Identity
from core.services.preferences import (
    DEFAULTS,
    DIGEST_EARLIEST,
    DIGEST_LATEST,
    NotificationDefaults,
    notification_settings,
    set_digest_time,
    set_notification_mode,
    set_quiet_hours,
)

MINUTES_A_DAY = 24 * 60


async def show(
    event: Message | CallbackQuery,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    notification_defaults: NotificationDefaults | None = None,
) -> None:
    """/settings and "back": the overview of the person's own account."""
    settings = await notification_settings(
        core.uow(),
        identity.viewer,
        account_id=identity.account.id,
        defaults=notification_defaults or DEFAULTS,
    )
    await reply(event, views.overview(settings, t))


async def open_view(
    query: CallbackQuery,
    *,
    callback_data: SettingsCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    notification_defaults: NotificationDefaults | None = None,
) -> None:
    """The overview, the language picker (the /language screen), quiet hours or digest time."""
    if callback_data.view == "language":
        await reply(query, language_views.picker(t))
        return
    defaults = notification_defaults or DEFAULTS
    settings = await notification_settings(
        core.uow(), identity.viewer, account_id=identity.account.id, defaults=defaults
    )
    if callback_data.view == "quiet":
        screen = views.quiet_choices(settings, defaults, t)
    elif callback_data.view == "digest":
        screen = views.digest_choices(settings, defaults, t)
    else:
        screen = views.overview(settings, t)
    await reply(query, screen)


async def notify(
    query: CallbackQuery,
    *,
    callback_data: NotifyCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    notification_defaults: NotificationDefaults | None = None,
) -> None:
    """A kind's choices (``ask``), or the choice itself, saved and shown in the overview."""
    defaults = notification_defaults or DEFAULTS
    if callback_data.mode == "ask":
        settings = await notification_settings(
            core.uow(), identity.viewer, account_id=identity.account.id, defaults=defaults
        )
        if settings.mode(callback_data.topic) is None:
            raise InvalidInput("preferences.topic_unavailable")
        await reply(query, views.topic_choices(settings, callback_data.topic, t))
        return
    settings = await set_notification_mode(
        core.uow(),
        identity.viewer,
        account_id=identity.account.id,
        topic=callback_data.topic,
        mode=callback_data.mode,
        defaults=defaults,
    )
    await reply(query, views.overview(settings, t, saved=True))


async def quiet_hours(
    query: CallbackQuery,
    *,
    callback_data: QuietHoursCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    notification_defaults: NotificationDefaults | None = None,
) -> None:
    """A quiet-hours preset, none, or the school default."""
    start, end = callback_data.start, callback_data.end
    if start == views.SCHOOL_DEFAULT and end == views.SCHOOL_DEFAULT:
        span: tuple[time | None, time | None] = (None, None)
    else:
        span = (_time(start), _time(end))
        if None in span:
            raise InvalidInput("preferences.quiet_invalid")
    settings = await set_quiet_hours(
        core.uow(),
        identity.viewer,
        account_id=identity.account.id,
        start=span[0],
        end=span[1],
        defaults=notification_defaults or DEFAULTS,
    )
    await reply(query, views.overview(settings, t, saved=True))


async def digest_time(
    query: CallbackQuery,
    *,
    callback_data: DigestTimeCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    notification_defaults: NotificationDefaults | None = None,
) -> None:
    """A digest-time preset, or the school's time."""
    value = callback_data.minutes
    at = None if value == views.SCHOOL_DEFAULT else _time(value)
    if at is None and value != views.SCHOOL_DEFAULT:
        raise InvalidInput(
            "preferences.digest_invalid",
            earliest=DIGEST_EARLIEST.strftime("%H:%M"),
            latest=DIGEST_LATEST.strftime("%H:%M"),
        )
    settings = await set_digest_time(
        core.uow(),
        identity.viewer,
        account_id=identity.account.id,
        at=at,
        defaults=notification_defaults or DEFAULTS,
    )
    await reply(query, views.overview(settings, t, saved=True))


async def not_connected(event: Message | CallbackQuery, t: Translator) -> None:
    """Before connecting there is nothing to set."""
    await reply(event, views.unlinked(t))


def _time(value: int) -> time | None:
    """Minutes after midnight from a button as a time of day; None outside a day."""
    return time(value // 60, value % 60) if 0 <= value < MINUTES_A_DAY else None


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(show, Command("settings"), IsLinked())
    router.callback_query.register(open_view, SettingsCb.filter(), IsLinked())
    router.callback_query.register(notify, NotifyCb.filter(), IsLinked())
    router.callback_query.register(quiet_hours, QuietHoursCb.filter(), IsLinked())
    router.callback_query.register(digest_time, DigestTimeCb.filter(), IsLinked())
    router.message.register(not_connected, Command("settings"))
    for cb in (SettingsCb, NotifyCb, QuietHoursCb, DigestTimeCb):
        router.callback_query.register(not_connected, cb.filter())
    return router
