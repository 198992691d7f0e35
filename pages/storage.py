"""Storage: the unit register, what each unit holds and for how long, and the bags a temperature excursion touched."""

from functools import partial

import pandas as pd
import streamlit as st

from db.cold_chain.temperatures import parse_reading
from db.cold_chain.units import (
    deactivate_storage_unit,
    list_held_bags,
    list_unit_occupancy,
    update_unit_range,
)
from db.core.clock import utc_now
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.tables import show_table
from ui.views.cold_chain.storage import add_unit_form, excursion_tab, local_text
from ui.widgets import big_button, confirmed_button, page_header

REGISTER_COLUMNS = ["unit", "name", "kind", "min_temp_c", "max_temp_c", "slots", "used", "free", "active"]
BAG_COLUMNS = ["unit", "slot", "pickup_code", "storage_class", "held_since", "hours_held"]


user = require_role(ORGANIZER)
page_header("storage")


def degrees(value: float | None) -> str:
    """A range limit as typed (-18, 5.5); blank for a shelf, which has none (not the table's grey "None")."""
    return "" if value is None else f"{value:g}"


def register_tab(user: SignedIn, units: list) -> None:
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


def occupancy_tab(units: list, bags: list) -> None:
    """What each unit holds and for how long; the attention list (site's dwell limits), oldest first."""
    rows = [
        {"unit": unit.code, "kind": unit.kind, "slots": unit.slots, "used": unit.used, "free": unit.free}
        for unit in units
        if unit.active
    ]
    show_table(pd.DataFrame(rows, columns=["unit", "kind", "slots", "used", "free"]), codes={"kind": "kind"})
    overdue = [bag for bag in bags if bag.over_limit]
    st.subheader(t("storage.attention", count=len(overdue)))
    show_table(bag_rows(overdue), codes={"storage_class": "kind"})
    st.subheader(t("storage.held_bags"))
    show_table(bag_rows(bags), codes={"storage_class": "kind"})


def bag_rows(shown: list) -> pd.DataFrame:
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


tabs = st.tabs([t("storage.tab_register"), t("storage.tab_occupancy"), t("storage.tab_excursions")])
with read_scope() as session:
    units = list_unit_occupancy(session, site_id=user.site_id)
    bags = list_held_bags(session, site_id=user.site_id, now=utc_now())
with tabs[0]:
    register_tab(user, units)
with tabs[1]:
    occupancy_tab(units, bags)
with tabs[2]:
    excursion_tab(user)
