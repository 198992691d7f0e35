"""The jobs' runs: started and finished with what they did, the last one read back, a week kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from db.core.engine import unit_of_work
from db.core.errors import NotFound, WrongState
from db.core.models import JobRun
from db.outbox.runs import finish_job_run, last_job_run, start_job_run


def test_the_last_run_is_read_back_and_runs_older_than_a_week_are_pruned(engine: Engine, now: dt.datetime):
    with unit_of_work(engine) as session:
        assert last_job_run(session) is None
        old = start_job_run(session, runner="host:1", now=now - dt.timedelta(days=8))
        finish_job_run(session, run_id=old, counts={"sent": 1}, now=now - dt.timedelta(days=8))
        first = start_job_run(session, runner="host:2", now=now - dt.timedelta(minutes=1))
        finish_job_run(session, run_id=first, counts={"queued": 3, "sent": 2}, now=now)
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1  # the 8-day-old one is gone
        last = last_job_run(session)
        assert last is not None
        assert (last.runner, last.started_at, last.finished_at, last.counts) == (
            "host:2", now - dt.timedelta(minutes=1), now, {"queued": 3, "sent": 2},
        )  # fmt: skip
        going = start_job_run(session, runner="host:3", now=now)
        last = last_job_run(session)
        assert last is not None and (last.id, last.finished_at, last.counts) == (going, None, {})
        with pytest.raises(WrongState):
            finish_job_run(session, run_id=first, counts={}, now=now)
        with pytest.raises(NotFound):
            finish_job_run(session, run_id=going + 100, counts={}, now=now)
