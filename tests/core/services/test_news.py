"""School news: managers post (with a file, optionally notifying), the school's people read."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.clock import FakeClock
from core.domain.access import Role, Viewer
from core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.services.news import (
    NewsAttachment,
    delete_news,
    news_attachment,
    news_audience_count,
    news_feed,
    news_post,
    post_news,
)
from core.storage import tables as t
from core.storage.database import create_session_factory
from tests.bot.harness import link
from tests.builders import World, build_world, insert, viewer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
async def world(core: Core) -> World:
    return await build_world(core)


async def count(core: Core, table: type[t.Base], **where: Any) -> int:
    async with create_session_factory(core.engine)() as session:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(getattr(table, column) == value)
        return int(await session.scalar(query) or 0)


async def post(core: Core, author: Viewer, school_id: int, text: str, **kwargs: Any) -> int:
    options: dict[str, Any] = {"title": None, "attachment": None, "notify": False}
    options.update(kwargs)
    view = await post_news(core.uow(), author, school_id=school_id, body=text, **options)
    return view.id


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


async def test_a_manager_posts_with_a_file_and_the_event_and_audit_ride_along(
    core: Core, world: World
) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    posted = await post_news(
        core.uow(),
        superuser,
        school_id=a.school_id,
        title=None,
        body="  Ēdienkarte nākamnedēļai \n\nSkatiet pielikumā.\n",
        attachment=NewsAttachment("C:\\Lietotāji\\ēdienkarte.pdf", "application/pdf", PDF),
        notify=True,
    )
    assert (posted.title, posted.body) == ("Ēdienkarte nākamnedēļai", "Skatiet pielikumā.")
    assert posted.kind == "news"
    assert posted.author_role is Role.DEPUTY_DIRECTOR
    assert posted.published_at.isoformat() == "2026-11-27T10:00:00+02:00"  # Riga time
    assert posted.attachment is not None
    assert (posted.attachment.filename, posted.attachment.size) == ("ēdienkarte.pdf", len(PDF))
    assert posted.can_delete

    async with create_session_factory(core.engine)() as session:
        event = (await session.scalars(select(t.DomainEvent))).one()
        audit = (await session.scalars(select(t.AuditEntry))).one()
        stored = (await session.scalars(select(t.StoredFile))).one()
    assert event.kind == "news.published"
    assert event.school_id == a.school_id
    assert event.actor_id == a.superuser
    assert event.payload == {
        "school_id": a.school_id,
        "news_post_id": posted.id,
        "kind": "news",
        "notify": True,
    }
    assert (audit.action, audit.entity, audit.entity_id) == (
        "news.publish",
        "news_post",
        posted.id,
    )
    assert audit.actor_role == "deputy_director"
    assert audit.after == {
        "title": "Ēdienkarte nākamnedēļai",
        "kind": "news",
        "file": "ēdienkarte.pdf",
        "notify": True,
    }
    assert stored.content == PDF
    assert stored.size == len(PDF)
    assert len(stored.sha256) == 64

    parent = await viewer(core, a.parent_5a)
    assert await news_attachment(core.uow(), parent, posted.id) == (
        "ēdienkarte.pdf",
        "application/pdf",
        PDF,
    )


async def test_the_director_posts_with_an_explicit_title_and_a_one_line_post_is_all_title(
    core: Core, world: World
) -> None:
    a = world.a
    director = await viewer(core, a.director)
    view = await post_news(
        core.uow(),
        director,
        school_id=a.school_id,
        title=" Koncerts ",
        body="Aicinām uz koncertu.\nPiektdien 18.00.",
        attachment=None,
        notify=False,
    )
    assert (view.title, view.body, view.author_role) == (
        "Koncerts",
        "Aicinām uz koncertu.\nPiektdien 18.00.",
        Role.DIRECTOR,
    )
    one = await news_post(
        core.uow(), director, await post(core, director, a.school_id, "Rīt brīvs!")
    )
    assert (one.title, one.body) == ("Rīt brīvs!", "")
    [first_event, _] = await _events(core)
    assert first_event["notify"] is False


async def _events(core: Core) -> list[dict[str, Any]]:
    async with create_session_factory(core.engine)() as session:
        rows = await session.scalars(select(t.DomainEvent).order_by(t.DomainEvent.id))
        return [dict(row.payload) for row in rows]


@pytest.mark.parametrize(
    "who", ["math_teacher", "other_teacher", "parent_5a", "pupil_5a", "foreign_superuser"]
)
async def test_only_the_schools_managers_may_post(core: Core, world: World, who: str) -> None:
    person = world.b.superuser if who == "foreign_superuser" else getattr(world.a, who)
    with pytest.raises(NotFound) as refused:
        await post(core, await viewer(core, person), world.a.school_id, "Ziņa\nTeksts")
    assert refused.value.key == "school.not_found"
    assert await count(core, t.NewsPost) == 0
    assert await count(core, t.DomainEvent) == 0
    assert await count(core, t.AuditEntry) == 0


@pytest.mark.parametrize(
    ("text", "title", "attachment", "key"),
    [
        ("  \n \t ", None, None, "news.text_empty"),
        ("", "Virsraksts", None, "news.text_empty"),
        ("x" * 201 + "\nteksts", None, None, "news.title_too_long"),
        ("teksts", "x" * 201, None, "news.title_too_long"),
        ("Virsraksts\n" + "x" * 3501, None, None, "news.body_too_long"),
        ("Ziņa", None, NewsAttachment("a.pdf", "application/pdf", b""), "news.file_empty"),
        (
            "Ziņa",
            None,
            NewsAttachment("a.pdf", "application/pdf", b"%PDF-" + b"0" * 10_000_000),
            "news.file_too_big",
        ),
        (
            "Ziņa",
            None,
            NewsAttachment("run.exe", "application/x-msdownload", b"MZ"),
            "news.file_type",
        ),
        ("Ziņa", None, NewsAttachment("a.gif", "image/gif", b"GIF89a"), "news.file_type"),
        ("Ziņa", None, NewsAttachment("photo.jpg", "image/jpeg", PDF), "news.file_mismatch"),
        ("Ziņa", None, NewsAttachment("a.docx", None, b"PK\x03\x04broken"), "news.file_mismatch"),
        ("Ziņa", None, NewsAttachment("a.xlsx", None, docx()), "news.file_mismatch"),
        (
            "Ziņa",
            None,
            NewsAttachment("a.txt", "text/plain", b"\xff\xfe\x00"),
            "news.file_mismatch",
        ),
    ],
)
async def test_invalid_posts_are_refused_and_change_nothing(
    core: Core, world: World, *, text: str, title: str | None, attachment: Any, key: str
) -> None:
    superuser = await viewer(core, world.a.superuser)
    with pytest.raises(InvalidInput) as refused:
        await post(core, superuser, world.a.school_id, text, title=title, attachment=attachment)
    assert refused.value.key == key
    for table in (t.NewsPost, t.StoredFile, t.DomainEvent, t.AuditEntry):
        assert await count(core, table) == 0


async def test_allowed_files_keep_a_clean_name_and_their_type(core: Core, world: World) -> None:
    superuser = await viewer(core, world.a.superuser)
    cases = [
        (NewsAttachment("Plāns.DOCX", "application/octet-stream", docx()), "Plāns.DOCX"),
        (NewsAttachment(None, "image/png", PNG), "file.png"),
        (NewsAttachment("saraksts 27.11", "text/plain", "Rīt\n".encode()), "saraksts 27.11.txt"),
        (NewsAttachment("../../\x00evil\n.pdf", "image/png", PDF), "evil.pdf"),
    ]
    for attachment, name in cases:
        post_id = await post(core, superuser, world.a.school_id, "Ziņa", attachment=attachment)
        filename, mime, data = await news_attachment(core.uow(), superuser, post_id)
        assert filename == name
        assert data == attachment.data
    assert mime == "application/pdf"


async def test_the_feed_is_newest_first_in_pages_of_five(
    core: Core, world: World, clock: FakeClock
) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    for number in range(1, 8):
        await post(core, superuser, a.school_id, f"Ziņa {number}\nTeksts {number}")
        clock.advance(timedelta(minutes=number % 2))  # posts 2-3, 4-5, 6-7 share a minute
    parent = await viewer(core, a.parent_5a)
    first = await news_feed(core.uow(), parent)
    assert [p.title for p in first.posts] == [f"Ziņa {n}" for n in (7, 6, 5, 4, 3)]
    assert (first.has_newer, first.has_older, first.show_school) == (False, True, False)
    assert first.postable == ()
    second = await news_feed(core.uow(), parent, offset=5)
    assert [p.title for p in second.posts] == ["Ziņa 2", "Ziņa 1"]
    assert (second.has_newer, second.has_older) == (True, False)
    assert not any(p.can_delete for p in first.posts)
    empty = await news_feed(core.uow(), parent, offset=10)
    assert empty.posts == ()
    for offset, limit in ((-1, 5), (0, 0), (0, 21), (10**9, 5)):
        with pytest.raises(InvalidInput) as refused:
            await news_feed(core.uow(), parent, offset=offset, limit=limit)
        assert refused.value.key == "news.page_invalid"
    managed = await news_feed(core.uow(), superuser)
    assert [s.code for s in managed.postable] == ["alfa"]
    assert all(p.can_delete for p in managed.posts)


@pytest.mark.parametrize(
    "who",
    ["superuser", "director", "math_teacher", "other_teacher", "parent_5a", "pupil_2a"],
)
async def test_everyone_of_the_school_reads_and_nobody_else(
    core: Core, world: World, who: str
) -> None:
    a, b = world.a, world.b
    post_id = await post(
        core,
        await viewer(core, a.director),
        a.school_id,
        "Sapulce\nOtrdien",
        attachment=NewsAttachment("a.pdf", None, PDF),
    )
    reader = await viewer(core, getattr(a, who))
    [seen] = (await news_feed(core.uow(), reader)).posts
    assert (seen.id, seen.school_name) == (post_id, "Alfa pamatskola")
    assert (await news_post(core.uow(), reader, post_id)).title == "Sapulce"
    assert (await news_attachment(core.uow(), reader, post_id))[2] == PDF

    outsider = await viewer(core, getattr(b, who))
    assert (await news_feed(core.uow(), outsider)).posts == ()
    for read in (news_post, news_attachment, delete_news):
        with pytest.raises(NotFound) as refused:
            await read(core.uow(), outsider, post_id)
        assert refused.value.key == "news.not_found"
    with pytest.raises(NotFound) as refused:
        await news_feed(core.uow(), outsider, school_id=a.school_id)
    assert refused.value.key == "news.school_not_found"


async def test_a_person_of_two_schools_reads_both_each_post_named(
    core: Core, world: World, clock: FakeClock
) -> None:
    a, b = world.a, world.b
    await insert(
        core, t.Guardianship(guardian_id=a.parent_5a, pupil_id=b.pupil_5a, relation="mother")
    )
    await post(core, await viewer(core, a.superuser), a.school_id, "Alfa ziņa")
    clock.advance(timedelta(minutes=5))
    await post(core, await viewer(core, b.director), b.school_id, "Beta ziņa")
    parent = await viewer(core, a.parent_5a)
    page = await news_feed(core.uow(), parent)
    assert [(p.title, p.school_name) for p in page.posts] == [
        ("Beta ziņa", "Beta pamatskola"),
        ("Alfa ziņa", "Alfa pamatskola"),
    ]
    assert page.show_school
    only_a = await news_feed(core.uow(), parent, school_id=a.school_id)
    assert [p.title for p in only_a.posts] == ["Alfa ziņa"]
    assert only_a.show_school  # still a reader of two schools


async def test_bulletins_show_drafts_and_future_posts_do_not(
    core: Core, world: World, clock: FakeClock
) -> None:
    a = world.a
    now = clock.now()
    bulletin, draft, future = await insert(
        core,
        *(
            t.NewsPost(
                school_id=a.school_id,
                author_id=None,
                kind="timetable",
                title=title,
                body="5.a 3. stunda: aizvieto M. Alfa-Matemātiķe",
                file_id=None,
                created_at=now,
                published_at=published,
            )
            for title, published in (
                ("Izmaiņas 30.11.", now - timedelta(hours=1)),
                ("Melnraksts", None),
                ("Rītdienas", now + timedelta(days=1)),
            )
        ),
    )
    pupil = await viewer(core, a.pupil_5a)
    [shown] = (await news_feed(core.uow(), pupil)).posts
    assert (shown.id, shown.kind, shown.author_role) == (bulletin, "timetable", None)
    for hidden in (draft, future, 10**12, 0, -(2**63)):
        with pytest.raises(NotFound):
            await news_post(core.uow(), pupil, hidden)
    with pytest.raises(NotFound) as refused:
        await news_attachment(core.uow(), pupil, bulletin)
    assert refused.value.key == "news.no_attachment"


async def test_the_author_or_a_manager_deletes_others_may_not(core: Core, world: World) -> None:
    a = world.a
    superuser = await viewer(core, a.superuser)
    first = await post(
        core, superuser, a.school_id, "Pirmā", attachment=NewsAttachment("a.pdf", None, PDF)
    )
    second = await post(core, superuser, a.school_id, "Otrā")
    for who in (a.math_teacher, a.parent_5a, a.pupil_5a):
        with pytest.raises(NotAllowed) as refused:
            await delete_news(core.uow(), await viewer(core, who), first)
        assert refused.value.key == "news.delete_not_allowed"
    with pytest.raises(NotFound):
        await delete_news(core.uow(), await viewer(core, world.b.director), first)
    assert await count(core, t.NewsPost) == 2

    deleted = await delete_news(core.uow(), superuser, first)  # the author
    assert deleted.title == "Pirmā"
    await delete_news(core.uow(), await viewer(core, a.director), second)  # a manager
    assert await count(core, t.NewsPost) == 0
    assert await count(core, t.StoredFile) == 0
    assert await count(core, t.AuditEntry, action="news.delete") == 2
    with pytest.raises(NotFound):
        await delete_news(core.uow(), superuser, first)


async def test_the_audience_counts_linked_people_of_the_school_but_the_poster(
    core: Core, world: World
) -> None:
    a, b = world.a, world.b
    superuser = await viewer(core, a.superuser)
    assert await news_audience_count(core.uow(), superuser, a.school_id) == 0
    for user_id, person in enumerate(
        (a.superuser, a.math_teacher, a.parent_5a, a.pupil_5a, a.parent_5a_second, b.director),
        start=7001,
    ):
        await link(core, person, user_id)
    assert await news_audience_count(core.uow(), superuser, a.school_id) == 4
    director = await viewer(core, a.director)
    assert await news_audience_count(core.uow(), director, a.school_id) == 5
    await insert(
        core, t.Guardianship(guardian_id=b.director, pupil_id=a.pupil_2a, relation="father")
    )
    assert await news_audience_count(core.uow(), director, a.school_id) == 6
    for who, school in ((a.math_teacher, a.school_id), (b.director, a.school_id), (a.director, 0)):
        with pytest.raises(NotFound) as refused:
            await news_audience_count(core.uow(), await viewer(core, who), school)
        assert refused.value.key == "school.not_found"


async def test_a_deactivated_person_reads_nothing_and_the_console_reads_all(
    core: Core, world: World
) -> None:
    a = world.a
    post_id = await post(core, await viewer(core, a.superuser), a.school_id, "Ziņa")
    gone = Viewer(person_id=a.parent_5a, children=frozenset({a.pupil_5a}), active=False)
    assert (await news_feed(core.uow(), gone)).posts == ()
    with pytest.raises(DomainError):
        await news_post(core.uow(), gone, post_id)
    console = Viewer.console()
    assert [p.id for p in (await news_feed(core.uow(), console)).posts] == [post_id]
    assert (await news_feed(core.uow(), console)).show_school
