"""Unit tests of the entity parsers and UTF-16 arithmetic."""

from __future__ import annotations

import pytest

from sandbox.formatting import (
    EntityParseError,
    command_entities,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    utf16_len,
)


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("ā") == 1
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b") == 4


def test_html_strips_tags_and_unescapes() -> None:
    parsed = parse_html("<b>Atzīme</b>: 9 &lt;10&gt; &amp; <i>labi</i>")
    assert parsed.text == "Atzīme: 9 <10> & labi"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 6},
        {"type": "italic", "offset": 17, "length": 4},
    ]


def test_html_offsets_are_utf16() -> None:
    parsed = parse_html("😀 <b>x</b>")
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 1}]


def test_html_nested_links_pre_and_spoiler() -> None:
    parsed = parse_html(
        '<b>a<a href="https://e.lv/?a=1&amp;b=2">link</a></b>'
        '<pre><code class="language-python">x=1</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote>"
    )
    assert parsed.text == "alinkx=1stq"
    assert {"type": "text_link", "offset": 1, "length": 4, "url": "https://e.lv/?a=1&b=2"} in (
        parsed.entities
    )
    assert {"type": "pre", "offset": 5, "length": 3, "language": "python"} in parsed.entities
    assert {"type": "spoiler", "offset": 8, "length": 1} in parsed.entities
    assert {"type": "expandable_blockquote", "offset": 10, "length": 1} in parsed.entities
    assert parsed.entities[0] == {"type": "bold", "offset": 0, "length": 5}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("ā <b", "Unclosed start tag at byte offset 3"),
    ],
)
def test_html_errors_use_telegram_wording(source: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=None) as info:
        parse_html(source)
    assert str(info.value) == message


def test_markdown_v2_entities_and_escapes() -> None:
    parsed = parse_markdown_v2(r"*bold* _it_ __u__ ~s~ ||sp|| `c\`` [l](https://x.lv) 1\.5")
    assert parsed.text == "bold it u s sp c` l 1.5"
    kinds = [entity["type"] for entity in parsed.entities]
    assert kinds == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]


def test_markdown_v2_rejects_unescaped_reserved_characters() -> None:
    with pytest.raises(EntityParseError) as info:
        parse_markdown_v2("Atzīme 9.")
    assert str(info.value) == (
        "Character '.' is reserved and must be escaped with the preceding '\\'"
    )


def test_markdown_v2_unclosed_entity() -> None:
    with pytest.raises(EntityParseError) as info:
        parse_markdown_v2("*bold")
    assert str(info.value) == "Can't find end of Bold entity at byte offset 0"


def test_markdown_v2_pre_with_language_and_blockquote() -> None:
    parsed = parse_markdown_v2("```python\nx = 1\n```\n>quoted\nplain")
    assert parsed.text == "x = 1\n\nquoted\nplain"
    assert parsed.entities[0] == {"type": "pre", "offset": 0, "length": 6, "language": "python"}
    assert parsed.entities[1]["type"] == "blockquote"


def test_legacy_markdown() -> None:
    parsed = parse_markdown("*b* _i_ `c` [t](https://x.lv). ok")
    assert parsed.text == "b i c t. ok"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(EntityParseError):
        parse_markdown("*open")


def test_command_entities_with_utf16_offsets() -> None:
    assert command_entities("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("😀 /help@ejournal_bot now") == [
        {"type": "bot_command", "offset": 3, "length": 18}
    ]
    assert command_entities("no/command here") == []
