"""Sign-ins that survive a reload, known devices, secrets made on first start; throttling instead of lockouts.

- login_sessions: a random token in the browser's cookie, its SHA-256 here; sliding expiry.
- devices: counter tablets an organizer enrolled, and browsers remembered at sign-in.
- app_secrets: the lookup hash key, generated on first start instead of a default in the code.
- accounts lose failed_attempts/locked_until: a lock refused the owner too; tries are now throttled per client.
- lookup_attempts counts sign-in tries as well, under new scopes.

Revision ID: 0007_sessions
Revises: 0006_overdue_index
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_sessions"
down_revision: str | Sequence[str] | None = "0006_overdue_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_secrets',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_app_secrets'))
    )
    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(kind = 'browser') = (volunteer_id IS NOT NULL)", name=op.f('ck_devices_browser_has_owner')),
    sa.CheckConstraint("kind IN ('tablet', 'browser')", name=op.f('ck_devices_kind_known')),
    sa.ForeignKeyConstraint(['created_by'], ['volunteers.id'], name=op.f('fk_devices_created_by_volunteers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_devices_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_devices_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_site_id'), ['site_id'], unique=False)

    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('idle_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL) AND (end_reason IS NULL OR end_reason IN ('signed_out', 'idle', 'secret_changed', 'ended_by_organizer', 'device_revoked', 'role_removed'))", name=op.f('ck_login_sessions_ended_with_reason')),
    sa.CheckConstraint("audience IN ('volunteer', 'organizer')", name=op.f('ck_login_sessions_audience_known')),
    sa.CheckConstraint('idle_minutes > 0', name=op.f('ck_login_sessions_idle_minutes_positive')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_login_sessions_device_id_devices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_login_sessions_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_login_sessions_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_volunteer_id'), ['volunteer_id'], unique=False)

    # Lockouts are gone: failed tries are throttled per client in lookup_attempts (db/people/throttling.py).
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_failed_attempts_positive'), type_='check')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_attempts')

    with op.batch_alter_table('lookup_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_lookup_attempts_scope_known'), type_='check')
        batch_op.alter_column('scope',
               existing_type=sa.VARCHAR(length=10),
               type_=sa.String(length=20),
               existing_nullable=False)
        batch_op.create_check_constraint(
            'scope_known', "scope IN ('client', 'code', 'code_client', 'account', 'account_client')"
        )


def downgrade() -> None:
    with op.batch_alter_table("lookup_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_lookup_attempts_scope_known"), type_="check")
    op.execute("DELETE FROM lookup_attempts WHERE scope NOT IN ('client', 'code')")
    with op.batch_alter_table("lookup_attempts", schema=None) as batch_op:
        batch_op.alter_column("scope", existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.create_check_constraint("scope_known", "scope IN ('client', 'code')")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint("failed_attempts_positive", "failed_attempts >= 0")
    op.drop_table("login_sessions")
    op.drop_table("devices")
    op.drop_table("app_secrets")
