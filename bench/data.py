"""The bench's databases: seeded with `seed scale` into a scratch SQLite file or a scratch PostgreSQL database,
or an existing one reused as it is."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, func, make_url, select, text

from db.core.clock import local_today
from db.core.engine import make_engine, normalize_url, read_only
from db.core.models import Order
from seed.scale import build_scale


@dataclass(frozen=True)
class Size:
    name: str
    sites: int
    days: int
    orders_per_day: int

    @property
    def orders(self) -> int:
        return self.sites * self.days * self.orders_per_day


# Every size keeps a site's day at the same volume except `tiny`, so the desk's per-site reads compare directly.
# `history5` is `1m` with 5 days of history instead of 50 (100,000 orders): the same sites, units and daily volume,
# so `1m` over it measures what history alone costs a page, not more sites or longer charts.
SIZES = {
    "tiny": Size("tiny", sites=2, days=3, orders_per_day=50),
    "small": Size("small", sites=5, days=5, orders_per_day=400),
    "history5": Size("history5", sites=50, days=5, orders_per_day=400),
    "1m": Size("1m", sites=50, days=50, orders_per_day=400),
    "district": Size("district", sites=250, days=100, orders_per_day=400),
}
# The size each size's `scaling` is taken against by default: the same sites with 5 days of history.
BASELINES = {"1m": "history5"}


@dataclass(frozen=True)
class Store:
    """A database ready to bench: its URL, what it holds and how long seeding took (None when reused)."""

    url: str
    size: str
    backend: str
    orders: int
    first_day: dt.date
    last_day: dt.date
    seed_seconds: float | None


@contextmanager
def seeded(size: Size, *, server_url: str | None = None, keep: bool = False) -> Iterator[Store]:
    """A new database holding `size`: a SQLite file in a temporary folder, or with `server_url` (PostgreSQL) a
    database of its own on that server, dropped afterwards unless `keep`."""
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="cloudbasket-bench-") as folder:
            yield _seed(f"sqlite:///{folder}/bench.db", size)
        return
    name = f"cloudbasket_bench_{size.name}_{uuid.uuid4().hex[:8]}"
    _server_statement(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(normalize_url(server_url)).set(database=name).render_as_string(hide_password=False)
    try:
        yield _seed(url, size)
    finally:
        if keep:
            print(f"kept {make_url(url).render_as_string(hide_password=True)}")
        else:
            _server_statement(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reused(url: str, *, size: str | None = None) -> Store:
    """An existing database, read as it is (seed time unknown)."""
    return _describe(url, size=size, seed_seconds=None)


def _seed(url: str, size: Size) -> Store:
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        build_scale(engine, sites=size.sites, days=size.days, orders_per_day=size.orders_per_day, today=local_today())
    finally:
        engine.dispose()
    return _describe(url, size=size.name, seed_seconds=time.perf_counter() - started)


def _describe(url: str, *, size: str | None, seed_seconds: float | None) -> Store:
    engine = make_engine(url)
    try:
        with read_only(engine) as session:
            orders, first, last = session.execute(
                select(func.count(Order.id), func.min(Order.delivery_date), func.max(Order.delivery_date))
            ).one()
    finally:
        engine.dispose()
    if not orders:
        raise SystemExit("the database holds no orders: seed it first (python -m seed scale …)")
    return Store(
        url=url,
        size=size or f"{orders:,} orders",
        backend=engine.dialect.name,
        orders=orders,
        first_day=first,
        last_day=last,
        seed_seconds=seed_seconds,
    )


def _server_statement(server_url: str, statement: str) -> None:
    """CREATE/DROP DATABASE, which PostgreSQL runs outside a transaction only."""
    admin = create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()
