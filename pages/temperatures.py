"""Temperatures: log a reading of each fridge and freezer; organizers also chart, sign off, correct and export."""

import streamlit as st

from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.signed_in import current_audience
from ui.views.cold_chain.due_readings import due_readings_notice
from ui.views.cold_chain.temperatures import (
    chart_tab,
    cold_units,
    export_tab,
    last_reading,
    reading_form,
    reading_hints,
    sign_off_tab,
    todays_log,
    unit_picker,
)
from ui.widgets import page_header

user = require_role(VOLUNTEER, ORGANIZER)
page_header("temperatures")
due_readings_notice(site_id=user.site_id)

units = cold_units(user)
if not units:
    st.info(t("temperatures.no_units"))
    st.stop()

chosen = unit_picker(units)
unit = units.get(chosen) if chosen is not None else None
out_of_range = unit is not None and reading_form(user, unit)
reading_hints(unit, out_of_range=out_of_range)
last_reading()
todays_log(user)

if current_audience() != ORGANIZER:
    st.stop()

# Organizers: chart, sign-off and corrections, the inspector's export.
tabs = st.tabs([t("temperatures.tab_chart"), t("temperatures.tab_sign_off"), t("temperatures.tab_export")])
with tabs[0]:
    chart_tab(user, units)
with tabs[1]:
    sign_off_tab(user)
with tabs[2]:
    export_tab(user)
