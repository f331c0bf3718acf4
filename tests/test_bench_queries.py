"""bench/queries.py runs end to end at a tiny size and prints its one JSON line.

How fast the reads are is measured by the benchmark (docs/performance.md), not asserted here;
this test proves the harness works on each backend and that no read's statement count grows
with the data (an N+1 read would).
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.conftest import PG_ENV
from tests.processes import ROOT, one_json_line

READS = ("diary_week", "semester_marks", "class_attendance_month", "teacher_day")
DIALECTS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])


@pytest.mark.db
@pytest.mark.parametrize("dialect", DIALECTS)
def test_tiny_run_prints_one_json_line_with_the_four_reads(dialect: str) -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "queries.py"),
        "--short",
        "--schools=1",
        "--classes-per-grade=1",
        "--pupils-per-class=5",
        "--samples=20",
        "--warmup=3",
    ]
    if dialect == "postgresql":
        command.append(f"--database-url={os.environ[PG_ENV]}")
    result = one_json_line(command, unset="EJOURNAL_BENCH_DATABASE_URL")
    assert result["backend"] == dialect
    assert result["schools"] == 1
    assert result["pupils"] == 9 * 5  # grades 1-9, one class each
    assert min(result["lessons"], result["marks"], result["attendance"]) > 0
    assert result["seed_s"] is not None
    assert result["samples"] == 20
    for read in READS:
        figures = result[read]
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
        # A fixed handful of statements per call, whatever the size of the week or class.
        assert 1 <= figures["statements"] <= 16, (read, figures)
    assert result["max_p99_ms"] == max(result[read]["p99_ms"] for read in READS)
    # The yardstick: one statement per call, timed like the reads.
    assert result["floor"]["statements"] == 1
    assert 0 < result["floor"]["p50_ms"] <= result["floor"]["p99_ms"]
    assert result["target_p99_ms"] == 5.0
