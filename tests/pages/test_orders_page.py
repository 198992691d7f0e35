"""Organizer screens under AppTest: the orders list, detail, corrections, overdue returns and exports, and the
printable slot list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Event, Order
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from tests.support.app_data import AppData, stored
from tests.support.pages import organizer_on, zh
from ui.event_words import change_text


def add_overdue_order(data: AppData, *, number: str, code: str, days: int = 6) -> int:
    """A bag delivered `days` ago and sitting in a slot: past the default 3 hold days."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            order = create_order(
                session,
                site_id=data.site_id,
                platform="美团优选",
                order_number=number,
                pickup_code=code,
                resident_name="赵六",
                phone="13600136000",
                address="12号302室",
                delivery_date=local_today() - dt.timedelta(days=days),
                items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
                now=utc_now(),
            )
            receive_order(session, order_id=order.id, volunteer_id=data.organizer.volunteer_id, now=utc_now())
            return order.id
    finally:
        store.dispose()


@pytest.mark.usefixtures("app_env")
def test_orders_list_filters_shows_detail_and_offers_exports(app_database: AppData):
    at = organizer_on(app_database, "orders")
    table = at.dataframe[0].value
    assert list(table[zh("column.pickup_code")]) == ["8-123"]
    assert list(table[zh("column.phone")]) == ["137****2222"]  # masked in the list
    assert list(table[zh("column.slot")]) == [""]  # not yet on a shelf: blank, not "None"
    # Empty filters read as "all" in the reader's language, not Streamlit's English "Choose options".
    assert {at.multiselect(key=key).placeholder for key in ("orders_status", "orders_storage", "orders_platform")} == {
        zh("orders.filter_any")
    }
    assert {button.key for button in at.get("download_button")} >= {"orders_export_csv", "orders_export_xlsx"}

    at.multiselect(key="orders_status").set_value(["returned"]).run()
    assert not at.exception and at.caption[0].value == zh("orders.count", count=0)
    at.multiselect(key="orders_status").set_value(["expected"]).run()
    at.multiselect(key="orders_storage").set_value(["chilled"]).run()
    assert at.caption[0].value == zh("orders.count", count=1)

    at.selectbox(key="orders_detail").select_index(0).run()
    assert not at.exception
    assert at.header[0].value == zh("orders.detail_heading", platform="多多买菜", order_number="A-1")
    markdown = " ".join(element.value for element in at.markdown)
    assert "13700002222" not in markdown and "137\\*\\*\\*\\*2222" in markdown  # masked until asked why
    history = at.dataframe[-1].value
    assert list(history[zh("column.action")]) == [zh("value.action.order.created")]


@pytest.mark.usefixtures("writable_app_env")
def test_a_correction_is_saved_and_recorded(app_database_copy: AppData):
    at = organizer_on(app_database_copy, "orders")
    at.selectbox(key="orders_detail").select_index(0).run()
    order_id = stored(app_database_copy, select(Order.id).where(Order.pickup_code == "8-123"))[0].id
    at.text_input(key=f"correct_phone_{order_id}").input("+86 135 0000 9999")
    at.button(key=f"correct_save_{order_id}").click().run()
    assert not at.exception
    assert at.success[0].value == zh("orders.corrected", fields=zh("column.phone"))
    events = stored(app_database_copy, select(Event.action, Event.after).where(Event.action == "order.corrected"))
    assert [(row.action, row.after) for row in events] == [("order.corrected", {"phone": "13500009999"})]
    # The history words the change (手机：…), never as stored field names and codes (phone=…, status=expected), and
    # its numbers masked like every list's.
    at.run()
    history = at.dataframe[-1].value
    assert list(history[zh("column.after")]) == ["状态：待到货；平台：多多买菜；订单号：A-1", "手机：135****9999"]
    assert list(history[zh("column.before")]) == ["", "手机：137****2222"]
    # The phone box's hint is the masked number; saved empty, it keeps the number.
    assert at.text_input(key=f"correct_phone_{order_id}").placeholder == "135****9999"
    at.text_input(key=f"correct_phone_{order_id}").input("")
    at.text_input(key=f"correct_name_{order_id}").input("张二先生")
    at.button(key=f"correct_save_{order_id}").click().run()
    assert at.success[0].value == zh("orders.corrected", fields=zh("column.resident_name"))
    assert stored(app_database_copy, select(Order.phone).where(Order.id == order_id))[0].phone == "13500009999"


@pytest.mark.usefixtures("writable_app_env")
def test_overdue_bags_are_returned_in_bulk_after_a_confirm(app_database_copy: AppData):
    first = add_overdue_order(app_database_copy, number="M1", code="5-001")
    second = add_overdue_order(app_database_copy, number="M2", code="5-002", days=4)
    at = organizer_on(app_database_copy, "orders")
    assert at.metric[0].value == "2"
    overdue = at.table[0].value  # a static table: it prints as it is
    assert list(overdue[zh("column.days_overdue")]) == [4, 2]  # longest overdue first

    at.toggle(key="overdue_all").set_value(True).run()
    at.button(key="return_button").click().run()
    assert at.warning[0].value == zh("orders.return_confirm", count=2)
    assert stored(app_database_copy, select(Order.status).where(Order.id == first))[0].status == "received"
    at.button(key="return_yes").click().run()

    assert not at.exception
    assert at.success[0].value == zh("orders.returned", count=2, codes="5-001、5-002")
    assert at.metric[0].value == "0"
    rows = stored(app_database_copy, select(Order.status).where(Order.id.in_([first, second])))
    assert [row.status for row in rows] == ["returned", "returned"]


@pytest.mark.usefixtures("writable_app_env")
def test_slot_list_prints_by_slot_and_by_building(app_database_copy: AppData):
    add_overdue_order(app_database_copy, number="M1", code="5-001")
    at = organizer_on(app_database_copy, "slot_list")
    table = at.table[0].value
    # st.table reads its cells as Markdown: they hold the values escaped (a person reads S1-01, 赵*).
    assert list(table[zh("column.slot")]) == ["S1\\-01"]
    assert list(table[zh("column.resident_name")]) == ["赵\\*"]
    assert {button.key for button in at.get("download_button")} == {"slot_list_export_csv", "slot_list_export_xlsx"}
    at.radio(key="slot_list_by").set_value("building").run()
    assert not at.exception
    assert list(at.table[0].value.columns)[0] == zh("column.building")
    assert list(at.table[0].value[zh("column.building")]) == ["12号"]


@pytest.mark.usefixtures("writable_app_env")
def test_a_slot_correction_moves_the_bag_to_a_free_slot_of_its_kind(app_database_copy: AppData):
    order_id = add_overdue_order(app_database_copy, number="M1", code="5-001")
    at = organizer_on(app_database_copy, "orders")
    at.multiselect(key="orders_platform").set_value(["美团优选"]).run()
    at.selectbox(key="orders_detail").select_index(0).run()
    slots = at.selectbox(key=f"correct_slot_{order_id}").options
    assert slots[:3] == ["S1-01", "S1-02", "S1-03"] and not [slot for slot in slots if not slot.startswith("S1-")]
    at.selectbox(key=f"correct_slot_{order_id}").set_value("S1-03")
    at.button(key=f"correct_save_{order_id}").click().run()
    assert not at.exception
    assert at.success[0].value == zh("orders.corrected", fields=zh("column.slot"))
    moved = stored(app_database_copy, select(Event.before, Event.after).where(Event.action == "order.moved"))
    assert [(row.before["slot"], row.after["slot"]) for row in moved] == [("S1-01", "S1-03")]


def test_event_changes_are_worded_with_local_times():
    worded = change_text(
        {
            "outcome": "discarded",
            "excursion_started_at": "2026-11-25T23:30:00+00:00",
            "in_range": False,
            "roles": ["handout", "receiving"],
            "slot": None,
        }
    )
    assert worded.split("；") == [
        f"{zh('column.outcome')}：{zh('value.outcome.discarded')}",
        f"{zh('column.excursion_started_at')}：2026-11-26 07:30",  # stored UTC, shown in Shanghai
        f"{zh('column.in_range')}：否",
        f"{zh('column.roles')}：{zh('value.role.handout')}、{zh('value.role.receiving')}",
    ]
