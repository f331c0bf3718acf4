"""hot reads: index the indexless lookups the bot's busiest reads make

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every school-year calendar read (each diary, day and report view) looks the year's days
    # off up; without it the whole table (every school, every year) is scanned.
    op.create_index("ix_days_off_year", "days_off", ["school_year_id", "starts_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_days_off_year", table_name="days_off")
