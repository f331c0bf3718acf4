"""Owns the group-list screens (rule 3.4): a teacher's groups, the pupil picker, the review.

Pure functions over core's results and the ticked pupil ids the dialog keeps. Names are
HTML-escaped in texts and plain in button labels.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

from aiogram.types import InlineKeyboardButton

from bot.callbacks import (
    GroupListAction,
    GroupListCb,
    GroupPage,
    GroupPupilsCb,
    GroupReviewCb,
    GroupToggleCb,
)
from bot.i18n import Translator
from bot.views.common import Screen, day, esc, fit, keyboard, menu_row
from core.domain.group_lists import SubmissionStatus
from core.errors import ImportProblem
from core.imports.problems import format_problem
from core.services.group_lists import (
    GroupCandidates,
    GroupListDecision,
    ListedPupil,
    ListGroup,
    SubmissionSummary,
    SubmissionView,
)

PAGE_SIZE = 30
PAGES: tuple[GroupPage, ...] = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
MAX_PROBLEMS = 30
TICK = "✓ "


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _group(action: GroupListAction, group_id: int) -> str:
    return GroupListCb(action=action, group_id=group_id).pack()


def _review(action: Literal["list", "show", "approve", "reject"], submission_id: int) -> str:
    return GroupReviewCb(action=action, submission_id=submission_id).pack()


# ---------------------------------------------------------------- /groups


def overview(groups: Sequence[ListGroup] | None, pending: int | None, t: Translator) -> Screen:
    """A teacher's list groups (None: not a teacher) and, for managers, the lists waiting."""
    lines = [t("groups.title")]
    rows: list[list[InlineKeyboardButton]] = []
    if groups is not None:
        lines.append(t("groups.yours") if groups else t("groups.none"))
        rows += [[_button(_group_label(group, t), _group("open", group.id))] for group in groups]
    if pending is not None:
        lines.append(t("groups.pending_count", count=pending))
        rows.append([_button(t("groups.pending_button", count=pending), _review("list", 0))])
    if groups is None and pending is None:
        return Screen(t("groups.nobody"))
    rows.append(menu_row(t))
    return Screen("\n\n".join(lines), keyboard(rows))


def _group_label(group: ListGroup, t: Translator) -> str:
    label = t("groups.group_button", name=group.name, count=group.member_count)
    return f"⏳ {label}" if group.pending else label


def group_screen(found: GroupCandidates, ticked: int | None, t: Translator) -> Screen:
    """A group: classes, pupils now, where its latest list stands; pick pupils or send a file."""
    group = found.group
    lines = [
        f"<b>{esc(group.name)}</b>",
        t("groups.classes", classes=esc(", ".join(group.class_names) or "—")),
        t("groups.members_now", count=group.member_count),
        _status_line(group.latest, t),
    ]
    if ticked is not None:
        lines.append(t("groups.draft", count=ticked))
    lines += ["", t("groups.how"), t("groups.file_hint")]
    rows = [
        [_button(t("groups.pick_button"), _group("edit", group.id))],
        [_button(t("groups.back_to_groups"), _group("list", 0))],
        menu_row(t),
    ]
    return Screen("\n".join(lines), keyboard(rows))


def _status_line(latest: SubmissionSummary | None, t: Translator) -> str:
    if latest is None:
        return t("groups.status.none")
    if latest.status is SubmissionStatus.PENDING:
        return t("groups.status.pending", count=latest.pupils, on=day(latest.submitted_on))
    when = day(latest.decided_on or latest.submitted_on)
    if latest.status is SubmissionStatus.APPROVED:
        return t("groups.status.approved", count=latest.pupils, on=when)
    if latest.status is SubmissionStatus.REJECTED:
        return t("groups.status.rejected", on=when, reason=esc(latest.reason or "—"))
    return t("groups.status.none")


# ---------------------------------------------------------------- picking


def short_names(pupils: Sequence[ListedPupil]) -> dict[int, str]:
    """Button names ("Jānis B."); the full name where two would read the same."""
    short = {p.pupil_id: f"{p.given_name} {p.family_name[:1]}." for p in pupils}
    seen: dict[str, int] = {}
    for label in short.values():
        seen[label] = seen.get(label, 0) + 1
    return {
        p.pupil_id: short[p.pupil_id] if seen[short[p.pupil_id]] == 1 else p.full_name
        for p in pupils
    }


def page_of(found: GroupCandidates, pupil_id: int) -> tuple[int, int] | None:
    """(class id, page) where a pupil's button is; None for someone not among the candidates."""
    for pupil in found.pupils:
        if pupil.pupil_id == pupil_id and pupil.class_id is not None:
            index = [p.pupil_id for p in found.of_class(pupil.class_id)].index(pupil_id)
            return pupil.class_id, min(index // PAGE_SIZE, len(PAGES) - 1)
    return None


def class_page(
    found: GroupCandidates, class_id: int, page: int, ticked: Collection[int], t: Translator
) -> Screen:
    """A page of one class's pupils in two columns, ticked ones marked ✓."""
    group = found.group
    pupils = found.of_class(class_id)
    klass = next((c for c in group.classes if c.id == class_id), None)
    class_name = klass.name if klass else (pupils[0].class_name if pupils else "")
    pages = max(1, min(len(PAGES), -(-len(pupils) // PAGE_SIZE)))
    page = min(max(page, 0), pages - 1)
    shown = pupils[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    names = short_names(pupils)
    here = sum(1 for p in pupils if p.pupil_id in ticked)
    lines = [
        f"<b>{esc(group.name)}</b> · {esc(class_name)}",
        t("groups.tick", here=here, total=len(pupils), count=len(ticked)),
    ]
    if not pupils:
        lines.append(t("groups.class_empty"))
    if pages > 1:
        lines.append(t("groups.page", page=page + 1, pages=pages))
    buttons = [
        _button(
            (TICK if p.pupil_id in ticked else "") + names[p.pupil_id],
            GroupToggleCb(group_id=group.id, pupil_id=p.pupil_id).pack(),
        )
        for p in shown
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(_button(t("groups.previous"), _page(group.id, class_id, page - 1)))
    if page < pages - 1:
        nav.append(_button(t("groups.next"), _page(group.id, class_id, page + 1)))
    rows.append(nav)
    if len(group.classes) > 1:
        rows.append([_button(t("groups.other_classes"), _group("classes", group.id))])
    rows.append([_button(t("groups.submit_button", count=len(ticked)), _group("ask", group.id))])
    rows.append([_button(t("groups.back_to_group"), _group("open", group.id))])
    return Screen("\n".join(lines), keyboard(rows))


def _page(group_id: int, class_id: int, page: int) -> str:
    return GroupPupilsCb(group_id=group_id, class_id=class_id, page=PAGES[page]).pack()


def class_chooser(found: GroupCandidates, ticked: Collection[int], t: Translator) -> Screen:
    """The group's classes with how many of each are ticked; submit when done."""
    group = found.group
    rows = []
    for klass in group.classes:
        pupils = found.of_class(klass.id)
        here = sum(1 for p in pupils if p.pupil_id in ticked)
        rows.append(
            [
                _button(
                    t("groups.class_button", name=klass.name, here=here, total=len(pupils)),
                    _page(group.id, klass.id, 0),
                )
            ]
        )
    rows.append([_button(t("groups.submit_button", count=len(ticked)), _group("ask", group.id))])
    rows.append([_button(t("groups.back_to_group"), _group("open", group.id))])
    text = "\n".join((f"<b>{esc(group.name)}</b>", t("groups.pick_class", count=len(ticked))))
    return Screen(text, keyboard(rows))


def confirm(found: GroupCandidates, ticked: Collection[int], t: Translator) -> Screen:
    """Submit these pupils? The names by class and the change against the group now."""
    group = found.group
    chosen = [p for p in found.pupils if p.pupil_id in ticked]
    back = [_button(t("groups.edit_button"), _group("edit", group.id))]
    if not chosen:
        return Screen(t("groups.nothing_ticked"), keyboard([back]))
    lines = [t("groups.confirm", name=esc(group.name), count=len(chosen)), ""]
    lines += by_class(chosen)
    added = sum(1 for p in chosen if p.pupil_id not in found.members)
    removed = len(found.members - {p.pupil_id for p in chosen})
    lines += ["", t("groups.diff_counts", added=added, removed=removed)]
    rows = [[_button(t("groups.send_button"), _group("send", group.id))], back]
    return Screen(fit(lines, t("groups.more")), keyboard(rows))


def by_class(pupils: Sequence[ListedPupil]) -> list[str]:
    """One line per class: "<b>5.a</b>: Jānis Bērziņš, Anna Kalniņa" (in the given order)."""
    lines: list[str] = []
    current: str | None = None
    names: list[str] = []
    for pupil in pupils:
        label = pupil.class_name or "—"
        if label != current and names:
            lines.append(f"<b>{esc(current)}</b>: {', '.join(names)}")
            names = []
        current = label
        names.append(esc(pupil.full_name))
    if names:
        lines.append(f"<b>{esc(current)}</b>: {', '.join(names)}")
    return lines


def submitted(view: SubmissionView, t: Translator) -> Screen:
    """The list went to the superuser."""
    text = t("groups.submitted", name=esc(view.group.name), count=len(view.pupils))
    rows = [[_button(t("groups.back_to_group"), _group("open", view.group.id))], menu_row(t)]
    return Screen(text, keyboard(rows))


def file_rejected(problems: Sequence[ImportProblem], t: Translator) -> Screen:
    """The file names pupils the group cannot have (or cannot be read): every row, nothing sent."""
    lines = [t("groups.file_rejected", count=len(problems))]
    lines += [
        "• " + esc(format_problem(problem, t.catalogs, t.lang))
        for problem in problems[:MAX_PROBLEMS]
    ]
    if len(problems) > MAX_PROBLEMS:
        lines.append(t("groups.more_problems", count=len(problems) - MAX_PROBLEMS))
    return Screen(fit(lines, t("groups.more")))


def simple(key: str, t: Translator) -> Screen:
    """A one-line answer (a file too big, a reason that was not text)."""
    return Screen(t(key))


# ---------------------------------------------------------------- the review


def pending_lists(views: Sequence[SubmissionView], t: Translator) -> Screen:
    """The lists waiting for approval, a button each."""
    if not views:
        return Screen(t("groups.review.none"), keyboard([menu_row(t)]))
    rows = [
        [
            _button(
                t(
                    "groups.review.item",
                    name=view.group.name,
                    teacher=view.submitted_by or "—",
                    count=len(view.pupils),
                ),
                _review("show", view.id),
            )
        ]
        for view in views
    ]
    rows.append(menu_row(t))
    return Screen(t("groups.review.title", count=len(views)), keyboard(rows))


def submission_screen(view: SubmissionView, t: Translator) -> Screen:
    """A list with its pupils by class and the change it makes; approve or reject if waiting."""
    group = view.group
    lines = [
        f"<b>{esc(group.name)}</b> ({esc(', '.join(group.class_names) or '—')})",
        t(
            "groups.review.by",
            teacher=esc(view.submitted_by or "—"),
            on=day(view.submitted_on),
        ),
    ]
    if view.note:
        lines.append(t("groups.review.note", note=esc(view.note)))
    lines += ["", t("groups.review.pupils", count=len(view.pupils)), *by_class(view.pupils), ""]
    lines.append(t("groups.review.changes", kept=view.kept))
    lines += [f"+ {esc(p.full_name)} ({esc(p.class_name or '—')})" for p in view.added]
    lines += [f"− {esc(p.full_name)} ({esc(p.class_name or '—')})" for p in view.removed]
    if not view.added and not view.removed:
        lines.append(t("groups.review.no_changes"))
    if view.left:
        names = ", ".join(esc(p.full_name) for p in view.left)
        lines += ["", t("groups.review.left", names=names)]
    rows: list[list[InlineKeyboardButton]] = []
    if view.status is SubmissionStatus.PENDING:
        rows.append(
            [
                _button(t("groups.review.approve"), _review("approve", view.id)),
                _button(t("groups.review.reject"), _review("reject", view.id)),
            ]
        )
    else:
        lines += ["", _decided_line(view, t)]
    rows.append([_button(t("groups.review.back"), _review("list", 0))])
    return Screen(fit(lines, t("groups.more")), keyboard(rows))


def _decided_line(view: SubmissionView, t: Translator) -> str:
    when = day(view.decided_on or view.submitted_on)
    if view.status is SubmissionStatus.APPROVED:
        return t("groups.review.was_approved", on=when)
    if view.status is SubmissionStatus.REJECTED:
        return t("groups.review.was_rejected", on=when, reason=esc(view.reason or "—"))
    return t("groups.review.was_superseded")


def ask_reason(submission_id: int, t: Translator) -> Screen:
    """Why is the list rejected? (the teacher reads it on the group's screen)."""
    rows = [[_button(t("groups.review.back_to_list"), _review("show", submission_id))]]
    return Screen(t("groups.review.ask_reason"), keyboard(rows))


def decided(decision: GroupListDecision, t: Translator) -> Screen:
    """What the decision did."""
    view = decision.submission
    if decision.approved:
        lines = [
            t(
                "groups.review.approved",
                name=esc(view.group.name),
                added=decision.added,
                removed=decision.removed,
                count=view.group.member_count,
            )
        ]
        if decision.left_out:
            names = ", ".join(esc(p.full_name) for p in decision.left_out)
            lines.append(t("groups.review.left_out", names=names))
    else:
        lines = [t("groups.review.rejected", name=esc(view.group.name))]
    rows = [[_button(t("groups.review.back"), _review("list", 0))], menu_row(t)]
    return Screen("\n".join(lines), keyboard(rows))
