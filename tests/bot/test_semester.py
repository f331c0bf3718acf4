"""Which dates "this semester" covers on the marks and absences screens."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.semester import Semester, current_semester

RIGA = ZoneInfo("Europe/Riga")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 27, 8, tzinfo=UTC), Semester(1, date(2026, 9, 1), date(2026, 11, 27))),
        # Late evening UTC is already the next day in Riga.
        (
            datetime(2026, 11, 27, 23, tzinfo=UTC),
            Semester(1, date(2026, 9, 1), date(2026, 11, 28)),
        ),
        # Winter holidays: the first semester, up to its last day.
        (datetime(2026, 12, 30, 8, tzinfo=UTC), Semester(1, date(2026, 9, 1), date(2026, 12, 18))),
        (datetime(2027, 2, 10, 8, tzinfo=UTC), Semester(2, date(2027, 1, 4), date(2027, 2, 10))),
        # Summer: the second semester of the year that just ended.
        (datetime(2027, 7, 15, 8, tzinfo=UTC), Semester(2, date(2027, 1, 4), date(2027, 6, 18))),
    ],
)
def test_current_semester(now: datetime, expected: Semester) -> None:
    assert current_semester(now, RIGA) == expected


def test_before_the_first_school_day() -> None:
    # 1 September 2024 was a Sunday: school started on Monday the 2nd.
    now = datetime(2024, 9, 1, 8, tzinfo=UTC)
    assert current_semester(now, RIGA) == Semester(1, date(2024, 9, 1), date(2024, 9, 1))
