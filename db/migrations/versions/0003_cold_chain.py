"""Cold chain: an organizer's check of each bag that sat in a unit during a temperature excursion.

Revision ID: 0003_cold_chain
Revises: 0001
Create Date: 2026-11-25 21:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_cold_chain"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "excursion_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("storage_unit_id", sa.Integer(), nullable=False),
        sa.Column("reading_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('checked_ok', 'discarded', 'resident_informed')",
            name=op.f("ck_excursion_checks_outcome_known"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_excursion_checks_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["reading_id"], ["temperature_readings.id"],
            name=op.f("fk_excursion_checks_reading_id_temperature_readings"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_excursion_checks_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["storage_unit_id"], ["storage_units.id"], name=op.f("fk_excursion_checks_storage_unit_id_storage_units")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_excursion_checks_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excursion_checks")),
    )
    with op.batch_alter_table("excursion_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_excursion_checks_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_excursion_checks_reading_id"), ["reading_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("excursion_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excursion_checks_reading_id"))
        batch_op.drop_index(batch_op.f("ix_excursion_checks_order_id"))
    op.drop_table("excursion_checks")
