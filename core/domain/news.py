"""Owns the rules of a School news post (rule 1.4): its text, its attachment, and its records.

Pure functions over plain values: the title comes from the first line when none is given, the
text fits one Telegram message with its heading, an attachment is one file of an allowed type
whose bytes really are that type (an image sent as a photo must be one). Storage returns the
records below; services add the access decisions.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.domain.access import Role
from core.errors import InvalidInput

MAX_TITLE = 200
MAX_BODY = 3500  # with the heading and the title still under Telegram's 4096 characters
MAX_FILE_BYTES = 10_000_000  # also Telegram's limit for a photo
MAX_FILENAME = 120

NewsKind = Literal["news", "timetable"]

OOXML_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OOXML_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODF_TEXT = "application/vnd.oasis.opendocument.text"
ODF_SHEET = "application/vnd.oasis.opendocument.spreadsheet"

# Allowed types by file extension: the extension decides, the bytes must agree.
EXTENSIONS: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".docx": OOXML_WORD,
    ".xlsx": OOXML_SHEET,
    ".odt": ODF_TEXT,
    ".ods": ODF_SHEET,
    ".txt": "text/plain",
}
ALLOWED_TYPES = frozenset(EXTENSIONS.values())
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
_DEFAULT_EXTENSION = {mime: ext for ext, mime in reversed(EXTENSIONS.items())}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class NewsDraft:
    """A post's title and body after the rules: trimmed and within the limits.

    The body is empty only when the whole post is its one-line title.
    """

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class FileCheck:
    """An attachment that passed the checks: a clean file name and its type."""

    filename: str
    mime_type: str

    @property
    def is_photo(self) -> bool:
        """Images are shown as photos; everything else as a document."""
        return self.mime_type in PHOTO_TYPES


@dataclass(frozen=True, slots=True)
class NewsFile:
    """What a reader sees of an attachment before opening it."""

    filename: str
    mime_type: str
    size: int


@dataclass(frozen=True, slots=True)
class NewsRow:
    """A stored post with what the feed shows: school, author's current staff roles, file."""

    id: int
    school_id: int
    school_name: str
    time_zone: str
    kind: str
    title: str
    body: str
    author_id: int | None
    author_roles: frozenset[Role]
    published_at: datetime | None  # None: not published (not in any feed)
    attachment: NewsFile | None


@dataclass(frozen=True, slots=True)
class FileContent:
    """An attachment's bytes as stored."""

    filename: str
    mime_type: str
    content: bytes


def news_draft(text: str, title: str | None = None) -> NewsDraft:
    """The title and body of a post.

    Without a title the first line of ``text`` is the title and the rest the body (a one-line
    post is all title). With a title, ``text`` is the body and must not be empty.

    Raises:
        InvalidInput: ``news.text_empty``, ``news.title_too_long``, ``news.body_too_long``.
    """
    clean = _CONTROL_BUT_NEWLINES.sub("", text.replace("\t", " "))
    lines = [line.rstrip() for line in clean.splitlines()]
    whole = "\n".join(lines).strip()
    if title is None or not title.strip():
        if not whole:
            raise InvalidInput("news.text_empty")
        head, _, rest = whole.partition("\n")
        heading, body = head.strip(), rest.strip()
    else:
        heading, body = " ".join(_CONTROL.sub(" ", title).split()), whole
        if not body:
            raise InvalidInput("news.text_empty")
    if len(heading) > MAX_TITLE:
        raise InvalidInput("news.title_too_long", max=MAX_TITLE, length=len(heading))
    if len(body) > MAX_BODY:
        raise InvalidInput("news.body_too_long", max=MAX_BODY, length=len(body))
    return NewsDraft(heading, body)


def check_file(filename: str | None, mime_type: str | None, size: int) -> FileCheck:
    """The clean name and type of an attachment, judged before its bytes are read.

    The extension decides the type; a name without a known extension takes the declared type
    if that is allowed (and gets its extension).

    Raises:
        InvalidInput: ``news.file_empty``, ``news.file_too_big``, ``news.file_type``.
    """
    if size <= 0:
        raise InvalidInput("news.file_empty")
    if size > MAX_FILE_BYTES:
        raise InvalidInput("news.file_too_big", max_mb=MAX_FILE_BYTES // 1_000_000)
    raw = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_CONTROL.sub(" ", raw).split())
    stem, dot, extension = name.rpartition(".")
    mime = EXTENSIONS.get(f".{extension.lower()}") if dot else None
    if mime is None:
        declared = (mime_type or "").split(";", 1)[0].strip().lower()
        if declared not in ALLOWED_TYPES:
            raise InvalidInput("news.file_type")
        mime, stem, extension = declared, name, _DEFAULT_EXTENSION[declared].lstrip(".")
    stem = stem.strip(" .") or "file"
    keep = MAX_FILENAME - len(extension) - 1
    return FileCheck(f"{stem[:keep].rstrip(' .') or 'file'}.{extension}", mime)


def check_content(check: FileCheck, data: bytes) -> None:
    """The bytes are what the name says (a "photo" that is not an image is refused).

    Raises:
        InvalidInput: ``news.file_empty``, ``news.file_too_big``, ``news.file_mismatch``.
    """
    if not data:
        raise InvalidInput("news.file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("news.file_too_big", max_mb=MAX_FILE_BYTES // 1_000_000)
    if not _looks_like(check.mime_type, data):
        raise InvalidInput("news.file_mismatch", filename=check.filename)


def photo_name(data: bytes) -> tuple[str, str]:
    """A name and type for a photo sent without a name: PNG by its bytes, else JPEG.

    Telegram re-encodes photos as JPEG; a local Bot API stand-in may pass PNG bytes through.
    """
    if _looks_like("image/png", data):
        return "photo.png", "image/png"
    return "photo.jpg", "image/jpeg"


def _looks_like(mime: str, data: bytes) -> bool:
    if mime == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if mime == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if mime == "application/pdf":
        return data[:1024].lstrip().startswith(b"%PDF-")
    if mime == "text/plain":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
        return "\x00" not in text
    return _office_document(mime, data)


def _office_document(mime: str, data: bytes) -> bool:
    """OOXML and ODF files are zip archives with a telling member.

    Only the names are read, and the few bytes of an ODF "mimetype" member.
    """
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if mime not in (ODF_TEXT, ODF_SHEET):
                part = "word/" if mime == OOXML_WORD else "xl/"
                return "[Content_Types].xml" in names and any(n.startswith(part) for n in names)
            if "mimetype" not in names or archive.getinfo("mimetype").file_size > 100:
                return False
            return archive.read("mimetype").decode("ascii", "replace").strip() == mime
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        return False


def author_role(roles: frozenset[Role]) -> Role | None:
    """How a post names its author: the director, the deputy director, or the school (None)."""
    for role in (Role.DIRECTOR, Role.DEPUTY_DIRECTOR):
        if role in roles:
            return role
    return None
