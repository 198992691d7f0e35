"""The storage screen's parts: the unit register (add a unit, edit a range, remove one), what each unit holds and
for how long, an excursion with the bags it touched and their checks (pages/storage.py lays them out)."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from db.cold_chain.excursions import (
    Excursion,
    ExcursionBag,
    list_excursion_bags,
    list_excursions,
)
from db.cold_chain.temperatures import (
    parse_reading,
)
from db.cold_chain.units import (
    HeldBag,
    UnitOccupancy,
    create_storage_unit,
    deactivate_storage_unit,
    update_unit_range,
)
from db.core.clock import local_day_bounds, local_today, to_local, utc_now
from db.core.models import EXCURSION_OUTCOMES, UNIT_KINDS
from db.orders.excursion_checks import record_excursion_outcome
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.i18n import t
from ui.store import read_scope
from ui.tables import show_table
from ui.views.outbox.messages import sent_about
from ui.widgets import big_button, confirmed_button

REGISTER_COLUMNS = ["unit", "name", "kind", "min_temp_c", "max_temp_c", "slots", "used", "free", "active"]
BAG_COLUMNS = ["unit", "slot", "pickup_code", "storage_class", "held_since", "hours_held"]
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
    """One excursion: what happened, the messages sent about it, the bags that were in the unit, and one verdict for
    all of them (with exceptions). One settled by a re-measure back in range needs no verdict and stays folded."""
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
        sent_about(reading_id=excursion.reading_id)
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


def degrees(value: float | None) -> str:
    """A range limit as typed (-18, 5.5); blank for a shelf, which has none (not the table's grey "None")."""
    return "" if value is None else f"{value:g}"


def register_tab(user: SignedIn, units: list[UnitOccupancy]) -> None:
    """Every unit with its slots and range; add one, edit a range, remove one."""
    rows = [
        {
            "unit": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "min_temp_c": degrees(unit.min_temp_c),
            "max_temp_c": degrees(unit.max_temp_c),
            "slots": unit.slots,
            "used": unit.used,
            "free": unit.free,
            "active": unit.active,
        }
        for unit in units
    ]
    show_table(pd.DataFrame(rows, columns=REGISTER_COLUMNS), codes={"kind": "kind"})
    with st.expander(t("storage.add_title"), icon=":material/add:"):
        add_unit_form(user)
    active = {unit.id: unit for unit in units if unit.active}
    cold = {unit_id: unit for unit_id, unit in active.items() if unit.kind != "shelf"}
    if cold:
        with st.expander(t("storage.range_title"), icon=":material/thermostat:"):
            chosen = st.selectbox(
                t("storage.unit"),
                list(cold),
                key="unit_range_id",
                format_func=lambda unit_id: f"{cold[unit_id].code} · {cold[unit_id].name}",
            )
            new_low = st.text_input(t("storage.min_temp"), value=str(cold[chosen].min_temp_c), key="unit_range_min")
            new_high = st.text_input(t("storage.max_temp"), value=str(cold[chosen].max_temp_c), key="unit_range_max")
            if big_button(t("storage.save_range"), key="unit_range_save"):
                run_change(
                    lambda session: update_unit_range(
                        session,
                        storage_unit_id=chosen,
                        min_temp_c=parse_reading(new_low),
                        max_temp_c=parse_reading(new_high),
                        actor_id=user.volunteer_id,
                        now=utc_now(),
                    )
                )
    if active:
        with st.expander(t("storage.remove_title"), icon=":material/delete:"):
            doomed = st.selectbox(
                t("storage.unit"),
                list(active),
                key="unit_remove_id",
                format_func=lambda unit_id: f"{active[unit_id].code} · {active[unit_id].name}",
            )
            question = t("storage.remove_question", unit=f"{active[doomed].code} · {active[doomed].name}")
            if confirmed_button(t("storage.remove"), key="unit_remove", question=question):
                remove = partial(
                    deactivate_storage_unit, storage_unit_id=doomed, actor_id=user.volunteer_id, now=utc_now()
                )
                run_change(remove)


def occupancy_tab(units: list[UnitOccupancy], bags: list[HeldBag]) -> None:
    """What each unit holds and for how long; the attention list (site's dwell limits), oldest first."""
    rows = [
        {"unit": unit.code, "kind": unit.kind, "slots": unit.slots, "used": unit.used, "free": unit.free}
        for unit in units
        if unit.active
    ]
    show_table(pd.DataFrame(rows, columns=["unit", "kind", "slots", "used", "free"]), codes={"kind": "kind"})
    overdue = [bag for bag in bags if bag.over_limit]
    st.header(t("storage.attention", count=len(overdue)))
    show_table(bag_rows(overdue), codes={"storage_class": "kind"})
    st.header(t("storage.held_bags"))
    show_table(bag_rows(bags), codes={"storage_class": "kind"})


def bag_rows(shown: list[HeldBag]) -> pd.DataFrame:
    rows = [
        {
            "unit": bag.unit,
            "slot": bag.slot,
            "pickup_code": bag.pickup_code,
            "storage_class": bag.storage_class,
            "held_since": local_text(bag.held_since),
            "hours_held": bag.hours_held,
        }
        for bag in shown
    ]
    return pd.DataFrame(rows, columns=BAG_COLUMNS)
