"""Owns /calendar: personal iCalendar feed links (pupils for themselves, parents per child).

A link is made by core (``create_feed``), shown once with how to subscribe, listed afterwards by
its dates only (``my_feeds``) and revoked after a question (``revoke_feed``). The links' base
address comes from ``[calendar]`` through the dispatcher's ``calendar_base`` (None: the feed
server is off). Buttons are untrusted: core checks the pupil and the link's owner every time.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message

from bot.calendar_server import feed_url
from bot.callbacks import CalendarCb
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import Child, JournalCore
from bot.replies import reply
from bot.views import calendar as views
from bot.views.common import Screen
from core.errors import NotFound
from core.services.accounts import Identity
from core.services.calendar_feed import create_feed, my_feeds, revoke_feed

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a preview would make Telegram fetch the feed


async def calendar_command(
    message: Message,
    *,
    identity: Identity,
    family: Sequence[Child],
    core: JournalCore,
    t: Translator,
    calendar_base: str | None,
) -> None:
    """The only pupil's links, or "whose?" when there are several."""
    if calendar_base is None:
        await reply(message, views.switched_off(t))
        return
    found = views.targets(identity, family)
    if not found:
        await reply(message, views.nobody(t))
        return
    if len(found) == 1:
        feeds = await my_feeds(core.uow(), identity.viewer, pupil_id=found[0].pupil_id)
        await reply(message, views.links_screen(feeds, t))
        return
    await reply(message, views.picker(found, t))


async def calendar_button(
    query: CallbackQuery,
    *,
    callback_data: CalendarCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    calendar_base: str | None,
) -> None:
    """A pupil's links, a new link, "revoke?" and revoking."""
    if calendar_base is None:
        await reply(query, views.switched_off(t))
        return
    action, pupil_id, viewer = callback_data.action, callback_data.pupil_id, identity.viewer
    if action == "pupil":
        feeds = await my_feeds(core.uow(), viewer, pupil_id=pupil_id)
        await reply(query, views.links_screen(feeds, t))
    elif action == "new":
        new = await create_feed(core.uow(), viewer, pupil_id=pupil_id)
        feeds = await my_feeds(core.uow(), viewer, pupil_id=pupil_id)  # names the pupil
        screen = views.created(feed_url(calendar_base, new.token), feeds, t)
        await _send_without_preview(query, screen)
    elif action == "ask":
        feeds = await my_feeds(core.uow(), viewer, pupil_id=pupil_id)
        question = views.ask_revoke(feeds, callback_data.feed_id, t)
        if question is None:
            raise NotFound("calendar.feed_not_found")
        await reply(query, question)
    else:
        revoked = await revoke_feed(core.uow(), viewer, feed_id=callback_data.feed_id)
        feeds = await my_feeds(core.uow(), viewer, pupil_id=revoked.pupil_id)
        await reply(query, views.links_screen(feeds, t, notice=t("calendar.revoked")))


async def _send_without_preview(query: CallbackQuery, screen: Screen) -> None:
    """Send the screen into the button's chat with link previews off."""
    if query.bot is None:  # pragma: no cover - updates fed through a Dispatcher carry the bot
        raise RuntimeError("callback query without a bot")
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    await query.bot.send_message(
        chat_id, screen.text, reply_markup=screen.keyboard, link_preview_options=NO_PREVIEW
    )


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(calendar_command, Command("calendar"), IsLinked())
    router.callback_query.register(calendar_button, CalendarCb.filter(), IsLinked())
    return router
