"""Hold days per storage class: chilled and frozen bags may be held fewer days than ambient ones.

`site_rules.hold_days` stays the ambient (and longest) hold; `chilled_hold_days` and `frozen_hold_days` start equal
to it, so nothing becomes overdue sooner by the upgrade. The downgrade drops them (the site's hold is then
`hold_days` for every bag again).

Revision ID: 0010_class_hold_days
Revises: 0009_rules_text
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_class_hold_days"
down_revision: str | Sequence[str] | None = "0009_rules_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site_rules") as batch:
        batch.add_column(sa.Column("chilled_hold_days", sa.Integer(), nullable=False, server_default="3"))
        batch.add_column(sa.Column("frozen_hold_days", sa.Integer(), nullable=False, server_default="3"))
    op.execute("UPDATE site_rules SET chilled_hold_days = hold_days, frozen_hold_days = hold_days")
    with op.batch_alter_table("site_rules") as batch:
        batch.create_check_constraint(
            "class_hold_days_range",
            "chilled_hold_days BETWEEN 1 AND hold_days AND frozen_hold_days BETWEEN 1 AND hold_days",
        )


def downgrade() -> None:
    with op.batch_alter_table("site_rules") as batch:
        batch.drop_constraint(op.f("ck_site_rules_class_hold_days_range"), type_="check")
        batch.drop_column("frozen_hold_days")
        batch.drop_column("chilled_hold_days")
