"""The day rollups keep the longest dwell of their handovers (`day_rollups.dwell_max_ms`, milliseconds from check-in
to handover, 0 without one), so the reports' dwell chart reads its longest per storage class from the rollups, as
its counts and sums, instead of every handover of its 28 days from the orders' (site, picked-up time) index (10,438
index entries at 1M orders a site-window against 1,278 with 5 days of history).

Plain ADD COLUMN on SQLite, never batch mode's copy of the table (see 0017_elder_mode). The backfill takes each
(site, local day of the handover, platform, storage class)'s longest from the orders in one grouped read and sets it
on every shard of that row (the rules of db.orders.rollups, written out here: a migration must not change when that
module does).

Revision ID: 0019_longest_dwell
Revises: 0018_privacy
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_longest_dwell"
down_revision: str | Sequence[str] | None = "0018_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _longest_per_day(dialect: str) -> str:
    if dialect == "postgresql":
        day = "CAST(((picked_up_at AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai') AS DATE)"
        dwell = "CAST(round(EXTRACT(EPOCH FROM (picked_up_at - received_at)) * 1000) AS BIGINT)"
    else:
        day = "date(picked_up_at, '+8 hours')"
        dwell = "CAST(round((julianday(picked_up_at) - julianday(received_at)) * 86400000.0) AS INTEGER)"
    return (
        f"SELECT site_id, {day} AS day, platform, storage_class, max({dwell}) AS longest FROM orders "
        f"WHERE picked_up_at IS NOT NULL AND received_at IS NOT NULL GROUP BY site_id, {day}, platform, storage_class"
    )


def upgrade() -> None:
    op.add_column("day_rollups", sa.Column("dwell_max_ms", sa.BigInteger(), server_default="0", nullable=False))
    connection = op.get_bind()
    connection.exec_driver_sql(
        "UPDATE day_rollups SET dwell_max_ms = longest.longest "
        f"FROM ({_longest_per_day(connection.dialect.name)}) AS longest "
        "WHERE day_rollups.site_id = longest.site_id AND day_rollups.day = longest.day "
        "AND day_rollups.platform = longest.platform AND day_rollups.storage_class = longest.storage_class"
    )


def downgrade() -> None:
    op.drop_column("day_rollups", "dwell_max_ms")
