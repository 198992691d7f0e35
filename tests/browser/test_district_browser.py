"""A district through a real nginx: the shipped deploy/nginx/cloudbasket.conf (rendered with the test's ports and a
throwaway certificate) in front of two `streamlit run` processes on one PostgreSQL database, Chromium over HTTPS.

Sticky sessions by nginx's route cookie put two tablets of one address on two processes: a bag handed over on one is
refused on the other, and both show the same figures once the figures' cache (CLOUD_BASKET_REPORT_TTL_SECONDS) has run
out. The rate limits count the browser's own address, not an X-Forwarded-For it sent. Last, the process one tablet is
on is killed: after a reload the tablet is on the other process, still signed in, and hands over a bag; each bag is
handed over exactly once. nginx's access log (the test's own log format) tells which process served a request.

One nginx and two app processes for the module; its tests run in order on one worker (the last one kills a process).
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Event, LoginSession, LookupAttempt, Order
from db.core.secrets import LOOKUP_HASH_KEY, app_secret
from db.people.throttling import LimitKey
from tests.support.app_data import CODE, AppData, add_bag, fill_app_database, receive, stored
from tests.support.browser import (
    IDLE_APP,
    AppProcess,
    enroll_as_tablet,
    open_page,
    sign_in_on_tablet,
    streamlit_processes,
    zh,
)
from tests.support.databases import create_postgres_database, drop_postgres_database, skip_or_fail
from tests.support.proxy import Proxy, nginx_missing, nginx_proxy, served
from ui.kpis import COLD_CARDS, ORDER_CARDS

if TYPE_CHECKING:  # for the annotations: playwright may be missing where browser_missing() says so
    from playwright.sync_api import Page

pytestmark = pytest.mark.xdist_group("district_proxy")

TTL_SECONDS = 2
SECOND_CODE = "8-124"  # a second bag, handed over after a process died
FORGED = ["203.0.113.1", "203.0.113.2"]  # a new forged address on each try


@dataclass(frozen=True)
class District:
    data: AppData
    proxy: Proxy
    apps: list[AppProcess]


@dataclass(frozen=True)
class Tablet:
    tab: Page
    route: str  # its cb_route cookie
    app: AppProcess  # the process its route hashes to


@pytest.fixture(scope="module")
def district(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    reason = nginx_missing()
    if reason is not None:
        skip_or_fail(reason, required_by="REQUIRE_BROWSER")
    url, admin = create_postgres_database(postgres_server)
    try:
        data = fill_app_database(url)
        receive(data)
        add_bag(data, code=SECOND_CODE, phone="13700003333", delivered=local_today(utc_now()))
        folder = tmp_path_factory.mktemp("district")
        env = {"CLOUD_BASKET_REPORT_TTL_SECONDS": str(TTL_SECONDS), "TRUST_FORWARDED_FOR": "1"}
        logs = [folder / "first.log", folder / "second.log"]
        with (
            streamlit_processes(url, log_paths=logs, env=env) as apps,
            nginx_proxy(folder, app_ports=(apps[0].port, apps[1].port)) as proxy,
        ):
            yield District(data=data, proxy=proxy, apps=apps)
    finally:
        drop_postgres_database(admin, url)


def request(proxy: Proxy, path: str, *, route: str | None = None) -> http.client.HTTPResponse:
    """One GET through the proxy's HTTPS port (its certificate is the test's own), with a route cookie or none."""
    host, port = proxy.https_url.removeprefix("https://").split(":")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    connection.request("GET", path, headers={"Cookie": f"cb_route={route}"} if route else {})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def route_cookies(answer: http.client.HTTPResponse) -> list[str]:
    """The proxy's route cookies an answer sets (Streamlit sets its own XSRF cookie beside them)."""
    return [cookie for cookie in answer.headers.get_all("Set-Cookie", []) if cookie.startswith("cb_route=")]


def ports_of(proxy: Proxy, route: str, *, at_least: int = 1) -> list[list[int]]:
    """The app ports nginx tried for each logged request of `route`, in order, once `at_least` are logged (nginx
    writes a line just after its answer) or after 5 s."""
    for _ in range(50):
        found = [entry.ports for entry in served(proxy.access_log) if entry.route == route]
        if len(found) >= at_least:
            break
        time.sleep(0.1)
    return found


def route_to(district: District, app: AppProcess) -> str:
    """A route cookie that the proxy's hash sends to `app`, found by asking."""
    for number in range(40):
        route = f"probe-{number}"
        request(district.proxy, "/_stcore/health", route=route)
        if ports_of(district.proxy, route) == [[app.port]]:
            return route
    raise AssertionError(f"no route of 40 reached port {app.port}")


@pytest.fixture(scope="module")
def tablets(chromium, district: District) -> Iterator[list[Tablet]]:
    """Two enrolled counter tablets, signed in through the proxy: the first takes the route nginx gives it, the
    second a route to the other process."""
    base_url, contexts, tablets = district.proxy.https_url, [], []
    try:
        for number in (1, 2):
            context = chromium.new_context(
                viewport={"width": 1024, "height": 768}, locale="zh-CN", ignore_https_errors=True
            )
            contexts.append(context)
            enroll_as_tablet(
                context,
                base_url=base_url,
                database_url=district.data.url,
                site_id=district.data.site_id,
                name=f"取货台平板 {number}",
            )
            if tablets:
                other = next(app for app in district.apps if app is not tablets[0].app)
                context.add_cookies([{"name": "cb_route", "value": route_to(district, other), "url": base_url}])
            tab = context.new_page()
            tab.set_default_timeout(30_000)
            sign_in_on_tablet(tab, base_url)
            [route] = [cookie["value"] for cookie in context.cookies() if cookie["name"] == "cb_route"]
            # Every request of the tablet so far (the page, its scripts, the sign-in) went to one process.
            [port] = {port for ports in ports_of(district.proxy, route) for port in ports}
            tablets.append(Tablet(tab=tab, route=route, app=next(app for app in district.apps if app.port == port)))
        yield tablets
    finally:
        for context in contexts:
            context.close()


def test_a_browser_without_a_route_gets_one_and_keeps_it(district: District):
    [cookie] = route_cookies(request(district.proxy, "/_stcore/health"))
    route = cookie.split(";")[0].removeprefix("cb_route=")
    assert len(route) == 32
    assert cookie.endswith("; Path=/; Secure; HttpOnly; SameSite=Lax")
    # Sent back, the route is kept (no new cookie) and hashes to the process that served the first request.
    again = request(district.proxy, "/_stcore/health", route=route)
    assert again.status == 200
    assert route_cookies(again) == []
    [[port], [same]] = ports_of(district.proxy, route, at_least=2)
    assert port == same
    # Plain HTTP is sent to HTTPS.
    host, http_port = district.proxy.http_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(http_port), timeout=10)
    connection.request("GET", "/status")
    assert connection.getresponse().getheader("Location") == "https://127.0.0.1/status"
    connection.close()


def figures(tab) -> dict[str, str]:  # a playwright Page
    """The desk's KPI cards as shown: field → figure."""
    tab.locator('[data-testid="stMetric"]').first.wait_for()
    tab.locator(IDLE_APP).wait_for()
    shown = {}
    for name, label in {**ORDER_CARDS, **COLD_CARDS}.items():
        card = tab.locator('[data-testid="stMetric"]', has_text=zh(label)).first
        shown[name] = card.locator('[data-testid="stMetricValue"]').inner_text()
    return shown


def find_bag(tab, code: str) -> None:  # a playwright Page
    box = tab.get_by_label(zh("desk.search"))
    box.fill(code)
    box.press("Enter")
    tab.get_by_role("button", name=zh("desk.hand_over")).wait_for()
    tab.locator(IDLE_APP).wait_for()


def ask_to_hand_over(tab) -> None:  # a playwright Page
    """Tap the bag's handover button: the desk asks to confirm (and keeps the bag for that step)."""
    tab.get_by_role("button", name=zh("desk.hand_over")).click()
    tab.get_by_role("button", name=zh("desk.confirm_self")).wait_for()
    tab.locator(IDLE_APP).wait_for()


def hand_over(tab) -> None:  # a playwright Page
    tab.get_by_role("button", name=zh("desk.confirm_self")).click()
    tab.get_by_role("button", name=zh("desk.undo")).wait_for()
    tab.locator(IDLE_APP).wait_for()


def handovers(data: AppData) -> dict[str, int]:
    """Each handed-over bag's code → how many handover events it has."""
    rows = stored(
        data,
        select(Order.pickup_code, func.count(Event.id))
        .join(Event, (Event.entity == "order") & (Event.entity_id == Order.id))
        .where(Event.action == "order.picked_up")
        .group_by(Order.pickup_code),
    )
    return {code: count for code, count in rows}


def test_two_tablets_on_two_processes_one_bag_handed_over_once(district: District, tablets: list[Tablet]):
    one, two = (tablet.tab for tablet in tablets)
    assert tablets[0].app is not tablets[1].app
    # The second process has the figures cached from before the handover.
    assert figures(two)["handed_over"] == "0"
    # Both tablets find the bag and tap its handover; the first confirms.
    for tab in (one, two):
        find_bag(tab, CODE)
        ask_to_hand_over(tab)
    hand_over(one)
    # The second confirms after the first handed the bag over: refused, in words, with when and by whom.
    two.get_by_role("button", name=zh("desk.confirm_self")).click()
    [(picked_up_at,)] = stored(district.data, select(Order.picked_up_at).where(Order.pickup_code == CODE))
    two.get_by_text(zh("error.already_handed_over", at=picked_up_at, volunteer="王阿姨")).wait_for()
    two.locator(IDLE_APP).wait_for()
    assert two.locator('[data-testid="stException"]').count() == 0
    assert handovers(district.data) == {CODE: 1}

    # Past the cache's lifetime both processes read the figures afresh and agree.
    time.sleep(TTL_SECONDS + 1)
    for tab in (one, two):
        tab.reload()
        tab.get_by_role("heading", name=zh("page.desk.title")).wait_for()
    shown = [figures(tab) for tab in (one, two)]
    assert shown[0] == shown[1]
    assert shown[0]["handed_over"] == "1"


def test_the_lookup_counts_the_browsers_address_not_the_header_it_sends(chromium, district: District):
    """With TRUST_FORWARDED_FOR=1 the app takes the last X-Forwarded-For entry: the one nginx appends, the
    browser's own address (127.0.0.1 here). A forged header, rotated on each try, buys no fresh client."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        for number, forged in enumerate(FORGED):
            # The header goes with the page load, so the app's websocket (st.context.headers) carries it.
            page.set_extra_http_headers({"X-Forwarded-For": forged})
            open_page(page, f"{district.proxy.https_url}/status", zh("page.status.title"))
            page.get_by_label(zh("status.pickup_code")).fill(f"9-90{number}")
            tail = page.get_by_label(zh("status.phone_tail"))
            tail.fill("0000")
            tail.press("Enter")
            page.get_by_text(zh("status.not_found")).wait_for()
    finally:
        context.close()
    engine = make_engine(district.data.url)
    try:
        with unit_of_work(engine) as session:
            secret = app_secret(session, name=LOOKUP_HASH_KEY, now=utc_now())
            keys = session.scalars(select(LookupAttempt.key_hash).where(LookupAttempt.scope == "client")).all()
    finally:
        engine.dispose()
    assert keys == [LimitKey(scope="client", value="127.0.0.1").digest(secret)] * len(FORGED)


def test_a_killed_process_moves_its_tablet_to_the_other_still_signed_in(district: District, tablets: list[Tablet]):
    moved, stays = tablets
    signed_in = stored(district.data, select(func.count(LoginSession.id)))

    def streams() -> list[list[int]]:
        return [
            e.ports
            for e in served(district.proxy.access_log)
            if e.route == moved.route and "/_stcore/stream" in e.request
        ]

    closed_before = len(streams())
    moved.app.process.kill()
    moved.app.process.wait()
    # The tablet's websocket had gone to its process: nginx logs a websocket when it closes, so the kill's closing
    # of it is awaited (up to 5 s) before the requests after it are counted.
    dead = [moved.app.port]
    for _ in range(50):
        if len(streams()) > closed_before:
            break
        time.sleep(0.1)
    assert streams()[closed_before:][:1] == [dead]
    before = len(ports_of(district.proxy, moved.route, at_least=0))

    tab = moved.tab
    tab.reload()
    tab.get_by_role("heading", name=zh("page.desk.title")).wait_for()
    tab.locator(IDLE_APP).wait_for()
    # Served by the other process now (a request nginx first sent to the dead one was passed on: its last port is
    # the live one), and signed in by its cb_session cookie (no new sign-in row).
    after = ports_of(district.proxy, moved.route, at_least=before + 1)[before:]
    assert {ports[-1] for ports in after} == {stays.app.port}, after
    assert stored(district.data, select(func.count(LoginSession.id))) == signed_in
    find_bag(tab, SECOND_CODE)
    ask_to_hand_over(tab)
    hand_over(tab)
    # No handover lost or doubled: each bag has exactly one.
    assert handovers(district.data) == {CODE: 1, SECOND_CODE: 1}
