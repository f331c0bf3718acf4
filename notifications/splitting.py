"""Owns cutting long texts into Telegram-sized parts on safe boundaries.

Pure; never cuts inside a tag or an entity, and counts length the way Telegram does.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    units: int  # UTF-16 units it shows as
    tag: str | None = None  # tag name for tags
    closing: bool = False
    self_closing: bool = False


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def _tokens(text: str, markup: bool) -> list[_Token]:
    if not markup:
        return [_Token(ch, utf16_len(ch)) for ch in text]
    tokens: list[_Token] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        tokens.extend(_Token(ch, utf16_len(ch)) for ch in text[pos : match.start()])
        piece = match.group(0)
        if piece.startswith("<"):
            name = _TAG_NAME.match(piece)
            tokens.append(
                _Token(
                    piece,
                    0,
                    tag=name.group(1).lower() if name else "",
                    closing=piece.startswith("</"),
                    self_closing=piece.endswith("/>"),
                )
            )
        else:
            tokens.append(_Token(piece, utf16_len(html.unescape(piece))))
        pos = match.end()
    tokens.extend(_Token(ch, utf16_len(ch)) for ch in text[pos:])
    return tokens


def _rank(tokens: list[_Token], i: int) -> int:
    """How good a cut just after token ``i`` is: 3 paragraph, 2 line, 1 word, 0 anywhere."""
    here = tokens[i].text
    if here == "\n":
        return 3 if i > 0 and tokens[i - 1].text == "\n" else 2
    if here.isspace():
        return 1
    return 0


def _closing(stack: list[_Token]) -> str:
    return "".join(f"</{tok.tag}>" for tok in reversed(stack))


def _opening(stack: list[_Token]) -> str:
    return "".join(tok.text for tok in stack)


def _cut(
    tokens: list[_Token], start: int, stack: list[_Token], limit: int
) -> tuple[str, bool, int, list[_Token]]:
    """One part from ``start``: (text, whether it shows anything, next start, tags still open)."""
    units = 0
    best: dict[int, tuple[int, list[_Token]]] = {}  # rank -> (cut after index, open tags)
    running = list(stack)
    i = start
    while i < len(tokens) and (units + tokens[i].units <= limit or i == start):
        tok = tokens[i]
        units += tok.units
        if tok.tag is not None and not tok.self_closing:
            if tok.closing:
                for j in range(len(running) - 1, -1, -1):
                    if running[j].tag == tok.tag:
                        del running[j]
                        break
            else:
                running.append(tok)
        best[_rank(tokens, i)] = (i, list(running))
        i += 1
    if i >= len(tokens):
        cut, after = len(tokens) - 1, running
    else:
        # The best boundary that keeps the part at least a third full; else the latest one.
        floor = start + max(1, (i - start) // 3)
        good = [best[r] for r in (3, 2, 1) if r in best and best[r][0] >= floor]
        cut, after = good[0] if good else max(best.values(), key=lambda b: b[0])
    body = tokens[start : cut + 1]
    while body and body[-1].tag is None and body[-1].text.isspace():
        body.pop()
    shows = any(tok.tag is None and not tok.text.isspace() for tok in body)
    text = _opening(stack) + "".join(tok.text for tok in body) + _closing(after)
    nxt = cut + 1
    while nxt < len(tokens) and tokens[nxt].text in ("\n", " "):
        nxt += 1
    return text.strip("\n"), shows, nxt, after


def _split(tokens: list[_Token], start: int, stack: list[_Token], limit: int) -> list[str]:
    parts: list[str] = []
    while start < len(tokens):
        text, shows, start, stack = _cut(tokens, start, stack, limit)
        if shows:
            parts.append(text)
    return parts


def split_text(text: str, limit: int = TEXT_LIMIT, *, markup: bool = True) -> list[str]:
    """Cut ``text`` into parts that each show at most ``limit`` characters.

    Lengths are UTF-16 units of the text after HTML parsing (as Telegram counts). A cut prefers
    a paragraph, then a line, then a word; tags open at a cut are closed at the end of the part
    and reopened at the start of the next.

    Args:
        text: The message, HTML when ``markup`` (Telegram's ``parse_mode="HTML"``).
        limit: Visible UTF-16 units per part (4096 for texts, 1024 for captions).
        markup: Whether ``text`` is HTML: tags are kept whole and balanced in every part.

    Returns:
        The parts, in order; parts that would show nothing are dropped; a short text is
        returned unchanged as the only part.
    """
    tokens = _tokens(text, markup)
    if sum(tok.units for tok in tokens) <= limit:
        shows = any(tok.tag is None and not tok.text.isspace() for tok in tokens)
        return [text] if shows else []
    return _split(tokens, 0, [], limit)


def split_caption(
    caption: str, *, markup: bool = True, caption_limit: int = CAPTION_LIMIT
) -> tuple[str, list[str]]:
    """A caption that fits (at most ``caption_limit``), plus the rest as text parts (4096)."""
    tokens = _tokens(caption, markup)
    if sum(tok.units for tok in tokens) <= caption_limit:
        return caption, []
    head, _shows, start, stack = _cut(tokens, 0, [], caption_limit)
    return head, _split(tokens, start, stack, TEXT_LIMIT)
