"""The desk's lookups become index seeks: pickup codes stored normalized, indexes of the waiting bags.

- orders.pickup_code is normalized as the desk compares it — NFKC, whitespace dropped, upper case — so searches
  compare with `=` instead of `upper(pickup_code)`, which no index serves. Upper case and plain spaces are done in
  SQL; codes with any character outside printable ASCII (full-width letters and digits, ideographic spaces, tabs)
  are normalized in Python, in batches, by the same rule as `db.orders.lifecycle.normalize_pickup_code` (copied
  here: a migration must not change when that function does).
- Before anything is written, the open orders' codes are normalized in memory: two open bags of one site whose
  codes differ only in case or width would break the unique "pickup code among open orders" index. The desk
  already treated them as one code; which bag a resident meant cannot be guessed, so the upgrade stops and names
  them (hand one over, return it or correct it with the previous version, then upgrade again).
- ix_orders_waiting_pickup_code and ix_orders_waiting_phone_tail: (site, code) and (site, phone tail) of expected,
  received and shelved bags only — a `problem` bag never closes and would grow these forever.
- SQLite gets fresh statistics (ANALYZE, bounded by analysis_limit) so the planner knows the new indexes' shape.

The downgrade drops the two indexes; codes stay normalized (the old code compared them in upper case anyway).

Revision ID: 0008_desk_lookups
Revises: 0007_sessions
Create Date: 2026-11-29
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_desk_lookups"
down_revision: str | Sequence[str] | None = "0007_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("status IN ('expected', 'received', 'shelved')")
OPEN = "status IN ('expected', 'received', 'shelved', 'problem')"
CODE_LENGTH = 20
BATCH = 1000


def _normalized(code: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code)).upper()


def upgrade() -> None:
    connection = op.get_bind()
    _refuse_open_code_collisions(connection)
    # Plain ASCII: upper case and spaces in one statement.
    connection.execute(
        sa.text(
            "UPDATE orders SET pickup_code = upper(replace(pickup_code, ' ', '')) "
            "WHERE pickup_code <> upper(replace(pickup_code, ' ', ''))"
        )
    )
    # The rest (full-width, ideographic spaces, tabs, other scripts) by the Python rule.
    outside_ascii = "pickup_code ~ '[^ -~]'" if connection.dialect.name == "postgresql" else "pickup_code GLOB '*[^ -~]*'"
    last_id = 0
    while rows := connection.execute(
        sa.text(f"SELECT id, pickup_code FROM orders WHERE id > :last AND {outside_ascii} ORDER BY id LIMIT {BATCH}"),
        {"last": last_id},
    ).all():
        last_id = rows[-1][0]
        changed = [
            {"id": order_id, "code": _normalized(code)}
            for order_id, code in rows
            # A code that NFKC would stretch past the column stays as it is (still found by its own spelling).
            if _normalized(code) != code and 0 < len(_normalized(code)) <= CODE_LENGTH
        ]
        if changed:
            connection.execute(sa.text("UPDATE orders SET pickup_code = :code WHERE id = :id"), changed)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            op.f("ix_orders_waiting_phone_tail"),
            ["site_id", "phone_tail"],
            unique=False,
            sqlite_where=WAITING,
            postgresql_where=WAITING,
        )
        batch_op.create_index(
            op.f("ix_orders_waiting_pickup_code"),
            ["site_id", "pickup_code"],
            unique=False,
            sqlite_where=WAITING,
            postgresql_where=WAITING,
        )
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
        connection.exec_driver_sql("ANALYZE")


def _refuse_open_code_collisions(connection: sa.Connection) -> None:
    holders: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for order_id, site_id, code in connection.execute(sa.text(f"SELECT id, site_id, pickup_code FROM orders WHERE {OPEN}")):
        holders[site_id, _normalized(code)].append((order_id, code))
    clashes = {key: found for key, found in holders.items() if len(found) > 1}
    if clashes:
        listed = "; ".join(
            f"site {site_id} code {code}: " + ", ".join(f"order {order_id} ({raw!r})" for order_id, raw in found)
            for (site_id, code), found in sorted(clashes.items())
        )
        raise RuntimeError(
            "open orders whose pickup codes differ only in case, width or spaces; settle one of each pair with "
            f"the previous version, then upgrade again: {listed}"
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_orders_waiting_pickup_code"), sqlite_where=WAITING, postgresql_where=WAITING)
        batch_op.drop_index(op.f("ix_orders_waiting_phone_tail"), sqlite_where=WAITING, postgresql_where=WAITING)
