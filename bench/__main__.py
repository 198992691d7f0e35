"""Cloud Basket's benchmark: `python -m bench [--size tiny|small|1m|district] [--database-url URL | --db URL]`.

Seeds a scratch database with `python -m seed scale` (a SQLite file in a temporary folder; with `--database-url`
a database of its own on that PostgreSQL server, dropped afterwards unless `--keep`), or reads an existing one
(`--db URL`), and times each figure interleaved with its floor in the same run: median and p95 in milliseconds
and their ratios. Without `--size` (and without `--db`) it runs `small` and `1m` and prints how each figure
scaled. The desk's gestures in Chromium (bench.browser, on the demo pickup point, beside a one-widget floor page)
are timed once per invocation. With `--privacy`, the retention purge is timed last on each scratch store, a desk
handing over bags beside it (bench.privacy). With `--capacity`, the sessions one app process holds by role, through
Streamlit's own websocket protocol, and the residents' burst (bench.capacity, on the demo; its figures under
"capacity"). Not part of the tests: the figures are measured here, never asserted.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.browser import browser_figures
from bench.capacity import capacity_figures, print_capacity
from bench.data import SIZES, Store, reused, seeded
from bench.desk import desk_figures
from bench.first_visit import first_visit_figures
from bench.forecast import forecast_figures
from bench.import_manifest import import_seconds
from bench.pages import page_figures, rss_mb
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
    runs = QUICK_RUNS if args.quick else {**RUNS, "store": args.runs or RUNS["store"]}
    sizes = [args.size] if args.size else ([None] if args.db else ["small", "1m"])
    results = []
    for size in sizes:
        with _store(args, size) as store:
            print(f"{store.size}: {store.orders:,} orders on {store.backend}", file=sys.stderr, flush=True)
            results.append(_bench(store, runs=runs))
            if args.privacy:
                # Last: the purge changes the store the other figures read.
                results[-1]["privacy_purge"] = privacy_figures(store.url)
        _print(results[-1])
        if args.privacy:
            print_privacy(results[-1]["privacy_purge"])
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
    if len(results) > 1:
        _print_scaling(results[0], results[-1], report["scaling"])
        report["sizes"] = {result["size"]: result for result in results}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), help="default: small, then 1m (with --db: the data as it is)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="a PostgreSQL server to create the scratch database on")
    where.add_argument("--db", metavar="URL", help="bench an existing database (it grants one organizer every site)")
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


@contextmanager
def _store(args: argparse.Namespace, size: str | None) -> Iterator[Store]:
    if args.db:
        yield reused(args.db, size=size)
        return
    assert size is not None
    with seeded(SIZES[size], server_url=args.database_url, keep=args.keep) as store:
        yield store


def _bench(store: Store, *, runs: dict[str, int]) -> dict[str, Any]:
    started = time.perf_counter()
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
    }


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
        f"pages {runs['pages']}; district volumes: {result['district_volumes']}"
    )
    print_figures(result["figures"])


def _print_scaling(small: dict[str, Any], large: dict[str, Any], scaling: dict[str, float]) -> None:
    print(f"\nscaling, {large['size']} over {small['size']} ({large['orders']:,} / {small['orders']:,} orders):")
    for name, ratio in scaling.items():
        print(f"{name:34} {ratio:>6.2f}×")


if __name__ == "__main__":
    sys.exit(main())
