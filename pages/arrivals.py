"""Arrivals: check in the morning's delivery against its manifest and put each bag in a slot."""

import streamlit as st

from db.clock import local_today
from db.orders import count_orders_by_status
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.widgets import page_header

user = require_role(VOLUNTEER, ORGANIZER)
page_header("arrivals")

with read_scope() as session:
    today = count_orders_by_status(session, site_id=user.site_id, delivery_date=local_today())
st.metric(t("arrivals.expected_today"), today.get("expected", 0))
