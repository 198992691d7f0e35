"""The orders screen's parts: the filtered list with its export, one order's detail, history and corrections, and
the overdue bags returned to the platform (pages/orders.py lays them out)."""

from __future__ import annotations

import datetime as dt
import math
from functools import partial

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import utc_now
from db.core.models import ORDER_STATUSES, STORAGE_CLASSES
from db.orders.lifecycle import list_free_slot_codes, move_order
from db.orders.review import (
    EXPORT_LIMIT,
    PAGE_SIZE,
    OrderDetail,
    OrderFilter,
    correct_order,
    count_orders,
    get_order_detail,
    list_orders,
    list_platforms,
    return_orders,
)
from db.people.login_sessions import SignedIn
from ui.actions import keep, run_change
from ui.downloads import translated_frame
from ui.event_words import worded_changes
from ui.i18n import current_language, join_list, t
from ui.privacy import masked_phone, personal_data_downloads, revealed_phone, show_number_button
from ui.store import read_scope
from ui.tables import show_print_table, show_table
from ui.views.outbox.messages import sent_about
from ui.widgets import ask_first, big_button, confirmation

CODES = {"status": "status", "storage_class": "kind"}
RETURN_OUTCOME_KEY = "orders_return_outcome"
# The overdue orders chosen for return, while the organizer is asked to confirm.
RETURN_PENDING_KEY = "return_pending"
OVERDUE_COLUMNS = [
    "slot",
    "pickup_code",
    "resident_name",
    "phone",
    "storage_class",
    "delivery_date",
    "collect_by",
    "days_overdue",
]


# What a reader of the orders file looks for first: whose bag, which code, where it is.
EXPORT_FIRST = ("pickup_code", "resident_name", "phone", "status", "slot", "delivery_date")


def order_labels(orders: pd.DataFrame, *, slot_first: bool = False) -> dict[str, int]:
    """Each order's id by its label (pickup code · platform and order number · name; unique by platform and order
    number), the options of a picker that reads the chosen label back to its order; `slot_first` starts with the
    bag's slot."""
    return {
        (f"{row.slot} · " if slot_first else "")
        + f"{row.pickup_code} · {row.platform} {row.order_number} · {row.resident_name}": int(order_id)
        for row, order_id in zip(orders.itertuples(), orders["id"], strict=True)
    }


def list_tab(user: SignedIn, *, now: dt.datetime) -> None:
    """The orders the filters let through, a page at a time, the export of all of them, and one order's detail."""
    filters = order_filters(user)
    with read_scope() as session:
        total = count_orders(session, site_id=user.site_id, filters=filters, now=now)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = 1
    if pages > 1:
        page = st.number_input(t("orders.page", pages=pages), min_value=1, max_value=pages, value=1, key="orders_page")
    with read_scope() as session:
        shown = list_orders(session, site_id=user.site_id, filters=filters, now=now, offset=(page - 1) * PAGE_SIZE)
    st.caption(t("orders.count", count=total))
    show_table(shown.drop(columns=["id"]), codes=CODES)
    personal_data_downloads(
        partial(_all_orders, site_id=user.site_id, filters=filters, now=now),
        partial(_all_orders, site_id=user.site_id, filters=filters, now=now, masked=False),
        user=user,
        subject="orders",
        key="orders_export",
        file_stem="orders",
        codes=CODES,
        first=EXPORT_FIRST,
    )

    # Labels as the options (unique: platform + order number): a page reads them back to ids.
    ids_by_label = order_labels(shown)
    chosen_label = st.selectbox(
        t("orders.detail_choose"),
        list(ids_by_label),
        index=None,
        placeholder=t("orders.detail_placeholder"),
        key="orders_detail",
    )
    if chosen_label is not None:
        order_detail(user, order_id=ids_by_label[chosen_label], now=now)


def _all_orders(*, site_id: int, filters: OrderFilter, now: dt.datetime, masked: bool = True) -> pd.DataFrame:
    """Every order the filters let through (up to the export limit), for the download buttons; names and numbers
    masked unless `masked=False` (an unmasked export, recorded by ui.privacy)."""
    with read_scope() as session:
        return list_orders(session, site_id=site_id, filters=filters, now=now, limit=EXPORT_LIMIT, masked=masked)


def order_filters(user: SignedIn) -> OrderFilter:
    """Delivery dates, statuses, storage classes, platforms, overdue only. An empty filter means every value: its
    placeholder says so."""
    with read_scope() as session:
        platforms = list_platforms(session, site_id=user.site_id)
    left, right = st.columns(2)
    delivery_from = left.date_input(t("orders.filter_from"), value=None, key="orders_from")
    delivery_to = right.date_input(t("orders.filter_to"), value=None, key="orders_to")
    statuses = left.multiselect(
        t("orders.filter_status"),
        ORDER_STATUSES,
        placeholder=t("orders.filter_any"),
        format_func=lambda code: t(f"value.status.{code}"),
        key="orders_status",
    )
    classes = right.multiselect(
        t("orders.filter_storage"),
        STORAGE_CLASSES,
        placeholder=t("orders.filter_any"),
        format_func=lambda code: t(f"value.kind.{code}"),
        key="orders_storage",
    )
    chosen_platforms = left.multiselect(
        t("orders.filter_platform"), platforms, placeholder=t("orders.filter_any"), key="orders_platform"
    )
    overdue_only = right.toggle(t("orders.filter_overdue"), key="orders_overdue")
    return OrderFilter(
        delivery_from=delivery_from,
        delivery_to=delivery_to,
        statuses=tuple(statuses),
        platforms=tuple(chosen_platforms),
        storage_classes=tuple(classes),
        overdue_only=overdue_only,
    )


def order_detail(user: SignedIn, *, order_id: int, now: dt.datetime) -> None:
    """One order: who, where, when, its items and history, the messages sent about it, and the correction form."""
    with read_scope() as session:
        detail = get_order_detail(session, site_id=user.site_id, order_id=order_id, now=now)
        free_slots = list_free_slot_codes(session, site_id=user.site_id, storage_class=detail.storage_class)
    st.header(t("orders.detail_heading", platform=detail.platform, order_number=detail.order_number))
    st.markdown(
        t(
            "orders.detail_summary",
            pickup_code=detail.pickup_code,
            status=detail.status,
            slot=detail.slot or "—",
            storage_class=t(f"value.kind.{detail.storage_class}"),
        )
    )
    # The number masked until the organizer says why they need it (recorded: ui.privacy).
    whole = revealed_phone(order_id)
    st.markdown(
        t(
            "orders.detail_resident",
            name=detail.resident_name,
            phone=whole or masked_phone(detail.phone),
            address=detail.address or "—",
        )
    )
    if whole is not None:
        st.caption(t("privacy.shown_recorded"))
    elif detail.phone:
        show_number_button(user, order_id=order_id, key=f"show_number_{order_id}")
    st.markdown(
        t(
            "orders.detail_dates",
            delivery_date=detail.delivery_date.isoformat(),
            collect_by=detail.collect_by.isoformat(),
            days=detail.days_overdue,
        )
    )
    if detail.problem_reason:
        st.warning(t("orders.detail_problem", reason=detail.problem_reason))
    show_table(detail.items, codes={"storage_class": "kind"})
    st.markdown(f"**{t('orders.history_heading')}**")
    show_table(worded_changes(detail.history), codes={"action": "action"})
    sent_about(order_id=order_id)
    correction_form(user, detail, free_slots=free_slots)


def correction_form(user: SignedIn, detail: OrderDetail, *, free_slots: list[str]) -> None:
    """The resident's name and phone, and another free slot of the bag's kind while it is on the shelf. The phone
    box starts empty, the masked number its hint: a correction needs no look at the old number, and empty keeps it."""
    order_id = detail.id
    with st.form(key=f"correct_{order_id}"):
        st.markdown(f"**{t('orders.correct_heading')}**")
        name = st.text_input(t("orders.correct_name"), value=detail.resident_name, key=f"correct_name_{order_id}")
        phone = st.text_input(
            t("orders.correct_phone"),
            placeholder=masked_phone(detail.phone),
            help=t("orders.correct_phone_help"),
            key=f"correct_phone_{order_id}",
        )
        slot = None
        if detail.slot is not None:
            slot = st.selectbox(t("orders.correct_slot"), [detail.slot, *free_slots], key=f"correct_slot_{order_id}")
        saved = st.form_submit_button(t("orders.correct_save"), width="stretch", key=f"correct_save_{order_id}")
    if saved:
        correct = partial(
            correct_and_move,
            user=user,
            order_id=order_id,
            name=name,
            phone=phone.strip() or None,
            slot=slot,
            before=detail.slot,
        )
        run_change(correct, then=say_corrected, rerun=False)


def correct_and_move(
    session: Session,
    *,
    user: SignedIn,
    order_id: int,
    name: str,
    phone: str | None,
    slot: str | None,
    before: str | None,
) -> list[str]:
    """The resident's name and phone corrected and, if another slot was chosen, the bag moved: one transaction.
    Returns the fields that changed."""
    changed = correct_order(
        session,
        site_id=user.site_id,
        order_id=order_id,
        actor_id=user.volunteer_id,
        now=utc_now(),
        resident_name=name,
        phone=phone,
    )
    if slot is not None and slot != before:
        move_order(session, order_id=order_id, slot_code=slot, volunteer_id=user.volunteer_id, now=utc_now())
        changed.append("slot")
    return changed


def say_corrected(changed: list[str]) -> None:
    """Told in place, under the form (no fresh run: the form keeps what was typed)."""
    if changed:
        st.success(t("orders.corrected", fields=join_list([t(f"column.{field}") for field in changed])))
    else:
        st.info(t("orders.correct_unchanged"))


def overdue_tab(user: SignedIn, *, now: dt.datetime) -> None:
    """The bags past their collect-by day, longest overdue first; the chosen ones go back to the platform."""
    return_outcome()
    with read_scope() as session:
        overdue = list_orders(
            session, site_id=user.site_id, filters=OrderFilter(overdue_only=True), now=now, limit=EXPORT_LIMIT
        )
    st.metric(t("orders.overdue_count"), len(overdue))
    if overdue.empty:
        st.info(t("orders.overdue_none"))
        return
    overdue = overdue.sort_values(["days_overdue", "slot"], ascending=[False, True])
    # A static table, not the interactive grid: the overdue list prints page after page as it is.
    shown = translated_frame(overdue[OVERDUE_COLUMNS], language=current_language(), codes={"storage_class": "kind"})
    show_print_table(shown)
    return_form(user, overdue)


def return_outcome() -> None:
    """What the last return did (shown once): the codes sent back, and each refusal with its reason."""
    outcome = st.session_state.pop(RETURN_OUTCOME_KEY, None)
    if outcome is None:
        return
    if outcome.returned:
        st.success(t("orders.returned", count=len(outcome.returned), codes=join_list(outcome.returned)))
    for code, error in outcome.refused:
        st.error(t("orders.return_refused", code=code, reason=t(error.key, **error.params)))


def return_form(user: SignedIn, overdue: pd.DataFrame) -> None:
    """Choose the bags (or all of them) and the reason; the return asks once more before it is made."""
    every = st.toggle(t("orders.overdue_all"), key="overdue_all")
    overdue_ids = order_labels(overdue, slot_first=True)
    labels = (
        list(overdue_ids)
        if every
        else st.multiselect(
            t("orders.overdue_choose"),
            list(overdue_ids),
            placeholder=t("orders.overdue_choose_placeholder"),
            key="overdue_chosen",
        )
    )
    chosen = [overdue_ids[label] for label in labels]
    reason = st.text_input(t("orders.return_reason"), value=t("orders.return_reason_default"), key="return_reason")
    if big_button(t("orders.return_button", count=len(chosen)), key="return_button", disabled=not chosen):
        ask_first(RETURN_PENDING_KEY, chosen)
    pending = st.session_state.get(RETURN_PENDING_KEY) or []
    if confirmation(
        RETURN_PENDING_KEY,
        question=t("orders.return_confirm", count=len(pending)),
        yes=t("orders.return_yes"),
        no=t("orders.return_no"),
        yes_key="return_yes",
        no_key="return_no",
    ):
        give_back = partial(
            return_orders,
            site_id=user.site_id,
            order_ids=pending,
            reason=reason,
            volunteer_id=user.volunteer_id,
            now=utc_now(),
        )
        run_change(give_back, then=keep(RETURN_OUTCOME_KEY))
