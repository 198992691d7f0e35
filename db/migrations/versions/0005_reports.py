"""Reports: an index on (site_id, picked_up_at), so pickup volumes read only their date range.

Revision ID: 0005_reports
Revises: 0001
Create Date: 2026-11-25 22:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_reports"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain CREATE INDEX on both databases: batch mode would copy the whole orders table on SQLite.
def upgrade() -> None:
    op.create_index("ix_orders_site_picked_up_at", "orders", ["site_id", "picked_up_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_site_picked_up_at", table_name="orders")
