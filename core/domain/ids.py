"""Owns the range of row ids: anything outside it names no row, on any backend we run.

Ids reach services from untrusted places (button payloads, typed commands). The tables' ids are
32-bit on every backend (the 64-bit ones stay far below that in any one school), so an id outside
``1..MAX_ID`` is refused as "not found" before it reaches a query — PostgreSQL would otherwise
fail on an out-of-range parameter instead of finding nothing.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def possible_id(value: int) -> bool:
    """Whether ``value`` could be the id of a row."""
    return 0 < value <= MAX_ID
