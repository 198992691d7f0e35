"""Real-browser test support: `streamlit run app.py` on a free port, Debian's Chromium via Playwright, and the
steps every browser test takes (open a page and wait for it, sign in on the tablet)."""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from tests.support.app_data import APP_ORGANIZER_PASSWORD, APP_ORGANIZER_USERNAME, APP_VOLUNTEER_PIN
from tests.support.markdown_payloads import unescaped
from tests.support.paths import ROOT
from ui.i18n import translate

if TYPE_CHECKING:  # for the annotations: playwright may be missing where browser_missing() says so
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts it cannot reach (update and safe-browsing
# services).
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
# The app has finished a run when this matches (wait for real content first, then for this).
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# The folder for the screenshots a test takes to be looked at after a change (its steps, each size, each language).
SCREENSHOTS_ENV = "CLOUD_BASKET_SCREENSHOTS"


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not pathlib.Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


def screenshot_folder() -> pathlib.Path | None:
    """The folder CLOUD_BASKET_SCREENSHOTS names (made when missing), or None when it is unset: CI takes no step
    screenshots (they cost the outbox test 11 s of its 20), and a failing browser test keeps a screenshot of each
    tab it had open either way (tests/browser/conftest.py)."""
    wanted = os.environ.get(SCREENSHOTS_ENV)
    if not wanted:
        return None
    folder = pathlib.Path(wanted)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class AppProcess:
    """One `streamlit run` started by `streamlit_processes`: where it answers, and the process (to kill it)."""

    base_url: str
    port: int
    process: subprocess.Popen[bytes]


@contextmanager
def streamlit_server(
    database_url: str | None,
    *,
    log_path: pathlib.Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    root: pathlib.Path = ROOT,
    script: str = "app.py",
) -> Iterator[str]:
    """`streamlit run app.py` against `database_url` (None: the embedded file under `root`'s data/, as a fresh
    install has it); yields the base URL once /_stcore/health says ok. `root` is the app's folder (a copy, for a
    test that needs an install of its own); `script` another page to serve instead of app.py (the bench's floor
    page, a test's probe)."""
    with streamlit_processes(
        database_url, log_paths=[log_path], env=env, timeout=timeout, root=root, script=script
    ) as [app]:
        yield app.base_url


@contextmanager
def streamlit_processes(
    database_url: str | None,
    *,
    log_paths: list[pathlib.Path],
    env: dict[str, str] | None = None,
    timeout: float = 60,
    root: pathlib.Path = ROOT,
    script: str = "app.py",
    cpus: list[set[int]] | None = None,
) -> Iterator[list[AppProcess]]:
    """One `streamlit run` per log path, all started before any is waited for (they start side by side); yields
    them once each one's /_stcore/health says ok, and ends those still running afterwards. With `cpus`, each is
    pinned from its start to the CPUs of its entry (os.sched_setaffinity): the capacity bench keeps its load
    client's CPU apart from the app's."""
    with ExitStack() as stack:
        apps = [
            stack.enter_context(
                _started(
                    database_url,
                    log_path=log_path,
                    env=env,
                    root=root,
                    script=script,
                    cpus=cpus[index] if cpus else None,
                )
            )
            for index, log_path in enumerate(log_paths)
        ]
        for app, log_path in zip(apps, log_paths, strict=True):
            wait_until_ready(app.process, partial(_healthy, app.base_url), timeout=timeout, log_path=log_path)
        yield apps


@contextmanager
def _started(
    database_url: str | None,
    *,
    log_path: pathlib.Path,
    env: dict[str, str] | None,
    root: pathlib.Path,
    script: str,
    cpus: set[int] | None = None,
) -> Iterator[AppProcess]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
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
    # The developer's APP_LANG must not leak in: tests expect the default language unless they pass one.
    environment = {key: value for key, value in os.environ.items() if key not in ("APP_LANG", "DATABASE_URL")}
    environment.update({"DATABASE_URL": database_url} if database_url else {})
    environment.update(env or {})
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            cwd=root,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if cpus is None else partial(os.sched_setaffinity, 0, cpus),
        )
        try:
            yield AppProcess(base_url=f"http://127.0.0.1:{port}", port=port, process=server)
        finally:
            stop(server, timeout=15)


def stop(server: subprocess.Popen[bytes], *, timeout: float) -> None:
    """Asks a server to end, and kills it if it has not within `timeout` seconds."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_until_ready(
    server: subprocess.Popen[bytes], ready: Callable[[], bool], *, timeout: float, log_path: pathlib.Path
) -> None:
    """Asks `ready` (which may raise OSError: not yet) every 0.1 s until it says yes; fails with the server's log
    when the server exits first or `timeout` seconds pass."""
    name = pathlib.Path(str(server.args[0])).name if isinstance(server.args, list) else "server"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited with {server.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} was not ready within {timeout} s:\n{log_path.read_text(errors='replace')}")


def _healthy(base_url: str) -> bool:
    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as answer:
        return bool(answer.read().decode().strip() == "ok")


# What a fresh install needs to run: the app without its tests, data or history.
APP_PARTS = ("app.py", ".streamlit", "db", "ui", "pages", "seed")


def fresh_install(target: pathlib.Path) -> pathlib.Path:
    """A copy of the app in `target` with no data/ folder: its first start builds the embedded demo database."""
    target.mkdir(parents=True, exist_ok=True)
    for part in APP_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / part)
    return target


def enroll_as_tablet(
    context: BrowserContext,
    *,
    base_url: str,
    database_url: str,
    site_id: int,
    name: str = "取货台平板 1",
) -> None:
    """Make a browser context the site's enrolled counter tablet, as an organizer does on the devices page."""
    from db.core.clock import utc_now
    from db.core.engine import make_engine, unit_of_work
    from db.people.devices import enroll_tablet
    from ui.cookies import DEVICE_COOKIE

    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            token = enroll_tablet(session, site_id=site_id, name=name, actor_id=None, now=utc_now())
    finally:
        engine.dispose()
    context.add_cookies([{"name": DEVICE_COOKIE, "value": token, "url": base_url}])


def zh(key: str, **params: object) -> str:
    """A message as the browser shows it: its parameters' Markdown escapes rendered away (word joiners stay)."""
    return unescaped(translate("zh-CN", key, **params))


def open_page(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for()
    page.locator(IDLE_APP).wait_for()


def sign_in_on_tablet(page: Page, base_url: str, *, name: str = "王阿姨") -> None:
    """Pick the name on the tablet's sign-in page, type the PIN, and wait for the desk."""
    open_page(page, f"{base_url}/sign_in", zh("page.sign_in.title"))
    page.get_by_label(zh("sign_in.name")).click()
    page.get_by_role("option", name=name).click()
    pin = page.get_by_label(zh("sign_in.pin"))
    pin.fill(APP_VOLUNTEER_PIN)
    pin.press("Enter")
    page.get_by_role("heading", name=zh("page.desk.title")).wait_for()
    page.locator(IDLE_APP).wait_for()


def sign_in_as_organizer(page: Page, base_url: str) -> None:
    """Username and password on the organizer tab of the sign-in page, then wait for the dashboard. Go on through
    the menu: a fresh page load starts a new browser session."""
    page.goto(f"{base_url}/sign_in")
    page.get_by_role("tab", name=zh("sign_in.organizer_tab")).click()
    page.get_by_label(zh("sign_in.username"), exact=True).fill(APP_ORGANIZER_USERNAME)
    password = page.get_by_label(zh("sign_in.password"))
    password.fill(APP_ORGANIZER_PASSWORD)
    password.press("Enter")
    page.get_by_role("heading", name=zh("page.dashboard.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
