"""Storage: the unit register, what each unit holds and for how long, and the bags a temperature excursion touched."""

import streamlit as st

from db.cold_chain.units import list_held_bags, list_unit_occupancy
from db.core.clock import utc_now
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.views.cold_chain.storage import excursion_tab, occupancy_tab, register_tab
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("storage")

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
