"""Daily and hourly rollups of the orders: the counts the report figures read instead of grouping the orders.

An order adds to a few rollup rows (docs/schema.md, "Rollups"): its delivery day's row in `delivery_rollups` and, for
each of its check-in, handover and return, the row of that local day in `day_rollups` and of that local day and hour
in `hour_rollups`. Every writer of an
order's status or times passes the order's facts before and after to `move_in_rollups` in the same transaction, which
adds the difference with one upsert per table; `rebuild_rollups` recomputes them from the orders (the same rules,
in SQL) after a bulk load, or to repair.

The day rollups also keep the longest dwell of their handovers (`dwell_max_ms`), which cannot be taken back by a
difference: a handover raises it (the larger of the two), and a change that takes away a handover whose dwell was
the longest of its day (an undo) recounts that one day, platform and class from the orders' (site, picked-up time)
index, a few hundred entries.
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
    Date,
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from db.core.clock import local_day_bounds, to_local
from db.core.local_time import local_day, local_hour
from db.core.models import STILL_HELD, DayRollup, DeliveryRollup, HeldRollup, HourRollup, Order

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
DAY_COUNTS = ("received", "picked_up", "returned", "dwell_count", "dwell_ms", "dwell_max_ms")
# Kept columns that hold the largest value of their key, not a sum: combined by max over changes and shards.
LONGEST = ("dwell_max_ms",)
HOUR_COUNTS = ("received", "picked_up", "returned")
DELIVERY_KEYS = ("site_id", "delivery_date", "platform", "storage_class")
DAY_KEYS = ("site_id", "day", "platform", "storage_class")
HOUR_KEYS = ("site_id", "day", "hour")
HELD_KEYS = ("site_id", "left_day", "received_day", "delivery_date", "storage_class")
HELD_COUNTS = ("bags",)
# Shards a PostgreSQL writer may take when every row of a key is held by another open transaction (see _add).
SHARDS = 1024
# Each rollup table, its key and what it counts.
TABLES: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (DeliveryRollup, DELIVERY_KEYS, DELIVERY_COUNTS),
    (DayRollup, DAY_KEYS, DAY_COUNTS),
    (HourRollup, HOUR_KEYS, HOUR_COUNTS),
    (HeldRollup, HELD_KEYS, HELD_COUNTS),
)
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


Counts = dict[str, dict[tuple[Any, ...], Counter[str]]]
# A handover's day rollup key and its dwell in milliseconds.
Dwell = tuple[tuple[Any, ...], int]


def _dwell_of(facts: OrderFacts | None) -> Dwell | None:
    """The day rollup row whose longest dwell this order's handover may be, and that dwell (None: no handover
    with a check-in)."""
    if facts is None or facts.picked_up_at is None or facts.received_at is None:
        return None
    day = to_local(facts.picked_up_at).date()
    return (facts.site_id, day, facts.platform, facts.storage_class), dwell_ms(facts.received_at, facts.picked_up_at)


def _counts(facts: OrderFacts) -> Counts:
    """The rollup rows one order adds to, and by how much: table name → key → counts."""
    delivery: Counter[str] = Counter(orders=1)
    days: dict[tuple[Any, ...], Counter[str]] = {}
    hours: dict[tuple[Any, ...], Counter[str]] = {}

    def at(moment: dt.datetime, **counts: int) -> None:
        local = to_local(moment)
        day = (facts.site_id, local.date(), facts.platform, facts.storage_class)
        days.setdefault(day, Counter()).update(counts)
        hourly = {name: number for name, number in counts.items() if name in HOUR_COUNTS}
        hours.setdefault((facts.site_id, local.date(), local.hour), Counter()).update(hourly)

    if facts.received_at is not None:
        delivery["received"] += 1
        at(facts.received_at, received=1)
    if facts.shelved_at is not None or facts.picked_up_at is not None:
        delivery["shelved"] += 1
    if facts.picked_up_at is not None:
        delivery["picked_up"] += 1
        if facts.received_at is None:
            at(facts.picked_up_at, picked_up=1)
        else:
            waited = dwell_ms(facts.received_at, facts.picked_up_at)
            for window in SPEED_WINDOWS_HOURS:
                if waited <= window * MS_PER_HOUR:
                    delivery[f"picked_up_{window}h"] += 1
            at(facts.picked_up_at, picked_up=1, dwell_count=1, dwell_ms=waited)
    if facts.returned_at is not None:
        delivery["returned"] += 1
        at(facts.returned_at, returned=1)
    if facts.status == "problem":
        delivery["problems"] += 1
    key = (facts.site_id, facts.delivery_date, facts.platform, facts.storage_class)
    held: dict[tuple[Any, ...], Counter[str]] = {}
    if facts.received_at is not None and facts.status != "problem":
        left = facts.picked_up_at if facts.picked_up_at is not None else facts.returned_at
        left_day = to_local(left).date() if left is not None else STILL_HELD
        received_day = to_local(facts.received_at).date()
        held[(facts.site_id, left_day, received_day, facts.delivery_date, facts.storage_class)] = Counter(bags=1)
    return {"delivery_rollups": {key: delivery}, "day_rollups": days, "hour_rollups": hours, "held_rollups": held}


def move_in_rollups(session: Session, *, before: OrderFacts | None, after: OrderFacts | None) -> None:
    """Add one order's change to the rollups: its rows as `after` minus its rows as `before` (None: the order did
    not exist, or is gone). Call it in the transaction of the change, after the change has won its guarded
    UPDATE.

    When the change takes away a handover whose dwell may have been the longest of its day rollup row (an undo of
    the handover, a correction that moves it), that row's longest dwell is recounted from the orders after the
    difference is added; on PostgreSQL the row's shards are locked first (waiting for other open changes of the
    same day, platform and class), so a handover committed meanwhile is either seen by the recount or raises the
    row afterwards."""
    deltas: Counts = {}
    for facts, sign in ((before, -1), (after, 1)):
        if facts is not None:
            _sum_into(deltas, _counts(facts), sign=sign)
    gone, added = _dwell_of(before), _dwell_of(after)
    _raise_longest(deltas, [added] if added is not None and added != gone else [])
    recount = gone is not None and gone != added and _may_be_longest(session, dwell=gone)
    if recount and gone is not None:
        _lock_day_row(session, key=gone[0])
    _add_all(session, deltas)
    if recount and gone is not None:
        _recount_longest(session, key=gone[0])


def add_new_orders(session: Session, *, orders: Iterable[OrderFacts]) -> None:
    """Count orders just written (a manifest import, a new order): one upsert per table for all of them."""
    deltas: Counts = {}
    dwells = []
    for facts in orders:
        _sum_into(deltas, _counts(facts), sign=1)
        dwells.append(_dwell_of(facts))
    _raise_longest(deltas, [dwell for dwell in dwells if dwell is not None])
    _add_all(session, deltas)


def _raise_longest(deltas: Counts, dwells: list[Dwell]) -> None:
    """Each day rollup row's longest dwell among `dwells`, beside the row's differences (0 leaves a row's longest
    as it is: the upserts keep the larger)."""
    days = deltas.setdefault("day_rollups", {})
    for key, waited in dwells:
        row = days.setdefault(key, Counter())
        row["dwell_max_ms"] = max(row["dwell_max_ms"], waited)


def _day_row(key: tuple[Any, ...]) -> list[ColumnElement[bool]]:
    return [getattr(DayRollup, name) == value for name, value in zip(DAY_KEYS, key, strict=True)]


def _may_be_longest(session: Session, *, dwell: Dwell) -> bool:
    """Whether a dwell taken away was as long as its row's longest (then the row's longest is recounted)."""
    key, waited = dwell
    kept = session.scalar(select(func.max(DayRollup.dwell_max_ms)).where(*_day_row(key)))
    return kept is None or waited >= kept


def _lock_day_row(session: Session, *, key: tuple[Any, ...]) -> None:
    """PostgreSQL: lock every shard of a day rollup row, in shard order, before its longest is recounted; a change
    adding to the row meanwhile then waits for this one and raises the recounted value after it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(DayRollup.shard).where(*_day_row(key)).order_by(DayRollup.shard).with_for_update())


def _recount_longest(session: Session, *, key: tuple[Any, ...]) -> None:
    """Set a day rollup row's longest dwell (every shard of it) to the longest of its handovers in the orders: one
    site's handovers of one local day, from the (site, picked-up time) index."""
    site_id, day, platform, storage_class = key
    low, high = local_day_bounds(day)
    longest = session.scalar(
        select(func.max(dwell_ms_sql(Order.received_at, Order.picked_up_at))).where(
            Order.site_id == site_id,
            Order.picked_up_at >= low,
            Order.picked_up_at < high,
            Order.platform == platform,
            Order.storage_class == storage_class,
        )
    )
    session.execute(update(DayRollup).where(*_day_row(key)).values(dwell_max_ms=int(longest or 0)))


def _sum_into(total: Counts, counts: Counts, *, sign: int) -> None:
    for table, rows in counts.items():
        for key, numbers in rows.items():
            into = total.setdefault(table, {}).setdefault(key, Counter())
            for name, number in numbers.items():
                into[name] += sign * number


# One table's part of a change: the table, its key and counted columns, and the rows to add.
Change = tuple[Any, tuple[str, ...], tuple[str, ...], list[dict[str, Any]]]


def _add_all(session: Session, deltas: Counts) -> None:
    """Add the differences to the tables; nothing for a table whose differences are all zero.

    SQLite (one writer at a time): per table one multi-row INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n into
    shard 0. PostgreSQL: one statement for every table (`_postgresql_add`): per key, the first row of the key no open
    transaction holds (FOR UPDATE SKIP LOCKED) is updated; when every row is held (another tablet's change of the
    same delivery, not yet committed) or none is committed yet, the counts go to this connection's own shard (an
    upsert). So a change never waits for another's commit because of the rollups, and a key keeps one row unless
    writers really overlapped."""
    changes: list[Change] = []
    for table, keys, counted in TABLES:
        rows = [
            {**dict(zip(keys, key, strict=True)), **{name: delta.get(name, 0) for name in counted}}
            for key, delta in sorted(deltas.get(table.__tablename__, {}).items())
            if any(delta.values())
        ]
        if rows:
            changes.append((table, keys, counted, rows))
    if not changes:
        return
    if session.get_bind().dialect.name != "postgresql":
        for table, keys, counted, rows in changes:
            _sqlite_upsert(session, table=table, keys=keys, counted=counted, rows=rows)
        return
    _postgresql_add(session, changes=changes)


def _postgresql_add(session: Session, *, changes: list[Change]) -> None:
    """Every table's differences in one round trip: per table, the wanted rows (VALUES), the first free shard row of
    each key (a LATERAL … FOR UPDATE SKIP LOCKED), the UPDATE of those rows, and an upsert into this connection's
    own shard (1 + backend pid mod SHARDS) of the keys the UPDATE did not take. Data-modifying WITH parts all run,
    to completion, whether or not the final SELECT reads them."""
    shape = tuple((table.__tablename__, len(rows)) for table, _keys, _counted, rows in changes)
    statement = _PG_ADDS.get(shape)
    if statement is None:
        statement = _PG_ADDS[shape] = text(_postgresql_add_sql(changes))
    values = {
        f"t{number}_{index}_{name}": value
        for number, (_table, _keys, _counted, rows) in enumerate(changes)
        for index, row in enumerate(rows)
        for name, value in row.items()
    }
    session.execute(statement, values)


def _postgresql_add_sql(changes: list[Change]) -> str:
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
    parts = []
    for number, (table, keys, counted, rows) in enumerate(changes):
        name = table.__tablename__
        columns = table.__table__.c
        names = (*keys, *counted)
        types = {column: columns[column].type.compile(dialect=dialect) for column in names}
        tuples = ", ".join(
            "(" + ", ".join(f"CAST(:t{number}_{index}_{column} AS {types[column]})" for column in names) + ")"
            for index in range(len(rows))
        )
        wanted, free, updated = f"w{number}", f"f{number}", f"u{number}"

        def same(left: str, right: str, keys: tuple[str, ...] = keys) -> str:
            return " AND ".join(f"{left}.{key} = {right}.{key}" for key in keys)

        parts += [
            f"{wanted} ({', '.join(names)}) AS (VALUES {tuples})",
            f"{free} AS (SELECT {wanted}.*, held.shard FROM {wanted} CROSS JOIN LATERAL (SELECT t.shard FROM {name} t "
            f"WHERE {same('t', wanted)} ORDER BY t.shard LIMIT 1 FOR UPDATE SKIP LOCKED) held)",
            f"{updated} AS (UPDATE {name} t SET {', '.join(_pg_combined(c, 't', free) for c in counted)} FROM {free} "
            f"WHERE {same('t', free)} AND t.shard = {free}.shard RETURNING {', '.join(f't.{key}' for key in keys)})",
            f"i{number} AS (INSERT INTO {name} ({', '.join((*keys, 'shard', *counted))}) "
            f"SELECT {', '.join(f'{wanted}.{key}' for key in keys)}, 1 + pg_backend_pid() % {SHARDS}, "
            f"{', '.join(f'{wanted}.{c}' for c in counted)} FROM {wanted} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {updated} WHERE {same(updated, wanted)}) "
            f"ON CONFLICT ({', '.join((*keys, 'shard'))}) DO UPDATE SET "
            f"{', '.join(_pg_combined(c, name, 'excluded') for c in counted)} RETURNING 1)",
        ]
    return "WITH " + ",\n".join(parts) + "\nSELECT 1"


def _pg_combined(column: str, kept: str, added: str) -> str:
    """The SET of one kept column: the sum, or the larger of the two for a longest."""
    if column in LONGEST:
        return f"{column} = greatest({kept}.{column}, {added}.{column})"
    return f"{column} = {kept}.{column} + {added}.{column}"


_PG_ADDS: dict[tuple[tuple[str, int], ...], Any] = {}


def _sqlite_upsert(
    session: Session, *, table: Any, keys: tuple[str, ...], counted: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """SQLite: INSERT … ON CONFLICT (key, shard) DO UPDATE SET n = n + excluded.n into shard 0, one statement built
    once per table and run with every row's values."""
    statement = _UPSERTS.get(table.__tablename__)
    if statement is None:
        # The table, not the mapped class: a Core statement, without the ORM's bulk-insert machinery (a rollup row is
        # never loaded into a session).
        plain = sqlite.insert(table.__table__)
        columns = table.__table__.c
        statement = _UPSERTS[table.__tablename__] = plain.on_conflict_do_update(
            index_elements=[*keys, "shard"],
            set_={
                column: (
                    func.max(columns[column], plain.excluded[column])
                    if column in LONGEST
                    else columns[column] + plain.excluded[column]
                )
                for column in counted
            },
        )
    session.execute(statement, [{**row, "shard": 0} for row in rows])


_UPSERTS: dict[str, Any] = {}


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


def _held_select(*, site_id: int | None) -> Select[Any]:
    """Bags checked in and not reported as a problem, per site, the local day they left (STILL_HELD while in a
    slot), the local day they were checked in, delivery date and storage class."""
    left_at = func.coalesce(Order.picked_up_at, Order.returned_at)
    left_day = case((left_at.is_(None), literal(STILL_HELD, Date)), else_=local_day(left_at))
    received_day = local_day(Order.received_at)
    grouped = (Order.site_id, left_day, received_day, Order.delivery_date, Order.storage_class)
    query = (
        select(*grouped, func.count())
        .where(Order.received_at.is_not(None), Order.status != "problem")
        .group_by(*grouped)
    )
    return query.where(Order.site_id == site_id) if site_id is not None else query


def _event_select(*, site_id: int | None, keys: tuple[str, ...], counted: tuple[str, ...]) -> Select[Any]:
    """Check-ins, handovers (with their dwell) and returns, each at its own local day and hour, summed per `keys`."""
    zero = literal_column("0", Integer)

    def events(moment: Any, *, received: Any, picked_up: Any, returned: Any, dwell: Any, dwell_ms: Any) -> Any:
        # The longest dwell is the largest of the same milliseconds the sum adds.
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
            cast(dwell_ms, BigInteger).label("dwell_max_ms"),
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
    grouped = [parts.c[name] for name in keys]
    summed = (func.max(parts.c[name]) if name in LONGEST else func.sum(parts.c[name]) for name in counted)
    return select(*grouped, *summed).group_by(*grouped)


def rebuild_rollups(session: Session, *, site_id: int | None = None) -> dict[str, int]:
    """Recompute the rollups of one site (or all) from its orders: delete, then one INSERT … SELECT … GROUP BY per
    table. Returns the rows written per table."""
    written = {}
    for table, keys, counted in TABLES:
        if table is DeliveryRollup:
            query = _delivery_select(site_id=site_id)
        elif table is HeldRollup:
            query = _held_select(site_id=site_id)
        else:
            query = _event_select(site_id=site_id, keys=keys, counted=counted)
        wipe = delete(table)
        if site_id is not None:
            wipe = wipe.where(table.site_id == site_id)
        session.execute(wipe)
        session.execute(insert(table).from_select([*keys, *counted, "shard"], query.add_columns(literal_column("0"))))
        counting = select(func.count()).select_from(table)
        if site_id is not None:
            counting = counting.where(table.site_id == site_id)
        written[table.__tablename__] = int(session.scalar(counting) or 0)
    return written
