"""The desk's two most frequent gestures in Chromium at 1024×768, each beside the same gesture on the floor page
(bench/floor_page.py: a text box, a card, a button) served by a second `streamlit run` in the same browser run:
a scanner's code + Enter until the bag's card shows, and 本人领取 until the handover's banner shows with its undo.

`python -m bench.browser [--runs 25]` runs them on their own; `python -m bench` adds them to its figures. Each
timed step starts at the key press or the click (the typing before it and the tap that opens the confirm step are
not timed) and ends when the element is visible; both pages are idle before every step.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select

from bench.timing import Figure, figure_of, print_figures
from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, read_only
from db.core.migrate import upgrade_to_head
from db.core.models import SLOTTED_ORDER_STATUSES, Order, Volunteer, VolunteerRole, status_among
from db.orders.lifecycle import class_hold_days, find_orders
from db.people.sites import get_site_rules
from seed.demo import seed_demo
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE_APP,
    browser_missing,
    enroll_as_tablet,
    sign_in_on_tablet,
    streamlit_server,
    zh,
)

if TYPE_CHECKING:  # for the annotations: playwright may be missing, and the figures are then skipped
    from playwright.sync_api import Locator, Page, ViewportSize

RUNS = 25
WARMUP = 2
FLOOR_PAGE = "bench/floor_page.py"
FIND = "desk browser scan to card"
HAND_OVER = "desk browser hand over to banner"
VIEWPORT: ViewportSize = {"width": 1024, "height": 768}
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Demo:
    """The demo pickup point in a scratch SQLite file: the site, a volunteer who hands out, and waiting bags
    (pickup code, slot) each found alone by its code (no household of several bags)."""

    url: str
    site_id: int
    volunteer: str
    bags: list[tuple[str, str]]


def browser_figures(*, runs: int = RUNS, warmup: int = WARMUP) -> dict[str, Figure]:
    """The two figures, or none (said on stderr) when Chromium or Playwright is missing."""
    reason = browser_missing()
    if reason is not None:
        print(f"browser figures skipped: {reason}", file=sys.stderr)
        return {}
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cloudbasket-browser-bench-") as folder, ExitStack() as stack:
        demo = _demo(pathlib.Path(folder) / "demo.db", bags=runs + warmup)
        app_url = stack.enter_context(streamlit_server(demo.url, log_path=pathlib.Path(folder) / "app.log"))
        floor_url = stack.enter_context(
            streamlit_server(None, log_path=pathlib.Path(folder) / "floor.log", script=FLOOR_PAGE)
        )
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        desk = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        enroll_as_tablet(desk, base_url=app_url, database_url=demo.url, site_id=demo.site_id)
        ours = desk.new_page()
        ours.set_default_timeout(TIMEOUT_MS)
        sign_in_on_tablet(ours, app_url, name=demo.volunteer)
        floor = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
        floor.set_default_timeout(TIMEOUT_MS)
        floor.goto(floor_url)
        floor.get_by_label("code").wait_for()
        floor.locator(IDLE_APP).wait_for()
        return _timed(ours, floor, demo.bags, runs=runs, warmup=warmup)


def _demo(path: pathlib.Path, *, bags: int) -> Demo:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        site = seed_demo(engine, today=local_today())
        with read_only(engine) as session:
            volunteer = session.scalars(
                select(Volunteer.name)
                .join(VolunteerRole, VolunteerRole.volunteer_id == Volunteer.id)
                .where(Volunteer.site_id == site.id, VolunteerRole.role == "handout")
                .order_by(Volunteer.id)
            ).first()
            hold_days = class_hold_days(get_site_rules(session, site_id=site.id))
            codes = sorted(
                session.scalars(
                    select(Order.pickup_code).where(Order.site_id == site.id, status_among(SLOTTED_ORDER_STATUSES))
                )
            )
            alone = []
            for code in codes:
                found = find_orders(session, site_id=site.id, text=code, now=utc_now(), hold_days=hold_days)
                if len(found) == 1 and found[0].slot is not None:
                    alone.append((code, found[0].slot))
    finally:
        engine.dispose()
    if volunteer is None or len(alone) < bags:
        raise SystemExit(f"the demo has {len(alone)} bags found alone by their code, {bags} needed")
    return Demo(url=url, site_id=site.id, volunteer=volunteer, bags=random.Random(0).sample(alone, bags))


def _timed(ours: Page, floor: Page, bags: list[tuple[str, str]], *, runs: int, warmup: int) -> dict[str, Figure]:
    """Bag by bag, the desk's pair of gestures and the floor's, the order within a pair flipping every bag."""
    times: dict[str, dict[str, list[float]]] = {FIND: {"ours": [], "floor": []}, HAND_OVER: {"ours": [], "floor": []}}
    for index, (code, slot) in enumerate(bags):
        sides: list[tuple[str, Callable[[], tuple[float, float]]]] = [
            ("ours", partial(_desk_gestures, ours, code, slot)),
            ("floor", partial(_floor_gestures, floor, code)),
        ]
        for side, gestures in sides if index % 2 == 0 else reversed(sides):
            find_ms, hand_over_ms = gestures()
            if index >= warmup:
                times[FIND][side].append(find_ms)
                times[HAND_OVER][side].append(hand_over_ms)
    return {name: figure_of(pair["ours"], pair["floor"]) for name, pair in times.items()}


def _desk_gestures(page: Page, code: str, slot: str) -> tuple[float, float]:
    main = page.locator('[data-testid="stMain"]')
    find_ms = _scan(page, zh("desk.search"), code, shown=main.get_by_role("heading", name=zh("desk.slot", slot=slot)))
    main.get_by_text(code, exact=True).wait_for()
    main.get_by_role("button", name=zh("desk.hand_over")).click()
    confirm = main.get_by_role("button", name=zh("desk.confirm_self"))
    confirm.wait_for()
    page.locator(IDLE_APP).wait_for()
    banner = main.locator('[data-testid="stAlertContentSuccess"]', has_text=code)
    undo = main.get_by_role("button", name=zh("desk.undo"))
    hand_over_ms = _tap(page, confirm, shown=(banner, undo))
    return find_ms, hand_over_ms


def _floor_gestures(page: Page, code: str) -> tuple[float, float]:
    main = page.locator('[data-testid="stMain"]')
    find_ms = _scan(page, "code", code, shown=main.get_by_role("heading", name=code))
    banner = main.locator('[data-testid="stAlertContentSuccess"]', has_text=code)
    undo = main.get_by_role("button", name="undo")
    hand_over_ms = _tap(page, main.get_by_role("button", name="hand over"), shown=(banner, undo))
    return find_ms, hand_over_ms


def _scan(page: Page, label: str, code: str, *, shown: Locator) -> float:
    """The code typed over whatever the box holds (untimed), then Enter until `shown` is visible."""
    box = page.get_by_label(label)
    box.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(code)
    start = time.perf_counter()
    page.keyboard.press("Enter")
    shown.wait_for()
    elapsed = (time.perf_counter() - start) * 1000
    page.locator(IDLE_APP).wait_for()
    return elapsed


def _tap(page: Page, button: Locator, *, shown: tuple[Locator, ...]) -> float:
    """A click in the middle of `button` (found untimed) until every locator of `shown` is visible."""
    box = button.bounding_box()
    if box is None:
        raise RuntimeError(f"{button} is not on the page")
    start = time.perf_counter()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for locator in shown:
        locator.wait_for()
    elapsed = (time.perf_counter() - start) * 1000
    page.locator(IDLE_APP).wait_for()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, help=f"bags timed (default {RUNS})")
    args = parser.parse_args(argv)
    print_figures({name: figure.as_json() for name, figure in browser_figures(runs=args.runs).items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
