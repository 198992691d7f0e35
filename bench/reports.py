"""The district's pickups per day, every site, against a raw full scan of the orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
from sqlalchemy import select, text

from bench.timing import Figure, interleaved
from db.core.engine import make_engine, read_only
from db.core.models import Site
from db.reports import figures

FLOOR = text("SELECT date(picked_up_at), count(*) FROM orders GROUP BY 1")


def district_volumes() -> tuple[str, Callable[..., pd.DataFrame]]:
    """The district view's pickups per day: one grouped read of the day rollups for all sites."""
    return "one call with site_ids (day rollups)", figures.district_pickups_by_day_frame


def report_figures(
    url: str, *, first_day: dt.date, last_day: dt.date, runs: int, warmup: int
) -> tuple[str, dict[str, Figure]]:
    how, volumes = district_volumes()
    engine = make_engine(url)
    try:
        with read_only(engine) as session:
            site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))

        def ours(_index: int) -> None:
            with read_only(engine) as session:
                volumes(session, site_ids=site_ids, start=first_day, end=last_day)

        def floor(_index: int) -> None:
            with read_only(engine) as session:
                session.execute(FLOOR).all()

        return how, {"district pickups per day": interleaved(ours, floor, runs=runs, warmup=min(warmup, 1))}
    finally:
        engine.dispose()
