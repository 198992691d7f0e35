"""held_rollups: the bags that sat in a slot, per site, local day they left (9999-12-31 while still there), local
day they were checked in, delivery date and storage class (bags reported as a problem left out).

The stock and overdue cards and the overdue trend read these few rows per day instead of every bag delivered in
the last two months (db.reports.figures). Kept like the other rollups (db.orders.rollups). The upgrade fills the
table from the orders with one INSERT … SELECT … GROUP BY (the rules written out here: a migration must not change
when that module does); the downgrade drops it.

Revision ID: 0012_held_rollups
Revises: 0011_rollups
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_held_rollups"
down_revision: str | Sequence[str] | None = "0011_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _local_day(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST((({column} AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai') AS DATE)"
    return f"date({column}, '+8 hours')"


def upgrade() -> None:
    op.create_table(
        "held_rollups",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("left_day", sa.Date(), nullable=False),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("storage_class", sa.String(length=10), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bags", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_held_rollups_site_id_sites")),
        sa.PrimaryKeyConstraint(
            "site_id", "left_day", "received_day", "delivery_date", "storage_class", "shard", name=op.f("pk_held_rollups")
        ),
    )
    connection = op.get_bind()
    dialect = connection.dialect.name
    still_held = "DATE '9999-12-31'" if dialect == "postgresql" else "'9999-12-31'"
    left_at = "coalesce(picked_up_at, returned_at)"
    left_day = f"CASE WHEN {left_at} IS NULL THEN {still_held} ELSE {_local_day(left_at, dialect)} END"
    received_day = _local_day("received_at", dialect)
    connection.exec_driver_sql(
        "INSERT INTO held_rollups (site_id, left_day, received_day, delivery_date, storage_class, shard, bags) "
        f"SELECT site_id, {left_day}, {received_day}, delivery_date, storage_class, 0, count(*) FROM orders "
        "WHERE received_at IS NOT NULL AND status <> 'problem' "
        f"GROUP BY site_id, {left_day}, {received_day}, delivery_date, storage_class"
    )


def downgrade() -> None:
    op.drop_table("held_rollups")
