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
    record_excursion_outcome,
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
    """One excursion: what happened, the bags that were in the unit, and one verdict for all of them (with
    exceptions). One settled by a re-measure back in range needs no verdict and stays folded."""
    open_checks = 0 if excursion.settled_by_remeasure else sum(1 for bag in listed if bag.outcome is None)
    title = t(
        "storage.excursion_title_settled" if excursion.settled_by_remeasure else "storage.excursion_title",
        unit=excursion.unit_code,
        start=local_text(excursion.started_at),
        end=local_text(excursion.ended_at) if excursion.ended_at else t("storage.still_open"),
        worst=excursion.worst_c,
        remeasured=excursion.remeasured_c,
        count=len(listed),
        unchecked=open_checks,
    )
    icon = ":material/check_circle:" if excursion.settled_by_remeasure else ":material/warning:"
    with st.expander(title, expanded=open_checks > 0, icon=icon):
        if excursion.settled_by_remeasure:
            st.caption(t("storage.excursion_settled", remeasured=excursion.remeasured_c))
        if excursion.corrective_actions:
            actions = t("change.separator").plain.join(excursion.corrective_actions)
            st.markdown(t("storage.excursion_actions", actions=actions))
        if not listed:
            st.caption(t("storage.excursion_no_bags"))
            return
        outcome_form(user, excursion, listed)


def outcome_form(user: SignedIn, excursion: Excursion, listed: list[ExcursionBag]) -> None:
    """Every bag with its latest check and an exception picker, and one verdict for the unchecked rest: a fridge
    of 26 bags takes one tap, plus one pick per bag that differs."""
    with st.form(f"excursion_{excursion.reading_id}", border=False):
        exceptions: dict[int, str] = {}
        for bag in listed:
            described, picked = st.columns([3, 2], vertical_alignment="center")
            with described:
                bag_line(bag)
            with picked:
                chosen = st.selectbox(
                    t("storage.exception_for", code=bag.pickup_code),
                    (None, *EXCURSION_OUTCOMES),
                    format_func=lambda value: t(f"value.outcome.{value}") if value else t("storage.as_the_rest"),
                    key=f"excursion_{excursion.reading_id}_{bag.order_id}",
                    label_visibility="collapsed",
                )
            if chosen is not None:
                exceptions[bag.order_id] = chosen
        outcome = st.radio(
            t("storage.outcome_for_rest"),
            EXCURSION_OUTCOMES,
            format_func=lambda value: t(f"value.outcome.{value}"),
            horizontal=True,
            key=f"excursion_{excursion.reading_id}_outcome",
        )
        applied = st.form_submit_button(
            t("storage.apply_outcome"), type="primary", key=f"excursion_{excursion.reading_id}_apply"
        )
    if applied:
        reason = t(
            "storage.discard_reason",
            unit=excursion.unit_code,
            start=local_text(excursion.started_at),
            worst=excursion.worst_c,
        )
        change = partial(
            record_excursion_outcome,
            reading_id=excursion.reading_id,
            outcome=outcome,
            exceptions=exceptions,
            volunteer_id=user.volunteer_id,
            now=utc_now(),
            reason=reason.plain,
        )
        run_change(change, done_key="storage.outcome_applied", result_as="count")


def bag_line(bag: ExcursionBag) -> None:
    """Where the bag was and when, and its latest check."""
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
