"""Helpers for tests that run parts of the product in processes of their own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def one_json_line(command: list[str], *, unset: str) -> dict[str, Any]:
    """Run a benchmark from the project's folder (``unset`` removed from its environment): it
    must succeed and print exactly one line, a JSON object, which is returned."""
    env = {k: v for k, v in os.environ.items() if k != unset}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    result: dict[str, Any] = json.loads(lines[0])
    return result
