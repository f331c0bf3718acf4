"""The year-end archive (rule 5.3): one school year written out, checked and restored.

``create_archive`` reads one school year of one school from a consistent snapshot and writes
every table as CSV and JSON, the attached files, the printable documents of the registered
producers, a Latvian README.txt, SHA256SUMS and a manifest.json, packed as a deterministic ZIP
and optionally as an ISO 9660 image. ``verify_archive`` checks a ZIP, an ISO image or an
unpacked folder against its manifest; ``restore_archive`` loads an archive into an empty
database. Which rows belong to a year is decided per table in :mod:`core.archive.scope`.

This package sits beside the console (``core.cli``): it reads the tables directly (a streaming,
table-by-table copy that no repository models) and reaches services only through the document
producers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.archive.export import ArchiveResult, create_archive
    from core.archive.restore import RestoreResult, restore_archive
    from core.archive.verify import VerifyProblem, VerifyReport, verify_archive

# Loaded on first use (PEP 562): ``core.archive.cli`` is imported on every start of the console
# and the bot process, and the exporter pulls in Alembic, pycdlib and ReportLab (~20 MB).
_LAZY = {
    "ArchiveResult": "core.archive.export",
    "create_archive": "core.archive.export",
    "RestoreResult": "core.archive.restore",
    "restore_archive": "core.archive.restore",
    "VerifyProblem": "core.archive.verify",
    "VerifyReport": "core.archive.verify",
    "verify_archive": "core.archive.verify",
}

__all__ = [
    "ArchiveResult",
    "RestoreResult",
    "VerifyProblem",
    "VerifyReport",
    "create_archive",
    "restore_archive",
    "verify_archive",
]


def __getattr__(name: str) -> Any:
    """The public names above, imported from their module on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
