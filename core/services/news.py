"""School news (rule 1.4): the superuser and the director post; everyone of the school reads.

Readers are the school's people: its staff, its pupils, and the guardians and carers of its
pupils; a person of two schools reads both feeds as one, newest first. Timetable-change
bulletins (``kind = "timetable"``, written by ``core.services.timetable_changes``) are posts too.
Posting writes the file, the post, an audit entry and a ``news.published`` event in one
transaction; with ``notify`` the notifications engine tells the school's linked people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain.access import Role, Viewer, manages_school
from core.domain.events import NewsPublished
from core.domain.ids import possible_id
from core.domain.news import (
    NewsFile,
    NewsRow,
    author_role,
    check_content,
    check_file,
    news_draft,
)
from core.domain.records import AuditRecord, SchoolRecord
from core.errors import InvalidInput, NotAllowed, NotFound
from core.ports import UnitOfWork
from core.services.guards import managed_school
from core.services.rosters import managed_schools, school_today

PAGE_SIZE = 5
MAX_PAGE_SIZE = 20
MAX_OFFSET = 100_000


@dataclass(frozen=True, slots=True)
class NewsAttachment:
    """A file to attach as the poster sent it: the name and type they gave, and the bytes."""

    filename: str | None
    mime_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class NewsPostView:
    """A post as a reader sees it.

    ``published_at`` is in the school's time zone; ``author_role`` is the director or the
    deputy director who posted it (None: the school, e.g. a bulletin or a former manager).
    ``can_delete``: the viewer is its author or manages the school.
    """

    id: int
    school_id: int
    school_name: str
    kind: str
    title: str
    body: str
    author_role: Role | None
    published_at: datetime
    attachment: NewsFile | None
    can_delete: bool


@dataclass(frozen=True, slots=True)
class NewsPage:
    """One screen of the feed, newest first.

    ``show_school``: the viewer reads more than one school, so each post names its school.
    ``postable``: the schools of this feed where the viewer may post.
    """

    posts: tuple[NewsPostView, ...]
    offset: int
    limit: int
    has_newer: bool
    has_older: bool
    show_school: bool
    postable: tuple[SchoolRecord, ...]


async def post_news(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int,
    title: str | None,
    body: str,
    attachment: NewsAttachment | None,
    notify: bool,
) -> NewsPostView:
    """Publish a post to a school's news (its managers only), now.

    Without a title the first line of ``body`` is the title. The attachment must be an allowed
    type (JPEG, PNG, PDF, DOCX, XLSX, ODT, ODS, plain text) of at most 10 MB whose bytes match
    the type. Nothing is written unless everything is valid.

    Raises:
        NotFound: ``school.not_found`` for anyone but the school's managers.
        InvalidInput: ``news.*`` for text or a file that breaks the rules.
    """
    draft = news_draft(body, title)
    checked = None
    if attachment is not None:
        checked = check_file(attachment.filename, attachment.mime_type, len(attachment.data))
        check_content(checked, attachment.data)
    if not possible_id(school_id):
        raise NotFound("school.not_found")
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        now = uow.clock.now()
        file_id = None
        if checked is not None and attachment is not None:
            file_id = await uow.files.add(
                school_id=school.id,
                filename=checked.filename,
                mime_type=checked.mime_type,
                content=attachment.data,
                created_by=viewer.person_id,
                now=now,
            )
        post_id = await uow.news.add(
            school_id=school.id,
            author_id=viewer.person_id,
            kind="news",
            title=draft.title,
            body=draft.body,
            file_id=file_id,
            now=now,
            published_at=now,
        )
        uow.audit(
            viewer,
            AuditRecord(
                action="news.publish",
                entity="news_post",
                entity_id=post_id,
                school_id=school.id,
                after={
                    "title": draft.title,
                    "kind": "news",
                    "file": checked.filename if checked else None,
                    "notify": notify,
                },
            ),
        )
        uow.record(
            NewsPublished(
                school_id=school.id, news_post_id=post_id, post_kind="news", notify=notify
            ),
            school_id=school.id,
            actor_id=viewer.person_id,
        )
        row = await uow.news.post(post_id)
        if row is None:  # pragma: no cover - just written
            raise NotFound("news.not_found")
        await uow.commit()
        return _view(viewer, row)


async def news_feed(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    school_id: int | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> NewsPage:
    """A page of the news of every school the viewer belongs to (or of one of them).

    Raises:
        NotFound: ``news.school_not_found`` for a school the viewer does not belong to.
        InvalidInput: ``news.page_invalid`` for a negative or absurd offset or page size.
    """
    if not (0 <= offset <= MAX_OFFSET and 1 <= limit <= MAX_PAGE_SIZE):
        raise InvalidInput("news.page_invalid")
    async with uow:
        schools = await _reader_schools(uow, viewer)
        shown = schools
        if school_id is not None:
            if school_id not in schools:
                raise NotFound("news.school_not_found")
            shown = frozenset({school_id})
        rows = await uow.news.posts(shown, until=uow.clock.now(), offset=offset, limit=limit + 1)
        postable = tuple(s for s in await managed_schools(uow, viewer) if s.id in shown)
        return NewsPage(
            posts=tuple(_view(viewer, row) for row in rows[:limit]),
            offset=offset,
            limit=limit,
            has_newer=offset > 0,
            has_older=len(rows) > limit,
            show_school=len(schools) > 1,
            postable=postable,
        )


async def news_post(uow: UnitOfWork, viewer: Viewer, post_id: int) -> NewsPostView:
    """One published post of a school the viewer belongs to.

    Raises:
        NotFound: ``news.not_found`` otherwise (also for a post the viewer may not read).
    """
    async with uow:
        return _view(viewer, await _readable(uow, viewer, post_id))


async def news_attachment(uow: UnitOfWork, viewer: Viewer, post_id: int) -> tuple[str, str, bytes]:
    """The attachment of a post the viewer may read: (file name, MIME type, bytes).

    Raises:
        NotFound: ``news.not_found`` (no such post for the viewer), ``news.no_attachment``.
    """
    async with uow:
        await _readable(uow, viewer, post_id)
        stored = await uow.news.attachment(post_id)
        if stored is None:
            raise NotFound("news.no_attachment")
        return stored.filename, stored.mime_type, stored.content


async def delete_news(uow: UnitOfWork, viewer: Viewer, post_id: int) -> NewsPostView:
    """Delete a post and its attachment: its author, or a manager of its school (audited).

    Raises:
        NotFound: ``news.not_found`` for a post the viewer cannot read.
        NotAllowed: ``news.delete_not_allowed`` for other readers.
    """
    async with uow:
        row = await _readable(uow, viewer, post_id)
        view = _view(viewer, row)
        if not view.can_delete:
            raise NotAllowed("news.delete_not_allowed")
        await uow.news.delete(post_id)
        uow.audit(
            viewer,
            AuditRecord(
                action="news.delete",
                entity="news_post",
                entity_id=post_id,
                school_id=row.school_id,
                before={
                    "title": row.title,
                    "kind": row.kind,
                    "author_id": row.author_id,
                    "published_at": view.published_at.isoformat(),
                    "file": row.attachment.filename if row.attachment else None,
                },
            ),
        )
        await uow.commit()
        return view


async def news_schools(uow: UnitOfWork, viewer: Viewer) -> tuple[SchoolRecord, ...]:
    """The schools where the viewer may post (the ones they manage), by id."""
    async with uow:
        return await managed_schools(uow, viewer)


async def news_audience_count(uow: UnitOfWork, viewer: Viewer, school_id: int) -> int:
    """How many people "notify everyone" reaches: the school's linked people but the viewer.

    Active staff, pupils enrolled today, their guardians and carers, each with a linked
    Telegram account; managers of the school only.

    Raises:
        NotFound: ``school.not_found`` for anyone but the school's managers.
    """
    if not possible_id(school_id):
        raise NotFound("school.not_found")
    async with uow:
        school = await managed_school(uow, viewer, school_id)
        people = await uow.news.audience(school.id, school_today(uow, school))
        return len(people - {viewer.person_id})


# ------------------------------------------------------------------------------------ helpers


async def _reader_schools(uow: UnitOfWork, viewer: Viewer) -> frozenset[int]:
    """The schools whose news the viewer reads: staff, pupil, or guardian of a pupil there."""
    if not viewer.active:
        return frozenset()
    if viewer.operator:
        return viewer.operator_schools or frozenset(s.id for s in await uow.directory.schools())
    schools = set(viewer.schools)
    for child in sorted(viewer.children):
        facts = await uow.directory.pupil_facts(child)
        if facts is not None:
            schools |= facts.school_ids
    return frozenset(schools)


async def _readable(uow: UnitOfWork, viewer: Viewer, post_id: int) -> NewsRow:
    row = await uow.news.post(post_id) if possible_id(post_id) else None
    if (
        row is None
        or row.published_at is None
        or row.published_at > uow.clock.now()
        or row.school_id not in await _reader_schools(uow, viewer)
    ):
        raise NotFound("news.not_found")
    return row


def _view(viewer: Viewer, row: NewsRow) -> NewsPostView:
    if row.published_at is None:  # pragma: no cover - feeds and look-ups skip drafts
        raise NotFound("news.not_found")
    own = viewer.active and viewer.person_id is not None and viewer.person_id == row.author_id
    return NewsPostView(
        id=row.id,
        school_id=row.school_id,
        school_name=row.school_name,
        kind=row.kind,
        title=row.title,
        body=row.body,
        author_role=author_role(row.author_roles),
        published_at=row.published_at.astimezone(ZoneInfo(row.time_zone)),
        attachment=row.attachment,
        can_delete=own or manages_school(viewer, row.school_id),
    )
