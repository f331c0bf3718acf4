"""The authorization suite reports its case count at the end of every pytest run that ran it."""

from __future__ import annotations

import pytest

from tests.authz.matrix import REPORTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per matrix run: "authorization matrix: N cases, 0 violations"."""
    for report in REPORTS:
        terminalreporter.write_line(report.line())
