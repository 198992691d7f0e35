"""Privacy under PIPL (docs/privacy.md): a site's retention rule for residents' personal data and whom residents
ask about it; a bag's random household id and when it was anonymised, with an index of the bags still naming their
resident; the event log's one allowed change (a scrub of before/after, once) and the outbox's scrubbed messages;
the records of who looked at personal data beyond the masked default.

The event log's triggers still refuse every DELETE and every UPDATE but one that sets `scrubbed_at` on a row that
had none and leaves who, when, what and on what as they were.

Plain ADD/DROP COLUMN on SQLite, never batch mode's copy of the table (see 0017_elder_mode): orders and messages are
tables others point at.

Revision ID: 0018_privacy
Revises: 0017_elder_mode
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0018_privacy"
down_revision: str | Sequence[str] | None = "0017_elder_mode"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "events are append-only"
DAYS_CHECK = "personal_data_days BETWEEN 1 AND 365"
# An UPDATE the log lets through: the first scrub of a row, its who, when, what and on what unchanged.
_SCRUB_ONLY = (
    "OLD.scrubbed_at IS NULL AND NEW.scrubbed_at IS NOT NULL AND NEW.id = OLD.id"
    " AND NEW.site_id IS NOT DISTINCT FROM OLD.site_id AND NEW.happened_at = OLD.happened_at"
    " AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action"
    " AND NEW.entity = OLD.entity AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id"
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        op.execute(
            "ALTER TABLE site_rules ADD COLUMN personal_data_days INTEGER DEFAULT 30 NOT NULL"
            f" CONSTRAINT ck_site_rules_personal_data_days_range CHECK ({DAYS_CHECK})"
        )
    else:
        op.add_column("site_rules", sa.Column("personal_data_days", sa.Integer(), server_default="30", nullable=False))
        op.create_check_constraint(op.f("ck_site_rules_personal_data_days_range"), "site_rules", DAYS_CHECK)
    op.add_column("site_rules", sa.Column("privacy_contact", sa.String(100), server_default="", nullable=False))

    op.add_column("orders", sa.Column("household_id", sa.String(32), nullable=True))
    op.add_column("orders", sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_orders_identifiable",
        "orders",
        ["site_id", "delivery_date"],
        sqlite_where=sa.text("anonymised_at IS NULL"),
        postgresql_where=sa.text("anonymised_at IS NULL"),
    )
    op.add_column("messages", sa.Column("scrubbed_at", sa.DateTime(), nullable=True))
    op.add_column("events", sa.Column("scrubbed_at", sa.DateTime(), nullable=True))
    _events_allow_scrub()

    op.create_table(
        "access_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.String(32), nullable=True),
        sa.Column("subject", sa.String(40), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('phone_shown', 'export_unmasked', 'resident_found', 'resident_exported',"
            " 'resident_anonymised')",
            name=op.f("ck_access_records_kind_known"),
        ),
        sa.CheckConstraint(
            "reason IN ('call', 'platform_dispute', 'resident_request', 'other')",
            name=op.f("ck_access_records_reason_known"),
        ),
        sa.CheckConstraint("row_count IS NULL OR row_count >= 0", name=op.f("ck_access_records_row_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_access_records_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_access_records_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_access_records_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_records")),
    )
    op.create_index("ix_access_records_site_happened_at", "access_records", ["site_id", "happened_at"])


def downgrade() -> None:
    op.drop_index("ix_access_records_site_happened_at", table_name="access_records")
    op.drop_table("access_records")
    _events_append_only()
    op.drop_index(
        "ix_orders_identifiable",
        table_name="orders",
        sqlite_where=sa.text("anonymised_at IS NULL"),
        postgresql_where=sa.text("anonymised_at IS NULL"),
    )
    if _sqlite():
        for table, column in (
            ("events", "scrubbed_at"),
            ("messages", "scrubbed_at"),
            ("orders", "anonymised_at"),
            ("orders", "household_id"),
            ("site_rules", "privacy_contact"),
            ("site_rules", "personal_data_days"),
        ):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    op.drop_column("events", "scrubbed_at")
    op.drop_column("messages", "scrubbed_at")
    op.drop_column("orders", "anonymised_at")
    op.drop_column("orders", "household_id")
    op.drop_column("site_rules", "privacy_contact")
    op.drop_constraint(op.f("ck_site_rules_personal_data_days_range"), "site_rules", type_="check")
    op.drop_column("site_rules", "personal_data_days")


def _events_allow_scrub() -> None:
    if not _sqlite():
        op.execute(
            "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF TG_OP = 'UPDATE' AND {_SCRUB_ONLY} THEN RETURN NEW; END IF;"
            f" RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS events_no_update")
    # SQLite has no IS NOT DISTINCT FROM; its IS compares NULLs the same way.
    condition = _SCRUB_ONLY.replace("IS NOT DISTINCT FROM", "IS")
    op.execute(
        f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NOT ({condition})"
        f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    )


def _events_append_only() -> None:
    """Back to 0001's log: every UPDATE refused."""
    if not _sqlite():
        op.execute(
            "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS events_no_update")
    op.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
        f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    )
