"""Join the rate-limit, cold-chain and reports branches into one history again.

Revision ID: 0004_join_branches
Revises: 0002_rate_limits, 0003_cold_chain, 0005_reports
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "0004_join_branches"
down_revision: str | Sequence[str] | None = ("0002_rate_limits", "0003_cold_chain", "0005_reports")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
