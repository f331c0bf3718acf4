"""Owns the order in which feature routers see an update: the first match answers."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router

from bot.routers import attendance, fallback, help, language, marks, start

ROUTERS: tuple[Callable[[], Router], ...] = (
    start.build_router,
    help.build_router,
    language.build_router,
    marks.build_router,
    attendance.build_router,
    fallback.build_router,  # LAST: it matches every message and button the others left
)


def feature_routers() -> tuple[Router, ...]:
    """Fresh routers of every feature, in order (a router belongs to one dispatcher)."""
    return tuple(build() for build in ROUTERS)
