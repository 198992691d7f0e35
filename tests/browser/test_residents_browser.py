"""In Chromium on a phone: the residents' page opens the digits keypad for the phone ending, brings the answer into
view on a small screen, says when a bag's collect-by day has passed, and tells a slowed-down visitor when to retry.

Screenshots of each answer go to the folder CLOUD_BASKET_SCREENSHOTS names, when it is set. The overdue answer at
each size reads one server for the module (`overdue_server`, its sizes on one worker: each phone's right answer from
an address of its own); the slowed-down visitor's wrong tries would make the code ask for the whole number, so that
test has a server of its own."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Order
from db.orders.lifecycle import receive_order
from db.orders.residents import lookup_order_status
from db.people.sites import get_site_rules
from db.people.throttling import PER_SECRET_AND_CLIENT, delay_after
from tests.support.app_data import AppData
from tests.support.browser import IDLE_APP, open_page, screenshot_folder, streamlit_server, zh
from ui.i18n import message

# The app database's one order: 张先生, 13700002222, pickup code 8-123.
CODE, TAIL = "8-123", "2222"
ANSWER = ".st-key-status_answer"


@pytest.fixture(scope="module")
def overdue_day(module_app_database: AppData) -> tuple[dt.date, int]:
    """Order 8-123 delivered six days ago and waiting in its slot: (its collect-by day, the site's hold days)."""
    engine = make_engine(module_app_database.url)
    try:
        with unit_of_work(engine) as session:
            order = session.scalars(select(Order).where(Order.pickup_code == CODE)).one()
            order.delivery_date = local_today() - dt.timedelta(days=6)
            receive_order(
                session, order_id=order.id, volunteer_id=module_app_database.volunteer.volunteer_id, now=utc_now()
            )
            hold_days = get_site_rules(session, site_id=module_app_database.site_id).hold_days
            return order.delivery_date + dt.timedelta(days=hold_days - 1), hold_days
    finally:
        engine.dispose()


@contextmanager
def trusting_server(data: AppData, log_path: pathlib.Path) -> Iterator[str]:
    # Behind a proxy each phone has its own address: X-Forwarded-For tells them apart (README).
    with streamlit_server(data.url, log_path=log_path, env={"TRUST_FORWARDED_FOR": "1"}) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def overdue_server(
    module_app_database: AppData, overdue_day: tuple[dt.date, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with trusting_server(module_app_database, tmp_path_factory.mktemp("overdue") / "streamlit.log") as base_url:
        yield base_url


@pytest.fixture
def server(app_database_copy: AppData, tmp_path: pathlib.Path) -> Iterator[str]:
    with trusting_server(app_database_copy, tmp_path / "streamlit.log") as base_url:
        yield base_url


def phone(chromium, address: str, *, width: int, height: int):
    context = chromium.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        is_mobile=width < 600,
        has_touch=width < 600,
        extra_http_headers={"X-Forwarded-For": address},
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def ask(page, *, code: str, tail: str) -> None:
    page.get_by_label(zh("status.pickup_code")).fill(code)
    field = page.get_by_label(zh("status.phone_tail"))
    field.fill(tail)
    field.press("Enter")


@pytest.mark.xdist_group("residents_overdue")
@pytest.mark.parametrize("size", [(390, 664), (390, 844), (1024, 768)])
def test_an_overdue_bag_is_said_so_and_the_answer_is_in_view(
    chromium, overdue_server: str, overdue_day: tuple[dt.date, int], size
):
    server = overdue_server
    width, height = size
    last_day, hold_days = overdue_day
    context, page = phone(chromium, f"198.51.100.{width % 250}", width=width, height=height)
    try:
        open_page(page, f"{server}/status?site=TS2", zh("page.status.title"))
        # The phone ending opens the digits keypad; the pickup code (letters allowed) keeps the full keyboard.
        page.get_by_label(zh("status.phone_tail")).and_(page.locator('[inputmode="numeric"]')).wait_for()
        assert page.get_by_label(zh("status.pickup_code")).get_attribute("inputmode") is None
        ask(page, code=CODE, tail=TAIL)
        overdue = page.get_by_text(zh("status.state.overdue", date=f"{last_day:%Y-%m-%d}", days=hold_days))
        overdue.wait_for()
        page.locator(IDLE_APP).wait_for()
        # Brought into view: the whole message inside the screen, once the page has scrolled to it.
        page.wait_for_function(
            "([selector, height]) => { const box = document.querySelector(selector).getBoundingClientRect();"
            " return box.top >= 0 && box.top < height; }",
            arg=[ANSWER, height],
        )
        box = overdue.bounding_box()
        if shots := screenshot_folder():
            page.screenshot(path=shots / f"status_overdue_{width}x{height}.png")
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
        assert page.get_by_text(zh("status.state.ready", slot="", since="").split("：")[0]).count() == 0
    finally:
        context.close()


def test_a_slowed_down_visitor_is_told_when_to_retry_and_that_the_desk_can_help(
    chromium, server: str, app_database_copy: AppData
):
    address = "203.0.113.50"
    # This phone's wrong tries, made through the store in the last minutes, each after the wait the one before
    # it earned: ten failures, so the wait after the last is minutes, longer than the page takes to open.
    failures = 10
    waits = [delay_after(count, PER_SECRET_AND_CLIENT) + dt.timedelta(seconds=1) for count in range(1, failures)]
    moment = utc_now() - sum(waits, dt.timedelta()) - dt.timedelta(seconds=5)
    engine = make_engine(app_database_copy.url)
    try:
        for wait in [dt.timedelta(), *waits]:
            moment += wait
            with unit_of_work(engine) as session:
                # The whole (wrong) number: a code guessed five times wants it, and it still counts as a miss.
                answer = lookup_order_status(
                    session,
                    site_id=app_database_copy.site_id,
                    pickup_code=CODE,
                    phone="13700009999",
                    client=address,
                    now=moment,
                )
                assert answer is None
    finally:
        engine.dispose()
    context, page = phone(chromium, address, width=390, height=664)
    try:
        open_page(page, f"{server}/status?site=TS2", zh("page.status.title"))
        ask(page, code=CODE, tail=TAIL)
        before, after = message("zh-CN", "status.throttled").split("{until:%H:%M:%S}")
        refusal = page.locator('[data-testid="stAlertContentError"]', has_text=after.strip())
        refusal.wait_for()
        text = refusal.inner_text()
        if shots := screenshot_folder():
            page.screenshot(path=shots / "status_throttled_390x664.png")
        assert text.startswith(before.strip()), text
        retry_at = text.removeprefix(before.strip()).split()[0]
        assert dt.datetime.strptime(retry_at, "%H:%M:%S"), text
    finally:
        context.close()
