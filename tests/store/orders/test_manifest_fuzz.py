"""Property tests of the manifest import: whatever the file, no unhandled exception and no half-imported order.

Hypothesis feeds random bytes, random CSV and XLSX grids, and real manifests mutated (bytes flipped, inserted or
deleted in the CSV, in the XLSX zip and in one XLSX part re-zipped; cells changed, rows repeated or dropped) to the
reader and the import, on SQLite and PostgreSQL, and a few through `python -m db import-manifest`. After each
attempt the store holds exactly what the result says: every order with all its items and its event.

Run time is bounded by the example counts below: about 6 s on SQLite and 8 s on PostgreSQL for the store test,
under a second for the command's, on a shared two-core machine (the whole file about 20 s on both databases).
One store serves all the examples of a test: each file goes to a site of its own and is imported twice (the second
time must change nothing); the command's examples share one site, so they also meet orders imported before.
The checks compare what one attempt changed, never absolute counts.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import pathlib
import re
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from cli.main import main
from db.core.clock import local_today
from db.core.engine import unit_of_work
from db.core.errors import ManifestUnreadable
from db.core.models import Event, Item, Order
from db.orders.manifest import HEADER_NAMES, ImportResult, apply_import, plan_import, read_manifest
from db.people.sites import create_site
from tests.support.databases import NOW
from tests.support.manifest_files import HEADER, replace_part, xlsx_bytes
from ui.i18n import LANGUAGES, has_message, message, translate
from ui.manifest_text import import_message, import_summary

# Examples per test: with the deadline they keep the file well under 30 s on both databases.
STORE_EXAMPLES = 150
COMMAND_EXAMPLES = 15
# One attempt may take this long at most: a slower one would be a way to keep the page busy.
DEADLINE = dt.timedelta(seconds=5)
FUZZ = settings(
    max_examples=STORE_EXAMPLES,
    deadline=DEADLINE,
    database=None,
    print_blob=True,
    # Building workbooks and importing into PostgreSQL is slower than Hypothesis's default expectation.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def base_rows(day: dt.date) -> list[list[Any]]:
    """A real morning's manifest: five orders, one of them in two lines, the platforms' own spellings."""
    midnight = dt.datetime.combine(day, dt.time())  # as a workbook's date cell arrives
    return [
        ["多多买菜", "DD001", "1001", "李四", "13800138000", "大米", 1, "常温", day.isoformat(), "12号302室"],
        ["多多买菜", "DD001", "1001", "李四", "13800138000", "牛奶", 2, "冷藏", day.isoformat(), "12号302室"],
        ["美团优选", "MT001", "2001", "王五", "13900139000", "速冻水饺", 1, "冷冻", day.isoformat(), "3号101室"],
        ["美团优选", "MT002", "2002", "赵六", "+86 137-0013-7000", "汤圆", 3, "frozen", day.isoformat(), ""],
        ["多多买菜", "DD002", "1002", "钱七", "13600136000", "面条", 1, "常温", midnight, "5号"],
    ]


def csv_from(grid: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if cell is None else cell for cell in row] for row in grid])
    return buffer.getvalue().encode(encoding)


def xlsx_from(grid: Sequence[Sequence[Any]]) -> bytes:
    return xlsx_bytes(grid[1:], header=grid[0]) if grid else xlsx_bytes([], header=[])


# --- what a file may hold ---

headings = st.sampled_from(sorted({name for names in HEADER_NAMES.values() for name in names} | set(HEADER)))
likely = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1000",
        "2.5",
        "1e9",
        "常温",
        "冷藏",
        "冷冻",
        "warm",
        "9999-12-31",
        "1900-01-01",
        "2026-02-30",
        "2026年11月25日",
        "13800138000",
        "12",
        "=SUM(A1)",
        "DD001",
        "1001",
        "多多买菜",
        "１２３",
        "\n",
        '"',
        ",",
        ";",
    ]
)
# XML cannot carry control characters, so workbooks get text without them; CSV gets anything encodable.
csv_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
xlsx_text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30)


def cells(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        likely,
        headings,
        text,
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False),
        st.dates(min_value=dt.date(1900, 3, 1)),
    )


def grids(text: st.SearchStrategy[str]) -> st.SearchStrategy[list[list[Any]]]:
    header = st.one_of(st.permutations(HEADER), st.lists(st.one_of(headings, text), max_size=12))
    rows = st.lists(st.lists(cells(text), max_size=12), max_size=12)
    return st.builds(lambda head, body: [list(head), *body], header, rows)


@st.composite
def mutated_grid(draw: st.DrawFn, day: dt.date, text: st.SearchStrategy[str]) -> list[list[Any]]:
    """The real manifest with a few cells changed, rows repeated, dropped or added."""
    grid = [list(HEADER), *base_rows(day)]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "repeat", "drop", "add"]))
        row = draw(st.integers(0, len(grid) - 1))
        if kind == "cell":
            column = draw(st.integers(0, 11))
            grid[row] += [None] * (column + 1 - len(grid[row]))
            grid[row][column] = draw(cells(text))
        elif kind == "repeat":
            grid.insert(draw(st.integers(1, len(grid))), list(grid[row]))
        elif kind == "drop" and len(grid) > 1:
            del grid[row]
        else:
            grid.append(draw(st.lists(cells(text), max_size=12)))
    return grid


@st.composite
def mutated_bytes(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "insert", "delete"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


@st.composite
def mutated_part(draw: st.DrawFn, base: bytes) -> bytes:
    """One part of the real workbook mutated and zipped again, so the damage reaches openpyxl's XML parsing."""
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        name = draw(st.sampled_from(sorted(archive.namelist())))
        content = archive.read(name)
    return replace_part(base, draw(mutated_bytes(content)), name=name)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def uploads(day: dt.date) -> st.SearchStrategy[Upload]:
    real_csv = csv_from([HEADER, *base_rows(day)], encoding="gb18030")
    real_xlsx = xlsx_from([HEADER, *base_rows(day)])
    names = st.sampled_from(["m.csv", "m.xlsx", "m.txt", "m"])
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])
    return st.one_of(
        st.builds(Upload, names, st.binary(max_size=2048)),
        st.builds(Upload, st.just("m.csv"), st.builds(csv_from, grids(csv_text), encoding=encodings)),
        st.builds(Upload, st.just("m.xlsx"), st.builds(xlsx_from, grids(xlsx_text))),
        st.builds(Upload, st.just("m.csv"), st.builds(csv_from, mutated_grid(day, csv_text), encoding=encodings)),
        st.builds(Upload, st.just("m.xlsx"), st.builds(xlsx_from, mutated_grid(day, xlsx_text))),
        st.builds(Upload, st.just("m.csv"), mutated_bytes(real_csv)),
        st.builds(Upload, names, mutated_bytes(real_xlsx)),
        st.builds(Upload, st.just("m.xlsx"), mutated_part(real_xlsx)),
    )


# --- what the store must look like after any attempt ---


@dataclass(frozen=True)
class Census:
    orders: int
    items: int
    imported_events: int
    orders_without_items: int
    items_per_order: dict[tuple[str, str], int]


def census(engine: Engine, site_id: int) -> Census:
    with unit_of_work(engine) as session:
        per_order = {
            (platform, number): count
            for platform, number, count in session.execute(
                select(Order.platform, Order.order_number, func.count(Item.id))
                .outerjoin(Item, Item.order_id == Order.id)
                .where(Order.site_id == site_id)
                .group_by(Order.id, Order.platform, Order.order_number)
            )
        }
        return Census(
            orders=len(per_order),
            items=sum(per_order.values()),
            imported_events=session.scalar(
                select(func.count(Event.id)).where(Event.site_id == site_id, Event.action == "order.imported")
            ),
            orders_without_items=sum(1 for count in per_order.values() if count == 0),
            items_per_order=per_order,
        )


def assert_worded(key: str, params: dict[str, Any]) -> None:
    """A refusal the page and the command can show: its key is in both catalogs and fills without error."""
    for language in LANGUAGES:
        assert has_message(language, key), key
        assert import_message(key, params, language=language)


def attempt(engine: Engine, site_id: int, upload: Upload, *, today: dt.date) -> ImportResult | None:
    """Read and import one file, and check the store against what the import says it did."""
    before = census(engine, site_id)
    try:
        table = read_manifest(upload.data, filename=upload.filename)
    except ManifestUnreadable as refusal:
        assert_worded(refusal.key, refusal.params)
        assert census(engine, site_id) == before
        return None
    with unit_of_work(engine) as session:
        plan = plan_import(session, site_id=site_id, table=table, today=today)
        result = apply_import(session, site_id=site_id, plan=plan, now=NOW)
    after = census(engine, site_id)
    # Whole orders or nothing: what was added is exactly what the result (and so the summary) says.
    assert (after.orders - before.orders, after.items - before.items) == (result.orders, result.items)
    assert after.imported_events - before.imported_events == result.orders
    assert after.orders_without_items == 0
    for order in plan.orders:
        assert after.items_per_order[(order.platform, order.order_number)] == len(order.items)
    numbers = {row.number for row in table.rows}
    for row in result.rejected:
        assert row.number in numbers
        assert_worded(row.key, row.params)
    assert_summary_counts(result, added_orders=after.orders - before.orders, added_items=after.items - before.items)
    return result


def assert_summary_counts(result: ImportResult, *, added_orders: int, added_items: int) -> None:
    for language in LANGUAGES:
        summary = import_summary(result, language=language)
        if summary != translate(language, "manifest.nothing_changed", already=result.already_imported):
            assert summary == translate(
                language,
                "manifest.summary",
                orders=added_orders,
                items=added_items,
                already=result.already_imported,
                rejected=result.rejected_rows,
            )


def new_site(engine: Engine, code: str = "TS2") -> int:
    with unit_of_work(engine) as session:
        return create_site(session, code=code, name="天山二村", now=NOW).id


def test_reading_and_importing_any_file_never_crashes_nor_half_imports(engine: Engine) -> None:
    today = local_today(NOW)
    site_codes = (f"S{number}" for number in itertools.count())

    @FUZZ
    @given(upload=uploads(today))
    def one(upload: Upload) -> None:
        site_id = new_site(engine, next(site_codes))
        first = attempt(engine, site_id, upload, today=today)
        again = attempt(engine, site_id, upload, today=today)
        if first is not None and again is not None:
            # The same file again adds nothing: every order it imported is already there.
            assert (again.orders, again.items, again.already_imported) == (0, 0, first.orders + first.already_imported)

    one()


def test_the_command_never_shows_a_traceback(engine: Engine, database_url: str) -> None:
    site_id = new_site(engine)
    # The command checks dates against the real local day, so its manifests are dated from it.
    today = local_today()

    @settings(FUZZ, max_examples=COMMAND_EXAMPLES)
    @given(upload=uploads(today), language=st.sampled_from(LANGUAGES))
    def one(upload: Upload, language: str) -> None:
        before = census(engine, site_id)
        with tempfile.TemporaryDirectory() as scratch:
            path = pathlib.Path(scratch) / upload.filename
            path.write_bytes(upload.data)
            code, out, err = run_command(
                lambda: main(
                    ["import-manifest", str(path), "--site", "TS2", "--database-url", database_url, "--lang", language]
                )
            )
        after = census(engine, site_id)
        assert code in (0, 1, 2)
        assert after.orders_without_items == 0
        assert after.imported_events - before.imported_events == after.orders - before.orders
        lines = out.splitlines()
        if not lines:  # refused as a whole: said why, on stderr, and nothing changed
            assert (code, after) == (2, before) and err.strip()
            return
        # The summary's counts are what the store gained; every other line names one fault of a rejected row (its
        # number first), a row with several faults on several lines.
        added = {
            "orders": after.orders - before.orders,
            "items": after.items - before.items,
            "rejected": len({re.search(r"\d+", line)[0] for line in lines[1:]}),
        }
        assert any(
            re.fullmatch(message_pattern(language, key, added), lines[0])
            for key in ("manifest.summary", "manifest.nothing_changed")
        ), lines[0]

    one()


def message_pattern(language: str, key: str, known: dict[str, int]) -> str:
    """A catalog message as a regular expression: the known placeholders filled, any other one a number; a number's
    word (`{orders:order|orders}`) either form."""
    parts = re.split(r"\{(\w+(?::[^}]*)?)\}", message(language, key, count=known.get("count")))
    pattern = []
    for index, part in enumerate(parts):
        name, _, spec = part.partition(":")
        if index % 2 == 0:
            pattern.append(re.escape(part))
        elif "|" in spec:
            pattern.append("(?:" + "|".join(re.escape(word) for word in spec.split("|")) + ")")
        else:
            pattern.append(str(known[name]) if name in known else r"\d+")
    return "".join(pattern)


def run_command(call: Callable[[], int]) -> tuple[int, str, str]:
    """The command in this process (an unhandled exception fails the test, as a traceback would show)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = call()
    return code, out.getvalue(), err.getvalue()
