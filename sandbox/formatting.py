"""Telegram text formatting: UTF-16 lengths and HTML / MarkdownV2 / Markdown parsing to entities.

Owns turning a ``parse_mode`` text into plain text plus MessageEntity dicts, with Telegram's
"can't parse entities" wording. Knows nothing about chats or HTTP.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


class EntityParseError(Exception):
    """The text does not parse; the message is the part after ``can't parse entities: ``."""


@dataclass
class ParsedText:
    """Plain text with its entities, as Telegram stores a formatted message."""

    text: str
    entities: list[JsonDict] = field(default_factory=list)


class _Builder:
    """Accumulates output text and tracks its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[JsonDict] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.length += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.length - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> ParsedText:
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.parts), ordered)


# ------------------------------------------------------------------ HTML

_HTML_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR_RE = re.compile(r"""([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_HTML_SPECIAL_RE = re.compile(r"[<&]")


@dataclass
class _OpenTag:
    name: str
    start: int
    attrs: dict[str, str]
    extra: JsonDict = field(default_factory=dict)
    emit: bool = True


def _parse_attrs(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(text):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        attrs[match.group(1).lower()] = html.unescape(value)
    return attrs


def _decode_html_entity(name: str) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name]


def _open_html_tag(source: str, index: int, inner: str, stack: list[_OpenTag], pos: int) -> None:
    match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inner)
    name = match.group(0).lower() if match else ""
    if name not in _HTML_TYPES:
        offset = _byte_offset(source, index)
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    attrs = _parse_attrs(inner[len(name) :])
    tag = _OpenTag(name, pos, attrs)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError('Tag "span" must have class "tg-spoiler"')
    if name == "a":
        href = attrs.get("href", "")
        tag.emit = bool(href)
        tag.extra = {"url": href}
    elif name == "tg-emoji":
        if "emoji-id" not in attrs:
            raise EntityParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        tag.extra = {"custom_emoji_id": attrs["emoji-id"]}
    elif name == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        tag.emit = False
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].extra["language"] = language[len("language-") :]
    elif name == "blockquote" and "expandable" in attrs:
        tag.extra = {"_expandable": True}
    stack.append(tag)


def _close_html_tag(
    source: str, index: int, name: str, stack: list[_OpenTag], out: _Builder
) -> None:
    offset = _byte_offset(source, index)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
    top = stack[-1]
    if top.name != name:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
            f'found "</{name}>"'
        )
    stack.pop()
    if top.emit:
        kind = _HTML_TYPES[top.name]
        extra = dict(top.extra)
        if extra.pop("_expandable", False):
            kind = "expandable_blockquote"
        out.entity(kind, top.start, **extra)


def parse_html(source: str) -> ParsedText:
    """Parse Telegram's HTML subset.

    Raises:
        EntityParseError: On an unsupported, unclosed or mismatched tag.
    """
    out = _Builder()
    stack: list[_OpenTag] = []
    index = 0
    while index < len(source):
        special = _HTML_SPECIAL_RE.search(source, index)
        if special is None:
            out.add(source[index:])
            break
        out.add(source[index : special.start()])
        index = special.start()
        if source[index] == "&":
            entity = _HTML_ENTITY_RE.match(source, index)
            if entity is None:
                out.add("&")
                index += 1
            else:
                out.add(_decode_html_entity(entity.group(1)))
                index = entity.end()
            continue
        end = source.find(">", index)
        if end < 0:
            offset = _byte_offset(source, index)
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        inner = source[index + 1 : end].strip()
        if inner.startswith("/"):
            _close_html_tag(source, index, inner[1:].strip().lower(), stack, out)
        else:
            _open_html_tag(source, index, inner, stack, out.length)
        index = end + 1
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    return out.result()


# ------------------------------------------------------------------ MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
}


@dataclass
class _MdOpen:
    kind: str
    start: int
    byte_offset: int


def _md_marker(source: str, index: int) -> tuple[str, int] | None:
    """The formatting marker at ``index`` as (entity type, marker length), if any."""
    two = source[index : index + 2]
    markers = {"__": "underline", "||": "spoiler"}
    if two in markers:
        return markers[two], 2
    single = {"*": "bold", "_": "italic", "~": "strikethrough"}
    char = source[index]
    if char in single:
        return single[char], 1
    return None


def _md_code(source: str, index: int, out: _Builder, fence: str) -> int:
    """Parse a code span or pre block starting after ``fence``; returns the index after it."""
    start_byte = _byte_offset(source, index)
    pos = index + len(fence)
    language = ""
    if fence == "```":
        newline = source.find("\n", pos)
        first_line = source[pos:newline] if newline >= 0 else ""
        if newline >= 0 and re.fullmatch(r"[A-Za-z0-9_+#.-]*", first_line):
            language = first_line
            pos = newline + 1
    start = out.length
    while pos < len(source):
        if source[pos] == "\\" and pos + 1 < len(source):
            out.add(source[pos + 1])
            pos += 2
            continue
        if source.startswith(fence, pos):
            if fence == "```":
                out.entity("pre", start, **({"language": language} if language else {}))
            else:
                out.entity("code", start)
            return pos + len(fence)
        out.add(source[pos])
        pos += 1
    name = "Pre" if fence == "```" else "Code"
    raise EntityParseError(f"Can't find end of {name} entity at byte offset {start_byte}")


def _md_link_url(source: str, index: int) -> tuple[str, int]:
    """Read ``(url)`` right after ``]``; returns the url and the index after ``)``."""
    if index >= len(source) or source[index] != "(":
        raise EntityParseError(
            "Character ']' is reserved and must be escaped with the preceding '\\'"
        )
    close = index + 1
    chars: list[str] = []
    while close < len(source) and source[close] != ")":
        if source[close] == "\\" and close + 1 < len(source):
            close += 1
        chars.append(source[close])
        close += 1
    if close >= len(source):
        offset = _byte_offset(source, index)
        raise EntityParseError(f"Can't find end of a URL at byte offset {offset}")
    return "".join(chars), close + 1


class _MarkdownV2:
    """A single-pass MarkdownV2 parser; ``step`` consumes one token."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _Builder()
        self.stack: list[_MdOpen] = []
        self.quote_start: int | None = None
        self.at_line_start = True

    def _quote(self, index: int) -> int | None:
        """Handle block quotes at a line start; returns the next index if ``>`` was eaten."""
        if self.at_line_start and self.source[index] == ">":
            if self.quote_start is None:
                self.quote_start = self.out.length
            self.at_line_start = False
            return index + 1
        if self.at_line_start and self.quote_start is not None:
            self.out.entity("blockquote", self.quote_start)
            self.quote_start = None
        self.at_line_start = False
        return None

    def _marker(self, index: int) -> int | None:
        marker = _md_marker(self.source, index)
        if marker is None:
            return None
        kind, length = marker
        stack = self.stack
        if kind == "underline" and stack and stack[-1].kind == "italic":
            kind, length = "italic", 1
        if stack and stack[-1].kind == kind:
            self.out.entity(kind, stack.pop().start)
        else:
            stack.append(_MdOpen(kind, self.out.length, _byte_offset(self.source, index)))
        return index + length

    def _special(self, index: int) -> int | None:
        """Escapes, code and links; returns the next index, or ``None`` if not one of them."""
        source, out = self.source, self.out
        char = source[index]
        if char == "\\":
            escapable = index + 1 < len(source) and 0 < ord(source[index + 1]) < 127
            out.add(source[index + 1] if escapable else char)
            return index + (2 if escapable else 1)
        if char == "`":
            return _md_code(source, index, out, "```" if source.startswith("```", index) else "`")
        if char == "[":
            self.stack.append(_MdOpen("text_link", out.length, _byte_offset(source, index)))
            return index + 1
        if char == "]" and self.stack and self.stack[-1].kind == "text_link":
            url, after = _md_link_url(source, index + 1)
            out.entity("text_link", self.stack.pop().start, url=url)
            return after
        return None

    def step(self, index: int) -> int:
        """Consume the token at ``index``; returns the index after it."""
        source, out = self.source, self.out
        quoted = self._quote(index)
        if quoted is not None:
            return quoted
        char = source[index]
        special = self._special(index)
        if special is not None:
            return special
        after_marker = self._marker(index)
        if after_marker is not None:
            return after_marker
        if char in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(char)
        self.at_line_start = char == "\n"
        return index + 1

    def finish(self) -> ParsedText:
        """Close a trailing quote and check that every entity was closed."""
        if self.quote_start is not None:
            self.out.entity("blockquote", self.quote_start)
        if self.stack:
            top = self.stack[-1]
            name = _MDV2_NAMES[top.kind]
            raise EntityParseError(
                f"Can't find end of {name} entity at byte offset {top.byte_offset}"
            )
        return self.out.result()


def parse_markdown_v2(source: str) -> ParsedText:
    """Parse MarkdownV2: bold, italic, underline, strike, spoiler, code, pre, links, quotes.

    Raises:
        EntityParseError: On an unescaped reserved character or an unclosed entity.
    """
    parser = _MarkdownV2(source)
    index = 0
    while index < len(source):
        index = parser.step(index)
    return parser.finish()


# ------------------------------------------------------------------ legacy Markdown

_LEGACY_MARKERS = {"*": "bold", "_": "italic"}


def parse_markdown(source: str) -> ParsedText:
    """Parse legacy Markdown: ``*bold*``, ``_italic_``, code, pre and ``[text](url)``.

    Raises:
        EntityParseError: When an entity is not closed.
    """
    out = _Builder()
    index = 0
    while index < len(source):
        char = source[index]
        if char in _LEGACY_MARKERS or char in {"`", "["}:
            fence = "```" if source.startswith("```", index) else char
            closer = "]" if char == "[" else fence
            end = source.find(closer, index + len(fence))
            if end < 0:
                offset = _byte_offset(source, index)
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {offset}"
                )
            start = out.length
            body = source[index + len(fence) : end]
            index = end + len(closer)
            if char == "[":
                out.add(body)
                match = re.match(r"\(([^)]*)\)", source[index:])
                if match:
                    out.entity("text_link", start, url=match.group(1))
                    index += match.end()
                continue
            out.add(body)
            kind = {"```": "pre", "`": "code"}.get(fence) or _LEGACY_MARKERS[char]
            out.entity(kind, start)
            continue
        out.add(char)
        index += 1
    return out.result()


def parse_formatted(text: str, parse_mode: str | None) -> ParsedText:
    """Parse ``text`` under ``parse_mode`` (``HTML``, ``MarkdownV2``, ``Markdown`` or none).

    Raises:
        EntityParseError: When the markup is invalid.
        ValueError: When the parse mode is unknown.
    """
    mode = (parse_mode or "").lower()
    if not mode:
        return ParsedText(text)
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError(parse_mode)


_COMMAND_RE = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")


def command_entities(text: str) -> list[JsonDict]:
    """``bot_command`` entities for every ``/command`` at the start or after whitespace."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        }
        for match in _COMMAND_RE.finditer(text)
    ]
