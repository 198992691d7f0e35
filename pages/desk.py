"""The desk: find a resident's bag by pickup code, phone tail, name or QR, hand it over, and undo a mistake."""

from functools import partial

import streamlit as st

from db.core.clock import to_local, utc_now
from db.core.models import SLOTTED_ORDER_STATUSES
from db.orders.lifecycle import (
    UNDO_WINDOW,
    count_orders_by_status,
    find_orders,
    hand_over,
    list_free_slot_codes,
    move_order,
    undo_hand_over,
)
from db.people.sites import get_site_rules
from ui.actions import forget, keep, run_change
from ui.guard import require_role
from ui.i18n import t
from ui.kpis import kpi_strip
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.widgets import (
    ask_first,
    big_button,
    camera_scan,
    confirmation,
    due_readings_notice,
    page_header,
    translate_codes,
)

user = require_role(VOLUNTEER, ORGANIZER)
# The bag tapped for handover, until the volunteer confirms or backs out; then the last handover, for its undo.
PENDING_KEY = "desk_pending_handover"
LAST_HANDOVER_KEY = "desk_last_handover"
page_header("desk")
due_readings_notice(site_id=user.site_id)

with read_scope() as session:
    hold_days = get_site_rules(session, site_id=user.site_id).hold_days

# Search: typed, or read from the resident's QR code with the camera (it fills the box).
camera_scan(key="desk_camera", fills="desk_query")
query = st.text_input(t("desk.search"), key="desk_query", placeholder=t("desk.search_placeholder"))

# The bag just handed over, with its undo while the rules allow it.
last = st.session_state.get(LAST_HANDOVER_KEY)
if last is not None and utc_now() - last["at"] < UNDO_WINDOW:
    st.success(
        t(
            "desk.handed_over",
            code=last["code"],
            slot=last["slot"] or "—",
            until=to_local(last["at"] + UNDO_WINDOW).strftime("%H:%M"),
        )
    )
    if big_button(t("desk.undo"), key="desk_undo"):
        run_change(
            partial(undo_hand_over, order_id=last["order_id"], volunteer_id=user.volunteer_id, now=utc_now()),
            then=lambda _: forget(LAST_HANDOVER_KEY),
            done_key="desk.undone",
            code=last["code"],
            slot=last["slot"] or "—",
        )

# The confirm step, in place of the results: kept in the session, so a bag another tablet has just handed
# over is still attempted and the store says by whom.
waiting = st.session_state.get(PENDING_KEY)
if waiting is not None:
    question = t("desk.confirm_hand_over", code=waiting["code"], slot=waiting["slot"])
    if confirmation(PENDING_KEY, question=question, yes_key="desk_confirm", no_key="desk_cancel"):
        moment = utc_now()
        run_change(
            partial(hand_over, order_id=waiting["order_id"], volunteer_id=user.volunteer_id, now=moment),
            then=lambda _: keep(LAST_HANDOVER_KEY)({**waiting, "at": moment}),
        )
    st.stop()

# The results, each with its handover button and a move to another slot.
if query.strip():
    with read_scope() as session:
        found = find_orders(session, site_id=user.site_id, text=query, now=utc_now(), hold_days=hold_days)
    if not found:
        st.info(t("desk.nothing_found", text=query.strip()))
    for order in found:
        with st.container(border=True):
            st.markdown(f"### {t('desk.slot', slot=order.slot or '—')}")
            st.markdown(
                t(
                    "desk.result_code",
                    code=order.pickup_code,
                    platform=order.platform,
                    storage_class=translate_codes(order.storage_class, "kind"),
                    status=translate_codes(order.status, "status"),
                )
            )
            st.markdown(t("desk.result_resident", name=order.resident_name, phone=order.phone, count=order.item_count))
            if order.days_held is not None:
                st.caption(t("desk.days_held", count=order.days_held))
            if order.overdue:
                st.error(t("desk.overdue"))
            if order.slot is None:
                st.info(t("desk.not_ready", status=order.status))
                continue
            if big_button(t("desk.hand_over"), key=f"desk_hand_over_{order.id}", primary=True):
                ask_first(PENDING_KEY, {"order_id": order.id, "code": order.pickup_code, "slot": order.slot})
                st.rerun()
            if st.toggle(t("desk.move"), key=f"desk_move_{order.id}"):
                with read_scope() as session:
                    free = list_free_slot_codes(session, site_id=user.site_id, storage_class=order.storage_class)
                target = st.selectbox(
                    t("desk.move_to"),
                    free,
                    index=None,
                    key=f"desk_move_to_{order.id}",
                    placeholder=t("desk.move_placeholder"),
                )
                if big_button(t("desk.move_submit"), key=f"desk_move_submit_{order.id}", disabled=target is None):
                    run_change(
                        partial(
                            move_order,
                            order_id=order.id,
                            slot_code=target,
                            volunteer_id=user.volunteer_id,
                            now=utc_now(),
                        ),
                        done_key="desk.moved",
                        result_as="slot",
                        code=order.pickup_code,
                        before=order.slot,
                    )

# The day's figures below the search: on the landscape tablet the search box must be in sight without scrolling.
with read_scope() as session:
    counts = count_orders_by_status(session, site_id=user.site_id, statuses=SLOTTED_ORDER_STATUSES)
st.metric(t("desk.waiting"), sum(counts.get(status, 0) for status in SLOTTED_ORDER_STATUSES))
kpi_strip(user.site_id)
