"""Packing the staged archive: a deterministic ZIP, and an ISO 9660 image ready to burn.

The ZIP is the same byte for byte whenever the files and the creation time are: entries sorted
by path, one fixed timestamp (the archive's creation time on the school's clock), fixed
permissions and compression. The ISO image holds the same files unpacked, so the CD can be
browsed; Rock Ridge and Joliet carry the real names, the ISO 9660 names are derived from them.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePosixPath

import pycdlib

_CHUNK = 1 << 20
_ZIP64_OVER = (1 << 31) - 1  # members this large need ZIP64 fields announced up front
_FILE_MODE = 0o100644
_ISO_NAME = 30  # ECMA-119 7.5.2: a file identifier (name, dot, extension) at levels 2 and 3
_ISO_DIR = 31  # ECMA-119 7.6.3
_JOLIET_LABEL = 16  # the Joliet volume label is 32 bytes of UCS-2
_NOT_D = re.compile(r"[^A-Z0-9_]")


def zip_stamp(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """The ZIP timestamp (local wall time, from 1980) for an aware moment."""
    stamp = moment.timetuple()[:6]
    return (max(stamp[0], 1980), stamp[1], stamp[2], stamp[3], stamp[4], stamp[5])


def write_zip(
    root: Path, paths: Iterable[str], target: Path, stamp: tuple[int, int, int, int, int, int]
) -> None:
    """Pack ``paths`` (relative to ``root``) into ``target``, sorted, with one timestamp."""
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for path in sorted(paths):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix: the permissions below mean what they say
            info.external_attr = _FILE_MODE << 16
            source = root / path
            big = source.stat().st_size > _ZIP64_OVER
            with source.open("rb") as fh, archive.open(info, "w", force_zip64=big) as out:
                shutil.copyfileobj(fh, out, _CHUNK)


def volume_label(year: str) -> str:
    """The CD's volume label: ``EJOURNAL_2025_2026`` for the year 2025/2026."""
    return _NOT_D.sub("_", f"EJOURNAL_{year}".upper())[:32]


def joliet_label(label: str) -> str:
    """The label in Joliet's 16 characters (Windows shows it): ``EJOURNAL_2025_26``."""
    if len(label) <= _JOLIET_LABEL:
        return label
    return re.sub(r"_(\d\d)(\d\d)$", r"_\2", label)[:_JOLIET_LABEL]


class IsoNames:
    """ISO 9660 (level 3) names for real paths: d-characters only, unique in each folder."""

    def __init__(self) -> None:
        self._taken: dict[str, set[str]] = {}
        self._names: dict[str, str] = {"": ""}

    def folder(self, path: str) -> str:
        """The ISO path of a folder (its parents are named first)."""
        if path not in self._names:
            pure = PurePosixPath(path)
            parent = "" if str(pure.parent) == "." else str(pure.parent)
            name = _unique(self._taken.setdefault(parent, set()), _d(pure.name), "", _ISO_DIR)
            self._names[path] = f"{self.folder(parent)}/{name}"
        return self._names[path]

    def file(self, path: str) -> str:
        """The ISO path of a file, with its version suffix."""
        pure = PurePosixPath(path)
        parent = "" if str(pure.parent) == "." else str(pure.parent)
        extension = _d(pure.suffix.lstrip("."))[:8]
        stem = _d(pure.stem if pure.suffix else pure.name)
        limit = _ISO_NAME - (len(extension) + 1 if extension else 0)
        name = _unique(self._taken.setdefault(parent, set()), stem, extension, limit)
        return f"{self.folder(parent)}/{name};1"


def _d(text: str) -> str:
    return _NOT_D.sub("_", text.upper()) or "_"


def _unique(taken: set[str], stem: str, extension: str, limit: int) -> str:
    def spell(base: str) -> str:
        return f"{base}.{extension}" if extension else base

    candidate = stem[:limit]
    number = 1
    while spell(candidate) in taken:
        suffix = f"_{number}"
        candidate = stem[: limit - len(suffix)] + suffix
        number += 1
    taken.add(spell(candidate))
    return spell(candidate)


def write_iso(root: Path, paths: Iterable[str], target: Path, label: str) -> None:
    """Write the files as an ISO 9660 image with Joliet and Rock Ridge names."""
    iso = pycdlib.PyCdlib()
    iso.new(
        interchange_level=3,
        vol_ident=joliet_label(label),
        app_ident_str="EJOURNAL",
        joliet=3,
        rock_ridge="1.09",
    )
    # pycdlib gives both volume descriptors one label; the ISO 9660 one holds 32 characters.
    iso.pvd.volume_identifier = label.encode("ascii").ljust(32, b" ")
    names = IsoNames()
    files = sorted(paths)
    folders = sorted({str(p) for f in files for p in PurePosixPath(f).parents if str(p) != "."})
    for folder in folders:
        iso.add_directory(
            iso_path=names.folder(folder),
            rr_name=PurePosixPath(folder).name,
            joliet_path="/" + folder,
        )
    for path in files:
        iso.add_file(
            str(root / path),
            iso_path=names.file(path),
            rr_name=PurePosixPath(path).name,
            joliet_path="/" + path,
        )
    try:
        iso.write(str(target))
    finally:
        iso.close()
