"""Cloud Basket's benchmark: `python -m bench [--size tiny|small|history5|1m|district] [--against SIZE|none]
[--database-url URL | --db URL [--against-db URL]]`.

Seeds a scratch database with `python -m seed scale` (a SQLite file in a temporary folder; with `--database-url` a
database of its own on that PostgreSQL server, dropped afterwards unless `--keep`), or reads an existing one (`--db
URL`), and times each figure interleaved with its floor in the same run: median and p95 in milliseconds and their
ratios. `--size 1m` (and no `--size`, without `--db`) first runs `history5` — the same 50 sites and daily volume
with 5 days of history instead of 50 — then `1m`, and prints how each figure scaled: 1M over the 5-day store, what
history alone costs. `--against SIZE` runs another size first instead (`--against small`: the 10,000 orders of 5
sites × 5 days, the older comparison), `--against none` only the one size; with `--db`, `--against-db` names the
existing store to scale against. The desk's gestures in Chromium (bench.browser, on the demo pickup point, beside a
one-widget floor page) are timed once per invocation. With `--privacy`, the retention purge is timed last on each
scratch store, a desk handing over bags beside it (bench.privacy). With `--capacity`, the sessions one app process
holds by role, through Streamlit's own websocket protocol, and the residents' burst (bench.capacity, on the demo;
its figures under "capacity"). Not part of the tests: the figures are measured here, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from bench.browser import browser_figures
from bench.capacity import capacity_figures, print_capacity
from bench.data import BASELINES, SIZES, Store, reused, seeded
from bench.desk import desk_figures
from bench.first_visit import first_visit_figures
from bench.forecast import forecast_figures
from bench.import_manifest import import_seconds
from bench.pages import page_figures, page_scaling, rss_mb
from bench.privacy import print_privacy, privacy_figures
from bench.reports import report_figures
from bench.timing import Figure, print_figures

# Timed iterations: store calls are cheap, page reruns and the district's full-history figures are not.
RUNS = {"store": 300, "pages": 20, "district": 10, "warmup": 2}
QUICK_RUNS = {"store": 5, "pages": 1, "district": 1, "warmup": 0}
# Fresh browser sessions opening the orders and storage pages on the demo, once per invocation (Chromium).
BROWSER_SESSIONS = 7
# The manifest import, once per invocation on a fresh SQLite file of its own: (rows, runs).
IMPORT = (5000, 3)
QUICK_IMPORT = (200, 1)
# The browser gestures: (bags timed, untimed first bags).
BROWSER = (25, 2)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.privacy and args.db:
        parser.error("--privacy anonymises the store it runs on: only on the bench's own scratch stores, not --db")
    if args.against_db and not args.db:
        parser.error("--against-db names the store to scale against when --db names the one to bench")
    runs = QUICK_RUNS if args.quick else {**RUNS, "store": args.runs or RUNS["store"]}
    results: list[dict[str, Any]] = []
    interleaved_scaling: dict[str, Figure] = {}
    with ExitStack() as opened:
        stores = []
        for size, db in _plan(args):
            store = opened.enter_context(_store(args, size, db))
            print(f"{store.size}: {store.orders:,} orders on {store.backend}", file=sys.stderr, flush=True)
            results.append(_bench(store, runs=runs))
            stores.append(store)
            _print(results[-1])
        if len(stores) > 1:
            # Both stores open: each page alternates between them in one process.
            interleaved_scaling = page_scaling(stores[0].url, stores[-1].url, runs=runs["pages"], warmup=runs["warmup"])
        if args.privacy:
            # Last: the purge changes the store the other figures read.
            for store, result in zip(stores, results, strict=True):
                result["privacy_purge"] = privacy_figures(store.url)
                print_privacy(result["privacy_purge"])
    report = dict(results[-1])
    rows, imports = QUICK_IMPORT if args.quick else IMPORT
    report["manifest_import_seconds"] = {
        "rows": rows,
        "runs": imports,
        **{phase: round(seconds, 3) for phase, seconds in import_seconds(rows=rows, runs=imports).items()},
    }
    print(
        f"\nmanifest import, {rows} rows on a fresh SQLite file, median of {imports}: "
        + "  ".join(
            f"{phase} {seconds:.3f} s"
            for phase, seconds in report["manifest_import_seconds"].items()
            if phase not in ("rows", "runs")
        )
    )
    # Chromium against `streamlit run` (the desk's gestures, the first visits): not in a smoke run (--quick), where
    # a demo seeded and two servers started would double the bench test's time, nor with --no-browser.
    browser: dict[str, Any] = {}
    if not (args.quick or args.no_browser):
        bags, warmup = BROWSER
        desk = browser_figures(runs=bags, warmup=warmup)
        print(f"\nthe desk in Chromium at 1024×768 on the demo, {bags} bags, against the floor page:")
        print_figures({name: figure.as_json() for name, figure in desk.items()})
        visits = first_visit_figures(sessions=BROWSER_SESSIONS)
        print("\nfirst visit in a fresh browser session, demo on `streamlit run`, Chromium (median, p95):")
        for name, figure in visits.items():
            print(
                f"{name:34} {figure.ours_ms:>9.0f} ms (floor {figure.floor_ms:.0f} ms, {figure.ratio:.2f}×); "
                f"p95 {figure.ours_p95_ms:.0f} ms ({figure.p95_ratio:.2f}×)"
            )
        browser = {**desk, **visits}
    report["browser_figures"] = {name: figure.as_json() for name, figure in browser.items()}
    if args.capacity:
        # On the demo pickup point of its own, after the rest: its app processes must not share the CPUs with them.
        report["capacity"] = capacity_figures(quick=args.quick)
        print_capacity(report["capacity"])
    report["scaling"] = _scaling(results[0], results[-1]) if len(results) > 1 else {}
    report["page_scaling_interleaved"] = {name: figure.as_json() for name, figure in interleaved_scaling.items()}
    if len(results) > 1:
        _print_scaling(results[0], results[-1], report["scaling"])
        print(
            f"\npages on {results[-1]['size']} against {results[0]['size']}, reruns alternating between the two stores "
            "in one process ('ours' the first, 'floor' the second):"
        )
        print_figures(report["page_scaling_interleaved"])
        report["scaling_of"] = {
            "size": results[-1]["size"],
            "orders": results[-1]["orders"],
            "over": results[0]["size"],
            "over_orders": results[0]["orders"],
        }
        report["sizes"] = {result["size"]: result for result in results}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), help="default: 1m (with --db: the data as it is)")
    parser.add_argument(
        "--against",
        choices=[*SIZES, "none"],
        help="the size run first, which `scaling` divides by (default: history5 for 1m, else none)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="a PostgreSQL server to create the scratch database on")
    where.add_argument("--db", metavar="URL", help="bench an existing database (it grants one organizer every site)")
    parser.add_argument("--against-db", metavar="URL", help="with --db: an existing store to scale against, run first")
    parser.add_argument("--keep", action="store_true", help="keep the scratch PostgreSQL database")
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few iterations, no browser")
    parser.add_argument("--runs", type=int, help=f"iterations of each store figure (default {RUNS['store']})")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--no-browser", action="store_true", help="skip the figures measured in Chromium")
    parser.add_argument(
        "--privacy",
        action="store_true",
        help="also time the retention purge with a desk handing over bags beside it (bench/privacy.py), last on "
        "each scratch store",
    )
    parser.add_argument(
        "--capacity",
        action="store_true",
        help="also measure the sessions one app process holds by role, and the residents' burst (bench/capacity.py; "
        "about 10 minutes, --quick under one)",
    )
    return parser


def _plan(args: argparse.Namespace) -> list[tuple[str | None, str | None]]:
    """The (size, existing store) pairs to run, in order: the one `scaling` divides by first."""
    if args.db:
        return [(None, args.against_db), (args.size, args.db)] if args.against_db else [(args.size, args.db)]
    size = args.size or "1m"
    against = args.against or BASELINES.get(size, "none")
    return [(against, None), (size, None)] if against not in ("none", size) else [(size, None)]


@contextmanager
def _store(args: argparse.Namespace, size: str | None, db: str | None) -> Iterator[Store]:
    if db:
        yield reused(db, size=size)
        return
    assert size is not None
    with seeded(SIZES[size], server_url=args.database_url, keep=args.keep) as store:
        yield store


def _bench(store: Store, *, runs: dict[str, int]) -> dict[str, Any]:
    started = time.perf_counter()
    # The machine's load (1, 5, 15 minutes) as the figures were taken: a loaded machine's figures are not a quiet one's.
    load_before = _load_average()
    figures: dict[str, Figure] = desk_figures(store.url, runs=runs["store"], warmup=runs["warmup"])
    volumes_how, district = report_figures(
        store.url, first_day=store.first_day, last_day=store.last_day, runs=runs["district"], warmup=runs["warmup"]
    )
    figures.update(district)
    figures.update(forecast_figures(store.url, last_day=store.last_day, runs=runs["pages"], warmup=runs["warmup"]))
    figures.update(page_figures(store.url, runs=runs["pages"], warmup=runs["warmup"]))
    return {
        "size": store.size,
        "backend": store.backend,
        "orders": store.orders,
        "figures": {name: figure.as_json() for name, figure in figures.items()},
        "seed_seconds": None if store.seed_seconds is None else round(store.seed_seconds, 1),
        "rss_mb": rss_mb(store.url),
        "runs": runs,
        "district_volumes": volumes_how,
        "bench_seconds": round(time.perf_counter() - started, 1),
        "load_average": {"before": load_before, "after": _load_average()},
    }


def _load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()] if hasattr(os, "getloadavg") else []


def _scaling(small: dict[str, Any], large: dict[str, Any]) -> dict[str, float]:
    return {
        name: round(figure["ours_ms"] / small["figures"][name]["ours_ms"], 2)
        for name, figure in large["figures"].items()
        if name in small["figures"] and small["figures"][name]["ours_ms"]
    }


def _print(result: dict[str, Any]) -> None:
    runs = result["runs"]
    print(
        f"\n{result['size']} on {result['backend']}: {result['orders']:,} orders, seeded in "
        f"{result['seed_seconds'] if result['seed_seconds'] is not None else '—'} s, peak RSS {result['rss_mb']} MB "
        f"(dashboard, reports, orders rendered); runs: store {runs['store']}, district {runs['district']}, "
        f"pages {runs['pages']}; district volumes: {result['district_volumes']}; load average before "
        f"{result['load_average']['before']}, after {result['load_average']['after']}"
    )
    print_figures(result["figures"])


def _print_scaling(small: dict[str, Any], large: dict[str, Any], scaling: dict[str, float]) -> None:
    print(f"\nscaling, {large['size']} over {small['size']} ({large['orders']:,} / {small['orders']:,} orders):")
    for name, ratio in scaling.items():
        print(f"{name:34} {ratio:>6.2f}×")


if __name__ == "__main__":
    sys.exit(main())
