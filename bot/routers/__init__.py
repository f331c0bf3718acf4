"""Owns the order in which feature routers see an update: the first match answers."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router

from bot.routers import (
    access,
    attendance,
    audit,
    broadcasts,
    calendar,
    carers,
    changes,
    connections,
    diary,
    extracts,
    fallback,
    grades,
    group_lists,
    help,
    history,
    invites,
    language,
    mail,
    marks,
    membership,
    mydata,
    news,
    notes,
    onboarding,
    people,
    period_marks,
    reports,
    settings,
    start,
    timetable,
    today,
)

ROUTERS: tuple[Callable[[], Router], ...] = (
    membership.build_router,  # block/unblock: before access, a deactivated person may block too
    access.build_router,  # then: a deactivated person gets "no access" and nothing else
    onboarding.build_router,  # before start: /start <code> is an invitation, not the menu
    start.build_router,
    help.build_router,
    language.build_router,
    settings.build_router,
    # before the features that catch text in their states, and before timetable: a Telegram
    # reply to a delivered mail message is its answer; a document while writing is its file
    mail.build_router,
    marks.build_router,
    attendance.build_router,
    history.build_router,
    audit.build_router,  # "who viewed the data" from /history, and /disclosures
    diary.build_router,
    notes.build_router,  # before timetable: a photo or PDF sent while reporting is the note's
    invites.build_router,
    connections.build_router,
    people.build_router,
    carers.build_router,
    calendar.build_router,
    mydata.build_router,  # before fallback: a superuser's rejection reason is a text
    group_lists.build_router,  # before timetable: a document in a group's dialog is its list
    news.build_router,  # before timetable: a document sent while drafting a post is its file
    broadcasts.build_router,  # before timetable: a document sent while drafting is its file
    changes.build_router,  # before timetable: a document asked for by the editor is changes
    grades.build_router,  # before fallback: while marks are entered, texts are marks
    period_marks.build_router,  # before fallback: while a sheet is open, texts are its marks
    reports.build_router,  # before timetable and fallback: /reports and its buttons
    today.build_router,  # before timetable: a photo or document in the homework dialog is homework
    extracts.build_router,  # before timetable and fallback: /extract and its buttons
    timetable.build_router,
    fallback.build_router,  # LAST: it matches every message and button the others left
)


def feature_routers() -> tuple[Router, ...]:
    """Fresh routers of every feature, in order (a router belongs to one dispatcher)."""
    return tuple(build() for build in ROUTERS)
