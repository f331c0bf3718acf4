"""Every service use case × every role × own and foreign targets, as matrix.py's tables say."""

from __future__ import annotations

from core.bootstrap import Core
from tests.authz.matrix import ACTIONS, REPORTS, ROLES, TARGETS, run_matrix


async def test_every_role_is_allowed_or_refused_exactly_as_the_policy_says(core: Core) -> None:
    report = await run_matrix(core)
    REPORTS.append(report)
    assert report.cases == sum(len(TARGETS[a.kind]) * len(ROLES) for a in ACTIONS)
    assert report.violations == [], "\n".join(report.violations)
