"""bench/updates.py runs end to end (bot, echo and floor bots in own processes), prints its JSON.

How fast the bot is is measured by the benchmark (docs/performance.md), not asserted here: this
test only proves that the harness works, at the ``--tiny`` size.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.conftest import PG_ENV
from tests.processes import ROOT, one_json_line

KEYS = {
    "updates_per_s",
    "p50_ms",
    "p99_ms",
    "p50_ms_at_rate",
    "p99_ms_at_rate",
    "echo_updates_per_s",
    "echo_p50_ms",
    "echo_p99_ms",
    "ratio_to_echo",
    "floor_updates_per_s",
    "floor_p99_ms_at_rate",
    "floor_ratio_to_echo",
    "floor_cpu_ms_per_update",
    "rss_idle_mb",
    "rss_peak_mb",
    "bot_cpu_ms_per_update",
    "users",
    "errors",
    "backend",
    "python",
}

DIALECTS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])


@pytest.mark.e2e
@pytest.mark.parametrize("dialect", DIALECTS)
def test_tiny_run_prints_one_json_line_with_the_figures(dialect: str) -> None:
    command = [sys.executable, str(ROOT / "bench" / "updates.py"), "--tiny"]
    if dialect == "postgresql":
        command += ["--database-url", os.environ[PG_ENV]]
    result = one_json_line(command, unset="EJOURNAL_BENCH_PROFILE")
    assert set(result) >= KEYS
    assert result["backend"] == dialect
    assert result["errors"] == 0
    assert result["stray_messages"] == 0
    assert result["bot_log_errors"] == 0
    # The three bots answered, and the figures are sane.
    assert result["updates_per_s"] > 0
    assert result["echo_updates_per_s"] > 0
    assert result["floor_updates_per_s"] > 0
    assert result["ratio_to_echo"] == pytest.approx(
        result["updates_per_s"] / result["echo_updates_per_s"], abs=0.01
    )
    assert result["floor_ratio_to_echo"] == pytest.approx(
        result["floor_updates_per_s"] / result["echo_updates_per_s"], abs=0.01
    )
    # The floor reads the database on every update: it costs more CPU than the echo bot.
    assert result["floor_cpu_ms_per_update"] > result["echo_cpu_ms_per_update"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert 0 < result["p50_ms_at_rate"] <= result["p99_ms_at_rate"]
    assert result["rss_idle_mb"] > 50
    assert result["rss_peak_mb"] >= result["rss_idle_mb"]
    assert result["bot_cpu_ms_per_update"] > 0
    assert result["users"] == result["parents"] + result["teachers"] > 0
    # Every user sends at least once in the closed loop: both roles are in its mix.
    assert {key.split("_")[0] for key in result["mix"]} == {"parent", "teacher"}
    assert sum(result["mix"].values()) == pytest.approx(1, abs=0.01)
    # Each of the targets gets a verdict from the figures above.
    met = result["targets_met"]
    assert met["rss_peak_mb"] is (result["rss_peak_mb"] <= 200)
    assert met["ratio_to_echo"] is (result["ratio_to_echo"] >= 0.5)
    assert set(met) == {"updates_per_s", "ratio_to_echo", "p99_ms_at_rate", "rss_peak_mb"}
