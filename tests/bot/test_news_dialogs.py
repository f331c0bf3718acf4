"""/news through the real Dispatcher: reading, a manager's draft → preview → publish, refusals."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from aiogram.methods import SendDocument, SendMessage, SendPhoto
from aiogram.types import (
    BufferedInputFile,
    Message,
    PhotoSize,
    Sticker,
    Update,
)
from sqlalchemy import func, select

from bot.callbacks import MenuCb, NewsCb
from bot.middlewares import TokenBuckets
from core.bootstrap import Core
from core.clock import FakeClock
from core.services.news import NewsAttachment, post_news
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import SENT_AT, Chats, TelegramUser, buttons, open_chats
from tests.builders import WEEK_TIMETABLE_CSV, build_world, insert, viewer

PARENT, SUPERUSER, DIRECTOR, TEACHER, FOREIGN = 9501, 9502, 9503, 9504, 9505
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
_ids = itertools.count(50_000)


@pytest.fixture
async def chats(core: Core) -> Chats:
    world = await build_world(core)
    links = [
        (world.a.parent_5a, PARENT, "lv"),
        (world.a.superuser, SUPERUSER, "lv"),
        (world.a.director, DIRECTOR, "en"),
        (world.a.math_teacher, TEACHER, "lv"),
        (world.b.superuser, FOREIGN, "lv"),
    ]
    return await open_chats(core, world, links, buckets=TokenBuckets(100, 100))


async def count_posts(core: Core) -> int:
    async with create_session_factory(core.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(t.NewsPost)) or 0)


async def events(core: Core) -> list[dict[str, Any]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(
            select(t.DomainEvent).where(t.DomainEvent.kind == "news.published")
        )
        return [dict(row.payload) for row in rows]


async def send_photo(
    user: TelegramUser, data: bytes, caption: str | None = None
) -> list[SendMessage]:
    """The user sends a photo (Telegram's largest size last)."""
    file_id = f"photo{next(_ids)}"
    user.session.files[file_id] = data
    message = Message(
        message_id=next(_ids),
        date=SENT_AT,
        chat=user.chat,
        from_user=user.user,
        photo=[
            PhotoSize(file_id="thumb", file_unique_id="thumb", width=90, height=60, file_size=9),
            PhotoSize(
                file_id=file_id,
                file_unique_id=file_id,
                width=1280,
                height=853,
                file_size=len(data),
            ),
        ],
        caption=caption,
    )
    return await _feed(user, message)


async def send_sticker(user: TelegramUser) -> list[SendMessage]:
    sticker = Sticker(
        file_id="s", file_unique_id="s", type="regular", width=1, height=1, is_animated=False,
        is_video=False,
    )  # fmt: skip
    message = Message(
        message_id=next(_ids), date=SENT_AT, chat=user.chat, from_user=user.user, sticker=sticker
    )
    return await _feed(user, message)


async def _feed(user: TelegramUser, message: Message) -> list[SendMessage]:
    before = len(user.session.calls)
    await user.dp.feed_update(user.bot, Update(update_id=next(_ids), message=message))
    return [c for c in user.session.calls[before:] if isinstance(c, SendMessage)]


async def publish_as(core: Core, person: int, school: int, text: str, **kwargs: Any) -> int:
    options: dict[str, Any] = {"title": None, "attachment": None, "notify": False}
    options.update(kwargs)
    view = await post_news(
        core.uow(), await viewer(core, person), school_id=school, body=text, **options
    )
    return view.id


async def test_a_parent_reads_the_feed_and_gets_the_attachment(
    core: Core, chats: Chats, clock: FakeClock
) -> None:
    a = chats.world.a
    now = clock.now()
    await insert(
        core,
        t.NewsPost(
            school_id=a.school_id,
            author_id=None,
            kind="timetable",
            title="Izmaiņas 30.11.",
            body="5.a 3. stunda: aizvieto M. Alfa-Matemātiķe",
            file_id=None,
            created_at=now - timedelta(hours=2),
            published_at=now - timedelta(hours=2),
        ),
    )
    await publish_as(
        core,
        a.director,
        a.school_id,
        "Ēdienkarte\nSkatiet <pielikumu> & ēdiet!",
        attachment=NewsAttachment("ēdienkarte.pdf", "application/pdf", PDF),
    )
    parent = chats.user(PARENT)
    [feed] = await parent.send("/news")
    assert feed.text.splitlines() == [
        "📰 <b>Skolas ziņas</b>",
        "",
        "📌 <b>Ēdienkarte</b>",
        "<i>27.11.2026 10:00 · Direktors</i>",
        "Skatiet &lt;pielikumu&gt; &amp; ēdiet!",
        f"📎 ēdienkarte.pdf ({t_kb(PDF)} KB)",
        "",
        "🗓 <b>Izmaiņas 30.11.</b>",
        "<i>27.11.2026 8:00 · Stundu saraksta izmaiņas</i>",
        "5.a 3. stunda: aizvieto M. Alfa-Matemātiķe",
    ]
    assert set(buttons(feed)) == {"📎 ēdienkarte.pdf", "⬅️ Izvēlne"}

    before = len(chats.session.documents())
    await parent.press(buttons(feed)["📎 ēdienkarte.pdf"])
    [sent] = chats.session.documents()[before:]
    assert isinstance(sent.document, BufferedInputFile)
    assert (sent.document.filename, sent.document.data) == ("ēdienkarte.pdf", PDF)

    [menu] = await parent.send("/start")
    [again] = await parent.press(buttons(menu)["📰 Skolas ziņas"])
    assert again.text == feed.text


def t_kb(data: bytes) -> int:
    return max(1, round(len(data) / 1000))


async def test_five_posts_a_screen_with_older_and_newer(
    core: Core, chats: Chats, clock: FakeClock
) -> None:
    a = chats.world.a
    for number in range(1, 8):
        await publish_as(core, a.superuser, a.school_id, f"Ziņa {number}\nTeksts {number}")
        clock.advance(timedelta(minutes=1))
    teacher = chats.user(TEACHER)
    [first] = await teacher.send("/news")
    assert [line for line in first.text.splitlines() if line.startswith("📌 <b>Ziņa")] == [
        f"📌 <b>Ziņa {n}</b>" for n in (7, 6, 5, 4, 3)
    ]
    assert "⬅️ Jaunākas" not in buttons(first)
    [older] = await teacher.press(buttons(first)["Senākas ➡️"])
    assert "📌 <b>Ziņa 2</b>" in older.text
    assert "📌 <b>Ziņa 1</b>" in older.text
    assert "Ziņa 3" not in older.text
    assert "Senākas ➡️" not in buttons(older)
    [newer] = await teacher.press(buttons(older)["⬅️ Jaunākas"])
    assert newer.text == first.text
    [beyond] = await teacher.press(NewsCb(action="page", ref=50).pack())
    assert "Senāku ziņu nav." in beyond.text


async def test_a_long_page_shortens_bodies_and_opens_a_post_in_full(
    core: Core, chats: Chats
) -> None:
    a = chats.world.a
    long_body = " ".join(["vārds"] * 580)  # 3479 characters
    for number in range(1, 4):
        await publish_as(core, a.superuser, a.school_id, f"Garā ziņa {number}\n{long_body}")
    parent = chats.user(PARENT)
    [feed] = await parent.send("/news")
    assert len(feed.text) <= 4096
    assert long_body not in feed.text
    assert " …" in feed.text
    [full] = await parent.press(buttons(feed)["📖 Garā ziņa 3"])
    assert long_body in full.text
    assert (
        full.text.splitlines()[1]
        == "<i>27.11.2026 10:00 · Direktora vietnieks · Alfa pamatskola</i>"
    )


async def test_a_manager_posts_with_a_document_previews_and_publishes(
    core: Core, chats: Chats
) -> None:
    superuser = chats.user(SUPERUSER)
    [feed] = await superuser.send("/news")
    assert "Ziņu vēl nav." in feed.text
    [ask] = await superuser.press(buttons(feed)["✍ Jauna ziņa"])
    assert ask.text.startswith("✍ Jauna ziņa: <b>Alfa pamatskola</b>")
    assert set(buttons(ask)) == {"Atcelt"}

    [preview] = await superuser.send_document(
        "plāns.pdf", PDF, caption="Mācību plāns\nPielikumā <plāns> nākamajai nedēļai."
    )
    assert preview.text.splitlines() == [
        "👁 <b>Priekšskatījums</b> (Alfa pamatskola). Tā ziņa izskatīsies:",
        "",
        "📌 <b>Mācību plāns</b>",
        "Pielikumā &lt;plāns&gt; nākamajai nedēļai.",
        "📎 plāns.pdf",
        "",
        "Savienotie skolas cilvēki, kas saņemtu paziņojumu: 3.",
        "Lai ko mainītu, nosūtiet jaunu tekstu vai citu failu.",
    ]
    assert list(buttons(preview)) == [
        "✅ Publicēt",
        "📣 Publicēt un paziņot visiem (3)",
        "Atcelt",
    ]
    assert await count_posts(core) == 0

    [done] = await superuser.press(buttons(preview)["📣 Publicēt un paziņot visiem (3)"])
    assert done.text.splitlines()[:3] == [
        "✅ Ziņa publicēta.",
        "📣 Paziņojumu saņems visi savienotie skolas cilvēki.",
        "",
    ]
    assert await count_posts(core) == 1
    [event] = await events(core)
    assert (event["kind"], event["notify"]) == ("news", True)

    [again] = await superuser.press(buttons(preview)["✅ Publicēt"])  # a second press
    assert again.text.startswith("Nav melnraksta, ko publicēt")
    assert await count_posts(core) == 1

    parent = chats.user(PARENT)
    [seen] = await parent.send("/news")
    assert "📌 <b>Mācību plāns</b>" in seen.text
    before = len(chats.session.documents())
    await parent.press(buttons(seen)["📎 plāns.pdf"])
    [sent] = chats.session.documents()[before:]
    assert isinstance(sent.document, BufferedInputFile)
    assert sent.document.data == PDF


async def test_a_photo_first_then_the_text_and_readers_get_a_photo(
    core: Core, chats: Chats
) -> None:
    director = chats.user(DIRECTOR)  # English
    [ask] = await director.press(NewsCb(action="new", ref=0).pack())
    assert ask.text.startswith("✍ New post: <b>Alfa pamatskola</b>")
    [need] = await send_photo(director, JPEG)
    assert need.text == (
        "📎 File “photo.jpg” added. Now send the text of the post: the first line is the title."
    )
    [sticker] = await send_sticker(director)
    assert sticker.text.startswith("A post takes text, a picture or a file.")
    [preview] = await director.send("Concert on Friday")
    assert "📌 <b>Concert on Friday</b>\n📎 photo.jpg" in preview.text
    [done] = await director.press(buttons(preview)["✅ Publish"])
    assert done.text.startswith("✅ The post is published.")
    [event] = await events(core)
    assert event["notify"] is False

    parent = chats.user(PARENT)
    [feed] = await parent.send("/news")
    assert "<i>27.11.2026 10:00 · Direktors</i>" in feed.text
    await parent.press(buttons(feed)["📎 photo.jpg"])
    [photo] = [c for c in chats.session.calls if isinstance(c, SendPhoto)]
    assert isinstance(photo.photo, BufferedInputFile)
    assert photo.photo.data == JPEG


async def test_bad_input_while_drafting_is_refused_and_the_draft_stays(
    core: Core, chats: Chats
) -> None:
    superuser = chats.user(SUPERUSER)
    await superuser.press(NewsCb(action="new", ref=0).pack())
    [refused] = await superuser.send("x" * 201 + "\nTeksts")
    assert refused.text.startswith("Virsraksts ir par garu (garums 201, atļauts līdz 200")
    [wrong] = await superuser.send_document("virus.exe", b"MZ")
    assert wrong.text.startswith("Šādu failu ziņai pievienot nevar.")
    [fake] = await send_photo(superuser, PDF, caption="Attēls\nTeksts")
    assert fake.text.startswith("👁 <b>Priekšskatījums</b>")  # judged by Telegram's metadata
    [mismatch] = await superuser.press(buttons(fake)["✅ Publicēt"])
    assert mismatch.text == (
        "Faila “photo.jpg” saturs neatbilst tā tipam. "
        "Saglabājiet failu vēlreiz pareizajā formātā un nosūtiet to vēlreiz."
    )
    assert await count_posts(core) == 0
    [fixed] = await superuser.send_document("plāns.pdf", PDF)  # the draft kept its text
    assert "📌 <b>Attēls</b>\nTeksts\n📎 plāns.pdf" in fixed.text
    await superuser.press(buttons(fixed)["✅ Publicēt"])
    assert await count_posts(core) == 1


async def test_cancel_and_documents_outside_the_draft_go_to_the_timetable_upload(
    core: Core, chats: Chats
) -> None:
    superuser = chats.user(SUPERUSER)
    await superuser.press(NewsCb(action="new", ref=0).pack())
    [cancelled] = await superuser.press(NewsCb(action="cancel").pack())
    assert cancelled.text == "Atcelts. Nekas nav publicēts."
    [nothing] = await superuser.press(NewsCb(action="pub").pack())
    assert nothing.text.startswith("Nav melnraksta, ko publicēt")
    data = WEEK_TIMETABLE_CSV.format(a="Alfa").encode()
    [upload] = await superuser.send_document("week.csv", data)
    assert upload.text.startswith("Stundu saraksts 1. semestrim — priekšskatījums")
    [hint] = await superuser.send("Sveiki")
    assert "Priekšskatījums" not in hint.text
    assert await count_posts(core) == 0


async def test_non_managers_have_no_post_button_and_forged_buttons_are_refused(
    core: Core, chats: Chats
) -> None:
    a, b = chats.world.a, chats.world.b
    post_id = await publish_as(core, a.superuser, a.school_id, "Sapulce\nOtrdien")
    foreign = await publish_as(
        core,
        b.superuser,
        b.school_id,
        "Beta\nTeksts",
        attachment=NewsAttachment("b.pdf", None, PDF),
    )
    parent = chats.user(PARENT)
    [feed] = await parent.send("/news")
    assert set(buttons(feed)) == {"⬅️ Izvēlne"}

    [refused] = await parent.press(NewsCb(action="new", ref=a.school_id).pack())
    assert refused.text == "Skola nav atrasta vai jūs to nepārvaldāt."
    [hint] = await parent.send("Mana ziņa visiem")  # no draft was started
    assert "Priekšskatījums" not in hint.text
    [nothing] = await parent.press(NewsCb(action="pubn").pack())
    assert nothing.text.startswith("Nav melnraksta, ko publicēt")
    for action in ("ask_del", "del"):
        [no] = await parent.press(NewsCb(action=action, ref=post_id).pack())
        assert no.text == "Dzēst ziņu var tikai tās autors vai skolas vadība."
    for action in ("open", "file", "del"):
        [hidden] = await parent.press(NewsCb(action=action, ref=foreign).pack())
        assert hidden.text == "Ziņa nav atrasta (iespējams, tā ir dzēsta)."
    [page] = await parent.press(NewsCb(action="page", ref=-(2**63)).pack())
    assert page.text == "Šādas ziņu lapas nav."
    [other] = await chats.user(FOREIGN).press(NewsCb(action="new", ref=a.school_id).pack())
    assert other.text == "Skola nav atrasta vai jūs to nepārvaldāt."
    assert await count_posts(core) == 2
    assert not [c for c in chats.session.calls if isinstance(c, SendDocument)]


async def test_a_manager_deletes_a_post_after_confirming(core: Core, chats: Chats) -> None:
    a = chats.world.a
    await publish_as(
        core,
        a.superuser,
        a.school_id,
        "Atcelts pasākums",
        attachment=NewsAttachment("a.pdf", None, PDF),
    )
    director = chats.user(DIRECTOR)
    [feed] = await director.send("/news")
    assert "<i>27.11.2026 10:00 · Deputy director</i>" in feed.text
    [ask] = await director.press(buttons(feed)["🗑 Atcelts pasākums"])
    assert ask.text == (
        "Delete the post “Atcelts pasākums”? Nobody will see it or its file any more."
    )
    [kept] = await director.press(buttons(ask)["No, keep it"])
    assert "Atcelts pasākums" in kept.text
    assert await count_posts(core) == 1
    [done] = await director.press(buttons(ask)["🗑 Yes, delete"])
    assert done.text == "🗑 The post “Atcelts pasākums” was deleted."
    assert await count_posts(core) == 0
    [gone] = await director.press(buttons(ask)["🗑 Yes, delete"])
    assert gone.text == "Post not found (it may have been deleted)."
    [menu] = await director.press(MenuCb().pack())
    assert "📰 School news" in buttons(menu)


async def test_news_is_in_every_linked_persons_commands_and_help(chats: Chats) -> None:
    for user_id in (PARENT, TEACHER, SUPERUSER):
        await chats.user(user_id).send("/start")
        assert "news" in chats.chat_commands(user_id)
    [parent_help] = await chats.user(PARENT).send("/help")
    assert "📰 /news" in parent_help.text
    assert "✍" not in parent_help.text
    [manager_help] = await chats.user(SUPERUSER).send("/help")
    assert "✍ Ziņu publicē sadaļā /news" in manager_help.text


async def test_another_command_closes_the_draft(core: Core, chats: Chats) -> None:
    superuser = chats.user(SUPERUSER)
    [feed] = await superuser.send("/news")
    await superuser.press(buttons(feed)["✍ Jauna ziņa"])
    await superuser.send("/help")  # the deputy director moves on
    replies = await superuser.send("Sveiki visiem")
    assert all("Priekšskatījums" not in reply.text for reply in replies)  # not taken as a post
