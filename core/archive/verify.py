"""``verify_archive``: every listed file is there with its size and SHA-256, and nothing else.

Works on the ZIP, the ISO image or an unpacked folder (a mounted CD) and needs no database: an
archive can be checked years later on any computer with this program, or with
``sha256sum -c SHA256SUMS`` in the unpacked folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pycdlib.pycdlibexception import PyCdlibException

from core.archive.manifest import MANIFEST, SUMS, Manifest, ManifestInvalid, sums_file
from core.archive.progress import Progress, ProgressCallback, ignore
from core.archive.sources import ArchiveSource, open_source
from core.domain.access import Viewer
from core.errors import NotAllowed

ProblemKind = Literal["manifest", "missing", "changed", "extra", "duplicate", "unreadable"]
_CHUNK = 1 << 20
_MAX_MANIFEST = 64 << 20


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """One thing wrong with an archive: which file (or the manifest) and what."""

    kind: ProblemKind
    path: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of a verification."""

    path: Path
    manifest: Manifest | None
    problems: tuple[VerifyProblem, ...]
    checked: int  # files whose size and hash matched

    @property
    def ok(self) -> bool:
        """Whether the archive is complete and unchanged."""
        return self.manifest is not None and not self.problems


async def verify_archive(
    path: Path, viewer: Viewer, *, progress: ProgressCallback = ignore
) -> VerifyReport:
    """Check an archive (ZIP, ISO image or folder) against its manifest.

    Raises:
        NotAllowed: ``archive.console_only`` for anyone but the console operator.
        InvalidInput: ``archive.unreadable`` when the path is no archive container at all.
    """
    if not viewer.operator:
        raise NotAllowed("archive.console_only")

    def run() -> VerifyReport:
        with open_source(path) as source:
            return verify_source(path, source, progress)

    return await asyncio.to_thread(run)


def verify_source(path: Path, source: ArchiveSource, progress: ProgressCallback) -> VerifyReport:
    """Check an open archive against its manifest (see ``verify_archive``)."""
    try:
        present = Counter(source.paths())
    except (OSError, zipfile.BadZipFile, PyCdlibException, ValueError):
        return VerifyReport(path, None, (VerifyProblem("unreadable", "/"),), 0)
    problems = [VerifyProblem("duplicate", name) for name, n in sorted(present.items()) if n > 1]
    if MANIFEST not in present:
        return VerifyReport(path, None, (VerifyProblem("manifest", MANIFEST, "missing"),), 0)
    try:
        manifest = Manifest.parse(_read(source, MANIFEST, _MAX_MANIFEST))
    except ManifestInvalid as exc:
        return VerifyReport(path, None, (VerifyProblem("manifest", MANIFEST, exc.detail),), 0)
    except (OSError, zipfile.BadZipFile, PyCdlibException, ValueError):
        return VerifyReport(path, None, (VerifyProblem("unreadable", MANIFEST),), 0)
    listed = {entry.path for entry in manifest.files}
    if SUMS not in listed:
        problems.append(VerifyProblem("manifest", MANIFEST, f"{SUMS} is not listed"))
    checked = 0
    for number, entry in enumerate(manifest.files):
        progress(Progress("verify", number, len(manifest.files), table=entry.path))
        if entry.path not in present:
            problems.append(VerifyProblem("missing", entry.path))
            continue
        try:
            size, sha = _digest(source, entry.path)
        except (OSError, zipfile.BadZipFile, PyCdlibException, ValueError):
            problems.append(VerifyProblem("unreadable", entry.path))
            continue
        if (size, sha) != (entry.size, entry.sha256):
            problems.append(VerifyProblem("changed", entry.path))
        else:
            checked += 1
    progress(Progress("verify", len(manifest.files), len(manifest.files)))
    problems += [
        VerifyProblem("extra", name) for name in sorted(present) if name not in listed | {MANIFEST}
    ]
    if SUMS in present and not any(p.path == SUMS for p in problems):
        problems += _check_sums(source, manifest)
    return VerifyReport(path, manifest, tuple(problems), checked)


def _check_sums(source: ArchiveSource, manifest: Manifest) -> list[VerifyProblem]:
    """SHA256SUMS must say what the manifest says (a tool that trusts it must not be misled)."""
    expected = sums_file(entry for entry in manifest.files if entry.path != SUMS)
    try:
        same = _read(source, SUMS, len(expected)) == expected
    except (OSError, zipfile.BadZipFile, PyCdlibException, ValueError):
        same = False
    return [] if same else [VerifyProblem("manifest", SUMS, "does not match the manifest")]


def _read(source: ArchiveSource, path: str, limit: int) -> bytes:
    with source.open(path) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is too large")
    return data


def _digest(source: ArchiveSource, path: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with source.open(path) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
