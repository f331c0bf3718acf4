"""Latvian alphabetical order for names and subjects (ā after a, č after c, ... ž after z).

Python compares code points, which puts every letter with a diacritic after "z"; lists that people
read (subjects, children, class rosters) use this key instead. Standard library only.
"""

from __future__ import annotations

# The Latvian alphabet, with q w x y (foreign names) where the Latin alphabet has them.
_ORDER = "aābcčdeēfgģhiījkķlļmnņopqrsštuūvwxyzž"
_RANK = {letter: 200 + index for index, letter in enumerate(_ORDER)}


def latvian_key(text: str) -> tuple[int, ...]:
    """A sort key: spaces, punctuation and digits first, then letters in Latvian order."""
    return tuple(
        _RANK.get(ch, 1000 + ord(ch) if ch.isalpha() else ord(ch)) for ch in text.casefold()
    )
