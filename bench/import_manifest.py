"""How long a 5,000-row manifest takes to import on a SQLite file: `python -m bench.import_manifest [--runs N]`.

Each run starts from a fresh migrated file with one site, reads a GB18030 CSV of ROWS rows (two items per
order), plans, imports and commits; then imports the same file again (nothing changes). Prints each run and
the median, per phase.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable

from db.core.clock import local_today
from db.core.engine import make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.orders.manifest import apply_import, plan_import, read_manifest
from db.people.sites import create_site

HEADER = "平台,订单号,提货码,收货人,手机号,商品,数量,储存,到货日期,地址"
PRODUCTS = [("大米 5kg", "常温"), ("鲜牛奶", "冷藏"), ("速冻水饺", "冷冻"), ("鸡蛋 10枚", "常温"), ("酸奶", "冷藏")]
NAMES = ["王秀英", "李建国", "张伟", "刘芳", "陈静", "杨洋", "赵敏", "黄磊"]
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def manifest_bytes(rows: int, *, seed: int = 7) -> bytes:
    """`rows` item lines, two per order, as a platform's GB18030 export would carry them."""
    chance = random.Random(seed)
    lines = [HEADER]
    for index in range(rows):
        order = index // 2
        # The two lines of an order are different products: identical lines would be reported as duplicates.
        product, storage = PRODUCTS[index % len(PRODUCTS)]
        # The order's own fields repeat on each of its lines; only the item differs.
        address = f"{order % 40 + 1}号{order % 6 + 1}0{order % 4 + 1}室"
        lines.append(
            f"多多买菜,DD{order:06d},{order // 100 + 1}-{order % 100 + 1}-{order:05d},{NAMES[order % len(NAMES)]},"
            f"+86 138-{order % 10000:04d}-{order % 10000:04d},{product},{chance.randint(1, 3)},{storage},"
            f"2026-11-25,{address}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def one_run(data: bytes, directory: pathlib.Path) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
    try:
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            site_id = create_site(session, code="TS2", name="天山二村", now=NOW).id
        started = time.perf_counter()
        table = read_manifest(data, filename="manifest.csv")
        read = time.perf_counter()
        with unit_of_work(engine) as session:
            plan = plan_import(session, site_id=site_id, table=table, today=local_today(NOW))
            planned = time.perf_counter()
            result = apply_import(session, site_id=site_id, plan=plan, now=NOW)
        written = time.perf_counter()
        assert (result.items, len(result.rejected)) == (len(table.rows), 0), result.rejected[:3]
        with unit_of_work(engine) as session:
            again = apply_import(
                session,
                site_id=site_id,
                plan=plan_import(session, site_id=site_id, table=read_manifest(data), today=local_today(NOW)),
                now=NOW,
            )
        repeated = time.perf_counter()
        assert (again.orders, again.already_imported) == (0, result.orders), again.orders
        return {
            "read": read - started,
            "plan": planned - read,
            "write+commit": written - planned,
            "total": written - started,
            "same file again": repeated - written,
        }
    finally:
        engine.dispose()


def import_seconds(
    *, rows: int, runs: int, report: Callable[[int, dict[str, float]], None] | None = None
) -> dict[str, float]:
    """Median seconds of each phase over `runs` imports of a `rows`-row manifest, each into a fresh file."""
    data = manifest_bytes(rows)
    figures = []
    for number in range(1, runs + 1):
        with tempfile.TemporaryDirectory() as scratch:
            figures.append(one_run(data, pathlib.Path(scratch)))
        if report is not None:
            report(number, figures[-1])
    return {name: statistics.median(run[name] for run in figures) for name in figures[0]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_manifest", description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    size = len(manifest_bytes(args.rows))
    print(f"{args.rows} rows ({args.rows // 2} orders), {size / 1024:.0f} KB, SQLite file, {args.runs} runs")
    medians = import_seconds(
        rows=args.rows,
        runs=args.runs,
        report=lambda number, figures: print(
            f"run {number}: " + "  ".join(f"{name} {seconds:.3f}s" for name, seconds in figures.items())
        ),
    )
    print("median: " + "  ".join(f"{name} {seconds:.3f}s" for name, seconds in medians.items()))


if __name__ == "__main__":
    main()
