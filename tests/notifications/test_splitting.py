"""Splitting long texts and captions on safe boundaries."""

from __future__ import annotations

import html
import re

from notifications.splitting import split_caption, split_text, utf16_len

TAG = re.compile(r"<[^>]*>")


def visible(part: str) -> str:
    return html.unescape(TAG.sub("", part))


def balanced(part: str) -> bool:
    stack: list[str] = []
    for tag in TAG.findall(part):
        name = re.match(r"</?\s*([a-zA-Z-]+)", tag)
        assert name
        if tag.startswith("</"):
            if not stack or stack.pop() != name.group(1):
                return False
        elif not tag.endswith("/>"):
            stack.append(name.group(1))
    return not stack


def test_a_short_text_is_one_part_unchanged() -> None:
    assert split_text("<b>Sveiki</b> &amp; labdien") == ["<b>Sveiki</b> &amp; labdien"]
    assert split_text("   ") == []


def test_paragraphs_are_preferred() -> None:
    first = "a" * 3000
    second = "b" * 3000
    parts = split_text(f"{first}\n\n{second}")
    assert parts == [first, second]


def test_lines_then_words_when_there_is_no_paragraph() -> None:
    line = ("rinda " * 100).strip()  # 599 characters
    text = "\n".join([line] * 20)
    parts = split_text(text)
    assert len(parts) == 4  # six whole lines fit in 4096
    assert all(set(p.split("\n")) == {line} for p in parts)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert all(not p.startswith("\n") and not p.endswith("\n") for p in parts)
    words = " ".join(["vārds"] * 2000)
    parts = split_text(words, markup=False)
    assert all(p.split(" ")[-1] == "vārds" and p.split(" ")[0] == "vārds" for p in parts)
    assert sum(len(p.split(" ")) for p in parts) == 2000


def test_tags_stay_whole_and_balanced_and_entities_are_never_cut() -> None:
    body = "<b>treknraksts &amp; <i>slīpraksts</i></b> " * 400
    text = f'<a href="https://example.lv/?a=1&amp;b=2">{body}</a>'
    parts = split_text(text, 1000)
    assert len(parts) > 5
    for part in parts:
        assert balanced(part), part[:200]
        assert utf16_len(visible(part)) <= 1000
        assert part.startswith('<a href="https://example.lv/?a=1&amp;b=2">')
        assert "&am" not in part.replace("&amp;", "")
    assert "".join(visible(p) for p in parts).replace(" ", "") == visible(text).replace(" ", "")


def test_length_counts_utf16_units_after_parsing() -> None:
    emoji = "😀" * 3000  # two UTF-16 units each
    parts = split_text(emoji)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    entities = "&lt;" * 5000  # each shows as one character
    parts = split_text(entities)
    assert [len(visible(p)) for p in parts] == [4096, 904]


def test_a_word_longer_than_the_limit_is_cut_anywhere() -> None:
    parts = split_text("x" * 9000)
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_captions_fit_1024_and_the_rest_follows_as_texts() -> None:
    caption = "Sekmju izraksts. " * 200  # 3400 characters
    head, rest = split_caption(caption, markup=False)
    assert utf16_len(head) <= 1024
    assert head.endswith("izraksts.")
    assert all(utf16_len(p) <= 4096 for p in rest)
    assert len(rest) == 1
    assert (head + " " + " ".join(rest)).split() == caption.split()
    assert split_caption("Īss paraksts") == ("Īss paraksts", [])
