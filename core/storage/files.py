"""Owns the stored files (attachments, photos of notes, documents): bytes, size and SHA-256.

One place writes ``files`` rows for every feature (news, mail, broadcasts, homework, absence
notes, report cards); the features keep only the links from their own rows to a file id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage import tables as t


class SqlFiles:
    """Implements core.ports.FilesRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self,
        *,
        school_id: int | None,
        filename: str,
        mime_type: str,
        content: bytes,
        created_by: int | None,
        now: datetime,
        reuse: bool = False,
    ) -> int:
        """Store the bytes with their size and SHA-256; the new row's id.

        With ``reuse``, the same bytes stored before for the school give that earlier id (a
        document issued twice is kept once).
        """
        digest = hashlib.sha256(content).hexdigest()
        f = t.StoredFile
        if reuse:
            found = await self._s.scalar(
                select(f.id)
                .where(f.school_id == school_id, f.sha256 == digest, f.size == len(content))
                .order_by(f.id)
                .limit(1)
            )
            if found is not None:
                return int(found)
        row = f(
            school_id=school_id,
            filename=filename,
            mime_type=mime_type,
            size=len(content),
            sha256=digest,
            content=content,
            created_by=created_by,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return int(row.id)
