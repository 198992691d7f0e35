"""Rate limits: failed order-status lookups per client and per pickup code, as keyed hashes.

Revision ID: 0002_rate_limits
Revises: 0001
Create Date: 2026-11-25 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_rate_limits"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lookup_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("scope IN ('client', 'code')", name=op.f("ck_lookup_attempts_scope_known")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_lookup_attempts_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_attempts")),
    )
    op.create_index(
        "ix_lookup_attempts_scope_key", "lookup_attempts", ["scope", "key_hash", "attempted_at"], unique=False
    )
    op.create_index("ix_lookup_attempts_attempted_at", "lookup_attempts", ["attempted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_lookup_attempts_attempted_at", table_name="lookup_attempts")
    op.drop_index("ix_lookup_attempts_scope_key", table_name="lookup_attempts")
    op.drop_table("lookup_attempts")
