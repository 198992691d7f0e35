"""The outbox: every message the app sends is a row first (messages, and the bags it was about in message_orders);
the channels a site set up (site_channels) and their secrets (channel_secrets, never in a portable backup); the
kinds of message a site turned off (notification_switches); residents who asked for no more SMS (sms_opt_outs, a
keyed hash of the number); the scheduled jobs' runs (job_runs); the language a site's messages are written in.

Revision ID: 0015_outbox
Revises: 0014_dwell_index
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_outbox"
down_revision: str | Sequence[str] | None = "0014_dwell_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('runner', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_started_at'), ['started_at'], unique=False)

    op.create_table('channel_secrets',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('last_four', sa.String(length=4), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_channel_secrets_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['volunteers.id'], name=op.f('fk_channel_secrets_updated_by_volunteers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('site_id', 'channel', 'name', name=op.f('pk_channel_secrets'))
    )
    op.create_table('notification_switches',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notification_switches_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['volunteers.id'], name=op.f('fk_notification_switches_updated_by_volunteers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('site_id', 'kind', name=op.f('pk_notification_switches'))
    )
    op.create_table('site_channels',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("channel IN ('wecom', 'sms')", name=op.f('ck_site_channels_channel_known')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_channels_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['volunteers.id'], name=op.f('fk_site_channels_updated_by_volunteers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('site_id', 'channel', name=op.f('pk_site_channels'))
    )
    op.create_table('sms_opt_outs',
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by'], ['volunteers.id'], name=op.f('fk_sms_opt_outs_recorded_by_volunteers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_sms_opt_outs_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('phone_hash', name=op.f('pk_sms_opt_outs'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=True),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('provider_answer', sa.Text(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('reading_id', sa.Integer(), nullable=True),
    sa.Column('storage_unit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("audience IN ('staff', 'organizers', 'volunteer', 'resident')", name=op.f('ck_messages_audience_known')),
    sa.CheckConstraint("channel IN ('wecom', 'sms', 'copy')", name=op.f('ck_messages_channel_known')),
    sa.CheckConstraint("status IN ('due', 'sending', 'sent', 'failed', 'given_up', 'cancelled', 'unknown', 'copied')", name=op.f('ck_messages_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_messages_attempts_not_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['volunteers.id'], name=op.f('fk_messages_created_by_volunteers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reading_id'], ['temperature_readings.id'], name=op.f('fk_messages_reading_id_temperature_readings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_messages_shift_id_shifts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_messages_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['storage_unit_id'], ['storage_units.id'], name=op.f('fk_messages_storage_unit_id_storage_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_messages_volunteer_id_volunteers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_messages_idempotency_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_reading_id'), ['reading_id'], unique=False)
        batch_op.create_index('ix_messages_recipient_kind_sent_at', ['recipient', 'kind', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index('ix_messages_site_channel_sent_at', ['site_id', 'channel', 'sent_at'], unique=False)
        batch_op.create_index('ix_messages_site_due_at', ['site_id', 'due_at'], unique=False)
        batch_op.create_index('ix_messages_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('message_orders',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_orders_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_message_orders_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'order_id', name=op.f('pk_message_orders'))
    )
    with op.batch_alter_table('message_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_orders_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('site_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='zh-CN', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('site_rules', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('message_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_orders_order_id'))

    op.drop_table('message_orders')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_due_at')
        batch_op.drop_index('ix_messages_site_due_at')
        batch_op.drop_index('ix_messages_site_channel_sent_at')
        batch_op.drop_index(batch_op.f('ix_messages_shift_id'))
        batch_op.drop_index('ix_messages_recipient_kind_sent_at')
        batch_op.drop_index(batch_op.f('ix_messages_reading_id'))

    op.drop_table('messages')
    op.drop_table('sms_opt_outs')
    op.drop_table('site_channels')
    op.drop_table('notification_switches')
    op.drop_table('channel_secrets')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_started_at'))

    op.drop_table('job_runs')
