"""Reading an archive where it is: a ZIP, an ISO 9660 image, or a folder (an unpacked ZIP, a CD).

Nothing is extracted to disk: members are read in place, so a hostile name (``../x``) is only
ever a name that the manifest does not list.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from core.errors import InvalidInput


class ArchiveSource(Protocol):
    """The files of an archive, by path relative to its root (forward slashes)."""

    def paths(self) -> list[str]:
        """Every file, repeated if the container holds a name twice."""
        ...

    def open(self, path: str) -> AbstractContextManager[IO[bytes]]:
        """A file's bytes, streamed."""
        ...

    def close(self) -> None:
        """Release the container."""
        ...


class ZipSource:
    """An archive packed as ZIP."""

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path)

    def paths(self) -> list[str]:
        """Every member that is not a folder entry."""
        return [name for name in self._zip.namelist() if not name.endswith("/")]

    def open(self, path: str) -> AbstractContextManager[IO[bytes]]:
        """A member's bytes (the ZIP's CRC is checked as it is read)."""
        return self._zip.open(path)

    def close(self) -> None:
        """Close the ZIP file."""
        self._zip.close()


class IsoSource:
    """An archive written as an ISO 9660 image, read through its Rock Ridge names."""

    def __init__(self, path: Path) -> None:
        self._iso = pycdlib.PyCdlib()
        self._iso.open(str(path))

    def paths(self) -> list[str]:
        """Every file on the image."""
        found: list[str] = []
        for folder, _dirs, files in self._iso.walk(rr_path="/"):
            base = PurePosixPath(folder)
            found += [str(base.joinpath(name).relative_to("/")) for name in files]
        return found

    @contextmanager
    def _read(self, path: str) -> Iterator[IO[bytes]]:
        with self._iso.open_file_from_iso(rr_path="/" + path) as stream:
            yield stream

    def open(self, path: str) -> AbstractContextManager[IO[bytes]]:
        """A file's bytes."""
        return self._read(path)

    def close(self) -> None:
        """Close the image."""
        self._iso.close()


class FolderSource:
    """An archive unpacked into a folder, or a mounted CD."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def paths(self) -> list[str]:
        """Every file under the folder (symbolic links are listed, never followed out)."""
        return sorted(
            path.relative_to(self._root).as_posix()
            for path in self._root.rglob("*")
            if path.is_file() or path.is_symlink()
        )

    def open(self, path: str) -> AbstractContextManager[IO[bytes]]:
        """A file's bytes."""
        return (self._root / path).open("rb")

    def close(self) -> None:
        """Nothing to release."""


@contextmanager
def open_source(path: Path) -> Iterator[ArchiveSource]:
    """The archive at ``path``: a folder, a ZIP or an ISO image (recognised by content).

    Raises:
        InvalidInput: ``archive.unreadable``: missing, or neither a folder, a ZIP nor an ISO.
    """
    source: ArchiveSource
    try:
        if path.is_dir():
            source = FolderSource(path)
        elif zipfile.is_zipfile(path):
            source = ZipSource(path)
        else:
            source = IsoSource(path)
    except (OSError, zipfile.BadZipFile, PyCdlibException) as exc:
        raise InvalidInput("archive.unreadable", path=str(path)) from exc
    try:
        yield source
    finally:
        source.close()
