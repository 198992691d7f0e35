"""The scheduled jobs' runs (`python -m db jobs run`): when each started and finished and what it did, so the
dashboard can warn when none ran lately (a forgotten cron line is the usual failure). Kept a week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.orm import Session

from db.core.engine import rows_changed
from db.core.errors import NotFound, WrongState
from db.core.models import JobRun

# Runs older than this are pruned when a new one starts.
KEEP_RUNS = dt.timedelta(days=7)


@dataclass(frozen=True)
class JobRunView:
    id: int
    runner: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, Any]


def start_job_run(session: Session, *, runner: str, now: dt.datetime) -> int:
    """Record that `runner` started a run now, prune the runs older than KEEP_RUNS, and return the run's id."""
    session.execute(
        delete(JobRun).where(JobRun.started_at < now - KEEP_RUNS).execution_options(synchronize_session=False)
    )
    result = session.execute(insert(JobRun).values(runner=runner, started_at=now, counts={}))
    key = cast("CursorResult[Any]", result).inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_job_run(session: Session, *, run_id: int, counts: dict[str, int], now: dt.datetime) -> None:
    """Record what the run did ({"queued": 3, "sent": 2, …}) and when it ended."""
    changed = rows_changed(
        session,
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.finished_at.is_(None))
        .values(finished_at=now, counts=dict(counts))
        .execution_options(synchronize_session=False),
    )
    if changed == 0:
        if session.scalar(select(JobRun.id).where(JobRun.id == run_id)) is None:
            raise NotFound(run_id=run_id)
        raise WrongState(run_id=run_id)


def last_job_run(session: Session) -> JobRunView | None:
    """The run started last (finished or not: a run still going, or one that died, shows no end)."""
    row = session.execute(
        select(JobRun.id, JobRun.runner, JobRun.started_at, JobRun.finished_at, JobRun.counts)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(1)
    ).one_or_none()
    return JobRunView(**row._asdict()) if row is not None else None


def ran_since(session: Session, *, count: str, since: dt.datetime) -> bool:
    """Whether a run started at or after `since` counted `count` (a job the runner does at most so often, like the
    privacy purge once an hour): the runs of that window only, through the start index."""
    recorded = session.scalars(select(JobRun.counts).where(JobRun.started_at >= since)).all()
    return any(count in (counts or {}) for counts in recorded)
