"""The desk under a scanner and a stranger (AppTest): every Enter starts the next search fresh, a bag found by phone
tail or name opens only to its code or whole phone number, and an overdue bag comes before the last handover."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today
from db.core.models import Event
from db.orders.proof import WRONG_ANSWERS_ALLOWED
from tests.support.app_data import CODE, AppData, add_bag, order_row, receive, stored
from tests.support.pages import new_app, zh
from ui.pages_registry import VOLUNTEER

WHOLE_PHONE = "13700002222"  # the test order's resident


def desk(data: AppData) -> AppTest:
    at = new_app(data, audience=VOLUNTEER).switch_page("pages/desk.py").run()
    assert not at.exception
    return at


def scan(at: AppTest, code: str) -> None:
    """A scanner's code + Enter into whatever the box holds now (AppTest's input replaces it: the box is checked
    empty first, as a scanner needs it)."""
    box = at.text_input(key="desk_query")
    assert box.value == ""
    box.input(code).run()
    assert not at.exception
    assert at.text_input(key="desk_query").value == ""


def hand_over_buttons(at: AppTest) -> set[str]:
    return {button.key for button in at.button if button.key and button.key.startswith("desk_hand_over_")}


def test_each_scan_finds_its_bag_after_a_miss_a_bag_not_taken_an_undo_and_a_bag_not_ready(
    writable_app_env: AppData,
):
    receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    other = add_bag(writable_app_env, code="922041", phone="13900003790", delivered=local_today())
    waiting = add_bag(writable_app_env, code="7-7", phone="13900004444", delivered=local_today(), received=False)
    at = desk(writable_app_env)

    scan(at, "000000")
    assert zh("desk.nothing_found", text="000000") in [info.value for info in at.info]
    scan(at, "922041")  # not 000000922041
    assert hand_over_buttons(at) == {f"desk_hand_over_{other}"}
    scan(at, CODE)  # the resident did not take 922041: the next scan is not appended to it
    assert hand_over_buttons(at) == {f"desk_hand_over_{order_id}"}
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    at.button(key="desk_confirm").click().run()
    at.button(key="desk_undo").click().run()
    assert order_row(writable_app_env)[1] == "received"
    scan(at, "7-7")  # after the undo, not 8-1237-7
    assert zh("desk.not_ready", status=zh("value.status.expected")) in [info.value for info in at.info]
    assert f"desk_hand_over_{waiting}" not in hand_over_buttons(at)
    scan(at, "922041")
    assert hand_over_buttons(at) == {f"desk_hand_over_{other}"}


def test_a_stranger_holding_only_the_group_text_gets_no_bag(writable_app_env: AppData):
    """The group notice gives the masked name, the building and the class; the desk finds the bag by the name or a
    guessed tail, and then asks for what the notice does not carry. Guesses are refused, recorded, and run out."""
    receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    at = desk(writable_app_env)
    scan(at, "张")
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    assert zh("desk.proof_needed") in [info.value for info in at.info]
    assert "desk_confirm" not in {button.key for button in at.button}
    at.text_input(key="desk_proof").input("2222").run()  # the tail is what found it, not a proof
    assert [error.value for error in at.error] == [zh("error.collector_answer_tail")]
    for guess in ("张**", "13700002223", "8-12")[:WRONG_ANSWERS_ALLOWED]:
        at.text_input(key="desk_proof").input(guess).run()
        assert not at.exception
        assert [error.value for error in at.error] == [zh("desk.proof_wrong", tries=WRONG_ANSWERS_ALLOWED)]
        assert at.text_input(key="desk_proof").value == ""  # the next answer is typed afresh
        assert "desk_confirm" not in {button.key for button in at.button}
    # The right number no longer opens it today: only the code does.
    at.text_input(key="desk_proof").input(WHOLE_PHONE).run()
    assert [error.value for error in at.error] == [zh("error.collector_check_exhausted", tries=WRONG_ANSWERS_ALLOWED)]
    assert "desk_confirm" not in {button.key for button in at.button}
    assert order_row(writable_app_env)[1] == "received"
    tried = stored(writable_app_env, select(Event.actor_id).where(Event.action == "order.collector_check_failed"))
    assert [row.actor_id for row in tried] == [writable_app_env.volunteer.volunteer_id] * WRONG_ANSWERS_ALLOWED

    # The resident's own pickup code, scanned in the search box, hands over as always: two taps.
    at.button(key="desk_cancel").click().run()
    scan(at, f"CB1:TS2:{CODE}")
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    at.button(key="desk_confirm").click().run()
    assert not at.exception
    assert order_row(writable_app_env)[1] == "picked_up"


def test_the_whole_phone_opens_a_bag_found_by_its_tail(writable_app_env: AppData):
    receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    at = desk(writable_app_env)
    scan(at, "2222")
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    at.text_input(key="desk_proof").input("+86 137-0000-2222").run()
    assert not at.exception
    # Never shown back: neither the number typed nor the stored one is on the page.
    shown = [element.value for element in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error)]
    assert not any("0000" in str(text) for text in shown)
    at.button(key="desk_confirm").click().run()
    assert order_row(writable_app_env)[1] == "picked_up"


def in_page_order(at: AppTest) -> list[str]:
    """Every alert's text, top to bottom as the page draws them."""

    def walk(node):
        if type(node).__name__ in ("Success", "Info", "Warning", "Error"):
            yield node.value
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return list(walk(at.main))


def test_an_overdue_bag_comes_before_the_last_handovers_banner(writable_app_env: AppData):
    slot = receive(writable_app_env)
    order_id, *_ = order_row(writable_app_env)
    overdue = add_bag(
        writable_app_env, code="5-5", phone="13900005555", delivered=local_today() - dt.timedelta(days=20)
    )
    at = desk(writable_app_env)
    scan(at, CODE)
    at.button(key=f"desk_hand_over_{order_id}").click().run()
    at.button(key="desk_confirm").click().run()
    scan(at, "5-5")
    alerts = in_page_order(at)
    banner = next(
        index
        for index, text in enumerate(alerts)
        if text.startswith(zh("desk.handed_over", code=CODE, slot=slot, until="")[:12])
    )
    assert alerts.index(zh("desk.overdue")) < banner
    buttons = [button.key for button in at.button]
    assert buttons.index(f"desk_hand_over_{overdue}") < buttons.index("desk_undo")
