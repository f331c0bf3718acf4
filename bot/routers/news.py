"""Owns /news: the School news feed for everyone of the school, and posting for its managers.

Reading: ``/news`` (and the menu button) shows five posts a screen with Newer/Older buttons; a
post's 📎 button sends its attachment (images as a photo, other files as a document).
Writing (the superuser and the director): "✍ New post" → the text (first line = title),
optionally as the caption of a photo or a document, or the file first and then the text →
a preview with Publish / Publish and notify everyone (N people) / Cancel. The draft (the text
and the Telegram file id, never the bytes) lives in the FSM state until Publish, which
downloads the file and makes one ``post_news`` call. Core checks every step: a forged button
reaches a service that refuses.

This router stands before the timetable router: a document sent while drafting is the post's
attachment, every other document still goes to the timetable upload.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import NewsCb
from bot.drafts import kept_file
from bot.filters import IsLinked
from bot.i18n import Translator
from bot.journal import JournalCore
from bot.replies import reply, send_stored_file
from bot.views import news as views
from core.domain.news import check_file, news_draft
from core.errors import DomainError, NotAllowed, NotFound
from core.services.accounts import Identity
from core.services.news import (
    NewsAttachment,
    delete_news,
    news_attachment,
    news_audience_count,
    news_feed,
    news_post,
    news_schools,
    post_news,
)

PHOTO_NAME = "photo.jpg"  # Telegram sends photos as JPEG without a name


class NewsStates(StatesGroup):
    """A manager is writing a post (the draft is in the state's data)."""

    draft = State()


# ---------------------------------------------------------------- reading


async def feed_command(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator
) -> None:
    """/news: the newest posts of every school the person belongs to."""
    page = await news_feed(core.uow(), identity.viewer)
    await reply(message, views.feed_screen(page, t))


async def pressed(
    query: CallbackQuery,
    *,
    callback_data: NewsCb,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """Every news button: one service call each, core decides."""
    action, ref = callback_data.action, callback_data.ref
    viewer = identity.viewer
    if action == "page":
        await reply(query, views.feed_screen(await news_feed(core.uow(), viewer, offset=ref), t))
    elif action == "open":
        await reply(query, views.post_screen(await news_post(core.uow(), viewer, ref), t))
    elif action == "file":
        await send_attachment(query, ref, identity=identity, core=core, bot=bot)
    elif action == "ask_del":
        post = await news_post(core.uow(), viewer, ref)
        if not post.can_delete:  # core's verdict on this post; delete_news asks again
            raise NotAllowed("news.delete_not_allowed")
        await reply(query, views.confirm_delete(post, t))
    elif action == "del":
        await reply(query, views.deleted(await delete_news(core.uow(), viewer, ref), t))
    elif action == "new":
        await start_draft(query, ref, identity=identity, core=core, t=t, state=state)
    elif action == "cancel":
        if await state.get_state() == NewsStates.draft.state:  # never another dialog's state
            await state.clear()
        await reply(query, views.simple("news.compose.cancelled", t))
    else:
        await publish(
            query, action == "pubn", identity=identity, core=core, t=t, state=state, bot=bot
        )


async def send_attachment(
    query: CallbackQuery, post_id: int, *, identity: Identity, core: JournalCore, bot: Bot
) -> None:
    """The post's file: an image as a photo (a document if Telegram refuses it), else a file."""
    filename, mime, data = await news_attachment(core.uow(), identity.viewer, post_id)
    await send_stored_file(query, bot, data, filename, mime)


# ---------------------------------------------------------------- writing


async def start_draft(
    query: CallbackQuery,
    school_id: int,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
) -> None:
    """A manager starts a post: which school (when several), then "send the text"."""
    schools = await news_schools(core.uow(), identity.viewer)
    if school_id == 0 and len(schools) != 1:
        await reply(query, views.pick_school(schools, t))
        return
    school = next((s for s in schools if school_id in (s.id, 0)), None)
    if school is None:
        raise NotFound("school.not_found")
    await state.set_state(NewsStates.draft)
    await state.set_data({"school_id": school.id, "school": school.name})
    await reply(query, views.ask_text(school.name, t))


async def draft_text(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """The post's text (a new text replaces the draft's)."""
    news_draft(message.text or "")  # refuses an empty or too long text before keeping it
    await state.update_data(text=message.text or "")
    await show_draft(message, identity=identity, core=core, t=t, state=state)


async def draft_photo(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """A photo (its caption, if any, is the text)."""
    photo = (message.photo or [])[-1]  # the largest size
    check = check_file(PHOTO_NAME, "image/jpeg", photo.file_size or 1)
    await keep_file(message, photo.file_id, check.filename, check.mime_type, state=state)
    await state.update_data(photo=True)
    await show_draft(message, identity=identity, core=core, t=t, state=state)


async def draft_document(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """A document (its caption, if any, is the text)."""
    document = message.document
    if document is None:  # pragma: no cover - the filter lets documents only
        return
    check = check_file(document.file_name, document.mime_type, document.file_size or 1)
    await keep_file(message, document.file_id, check.filename, check.mime_type, state=state)
    await state.update_data(photo=False)
    await show_draft(message, identity=identity, core=core, t=t, state=state)


async def draft_other(message: Message, *, t: Translator) -> None:
    """A sticker, voice or location while drafting: say what is expected."""
    await reply(message, views.unsupported(t))


async def keep_file(
    message: Message, file_id: str, filename: str, mime: str, *, state: FSMContext
) -> None:
    """Remember the file (one per post: a new one replaces it) and a caption as the text."""
    if message.caption:
        news_draft(message.caption)
    update: dict[str, Any] = {"file_id": file_id, "filename": filename, "mime": mime}
    if message.caption:
        update["text"] = message.caption
    await state.update_data(**update)


async def show_draft(
    message: Message, *, identity: Identity, core: JournalCore, t: Translator, state: FSMContext
) -> None:
    """The preview, or "now the text" when only a file is there."""
    data = await state.get_data()
    if not data.get("text"):
        await reply(message, views.need_text(str(data.get("filename", "")), t))
        return
    school_id = int(data["school_id"])
    audience = await news_audience_count(core.uow(), identity.viewer, school_id)
    draft = news_draft(str(data["text"]))
    filename = data.get("filename")
    await reply(
        message,
        views.preview(
            draft, str(filename) if filename else None, str(data["school"]), audience, t
        ),
    )


async def publish(
    query: CallbackQuery,
    notify: bool,
    *,
    identity: Identity,
    core: JournalCore,
    t: Translator,
    state: FSMContext,
    bot: Bot,
) -> None:
    """Publish the draft (taken from the state first, so a second press finds nothing)."""
    data = await state.get_data() if await state.get_state() == NewsStates.draft.state else {}
    if not data.get("text"):
        await reply(query, views.simple("news.compose.nothing", t))
        return
    await state.clear()
    try:
        kept = await kept_file(bot, data)
        attachment = NewsAttachment(*kept) if kept is not None else None
        post = await post_news(
            core.uow(),
            identity.viewer,
            school_id=int(data["school_id"]),
            title=None,
            body=str(data["text"]),
            attachment=attachment,
            notify=notify,
        )
    except DomainError:
        await state.set_state(NewsStates.draft)  # keep the draft: the person may fix it
        await state.set_data(data)
        raise
    await reply(query, views.published(post, notify, t))


def build_router() -> Router:
    """A fresh router with this feature's handlers (one per dispatcher)."""
    router = Router(name=__name__)
    router.message.register(feed_command, Command("news"), IsLinked())
    router.callback_query.register(pressed, NewsCb.filter(), IsLinked())
    drafting = (NewsStates.draft, IsLinked())
    router.message.register(draft_text, *drafting, F.text, ~F.text.startswith("/"))
    router.message.register(draft_photo, *drafting, F.photo)
    router.message.register(draft_document, *drafting, F.document)
    router.message.register(draft_other, *drafting, ~F.text)
    return router
