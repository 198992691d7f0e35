"""The overdue call list on screen: one card per resident (by building, oldest bag first) with a call link where the
role may see the number and a form for the call's outcome; and the same list as a table for paper. Numbers show
masked everywhere: only the call link, where the organizer acts on it, dials the whole one."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from db.core.clock import to_local, utc_now
from db.core.privacy import mask_phone
from db.orders.calls import CALL_OUTCOMES, MAX_NOTE_LENGTH, CallOutcome, OverdueResident, record_call
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.i18n import t
from ui.privacy import revealed_phone, show_number_button
from ui.store import bookkeeping_scope

PRINT_COLUMNS = [
    "building",
    "resident_name",
    "phone",
    "pickup_code",
    "slot",
    "delivery_date",
    "days_overdue",
    "last_call",
]


def last_call_words(call: CallOutcome | None) -> str:
    """ "No answer · 11-29 09:30 · 王阿姨 · note", or "" when nobody called yet."""
    if call is None:
        return ""
    parts = [t(f"value.call_outcome.{call.outcome}").plain, f"{to_local(call.called_at):%m-%d %H:%M}", call.called_by]
    return " · ".join(part for part in (*parts, call.note) if part)


def shown_phone(resident: OverdueResident) -> str:
    """The resident's number as the list shows it: masked (the store already masked it for a volunteer)."""
    return mask_phone(resident.phone) if resident.phone_is_whole else resident.phone


def resident_card(user: SignedIn, resident: OverdueResident) -> None:
    """Who, the bags, the last call, a call link (whole numbers only: it dials the whole number, its words show the
    masked one) and the outcome form."""
    key = f"call_{resident.bags[0].order_id}"
    # An organizer who dials from another phone may ask for the number: recorded against the oldest bag.
    whole = revealed_phone(resident.bags[0].order_id) if resident.phone_is_whole else None
    with st.container(border=True, key=key):
        st.markdown(
            t(
                "calls.resident",
                name=resident.resident_name,
                phone=whole or shown_phone(resident),
                address=resident.address or t("calls.no_address").plain,
            )
        )
        if resident.phone_is_whole:
            digits = "".join(character for character in resident.phone if character.isdigit() or character == "+")
            st.link_button(t("calls.call", phone=shown_phone(resident)), f"tel:{digits}", icon=":material/call:")
            if whole is None:
                show_number_button(user, order_id=resident.bags[0].order_id, key=f"{key}_show")
        for bag in resident.bags:
            st.markdown(
                t(
                    "calls.bag",
                    code=bag.pickup_code,
                    slot=bag.slot_code or "",
                    day=bag.delivery_date,
                    count=bag.days_overdue,
                )
            )
            if bag.last_call is not None:
                st.caption(t("calls.last_call", words=last_call_words(bag.last_call)))
        outcome_form(user, resident, key=key)


def outcome_form(user: SignedIn, resident: OverdueResident, *, key: str) -> None:
    labels = {outcome: t(f"value.call_outcome.{outcome}").plain for outcome in CALL_OUTCOMES}
    with st.form(key=f"{key}_form", border=False):
        outcome = st.radio(
            t("calls.outcome"), CALL_OUTCOMES, format_func=labels.__getitem__, horizontal=True, key=f"{key}_outcome"
        )
        note = st.text_input(t("calls.note"), max_chars=MAX_NOTE_LENGTH, key=f"{key}_note")
        if st.form_submit_button(t("calls.save"), type="primary", width="stretch"):
            record = partial(
                record_call,
                site_id=user.site_id,
                order_ids=[bag.order_id for bag in resident.bags],
                outcome=outcome,
                note=note,
                volunteer_id=user.volunteer_id,
                now=utc_now(),
            )
            run_change(record, done_key="calls.saved", scope=bookkeeping_scope, name=resident.resident_name)


def print_frame(residents: list[OverdueResident], *, whole: bool = False) -> pd.DataFrame:
    """One row per bag, in the list's order, headed in the reader's language; numbers masked (paper lies about)
    unless `whole` (an organizer said why: ui.privacy records it)."""
    rows = [
        {
            "building": resident.building,
            "resident_name": resident.resident_name,
            "phone": resident.phone if whole else shown_phone(resident),
            "pickup_code": bag.pickup_code,
            "slot": bag.slot_code or "",
            "delivery_date": bag.delivery_date,
            "days_overdue": bag.days_overdue,
            "last_call": last_call_words(bag.last_call),
        }
        for resident in residents
        for bag in resident.bags
    ]
    frame = pd.DataFrame(rows, columns=PRINT_COLUMNS)
    frame.columns = [t(f"column.{column}").plain for column in PRINT_COLUMNS]
    return frame


def group_by_building(residents: list[OverdueResident]) -> dict[str, list[OverdueResident]]:
    groups: dict[str, list[OverdueResident]] = {}
    for resident in residents:
        groups.setdefault(resident.building, []).append(resident)
    return groups


def today_label(now: dt.datetime) -> str:
    return f"{to_local(now):%Y-%m-%d}"
