"""Which statements walk a table whole, from SQLite's own query plans: every SELECT sent inside the block is
explained afterwards (tests/store/core/test_query_plans.py, tests/store/outbox/test_plans_store.py,
tests/store/privacy/test_retention_plans.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def explained(store: Engine, *, at_least: int = 0) -> Iterator[list[tuple[str, list[str]]]]:
    """Yields a list that, after the block, holds each SELECT sent inside it with its plan's steps; fails when
    fewer than `at_least` statements were sent (a block that sent nothing proves nothing)."""
    sent: list[tuple[str, object]] = []

    def remember(
        conn: object, cursor: object, statement: str, parameters: object, context: object, executemany: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    event.listen(store, "before_cursor_execute", remember)
    plans: list[tuple[str, list[str]]] = []
    try:
        yield plans
    finally:
        event.remove(store, "before_cursor_execute", remember)
    assert len(sent) >= at_least, len(sent)
    with store.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        for statement, parameters in sent:
            plans.append((statement, [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]))


@contextmanager
def full_scans(store: Engine, *, tables: tuple[str, ...], at_least: int = 0) -> Iterator[list[str]]:
    """Yields a list that, after the block, holds each statement (with its plan) that scans one of `tables` whole;
    fails when fewer than `at_least` statements were sent (a block that sent nothing proves nothing)."""
    scans: list[str] = []
    with explained(store, at_least=at_least) as plans:
        yield scans
    for statement, plan in plans:
        if any(step == f"SCAN {table}" or step.startswith(f"SCAN {table} ") for table in tables for step in plan):
            scans.append(f"{statement}\n  {plan}")
