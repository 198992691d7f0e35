"""The migrated schema equals the models, and the constraints in it hold on both databases."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from db.core.engine import make_engine, read_only, unit_of_work
from db.core.events import record_event
from db.core.migrate import current_heads, upgrade_to_head
from db.core.models import Base, Order
from db.orders.lifecycle import ItemSpec, create_order
from db.people.sites import create_site


def test_migrations_produce_the_models_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade_to_head(engine)
    assert current_heads(engine)
    assert "orders" in inspect(engine).get_table_names()


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_writer_waits_for_the_lock_and_keeps_its_busy_timeout(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    holder, waiter = make_engine(url), make_engine(url)

    @event.listens_for(waiter, "connect")
    def _short_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 300")

    try:
        with holder.connect() as held:
            held.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            held.commit()
            # The lock freed while the writer waits: it gets it.
            with held.begin():
                held.exec_driver_sql("INSERT INTO t VALUES (1)")
                release = threading.Timer(0.1, held.commit)
                release.start()
                with waiter.begin() as connection:
                    connection.exec_driver_sql("INSERT INTO t VALUES (2)")
                release.join()
            # Held past the writer's own busy timeout: "database is locked", as SQLite's handler would fail.
            with held.begin():
                held.exec_driver_sql("INSERT INTO t VALUES (3)")
                with pytest.raises(OperationalError, match="locked"), waiter.begin():
                    pass
        with waiter.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 300
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 3
    finally:
        holder.dispose()
        waiter.dispose()


def test_events_are_append_only(engine: Engine, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        event_id = record_event(
            session, site_id=None, actor_id=None, action="test", entity="test", entity_id=None, now=now
        )
    scrub = "UPDATE events SET before = NULL, after = NULL, scrubbed_at = :now"
    moment = now.replace(tzinfo=None)
    refused = (
        "UPDATE events SET action = 'changed' WHERE id = :id",
        "DELETE FROM events WHERE id = :id",
        # Before/after changed without saying it is a scrub.
        "UPDATE events SET after = NULL WHERE id = :id",
        # A scrub that also changes who, when, what or on what.
        f"{scrub}, action = 'changed' WHERE id = :id",
        f"{scrub}, actor_id = 1 WHERE id = :id",
        f"{scrub}, site_id = 1 WHERE id = :id",
        f"{scrub}, entity_id = 1 WHERE id = :id",
        f"{scrub}, entity = 'other' WHERE id = :id",
        f"{scrub}, happened_at = :later WHERE id = :id",
    )
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(
                text(statement), {"id": event_id, "now": moment, "later": moment + dt.timedelta(hours=1)}
            )
    # The one change allowed (db.privacy.retention): before/after emptied once, marked with its moment.
    with engine.begin() as connection:
        connection.execute(text(f"{scrub} WHERE id = :id"), {"id": event_id, "now": moment})
    # Once: a scrubbed row is evidence again.
    for statement in (f"{scrub} WHERE id = :id", "UPDATE events SET scrubbed_at = NULL WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement), {"id": event_id, "now": moment})


def _order(session, site_id: int, *, number: str, code: str, now: dt.datetime) -> Order:
    return create_order(
        session,
        site_id=site_id,
        platform="多多买菜",
        order_number=number,
        pickup_code=code,
        resident_name="李四",
        phone="13800138000",
        delivery_date=now.date(),
        items=[ItemSpec("大米", 1, "ambient")],
        now=now,
    )


def test_pickup_code_unique_among_open_orders_only(engine: Engine, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        site = create_site(session, code="T1", name="测试点", now=now)
        first = _order(session, site.id, number="A1", code="1111", now=now)
        site_id, first_id = site.id, first.id
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO orders (site_id, platform, order_number, pickup_code, resident_name, phone, phone_tail,"
                " address, delivery_date, storage_class, status, created_at)"
                " VALUES (:s, 'x', 'A2', '1111', 'n', '13800138000', '8000', '', :d, 'ambient', 'expected', :t)"
            ),
            {"s": site_id, "d": now.date(), "t": now.replace(tzinfo=None)},
        )
    with engine.begin() as connection:
        connection.execute(text("UPDATE orders SET status = 'returned' WHERE id = :id"), {"id": first_id})
    with unit_of_work(engine) as session:
        _order(session, site_id, number="A2", code="1111", now=now)


def test_check_constraints_refuse_bad_rows(engine: Engine, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        site = create_site(session, code="T1", name="测试点", now=now)
        order = _order(session, site.id, number="A1", code="1111", now=now)
        order_id, site_id = order.id, site.id
    bad_statements = [
        ("UPDATE orders SET status = 'lost' WHERE id = :id", {"id": order_id}),
        ("UPDATE items SET quantity = 0 WHERE order_id = :id", {"id": order_id}),
        ("UPDATE items SET storage_class = 'warm' WHERE order_id = :id", {"id": order_id}),
        ("UPDATE orders SET status = 'problem' WHERE id = :id", {"id": order_id}),
        ("UPDATE site_rules SET hold_days = 0 WHERE site_id = :id", {"id": site_id}),
        ("UPDATE orders SET site_id = 999 WHERE id = :id", {"id": order_id}),
    ]
    for statement, params in bad_statements:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement), params)


def test_desk_search_indexes_exist(engine: Engine) -> None:
    indexed = [tuple(index["column_names"]) for index in inspect(engine).get_indexes("orders")]
    for columns in [
        ("site_id", "pickup_code"),
        ("site_id", "phone_tail"),
        ("site_id", "status"),
        ("site_id", "delivery_date"),
        ("site_id", "status", "delivery_date"),
    ]:
        # An index whose leading columns are these serves the search.
        assert any(index[: len(columns)] == columns for index in indexed), columns


def test_a_reader_never_blocks_a_writer_on_sqlite(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade_to_head(engine)
    with read_only(engine) as reader:
        assert reader.scalar(text("SELECT count(*) FROM sites")) == 0
        with unit_of_work(engine) as writer:
            create_site(writer, code="T1", name="测试点", now=dt.datetime.now(dt.UTC))
    with read_only(engine) as reader:
        assert reader.scalar(text("SELECT count(*) FROM sites")) == 1


def test_migration_history_has_one_head() -> None:
    """Parallel branches of the schema must be joined by a merge revision before they land together."""
    from alembic.script import ScriptDirectory

    from db.core.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config(make_engine("sqlite://"))).get_heads()) == 1
