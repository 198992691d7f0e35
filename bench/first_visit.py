"""The first visit of the orders (订单) and storage (货架与冷柜) pages in a fresh browser session, measured by a real
Chromium against `streamlit run app.py` on the demo: an organizer signs in, then opens each page from the menu, the
time from the tap to the page's heading with its run finished. The floor is the first visit, from the menu, of a
one-widget Streamlit page (a heading and a text box) served by a second `streamlit run` in the same browser run.

Each session is new (a new browser context: its own cookies, a new Streamlit session), on a server that stays up:
what an organizer meets when opening the laptop in the morning. Skipped, with the reason printed, where Chromium or
Playwright is missing."""

from __future__ import annotations

import pathlib
import statistics
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from bench.timing import Figure, p95
from db.core.clock import local_today
from db.core.engine import make_engine
from db.core.migrate import upgrade_to_head
from seed.demo import ORGANIZER_PASSWORD, ORGANIZER_USERNAME, seed_demo
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, IDLE_APP, browser_missing, streamlit_server, zh

if TYPE_CHECKING:  # for the annotations: playwright may be missing, and the figures are then skipped
    from playwright.sync_api import Browser

FLOOR_PAGE = "bench/floor_menu_page.py"
PAGES = {"orders": "page.orders.title", "storage": "page.storage.title"}


def first_visit_figures(*, sessions: int) -> dict[str, Figure]:
    """`browser_first_visit_orders` and `browser_first_visit_storage`: median and p95 over `sessions` fresh sessions
    (empty when no browser is available)."""
    reason = browser_missing()
    if reason is not None:
        print(f"browser first visits: skipped ({reason})", file=sys.stderr)
        return {}
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(scratch)
        url = f"sqlite:///{folder / 'demo.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        seed_demo(engine, today=local_today())
        engine.dispose()
        with (
            streamlit_server(url, log_path=folder / "app.log") as app,
            streamlit_server(None, log_path=folder / "floor.log", script=FLOOR_PAGE) as floor,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                times: dict[str, list[float]] = {name: [] for name in PAGES}
                floors: list[float] = []
                # One session first to warm the server (modules imported, caches filled): not counted.
                for session in range(sessions + 1):
                    visits = _organizer_session(browser, app)
                    floor_ms = _floor_session(browser, floor)
                    if session:
                        for name, ms in visits.items():
                            times[name].append(ms)
                        floors.append(floor_ms)
            finally:
                browser.close()
    return {
        f"browser_first_visit_{name}": Figure(
            ours_ms=statistics.median(ours),
            floor_ms=statistics.median(floors),
            ours_p95_ms=p95(ours),
            floor_p95_ms=p95(floors),
            runs=len(ours),
        )
        for name, ours in times.items()
    }


def _organizer_session(browser: Browser, base_url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{base_url}/sign_in")
        page.get_by_role("tab", name=zh("sign_in.organizer_tab")).click()
        page.get_by_label(zh("sign_in.username"), exact=True).fill(ORGANIZER_USERNAME)
        password = page.get_by_label(zh("sign_in.password"))
        password.fill(ORGANIZER_PASSWORD)
        password.press("Enter")
        page.get_by_role("heading", name=zh("page.dashboard.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        visits = {}
        for name, title in PAGES.items():
            started = time.perf_counter()
            page.get_by_role("link", name=zh(title), exact=True).click()
            page.get_by_role("heading", name=zh(title)).first.wait_for()
            page.locator(IDLE_APP).wait_for()
            visits[name] = (time.perf_counter() - started) * 1000
        return visits
    finally:
        context.close()


def _floor_session(browser: Browser, base_url: str) -> float:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(base_url)
        page.get_by_role("heading", name="start").wait_for()
        page.locator(IDLE_APP).wait_for()
        started = time.perf_counter()
        page.get_by_role("link", name="floor page", exact=True).click()
        page.get_by_role("heading", name="floor").wait_for()
        page.locator(IDLE_APP).wait_for()
        return (time.perf_counter() - started) * 1000
    finally:
        context.close()
