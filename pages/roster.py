"""Roster: coverage of the week, the shifts and who is on them, weekly templates, hours, staffing against demand."""

import datetime as dt

import streamlit as st

from db.core.clock import local_today, utc_now
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.views.roster.shifts import settle_roster
from ui.views.roster.week import coverage_tab, hours_tab, shifts_tab, staffing_tab, templates_tab
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("roster")

now = utc_now()
today = local_today(now)
settle_roster(site_id=user.site_id, now=now)

chosen_day = st.date_input(t("roster.week_of"), value=today, key="roster_week")
week_start = chosen_day - dt.timedelta(days=chosen_day.weekday())
tabs = st.tabs(
    [
        t("roster.tab_coverage"),
        t("roster.tab_shifts"),
        t("roster.tab_templates"),
        t("roster.tab_hours"),
        t("roster.tab_staffing"),
    ]
)
with tabs[0]:
    coverage_tab(user, week_start=week_start, now=now)
with tabs[1]:
    shifts_tab(user, week_start=week_start, today=today)
with tabs[2]:
    templates_tab(user, week_start=week_start)
with tabs[3]:
    hours_tab(user, today=today)
with tabs[4]:
    staffing_tab(user, week_start=week_start, today=today)
