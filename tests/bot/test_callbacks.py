"""Every CallbackData fits Telegram's 64 bytes at its largest and has its own short prefix."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

import pytest
from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, User

from bot import callbacks
from bot.callbacks import ALL_CALLBACKS

BIGGEST_ID = -(2**63)  # a BIGINT id at its longest (20 characters with the sign)


def largest_value(annotation: Any) -> Any:
    if annotation is int:
        return BIGGEST_ID
    if typing.get_origin(annotation) is typing.Literal:
        return max(typing.get_args(annotation), key=lambda v: len(str(v).encode()))
    raise AssertionError(f"payloads carry small ids and short enums only, not {annotation!r}")


def largest(cls: type[CallbackData]) -> CallbackData:
    values = {name: largest_value(f.annotation) for name, f in cls.model_fields.items()}
    return cls(**values)


def test_every_callback_class_is_listed() -> None:
    defined = {
        obj
        for _, obj in inspect.getmembers(callbacks, inspect.isclass)
        if issubclass(obj, CallbackData) and obj not in (CallbackData, callbacks.Callback)
    }
    assert defined == set(ALL_CALLBACKS)


@pytest.mark.parametrize("cls", ALL_CALLBACKS, ids=lambda c: c.__name__)
def test_largest_instance_fits_in_64_bytes(cls: type[CallbackData]) -> None:
    packed = largest(cls).pack()
    assert len(packed.encode()) <= MAX_CALLBACK_LENGTH == 64
    assert cls.unpack(packed) == largest(cls)


def test_prefixes_are_unique_short_ascii_letters() -> None:
    prefixes = [cls.__prefix__ for cls in ALL_CALLBACKS]
    assert len(set(prefixes)) == len(prefixes)
    assert all(re.fullmatch(r"[A-Za-z]{2,4}", prefix) for prefix in prefixes)


async def test_the_prefix_filter_answers_as_aiogram_s_own() -> None:
    """Every class's filter against every class's data, and data of no class at all."""
    data = [largest(cls).pack() for cls in ALL_CALLBACKS]
    data += [cls.__prefix__ for cls in ALL_CALLBACKS]  # a prefix alone (MenuCb's whole data)
    data += ["mk:1", "mks:1", "mk:1:2", "mks:1:2", "mk", "mk:", "mkx:1", ":", "", "x" * 64]
    user = User(id=1, is_bot=False, first_name="T")
    matched = 0
    for cls in ALL_CALLBACKS:
        ours, stock = cls.filter(), CallbackQueryFilter(callback_data=cls)
        assert isinstance(ours, callbacks.PrefixFilter)
        for value in data:
            query = CallbackQuery(id="1", from_user=user, chat_instance="1", data=value)
            expected = await stock(query)
            assert await ours(query) == expected, (cls.__name__, value)
            matched += expected is not False
    assert matched >= len(ALL_CALLBACKS)  # each class's own data matched
