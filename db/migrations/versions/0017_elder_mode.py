"""长辈模式 and the voice at the counter: a counter tablet keeps elder mode for its sign-in screen and its voice
settings (on, off or as elder mode says; a volume); a volunteer keeps elder mode for their screens once signed in.

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


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elder_mode', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('voice_on', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('voice_volume', sa.Integer(), server_default='80', nullable=False))
        batch_op.create_check_constraint("voice_volume_range", "voice_volume BETWEEN 0 AND 100")

    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elder_mode', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_column('elder_mode')

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_devices_voice_volume_range"), type_="check")
        batch_op.drop_column('voice_volume')
        batch_op.drop_column('voice_on')
        batch_op.drop_column('elder_mode')

