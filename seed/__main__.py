"""Command line: `python -m seed demo` fills the demo pickup point, `python -m seed scale` builds benchmark data."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable

from sqlalchemy import Engine

from db.core.clock import local_today
from db.core.engine import database_url, make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.people.sites import count_sites
from seed.demo import DEMO_PIN, ORGANIZER_PASSWORD, ORGANIZER_USERNAME, seed_demo
from seed.scale import build_scale


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    engine = make_engine(args.database_url or database_url())
    run: Callable[[Engine, argparse.Namespace], int] = args.run
    try:
        return run(engine, args)
    finally:
        engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m seed", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="fill an empty database with the demo pickup point 天山二村 (TS2)")
    demo.add_argument("--seed", type=int, default=0, help="the same seed on the same day gives the same data")
    demo.add_argument("--today", type=dt.date.fromisoformat, help="the demo's last day, YYYY-MM-DD (default: today)")
    demo.set_defaults(run=_demo)

    scale = commands.add_parser("scale", help="add benchmark sites with many orders, written in bulk")
    scale.add_argument("--sites", type=_positive, required=True)
    scale.add_argument("--days", type=_positive, required=True)
    scale.add_argument(
        "--orders-per-day", type=_positive, required=True, help="around this many a day: sites differ, days swing"
    )
    scale.add_argument("--seed", type=int, default=0)
    scale.add_argument("--today", type=dt.date.fromisoformat, help="the last day, YYYY-MM-DD (default: today)")
    scale.add_argument("--batch-size", type=_positive, default=50_000, help=argparse.SUPPRESS)
    scale.set_defaults(run=_scale)

    for command in (demo, scale):
        command.add_argument("--database-url", help="default: DATABASE_URL, else the embedded SQLite file")
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _demo(engine: Engine, args: argparse.Namespace) -> int:
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        sites = count_sites(session)
    if sites:
        print(f"refused: the database already holds {sites} site(s); the demo only fills an empty one", file=sys.stderr)
        return 1
    started = time.perf_counter()
    site = seed_demo(engine, today=args.today or local_today(), seed=args.seed)
    print(
        f"demo site {site.code} {site.name} filled in {time.perf_counter() - started:.1f} s; "
        f"organizer {ORGANIZER_USERNAME} / {ORGANIZER_PASSWORD}, volunteer PIN {DEMO_PIN} (demo only)"
    )
    return 0


def _scale(engine: Engine, args: argparse.Namespace) -> int:
    result = build_scale(
        engine,
        sites=args.sites,
        days=args.days,
        orders_per_day=args.orders_per_day,
        today=args.today or local_today(),
        seed=args.seed,
        batch_size=args.batch_size,
        report=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(
        f"{result.orders:,} orders and {result.items:,} items at {result.sites} site(s) in {result.seconds:.1f} s "
        f"({result.orders_per_second:,.0f} orders/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
