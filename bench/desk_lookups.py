"""How fast the desk finds a bag: `python -m bench.desk_lookups URL [--lookups 300] [--runs 3]`.

For sites spread over the database (e.g. `python -m seed scale --sites 50 --days 250 --orders-per-day 80`) it
times `find_orders` by pickup code and by phone tail for bags waiting in a slot, the desk's open counts (the
slotted statuses), and a bare `select(Order).where(site_id, pickup_code)` as the floor, and prints p50/p95 in
milliseconds per run. It reads only and does not migrate: run it before and after an upgrade to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable

from sqlalchemy import select

from db.core.clock import utc_now
from db.core.engine import make_engine, read_only
from db.core.models import SLOTTED_ORDER_STATUSES, Order
from db.orders.lifecycle import count_orders_by_status, find_orders


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(calls: list[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_lookups", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    rng = random.Random(0)
    now = utc_now()
    with read_only(engine) as session:
        total = session.query(Order.id).count()
        waiting = session.execute(
            select(Order.site_id, Order.pickup_code, Order.phone_tail).where(Order.status.in_(SLOTTED_ORDER_STATUSES))
        ).all()
    targets = rng.sample(waiting, min(args.lookups, len(waiting)))
    print(f"{total:,} orders, {len(waiting):,} waiting in a slot; {len(targets)} lookups per kind")
    for run in range(1, args.runs + 1):
        with read_only(engine) as session:

            def find(site_id: int, text: str) -> Callable[[], object]:
                return lambda: find_orders(session, site_id=site_id, text=text, now=now, hold_days=3)

            def bare(site_id: int, code: str) -> Callable[[], object]:
                return lambda: session.scalars(
                    select(Order).where(Order.site_id == site_id, Order.pickup_code == code)
                ).all()

            def counts(site_id: int) -> Callable[[], object]:
                return lambda: count_orders_by_status(session, site_id=site_id, statuses=SLOTTED_ORDER_STATUSES)

            figures = {
                "bare select by code": timed([bare(s, c) for s, c, _ in targets]),
                "find_orders by code": timed([find(s, c) for s, c, _ in targets]),
                "find_orders by phone tail": timed([find(s, t) for s, _, t in targets]),
                "count_orders_by_status": timed([counts(s) for s, _, _ in targets]),
            }
            session.expunge_all()
        line = "; ".join(
            f"{name} p50 {p50:.2f} p95 {p95:.2f}"
            for name, (p50, p95) in ((name, percentiles(times)) for name, times in figures.items())
        )
        print(f"run {run} ({dt.datetime.now():%H:%M:%S}): {line} ms")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
