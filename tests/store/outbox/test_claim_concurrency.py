"""Several runners claiming at once, as separate OS processes on a SQLite file and on PostgreSQL: every due message
is claimed by exactly one of them, once, and settled by it.

3 runners × 60 due messages, in batches of 4 (so the runners meet on the same rows many times). A few seconds per
database, most of it the processes' start.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
from sqlalchemy import Engine, select

from db.core.engine import unit_of_work
from db.core.models import Message
from db.outbox.messages import queue_message
from tests.support.outbox_workers import NOW, claim_worker
from tests.support.store import make_world

# Processes racing: on one pytest-xdist worker with the other timed tests (README).
pytestmark = pytest.mark.xdist_group("timed")

RUNNERS = 3
MESSAGES = 60
BATCH = 4
WORKER_TIMEOUT_S = 120


def test_every_due_message_is_claimed_by_exactly_one_runner(engine: Engine, database_url: str):
    world = make_world(engine, now=NOW)
    with unit_of_work(engine) as session:
        for number in range(MESSAGES):
            queue_message(
                session, site_id=world.site_id, channel="wecom", audience="staff", kind="day_summary",
                values={"n": number}, text=f"消息 {number}", due_at=NOW, idempotency_key=f"race:{number}", now=NOW,
            )  # fmt: skip
    engine.dispose()  # the file is the workers' now

    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(RUNNERS), context.Queue()
    processes = [
        context.Process(target=claim_worker, args=(database_url, f"runner-{index}", BATCH, start, results))
        for index in range(RUNNERS)
    ]
    for process in processes:
        process.start()
    try:
        # Read before joining: a process does not exit while its report sits unread in the queue's pipe.
        reports = [results.get(timeout=WORKER_TIMEOUT_S) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()

    assert [report["error"] for report in reports] == [None] * RUNNERS
    claims = Counter(message_id for report in reports for message_id in report["claimed"])
    assert len(claims) == MESSAGES and set(claims.values()) == {1}
    with unit_of_work(engine) as session:
        rows = session.execute(select(Message.id, Message.status, Message.attempts, Message.claimed_by)).all()
    runner_of = {message_id: report["runner"] for report in reports for message_id in report["claimed"]}
    assert (
        sorted((row.status, row.attempts, row.claimed_by == runner_of[row.id]) for row in rows)
        == [("sent", 1, True)] * MESSAGES
    )
    print(f"\nclaims per runner on {database_url.split(':', 1)[0]}: {[len(r['claimed']) for r in reports]}")
