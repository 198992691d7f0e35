"""The first visit of the orders (订单) and storage (货架与冷柜) pages in a fresh browser session, measured by a real
Chromium against `streamlit run app.py` on the demo: an organizer signs in, then opens each page from the menu, the
time from the tap to the page's heading with its run finished. The floor is the first visit, from the menu, of a
one-widget Streamlit page (a heading and a text box) served by a second `streamlit run` in the same browser run.

Each session is new (a new browser context: its own cookies, a new Streamlit session), on a server that stays up:
what an organizer meets when opening the laptop in the morning. Skipped, with the reason printed, where Chromium or
Playwright is missing."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

from bench.timing import Figure, p95
from db.core.clock import local_today
from db.core.engine import make_engine
from db.core.migrate import upgrade_to_head
from seed.demo import ORGANIZER_PASSWORD, ORGANIZER_USERNAME, seed_demo
from ui.i18n import translate

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Two pages: the floor is the first visit of the second one from the menu, as the app's pages are visited.
FLOOR_APP = """import streamlit as st


def start():
    st.title("start")


def floor():
    st.title("floor")
    st.text_input("box")


st.navigation([st.Page(start, title="start", default=True), st.Page(floor, title="floor page")]).run()
"""
PAGES = {"orders": "page.orders.title", "storage": "page.storage.title"}


def first_visit_figures(*, sessions: int) -> dict[str, Figure]:
    """`browser_first_visit_orders` and `browser_first_visit_storage`: median and p95 over `sessions` fresh sessions
    (empty when no browser is available)."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print("browser first visits: skipped (no Chromium or Playwright)", file=sys.stderr)
        return {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(scratch)
        url = f"sqlite:///{folder / 'demo.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        seed_demo(engine, today=local_today())
        engine.dispose()
        (folder / "floor.py").write_text(FLOOR_APP, encoding="utf-8")
        with (
            _server(ROOT / "app.py", env={"DATABASE_URL": url}, log=folder / "app.log") as app,
            _server(folder / "floor.py", env={}, log=folder / "floor.log") as floor,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
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
            ours_ms=_median(ours),
            floor_ms=_median(floors),
            ours_p95_ms=p95(ours),
            floor_p95_ms=p95(floors),
            runs=len(ours),
        )
        for name, ours in times.items()
    }


def _organizer_session(browser, base_url: str) -> dict[str, float]:  # a playwright Browser
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{base_url}/sign_in")
        page.get_by_role("tab", name=_zh("sign_in.organizer_tab")).click()
        page.get_by_label(_zh("sign_in.username"), exact=True).fill(ORGANIZER_USERNAME)
        password = page.get_by_label(_zh("sign_in.password"))
        password.fill(ORGANIZER_PASSWORD)
        password.press("Enter")
        page.get_by_role("heading", name=_zh("page.dashboard.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        visits = {}
        for name, title in PAGES.items():
            started = time.perf_counter()
            page.get_by_role("link", name=_zh(title), exact=True).click()
            page.get_by_role("heading", name=_zh(title)).first.wait_for()
            page.locator(IDLE_APP).wait_for()
            visits[name] = (time.perf_counter() - started) * 1000
        return visits
    finally:
        context.close()


def _floor_session(browser, base_url: str) -> float:  # a playwright Browser
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


def _zh(key: str) -> str:
    return translate("zh-CN", key).plain


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@contextlib.contextmanager
def _server(script: pathlib.Path, *, env: dict[str, str], log: pathlib.Path) -> Iterator[str]:
    """`streamlit run script` on a free port; yields its base URL once healthy, stops it after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {key: value for key, value in os.environ.items() if key not in ("APP_LANG", "DATABASE_URL")}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=script.parent, env={**environment, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as answer:
                        if answer.read() == b"ok":
                            break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit did not start: {log.read_text(errors='replace')}") from None
                    time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
