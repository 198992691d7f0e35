"""`python -m bench` runs end to end on a tiny scratch store and writes its figures as JSON. How fast anything is
the bench measures and prints; nothing here asserts a time."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

from sqlalchemy import create_engine, text

from tests.support.paths import ROOT

FIGURES = {
    "desk find by code",
    "desk find by phone tail",
    "desk open counts",
    "handover",
    "handover committed",
    "district pickups per day",
    "forecast one site, 7 days",
    "desk page rerun with a search",
    "dashboard page rerun cold",
    "dashboard page rerun warm",
    "reports page rerun cold",
    "reports page rerun warm",
    "orders page rerun cold",
    "orders page rerun warm",
    "storage page rerun cold",
    "storage page rerun warm",
}


def run_bench(tmp_path: pathlib.Path, *extra: str) -> dict[str, Any]:
    path = tmp_path / "bench.json"
    command = [sys.executable, "-m", "bench", "--size", "tiny", "--quick", "--json", str(path), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(path.read_text(encoding="utf-8"))


def bench_databases(server_url: str) -> set[str]:
    admin = create_engine(server_url)
    try:
        with admin.connect() as connection:
            names = connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'cloudbasket_bench_%'"))
            return set(names.scalars())
    finally:
        admin.dispose()


def test_a_quick_tiny_run_writes_every_figure_against_its_floor(tmp_path: pathlib.Path):
    report = run_bench(tmp_path, "--privacy")
    assert {"size", "backend", "figures", "scaling", "seed_seconds", "rss_mb"} <= report.keys()
    # Two sites, three days and tomorrow's lists at about 50 bags a day each; the seed's days swing.
    assert (report["size"], report["backend"]) == ("tiny", "sqlite") and 200 <= report["orders"] <= 600
    assert set(report["figures"]) == FIGURES
    for name, figure in report["figures"].items():
        assert {"ours_ms", "floor_ms", "ratio", "p95_ratio"} <= figure.keys(), name
        assert figure["ours_ms"] > 0 and figure["floor_ms"] > 0, name
    # One size: nothing to scale against, in separate runs or alternating.
    assert report["scaling"] == {} and report["page_scaling_interleaved"] == {}
    assert len(report["load_average"]["before"]) == 3
    assert report["seed_seconds"] > 0 and report["rss_mb"] > 0
    assert report["manifest_import_seconds"]["total"] > 0
    assert report["browser_figures"] == {}  # Chromium's first visits only in a full run
    # The purge ran last, with the desk handing over bags before and while it ran.
    purge = report["privacy_purge"]
    # Each purged bag's import event names its resident (the scrub rewrites only events holding personal data).
    assert purge["orders_anonymised"] > 0 and purge["events_scrubbed"] >= purge["orders_anonymised"]
    assert purge["handovers_before"] > 0 and purge["handover_before_longest_ms"] > 0


def test_on_postgresql_the_bench_seeds_its_own_database_and_drops_it(postgres_server: str, tmp_path: pathlib.Path):
    before = bench_databases(postgres_server)
    report = run_bench(tmp_path, "--database-url", postgres_server)
    assert report["backend"] == "postgresql" and 200 <= report["orders"] <= 600
    assert set(report["figures"]) == FIGURES
    assert bench_databases(postgres_server) == before


def test_the_1m_store_scales_against_the_same_sites_with_5_days_of_history():
    from bench.__main__ import _parser, _plan

    def plan(*argv: str) -> list[tuple[str | None, str | None]]:
        return _plan(_parser().parse_args(list(argv)))

    assert plan() == plan("--size", "1m") == [("history5", None), ("1m", None)]
    assert plan("--size", "1m", "--against", "small") == [("small", None), ("1m", None)]
    assert plan("--size", "1m", "--against", "none") == plan("--size", "1m", "--against", "1m") == [("1m", None)]
    assert plan("--size", "tiny") == [("tiny", None)]
    assert plan("--db", "sqlite:///b.db", "--against-db", "sqlite:///a.db") == [
        (None, "sqlite:///a.db"),
        (None, "sqlite:///b.db"),
    ]
