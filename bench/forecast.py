"""The forecast of one pickup point for the next seven days (dashboard "Tomorrow"), against its floor: the one
read it cannot do without, the site's held rollup rows of the forecast's window."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text

from bench.timing import Figure, interleaved
from db.core.clock import local_moment
from db.core.engine import make_engine, read_only
from db.core.models import Order, Site
from db.forecast.build import forecast_site, history_start

FLOOR = text(
    "SELECT delivery_date, received_day, left_day, storage_class, bags FROM held_rollups "
    "WHERE site_id = :site AND left_day >= :first"
)


def forecast_figures(url: str, *, last_day: dt.date, runs: int, warmup: int) -> dict[str, Figure]:
    """The busiest site's forecast, made at 10:00 on the store's today (the day before its last delivery day:
    the seeds hold tomorrow's lists)."""
    today = last_day - dt.timedelta(days=1)
    now = local_moment(today, dt.time(10))
    engine = make_engine(url)
    try:
        with read_only(engine) as session:
            site_id = session.scalar(
                select(Site.id)
                .join(Order, Order.site_id == Site.id)
                .where(Order.delivery_date == today)
                .group_by(Site.id)
                .order_by(func.count().desc(), Site.id)
                .limit(1)
            )
        assert site_id is not None, "no site has a delivery on the store's today"
        first = history_start(today - dt.timedelta(days=1))

        def ours(_index: int) -> None:
            with read_only(engine) as session:
                forecast_site(session, site_id=site_id, now=now)

        def floor(_index: int) -> None:
            with read_only(engine) as session:
                session.execute(FLOOR, {"site": site_id, "first": first}).all()

        return {"forecast one site, 7 days": interleaved(ours, floor, runs=runs, warmup=warmup)}
    finally:
        engine.dispose()
