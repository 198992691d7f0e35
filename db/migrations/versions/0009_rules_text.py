"""The site's written rules as text (《买菜点管理细则》), shown to residents beside the numbers the app enforces.

The downgrade drops the column (the text is lost with it; the numbers stay).

Revision ID: 0009_rules_text
Revises: 0008_desk_lookups
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_rules_text"
down_revision: str | Sequence[str] | None = "0008_desk_lookups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site_rules") as batch:
        batch.add_column(sa.Column("rules_text", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("site_rules") as batch:
        batch.drop_column("rules_text")
