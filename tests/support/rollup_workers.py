"""Worker processes for tests/store/orders/test_rollups.py: two tablets handing over the same bag at once.

Each worker is a separate OS process (the 'spawn' context) with its own engine, started together on a barrier;
it reports (its number, "started") on a queue as soon as it runs, then (its number, "handed_over" or the name of the
refusal or crash).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from db.core.engine import make_engine, unit_of_work
from db.orders.lifecycle import hand_over

# An hour after the bag was checked in (tests/store/orders/test_rollups.py START).
NOW = dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)


def hand_over_worker(number: int, url: str, order_id: int, volunteer_id: int, start: Any, results: Any) -> None:
    results.put((number, "started"))
    engine = None
    try:
        engine = make_engine(url)
        start.wait(timeout=60)
        with unit_of_work(engine) as session:
            hand_over(session, order_id=order_id, volunteer_id=volunteer_id, now=NOW)
        results.put((number, "handed_over"))
    except BaseException as error:  # the test compares the outcomes; never leave it waiting
        results.put((number, type(error).__name__))
    finally:
        if engine is not None:
            engine.dispose()
