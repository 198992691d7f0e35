"""Worker processes for tests/store/orders/test_slot_concurrency.py: tablets checking bags in at one site at the
same time.

Each worker is a separate OS process (started with the 'spawn' context) with its own engine, so on PostgreSQL
the check-ins really are concurrent transactions, and on SQLite they really are separate writers of one file.
A worker reports what happened as a plain dict of counts on a queue; the test checks the store afterwards.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

from sqlalchemy import Engine, event

from db.cold_chain.units import free_slots_query
from db.core.engine import make_engine, read_only, unit_of_work
from db.core.errors import DuplicateValue, NoFreeSlot, WrongState
from db.core.models import Slot
from db.orders.lifecycle import (
    hand_over,
    list_free_slot_codes,
    move_order,
    receive_order,
    undo_hand_over,
    undo_receive,
)

# The same fixed moment as the store tests: every undo falls inside its two-minute window.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)

Bag = tuple[int, str]  # (order id, storage class)
# SQLite's busy handler is not a queue: with four processes writing as fast as they can on a loaded 2-core machine
# one of them was once kept waiting past the app's 15 s (OperationalError, "database is locked"). These tests check
# the slots' logic under real concurrency, not the machine's speed, so their writers wait longer.
WORKER_BUSY_TIMEOUT_MS = 120_000


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _wait_longer(dbapi_connection: Any, _record: Any) -> None:  # after the app's own settings
            dbapi_connection.execute(f"PRAGMA busy_timeout = {WORKER_BUSY_TIMEOUT_MS}")

    return engine


def check_in_worker(url: str, site_id: int, volunteer_id: int, bags: list[Bag], start: Any, results: Any) -> None:
    """Check each bag in, one transaction per bag; after a refusal, count the slots of its kind still free."""
    engine = _engine(url)
    counts: Counter[str] = Counter()
    free_after_refusal: list[int] = []
    try:
        start.wait()
        began = time.perf_counter()
        for order_id, storage_class in bags:
            try:
                with unit_of_work(engine) as session:
                    receive_order(session, order_id=order_id, volunteer_id=volunteer_id, now=NOW)
                counts["received"] += 1
            except NoFreeSlot:
                counts["refused"] += 1
                free_after_refusal.append(_free_once_settled(engine, site_id=site_id, storage_class=storage_class))
            except Exception as error:  # the test reports any other failure by name
                counts[f"error:{type(error).__name__}"] += 1
        results.put(
            {"counts": dict(counts), "free_after_refusal": free_after_refusal, "seconds": time.perf_counter() - began}
        )
    except BaseException as error:  # never leave the parent waiting for a result
        results.put({"counts": {f"crash:{type(error).__name__}": 1}, "free_after_refusal": [], "seconds": 0.0})
    finally:
        engine.dispose()


def _free_once_settled(engine: Any, *, site_id: int, storage_class: str) -> int:
    """How many slots of this kind are free once every check-in that is taking one of them has finished.

    Nothing frees a slot in the check-in test, so after a refusal this must be 0. A plain read right after the
    refusal could still count a slot that another worker has locked and is about to fill; FOR SHARE waits for
    those workers (SQLite's writers take turns anyway), and the count after it is a new statement that sees
    what they committed."""
    with unit_of_work(engine) as session:
        free = free_slots_query(site_id=site_id, storage_class=storage_class)
        session.execute(free.with_only_columns(Slot.id).with_for_update(of=Slot, read=True))
        return len(list_free_slot_codes(session, site_id=site_id, storage_class=storage_class))


def mixed_worker(url: str, site_id: int, volunteer_id: int, bags: list[Bag], start: Any, results: Any) -> None:
    """Check bags in while also undoing check-ins, handing bags over, undoing handovers and moving bags.

    Only this worker touches its own bags, so the only races are over slots: every check-in must succeed
    (the site has a slot for every bag); an undone handover may find its slot taken meanwhile, and a move may
    find its target taken meanwhile — both are counted, not failures.
    """
    engine = _engine(url)
    counts: Counter[str] = Counter()

    def attempt(name: str, call: Any, **kwargs: Any) -> bool:
        try:
            with unit_of_work(engine) as session:
                call(session, volunteer_id=volunteer_id, now=NOW, **kwargs)
        except NoFreeSlot:
            counts[f"{name}:refused"] += 1
            return False
        except (WrongState, DuplicateValue) as error:
            counts[f"{name}:{error.key}"] += 1
            return False
        except Exception as error:  # the test reports any other failure by name
            counts[f"{name}:error:{type(error).__name__}"] += 1
            return False
        counts[f"{name}:ok"] += 1
        return True

    try:
        start.wait()
        began = time.perf_counter()
        for index, (order_id, storage_class) in enumerate(bags):
            attempt("receive", receive_order, order_id=order_id)
            # Every fifth bag was the wrong scan: take the check-in back, then check it in again.
            if index % 5 == 0 and attempt("undo_receive", undo_receive, order_id=order_id):
                attempt("receive", receive_order, order_id=order_id)
            if index % 3 == 2:
                previous = bags[index - 1][0]
                if attempt("hand_over", hand_over, order_id=previous) and index % 6 == 5:
                    attempt("undo_hand_over", undo_hand_over, order_id=previous)
            if index % 7 == 3:
                with read_only(engine) as session:
                    free = list_free_slot_codes(session, site_id=site_id, storage_class=storage_class, limit=1)
                if free:
                    attempt("move", move_order, order_id=order_id, slot_code=free[0])
        results.put({"counts": dict(counts), "seconds": time.perf_counter() - began})
    except BaseException as error:  # never leave the parent waiting for a result
        results.put({"counts": {f"crash:{type(error).__name__}": 1}, "seconds": 0.0})
    finally:
        engine.dispose()
