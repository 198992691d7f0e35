"""The storage screen's cold-chain parts: the register's add form, an excursion with the bags it touched and
their checks, and the short moment format (pages/storage.py lays them out)."""

from __future__ import annotations

import datetime as dt
from functools import partial

import streamlit as st
from sqlalchemy.orm import Session

from db.cold_chain.excursions import (
    Excursion,
    ExcursionBag,
    list_excursion_bags,
    list_excursions,
    record_excursion_check,
)
from db.cold_chain.temperatures import (
    parse_reading,
)
from db.cold_chain.units import create_storage_unit
from db.core.clock import local_day_bounds, local_today, to_local, utc_now
from db.core.models import EXCURSION_OUTCOMES, UNIT_KINDS
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.i18n import t
from ui.store import read_scope
from ui.widgets import big_button

# How far back the excursion list looks.
EXCURSION_DAYS = 14


def local_text(moment: dt.datetime | None) -> str:
    return "" if moment is None else to_local(moment).strftime("%m-%d %H:%M")


def add_unit_form(user: SignedIn) -> None:
    """A new fridge, freezer or shelf with its slots (and range: the kind's default when left blank)."""
    code = st.text_input(t("storage.code"), key="unit_code", placeholder="F2")
    name = st.text_input(t("storage.name"), key="unit_name")
    kind = st.selectbox(
        t("storage.kind"), UNIT_KINDS, format_func=lambda value: t(f"value.kind.{value}"), key="unit_kind"
    )
    slot_count = st.number_input(
        t("storage.slot_count"), min_value=1, max_value=500, value=10, step=1, key="unit_slot_count"
    )
    low = high = ""
    if kind != "shelf":
        st.caption(t("storage.range_default"))
        low = st.text_input(t("storage.min_temp"), key="unit_min")
        high = st.text_input(t("storage.max_temp"), key="unit_max")
    if big_button(t("storage.add"), key="unit_add", primary=True):

        def add(session: Session) -> None:
            # Parsed inside the change: a reading the store refuses is said like any other refusal.
            limits = {} if kind == "shelf" else {"min_temp_c": _limit(low), "max_temp_c": _limit(high)}
            create_storage_unit(
                session,
                site_id=user.site_id,
                code=code,
                name=name,
                kind=kind,
                slot_count=int(slot_count),
                now=utc_now(),
                actor_id=user.volunteer_id,
                **limits,
            )

        run_change(add)


def _limit(typed: str) -> float | None:
    return parse_reading(typed) if typed.strip() else None


def excursion_tab(user: SignedIn) -> None:
    """Excursions of the last two weeks, each with the bags that sat in the unit during it."""
    now = utc_now()
    start = local_day_bounds(local_today() - dt.timedelta(days=EXCURSION_DAYS - 1))[0]
    with read_scope() as session:
        excursions = list_excursions(session, site_id=user.site_id, start=start, end=now)
        touched = {
            excursion.reading_id: list_excursion_bags(session, reading_id=excursion.reading_id, now=now)
            for excursion in excursions
        }
    if not excursions:
        st.success(t("storage.no_excursions", days=EXCURSION_DAYS))
    for excursion in reversed(excursions):
        excursion_section(user, excursion, touched[excursion.reading_id])


def excursion_section(user: SignedIn, excursion: Excursion, listed: list[ExcursionBag]) -> None:
    open_checks = sum(1 for bag in listed if bag.outcome is None)
    title = t(
        "storage.excursion_title",
        unit=excursion.unit_code,
        start=local_text(excursion.started_at),
        end=local_text(excursion.ended_at) if excursion.ended_at else t("storage.still_open"),
        worst=excursion.worst_c,
        count=len(listed),
        unchecked=open_checks,
    )
    with st.expander(title, expanded=open_checks > 0, icon=":material/warning:"):
        if excursion.corrective_actions:
            actions = t("change.separator").plain.join(excursion.corrective_actions)
            st.markdown(t("storage.excursion_actions", actions=actions))
        if not listed:
            st.caption(t("storage.excursion_no_bags"))
        for bag in listed:
            bag_check(user, excursion, bag)


def bag_check(user: SignedIn, excursion: Excursion, bag: ExcursionBag) -> None:
    """One bag an excursion touched: where it was, and one button per outcome (kept, discarded, …)."""
    left = local_text(bag.left_at) if bag.left_at else t("storage.still_there")
    st.markdown(
        t(
            "storage.excursion_bag",
            code=bag.pickup_code,
            slot=bag.slot,
            entered=local_text(bag.entered_at),
            left=left,
            status=t(f"value.status.{bag.status}"),
        )
    )
    if bag.outcome is not None:
        outcome = t(f"value.outcome.{bag.outcome}")
        st.caption(t("storage.excursion_checked", outcome=outcome, who=bag.checked_by, at=local_text(bag.checked_at)))
    for column, outcome in zip(st.columns(len(EXCURSION_OUTCOMES)), EXCURSION_OUTCOMES, strict=True):
        key = f"excursion_{excursion.reading_id}_{bag.order_id}_{outcome}"
        with column:
            pressed = big_button(t(f"value.outcome.{outcome}"), key=key, disabled=bag.outcome == outcome)
        if pressed:
            reason = t(
                "storage.discard_reason",
                unit=excursion.unit_code,
                start=local_text(excursion.started_at),
                worst=excursion.worst_c,
            )
            check = partial(
                record_excursion_check,
                reading_id=excursion.reading_id,
                order_id=bag.order_id,
                outcome=outcome,
                volunteer_id=user.volunteer_id,
                now=utc_now(),
                reason=reason if outcome == "discarded" else None,
            )
            run_change(check)
