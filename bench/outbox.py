"""`python -m bench.outbox`: the outbox runner's figures (issue 21's closing note), against the tests' fake robot and
fake SMS provider on 127.0.0.1 (tests/support/fake_wecom.py, fake_sms.py), never a real host.

- burst: 100 staff-group messages due at once through one robot, the runner run once a minute on a clock the bench
  moves (the 20-a-minute limit is counted, not waited for): messages sent per minute, and each run's wall time;
- idle: what one run costs with nothing due, every site with both channels set up, on a store of `--size` orders:
  `Runner.run_once` in this process (median, p95, CPU) and `python -m db jobs run` as a whole process (wall, CPU);
- due to sent: messages due now, one run on the real clock: sent_at − due_at inside the run (a cron runner adds the
  wait for its next minute: 0–60 s).

    python -m bench.outbox [--size small|1m] [--database-url URL | --db URL] [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bench.data import SIZES, Store, reused, seeded
from bench.timing import p95
from cli.jobs import Runner, _Run
from db.core.clock import local_moment, utc_now
from db.core.engine import make_engine, rows_changed, unit_of_work
from db.core.models import Message, Site
from db.outbox.channels import set_channel
from db.outbox.messages import queue_message
from db.people.sites import create_site
from tests.support.fake_sms import FakeSms
from tests.support.fake_wecom import FakeRobot
from tests.support.outbox_runs import FakeClock
from tests.support.paths import ROOT

BURST = 100


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with FakeRobot() as robot, FakeSms() as sms, _store(args) as store:
        os.environ["CLOUD_BASKET_SMS_ENDPOINT"] = sms.endpoint
        engine = make_engine(store.url)
        try:
            days = f"{store.first_day}…{store.last_day}"
            print(f"store: {store.backend}, {store.orders:,} orders ({store.size}), days {days}")
            now = local_moment(store.last_day, dt.time(10))
            with httpx.Client() as http:
                _burst(engine, robot=robot, http=http, now=now)
                _idle(engine, store=store, robot=robot, http=http, now=now, runs=args.runs)
                _due_to_sent(engine, robot=robot, http=http)
        finally:
            engine.dispose()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox", description=__doc__)
    parser.add_argument("--size", choices=tuple(SIZES), default="1m")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="a PostgreSQL server: seed a database of its own there (dropped after)")
    where.add_argument("--db", help="an existing seeded store, used as it is (channels and messages are added)")
    parser.add_argument("--runs", type=int, default=20, help="idle runs timed in this process")
    return parser


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[Store]:
    if args.db:
        yield reused(args.db)
        return
    with seeded(SIZES[args.size], server_url=args.database_url) as store:
        print(f"seeded in {store.seed_seconds:.0f} s")
        yield store


def _burst(engine: Engine, *, robot: FakeRobot, http: httpx.Client, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="BURST", name="burst", now=now).id
        _channels(session, site_id=site_id, robot=robot, now=now)
        for number in range(BURST):
            queue_message(
                session, site_id=site_id, channel="wecom", audience="staff", kind="day_summary", values={},
                text=f"burst {number}", due_at=now, idempotency_key=f"bench-burst:{number}", now=now,
            )  # fmt: skip
    clock = FakeClock(now)
    runner = Runner(engine, name="bench-burst", clock=clock, http=http)
    sent_per_minute: list[int] = []
    wall_ms: list[float] = []
    while sum(sent_per_minute) < BURST and len(sent_per_minute) < 10:
        posts = robot.posts
        started = time.perf_counter()
        runner.run_once()
        wall_ms.append((time.perf_counter() - started) * 1000)
        sent_per_minute.append(robot.posts - posts)
        clock.advance(minutes=1)
    print(
        f"burst of {BURST} through one robot: sent per minute {sent_per_minute} "
        f"({len(sent_per_minute)} minutes of the runner's clock); run wall ms {[round(ms) for ms in wall_ms]}; "
        f"130101 answers: 0 of {robot.posts} posts"
    )


def _idle(engine: Engine, *, store: Store, robot: FakeRobot, http: httpx.Client, now: dt.datetime, runs: int) -> None:
    """Every site gets both channels; one run queues what is due now, which is then marked sent (not timed: this
    figure is the run that finds nothing new); then runs at the same moment are timed."""
    with unit_of_work(engine) as session:
        site_ids = list(session.scalars(select(Site.id).where(Site.code != "BURST")))
        for site_id in site_ids:
            _channels(session, site_id=site_id, robot=robot, now=now)
    runner = Runner(engine, name="bench-idle", clock=lambda: now, http=http)
    started = time.perf_counter()
    _Run(runner, now).queue_due()
    first_ms = (time.perf_counter() - started) * 1000
    with unit_of_work(engine) as session:
        queued = rows_changed(
            session,
            update(Message).where(Message.status == "due").values(status="sent", sent_at=now - dt.timedelta(hours=1)),
        )
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        counts = runner.run_once().counts
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert not counts, counts
    print(
        f"idle run, {len(site_ids)} sites with both channels ({store.orders:,} orders; the first run planned "
        f"{queued} messages in {first_ms:.0f} ms): in process median {statistics.median(wall):.1f} ms, "
        f"p95 {p95(wall):.1f} ms, CPU {statistics.median(cpu):.1f} ms"
    )
    process_wall, process_cpu = [], []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "db", "jobs", "run", "--database-url", store.url, "--now", now.isoformat()],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True, capture_output=True,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        process_wall.append((time.perf_counter() - started) * 1000)
        process_cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    print(
        f"idle `python -m db jobs run` as a process (5 runs): wall median {statistics.median(process_wall):.0f} ms, "
        f"CPU median {statistics.median(process_cpu):.0f} ms — per minute of cron"
    )


def _due_to_sent(engine: Engine, *, robot: FakeRobot, http: httpx.Client) -> None:
    now = utc_now()
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="DUE", name="due", now=now).id
        _channels(session, site_id=site_id, robot=robot, now=now)
        for number in range(20):
            queue_message(
                session, site_id=site_id, channel="wecom", audience="staff", kind="day_summary", values={},
                text=f"due {number}", due_at=now, idempotency_key=f"bench-due:{number}", now=now,
            )  # fmt: skip
    Runner(engine, name="bench-due", clock=utc_now, http=http).run_once()
    with unit_of_work(engine) as session:
        delays = [
            (sent_at - due_at).total_seconds() * 1000
            for due_at, sent_at in session.execute(
                select(Message.due_at, Message.sent_at).where(Message.site_id == site_id, Message.status == "sent")
            )
            if sent_at is not None
        ]
    print(
        f"due to sent inside a run (20 robot messages due at the run's start, real clock): median "
        f"{statistics.median(delays):.0f} ms, p95 {p95(delays):.0f} ms, last {max(delays):.0f} ms; a cron runner "
        f"adds 0–60 s until its next minute"
    )


def _channels(session: Session, *, site_id: int, robot: FakeRobot, now: dt.datetime) -> None:
    set_channel(
        session, site_id=site_id, channel="wecom", enabled=True, settings={},
        secrets={"webhook_url": robot.webhook_url()}, volunteer_id=None, now=now,
    )  # fmt: skip
    set_channel(
        session, site_id=site_id, channel="sms", enabled=True,
        settings={"provider": "aliyun", "sign_name": "bench", "template_codes": {"overdue_reminder": "SMS_1"}},
        secrets={"access_key_id": "bench-id", "access_key_secret": "bench-secret"}, volunteer_id=None, now=now,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
