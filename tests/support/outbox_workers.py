"""Worker processes for tests/store/outbox/test_claim_concurrency.py: runners claiming due messages at once.

Each worker is a separate OS process (the 'spawn' context) with its own engine, so on PostgreSQL the claims are
concurrent transactions (FOR UPDATE SKIP LOCKED) and on SQLite separate writers of one file (BEGIN IMMEDIATE). A
worker claims small batches until nothing is left, settles each message as sent, and reports the ids it got.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, event

from db.core.engine import make_engine, unit_of_work
from db.outbox.messages import claim_due_messages, mark_sent

# The same fixed moment as the store tests.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
# Several writers of one SQLite file on a loaded machine may wait past the app's 15 s; these tests check the claim,
# not the machine's speed (as tests/support/slot_workers.py).
WORKER_BUSY_TIMEOUT_MS = 120_000


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _wait_longer(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA busy_timeout = {WORKER_BUSY_TIMEOUT_MS}")

    return engine


def claim_worker(url: str, runner: str, batch: int, start: Any, results: Any) -> None:
    """Claim `batch` at a time, commit the claim, then mark each sent in its own transaction, until none is due."""
    engine = _engine(url)
    claimed: list[int] = []
    try:
        start.wait()
        while True:
            with unit_of_work(engine) as session:
                messages = claim_due_messages(session, runner=runner, now=NOW, limit=batch)
            if not messages:
                break
            for message in messages:
                claimed.append(message.id)
                with unit_of_work(engine) as session:
                    mark_sent(session, message_id=message.id, runner=runner, now=NOW, answer="ok")
        results.put({"runner": runner, "claimed": claimed, "error": None})
    except Exception as error:  # reported to the test, which fails with it
        results.put({"runner": runner, "claimed": claimed, "error": repr(error)})
    finally:
        engine.dispose()
