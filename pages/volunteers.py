"""Volunteers: the people of the site, their roles, active or not, a PIN reset, and an import from a CSV list."""

import streamlit as st

from ui.guard import require_role
from ui.i18n import t
from ui.keyboard import NUMERIC, input_hints
from ui.pages_registry import ORGANIZER
from ui.secret_form import refused_secret_box
from ui.views.people.volunteers import add_tab, edit_tab, import_tab, people_table, pin_tab, site_volunteers
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("volunteers")
# PINs open the numeric keypad; after a refused PIN reset (its callback has run already) the cursor goes back into
# the emptied new PIN box.
box, refusals = refused_secret_box()
input_hints(
    modes={t(key): NUMERIC for key in ("volunteers.pin", "volunteers.new_pin", "volunteers.new_pin_again")},
    focus_key=box,
    token=refusals,
)

people = site_volunteers(user)
people_table(people)
tabs = st.tabs([t("volunteers.tab_edit"), t("volunteers.tab_add"), t("volunteers.tab_pin"), t("volunteers.tab_import")])
with tabs[0]:
    edit_tab(user, people)
with tabs[1]:
    add_tab(user)
with tabs[2]:
    pin_tab(user, people)
with tabs[3]:
    import_tab(user)
