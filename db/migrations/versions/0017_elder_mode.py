"""长辈模式 and the voice at the counter: a counter tablet keeps elder mode for its sign-in screen and its voice
settings (on, off or as elder mode says; a volume); a volunteer keeps elder mode for their screens once signed in.

Plain ADD/DROP COLUMN on SQLite, never batch mode's copy of the table: volunteers and devices are tables others point
at, and dropping the old copy of one runs their foreign keys' actions (login_sessions.device_id would be set NULL) or
is refused (assignments point at volunteers). So on SQLite the volume's check goes with its column.

Revision ID: 0017_elder_mode
Revises: 0016_kept_secrets
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_elder_mode"
down_revision: str | Sequence[str] | None = "0016_kept_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VOLUME_CHECK = "voice_volume BETWEEN 0 AND 100"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.add_column("devices", sa.Column("elder_mode", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("devices", sa.Column("voice_on", sa.Boolean(), nullable=True))
    if _sqlite():
        op.execute(
            "ALTER TABLE devices ADD COLUMN voice_volume INTEGER DEFAULT 80 NOT NULL"
            f" CONSTRAINT ck_devices_voice_volume_range CHECK ({VOLUME_CHECK})"
        )
    else:
        op.add_column("devices", sa.Column("voice_volume", sa.Integer(), server_default="80", nullable=False))
        op.create_check_constraint(op.f("ck_devices_voice_volume_range"), "devices", VOLUME_CHECK)
    op.add_column("volunteers", sa.Column("elder_mode", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    if _sqlite():
        for table, column in (
            ("volunteers", "elder_mode"),
            ("devices", "voice_volume"),
            ("devices", "voice_on"),
            ("devices", "elder_mode"),
        ):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    op.drop_column("volunteers", "elder_mode")
    op.drop_constraint(op.f("ck_devices_voice_volume_range"), "devices", type_="check")
    op.drop_column("devices", "voice_volume")
    op.drop_column("devices", "voice_on")
    op.drop_column("devices", "elder_mode")
