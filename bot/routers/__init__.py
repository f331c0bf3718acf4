"""Owns the order in which feature routers see an update: the first match answers."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router

from bot.routers import (
    access,
    attendance,
    carers,
    connections,
    fallback,
    help,
    invites,
    language,
    marks,
    membership,
    onboarding,
    people,
    start,
    timetable,
)

ROUTERS: tuple[Callable[[], Router], ...] = (
    membership.build_router,  # block/unblock: before access, a deactivated person may block too
    access.build_router,  # then: a deactivated person gets "no access" and nothing else
    onboarding.build_router,  # before start: /start <code> is an invitation, not the menu
    start.build_router,
    help.build_router,
    language.build_router,
    marks.build_router,
    attendance.build_router,
    invites.build_router,
    connections.build_router,
    people.build_router,
    carers.build_router,
    timetable.build_router,
    fallback.build_router,  # LAST: it matches every message and button the others left
)


def feature_routers() -> tuple[Router, ...]:
    """Fresh routers of every feature, in order (a router belongs to one dispatcher)."""
    return tuple(build() for build in ROUTERS)
