"""Owns the School news screens: the feed, one post, deleting, and a manager's draft.

Pure functions over core's results. Every title, body, school and file name is HTML-escaped;
button labels are plain text. A timetable-change bulletin carries its own marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from aiogram.types import InlineKeyboardButton

from bot.callbacks import NewsAction, NewsCb
from bot.i18n import Translator
from bot.views.common import MAX_TEXT, Screen, day, decimal, esc, fit, keyboard, menu_row
from core.domain.access import Role
from core.domain.news import NewsDraft, NewsFile
from core.domain.records import SchoolRecord
from core.services.news import NewsPage, NewsPostView

# Body lengths tried until a feed page fits one message (None: in full).
PREVIEW_LIMITS: tuple[int | None, ...] = (None, 600, 400, 250, 150, 80)
LABEL = 28  # characters of a title on a button
MARKERS = {"news": "📌", "timetable": "🗓"}
AUTHOR_KEYS = {
    Role.DIRECTOR: "news.author.director",
    Role.DEPUTY_DIRECTOR: "news.author.deputy_director",
}


# ---------------------------------------------------------------- reading


def feed_screen(page: NewsPage, t: Translator) -> Screen:
    """A page of posts, newest first, with a row of buttons per post and the page buttons.

    Bodies are shown in full when the page fits one message, else shortened (each shortened
    post gets a 📖 button that opens it in full).
    """
    for limit in PREVIEW_LIMITS:
        lines, shortened = _feed_lines(page, t, limit)
        if len("\n".join(lines)) <= MAX_TEXT:
            break
    rows: list[list[InlineKeyboardButton]] = []
    for post in page.posts:
        row = []
        if post.attachment is not None:
            row.append(_button(f"📎 {_label(post.attachment.filename)}", "file", post.id))
        if post.id in shortened:
            row.append(_button(t("news.read", title=_label(post.title)), "open", post.id))
        if post.can_delete:
            row.append(_button(t("news.delete", title=_label(post.title)), "ask_del", post.id))
        rows.append(row)
    pages = []
    if page.has_newer:
        pages.append(_button(t("news.newer"), "page", max(page.offset - page.limit, 0)))
    if page.has_older:
        pages.append(_button(t("news.older"), "page", page.offset + page.limit))
    rows.append(pages)
    if page.postable:
        school = page.postable[0].id if len(page.postable) == 1 else 0
        rows.append([_button(t("news.new"), "new", school)])
    rows.append(menu_row(t))
    return Screen(fit(lines, t("news.feed.shortened")), keyboard(rows))


def _feed_lines(page: NewsPage, t: Translator, limit: int | None) -> tuple[list[str], set[int]]:
    lines = [t("news.feed.title")]
    shortened: set[int] = set()
    for post in page.posts:
        body = post.body
        if limit is not None and len(body) > limit:
            body = _shorten(body, limit)
            shortened.add(post.id)
        lines += ["", *_block(post, body, t, show_school=page.show_school)]
    if not page.posts:
        lines += ["", t("news.feed.no_more" if page.offset else "news.feed.empty")]
    return lines, shortened


def post_screen(post: NewsPostView, t: Translator) -> Screen:
    """One post in full (naming its school), its file and, for its author or a manager, delete."""
    row = []
    if post.attachment is not None:
        row.append(_button(f"📎 {_label(post.attachment.filename)}", "file", post.id))
    if post.can_delete:
        row.append(_button(t("news.delete", title=_label(post.title)), "ask_del", post.id))
    rows = [row, [_button(t("news.feed.button"), "page", 0)], menu_row(t)]
    return Screen("\n".join(_block(post, post.body, t, show_school=True)), keyboard(rows))


def confirm_delete(post: NewsPostView, t: Translator) -> Screen:
    """Ask before a post disappears for everyone."""
    rows = [
        [
            _button(t("news.delete_yes"), "del", post.id),
            _button(t("news.delete_no"), "page", 0),
        ]
    ]
    return Screen(t("news.delete_ask", title=esc(post.title)), keyboard(rows))


def deleted(post: NewsPostView, t: Translator) -> Screen:
    """Done."""
    rows = [[_button(t("news.feed.button"), "page", 0)], menu_row(t)]
    return Screen(t("news.deleted", title=esc(post.title)), keyboard(rows))


# ---------------------------------------------------------------- writing


def pick_school(schools: Sequence[SchoolRecord], t: Translator) -> Screen:
    """A manager of several schools: which school is the post for?"""
    rows = [[_button(school.name, "new", school.id)] for school in schools]
    rows.append([_button(t("news.compose.cancel"), "cancel", 0)])
    return Screen(t("news.compose.pick_school"), keyboard(rows))


def ask_text(school: str, t: Translator) -> Screen:
    """What to send: the text (first line = title), optionally a photo or a file."""
    rows = [[_button(t("news.compose.cancel"), "cancel", 0)]]
    return Screen(t("news.compose.ask", school=esc(school)), keyboard(rows))


def need_text(filename: str, t: Translator) -> Screen:
    """A file arrived without text: now the text."""
    rows = [[_button(t("news.compose.cancel"), "cancel", 0)]]
    return Screen(t("news.compose.need_text", filename=esc(filename)), keyboard(rows))


def unsupported(t: Translator) -> Screen:
    """Something that is neither text, a photo nor a document arrived while drafting."""
    rows = [[_button(t("news.compose.cancel"), "cancel", 0)]]
    return Screen(t("news.compose.unsupported"), keyboard(rows))


def preview(
    draft: NewsDraft, filename: str | None, school: str, audience: int, t: Translator
) -> Screen:
    """The post as readers will see it, with Publish / Publish and notify / Cancel."""
    lines = [
        t("news.compose.preview", school=esc(school)),
        "",
        f"{MARKERS['news']} <b>{esc(draft.title)}</b>",
    ]
    if draft.body:
        lines.append(esc(draft.body))
    if filename is not None:
        lines.append(f"📎 {esc(filename)}")
    lines += ["", t("news.compose.audience", count=audience), t("news.compose.change")]
    rows = [
        [_button(t("news.compose.publish"), "pub", 0)],
        [_button(t("news.compose.publish_notify", count=audience), "pubn", 0)],
        [_button(t("news.compose.cancel"), "cancel", 0)],
    ]
    return Screen("\n".join(lines), keyboard(rows))


def published(post: NewsPostView, notify: bool, t: Translator) -> Screen:
    """The post is out (and the notice is on its way)."""
    lines = [t("news.compose.published")]
    if notify:
        lines.append(t("news.compose.notifying"))
    lines += ["", *_block(post, post.body, t, show_school=False)]
    rows = [[_button(t("news.feed.button"), "page", 0)], menu_row(t)]
    return Screen("\n".join(lines), keyboard(rows))


def simple(key: str, t: Translator) -> Screen:
    """A one-line answer (cancelled, nothing to publish) with the way back to the feed."""
    return Screen(t(key), keyboard([[_button(t("news.feed.button"), "page", 0)], menu_row(t)]))


# ---------------------------------------------------------------- pieces


def _block(post: NewsPostView, body: str, t: Translator, *, show_school: bool) -> list[str]:
    marker = MARKERS.get(post.kind, MARKERS["news"])
    meta = [_when(post.published_at), _author(post, t)]
    if show_school:
        meta.append(esc(post.school_name))
    lines = [f"{marker} <b>{esc(post.title)}</b>", f"<i>{' · '.join(meta)}</i>"]
    if body:
        lines += [esc(line) for line in body.splitlines()]
    if post.attachment is not None:
        lines.append(f"📎 {esc(post.attachment.filename)} ({_size(post.attachment, t)})")
    return lines


def _author(post: NewsPostView, t: Translator) -> str:
    if post.kind == "timetable":
        return t("news.author.timetable")
    key = AUTHOR_KEYS.get(post.author_role) if post.author_role else None
    return t(key or "news.author.school")


def _when(moment: datetime) -> str:
    return f"{day(moment.date())} {moment.hour}:{moment.minute:02d}"


def _size(file: NewsFile, t: Translator) -> str:
    if file.size < 1_000_000:
        return t("news.size_kb", size=max(1, round(file.size / 1000)))
    return t("news.size_mb", size=decimal(Decimal(file.size) / 1_000_000, t.lang))


def _shorten(body: str, limit: int) -> str:
    """The start of a body, cut at a space where one is near, with an ellipsis."""
    cut = body[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + " …"


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL else text[: LABEL - 1].rstrip() + "…"


def _button(text: str, action: NewsAction, ref: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=NewsCb(action=action, ref=ref).pack())
