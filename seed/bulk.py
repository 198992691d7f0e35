"""The bulk path: write planned orders and items with DBAPI executemany, for data at district scale."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.orm import Session

from db.core.models import Item, Order, Slot, UtcDateTime
from db.orders.lifecycle import normalize_pickup_code
from db.orders.rollups import rebuild_rollups
from seed.plan import OrderPlan

ORDER_COLUMNS = (
    "id",
    "site_id",
    "platform",
    "order_number",
    "pickup_code",
    "resident_name",
    "phone",
    "phone_tail",
    "address",
    "delivery_date",
    "storage_class",
    "status",
    "slot_id",
    "problem_reason",
    "created_at",
    "received_at",
    "shelved_at",
    "picked_up_at",
    "picked_up_by",
    "returned_at",
)
ITEM_COLUMNS = ("id", "site_id", "order_id", "product", "quantity", "storage_class")
BATCH_SIZE = 50_000
ORDERS = Order.metadata.tables[Order.__tablename__]
ITEMS = Item.metadata.tables[Item.__tablename__]


def write_plans_in_bulk(
    connection: Connection,
    *,
    plans: Iterable[OrderPlan],
    site_id: int,
    slot_ids: dict[str, int],
    volunteer_ids: list[int],
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Insert the plans' final rows, one transaction per batch; returns (orders, items) written.

    The rows equal what `seed.plan.apply_plan_through_store` leaves behind (tests/store/core/test_seed.py proves it),
    except that no events are written: the event log only ever holds what really happened through the
    store. Ids are taken after the current maximum, so run it where nothing else writes orders meanwhile
    (PostgreSQL: the tables are locked per batch and the id sequences moved past the new rows at the end).
    """
    dialect = connection.dialect
    date_value = _binder(ORDERS, "delivery_date", dialect)
    moment = _binder(ORDERS, "created_at", dialect)
    order_sql = _insert_sql(ORDERS, ORDER_COLUMNS, dialect.paramstyle)
    item_sql = _insert_sql(ITEMS, ITEM_COLUMNS, dialect.paramstyle)
    is_postgresql = dialect.name == "postgresql"
    orders_written = items_written = 0
    plans = iter(plans)
    while batch := list(itertools.islice(plans, batch_size)):
        with connection.begin():
            if is_postgresql:
                connection.exec_driver_sql("LOCK TABLE orders, items IN SHARE ROW EXCLUSIVE MODE")
            order_id: int = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM orders").scalar_one()
            item_id: int = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM items").scalar_one()
            order_rows: list[tuple[Any, ...]] = []
            item_rows: list[tuple[Any, ...]] = []
            for plan in batch:
                order_id += 1
                order_rows.append(
                    (
                        order_id,
                        site_id,
                        plan.platform,
                        plan.order_number,
                        normalize_pickup_code(plan.pickup_code),
                        plan.resident_name,
                        plan.phone,
                        plan.phone[-4:],
                        plan.address,
                        date_value(plan.delivery_date),
                        plan.storage_class,
                        plan.status,
                        slot_ids[plan.slot_code] if plan.slot_code else None,
                        plan.problem_reason,
                        moment(plan.created_at),
                        moment(plan.received_at),
                        moment(plan.shelved_at),
                        moment(plan.picked_up_at),
                        volunteer_ids[plan.picked_up_by] if plan.picked_up_by is not None else None,
                        moment(plan.returned_at),
                    )
                )
                for item in plan.items:
                    item_id += 1
                    item_rows.append((item_id, site_id, order_id, item.product, item.quantity, item.storage_class))
            if is_postgresql:
                _copy_rows(connection, table=ORDERS, columns=ORDER_COLUMNS, rows=order_rows)
                _copy_rows(connection, table=ITEMS, columns=ITEM_COLUMNS, rows=item_rows)
            else:
                connection.exec_driver_sql(order_sql, order_rows)
                connection.exec_driver_sql(item_sql, item_rows)
        orders_written += len(order_rows)
        items_written += len(item_rows)
        if progress is not None:
            progress(orders_written, items_written)
    if is_postgresql:
        with connection.begin():
            for table in ("orders", "items"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    return orders_written, items_written


def rollup_site_in_bulk(connection: Connection, *, site_id: int) -> None:
    """Count the site's orders into the rollups after a bulk load: one INSERT … SELECT … GROUP BY per table
    (`db.orders.rollups.rebuild_rollups`), in one transaction."""
    with connection.begin():
        session = Session(bind=connection)
        try:
            rebuild_rollups(session, site_id=site_id)
            session.flush()
        finally:
            session.close()


def slot_ids_by_code(session: Session, *, site_id: int) -> dict[str, int]:
    return dict(session.execute(select(Slot.code, Slot.id).where(Slot.site_id == site_id)).all())


# The tables the bulk writer fills.
BULK_TABLES = ("orders", "items")


@contextmanager
def sqlite_indexes_set_aside(engine: Engine, *, tables: tuple[str, ...]) -> Iterator[None]:
    """SQLite: drop the tables' own indexes while rows are written in bulk and build them again afterwards, from
    their stored CREATE statements (partial and unique ones alike). Building an index from sorted rows is several
    times faster than keeping a dozen indexes of random keys up to date row by row. Other databases: nothing."""
    if engine.dialect.name != "sqlite":
        yield
        return
    names = ", ".join(f"'{table}'" for table in tables)
    with engine.begin() as connection:
        indexes = connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) AND sql IS NOT NULL"
        ).all()
        for name, _sql in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with engine.connect() as connection:
            sqlite_bulk_pragmas(connection)
            try:
                with connection.begin():
                    for _name, sql in indexes:
                        connection.exec_driver_sql(sql)
            finally:
                sqlite_bulk_pragmas(connection, bulk=False)


def sqlite_bulk_pragmas(connection: Connection, *, bulk: bool = True) -> None:
    """Trade durability for speed while benchmark data is written (a crash means re-running it).

    `bulk=False` puts the usual settings back.
    """
    if connection.dialect.name != "sqlite":
        return
    pragmas = ("synchronous = OFF", "cache_size = -262144") if bulk else ("synchronous = NORMAL", "cache_size = -2000")
    # On the driver's connection, outside any transaction: SQLite refuses to change these inside one.
    driver_connection = _driver_connection(connection)
    for pragma in pragmas:
        driver_connection.execute(f"PRAGMA {pragma}")


def _copy_rows(connection: Connection, *, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY … FROM STDIN through psycopg, in the connection's open transaction: several times the rows
    per second of a batched INSERT, which is what makes ten million orders a matter of minutes."""
    cursor = _driver_connection(connection).cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _driver_connection(connection: Connection) -> Any:
    """The driver's own connection under SQLAlchemy's (sqlite3's, psycopg's): untyped, as each driver has its own."""
    driver_connection = connection.connection.driver_connection
    if driver_connection is None:  # the pool has let go of it: the connection was closed
        raise RuntimeError("the connection is closed")
    return driver_connection


def _insert_sql(table: Table, columns: tuple[str, ...], paramstyle: str) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"


def _binder(table: Table, column: str, dialect: Any) -> Callable[[Any], Any]:
    """The column type's own conversion for this database (UTC naive, SQLite's text format), None kept."""
    process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value

    def bind(value: dt.date | dt.datetime | None) -> Any:
        return None if value is None else process(value)

    if dialect.name == "sqlite" and isinstance(table.c[column].type, UtcDateTime):
        # The same text SQLAlchemy writes, made in C: a tenth of the time over millions of values.
        def fast(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        probes = (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC))
        if all(fast(probe) == bind(probe) for probe in probes):
            return fast
    return bind
