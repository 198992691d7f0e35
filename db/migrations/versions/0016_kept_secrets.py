"""Secrets the app makes for itself that must survive a restore (kept_secrets, in every backup, unlike the transient
app_secrets): the key of the SMS opt-outs' keyed hashes, without which a restored store would forget who asked for
no more SMS (db/outbox/opt_outs.py, docs/security.md).

Revision ID: 0016_kept_secrets
Revises: 0015_outbox
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_kept_secrets"
down_revision: str | Sequence[str] | None = "0015_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_secrets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_kept_secrets")),
    )


def downgrade() -> None:
    op.drop_table("kept_secrets")
