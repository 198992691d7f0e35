"""Orders: the site's orders filtered and exported, one order's detail, history and corrections, and overdue
bags returned to the platform."""

import streamlit as st

from db.core.clock import utc_now
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.views.orders.orders import list_tab, overdue_tab
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("orders")
now = utc_now()
tabs = st.tabs([t("orders.tab_list"), t("orders.tab_overdue")])
with tabs[0]:
    list_tab(user, now=now)
with tabs[1]:
    overdue_tab(user, now=now)
