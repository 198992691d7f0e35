"""Storage: the unit register, what each unit holds and for how long, and the bags a temperature excursion touched."""

import datetime as dt

import pandas as pd
import streamlit as st

from db.cold_chain.excursions import list_excursion_bags, list_excursions, record_excursion_check
from db.cold_chain.temperatures import parse_reading
from db.cold_chain.units import (
    create_storage_unit,
    deactivate_storage_unit,
    list_held_bags,
    list_unit_occupancy,
    update_unit_range,
)
from db.core.clock import local_day_bounds, local_today, to_local, utc_now
from db.core.errors import StoreError
from db.core.models import EXCURSION_OUTCOMES, UNIT_KINDS
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope, session_scope
from ui.widgets import big_button, page_header, show_error, show_table

# How far back the excursion list looks.
EXCURSION_DAYS = 14

user = require_role(ORGANIZER)
page_header("storage")


def local_text(moment: dt.datetime | None) -> str:
    return "" if moment is None else to_local(moment).strftime("%m-%d %H:%M")


def degrees(value: float | None) -> str:
    """A range limit as typed (-18, 5.5); blank for a shelf, which has none (not the table's grey "None")."""
    return "" if value is None else f"{value:g}"


def change(action) -> None:  # noqa: ANN001 - a callable taking the session
    """Run one store change; show its refusal, or start over so every table shows the result."""
    try:
        with session_scope() as session:
            action(session)
    except StoreError as error:
        show_error(error)
    else:
        st.rerun()


register_tab, occupancy_tab, excursion_tab = st.tabs(
    [t("storage.tab_register"), t("storage.tab_occupancy"), t("storage.tab_excursions")]
)
with read_scope() as session:
    units = list_unit_occupancy(session, site_id=user.site_id)
    bags = list_held_bags(session, site_id=user.site_id, now=utc_now())

# 1. The register: every unit with its slots and range; add, edit a range, remove.
with register_tab:
    show_table(
        pd.DataFrame(
            [
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
            ],
            columns=["unit", "name", "kind", "min_temp_c", "max_temp_c", "slots", "used", "free", "active"],
        ),
        codes={"kind": "kind"},
    )
    with st.expander(t("storage.add_title"), icon=":material/add:"):
        code = st.text_input(t("storage.code"), key="unit_code", placeholder="F2")
        name = st.text_input(t("storage.name"), key="unit_name")
        kind = st.selectbox(
            t("storage.kind"), UNIT_KINDS, format_func=lambda value: t(f"value.kind.{value}"), key="unit_kind"
        )
        slot_count = st.number_input(
            t("storage.slot_count"), min_value=1, max_value=500, value=10, step=1, key="unit_slot_count"
        )
        if kind != "shelf":
            st.caption(t("storage.range_default"))
            low = st.text_input(t("storage.min_temp"), key="unit_min")
            high = st.text_input(t("storage.max_temp"), key="unit_max")
        if big_button(t("storage.add"), key="unit_add", primary=True):

            def add(session) -> None:  # noqa: ANN001
                limits = (
                    {}
                    if kind == "shelf"
                    else {
                        "min_temp_c": parse_reading(low) if low.strip() else None,
                        "max_temp_c": parse_reading(high) if high.strip() else None,
                    }
                )
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

            change(add)

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
                change(
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
            sure = st.checkbox(t("storage.remove_sure"), key="unit_remove_sure")
            if big_button(t("storage.remove"), key="unit_remove", disabled=not sure):
                change(
                    lambda session: deactivate_storage_unit(
                        session,
                        storage_unit_id=doomed,
                        actor_id=user.volunteer_id,
                        now=utc_now(),
                    )
                )

# 2. What each unit holds and for how long; the attention list (site's dwell limits), oldest first.
with occupancy_tab:
    show_table(
        pd.DataFrame(
            [
                {"unit": unit.code, "kind": unit.kind, "slots": unit.slots, "used": unit.used, "free": unit.free}
                for unit in units
                if unit.active
            ],
            columns=["unit", "kind", "slots", "used", "free"],
        ),
        codes={"kind": "kind"},
    )
    overdue = [bag for bag in bags if bag.over_limit]
    st.subheader(t("storage.attention", count=len(overdue)))
    columns = ["unit", "slot", "pickup_code", "storage_class", "held_since", "hours_held"]

    def bag_rows(shown: list) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "unit": bag.unit,
                    "slot": bag.slot,
                    "pickup_code": bag.pickup_code,
                    "storage_class": bag.storage_class,
                    "held_since": local_text(bag.held_since),
                    "hours_held": bag.hours_held,
                }
                for bag in shown
            ],
            columns=columns,
        )

    show_table(bag_rows(overdue), codes={"storage_class": "kind"})
    st.subheader(t("storage.held_bags"))
    show_table(bag_rows(bags), codes={"storage_class": "kind"})

# 3. Excursions of the last two weeks, each with the bags that sat in the unit during it.
with excursion_tab:
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
        listed = touched[excursion.reading_id]
        open_checks = sum(1 for bag in listed if bag.outcome is None)
        title = t(
            "storage.excursion_title",
            unit=excursion.unit_code,
            start=local_text(excursion.started_at),
            end=local_text(excursion.ended_at) if excursion.ended_at else t("storage.still_open"),
            worst=excursion.worst_c,
            bags=len(listed),
            unchecked=open_checks,
        )
        with st.expander(title, expanded=open_checks > 0, icon=":material/warning:"):
            if excursion.corrective_actions:
                st.markdown(t("storage.excursion_actions", actions="；".join(excursion.corrective_actions)))
            if not listed:
                st.caption(t("storage.excursion_no_bags"))
            for bag in listed:
                st.markdown(
                    t(
                        "storage.excursion_bag",
                        code=bag.pickup_code,
                        slot=bag.slot,
                        entered=local_text(bag.entered_at),
                        left=local_text(bag.left_at) if bag.left_at else t("storage.still_there"),
                        status=t(f"value.status.{bag.status}"),
                    )
                )
                if bag.outcome is not None:
                    st.caption(
                        t(
                            "storage.excursion_checked",
                            outcome=t(f"value.outcome.{bag.outcome}"),
                            who=bag.checked_by,
                            at=local_text(bag.checked_at),
                        )
                    )
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
                        change(
                            lambda session, outcome=outcome, bag=bag, excursion=excursion, reason=reason: (
                                record_excursion_check(
                                    session,
                                    reading_id=excursion.reading_id,
                                    order_id=bag.order_id,
                                    outcome=outcome,
                                    volunteer_id=user.volunteer_id,
                                    now=utc_now(),
                                    reason=reason if outcome == "discarded" else None,
                                )
                            )
                        )
