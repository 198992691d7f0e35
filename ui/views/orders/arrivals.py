"""The arrivals screen's parts: one bag checked in by its code (then shelved, or taken back), the whole delivery at
once, a missing or damaged bag reported, and today's delivery listed (pages/arrivals.py lays them out)."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import to_local, utc_now
from db.core.errors import NotDueYet, StoreError
from db.orders.lifecycle import (
    PROBLEM_FROM_STATUSES,
    UNDO_WINDOW,
    ExpectedOrder,
    find_expected_order,
    receive_delivery,
    receive_order,
    report_problem,
    shelve_delivery,
    shelve_order,
    undo_receive,
)
from db.people.login_sessions import SignedIn
from ui.actions import forget, keep, run_change
from ui.i18n import t
from ui.keyboard import input_hints
from ui.tables import show_table, translate_codes
from ui.widgets import ask_first, camera_scan, confirmation, confirmed_button, show_error

# What the last check-in did, shown after the page reruns with fresh counts.
LAST_SLOT_KEY = "arrivals_last_slot"
DELIVERY_RESULT_KEY = "arrivals_delivery_result"
# Changes after each bag checked in, shelved or taken back: the cursor goes back into the code box.
FOCUS_TOKEN_KEY = "arrivals_focus_token"
# The reasons a volunteer picks from; "other" lets them type one.
PROBLEM_REASONS = {
    "missing": "arrivals.reason_missing",
    "damaged": "arrivals.reason_damaged",
    "other": "arrivals.reason_other",
}
# A bag of a later delivery day scanned (tomorrow's label sheet?): its code and day wait here while the page asks
# whether it really came today (ui.widgets.confirmation; its buttons are arrivals_early_yes and _no).
EARLY_KEY = "arrivals_early"
# The page's confirm steps (ui.widgets.confirmed_button keys, and the early bag's question).
CONFIRM_KEYS = ("arrivals_early", "arrivals_receive_all", "arrivals_shelve_all", "arrivals_report")
# The statuses a reason makes sense for.
REASON_STATUSES = {"missing": ("expected",), "damaged": PROBLEM_FROM_STATUSES, "other": PROBLEM_FROM_STATUSES}
LIST_COLUMNS = ["pickup_code", "resident_name", "storage_class", "item_count", "status", "slot"]


def check_in_by_code(user: SignedIn) -> None:
    """One bag: type or scan its code, and see where it goes. The last bag's slot and its "in the slot" button come
    first, above the code box, so on the landscape tablet they are in sight without scrolling; the cursor goes
    back into the code box after each bag, for the scanner."""
    st.header(t("arrivals.by_code"))
    early_bag(user)
    last = st.session_state.get(LAST_SLOT_KEY)
    if last is not None:
        last_check_in(user, *last)
    camera_scan(key="arrivals_camera", fills="arrivals_code")
    with st.form("arrivals_code_form", clear_on_submit=True, border=False):
        code = st.text_input(t("arrivals.code"), key="arrivals_code", placeholder=t("arrivals.code_placeholder"))
        submitted = st.form_submit_button(
            t("arrivals.receive"), key="arrivals_receive", type="primary", width="stretch"
        )
    if submitted:
        forget(f"{EARLY_KEY}_pending")  # the next scan: an unanswered question about another bag is dropped
        run_change(partial(check_in_bag, user=user, code=code), then=_checked_in, refused=_not_today)


def early_bag(user: SignedIn) -> None:
    """A bag of a later delivery day was scanned: it is not checked in on the scan (most often a code from tomorrow's
    label sheet), and the question above the code box says whose day it is; "check in early" takes it in all the
    same (it is here, and a chilled bag needs its fridge), "no" leaves it expected."""
    waiting = st.session_state.get(f"{EARLY_KEY}_pending")
    question = t("error.delivery_not_due", **waiting) if waiting else ""
    answered = confirmation(
        f"{EARLY_KEY}_pending",
        question=question,
        yes=t("arrivals.check_in_early"),
        no=t("arrivals.not_now"),
        yes_key=f"{EARLY_KEY}_yes",
        no_key=f"{EARLY_KEY}_no",
    )
    if answered is not None:
        run_change(partial(check_in_bag, user=user, code=answered["code"], early=True), then=_checked_in)


def _not_today(error: StoreError) -> None:
    """A refused check-in: a later day's bag waits for the volunteer's answer (asked above the code box, on the next
    run); any other refusal is said in place."""
    if not isinstance(error, NotDueYet):
        show_error(error)
        return
    forget(LAST_SLOT_KEY)
    ask_first(f"{EARLY_KEY}_pending", dict(error.params))
    _refocus()
    st.rerun()


def next_in_view(orders: list[ExpectedOrder]) -> None:
    """Once per run: the cursor in the code box (for the scanner), and the next thing to tap brought into view when
    it opened below the fold — a confirm step, or "all in their slots" once the whole delivery is checked in."""
    pending = next((key for key in CONFIRM_KEYS if st.session_state.get(f"{key}_pending") is not None), None)
    reveal = f"{pending}_no" if pending else None
    if reveal is None and DELIVERY_RESULT_KEY in st.session_state and any(o.status == "received" for o in orders):
        reveal = "arrivals_shelve_all"
    input_hints(focus=t("arrivals.code"), reveal=reveal, token=st.session_state.get(FOCUS_TOKEN_KEY, 0))


def _checked_in(result: tuple[str, str, str, int | None, dt.datetime | None]) -> None:
    st.session_state[LAST_SLOT_KEY] = result
    _refocus()


def _slot_done(_: object) -> None:
    """After the bag is shelved or its check-in undone: the slot shown is done with, the cursor back in the box."""
    forget(LAST_SLOT_KEY)
    _refocus()


def _refocus() -> None:
    st.session_state[FOCUS_TOKEN_KEY] = st.session_state.get(FOCUS_TOKEN_KEY, 0) + 1


def check_in_bag(
    session: Session, *, user: SignedIn, code: str, early: bool = False
) -> tuple[str, str, str, int | None, dt.datetime | None]:
    """One bag by its code: to a free slot of its kind, or where it already is. What the next run says about it:
    (message, code, slot, order id and moment for the undo, or None when nothing was done). A bag of a later
    delivery day is refused (NotDueYet) unless `early`: the volunteer said it is here today."""
    bag = find_expected_order(session, site_id=user.site_id, code=code)
    if bag.slot is not None:
        return ("arrivals.already_in", bag.pickup_code, bag.slot, None, None)
    moment = utc_now()
    slot = receive_order(session, order_id=bag.id, volunteer_id=user.volunteer_id, now=moment, early=early)
    return ("arrivals.put_in", bag.pickup_code, slot, bag.id, moment)


def last_check_in(
    user: SignedIn,
    message_key: str,
    code: str,
    slot: str,
    order_id: int | None,
    received_at: dt.datetime | None,
) -> None:
    """Where the last bag went, big; then "shelved" once it sits in its slot, or the check-in taken back (side by
    side, so the code box for the next bag stays in view on the landscape tablet)."""
    st.markdown(f"# {t(message_key, slot=slot)}")
    st.caption(t("arrivals.bag", code=code))
    if order_id is None or received_at is None:
        return
    shelve_column, undo_column = st.columns(2)
    # Second tap, once the bag sits in its slot: the order moves on from received to shelved.
    if shelve_column.button(t("arrivals.shelved", slot=slot), key="arrivals_shelved", type="primary", width="stretch"):
        run_change(
            partial(shelve_order, order_id=order_id, volunteer_id=user.volunteer_id, now=utc_now()),
            then=_slot_done,
            done_key="arrivals.shelved_done",
            code=code,
            slot=slot,
        )
    # The wrong bag scanned: take the check-in back while the rules allow it (before it is put in its slot).
    until = to_local(received_at + UNDO_WINDOW).strftime("%H:%M")
    if utc_now() - received_at < UNDO_WINDOW and undo_column.button(
        t("arrivals.undo_receive", until=until), key="arrivals_undo_receive", width="stretch"
    ):
        run_change(
            partial(undo_receive, order_id=order_id, volunteer_id=user.volunteer_id, now=utc_now()),
            then=_slot_done,
            done_key="arrivals.receive_undone",
            code=code,
            slot=slot,
        )


def whole_delivery(user: SignedIn, orders: list[ExpectedOrder], *, today: dt.date) -> None:
    """The whole delivery at once: bags whose unit is full are refused and listed, the rest go in; then all shelved."""
    st.header(t("arrivals.whole_delivery"))
    expected = [order for order in orders if order.status == "expected"]
    if expected and confirmed_button(
        t("arrivals.receive_all", count=len(expected)),
        key="arrivals_receive_all",
        question=t("arrivals.confirm_receive_all", count=len(expected)),
    ):
        receive_all = partial(
            receive_delivery, site_id=user.site_id, delivery_date=today, volunteer_id=user.volunteer_id, now=utc_now()
        )
        run_change(receive_all, then=keep(DELIVERY_RESULT_KEY))
    outcome = st.session_state.get(DELIVERY_RESULT_KEY)
    if outcome is not None:
        st.success(t("arrivals.received_count", count=len(outcome.received)))
        for refusal in outcome.refused:
            st.error(t("arrivals.refused", code=refusal.pickup_code, reason=t(refusal.key, **refusal.params)))
    elif not expected:
        st.caption(t("arrivals.nothing_expected"))
    waiting_to_shelve = [order for order in orders if order.status == "received"]
    if waiting_to_shelve and confirmed_button(
        t("arrivals.shelve_all", count=len(waiting_to_shelve)),
        key="arrivals_shelve_all",
        question=t("arrivals.confirm_shelve_all", count=len(waiting_to_shelve)),
    ):
        shelve_all = partial(
            shelve_delivery, site_id=user.site_id, delivery_date=today, volunteer_id=user.volunteer_id, now=utc_now()
        )
        run_change(
            shelve_all, then=lambda _: forget(DELIVERY_RESULT_KEY), done_key="arrivals.shelved_count", result_as="count"
        )


def problem_report(user: SignedIn, orders: list[ExpectedOrder]) -> None:
    """A bag missing or damaged: the order becomes a problem, with the reason."""
    st.header(t("arrivals.problem"))
    candidates = [order for order in orders if order.status in PROBLEM_FROM_STATUSES]
    bag = st.selectbox(
        t("arrivals.problem_order"),
        candidates,
        index=None,
        key="arrivals_problem_order",
        placeholder=t("arrivals.problem_order_placeholder"),
        format_func=lambda order: " · ".join(
            (order.pickup_code, order.resident_name, translate_codes(order.status, "status"))
        ),
    )
    if bag is None:
        return
    # Labels fixed now: a format_func calling t() later (AppTest does) would not know this session's language.
    reason_labels = {reason: t(key) for reason, key in PROBLEM_REASONS.items()}
    # A bag in its slot has arrived: "missing" is offered only while it is still expected.
    reasons = [reason for reason in PROBLEM_REASONS if bag.status in REASON_STATUSES[reason]]
    reason_choice = st.radio(
        t("arrivals.problem_reason"),
        reasons,
        key="arrivals_problem_reason",
        format_func=reason_labels.__getitem__,
    )
    reason: str = t(PROBLEM_REASONS[reason_choice])
    if reason_choice == "other":
        reason = st.text_input(t("arrivals.problem_reason_text"), key="arrivals_problem_text")
    if confirmed_button(
        t("arrivals.report_problem"),
        key="arrivals_report",
        question=t("arrivals.confirm_problem", code=bag.pickup_code),
    ):
        run_change(
            partial(report_problem, order_id=bag.id, volunteer_id=user.volunteer_id, reason=reason, now=utc_now()),
            done_key="arrivals.problem_reported",
            code=bag.pickup_code,
        )


def todays_list(orders: list[ExpectedOrder]) -> None:
    """Today's delivery, bag by bag."""
    st.header(t("arrivals.today_list"))
    rows = [
        {
            "pickup_code": order.pickup_code,
            "resident_name": order.resident_name,
            "storage_class": order.storage_class,
            "item_count": order.item_count,
            "status": order.status,
            "slot": order.slot or "",
        }
        for order in orders
    ]
    show_table(pd.DataFrame(rows, columns=LIST_COLUMNS), codes={"storage_class": "kind", "status": "status"})
