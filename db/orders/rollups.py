"""Daily and hourly rollups of the orders: the counts the report figures read instead of grouping the orders.

An order adds to two rollup rows (docs/schema.md, "Rollups"): its delivery day's row in `delivery_rollups` and, for
each of its check-in, handover and return, the row of that local day and hour in `hour_rollups`. Every writer of an
order's status or times passes the order's facts before and after to `move_in_rollups` in the same transaction, which
adds the difference with one upsert per table; `rebuild_rollups` recomputes them from the orders (the same rules,
in SQL) after a bulk load, or to repair.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from db.core.clock import to_local
from db.core.local_time import local_day, local_hour
from db.core.models import DeliveryRollup, HourRollup, Order

# The handover-speed windows: a bag counts as handed over within N hours of its check-in.
SPEED_WINDOWS_HOURS = (24, 48)
MS_PER_HOUR = 3_600_000
DELIVERY_COUNTS = (
    "orders",
    "received",
    "shelved",
    "picked_up",
    "returned",
    "problems",
    "picked_up_24h",
    "picked_up_48h",
)
HOUR_COUNTS = ("received", "picked_up", "returned", "dwell_count", "dwell_ms")
DELIVERY_KEYS = ("site_id", "delivery_date", "platform", "storage_class")
HOUR_KEYS = ("site_id", "day", "hour", "platform", "storage_class")
# The order columns a rollup depends on: a change to any other column leaves the rollups as they are.
FACT_COLUMNS = (
    "site_id",
    "platform",
    "storage_class",
    "delivery_date",
    "status",
    "received_at",
    "shelved_at",
    "picked_up_at",
    "returned_at",
)


@dataclass(frozen=True)
class OrderFacts:
    """What the rollups know of one order."""

    site_id: int
    platform: str
    storage_class: str
    delivery_date: dt.date
    status: str
    received_at: dt.datetime | None = None
    shelved_at: dt.datetime | None = None
    picked_up_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None

    def changed(self, values: Mapping[str, Any]) -> OrderFacts:
        """These facts after an UPDATE that set `values` (columns the rollups ignore are left out)."""
        return replace(self, **{name: value for name, value in values.items() if name in FACT_COLUMNS})


def facts_of(row: Any) -> OrderFacts:
    """The facts of an Order (or of a row with the same attribute names)."""
    return OrderFacts(**{name: getattr(row, name) for name in FACT_COLUMNS})


def dwell_ms(received_at: dt.datetime, picked_up_at: dt.datetime) -> int:
    """Milliseconds from check-in to handover: the unit of the dwell sums and the speed windows (rounded as
    `dwell_ms_sql` rounds)."""
    return int(round((picked_up_at - received_at) / dt.timedelta(milliseconds=1)))


DeliveryKey = tuple[int, dt.date, str, str]
HourKey = tuple[int, dt.date, int, str, str]


def _counts(facts: OrderFacts) -> tuple[dict[DeliveryKey, Counter[str]], dict[HourKey, Counter[str]]]:
    """The rollup rows one order adds to, and by how much."""
    delivery: Counter[str] = Counter(orders=1)
    hours: dict[HourKey, Counter[str]] = {}

    def at(moment: dt.datetime) -> Counter[str]:
        local = to_local(moment)
        key = (facts.site_id, local.date(), local.hour, facts.platform, facts.storage_class)
        return hours.setdefault(key, Counter())

    if facts.received_at is not None:
        delivery["received"] += 1
        at(facts.received_at)["received"] += 1
    if facts.shelved_at is not None or facts.picked_up_at is not None:
        delivery["shelved"] += 1
    if facts.picked_up_at is not None:
        delivery["picked_up"] += 1
        at(facts.picked_up_at)["picked_up"] += 1
        if facts.received_at is not None:
            waited = dwell_ms(facts.received_at, facts.picked_up_at)
            for window in SPEED_WINDOWS_HOURS:
                if waited <= window * MS_PER_HOUR:
                    delivery[f"picked_up_{window}h"] += 1
            at(facts.picked_up_at).update(dwell_count=1, dwell_ms=waited)
    if facts.returned_at is not None:
        delivery["returned"] += 1
        at(facts.returned_at)["returned"] += 1
    if facts.status == "problem":
        delivery["problems"] += 1
    key = (facts.site_id, facts.delivery_date, facts.platform, facts.storage_class)
    return {key: delivery}, hours


def move_in_rollups(session: Session, *, before: OrderFacts | None, after: OrderFacts | None) -> None:
    """Add one order's change to the rollups: its rows as `after` minus its rows as `before` (None: the order did
    not exist, or is gone). Call it in the transaction of the change, after the change has won its guarded
    UPDATE."""
    deltas: tuple[dict[Any, Counter[str]], dict[Any, Counter[str]]] = ({}, {})
    for facts, sign in ((before, -1), (after, 1)):
        if facts is None:
            continue
        counted_rows: tuple[dict[Any, Counter[str]], ...] = _counts(facts)
        for delta, counted in zip(deltas, counted_rows, strict=True):
            for key, counts in counted.items():
                total = delta.setdefault(key, Counter())
                for name, number in counts.items():
                    total[name] += sign * number
    _add(session, table=DeliveryRollup, keys=DELIVERY_KEYS, deltas=deltas[0])
    _add(session, table=HourRollup, keys=HOUR_KEYS, deltas=deltas[1])


def add_new_orders(session: Session, *, orders: Iterable[OrderFacts]) -> None:
    """Count orders just written (a manifest import, a new order): one upsert per table for all of them."""
    deliveries: dict[Any, Counter[str]] = {}
    hours: dict[Any, Counter[str]] = {}
    for facts in orders:
        counted_rows: tuple[dict[Any, Counter[str]], ...] = _counts(facts)
        for delta, counted in zip((deliveries, hours), counted_rows, strict=True):
            for key, counts in counted.items():
                delta.setdefault(key, Counter()).update(counts)
    _add(session, table=DeliveryRollup, keys=DELIVERY_KEYS, deltas=deliveries)
    _add(session, table=HourRollup, keys=HOUR_KEYS, deltas=hours)


def _add(session: Session, *, table: Any, keys: tuple[str, ...], deltas: dict[Any, Counter[str]]) -> None:
    """One multi-row INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n (SQLite and PostgreSQL spell it alike)."""
    counted = DELIVERY_COUNTS if table is DeliveryRollup else HOUR_COUNTS
    rows = [
        {**dict(zip(keys, key, strict=True)), **{name: delta.get(name, 0) for name in counted}}
        for key, delta in sorted(deltas.items())
        if any(delta.values())
    ]
    if not rows:
        return
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table).values(rows)
    columns = table.__table__.c
    session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: columns[name] + statement.excluded[name] for name in counted},
        )
    )


# --- recomputed from the orders, in SQL ---


class _DwellMs(FunctionElement[Any]):
    """Milliseconds from one UTC timestamp column to another, rounded to a whole number (as `dwell_ms` does)."""

    type = BigInteger()
    inherit_cache = True


@compiles(_DwellMs, "sqlite")
def _dwell_ms_sqlite(element: _DwellMs, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(round((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"


@compiles(_DwellMs, "postgresql")
def _dwell_ms_postgresql(element: _DwellMs, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(round(EXTRACT(EPOCH FROM ({end} - {start})) * 1000) AS BIGINT)"


def dwell_ms_sql(start: Any, end: Any) -> ColumnElement[int]:
    """`dwell_ms` in SQL, for a query over orders."""
    return _DwellMs(start, end)


def _flag(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _delivery_select(*, site_id: int | None) -> Select[Any]:
    waited = dwell_ms_sql(Order.received_at, Order.picked_up_at)
    within = [
        _flag(and_(Order.received_at.is_not(None), Order.picked_up_at.is_not(None), waited <= hours * MS_PER_HOUR))
        for hours in SPEED_WINDOWS_HOURS
    ]
    query = select(
        Order.site_id,
        Order.delivery_date,
        Order.platform,
        Order.storage_class,
        func.count(),
        _flag(Order.received_at.is_not(None)),
        _flag((Order.shelved_at.is_not(None)) | (Order.picked_up_at.is_not(None))),
        _flag(Order.picked_up_at.is_not(None)),
        _flag(Order.returned_at.is_not(None)),
        _flag(Order.status == "problem"),
        *within,
    ).group_by(Order.site_id, Order.delivery_date, Order.platform, Order.storage_class)
    return query.where(Order.site_id == site_id) if site_id is not None else query


def _hour_select(*, site_id: int | None) -> Select[Any]:
    """Check-ins, handovers (with their dwell) and returns, each at its own local day and hour, then summed."""
    zero = literal_column("0", Integer)

    def events(moment: Any, *, received: Any, picked_up: Any, returned: Any, dwell: Any, dwell_ms: Any) -> Any:
        query = select(
            Order.site_id.label("site_id"),
            local_day(moment).label("day"),
            local_hour(moment).label("hour"),
            Order.platform.label("platform"),
            Order.storage_class.label("storage_class"),
            received.label("received"),
            picked_up.label("picked_up"),
            returned.label("returned"),
            dwell.label("dwell_count"),
            cast(dwell_ms, BigInteger).label("dwell_ms"),
        ).where(moment.is_not(None))
        return query.where(Order.site_id == site_id) if site_id is not None else query

    one = literal_column("1", Integer)
    has_dwell = Order.received_at.is_not(None)
    parts = union_all(
        events(Order.received_at, received=one, picked_up=zero, returned=zero, dwell=zero, dwell_ms=zero),
        events(
            Order.picked_up_at,
            received=zero,
            picked_up=one,
            returned=zero,
            dwell=case((has_dwell, 1), else_=0),
            dwell_ms=func.coalesce(dwell_ms_sql(Order.received_at, Order.picked_up_at), 0),
        ),
        events(Order.returned_at, received=zero, picked_up=zero, returned=one, dwell=zero, dwell_ms=zero),
    ).subquery()
    keys = (parts.c.site_id, parts.c.day, parts.c.hour, parts.c.platform, parts.c.storage_class)
    return select(*keys, *(func.sum(parts.c[name]) for name in HOUR_COUNTS)).group_by(*keys)


def rebuild_rollups(session: Session, *, site_id: int | None = None) -> dict[str, int]:
    """Recompute the rollups of one site (or all) from its orders: delete, then one INSERT … SELECT … GROUP BY per
    table. Returns the rows written per table."""
    written = {}
    for table, keys, counted, query in (
        (DeliveryRollup, DELIVERY_KEYS, DELIVERY_COUNTS, _delivery_select(site_id=site_id)),
        (HourRollup, HOUR_KEYS, HOUR_COUNTS, _hour_select(site_id=site_id)),
    ):
        wipe = delete(table)
        if site_id is not None:
            wipe = wipe.where(table.site_id == site_id)
        session.execute(wipe)
        session.execute(insert(table).from_select([*keys, *counted], query))
        counting = select(func.count()).select_from(table)
        if site_id is not None:
            counting = counting.where(table.site_id == site_id)
        written[table.__tablename__] = int(session.scalar(counting) or 0)
    return written


def read_rollups(session: Session, *, site_id: int | None = None) -> dict[str, set[tuple[Any, ...]]]:
    """Every non-zero rollup row as a tuple (keys, then counts): to compare the kept rollups with a rebuild."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    for table, counted in ((DeliveryRollup, DELIVERY_COUNTS), (HourRollup, HOUR_COUNTS)):
        query = select(table.__table__)
        if site_id is not None:
            query = query.where(table.site_id == site_id)
        rows = session.execute(query).all()
        width = len(counted)
        found[table.__tablename__] = {tuple(row) for row in rows if any(row[-width:])}
    return found
