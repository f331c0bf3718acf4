"""The bot process starts without the libraries only some features need (issue #12: memory).

openpyxl (with numpy), ReportLab, qrcode, matplotlib, pycdlib, pypdf and Alembic cost about
35 MB of resident memory together; they load when a spreadsheet, a document, an archive or a
migration is actually made. A top-level import that drags one back into start-up fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("openpyxl", "numpy", "reportlab", "matplotlib", "qrcode", "pycdlib", "pypdf", "alembic")

# What ``ejournal run`` imports and builds before the first update: the composition root, the
# bot's dispatcher with every router, and the notifications engine's modules.
START = """
import sys
import bot.__main__
from bot.app import build_dispatcher
from bot.settings import AppSettings
from core.bootstrap import build_core
from core.config import DatabaseSettings

settings = AppSettings(database=DatabaseSettings(url="sqlite+aiosqlite:///:memory:"))
build_dispatcher(build_core(settings), settings)
{feature}
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_at_start(feature: str = "") -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", START.replace("{feature}", feature)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(result.stdout.split())


def test_the_bot_starts_without_spreadsheet_document_archive_or_migration_libraries() -> None:
    loaded = loaded_at_start()

    assert "aiogram" in loaded  # the probe did start the bot
    assert "sqlalchemy" in loaded
    assert sorted(loaded.intersection(HEAVY)) == []


def test_reading_a_spreadsheet_loads_openpyxl_when_it_is_needed() -> None:
    # The deferred import still happens when a file is read (and the probe can see it).
    loaded = loaded_at_start(
        "from core.errors import ImportRejected\n"
        "from core.imports.tabular import read_table\n"
        "try:\n"
        "    read_table(b'not a workbook', 'people.xlsx')\n"
        "except ImportRejected:\n"
        "    pass\n"
    )

    assert "openpyxl" in loaded
    assert "reportlab" not in loaded
