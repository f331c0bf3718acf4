"""Latvian alphabetical order for names and subjects (ā after a, č after c, ... ž after z).

Python compares code points, which puts every letter with a diacritic after "z"; lists that people
read (subjects, children, class rosters) use this key instead. Standard library only.
"""

from __future__ import annotations

import unicodedata

# The Latvian alphabet, with q w x y (foreign names) where the Latin alphabet has them.
_ORDER = "aābcčdeēfgģhiījkķlļmnņopqrsštuūvwxyzž"
_RANK = {letter: 200 + index for index, letter in enumerate(_ORDER)}


def latvian_key(text: str) -> tuple[int, ...]:
    """A sort key: spaces, punctuation and digits first, then letters in Latvian order."""
    return tuple(
        _RANK.get(ch, 1000 + ord(ch) if ch.isalpha() else ord(ch)) for ch in text.casefold()
    )


def search_key(text: str) -> str:
    """Text folded for searching by name: case-folded, without diacritics ("Bērziņš" → "berzins").

    People type names on phones without the Latvian letters; a search must still find them.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())
