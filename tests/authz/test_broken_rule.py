"""A deliberately broken policy rule makes the matrix fail: it tells right from wrong."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from core.bootstrap import Core
from core.domain import access
from core.domain.access import GroupFacts, PupilFacts, ReadScope, Viewer
from tests.authz.matrix import ACTIONS, run_matrix


def flip_rule(monkeypatch: pytest.MonkeyPatch, name: str, broken: Callable[..., Any]) -> int:
    """Replace one rule of ``core.domain.access`` everywhere it was imported; returns where."""
    original = getattr(access, name)
    patched = 0
    for module in list(sys.modules.values()):
        if getattr(module, name, None) is original:
            monkeypatch.setattr(module, name, broken)
            patched += 1
    return patched


async def test_a_guardian_reading_any_pupil_is_caught(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = access.pupil_read_scope

    def guardians_read_everyone(viewer: Viewer, pupil: PupilFacts) -> ReadScope:
        return ReadScope.ALL if viewer.children else honest(viewer, pupil)

    assert flip_rule(monkeypatch, "pupil_read_scope", guardians_read_everyone) >= 2
    marks = tuple(a for a in ACTIONS if a.name == "pupil_marks")
    report = await run_matrix(core, actions=marks)
    assert report.violations
    assert "parent × pupil_marks × other_child: allowed but should be refused" in (
        report.violations
    )


async def test_a_class_teacher_writing_to_any_group_of_the_class_is_caught(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = access.may_write_group

    def class_teachers_write(viewer: Viewer, group: GroupFacts) -> bool:
        return bool(viewer.class_teacher_of) or honest(viewer, group)

    assert flip_rule(monkeypatch, "may_write_group", class_teachers_write) >= 1
    writes = tuple(a for a in ACTIONS if a.name in {"create_assessment", "set_topic"})
    report = await run_matrix(core, actions=writes)
    assert "class_teacher × create_assessment × other_group: allowed but should be refused" in (
        report.violations
    )
