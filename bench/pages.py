"""Page reruns under Streamlit's AppTest, each against the cheapest rerun there is (a one-line page), and the
memory of a process that rendered the organizers' heaviest pages."""

from __future__ import annotations

import json
import logging
import os
import pathlib
import random
import resource
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select

from bench.timing import Figure, interleaved
from db.core.clock import utc_now
from db.core.engine import make_engine, read_only, unit_of_work
from db.core.models import SLOTTED_ORDER_STATUSES, Order, Site, Volunteer, status_among
from db.people.accounts import grant_role
from db.people.login_sessions import SignedIn

if TYPE_CHECKING:  # for the annotations: the functions below import AppTest where they run it
    from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 300
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True


def people(url: str) -> tuple[SignedIn, SignedIn]:
    """A volunteer of the first site (the desk) and an organizer of every site (the district view).

    Granting the organizer role at every site is the bench's only write."""
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))
            first = session.scalars(select(Volunteer).where(Volunteer.site_id == site_ids[0]).order_by(Volunteer.id))
            organizer, volunteer = first.all()[:2]
            for site_id in site_ids:
                grant_role(session, volunteer_id=organizer.id, site_id=site_id, role="organizer", now=utc_now())
            return (
                SignedIn(volunteer.id, volunteer.name, site_ids[0], frozenset({"handout", "receiving", "cold_check"})),
                SignedIn(organizer.id, organizer.name, site_ids[0], frozenset({"organizer"})),
            )
    finally:
        engine.dispose()


def signed_in(user: SignedIn, audience: str, page: str) -> AppTest:
    from streamlit.testing.v1 import AppTest

    from ui.signed_in import AUDIENCE_KEY, SIGNED_IN_KEY

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[SIGNED_IN_KEY] = user
    at.session_state[AUDIENCE_KEY] = audience
    return checked(at.switch_page(page).run())


def checked(at: AppTest) -> AppTest:
    if at.exception:
        raise RuntimeError([element.value for element in at.exception])
    return at


# The organizers' pages timed cold (the figure cache emptied before each rerun) and warm.
ORGANIZER_PAGES = ("dashboard", "reports", "orders", "storage")


def page_figures(url: str, *, runs: int, warmup: int) -> dict[str, Figure]:
    """Reruns in one AppTest session each: the desk with a new search each time, the organizers' pages
    (ORGANIZER_PAGES) with the figure cache emptied before each rerun (cold) and kept (warm)."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url  # the app's store reads it (ui.store.get_engine)
    try:
        return _page_figures(url, runs=runs, warmup=warmup)
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def _rerun(page: AppTest, _index: int) -> None:
    checked(page.run())


def _page_figures(url: str, *, runs: int, warmup: int) -> dict[str, Figure]:
    from streamlit.testing.v1 import AppTest

    from ui.store import changed

    volunteer, organizer = people(url)
    codes = waiting_codes(url, site_id=volunteer.site_id)
    empty = AppTest.from_string("import streamlit as st\nst.write('x')", default_timeout=TIMEOUT).run()

    def floor(_index: int) -> None:
        checked(empty.run())

    desk = signed_in(volunteer, "volunteer", "pages/desk.py")

    def search(index: int) -> None:
        checked(desk.text_input(key="desk_query").input(codes[index % len(codes)]).run())
        # The bag is found: its slot heads a result.
        if not any(element.value.startswith("## ") for element in desk.markdown):
            raise RuntimeError(f"the desk found nothing for {codes[index % len(codes)]}")

    figures = {"desk page rerun with a search": interleaved(search, floor, runs=runs, warmup=warmup)}
    for name in ORGANIZER_PAGES:
        page = signed_in(organizer, "organizer", f"pages/{name}.py")

        rerun = partial(_rerun, page)
        figures[f"{name} page rerun cold"] = interleaved(
            rerun, floor, runs=runs, warmup=warmup, before=lambda _index: changed()
        )
        figures[f"{name} page rerun warm"] = interleaved(rerun, floor, runs=runs, warmup=warmup)
    return figures


def waiting_codes(url: str, *, site_id: int) -> list[str]:
    """The pickup codes of the site's bags in a slot, shuffled the same way each time: the desk's searches."""
    engine = make_engine(url)
    try:
        with read_only(engine) as session:
            codes = list(
                session.scalars(
                    select(Order.pickup_code).where(Order.site_id == site_id, status_among(SLOTTED_ORDER_STATUSES))
                )
            )
    finally:
        engine.dispose()
    random.Random(0).shuffle(codes)
    return codes


def page_scaling(baseline_url: str, url: str, *, runs: int, warmup: int) -> dict[str, Figure]:
    """Each page's rerun on `url` against the same page's rerun on `baseline_url`, alternating in one process (the
    app reads DATABASE_URL on each run): `ratio` is the page's time on the one store over the other, taken from the
    same moments of the machine's load, where figures from two runs minutes apart compare two loads as well."""
    previous = os.environ.get("DATABASE_URL")
    try:
        return _page_scaling(baseline_url, url, runs=runs, warmup=warmup)
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def _page_scaling(baseline_url: str, url: str, *, runs: int, warmup: int) -> dict[str, Figure]:
    from ui.store import changed

    stores = (url, baseline_url)
    people_of = {store: people(store) for store in stores}
    codes = {store: waiting_codes(store, site_id=people_of[store][0].site_id) for store in stores}

    def on(store: str, page: AppTest) -> Callable[[int], None]:
        def rerun(_index: int) -> None:
            os.environ["DATABASE_URL"] = store
            checked(page.run())

        return rerun

    def cold(_index: int) -> None:
        for store in stores:
            os.environ["DATABASE_URL"] = store
            changed()

    def searching(store: str) -> Callable[[int], None]:
        os.environ["DATABASE_URL"] = store
        desk = signed_in(people_of[store][0], "volunteer", "pages/desk.py")

        def search(index: int) -> None:
            os.environ["DATABASE_URL"] = store
            code = codes[store][index % len(codes[store])]
            checked(desk.text_input(key="desk_query").input(code).run())
            if not any(element.value.startswith("## ") for element in desk.markdown):
                raise RuntimeError(f"the desk found nothing for {code}")

        return search

    figures = {
        "desk page rerun with a search": interleaved(searching(url), searching(baseline_url), runs=runs, warmup=warmup)
    }
    for name in ORGANIZER_PAGES:
        pages = {}
        for store in stores:
            os.environ["DATABASE_URL"] = store
            pages[store] = signed_in(people_of[store][1], "organizer", f"pages/{name}.py")
        ours, floor = on(url, pages[url]), on(baseline_url, pages[baseline_url])
        figures[f"{name} page rerun cold"] = interleaved(ours, floor, runs=runs, warmup=warmup, before=cold)
        figures[f"{name} page rerun warm"] = interleaved(ours, floor, runs=runs, warmup=warmup)
    return figures


def rss_mb(url: str) -> float:
    """Peak resident memory of a fresh process that rendered the dashboard, reports and orders pages once each."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.pages", url],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["rss_mb"])


def _render_for_rss(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    _, organizer = people(url)
    for page in ("dashboard", "reports", "orders"):
        signed_in(organizer, "organizer", f"pages/{page}.py")
    print(json.dumps({"rss_mb": round(peak_rss_kb() / 1024, 1)}))


def peak_rss_kb() -> int:
    """This process's own peak resident memory: VmHWM from /proc (Linux). Not ru_maxrss, which Linux carries over an
    exec from the process that forked it: a bench that had just seeded a million orders (600 MB) handed its figure to
    the page process it started, which itself peaked at 219 MB."""
    status = pathlib.Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


if __name__ == "__main__":
    _render_for_rss(sys.argv[1])
