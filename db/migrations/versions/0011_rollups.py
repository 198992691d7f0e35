"""Daily and hourly rollups of the orders, for report figures that read a bounded range of rows.

- delivery_rollups: per site, delivery date, platform and storage class — orders, checked in, shelved (or handed
  over), handed over, returned, problems, and handed over within 24 h / 48 h of check-in.
- day_rollups: per site, local (Asia/Shanghai) day of the event, platform and storage class — check-ins, handovers,
  returns, and the handovers' count and summed milliseconds from check-in.
- hour_rollups: per site, local day and hour of the event — check-ins, handovers, returns.
- ix_orders_site_received_at: the handover-speed figure reads the bags checked in during the last 48 hours.
- SQLite gets fresh statistics (ANALYZE, bounded by analysis_limit) so the planner knows the new index's shape.

Each key's counts may be split over a few shards (db.orders.rollups: a PostgreSQL writer never waits for another's
open transaction); the backfill writes shard 0. The upgrade fills the tables from the orders with one
INSERT … SELECT … GROUP BY each (the rules of
db.orders.rollups, written out here: a migration must not change when that module does). The downgrade drops them
and the index; nothing else depends on them.

Revision ID: 0011_rollups
Revises: 0010_class_hold_days
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_rollups"
down_revision: str | Sequence[str] | None = "0010_class_hold_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _local(column: str, part: str, dialect: str) -> str:
    if dialect == "postgresql":
        local = f"(({column} AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai')"
        return f"CAST({local} AS DATE)" if part == "day" else f"CAST(EXTRACT(HOUR FROM {local}) AS INTEGER)"
    if part == "day":
        return f"date({column}, '+8 hours')"
    return f"CAST(strftime('%H', {column}, '+8 hours') AS INTEGER)"


def _dwell_ms(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(round(EXTRACT(EPOCH FROM (picked_up_at - received_at)) * 1000) AS BIGINT)"
    return "CAST(round((julianday(picked_up_at) - julianday(received_at)) * 86400000.0) AS INTEGER)"


def upgrade() -> None:
    op.create_table(
        "delivery_rollups",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=30), nullable=False),
        sa.Column("storage_class", sa.String(length=10), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        *_counts("orders", "received", "shelved", "picked_up", "returned", "problems", "picked_up_24h", "picked_up_48h"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_delivery_rollups_site_id_sites")),
        sa.PrimaryKeyConstraint(
            "site_id", "delivery_date", "platform", "storage_class", "shard", name=op.f("pk_delivery_rollups")
        ),
    )
    op.create_table(
        "day_rollups",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=30), nullable=False),
        sa.Column("storage_class", sa.String(length=10), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        *_counts("received", "picked_up", "returned", "dwell_count"),
        sa.Column("dwell_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_day_rollups_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "day", "platform", "storage_class", "shard", name=op.f("pk_day_rollups")),
    )
    op.create_table(
        "hour_rollups",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        *_counts("received", "picked_up", "returned"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_hour_rollups_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "day", "hour", "shard", name=op.f("pk_hour_rollups")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_orders_site_received_at"), ["site_id", "received_at"], unique=False)
    connection = op.get_bind()
    _backfill(connection)
    if connection.dialect.name == "sqlite":
        # Statistics for the new index and tables: without them SQLite may take (site, received_at) for any query
        # that names received_at, and walk a site's whole history.
        connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
        connection.exec_driver_sql("ANALYZE")


def _backfill(connection: sa.Connection) -> None:
    dialect = connection.dialect.name
    dwell = _dwell_ms(dialect)
    within = ", ".join(
        f"sum(CASE WHEN received_at IS NOT NULL AND picked_up_at IS NOT NULL AND {dwell} <= {hours * 3_600_000} "
        "THEN 1 ELSE 0 END)"
        for hours in (24, 48)
    )
    connection.exec_driver_sql(
        "INSERT INTO delivery_rollups (site_id, delivery_date, platform, storage_class, shard, orders, received, "
        "shelved, picked_up, returned, problems, picked_up_24h, picked_up_48h) "
        "SELECT site_id, delivery_date, platform, storage_class, 0, count(*), "
        "sum(CASE WHEN received_at IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN shelved_at IS NOT NULL OR picked_up_at IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN picked_up_at IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN returned_at IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'problem' THEN 1 ELSE 0 END), "
        f"{within} FROM orders GROUP BY site_id, delivery_date, platform, storage_class"
    )

    def events(column: str, counts: str) -> str:
        return (
            f"SELECT site_id, {_local(column, 'day', dialect)} AS day, {_local(column, 'hour', dialect)} AS hour, "
            f"platform, storage_class, {counts} FROM orders WHERE {column} IS NOT NULL"
        )

    parts = " UNION ALL ".join(
        (
            events("received_at", "1 AS received, 0 AS picked_up, 0 AS returned, 0 AS dwell_count, 0 AS dwell_ms"),
            events(
                "picked_up_at",
                "0, 1, 0, CASE WHEN received_at IS NOT NULL THEN 1 ELSE 0 END, "
                f"CAST(coalesce({dwell}, 0) AS BIGINT)",
            ),
            events("returned_at", "0, 0, 1, 0, 0"),
        )
    )
    events_counted = ("received", "picked_up", "returned")
    for table, keys, counts in (
        ("day_rollups", "site_id, day, platform, storage_class", (*events_counted, "dwell_count", "dwell_ms")),
        ("hour_rollups", "site_id, day, hour", events_counted),
    ):
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({keys}, shard, {', '.join(counts)}) "
            f"SELECT {keys}, 0, {', '.join(f'sum({name})' for name in counts)} FROM ({parts}) AS events GROUP BY {keys}"
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_orders_site_received_at"))
    op.drop_table("hour_rollups")
    op.drop_table("day_rollups")
    op.drop_table("delivery_rollups")
