"""The desk: find a resident's bag by pickup code or phone tail and hand it over."""

import streamlit as st

from db.orders import count_orders_by_status
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.widgets import due_readings_notice, page_header

user = require_role(VOLUNTEER, ORGANIZER)
page_header("desk")
due_readings_notice(site_id=user.site_id)

with read_scope() as session:
    counts = count_orders_by_status(session, site_id=user.site_id)
st.metric(t("desk.waiting"), counts.get("received", 0) + counts.get("shelved", 0))
