"""The volunteer's tablet flows under AppTest: find → hand over → undo at the desk; check-in and problems."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Event, Order
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from tests.support.app_data import CODE, AppData, add_bag, order_row, receive, stored
from tests.support.pages import new_app, organizer_on
from ui.i18n import translate
from ui.pages_registry import VOLUNTEER


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def messages(at: AppTest) -> list[str]:
    return [element.value for element in (*at.success, *at.info, *at.warning, *at.error)]


def desk(data: AppData) -> AppTest:
    at = new_app(data, audience=VOLUNTEER).switch_page("pages/desk.py").run()
    assert not at.exception
    return at


def test_desk_search_hand_over_and_undo(writable_app_env: AppData):
    slot = receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    at = desk(writable_app_env)

    at.text_input(key="desk_query").input(CODE).run()
    assert not at.exception
    # The Enter took the code out of the box for the next scan; the box still shows what was searched, greyed.
    assert at.text_input(key="desk_query").value == ""
    assert at.text_input(key="desk_query").placeholder == zh("desk.searched", text=CODE).plain
    markdown = [element.value for element in at.markdown]
    assert f"## {zh('desk.slot', slot=slot)}" in markdown
    # Masked name and phone, their stars escaped: the desk shows them, not bold text.
    assert any("张\\*\\*" in text and "137\\*\\*\\*\\*2222" in text for text in markdown)

    # One tap, then one confirm.
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    assert zh("desk.confirm_hand_over", code=CODE, slot=slot) in messages(at)
    assert order_row(writable_app_env)[1] == "received"
    at.button(key="desk_confirm").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[1] == "picked_up"
    assert any(text.startswith(zh("desk.handed_over", code=CODE, slot=slot, until="")[:12]) for text in messages(at))
    # Ready for the next resident: the box is empty (no "nothing found" for the bag just handed over).
    assert at.text_input(key="desk_query").value == ""
    assert zh("desk.nothing_found", text=CODE) not in messages(at)
    assert f"desk_hand_over_{order_id}" not in {button.key for button in at.button}
    assert order_row(writable_app_env)[3][-1] == "order.picked_up"

    at.button(key="desk_undo").click().run()
    assert not at.exception
    _, status, slot_after, actions, _ = order_row(writable_app_env)
    assert (status, slot_after) == ("received", slot)
    assert actions[-2:] == ["order.picked_up", "order.hand_over_undone"]
    assert zh("desk.undone", code=CODE, slot=slot) in messages(at)
    # The bag is back in view, ready to hand over again; the box is empty for the next scan.
    assert at.text_input(key="desk_query").value == ""
    assert at.button(key=f"desk_hand_over_{order_id}")


def test_desk_clear_button_empties_the_search(writable_app_env: AppData):
    receive(writable_app_env)
    at = desk(writable_app_env)
    at.text_input(key="desk_query").input("no-such-bag").run()
    assert zh("desk.nothing_found", text="no-such-bag") in messages(at)
    assert at.text_input(key="desk_query").value == ""
    at.button(key="desk_clear").click().run()
    assert not at.exception
    assert at.text_input(key="desk_query").value == ""
    assert zh("desk.nothing_found", text="no-such-bag") not in messages(at)


def add_family_bags(data: AppData, codes: tuple[str, ...]) -> list[int]:
    """More bags for the test order's resident (same phone), each checked in; returns their ids."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            ids = []
            for number, code in enumerate(codes):
                order = create_order(
                    session,
                    site_id=data.site_id,
                    platform="美团优选",
                    order_number=f"F-{number}",
                    pickup_code=code,
                    resident_name="张先生",
                    phone="137-0000-2222",
                    delivery_date=local_today(),
                    items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
                    now=utc_now(),
                )
                receive_order(session, order_id=order.id, volunteer_id=data.volunteer.volunteer_id, now=utc_now())
                ids.append(order.id)
            return ids
    finally:
        store.dispose()


def prove(at: AppTest, answer: str) -> None:
    """The confirm step of a bag found by phone tail or name: no "who collected" before the code or whole phone."""
    assert "desk_confirm" not in {button.key for button in at.button}
    at.text_input(key="desk_proof").input(answer).run()
    assert not at.exception
    assert at.button(key="desk_confirm")


def statuses(data: AppData) -> dict[str, str]:
    return {row.pickup_code: row.status for row in stored(data, select(Order.pickup_code, Order.status))}


def test_desk_hands_over_a_household_in_one_confirm_and_undoes_it_at_once(writable_app_env: AppData):
    receive(writable_app_env)
    add_family_bags(writable_app_env, ("9-1", "9-2"))
    at = desk(writable_app_env)
    at.text_input(key="desk_query").input("2222").run()
    assert not at.exception
    # Three bags of one phone: one button for all, the step's one primary action (each bag's own is secondary),
    # then one confirm that also says who collected.
    kinds = {button.key: button.proto.type for button in at.button if button.key.startswith("desk_hand_over_")}
    assert sorted(kinds.values()) == ["primary", "secondary", "secondary", "secondary"]
    assert kinds["desk_hand_over_household_0"] == "primary"
    at.button(key="desk_hand_over_household_0").click().run()
    assert any(text.startswith(zh("desk.confirm_hand_over_household", count=3, bags="")[:8]) for text in messages(at))
    assert set(statuses(writable_app_env).values()) == {"received"}
    # Found by the phone tail: the whole number first (typed as the resident says it), then who collected.
    prove(at, "137 0000 2222")
    at.text_input(key="desk_collector_name").input("刘阿姨")
    at.button(key="desk_confirm_neighbour").click().run()
    assert not at.exception
    assert statuses(writable_app_env) == {"8-123": "picked_up", "9-1": "picked_up", "9-2": "picked_up"}
    afters = stored(writable_app_env, select(Event.after).where(Event.action == "order.picked_up"))
    assert [row.after for row in afters] == [
        {"status": "picked_up", "collected_by": "neighbour", "collector_name": "刘阿姨"}
    ] * 3
    assert at.text_input(key="desk_query").value == ""
    done = zh("desk.handed_over_household", count=3, bags="", until="")[:6]
    assert any(text.startswith(done) for text in messages(at))

    # Who collected shows in the order's history, in words.
    organizer = organizer_on(writable_app_env, "orders")
    organizer.selectbox(key="orders_detail").set_value(
        next(row for row in organizer.selectbox(key="orders_detail").options if "9-1" in row)
    ).run()
    assert not organizer.exception
    history = organizer.dataframe[-1].value
    assert "状态：已取走；取货人：邻居代领；代领人：刘阿姨" in list(history[zh("column.after")])

    at.button(key="desk_undo").click().run()
    assert not at.exception
    assert set(statuses(writable_app_env).values()) == {"received"}
    assert zh("desk.undone_household", count=3) in messages(at)
    assert at.text_input(key="desk_query").value == ""


def test_desk_household_refused_as_a_whole_when_one_bag_is_gone(writable_app_env: AppData):
    receive(writable_app_env)
    first, _ = add_family_bags(writable_app_env, ("9-1", "9-2"))
    at = desk(writable_app_env)
    at.text_input(key="desk_query").input("2222").run()
    at.button(key="desk_hand_over_household_0").click().run()
    prove(at, "9-2")  # one of the household's codes will do
    # Another tablet hands one of them over while this one asks.
    other = desk(writable_app_env)
    other.text_input(key="desk_query").input("9-1").run()
    other.button(key=f"desk_hand_over_{first}").click().run()
    other.button(key="desk_confirm").click().run()
    at.button(key="desk_confirm").click().run()
    assert not at.exception
    assert statuses(writable_app_env) == {"8-123": "received", "9-1": "picked_up", "9-2": "received"}
    errors = [element.value for element in at.error]
    assert len(errors) == 1 and errors[0].startswith(zh("error.household_already_handed_over", code="9-1")[:10])


def test_desk_cancel_leaves_the_bag_and_a_second_handover_names_the_first(writable_app_env: AppData):
    slot = receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    at = desk(writable_app_env)
    at.text_input(key="desk_query").input(CODE).run()
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    at.button(key="desk_cancel").click().run()
    assert order_row(writable_app_env)[1] == "received"
    assert zh("desk.confirm_hand_over", code=CODE, slot=slot) not in messages(at)

    # Another tablet hands it over while this one is asking.
    other = desk(writable_app_env)
    other.text_input(key="desk_query").input(CODE).run()
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    other.button(key=f"desk_hand_over_{order_id}").click().run()
    other.button(key="desk_confirm").click().run()
    at.button(key="desk_confirm").click().run()
    assert not at.exception
    errors = [element.value for element in at.error]
    assert len(errors) == 1 and errors[0].startswith(zh("error.already_handed_over", at="", volunteer="")[:6])
    assert "王阿姨" in errors[0]


def test_desk_moves_a_bag_to_another_slot(writable_app_env: AppData):
    slot = receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    at = desk(writable_app_env)
    at.text_input(key="desk_query").input(CODE).run()
    at.toggle(key=f"desk_move_{order_id}").set_value(True).run()
    choices = at.selectbox(key=f"desk_move_to_{order_id}").options
    assert slot not in choices and "F1-03" in choices and not any(c.startswith(("S1", "Z1")) for c in choices)
    at.selectbox(key=f"desk_move_to_{order_id}").set_value("F1-03").run()
    at.button(key=f"desk_move_submit_{order_id}").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[2] == "F1-03"
    assert zh("desk.moved", code=CODE, before=slot, slot="F1-03") in messages(at)


def arrivals(data: AppData) -> AppTest:
    at = new_app(data, audience=VOLUNTEER).switch_page("pages/arrivals.py").run()
    assert not at.exception
    return at


def test_arrivals_receive_by_code_shows_the_slot(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    assert at.metric[0].value == "1"
    at.text_input(key="arrivals_code").input(f"CB1:TS2:{CODE}")  # a scanned QR payload works like the code
    at.button(key="arrivals_receive").click().run()
    assert not at.exception
    _, status, slot, _, _ = order_row(writable_app_env)
    assert (status, slot) == ("received", "F1-01")  # chilled: the fridge
    assert f"# {zh('arrivals.put_in', slot='F1-01')}" in [element.value for element in at.markdown]
    assert at.metric[0].value == "0"

    at.button(key="arrivals_shelved").click().run()  # the second tap: the bag is in its slot
    assert not at.exception
    assert order_row(writable_app_env)[1:3] == ("shelved", "F1-01")
    assert zh("arrivals.shelved_done", code=CODE, slot="F1-01") in messages(at)

    at.text_input(key="arrivals_code").input("no-such-code")
    at.button(key="arrivals_receive").click().run()
    assert [element.value for element in at.error] == [zh("error.pickup_code_not_found", code="no-such-code")]


def test_arrivals_asks_before_checking_in_a_bag_of_a_later_day(writable_app_env: AppData):
    # Tomorrow's bag scanned this morning: said in the page's language, not checked in on the scan; "no" leaves it
    # expected, "check in early" takes it to a slot like any other bag.
    tomorrow = local_today() + dt.timedelta(days=1)
    order_id = add_bag(writable_app_env, code="9-901", phone="13900009901", delivered=tomorrow, received=False)
    status = select(Order.status, Order.slot_id).where(Order.id == order_id)
    for language in ("zh-CN", "en"):
        at = new_app(writable_app_env, audience=VOLUNTEER, language=language).switch_page("pages/arrivals.py").run()
        at.text_input(key="arrivals_code").input("9-901")
        at.button(key="arrivals_receive").click().run()
        assert not at.exception
        question = translate(language, "error.delivery_not_due", code="9-901", day=tomorrow)
        assert [element.value for element in at.warning] == [question]
        assert [tuple(row) for row in stored(writable_app_env, status)] == [("expected", None)]
        assert at.button(key="arrivals_early_yes").label == translate(language, "arrivals.check_in_early")
        at.button(key="arrivals_early_no").click().run()
        assert not at.warning and "arrivals_early_yes" not in {button.key for button in at.button}

    at.text_input(key="arrivals_code").input("9-901")
    at.button(key="arrivals_receive").click().run()
    at.button(key="arrivals_early_yes").click().run()
    assert not at.exception
    assert stored(writable_app_env, status)[0][0] == "received"
    assert "arrivals_shelved" in {button.key for button in at.button}


def test_arrivals_receive_whole_delivery(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    at.button(key="arrivals_receive_all").click().run()
    assert order_row(writable_app_env)[1] == "expected"  # asked first
    at.button(key="arrivals_receive_all_yes").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[1:3] == ("received", "F1-01")
    assert zh("arrivals.received_count", count=1) in messages(at)

    at.button(key="arrivals_shelve_all").click().run()
    at.button(key="arrivals_shelve_all_yes").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[1] == "shelved"
    assert zh("arrivals.shelved_count", count=1) in messages(at)


def test_arrivals_report_a_damaged_bag(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    at.selectbox(key="arrivals_problem_order").select_index(0).run()
    at.radio(key="arrivals_problem_reason").set_value("damaged").run()
    at.button(key="arrivals_report").click().run()
    at.button(key="arrivals_report_yes").click().run()
    assert not at.exception
    _, status, _, actions, reason = order_row(writable_app_env)
    assert (status, reason, actions[-1]) == ("problem", zh("arrivals.reason_damaged"), "order.problem")
    assert zh("arrivals.problem_reported", code=CODE) in messages(at)


def test_arrivals_undo_the_last_check_in(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    at.text_input(key="arrivals_code").input(CODE)
    at.button(key="arrivals_receive").click().run()
    assert order_row(writable_app_env)[1:3] == ("received", "F1-01")
    assert at.button(key="arrivals_undo_receive").label.startswith(zh("arrivals.undo_receive", until="")[:6])

    at.button(key="arrivals_undo_receive").click().run()
    assert not at.exception
    _, status, slot, actions, _ = order_row(writable_app_env)
    assert (status, slot, actions[-1]) == ("expected", None, "order.receive_undone")
    notice = zh("arrivals.receive_undone", code=CODE, slot="F1-01")
    assert notice in messages(at)
    assert notice in [element.value for element in at.toast]  # also where the eye is, not only at the page top
    assert at.metric[0].value == "1"  # expected again
    assert not {"arrivals_undo_receive", "arrivals_shelved"} & {button.key for button in at.button}


def test_arrivals_offers_no_undo_once_the_bag_is_shelved(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    at.text_input(key="arrivals_code").input(CODE)
    at.button(key="arrivals_receive").click().run()
    at.button(key="arrivals_shelved").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[1] == "shelved"
    assert "arrivals_undo_receive" not in {button.key for button in at.button}


def test_arrivals_offers_missing_only_for_a_bag_not_yet_in_its_slot(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    at.selectbox(key="arrivals_problem_order").select_index(0).run()  # expected: not delivered is possible
    assert at.radio(key="arrivals_problem_reason").options == [
        zh("arrivals.reason_missing"),
        zh("arrivals.reason_damaged"),
        zh("arrivals.reason_other"),
    ]
    at.radio(key="arrivals_problem_reason").set_value("missing").run()
    receive(writable_app_env)  # now it sits in its slot: it has arrived
    at.run()
    assert not at.exception
    if at.selectbox(key="arrivals_problem_order").value is None:  # its label changed with its status
        at.selectbox(key="arrivals_problem_order").select_index(0).run()
    assert at.selectbox(key="arrivals_problem_order").value.status == "received"
    assert at.radio(key="arrivals_problem_reason").options == [
        zh("arrivals.reason_damaged"),
        zh("arrivals.reason_other"),
    ]
    at.button(key="arrivals_report").click().run()
    at.button(key="arrivals_report_yes").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[1::3] == ("problem", zh("arrivals.reason_damaged"))


def test_arrivals_shows_the_slot_and_its_next_tap_above_the_code_box(writable_app_env: AppData):
    at = arrivals(writable_app_env)
    at.text_input(key="arrivals_code").input(CODE)
    at.button(key="arrivals_receive").click().run()
    keys = [button.key for button in at.button]
    assert keys.index("arrivals_shelved") < keys.index("arrivals_receive")
