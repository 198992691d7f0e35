"""Opening hours per weekday and closed days (《买菜点管理细则》: Sundays 09:00–12:00, closed on Mondays, 春节).

- weekday_hours: a weekday whose hours differ from the site's usual `site_rules.opens_at`/`closes_at` — other hours
  or closed all day; a weekday without a row keeps the usual hours, so the upgrade changes no site's hours.
- closed_days: a date the site is closed, with a short note residents see.

The downgrade drops both tables: every day then has the usual hours again.

Revision ID: 0013_opening_hours
Revises: 0012_held_rollups
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_opening_hours"
down_revision: str | Sequence[str] | None = "0012_held_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekday_hours",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("opens_at", sa.Time(), nullable=True),
        sa.Column("closes_at", sa.Time(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_weekday_hours_weekday_range")),
        sa.CheckConstraint(
            "(closed AND opens_at IS NULL AND closes_at IS NULL)"
            " OR (NOT closed AND opens_at IS NOT NULL AND closes_at IS NOT NULL AND opens_at < closes_at)",
            name=op.f("ck_weekday_hours_hours_or_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_weekday_hours_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "weekday", name=op.f("pk_weekday_hours")),
    )
    op.create_table(
        "closed_days",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_closed_days_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_closed_days")),
    )


def downgrade() -> None:
    op.drop_table("closed_days")
    op.drop_table("weekday_hours")
