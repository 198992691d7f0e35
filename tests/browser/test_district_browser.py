"""A district behind a proxy with sticky sessions: two `streamlit run` processes on one PostgreSQL database. A bag
handed over on one is refused as already handed over on the other, and both show the same figures once the
figures' cache (CLOUD_BASKET_REPORT_TTL_SECONDS) has run out."""

from __future__ import annotations

import time

from sqlalchemy import select

from db.core.models import Event, Order
from tests.support.app_data import CODE, AppData, order_row, receive, stored
from tests.support.browser import IDLE_APP, enroll_as_tablet, sign_in_on_tablet, streamlit_server, zh
from ui.kpis import COLD_CARDS, ORDER_CARDS

TTL_SECONDS = 2


def figures(tab) -> dict[str, str]:  # a playwright Page
    """The desk's KPI cards as shown: field → figure."""
    tab.locator('[data-testid="stMetric"]').first.wait_for()
    tab.locator(IDLE_APP).wait_for()
    shown = {}
    for name, label in {**ORDER_CARDS, **COLD_CARDS}.items():
        card = tab.locator('[data-testid="stMetric"]', has_text=zh(label)).first
        shown[name] = card.locator('[data-testid="stMetricValue"]').inner_text()
    return shown


def find_bag(tab) -> None:  # a playwright Page
    box = tab.get_by_label(zh("desk.search"))
    box.fill(CODE)
    box.press("Enter")
    tab.get_by_role("button", name=zh("desk.hand_over")).wait_for()
    tab.locator(IDLE_APP).wait_for()


def ask_to_hand_over(tab) -> None:  # a playwright Page
    """Tap the bag's handover button: the desk asks to confirm (and keeps the bag for that step)."""
    tab.get_by_role("button", name=zh("desk.hand_over")).click()
    tab.get_by_role("button", name=zh("desk.confirm_self")).wait_for()
    tab.locator(IDLE_APP).wait_for()


def test_two_app_processes_refuse_a_second_handover_and_agree_on_the_figures(
    chromium, postgres_app_database: AppData, tmp_path
):
    data = postgres_app_database
    receive(data)
    ttl = {"CLOUD_BASKET_REPORT_TTL_SECONDS": str(TTL_SECONDS)}
    with (
        streamlit_server(data.url, log_path=tmp_path / "first.log", env=ttl) as first,
        streamlit_server(data.url, log_path=tmp_path / "second.log", env=ttl) as second,
    ):
        contexts, tabs = [], []
        try:
            for number, base_url in enumerate((first, second), start=1):
                # Each tablet is stuck to its own process, as the proxy's sticky sessions do it.
                context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
                contexts.append(context)
                enroll_as_tablet(
                    context, base_url=base_url, database_url=data.url, site_id=data.site_id, name=f"取货台平板 {number}"
                )
                tab = context.new_page()
                tab.set_default_timeout(30_000)
                sign_in_on_tablet(tab, base_url)
                tabs.append(tab)
            one, two = tabs
            # The second process has the figures cached from before the handover.
            assert figures(two)["handed_over"] == "0"
            # Both tablets find the bag and tap its handover; the first confirms.
            for tab in tabs:
                find_bag(tab)
                ask_to_hand_over(tab)
            one.get_by_role("button", name=zh("desk.confirm_self")).click()
            one.get_by_role("button", name=zh("desk.undo")).wait_for()
            one.locator(IDLE_APP).wait_for()
            assert order_row(data)[1] == "picked_up"

            # The second confirms after the first handed the bag over: refused, in words, with when and by whom.
            two.get_by_role("button", name=zh("desk.confirm_self")).click()
            [(picked_up_at,)] = stored(data, select(Order.picked_up_at).where(Order.pickup_code == CODE))
            two.get_by_text(zh("error.already_handed_over", at=picked_up_at, volunteer="王阿姨")).wait_for()
            two.locator(IDLE_APP).wait_for()
            assert two.locator('[data-testid="stException"]').count() == 0
            handovers = stored(data, select(Event.id).where(Event.action == "order.picked_up"))
            assert len(handovers) == 1

            # Past the cache's lifetime both processes read the figures afresh and agree.
            time.sleep(TTL_SECONDS + 1)
            for tab in tabs:
                tab.reload()
                tab.get_by_role("heading", name=zh("page.desk.title")).wait_for()
            shown = [figures(tab) for tab in tabs]
            assert shown[0] == shown[1]
            assert shown[0]["handed_over"] == "1"
        finally:
            for context in contexts:
                context.close()
