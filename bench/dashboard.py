"""How the dashboard's figures scale: `python -m bench.dashboard --small URL --large URL [--runs 5]`.

For each database (e.g. the demo and `python -m seed scale --sites 3 --days 200 --orders-per-day 1500`) it
times every db/reports function for the first site (today, the last 28 days) and an AppTest render of the
dashboard and the reports page with the figure cache emptied before each run, and prints medians and ratios
against the empty-page floor (an AppTest run of a one-line page). The organizer acting in the render gets the
organizer role at every site first (the district view), which is the only write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import pathlib
import statistics
import time
from collections.abc import Callable

from sqlalchemy import func, select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, read_only, unit_of_work
from db.core.migrate import upgrade_to_head
from db.core.models import Order, Site, Volunteer
from db.people.accounts import SignedIn, grant_role
from db.reports.figures import (
    daily_report,
    delivery_funnel_frame,
    dwell_by_class_frame,
    handover_speed_frame,
    list_site_figures,
    overdue_trend_frame,
    pickups_by_day_frame,
    pickups_by_hour_frame,
    pickups_by_weekday_hour_frame,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DAYS = 28
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True


def median_ms(call: Callable[[], object], *, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def prepare(url: str) -> tuple[SignedIn, list[int], int]:
    """Migrate (adds any new index), make the first volunteer organizer of every site; who acts, sites, orders."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))
        volunteer = session.scalars(
            select(Volunteer).where(Volunteer.site_id == site_ids[0]).order_by(Volunteer.id)
        ).first()
        for site_id in site_ids:
            grant_role(session, volunteer_id=volunteer.id, site_id=site_id, role="organizer", now=utc_now())
        orders = session.scalar(select(func.count(Order.id))) or 0
        user = SignedIn(
            volunteer_id=volunteer.id, name=volunteer.name, site_id=site_ids[0], roles=frozenset({"organizer"})
        )
    engine.dispose()
    return user, site_ids, orders


def store_timings(url: str, site_ids: list[int], *, runs: int) -> dict[str, float]:
    engine = make_engine(url)
    now = utc_now()
    today = local_today(now)
    start = today - dt.timedelta(days=DAYS - 1)
    site_id = site_ids[0]
    calls = {
        "list_site_figures (all sites)": lambda s: list_site_figures(s, site_ids=site_ids, day=today, now=now),
        "pickups_by_day_frame": lambda s: pickups_by_day_frame(s, site_id=site_id, start=start, end=today),
        "pickups_by_hour_frame": lambda s: pickups_by_hour_frame(s, site_id=site_id, day=today - dt.timedelta(1)),
        "pickups_by_weekday_hour_frame": lambda s: pickups_by_weekday_hour_frame(
            s, site_id=site_id, start=start, end=today
        ),
        "delivery_funnel_frame": lambda s: delivery_funnel_frame(s, site_id=site_id, delivery_date=today),
        "handover_speed_frame": lambda s: handover_speed_frame(s, site_id=site_id, start=start, end=today, now=now),
        "dwell_by_class_frame": lambda s: dwell_by_class_frame(s, site_id=site_id, start=start, end=today),
        "overdue_trend_frame": lambda s: overdue_trend_frame(s, site_id=site_id, start=start, end=today, now=now),
        "daily_report": lambda s: daily_report(s, site_id=site_id, day=today - dt.timedelta(1), now=now),
    }
    timings = {}
    for name, call in calls.items():

        def one(call=call) -> None:
            with read_only(engine) as session:
                call(session)

        one()  # warm the statement cache and the page cache once
        timings[name] = median_ms(one, runs=runs)
    engine.dispose()
    return timings


def page_timings(url: str, user: SignedIn, *, runs: int) -> dict[str, float]:
    import os

    from streamlit.testing.v1 import AppTest

    from ui.session import AUDIENCE_KEY, SIGNED_IN_KEY
    from ui.store import changed

    os.environ["DATABASE_URL"] = url
    timings = {}
    for page in ("pages/dashboard.py", "pages/reports.py"):

        def render(page=page) -> None:
            changed()  # every figure read afresh: the cold case
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.session_state[SIGNED_IN_KEY] = user
            at.session_state[AUDIENCE_KEY] = "organizer"
            at.switch_page(page).run()
            assert not at.exception, [element.value for element in at.exception]

        render()
        timings[f"AppTest {page}"] = median_ms(render, runs=runs)
    return timings


def floor_ms(*, runs: int) -> float:
    from streamlit.testing.v1 import AppTest

    def empty() -> None:
        AppTest.from_string("import streamlit as st\nst.write('x')").run()

    empty()
    return median_ms(empty, runs=runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", required=True, help="database URL of a small store (the demo)")
    parser.add_argument("--large", required=True, help="database URL of a district-scale store")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    floor = floor_ms(runs=args.runs)
    results = {}
    for label, url in (("small", args.small), ("large", args.large)):
        user, site_ids, orders = prepare(url)
        results[label] = (
            orders,
            {**store_timings(url, site_ids, runs=args.runs), **page_timings(url, user, runs=args.runs)},
        )
    print(f"empty-page floor (AppTest, median of {args.runs}): {floor:.1f} ms")
    (small_orders, small), (large_orders, large) = results["small"], results["large"]
    print(f"{'figure':40} {'small ms':>9} {'×floor':>7} {'large ms':>9} {'×floor':>7} {'large/small':>11}")
    print(f"{'(orders in the database)':40} {small_orders:>9,} {'':>7} {large_orders:>9,}")
    for name in small:
        print(
            f"{name:40} {small[name]:>9.1f} {small[name] / floor:>7.2f} {large[name]:>9.1f} "
            f"{large[name] / floor:>7.2f} {large[name] / small[name]:>11.2f}"
        )


if __name__ == "__main__":
    main()
